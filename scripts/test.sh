#!/usr/bin/env bash
# The whole suite. pytest exits 5 when it collects no test: that fails here too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
exec .venv/bin/python -m pytest "$@"
