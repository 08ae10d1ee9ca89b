"""Bytes → files in the build folder, written atomically and durably: readers never see half a
file, and a power cut leaves either the old file or the new one.

A file that cannot be written (a full disk, a read-only folder) is a `PosterError` whose diagnostic
has check `output`: the command line says it in one line and exits 1 (outputs not written), not 2
(bad input); the temporary is removed, the previous file (if any) is left as it was.
"""

from __future__ import annotations

from pathlib import Path

from poster_engine.project.atomic import OUTPUT_CHECK, Batch, not_written, write_atomic

__all__ = ["OUTPUT_CHECK", "Batch", "clean_stale_temporaries", "not_written", "write_atomic"]


def clean_stale_temporaries(out_dir: Path) -> None:
    """A build killed mid-write (SIGKILL, power cut) leaves `.NAME.*.tmp` files: never outputs, removed here."""
    try:
        for tmp in out_dir.rglob(".*.tmp") if out_dir.is_dir() else ():
            tmp.unlink(missing_ok=True)
    except OSError:  # a read-only build folder: its first write says so, with the file
        pass
