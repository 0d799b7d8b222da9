#!/usr/bin/env bash
# Install what the PDF report card needs from Debian, if it is not there yet:
#   fonts-wqy-microhei    WenQuanYi Micro Hei, TrueType outlines with Latin and CJK glyphs
#                         (Apache-2.0 / GPLv3+FE) that the PDF embeds (Noto CJK has CFF
#                         outlines, which fpdf2 cannot embed);
#   poppler-utils         pdftoppm / pdftotext, used by the tests to render and read the PDF.
set -euo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [ -f "$FONT" ] && command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "tanmap: installing the PDF card's CJK font and poppler-utils (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends fonts-wqy-microhei poppler-utils >/dev/null
test -f "$FONT"
command -v pdftoppm
