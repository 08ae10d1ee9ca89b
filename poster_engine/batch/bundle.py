"""A project folder → one content-addressed archive of the files a build reads, and back into a folder on a worker.

Cluster workers share nothing with the client but the engine (docs/cluster.md): the client packs
the project's inputs into a bundle and each worker unpacks it once into a cache folder named by
its hash. The archive is deterministic (sorted paths, fixed metadata: no dates, owners or modes),
so the same files always give the same hash and a worker that already has it is sent nothing. It is
not compressed: fonts and photos are compressed already, and gzip saved a third of the demo's bytes
for 0.3–0.5 s of the client's time on every build (sent at 1 Gbit/s, the whole bundle takes 40 ms).

Only what a build can read is packed: `messages.yaml`, `project.yaml`, `posters/`, `layouts/`
(templates and their sidecar files), `fonts/`, `visuals/`, `data/`, `icc/`, and the visual or
data file a poster names elsewhere in the project. Never the build folder, never a file outside
the project: a symbolic link that leaves the project is refused, since no worker could follow it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from poster_engine.core.diagnostics import Diagnostic, PosterError

# What `open_project` and a job can read (docs/architecture.md §1), relative to the project.
BUNDLED = ("messages.yaml", "project.yaml", "posters", "layouts", "fonts", "visuals", "data", "icc")
SKIPPED = {"__pycache__", ".git"}  # never read by a build
CACHE_ENV = "POSTER_BUNDLE_CACHE"
STALE_S = 7 * 24 * 3600  # a bundle no worker process opened for a week is removed (docs/cluster.md)
STALE_TMP_S = 3600  # an unpack older than an hour was interrupted (a killed worker)


@dataclass(frozen=True)
class Bundle:
    digest: str  # SHA-256 of the payload: the bundle's name everywhere
    payload: bytes  # the tar archive: what travels
    files: int


def project_files(root: Path, extra: Iterable[str] = ()) -> dict[str, Path]:
    """Project-relative POSIX path → file, for every file a build can read. `extra`: files the
    content names outside the bundled folders (a poster's visual or data file)."""
    root = root.resolve()
    files: dict[str, Path] = {}
    seen: set[Path] = set()
    for name in BUNDLED:
        _collect(root, PurePosixPath(name), files, seen)
    for name in extra:
        rel = PurePosixPath(name)
        if not rel.is_absolute() and ".." not in rel.parts:  # the loader refuses others itself, with their line
            _collect(root, rel, files, seen)
    return files


def _collect(root: Path, rel: PurePosixPath, files: dict[str, Path], seen: set[Path]) -> None:
    path = root / rel
    if path.is_symlink() and not path.resolve().is_relative_to(root):
        raise PosterError(
            Diagnostic(
                f"is a symbolic link to {os.readlink(path)}, outside the project, which cluster workers cannot "
                "see; copy the file into the project",
                str(rel),
            )
        )
    if path.is_dir():
        real = path.resolve()
        if real in seen:  # a link back up the tree, or two links to one folder: pack it once
            return
        seen.add(real)
        for child in sorted(os.listdir(path)):
            if child not in SKIPPED:
                _collect(root, rel / child, files, seen)
    elif path.is_file():
        files[rel.as_posix()] = path


def make_bundle(root: Path, extra: Iterable[str] = ()) -> Bundle:
    """The project's inputs as one deterministic archive (the same files give the same bytes)."""
    files = project_files(root, extra)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(files):
            data = files[rel].read_bytes()
            info = tarfile.TarInfo(rel)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    payload = raw.getvalue()
    return Bundle(hashlib.sha256(payload).hexdigest(), payload, len(files))


# --- on a worker --------------------------------------------------------------------------------


class BundleError(Exception):
    """A bundle that must not be unpacked (corrupt, or a member that would land outside its folder)."""


def cache_dir() -> Path:
    """Where a worker keeps unpacked bundles: $POSTER_BUNDLE_CACHE, else the user's cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "poster-engine" / "bundles"


def cached(digest: str, cache: Path) -> Path | None:
    """The unpacked folder of bundle `digest`, if this machine has it (an unpack is renamed into
    place only once complete, so a folder that exists is whole)."""
    folder = cache / digest
    return folder if folder.is_dir() else None


def unpack(payload: bytes, digest: str, cache: Path) -> Path:
    """Unpack a bundle into `cache/<digest>` unless it is there, and return that folder.

    Safe against a hostile or corrupt archive: the content must hash to `digest`, and only regular
    files with relative paths and no `..` are written, each created anew (never through a link).
    Atomic: it is unpacked into a temporary folder renamed into place, so two tasks (or two worker
    processes sharing the cache) never see half a bundle; the loser of a race keeps the winner's.
    """
    folder = cached(digest, cache)
    if folder is not None:
        return folder
    if hashlib.sha256(payload).hexdigest() != digest:
        raise BundleError(f"bundle {digest[:12]} does not match its hash (corrupted on the way)")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{digest[:16]}.", suffix=".tmp", dir=cache))
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:") as tar:
            for member in tar:
                target = tmp / _member_path(member)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file (checked by _member_path)
                with source, open(target, "xb") as out:  # "x": a duplicate name fails instead of overwriting
                    shutil.copyfileobj(source, out)
        os.rename(tmp, cache / digest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        folder = cached(digest, cache)
        if folder is not None:  # another task renamed the same bundle into place first
            return folder
        raise
    _prune(cache, keep=digest)
    return cache / digest


def _member_path(member: tarfile.TarInfo) -> PurePosixPath:
    """A member's path inside the bundle folder; BundleError for anything but a plain relative file."""
    path = PurePosixPath(member.name)
    if not member.isreg():
        raise BundleError(f"bundle member {member.name!r} is not a regular file")
    if (
        path.is_absolute()
        or not path.parts
        or any(part in ("", ".", "..") for part in path.parts)
        or "\\" in member.name
        or "\0" in member.name
    ):
        raise BundleError(f"bundle member {member.name!r} would be written outside its folder")
    return path


def touch(folder: Path) -> None:
    """Mark a bundle as used (pruning removes the ones unused for a week)."""
    try:
        os.utime(folder)
    except OSError:
        pass


def _prune(cache: Path, keep: str) -> None:
    """Remove bundles no process opened for STALE_S, and unpacks interrupted long ago."""
    now = time.time()
    for entry in cache.iterdir():
        if entry.name == keep or not entry.is_dir():
            continue
        try:
            age = now - entry.stat().st_mtime
        except OSError:
            continue
        if age > (STALE_TMP_S if entry.name.startswith(".") else STALE_S):
            shutil.rmtree(entry, ignore_errors=True)
