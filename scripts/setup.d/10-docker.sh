#!/usr/bin/env bash
# A Docker engine for code environments. When `docker info` already answers, nothing happens.
# Otherwise (fresh machine, root, as under CI): install docker.io and debootstrap with apt when the
# daemon binary is missing, start dockerd in the background logging to $SYNTH_DOCKERD_LOG, and wait
# until `docker info` answers. Idempotent; never stops an engine it did not start.
set -euo pipefail

log=${SYNTH_DOCKERD_LOG:-/var/log/synth-dockerd.log}
timeout=${SYNTH_DOCKERD_WAIT:-60}

answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && answers; then
  command -v debootstrap >/dev/null 2>&1 || echo "setup: note: debootstrap is missing; synth images base needs it when no registry answers" >&2
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "setup: no Docker engine answers and this user is not root; start dockerd yourself (code tests need it)" >&2
    exit 0
  fi
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) iptables ca-certificates >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "setup: starting dockerd (log: $log)"
  $sudo mkdir -p "$(dirname "$log")"
  # setsid + nohup: the engine outlives this script and the make process that ran it
  $sudo sh -c "setsid nohup dockerd >>'$log' 2>&1 </dev/null &"
fi

for _ in $(seq 1 "$timeout"); do
  if answers; then
    echo "setup: Docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    exit 0
  fi
  sleep 1
done
echo "setup: dockerd did not answer within ${timeout}s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
