"""Rendered jobs ↔ build/manifest.json: one entry per output (file, poster, format, bytes, sha256, alt, key)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from poster_engine.plan import Job
from poster_engine.project.files import Reads
from poster_engine.project.loader import Project
from poster_engine.render.keys import job_key
from poster_engine.render.provenance import provenance

PREVIEW_DIR = "_gallery"  # screen-size previews of print PDFs for index.html; not deliverables
PREVIEW_PX = 480  # long side of those previews


def preview_path(job: Job) -> str | None:
    """Where index.html finds a picture of a print job (PNG outputs are their own picture)."""
    if job.format.medium != "print":
        return None
    return f"{PREVIEW_DIR}/{job.output.rsplit('.', 1)[0]}.png"


def caption_path(job: Job) -> str:
    """The caption file beside a social image: `choc-cobalt/instagram.caption.txt`."""
    return f"{job.output.rsplit('.', 1)[0]}.caption.txt"


def manifest_entry(project: Project, job: Job, data: bytes, key: str | None, alt: str, reads: Reads) -> dict:
    poster = project.campaign.posters[job.poster_id]
    inputs = [poster.file, f"layouts/{poster.spec.layout}.svg", poster.spec.visual, poster.spec.data]
    entry = {
        "poster": job.poster_id,
        "format": job.format.name,
        "lang": job.lang,
        "file": job.output,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "alt": alt,
        "provenance": provenance(project, job, reads).as_dict(),  # sources, visual credit, font licences
        "inputs": [i for i in inputs if i],
        "key": key,
        "reads": reads.as_dict(project.root),  # what its key hashes: the next build checks exactly these
    }
    if job.row:
        entry["row"] = job.row.id
    if preview_path(job):
        entry["preview"] = preview_path(job)
    return entry


def read_manifest(path: Path) -> dict[str, dict]:
    """The previous build's entries by output file; an unreadable manifest is an empty one (all rebuilt)."""
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("outputs", [])
    except (OSError, ValueError, AttributeError):
        old = []
    return {e["file"]: e for e in old if isinstance(e, dict) and "file" in e}


def manifest_bytes(entries: dict[str, dict]) -> bytes:
    return b"".join(manifest_chunks(entries))


def manifest_chunks(entries: dict[str, dict]) -> Iterator[bytes]:
    """manifest.json in pieces of about 64 KB: a 10 000-row merge's manifest (17 MB) was made
    whole as a string and again as bytes, the build's peak memory."""
    outputs = [entries[k] for k in sorted(entries)]
    piece: list[str] = []
    size = 0
    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode({"outputs": outputs}):
        piece.append(chunk)
        size += len(chunk)
        if size >= 1 << 16:
            yield "".join(piece).encode()
            piece, size = [], 0
    yield ("".join(piece) + "\n").encode()


def is_up_to_date(project: Project, out_dir: Path, job: Job, old: dict | None) -> bool:
    """The output exists, has the recorded size, and what it read last time is unchanged (its key,
    recomputed from the recorded reads with today's files, is the one recorded)."""

    reads = Reads.from_dict(old.get("reads"), project.root) if old else None
    if old is None or reads is None or old.get("key") is None or job_key(project, job, reads) != old["key"]:
        return False
    try:
        if (out_dir / job.output).stat().st_size != old.get("bytes"):
            return False
    except OSError:
        return False
    if old.get("caption") and not (out_dir / old["caption"]).is_file():
        return False
    preview = preview_path(job)
    return preview is None or (out_dir / preview).is_file()
