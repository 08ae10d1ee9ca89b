"""Project files → their content digests, memoised per (path, mtime, size): a rebuild hashes only what changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path | None) -> str | None:
    """SHA-256 of a file's bytes; None for no path or a file that cannot be read."""
    try:
        st = path.stat() if path else None
    except OSError:
        return None
    if st is None or path is None:
        return None
    memo = (str(path), st.st_mtime_ns, st.st_size)
    if memo not in _digests:
        try:
            _digests[memo] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
    return _digests[memo]
