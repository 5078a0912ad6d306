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
python - <<'PY'
# A run an older synth made on another version of a built-in corpus cannot resume (its tasks and new ones would
# mix two corpora, so generate refuses 'different settings (corpus_hash)'): it is kept aside whole, and a new one made.
import json
from pathlib import Path

from synth.environments.search import load_source

for run, source in (("runs/demo-search", "wiki"), ("runs/demo-search-factbook", "factbook")):
    manifest = Path(run, "manifest.json")
    if manifest.is_file():
        recorded = json.loads(manifest.read_text()).get("stages", {}).get("generate", {}).get("config", {}).get("corpus_hash")
        if recorded and recorded != load_source(source).hash:
            aside = next(p for n in range(1000) if not (p := Path(f"{run}.corpus-{recorded[:8]}" + (f".{n}" if n else ""))).exists())
            Path(run).rename(aside)
            print(f"demo: {run} was made on another version of the {source} corpus: kept as {aside}, making a new one")
PY
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
