#!/usr/bin/env bash
# Installs everything synth needs into .venv, then runs each scripts/setup.d/*.sh part in order
# (system packages, the Docker engine, the embedded model). Idempotent: a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.synth-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing synth and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip 2>/dev/null || true
  # PYTHONWARNINGS: setuptools' editable-install notice is advice for package authors, not a failure
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install --quiet -e '.[test]'
  # setuptools may leave synth.egg-info in the tree; on the path (python -m pytest puts the working
  # directory first) its stale entry points would hide the installed plug-ins
  rm -rf synth.egg-info
  touch "$stamp"
fi
for part in scripts/setup.d/*.sh; do
  [ -e "$part" ] || continue
  bash "$part"
done
