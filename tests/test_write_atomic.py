"""Outputs are written atomically (project/atomic.py, through batch/outputs.py): a reader sees the old file or the new one, never
half of one. Deterministic: the failure is injected, not raced."""

from __future__ import annotations

import builtins
import errno
import io
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from poster_engine.batch.outputs import clean_stale_temporaries, write_atomic
from poster_engine.core.diagnostics import PosterError
from poster_engine.project import atomic

OLD, NEW = b"old poster " * 1000, b"new poster " * 3000

# Every file opened for writing in a watched folder, by the "open" audit event (builtins.open,
# io.open, os.open and so mkstemp all raise it). An audit hook cannot be removed: it only records
# while a test sets `_watched`.
_watched: list[Path] = []
_opened: list[tuple[str, Any, int]] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _watched:
        path, mode, flags = args
        if isinstance(path, (str, bytes, os.PathLike)) and set(Path(os.fsdecode(path)).parents) & set(_watched):
            _opened.append((os.fsdecode(path), mode, flags))


sys.addaudithook(_audit)


@pytest.fixture
def watch(tmp_path):
    _watched.append(tmp_path)
    _opened.clear()
    yield _opened
    _watched.remove(tmp_path)


def _writes(opened: list[tuple[str, Any, int]]) -> list[str]:
    """The paths opened for writing (by mode, or by os.open flags)."""
    out = []
    for path, mode, flags in opened:
        if mode is not None and any(c in mode for c in "wax+"):
            out.append(path)
        elif mode is None and flags & (os.O_WRONLY | os.O_RDWR):
            out.append(path)
    return out


def test_the_final_path_is_never_opened_for_writing(tmp_path, watch):
    target = tmp_path / "a3.pdf"
    target.write_bytes(OLD)
    watch.clear()
    write_atomic(target, NEW)
    assert target.read_bytes() == NEW
    written = _writes(watch)
    assert written and str(target) not in written, written  # something was written, never the output itself
    (tmp,) = written
    assert Path(tmp).name.startswith(".a3.pdf.") and tmp.endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a3.pdf"]


def test_a_build_writes_every_output_through_a_temporary(demo, tmp_path, watch):
    """build(): every file opened for writing in the build folder is a `.NAME.*.tmp`, and each
    output ends up complete (the PDF, the PNG, their alt texts, manifest and gallery)."""
    from poster_engine.batch.build import build
    from poster_engine.plan import plan_jobs

    report = build(demo, plan_jobs(demo, ["stat-cobalt"], ["a3", "instagram"]), tmp_path, contact=False)
    assert not report.errors and len(report.built) == 2
    written = _writes(watch)
    assert len(written) >= 6
    assert all(Path(p).name.startswith(".") and p.endswith(".tmp") for p in written), written
    outputs_ = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {"stat-cobalt/a3.pdf", "stat-cobalt/instagram.png", "manifest.json", "index.html"} <= outputs_
    assert not any(Path(p).name.endswith(".tmp") for p in outputs_)
    assert (tmp_path / "stat-cobalt" / "a3.pdf").read_bytes().rstrip().endswith(b"%%EOF")


class _HalfThenFull(io.RawIOBase):
    """A file whose first write stores half the bytes, then fails as a full disk would."""

    def __init__(self, real):
        self.real = real

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self.real.close()
        super().close()

    def fileno(self) -> int:
        return self.real.fileno()


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """Every file opened for writing in tmp_path, however it is opened (open, io.open, os.fdopen,
    Path.write_bytes), gets half of what is written, then ENOSPC."""
    real_open = io.open

    def failing_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        name = handle.name if isinstance(handle.name, str) else None
        fd_path = os.readlink(f"/proc/self/fd/{handle.fileno()}") if name is None else name
        if any(c in mode for c in "wax+") and Path(fd_path).parent == tmp_path:
            return _HalfThenFull(handle)
        return handle

    monkeypatch.setattr(io, "open", failing_open)
    monkeypatch.setattr(builtins, "open", failing_open)


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path, full_disk):
    target = tmp_path / "a3.pdf"
    target_fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o644)  # os.open: the disk is "full" for open()
    os.write(target_fd, OLD)
    os.close(target_fd)
    with pytest.raises(PosterError) as exc:  # one located line (batch/outputs.py), exit 1 in the CLI
        write_atomic(target, NEW)
    assert "no space left on the device" in str(exc.value)
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a3.pdf"]  # no half-written temporary left


def test_a_failed_rename_leaves_the_previous_file_and_no_partial_one(tmp_path, monkeypatch):
    target = tmp_path / "a3.pdf"
    target.write_bytes(OLD)

    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", refused)
    with pytest.raises(PosterError, match="permission denied"):
        write_atomic(target, NEW)
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a3.pdf"]


def test_new_file_gets_the_usual_mode_and_missing_folders(tmp_path):
    """mkstemp makes 0600 files; outputs are shared deliverables: 0666 minus the umask."""
    target = tmp_path / "choc-cobalt" / "a3.pdf"
    previous = os.umask(0o027)
    try:
        write_atomic(target, NEW)
    finally:
        os.umask(previous)
    assert target.read_bytes() == NEW
    # The module reads the umask once at import, as the process had it then.
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~atomic._UMASK


def test_stale_temporaries_are_removed_and_outputs_kept(tmp_path):
    (tmp_path / "p").mkdir()
    stale = [tmp_path / ".a3.pdf.x1y2.tmp", tmp_path / "p" / ".instagram.png.abc.tmp"]
    kept = [tmp_path / "a3.pdf", tmp_path / "p" / "notes.tmp", tmp_path / "p" / ".hidden"]
    for path in stale + kept:
        path.write_bytes(b"x")
    clean_stale_temporaries(tmp_path)
    assert [p.exists() for p in stale] == [False, False]
    assert [p.exists() for p in kept] == [True, True, True]
    clean_stale_temporaries(tmp_path / "missing")  # no build folder yet: nothing to do


@pytest.mark.parametrize("syncfs", [True, False], ids=["syncfs", "fsync-per-file"])
def test_a_batch_names_nothing_before_its_commit_then_everything_synced(tmp_path, monkeypatch, watch, syncfs):
    """A build's batch (atomic.Batch): the bytes go to temporaries at once; no final name exists
    until the commit, which syncs the data before naming anything and the names after."""
    calls: list[str] = []
    real_syncfs, real_fsync, real_replace = atomic._syncfs, os.fsync, os.replace
    monkeypatch.setattr(atomic, "_syncfs", lambda f: calls.append("syncfs") or (syncfs and real_syncfs(f)))
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: calls.append("rename") or real_replace(a, b))
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "instagram.png").write_bytes(OLD)
    watch.clear()
    batch = atomic.Batch()
    files = {
        tmp_path / f"r{i}" / name: NEW + name.encode() for i in range(3) for name in ("instagram.png", "x.alt.txt")
    }
    for path, data in files.items():
        batch.write(path, data)
    assert (tmp_path / "r1" / "instagram.png").read_bytes() == OLD and not (tmp_path / "r0" / "x.alt.txt").exists()
    assert calls == [] and len(batch) == 6
    batch.commit()
    assert all(path.read_bytes() == data for path, data in files.items())
    assert not list(tmp_path.rglob("*.tmp")) and len(batch) == 0
    assert all(Path(p).name.endswith(".tmp") for p in _writes(watch))
    first_rename = calls.index("rename")
    assert set(calls[:first_rename]) == ({"syncfs"} if syncfs else {"syncfs", "fsync"})  # data first
    assert calls[first_rename + 5] == "rename" and calls[first_rename + 6 :]  # then the names
    if not syncfs:
        assert calls[:first_rename].count("fsync") == 6


def test_a_failed_batch_commit_names_nothing_half_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "r1" / "instagram.png"
    target.parent.mkdir()
    target.write_bytes(OLD)
    batch = atomic.Batch()
    batch.write(target, NEW)
    batch.write(tmp_path / "r2" / "instagram.png", NEW)

    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", refused)
    with pytest.raises(PosterError, match="permission denied"):
        batch.commit()
    assert target.read_bytes() == OLD
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["r1", "r1/instagram.png"]
