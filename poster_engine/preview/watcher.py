"""Saved project files → the set of changed sources the preview re-renders for (editors' temporaries ignored)."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

WATCHED_DIRS = ("posters", "layouts", "visuals", "fonts")


# ---------------------------------------------------------------------------------------------
# Watching: which saved files matter


def is_source(path: Path, root: Path) -> bool:
    """A saved file the posters can depend on; editors' swap, backup and temporary files are not."""
    name = path.name
    if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp", ".part")):
        return False
    try:
        rel = path.resolve().relative_to(root)
    except (OSError, ValueError):
        return False
    if len(rel.parts) == 1:
        return rel.suffix in (".yaml", ".yml")
    return rel.parts[0] in WATCHED_DIRS


def watch_sources(paths: list[Path], recursive: bool, root: Path, out: queue.Queue, stop: threading.Event) -> None:
    import watchfiles

    # step: yield 30 ms after the last change of a burst (an editor's save is several events);
    # debounce: never hold changes longer than 300 ms.
    for changes in watchfiles.watch(
        *paths, recursive=recursive, stop_event=stop, debounce=300, step=30, raise_interrupt=False
    ):
        relevant = {Path(p) for _, p in changes if is_source(Path(p), root)}
        if relevant:
            out.put(relevant)
