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
from collections.abc import Iterable
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


def _make_folders(folder: Path, made: list[Path], sync: bool = True) -> None:
    """mkdir -p, each new folder's entry synced in its parent (a new build/ survives a power cut)
    unless the caller syncs them later; the folders it made are appended to `made`, outermost first."""
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        made.append(new)
        if sync:
            _fsync_folder(new.parent)


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write to a temporary file in the same folder, fsync it, rename it over `path`, fsync the
    folder. `data` may come in pieces (a large manifest, never whole in memory)."""
    tmp: str | None = None
    made: list[Path] = []
    try:
        _make_folders(path.parent, made)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                f.writelines(data)
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


def _syncfs(folder: Path) -> bool:
    """Linux's syncfs(2) on the file system holding `folder`: every dirty page and inode of it on
    the disk, the journal committed. False where there is no syncfs (the caller syncs file by file)."""
    if not hasattr(os, "O_DIRECTORY"):
        return False
    try:
        import ctypes

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)
    return True


class Batch:
    """Files written atomically and durably as a group, for a build's stream of outputs.

    `write` puts the bytes in a temporary beside the file at once (nothing is kept in memory);
    `commit` makes them durable and names them: every temporary's data synced, then each renamed
    over its file, then the names synced. The guarantees of `write_atomic` hold for each file
    (never half a file under its name; after a power cut the old file or the new one), but the
    syncs are paid once a batch instead of twice a file: on Linux one syncfs(2) for the data and
    one for the names (the journal is the file system's), elsewhere an fsync per file and one per
    folder. A folder that cannot be written raises the same located error as `write_atomic`, at
    `write` or at `commit`; `abort` (also called by a failed commit) removes what was not named."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, Path]] = []  # (temporary, file), written, not yet named
        self.made: list[Path] = []  # folders made for them, outermost first

    def __len__(self) -> int:
        return len(self.pending)

    def write(self, path: Path, data: bytes) -> None:
        tmp: str | None = None
        made: list[Path] = []
        try:
            _make_folders(path.parent, made, sync=False)  # synced with the names, at commit
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o666 & ~_UMASK)
            self.pending.append((tmp, path))
            self.made += made
            tmp, made = None, []
        except OSError as exc:
            raise not_written(path, exc) from None
        finally:
            # Not written: no temporary, and no folder made for it, is left behind.
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            _remove_empty(made)

    def commit(self) -> None:
        if not self.pending:
            _remove_empty(self.made)
            self.made = []
            return
        roots = {path.parent for _, path in self.pending} | {new.parent for new in self.made}
        path = self.pending[0][1]
        try:
            # One file system (a mount point inside the build folder would need its own syncfs).
            synced = len({os.stat(folder).st_dev for folder in roots}) == 1 and _syncfs(path.parent)
            if not synced:
                for tmp, _ in self.pending:
                    fd = os.open(tmp, os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
            for named, (tmp, path) in enumerate(self.pending):
                try:
                    os.replace(tmp, path)
                except OSError:
                    del self.pending[:named]
                    raise
            self.pending, self.made = [], []
            if not (synced and _syncfs(path.parent)):
                for folder in sorted(roots, key=lambda p: -len(p.parts)):
                    _fsync_folder(folder)
        except OSError as exc:
            self.abort()
            raise not_written(path, exc) from None

    def abort(self) -> None:
        """Remove the temporaries not yet named, and the folders made for them if left empty."""
        for tmp, _ in self.pending:
            Path(tmp).unlink(missing_ok=True)
        self.pending = []
        _remove_empty(self.made)
        self.made = []


def _remove_empty(made: list[Path]) -> None:
    """Remove the folders in `made` (outermost first) that are still empty, innermost first."""
    for new in reversed(made):
        try:
            new.rmdir()
        except OSError:  # a file was named in it, or another writer's
            pass
