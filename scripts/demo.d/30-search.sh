#!/usr/bin/env bash
# Search QA over the embedded corpora: build the Wikipedia Vital Articles index once (cached by the
# corpus hash), generate 4-hop questions behind the gate (the default), verify (gold tool paths pass; wrong,
# empty and other-entity answers fail), export, and print the funnel. Then the Factbook with dense
# vectors (254 documents: seconds) to compare BM25, dense and hybrid retrieval on the tasks'
# evidence documents. Re-running resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
synth corpus build wiki
python - <<'PY'
# A run an older synth made on another version of a built-in corpus, or with other defaults (before 4 hops became the
# default it was made at 2), cannot resume (its tasks and new ones would mix, so generate refuses 'different settings'):
# it is kept aside whole, and a new one made.
import json
from pathlib import Path

from synth.environments.search import load_source
from synth.environments.search._generate import text_only
from synth.environments.search._settings import SearchSettings

for run, source, n in (("runs/demo-search", "wiki", 20), ("runs/demo-search-factbook", "factbook", 10)):
    manifest = Path(run, "manifest.json")
    if manifest.is_file():
        recorded = json.loads(manifest.read_text()).get("stages", {}).get("generate", {}).get("config", {})
        corpus = load_source(source)
        wanted = SearchSettings(corpus=source, n=n, seed=0).stage_config(corpus.hash, corpus.name, None, text_only(corpus))
        changed = [key for key in ("corpus_hash", "hops", "min_tree") if recorded.get(key) != wanted[key]]
        if recorded and changed:
            tag = (recorded.get("corpus_hash") or "old")[:8]
            aside = next(p for n in range(1000) if not (p := Path(f"{run}.{tag}-h{recorded.get('hops')}" + (f".{n}" if n else ""))).exists())
            Path(run).rename(aside)
            print(f"demo: {run} was made with other settings ({', '.join(changed)}): kept as {aside}, making a new one")
PY
synth generate search --corpus wiki --n 20 --seed 0 --out runs/demo-search
synth verify runs/demo-search
synth export runs/demo-search --format sft --source gold --out runs/demo-search.gold.sft.jsonl
synth export runs/demo-search --format rl --out runs/demo-search.rl.jsonl
python - <<'PY'
import json
funnel = json.load(open("runs/demo-search/manifest.json"))["stages"]["generate"]["funnel"]
print(f"demo: search funnel: {funnel['kept']} kept of {funnel['candidates']} candidates; rejected by gate: {funnel['rejected_by_gate']}")
PY
synth corpus build factbook --dense
synth generate search --corpus factbook --n 10 --seed 0 --out runs/demo-search-factbook
synth verify runs/demo-search-factbook
synth corpus eval runs/demo-search-factbook --k 1 --k 5 --k 10
echo "demo: search tasks are in runs/demo-search and runs/demo-search-factbook"
