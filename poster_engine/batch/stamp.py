"""A build that ended well → a stamp of it; a later `poster build` of the same selection whose
every recorded stat still holds has nothing to do, and knows it without opening the project (no
pydantic, no YAML, no layouts, no keys): docs/performance.md §16.

Stamps are kept in the user cache directory (`stamps/`, one file per output folder, project/
workcache.py; `POSTER_CACHE_DIR=off` turns them off), not in the output folder: two builds of the
same inputs leave byte-identical folders, and a published build/ holds no paths of this machine.

The stamp of a selection (the normalised command options that choose and shape the outputs)
records, as stat records (project/stamps.py):
- the inputs: messages.yaml, project.yaml and every folder and file below posters/, layouts/,
  fonts/, visuals/ and data/, plus any other file a job read (the manifest's `reads`), each with
  the SHA-256 of its bytes, so a touched but unchanged file still holds;
- the engine: every source file and folder of the package, the interpreter, the folders of
  installed libraries and the system's libcairo (what the keys' engine fingerprint is made of);
- the outputs: every folder and file below the output folder (a deleted, edited or added file,
  a stale temporary, a missing contact sheet: anything the full way would act on).
Anything else — another selection, `--data`, `--force`, `--scheduler`, a print profile that needs
Ghostscript, a racy file — goes the full way, which checks every job's key as before.
"""

from __future__ import annotations

import json
import os

from poster_engine.project.stamps import digest, dirs_hold, files_hold, python_environment, racy, stat_of, walk

TYPE_CHECKING = False  # typing itself costs more than a no-op build's whole check
if TYPE_CHECKING:
    from typing import Any

    from poster_engine.plan import Job
    from poster_engine.project.loader import Project

KEEP = 8  # selections remembered per output folder (`-p a`, then `-p b`, then all)
INPUT_FOLDERS = ("posters", "layouts", "fonts", "visuals", "data")
ROOT_FILES = ("messages.yaml", "project.yaml")
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE_FILES = (".py", ".html", ".icc")  # what the engine fingerprint hashes (render/keys.py)


def selection(
    root: str,
    out_dir: str,
    posters: list[str],
    formats: list[str],
    langs: list[str],
    image_format: str | None,
    shard: str | None,
    print_profile: str,
) -> dict[str, Any]:
    """The options that choose and shape a build's outputs, as the command line gave them (order
    kept: a reordered list is another selection), with the project and output folders resolved."""
    return {
        "root": root,
        "out": out_dir,
        "posters": list(posters),
        "formats": list(formats),
        "langs": list(langs),
        "image_format": image_format,
        "shard": shard,
        "print_profile": print_profile,
    }


def inputs_now(root: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stat records of the project's content (no hashes): taken before a build and again after it."""
    dirs: dict[str, Any] = {}
    files: dict[str, Any] = {os.path.join(root, name): stat_of(os.path.join(root, name)) for name in ROOT_FILES}
    for name in INPUT_FOLDERS:
        more_dirs, more_files = walk(os.path.join(root, name))
        dirs.update(more_dirs)
        files.update(more_files)
    return dirs, files


def engine_now() -> dict[str, Any]:
    """Stat records of the engine's own files and folders (a folder's mtime changes when a file is
    added to or removed from it) and of the Python environment."""
    files: dict[str, Any] = python_environment()
    for folder, subdirs, names in os.walk(PACKAGE):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        files[folder] = stat_of(folder)
        files.update(
            (os.path.join(folder, n), stat_of(os.path.join(folder, n))) for n in names if n.endswith(ENGINE_FILES)
        )
    return files


def _libcairo() -> str | None:
    """The libcairo this process drew with (the keys record its version), from the process's
    memory map; None where there is no such map (the stamp is then not written)."""
    from poster_engine.render.keys import engine_fingerprint

    engine_fingerprint()  # loads libcairo if nothing has yet
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if os.path.basename(path).startswith("libcairo.so"):
                    return path
    except OSError:
        pass
    return None


def stamp_file(out_dir: str):
    """Where the stamps of the builds into `out_dir` are kept; None when the cache is off. Named by
    the folder's CRC-32: two folders sharing a name only take each other's place (every stamp
    names its own folder)."""
    import zlib

    from poster_engine.project.workcache import cache_dir

    root = cache_dir()
    return None if root is None else root / "stamps" / f"{zlib.crc32(out_dir.encode()):08x}.json"


def _read(out_dir: str) -> list[dict[str, Any]]:
    from poster_engine.project.workcache import read_entry

    path = stamp_file(out_dir)
    try:
        stamps = json.loads(read_entry(path) or b"") if path else []
        return [s for s in stamps if isinstance(s, dict) and s.get("selection", {}).get("out") == out_dir]
    except (ValueError, TypeError, AttributeError):
        return []


def _write(out_dir: str, stamps: list[dict[str, Any]]) -> None:
    """Replace the stamps of `out_dir` whole (a reader sees the old ones or the new ones); a cache
    that cannot be written only means no quick answer next time."""
    from poster_engine.project.workcache import write_entry

    path = stamp_file(out_dir)
    if path is not None:
        write_entry(path, json.dumps(stamps[:KEEP], separators=(",", ":")).encode())


def record(
    project: Project,
    jobs: list[Job],
    out_dir: str,
    chosen: dict[str, Any],
    started_ns: int,
    before: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """After a build of `jobs` that wrote, failed and rejected nothing wrong: stamp it. `before`
    is `inputs_now` taken at `started_ns`, before the project was opened; a project changed since,
    or within a tick of the file system's clock before it (project/stamps.py), is not stamped."""
    from pathlib import Path

    from poster_engine.batch.manifest import read_manifest

    root = chosen["root"]
    dirs, files = inputs_now(root)
    if (dirs, files) != before:
        return  # an input changed while it was being built: the next build looks at every key
    manifest = read_manifest(Path(out_dir) / "manifest.json", {job.output for job in jobs})
    extra: set[str] = set()
    for job in jobs:
        entry = manifest.get(job.output)
        reads = entry.get("reads") if entry else None
        if not isinstance(reads, dict) or entry is None or entry.get("key") is None:
            return
        if job.format.medium == "print" and project.print_settings.profile.pdfx != "4":
            return  # Ghostscript's version is part of the key: no quick answer for those
        extra.update(os.path.join(root, f) for f in reads.get("files", ()))
    files.update((path, stat_of(path)) for path in sorted(extra - files.keys()))
    cairo = _libcairo()
    if cairo is None:
        return
    engine_files = engine_now()
    engine_files[cairo] = stat_of(cairo)
    if racy([*files.values(), *engine_files.values()], started_ns):
        return
    old = {p: r for s in _read(out_dir) for p, r in s.get("inputs", {}).get("files", {}).items()}
    for path, rec in files.items():
        if rec is not None:  # the bytes' digest: kept from the last stamp while the stat holds
            kept = old.get(path)
            files[path] = [*rec, kept[4] if kept and kept[:4] == rec and len(kept) > 4 else digest(path)]
    out_dirs, out_files = walk(out_dir)
    stamp = {
        "selection": chosen,
        "up_to_date": len(jobs),
        "inputs": {"dirs": dirs, "files": files},
        "engine": engine_files,
        "outputs": {"dirs": out_dirs, "files": out_files},
    }
    _write(out_dir, [stamp, *(s for s in _read(out_dir) if s.get("selection") != chosen)])


def check(chosen: dict[str, Any]) -> int | None:
    """How many outputs a build of `chosen` would find up to date when the stamp of that selection
    still holds in every record; None when the build must go the full way."""
    out_dir = chosen["out"]
    stamps = _read(out_dir)
    stamp = next((s for s in stamps if s.get("selection") == chosen), None)
    if stamp is None:
        return None
    try:
        engine, inputs, outputs = stamp["engine"], stamp["inputs"], stamp["outputs"]
        if files_hold(engine) is not True:
            return None
        if not (dirs_hold(inputs["dirs"]) and files_hold(outputs["files"]) is True):
            return None
        if not dirs_hold(outputs["dirs"]):
            return None
        held = files_hold(inputs["files"])
        if held is False:
            return None
        if held is None:  # touched but unchanged: record today's stats so the next look is stat-only
            _refresh(out_dir, stamps, stamp)
        return int(stamp["up_to_date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _refresh(out_dir: str, stamps: list[dict[str, Any]], stamp: dict[str, Any]) -> None:
    import time

    files = stamp["inputs"]["files"]
    for path, rec in files.items():
        now = stat_of(path)
        if rec is not None and now is not None and now != rec[:4]:
            if racy([now], time.time_ns()):
                return  # it may change again within its tick: keep hashing it
            files[path] = [*now, rec[4]]
    _write(out_dir, stamps)
