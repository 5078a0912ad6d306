#!/usr/bin/env bash
# Code tasks from a real project: mutate the toolz sdist from PyPI one function at a time, keep
# mutants whose tests fail, validate F2P/P2P in Docker with 3 reruns, verify (gold passes; the
# empty patch and exploit patches fail), export RL lines. Re-running resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
synth images base
synth generate code --sdist toolz==0.12.1 --n 3 --k 3 --out runs/demo-code
synth verify runs/demo-code
synth export runs/demo-code --format rl --out runs/demo-code.rl.jsonl
echo "demo: code tasks are in runs/demo-code"
