#!/usr/bin/env bash
# Search QA over the embedded corpora: build the Wikipedia Vital Articles index once (cached by the
# corpus hash), generate multi-hop questions behind the gate, verify (gold tool paths pass; wrong,
# empty and other-entity answers fail), export, and print the funnel. Then the Factbook with dense
# vectors (254 documents: seconds) to compare BM25, dense and hybrid retrieval on the tasks'
# evidence documents. Re-running resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
synth corpus build wiki
synth generate search --corpus wiki --n 20 --hops 2 --seed 0 --out runs/demo-search
synth verify runs/demo-search
synth export runs/demo-search --format sft --source gold --out runs/demo-search.gold.sft.jsonl
synth export runs/demo-search --format rl --out runs/demo-search.rl.jsonl
python - <<'PY'
import json
funnel = json.load(open("runs/demo-search/manifest.json"))["stages"]["generate"]["funnel"]
print(f"demo: search funnel: {funnel['kept']} kept of {funnel['candidates']} candidates; rejected by gate: {funnel['rejected_by_gate']}")
PY
synth corpus build factbook --dense
synth generate search --corpus factbook --n 10 --hops 2 --seed 0 --out runs/demo-search-factbook
synth verify runs/demo-search-factbook
synth corpus eval runs/demo-search-factbook --k 1 --k 5 --k 10
echo "demo: search tasks are in runs/demo-search and runs/demo-search-factbook"
