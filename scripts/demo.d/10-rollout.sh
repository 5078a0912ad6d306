#!/usr/bin/env bash
# Roll the embedded model (SmolLM2-135M-Instruct on CPU; synth starts and stops its server) through
# the demo tasks, then export its verified trajectories (SFT) and the tasks with their rollout facts
# (RL, pass rates per model). The small model is for plumbing, not for solving: expect few passes.
# Re-running resumes: finished episodes are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
synth rollout runs/demo --tasks 2 --samples 1   # settings sized for the embedded model; it prints them
synth export runs/demo --format sft --source model --out runs/demo.model.sft.jsonl
synth export runs/demo --format rl --out runs/demo.model.rl.jsonl
