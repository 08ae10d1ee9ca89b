"""Bytes → a file, written atomically and durably: readers never see half a file, and a power cut
leaves either the old file or the new one.

Used for build outputs (batch/) and for edits written back into a campaign's own files
(project/roundtrip.py), so it sits at the lowest layer that does I/O. A file that cannot be written
(a full disk, a read-only folder) is a `PosterError` whose diagnostic has check `output`: the command
line says it in one line and exits 1 (outputs not written), not 2 (bad input); the temporary is
removed, the previous file (if any) is left as it was.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from poster_engine.core.diagnostics import Diagnostic, PosterError

OUTPUT_CHECK = "output"  # the check id of a file the engine could not write

_UMASK = os.umask(0)
os.umask(_UMASK)  # read once at import: os.umask can only be read by setting it

# What an OSError while writing means for the person building, and what to do about it.
_WHY = {
    errno.ENOSPC: ("no space left on the device", "free some space or build into another folder with --out"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or build into another folder with --out"),
    errno.EROFS: ("the file system is read-only", "build into another folder with --out"),
    errno.EACCES: ("permission denied", "make the folder writable or build into another folder with --out"),
    errno.EPERM: ("permission denied", "make the folder writable or build into another folder with --out"),
    errno.ENOTDIR: ("a file stands where a folder is needed", "remove it or build into another folder with --out"),
    errno.EEXIST: ("a file stands where a folder is needed", "remove it or build into another folder with --out"),
    errno.EISDIR: ("a folder stands where the file goes", "remove it or build into another folder with --out"),
}


def not_written(path: Path, exc: OSError) -> PosterError:
    """The located one-line error for an output `path` that `exc` stopped."""
    what, fix = _WHY.get(exc.errno or 0, (exc.strerror or type(exc).__name__, "check the output folder"))
    return PosterError(Diagnostic(f"cannot write this file: {what}; {fix}", str(path), check=OUTPUT_CHECK))


def _fsync_folder(folder: Path) -> None:
    """Make a rename (or a new entry) in `folder` durable: POSIX syncs names with their folder."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # a platform without folder descriptors (Windows): the rename is all there is
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):  # folders that cannot be synced (some FUSE)
            raise
    finally:
        os.close(fd)


def _make_folders(folder: Path, made: list[Path]) -> None:
    """mkdir -p, each new folder's entry synced in its parent (a new build/ survives a power cut);
    the folders it made are appended to `made`, outermost first."""
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        made.append(new)
        _fsync_folder(new.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync it, rename it over `path`, fsync the folder."""
    tmp: str | None = None
    made: list[Path] = []
    try:
        _make_folders(path.parent, made)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes on the disk before the name points at them
        # mkstemp creates 0600 files; outputs are shared deliverables, so use the usual umask'd mode.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
        tmp, made = None, []
        _fsync_folder(path.parent)
    except OSError as exc:
        raise not_written(path, exc) from None
    finally:
        # Not written: no temporary, and no folder made for it, is left behind.
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        for new in reversed(made):
            try:
                new.rmdir()
            except OSError:  # another writer put a file in it meanwhile: it stays
                pass
