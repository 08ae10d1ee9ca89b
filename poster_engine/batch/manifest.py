"""Rendered jobs ↔ build/manifest.json: one entry per output (file, poster, format, bytes, sha256, alt, key)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from poster_engine.plan import Job
from poster_engine.project.files import Reads
from poster_engine.project.loader import Project
from poster_engine.render.keys import job_key
from poster_engine.render.provenance import provenance

PREVIEW_DIR = "_gallery"  # screen-size previews of print PDFs for index.html; not deliverables
PREVIEW_PX = 480  # long side of those previews

_PIECE = 1 << 16  # manifest.json is read and written in pieces of about this many characters
_JSON_SPACE = " \t\n\r"
_SPACE = re.compile(r"[ \t\n\r]*")
_HEAD = re.compile(r'[ \t\n\r]*\{[ \t\n\r]*"outputs"[ \t\n\r]*:[ \t\n\r]*\[')


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


def read_manifest(path: Path, files: Collection[str] | None = None) -> dict[str, dict]:
    """The previous build's entries by output file (only those of `files` if given: a manifest of
    10 000 rows is ~60 MB of objects); an unreadable manifest is an empty one (all rebuilt)."""
    try:
        return {e["file"]: e for e in manifest_outputs(path) if files is None or e["file"] in files}
    except (OSError, ValueError):
        return {}


def manifest_bytes(entries: dict[str, dict]) -> bytes:
    return b"".join(manifest_chunks(entries[k] for k in sorted(entries)))


def manifest_chunks(outputs: Iterable[dict]) -> Iterator[bytes]:
    """manifest.json of `outputs` (in the order given: by file) in pieces of about 64 KB, the same
    bytes as `json.dump({"outputs": [...]}, indent=2, ensure_ascii=False)`: an entry at a time, so
    a 10 000-row merge's manifest (17 MB) is never whole in memory, nor its entries."""
    piece: list[str] = ['{\n  "outputs": [']
    size, sep = 0, "\n    "
    for entry in outputs:
        # Encoded alone, then indented as an element of the list: JSON strings hold no raw newline.
        text = json.dumps(entry, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        piece += (sep, text)
        size += len(text)
        sep = ",\n    "
        if size >= _PIECE:
            yield "".join(piece).encode()
            piece, size = [], 0
    piece.append("]\n}\n" if sep == "\n    " else "\n  ]\n}\n")
    yield "".join(piece).encode()


def manifest_outputs(path: Path) -> Iterator[dict]:
    """The entries of manifest.json one at a time (those that are objects with a `file`), read in
    pieces: a 10 000-row merge's manifest is 17 MB of text and ~80 MB of objects. Raises OSError or
    ValueError (JSONDecodeError) for a file that is not a whole manifest, possibly after some
    entries: the caller takes that as no manifest at all (also one with keys after `outputs`,
    which this engine never writes)."""
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as f:
        text = f.read(_PIECE)
        head = _HEAD.match(text)
        if head is None:  # not laid out as this engine writes it (other keys first): parsed whole
            whole = json.loads(text + f.read())
            outputs = whole.get("outputs") if isinstance(whole, dict) else None
            yield from (e for e in outputs if isinstance(e, dict) and "file" in e) if isinstance(outputs, list) else ()
            return
        at, eof, after_entry = head.end(), False, False
        while True:
            if not eof and len(text) - at < _PIECE:  # a piece ahead of the decoder: entries are ~2 KB
                piece = f.read(_PIECE)
                text, at, eof = text[at:] + piece, 0, not piece
            at = _skip_space(text, at)
            if text.startswith("]", at):
                if (text[at + 1 :] + f.read()).strip(_JSON_SPACE) != "}":
                    raise json.JSONDecodeError("expected the end of the manifest", text, at)
                return
            if after_entry:
                if not text.startswith(",", at):
                    raise json.JSONDecodeError("expected ',' between entries", text, at)
                at += 1
            while True:  # an entry, or the text held does not hold all of it yet: read on
                try:
                    entry, end = decoder.raw_decode(text, _skip_space(text, at))
                    if end < len(text) or eof:
                        break
                except json.JSONDecodeError:
                    if eof:
                        raise
                piece = f.read(max(_PIECE, len(text) - at))
                text, at, eof = text[at:] + piece, 0, not piece
            at, after_entry = end, True
            if isinstance(entry, dict) and "file" in entry:
                yield entry


def _skip_space(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


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
