#!/bin/sh
# Installs with apt the Debian/Ubuntu packages that `make build` and `make test` need and that a
# minimal machine lacks. Each one is found missing by trying what the project uses (a command, a
# library loaded by name, a Python module), not by asking dpkg, so something installed another way
# counts too; when nothing is missing it runs neither apt nor sudo, so make calls it every time.
#
#   sh scripts/install-system-deps.sh build         what `make build` needs:
#        python3-venv (ensurepip for $PYTHON, missing from Debian's python3), libcairo2 (cairosvg),
#        ghostscript (soft proofs and PDF/X-1a/X-3 flattening: docs/print.md §3a, §6b)
#   sh scripts/install-system-deps.sh test [PKG…]   the above and what `make test` needs:
#        poppler-utils, qpdf, mupdf-tools (the tests read outputs back with them), librsvg2-bin
#        (rsvg-convert: the reference renderer of the path-syntax corpus; PDFs made by other tools),
#        inkscape (layouts re-saved as designers do; PDFs made by other tools, for preflight),
#        chromium (Debian's, driven by Playwright: never `playwright install`, which downloads a
#        browser build), libatomic1 (Playwright's driver, a Node.js binary, links it), inkscape
#        (the tests re-save layouts through it, as designers do), librsvg2-bin (rsvg-convert, the
#        reference renderer of the path-syntax tests), gettext (msgfmt checks the PO catalogues);
#        and any PKG named on the command line
#
# Runs apt-get as root, or through sudo otherwise.
set -e
PYTHON=${PYTHON:-python3}
mode=${1:-test}
[ $# -gt 0 ] && shift
case "$mode" in build|test) ;; *) echo "usage: $0 build|test [PKG…]" >&2; exit 2 ;; esac

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "$PYTHON not found: install Python 3.11 or newer first (apt-get install python3)" >&2
    exit 1
fi
# What Python needs, asked of Python in one start: ensurepip (Debian and Ubuntu leave it out of
# python3, and `python3 -m venv` then stops half-way), libcairo.so.2 (loaded by cairocffi) and, for
# the tests, libatomic.so.1 (Playwright's driver links it).
missing=$("$PYTHON" - "$mode" <<'PY'
import ctypes, importlib.util, sys
need = []
if importlib.util.find_spec("ensurepip") is None or importlib.util.find_spec("venv") is None:
    need.append("python%d.%d-venv" % sys.version_info[:2])
libs = [("libcairo.so.2", "libcairo2")]
if sys.argv[1] == "test":
    libs.append(("libatomic.so.1", "libatomic1"))
for lib, pkg in libs:
    try:
        ctypes.CDLL(lib)
    except OSError:
        need.append(pkg)
print(" ".join(need))
PY
)
need() { missing="$missing $1"; }

command -v gs >/dev/null 2>&1 || need ghostscript

if [ "$mode" = test ]; then
    command -v pdfinfo  >/dev/null 2>&1 || need poppler-utils
    command -v qpdf     >/dev/null 2>&1 || need qpdf
    command -v mutool   >/dev/null 2>&1 || need mupdf-tools
    # other tools' PDFs for the preflight tests (tests/test_preflight_others.py)
    command -v rsvg-convert >/dev/null 2>&1 || need librsvg2-bin
    command -v inkscape >/dev/null 2>&1 || need inkscape
    command -v chromium >/dev/null 2>&1 || need chromium
    # GNU msgfmt checks the PO catalogues `poster strings export` writes (tests/test_languages.py)
    command -v msgfmt >/dev/null 2>&1 || need gettext
    for p in "$@"; do need "$p"; done
fi

missing=$(echo $missing)
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "missing system packages: $missing" >&2
        echo "install them as root (apt-get install $missing), or install sudo, then run make again" >&2
        exit 1
    fi
    SUDO="sudo"
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing system packages: $missing; this script knows only apt (Debian, Ubuntu): install their equivalents" >&2
    exit 1
fi
echo "installing system packages: $missing"
$SUDO apt-get update -qq
# Without recommends: the list above is all the project needs, and a machine that skips
# recommends must work too.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
