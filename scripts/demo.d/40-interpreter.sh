#!/usr/bin/env bash
# Code-interpreter tasks: generate every category (data analysis over a dirty shop, mathematics,
# logic and algorithms, and a small task file of your own kind), verify them in real notebook
# kernels (the gold cells run through the python tool; every control must fail), roll the embedded
# model through a few (SmolLM2-135M on CPU: plumbing, not solving), export SFT and RL lines.
# The kernel image (numpy, pandas, sympy) is built once per machine. Re-running resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
out=runs/demo-interpreter
input=runs/demo-interpreter-input
mkdir -p "$input"
# a task file as a user would bring one: a question about a data file, with a solution that
# computes the answer; a second one with no solution (verify proves its files and controls)
printf 'city,rainfall_mm\nBergen,2250\nCork,1200\nFaro,450\nGraz,820\nLille,680\n' > "$input/rain.csv"
cat > "$input/tasks.jsonl" <<'JSONL'
{"id": "wettest", "question": "Which cities in /data/rain.csv get more than 800 mm of rain a year?", "files": ["rain.csv"], "answer": ["Bergen", "Cork", "Graz"], "answer_type": "string_set", "solution": "import json, pandas as pd\nrain = pd.read_csv('/data/rain.csv')\nprint(json.dumps(sorted(rain.loc[rain.rainfall_mm > 800, 'city'])))"}
{"id": "mean", "question": "What is the mean yearly rainfall in /data/rain.csv, in mm?", "files": ["rain.csv"], "answer": 1080.0, "answer_type": "number", "tolerance": {"rel": 0, "abs": 0.5}}
JSONL
synth generate interpreter --n 2 --seed 0 --difficulty 2 --from "$input/tasks.jsonl" --out "$out"
synth verify "$out"
synth rollout "$out" --samples 1 --max-steps 3 --max-tokens 96   # all 8 tasks: every category
synth export "$out" --format sft --source all --out "$out.sft.jsonl"
synth export "$out" --format rl --out "$out.rl.jsonl"
echo "demo: interpreter tasks are in $out"
