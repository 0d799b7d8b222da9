#!/usr/bin/env bash
# Install what the PDF report card needs from Debian, if it is not there yet:
#   fonts-droid-fallback  DroidSansFallbackFull.ttf, a TrueType CJK font (Apache-2.0) that the
#                         PDF embeds (Noto CJK is CFF-only, which fpdf2 and matplotlib's PDF
#                         backend cannot embed as TrueType);
#   poppler-utils         pdftoppm / pdftotext, used by the tests to render and read the PDF.
set -euo pipefail
FONT=/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
if [ -f "$FONT" ] && command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "tanmap: installing the PDF card's CJK font and poppler-utils (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends fonts-droid-fallback poppler-utils >/dev/null
test -f "$FONT"
command -v pdftoppm
