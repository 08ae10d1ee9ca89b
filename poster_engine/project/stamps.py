"""Files, folders and the Python environment → stat records, and whether they still hold.

How a command with nothing to do knows it without opening the project, as make, Ninja and git's
index do: a file's record is (size, mtime_ns, ctime_ns, inode) and, where the bytes matter, their
SHA-256; a file whose stat changed is hashed and still holds when its bytes did not (a `touch`, a
checkout). A folder's record is its sorted listing. Light on purpose (os and sys only): the quick
paths of the command line import it before anything else.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing and collections.abc cost more than this module's whole work
if TYPE_CHECKING:
    from collections.abc import Iterable

# A file changed less than one tick of the file system's clock before a stamp was taken may change
# again within that tick without its stat changing (git's "racily clean" entries): such a stamp is
# not written. Linux stamps files from its coarse clock (a tick of at most 10 ms); a time in whole
# seconds says a coarser file system (FAT's mtime has a 2 s tick).
FINE_TICK_NS = 20_000_000
COARSE_TICK_NS = 2_000_000_000


def stat_of(path: str) -> list[int] | None:
    """(size, mtime_ns, ctime_ns, inode) of what `path` leads to; None when there is nothing there."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def listing(path: str) -> list[str] | None:
    """The names in a folder, sorted; None when it is not a folder one can list."""
    try:
        return sorted(os.listdir(path))
    except (OSError, ValueError):
        return None


def walk(top: str) -> tuple[dict[str, list[str] | None], dict[str, list | None]]:
    """Every folder's listing and every file's stat below `top`; a link is recorded as a file (its
    target's stat), a linked folder is not entered (what a job reads through it is recorded by
    path, as an extra file)."""
    dirs: dict[str, list[str] | None] = {}
    files: dict[str, list | None] = {}
    todo = [top]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except (OSError, ValueError):
            dirs[folder] = None
            continue
        dirs[folder] = sorted(e.name for e in entries)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                todo.append(entry.path)
            else:
                files[entry.path] = stat_of(entry.path)
    return dirs, files


def python_environment() -> dict[str, list[int] | None]:
    """The interpreter and the folders that hold installed distributions: installing, upgrading or
    removing a library adds or removes a `*.dist-info` folder there, which changes the folder's
    mtime (the engine's fingerprint reads library versions from those folders)."""
    places = [sys.executable, *(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))]
    return {p: stat_of(p) for p in places}


def racy(records: Iterable[list[int] | None], since_ns: int) -> bool:
    """Whether any of these files changed too close to `since_ns` for its stat to be trusted."""
    return any(
        t >= since_ns - (COARSE_TICK_NS if t % 1_000_000_000 == 0 else FINE_TICK_NS)
        for r in records
        if r is not None
        for t in (r[1], r[2])
    )


def digest(path: str) -> str | None:
    """SHA-256 of a file's bytes (hashlib is imported here, on a stat change only: it costs)."""
    from pathlib import Path

    from poster_engine.project.files import file_digest

    return file_digest(Path(path))


def files_hold(recorded: dict[str, list | None]) -> bool | None:
    """Whether every recorded file is as recorded (a record: its stat, then its SHA-256 or None).
    True when every stat matches; None when some stat changed but each such file has a SHA-256
    and still has those bytes (the record is worth refreshing); False otherwise."""
    touched = False
    for path, record in recorded.items():
        now = stat_of(path)
        if record is None or now is None:
            if now != record:
                return False
            continue
        if now == record[:4]:
            continue
        if len(record) < 5 or record[4] is None or digest(path) != record[4]:
            return False
        touched = True
    return None if touched else True


def dirs_hold(recorded: dict[str, list[str] | None]) -> bool:
    """Whether every recorded folder lists the same names."""
    return all(listing(path) == names for path, names in recorded.items())
