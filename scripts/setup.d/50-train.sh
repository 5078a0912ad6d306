#!/usr/bin/env bash
# What training against synth's environments needs (`synth serve`, synth.integrations.trl/verl, the
# CPU GRPO test): PyTorch's CPU build, transformers + gguf (they load the embedded model's GGUF), TRL,
# openenv-core, and verl's tool classes. Idempotent: a second run is quick.
#
# - torch==2.13.0 is pinned: this machine kind keeps that CPU wheel on disk; an unpinned torch would
#   make pip pull a CUDA build of several GB.
# - openenv-core goes in --no-deps with the parts of it synth uses (the FastAPI server and the
#   WebSocket client): its declared gradio and fastmcp serve its web UI and MCP servers, which
#   synth never starts (fastmcp is imported by its server module, so it is installed).
# - verl goes in --no-deps with what `verl.tools` imports (verl 0.9.1 pins transformers<5.11, below
#   what TRL's environment_factory needs; its vLLM/SGLang/Megatron stack is for GPU training).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
have() { "$PY" - "$@" <<'PY' 2>/dev/null
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in sys.argv[1:]) else 1)
PY
}
if have torch transformers gguf trl accelerate openenv verl tensordict omegaconf; then
  exit 0
fi
echo "setup: installing the training stack (torch CPU, transformers, gguf, TRL, openenv-core, verl's tools)"
started=$SECONDS
"$PY" -m pip install --quiet "torch==2.13.0"
"$PY" -m pip install --quiet --no-warn-conflicts "torch==2.13.0" "transformers>=5.2,<6" "gguf>=0.10" "trl==1.16.*" "accelerate>=1.10" \
  "fastapi>=0.104" "uvicorn>=0.24" "websockets>=15.0.1" "requests>=2.25" "pyyaml>=6" "tomli>=2.3" "tomli-w>=1.2" \
  "omegaconf>=2.3" "tensordict>=0.8,<=0.10" "codetiming" "dill" "pylatexenc" "fastmcp>=3.0.0"
"$PY" -m pip install --quiet --no-deps --no-warn-conflicts "openenv-core==0.3.0" "verl==0.9.1"
echo "setup: training stack installed in $(( SECONDS - started )) s"
