#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (tests/web/conftest.py).
# Make sure it is installed: if it is missing and this is root with apt-get, install the
# Debian package `chromium`; otherwise stop with a message saying what to do.
# Never a browser download (no `playwright install`), never a silent skip.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$CHROMIUM" = /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "The browser tests need Chromium: installing Debian's package (apt-get install -y chromium)..."
    export DEBIAN_FRONTEND=noninteractive
    # A machine whose package lists were never fetched knows no `chromium` yet: update, retry.
    apt-get install -y chromium || { apt-get update && apt-get install -y chromium; } || true
    if [ -x "$CHROMIUM" ]; then
        exit 0
    fi
    echo "apt-get could not install chromium (its messages are above)." >&2
fi

cat >&2 <<MESSAGE
error: the browser tests need Chromium at $CHROMIUM, and it is not there.
  On Debian or Ubuntu, as root:   apt-get install -y chromium
  (or with sudo:                  sudo apt-get install -y chromium)
  With Chromium elsewhere, point to it:   make test CHROMIUM_PATH=/path/to/chromium
The tests never download a browser (no 'playwright install').
MESSAGE
exit 1
