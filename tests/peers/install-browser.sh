#!/usr/bin/env bash
# Headless Chromium for tests/e2e/test_browser_login.py, from Debian's packages.
# Called by .ci/run; safe to run again (apt-get skips what is installed). Needs root or sudo.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
/usr/bin/chromium --version
