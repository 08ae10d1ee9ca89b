"""A job + what it read → its cache key: shared by incremental builds and the live preview.

A job's key hashes exactly what its bytes can depend on: the engine itself (its own code and the
versions of the libraries that draw pixels), the job (poster spec, format, language, data row,
print settings, timestamp), and what rendering it actually read — every project file, folder
listing and text of messages.yaml, recorded as they were used (project/files.py). The record is
kept in the manifest; the next build recomputes the key from the same record with today's files
and skips the job when it is unchanged. A file the job did not read cannot rebuild it, and one it
did read always does, fallback fonts and layout variants included.

Files are keyed by content, not modification time, so a fresh checkout reuses a build's keys. This
module stays light (no HarfBuzz, cairo or pikepdf): a no-op rebuild computes every key and renders
nothing.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from poster_engine import __version__
from poster_engine.compose.fields import poster_fields
from poster_engine.compose.layout import variant_shapes
from poster_engine.core.diagnostics import PosterError
from poster_engine.plan import Job
from poster_engine.project.files import Reads, file_digest
from poster_engine.project.fonts import FontLibrary
from poster_engine.project.loader import Project

PACKAGE = Path(__file__).resolve().parents[1]
# The Python libraries whose versions can change an output's bytes.
PIXEL_LIBRARIES = (
    "cairosvg",
    "cairocffi",
    "Pillow",
    "fpng",
    "fonttools",
    "uharfbuzz",
    "qrcode",
    "pikepdf",
    "Babel",
    "pyphen",
    "numpy",
    "defusedxml",
    "svgelements",
)


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """The engine's own code and data (every source file and ICC profile of the package) and the
    versions of what draws pixels: the Python libraries and the system's cairo. Once per process."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".html", ".icc") and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name in PIXEL_LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=absent;".encode())
    h.update(_cairo_version().encode())
    return h.hexdigest()


def _cairo_version() -> str:
    """The system libcairo's version, read without importing cairocffi (slow to import)."""
    import ctypes

    try:
        lib = ctypes.CDLL("libcairo.so.2")
        lib.cairo_version_string.restype = ctypes.c_char_p
        return "cairo=" + lib.cairo_version_string().decode()
    except (OSError, AttributeError):
        return "cairo=unknown"


@lru_cache(maxsize=1)
def _ghostscript_version() -> str:
    """`gs --version`: PDF/X-1a and X-3 files hold pieces Ghostscript rasterised (docs/print.md §3a)."""
    import shutil
    import subprocess

    found = shutil.which("gs")
    if found is None:
        return "gs=absent"
    try:
        run = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "gs=unknown"
    return "gs=" + run.stdout.strip()


@lru_cache(maxsize=64)  # per opened project: a build lists each folder once, a new open lists again
def _listing(project: Project, kind: str) -> list:
    """A folder listing a job read, as it is now."""
    if kind == "fonts":
        return sorted(FontLibrary(project.root / "fonts").names())  # files and variable fonts' instances
    if kind.startswith("layouts:"):
        return variant_shapes(project.root, kind.split(":", 1)[1])
    return [f"unknown listing {kind}"]  # never equal to a recorded one: the job is rebuilt


def job_key(project: Project, job: Job, reads: Reads) -> str | None:
    """The key of `job` given what it read (`reads`), from the project's files as they are now.

    None when a text it read cannot be made any more (e.g. a translation was removed): the job must
    be rendered again, which reports the problem with its line.
    """
    poster = project.campaign.posters.get(job.poster_id)
    if poster is None:
        return None
    try:
        fields = poster_fields(project.campaign, poster, job.lang, job.row_fields)
        texts = sorted((name, fields[name] if name in fields else None) for name in reads.fields)
    except PosterError:
        return None
    printing = None
    if job.format.medium == "print":
        settings = project.print_settings
        printing = [repr(settings.profile), repr(sorted(settings.swatches.items()))]
        if settings.profile.pdfx != "4":  # flattened pieces are Ghostscript's rasters
            printing.append(_ghostscript_version())
    parts = {
        "engine": engine_fingerprint(),
        "job": [repr(job.format), job.lang, job.campaign_lang, job.row_fields, poster.spec.model_dump_json()],
        "printing": printing,
        "timestamp": str(project.timestamp),
        "files": sorted((project.shown(f), file_digest(Path(f))) for f in reads.files),
        "listings": sorted((kind, _listing(project, kind)) for kind in reads.listings),
        "texts": texts,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
