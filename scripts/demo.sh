#!/usr/bin/env bash
# The main job on embedded defaults: general tuples in every category -> verify -> export,
# then each scripts/demo.d/*.sh part (rollout, code tasks, ...), then the report. Re-running resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
synth generate general --n 5 --seed 0 --difficulty 3 --out runs/demo
synth verify runs/demo
synth export runs/demo --format sft --source gold --out runs/demo.gold.sft.jsonl
synth export runs/demo --format rl --out runs/demo.rl.jsonl
for part in scripts/demo.d/*.sh; do
  [ -e "$part" ] || continue
  bash "$part"
done
# last: the demo's report (one self-contained HTML file; `synth view runs/demo` browses the same run)
if [ -d runs/demo-code ]; then synth report runs/demo-code >/dev/null; fi
echo "demo: done; records are in runs/demo, exports in runs/demo.*.jsonl"
echo "demo: report: $(synth report runs/demo)"
