"""Project files → their content digests, and the record of which files, listings and texts a job reads."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path | None) -> str | None:
    """SHA-256 of a file's bytes, memoised per (path, mtime, size): a rebuild hashes only what
    changed. None for no path or a file that cannot be read."""
    try:
        st = path.stat() if path else None
    except (OSError, ValueError):
        return None
    if st is None or path is None or not stat.S_ISREG(st.st_mode):  # a pipe would block the read
        return None
    memo = (str(path), st.st_mtime_ns, st.st_size)
    if memo not in _digests:
        try:
            _digests[memo] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
    return _digests[memo]


# --- what a job reads -------------------------------------------------------------------------
# Every reader of project files calls `record_file` (or `record_listing`, for a folder whose
# content decides what is read, or `record_field` for a text of messages.yaml) at the moment it
# uses the input, even when the content comes from an in-memory cache. While a job runs inside
# `recording()`, those calls collect exactly what its output depends on (like Typst's World, which
# tracks every file access); the job's cache key hashes that set and nothing else.


@dataclass
class Reads:
    """What one job read: project files, folder listings (by kind) and content fields (by name)."""

    files: set[str] = field(default_factory=set)  # absolute paths
    listings: set[str] = field(default_factory=set)  # e.g. "fonts", "layouts:choc"
    fields: set[str] = field(default_factory=set)  # e.g. "message", "stat.value"

    def as_dict(self, root: Path) -> dict[str, list[str]]:
        """For the manifest: files relative to the project, everything sorted."""

        def rel(path: str) -> str:
            try:
                return str(Path(path).relative_to(root))
            except ValueError:
                return path

        return {
            "files": sorted(rel(f) for f in self.files),
            "listings": sorted(self.listings),
            "fields": sorted(self.fields),
        }

    @classmethod
    def from_dict(cls, data: object, root: Path) -> Reads | None:
        """The manifest's record back; None when it is missing or malformed (the job is rebuilt)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls({str(root / f) for f in data["files"]}, set(data["listings"]), set(data["fields"]))
        except (KeyError, TypeError):
            return None


_reads: ContextVar[Reads | None] = ContextVar("reads", default=None)


@contextmanager
def recording() -> Iterator[Reads]:
    """Collect what the code run inside reads (nested recordings each get their own)."""
    reads = Reads()
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


def record_file(path: Path | str) -> None:
    reads = _reads.get()
    if reads is not None:
        reads.files.add(str(path))


def record_listing(kind: str) -> None:
    reads = _reads.get()
    if reads is not None:
        reads.listings.add(kind)


def record_field(name: str) -> None:
    reads = _reads.get()
    if reads is not None:
        reads.fields.add(name)
