#!/usr/bin/env bash
# Serve the demo's environments to a trainer (synth serve, the OpenEnv protocol) and play one
# episode through it as a trainer would: reset to a task, one tool call, an answer; the reward is the
# task verifier's verdict, and --record appends the episode to runs/demo (synth report shows it).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
if ! .venv/bin/python -c "import openenv.core" 2>/dev/null; then
  echo "demo: synth serve needs the training stack (scripts/setup.d/50-train.sh); skipped"
  exit 0
fi
log=$(mktemp)
synth serve runs/demo --port 0 --record >"$log" 2>/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  url=$(head -n1 "$log" 2>/dev/null || true)
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { echo "demo: synth serve did not start"; exit 1; }
.venv/bin/python - "$url" <<'PY'
import sys

from synth._openenv import RemoteSession

session = RemoteSession(sys.argv[1])
first = session.reset(model="demo")
tool = first["tools"][0]["function"]["name"]
session.call(tool, {})
done = session.submit("<think>no idea</think>```json\n[]\n```")
print(f"demo: served {first['category']} task {first['task_key'][:12]} over {sys.argv[1]}: "
      f"one {tool} call, an empty answer, reward {done['reward']} ({done['verdict']['status']})")
session.close()
PY
