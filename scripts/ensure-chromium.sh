#!/usr/bin/env bash
# Make sure a headless Chromium and its driver exist for the console's browser tests (tests/e2e/test_console.py).
# As root, install Debian's chromium and chromium-driver when missing (what CI needs); otherwise explain.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "error: no /usr/bin/chromium + /usr/bin/chromedriver; install Debian's chromium and chromium-driver" >&2
  exit 1
fi
echo "[chromium] installing Debian's chromium and chromium-driver" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || { echo "error: chromium did not install" >&2; exit 1; }
