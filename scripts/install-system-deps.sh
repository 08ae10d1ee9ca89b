#!/bin/sh
# Installs the independent tools the tests read outputs back with (poppler, qpdf, Ghostscript,
# mupdf) and the browser the preview is tested in (Debian's Chromium, driven by Playwright: never
# `playwright install`, which downloads a browser build). Skips apt entirely when they are already
# present, so `make test` stays fast.
set -e
missing=""
command -v pdfinfo  >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v qpdf     >/dev/null 2>&1 || missing="$missing qpdf"
command -v gs       >/dev/null 2>&1 || missing="$missing ghostscript"
command -v mutool   >/dev/null 2>&1 || missing="$missing mupdf-tools"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v inkscape >/dev/null 2>&1 || missing="$missing inkscape"  # tests re-save layouts as Inkscape does (issue 13)
missing="$missing $*"  # extra packages named on the command line (e.g. librsvg2-bin for benchmarks)
[ -z "$(echo $missing)" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing system tools:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
