#!/usr/bin/env bash
# Install Debian's chromium for the playwright browser tests, if it is not there yet.
set -euo pipefail
# poppler-utils: pdftoppm / pdftotext check the printed map (tests/api/test_browser_map.py).
if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "tanmap: installing Debian's chromium for the browser tests (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk poppler-utils \
  >/dev/null
command -v chromium
