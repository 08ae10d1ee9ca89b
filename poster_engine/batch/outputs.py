"""Bytes → files in the build folder, written atomically: readers never see half a file."""

from __future__ import annotations

from pathlib import Path

from poster_engine.project.atomic import write_atomic

__all__ = ["clean_stale_temporaries", "write_atomic"]


def clean_stale_temporaries(out_dir: Path) -> None:
    """A build killed mid-write (SIGKILL, power cut) leaves `.NAME.*.tmp` files: never outputs, removed here."""
    if out_dir.is_dir():
        for tmp in out_dir.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)
