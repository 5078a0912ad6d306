#!/usr/bin/env bash
# Headless Chromium and its matching ChromeDriver from Debian (packages chromium, chromium-driver:
# /usr/bin/chromium, /usr/bin/chromedriver), for the browser tests of `synth report` and `synth
# view` (selenium drives them; one Debian source package keeps browser and driver on one version).
# Nothing is downloaded by a test tool. When both answer, nothing happens. Without root or sudo the
# browser tests are skipped locally (and fail under CI, where this script runs as root).
set -euo pipefail

have() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }
if have; then
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "setup: chromium is missing and this user is not root; the browser tests will be skipped" >&2
    exit 0
  fi
fi

echo "setup: installing chromium and chromium-driver with apt-get (browser tests)"
export DEBIAN_FRONTEND=noninteractive
# other set-up steps may hold the dpkg lock: wait for it rather than fail
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
have || { echo "setup: chromium or chromedriver is still missing after apt-get" >&2; exit 1; }
echo "setup: $(chromium --version 2>/dev/null | head -n1)"
