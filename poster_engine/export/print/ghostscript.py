"""PDF bytes → Ghostscript's raster of it (CMYK, one file per page): the engine's one way to run `gs`.

Ghostscript is a system dependency of print work beyond PDF/X-4: soft proofs (`poster proof
--softproof`, `poster render -f a3 -o x.png`) and the flattening of PDF/X-1a and X-3 files (docs/print.md
§3a). It runs with -dSAFER (no file access beyond its arguments), in a temporary folder, with a time
limit; when it is missing the error says how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from poster_engine.core.diagnostics import fail

GS_TIMEOUT_S = 120
INSTALL = "install Ghostscript (Debian/Ubuntu: apt-get install ghostscript; scripts/install-system-deps.sh does it)"


def render_cmyk(pdf: bytes, ppi: float, what: str, *options: str, trim: bool = False) -> list:
    """Every page of `pdf` as a Pillow CMYK image at `ppi` (tiff32nc: 8 bits per plate, overprint
    simulated as a press would print it). `trim`: the TrimBox only (what the reader sees); `what`
    names the task in errors."""
    from PIL import Image

    found = shutil.which("gs")
    if found is None:
        raise fail(f"Ghostscript (gs) is needed for {what} but was not found; {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="poster-gs-") as folder:
        src = Path(folder) / "in.pdf"
        src.write_bytes(pdf)
        args = [
            found,
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-dNOINTERPOLATE",
            "-sDEVICE=tiff32nc",
            f"-r{ppi:g}",
            *(["-dUseTrimBox"] if trim else []),
            *options,
            "-o",
            str(Path(folder) / "page-%04d.tif"),
            str(src),
        ]
        try:
            run = subprocess.run(args, capture_output=True, timeout=GS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise fail(f"Ghostscript took more than {GS_TIMEOUT_S} s for {what}; the file was not written") from None
        if run.returncode != 0:
            detail = (run.stderr or run.stdout).decode(errors="replace").strip().splitlines()
            raise fail(f"Ghostscript failed for {what}: {detail[-1] if detail else f'exit {run.returncode}'}")
        pages = []
        for path in sorted(Path(folder).glob("page-*.tif")):
            with Image.open(path) as image:
                image.load()
                pages.append(image.copy())
        return pages
