"""(kind, key parts) → bytes of pure work, kept on disk: shared by every process and every run.

Photo work — cropping and resampling a visual, converting it to a CMYK JPEG — depends only on its
inputs and the code that does it, and is most of a cold print job (docs/performance.md §15). It is
stored under the user cache directory (`$POSTER_CACHE_DIR`, else `$XDG_CACHE_HOME/poster-engine`,
else `~/.cache/poster-engine`; `POSTER_CACHE_DIR=off` turns it off), one file per entry named by the
SHA-256 of what it depends on, written atomically, and pruned oldest first beyond `LIMIT_BYTES`.
A missing, unreadable or read-only folder only means the work is done again. The command line's
cached help texts live there too (cli/helptext.py): hashlib and tempfile are imported where they
are used, so that `poster --help` reads its entry without them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

LIMIT_BYTES = 512 * 1024 * 1024
PRUNE_EVERY = 32  # writes between two looks at the folder's size (a look lists every entry)
_writes = [0]


def cache_dir() -> Path | None:
    own = os.environ.get("POSTER_CACHE_DIR")
    if own is not None:
        return None if own.strip().lower() in ("", "off", "0", "none") else Path(own)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "poster-engine"


@lru_cache(maxsize=8)
def source_digest(*files: str) -> str:
    """SHA-256 of source files (a module's `__file__`): its entries are keyed by the code that made them."""
    import hashlib

    h = hashlib.sha256()
    for name in files:
        h.update(Path(name).read_bytes())
    return h.hexdigest()


def cached(kind: str, key: tuple, make: Callable[[], bytes]) -> bytes:
    """The bytes `make()` returns for `key` (a tuple whose repr says everything they depend on),
    from disk when a process or an earlier run already made them."""
    import hashlib

    root = cache_dir()
    if root is None:
        return make()
    name = hashlib.sha256(repr((kind, key)).encode()).hexdigest()
    path = root / kind / name[:2] / name
    data = read_entry(path)
    if data is not None:
        return data
    data = make()
    if write_entry(path, data):
        _writes[0] += 1
        if _writes[0] % PRUNE_EVERY == 1:
            prune(root)
    return data


def read_entry(path: Path) -> bytes | None:
    """An entry's bytes, marked as recently used (pruned last); None when there is none."""
    try:
        data = path.read_bytes()
        os.utime(path)
        return data
    except OSError:
        return None


def write_entry(path: Path, data: bytes) -> bool:
    """Store an entry whole (readers see all of it or nothing); False when it cannot be written."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        return False
    return True


def prune(root: Path, limit: int = LIMIT_BYTES) -> None:
    """Remove the least recently used entries until the folder holds at most 80 % of `limit`."""
    entries = []
    for path in root.rglob("*"):
        try:
            st = path.stat()
        except OSError:
            continue
        if path.is_file():
            entries.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return
    for _, size, path in sorted(entries, key=lambda e: e[0]):
        if total <= 0.8 * limit:
            break
        try:
            path.unlink()
            total -= size
        except OSError:
            pass
