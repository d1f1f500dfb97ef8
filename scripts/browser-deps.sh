#!/usr/bin/env bash
# The browser the browser tests drive (tests/browser): Debian's Chromium at /usr/bin/chromium,
# installed only when missing (idempotent; the tests' session fixture runs it once, so `make
# test` on a fresh machine gets a browser). Playwright's own browser download is never used:
# it cannot reach its servers here, and Debian's build is the one this machine supports.
# pdftoppm (poppler-utils), which the tests also use, comes from scripts/system-deps.sh.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing Debian packages: chromium"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
test -x /usr/bin/chromium
