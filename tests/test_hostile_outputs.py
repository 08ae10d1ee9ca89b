"""Hostile conditions on the way out (issue 14, items 3 and 4): nothing written for a broken poster
(contact sheets and gallery previews included, no build/ when every row is rejected), outputs
synced to the disk before they are renamed and their folder after, a full disk and a read-only
build folder as one located line with exit 1 and nothing partial left, and workers that die with
their build (kill -9 of `poster build -j 2`).

The file-system faults are real: a tmpfs mounted small (full) or read-only, and a folder without
write permission for a build run as `nobody`. They need root (skipped otherwise).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from conftest import ROOT
from test_bad_inputs import run_inprocess, write

from poster_engine.batch import outputs
from poster_engine.batch.outputs import write_atomic
from poster_engine.core.diagnostics import PosterError
from poster_engine.project import atomic

BROKEN_VISUAL = write("visuals/mine.svg", '<svg xmlns="http://www.w3.org/2000/svg"><rect')
BROKEN_LINE = "error: visuals/mine.svg:1: invalid SVG/XML: unclosed token: line 1, column 40"


@pytest.fixture
def demo(scratch: Path) -> Path:
    """The scratch copy of the demo with its data table (a poster without it is rejected)."""
    shutil.copytree(ROOT / "data", scratch / "data")
    return scratch


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --- nothing written for a broken poster ----------------------------------------------------------


def test_a_broken_poster_gets_no_contact_sheet_and_no_preview(demo, capsys):
    BROKEN_VISUAL(demo)
    code, err = run_inprocess(
        ("build", "-p", "choc-cobalt", "-p", "stat-cobalt", "-f", "instagram", "-j", "1"), demo, capsys
    )
    assert code == 1, err
    assert BROKEN_LINE in err.splitlines()
    built = _files(demo / "build")
    assert not [f for f in built if f.startswith("choc-cobalt")], built  # no contact.png, no preview
    assert "stat-cobalt/contact.png" in built and "stat-cobalt/instagram.png" in built
    assert "choc-cobalt" not in (demo / "build" / "index.html").read_text(encoding="utf-8")


def test_a_build_where_every_job_fails_leaves_no_build_folder(demo, capsys):
    BROKEN_VISUAL(demo)
    code, err = run_inprocess(("build", "-p", "choc-cobalt", "-j", "1"), demo, capsys)
    assert code == 1, err
    assert not (demo / "build").exists(), _files(demo / "build")  # no manifest, no gallery


def test_a_build_where_every_row_is_rejected_leaves_no_build_folder(demo, capsys):
    write("data/screenings.csv", "id,host,date,time,room,url\nA B,x,y,z,w,https://example.org/a\n")(demo)
    code, err = run_inprocess(("build", "-p", "seance", "-f", "instagram", "-j", "1"), demo, capsys)
    assert code == 2, err
    assert (
        "error: data/screenings.csv:2: row 1: id 'a b' must be lower-case letters, digits and '-'; fix the id column"
        in err.splitlines()
    )
    assert not (demo / "build").exists(), _files(demo / "build")


def test_a_file_where_the_build_folder_goes_is_one_line_exit_1(demo, capsys):
    (demo / "build").write_text("not a folder\n")
    code, err = run_inprocess(("build", "-p", "stat-cobalt", "-f", "instagram", "-j", "1"), demo, capsys)
    assert code == 1, err
    assert err.splitlines() == [
        f"error: {demo}/build/stat-cobalt/instagram.png: cannot write this file: a file stands where a folder is "
        "needed; remove it or build into another folder with --out"
    ]
    assert (demo / "build").read_text() == "not a folder\n"


# --- durable writes -----------------------------------------------------------------------------------


def test_the_file_is_synced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append(("rename", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    target = tmp_path / "new" / "a3.pdf"
    write_atomic(target, b"%PDF-1.6")
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync", "fsync", "rename", "fsync"], events
    # The new folder's entry in its parent, the temporary's bytes, then the rename, then the folder.
    assert events[0][1] == str(tmp_path)
    assert Path(events[1][1]).parent == target.parent and Path(events[1][1]).name.endswith(".tmp")
    assert events[2:] == [("rename", str(target)), ("fsync", str(target.parent))]


def test_a_failed_write_is_one_located_error_and_leaves_no_folder_it_made(tmp_path, monkeypatch):
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    target = tmp_path / "build" / "choc-cobalt" / "a3.pdf"
    with pytest.raises(PosterError) as exc:
        write_atomic(target, b"%PDF-1.6")
    assert str(exc.value) == (
        f"{target}: cannot write this file: no space left on the device; free some space or build into another "
        "folder with --out"
    )
    assert exc.value.diagnostics[0].check == outputs.OUTPUT_CHECK
    assert _files(tmp_path) == []  # no temporary, no build/ nor build/choc-cobalt/


# --- a full disk, a read-only folder (real file systems) ----------------------------------------------


@contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


needs_root = pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux"), reason="mounts need root")


# Root writes whatever the permissions say, because it holds CAP_DAC_OVERRIDE. Dropping that capability (and
# CAP_DAC_READ_SEARCH) from the bounding set makes root obey the mode bits like anyone else, while it can still
# read the engine wherever it is installed: switching to `nobody` instead fails when the checkout sits in /root.
WITHOUT_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def _cli(*args: str, cwd: Path, obey_permissions: bool = False) -> subprocess.CompletedProcess:
    prefix = WITHOUT_OVERRIDE if obey_permissions else []
    env = {**os.environ, "HOME": str(cwd)}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "poster_engine", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _assert_not_written(done: subprocess.CompletedProcess, line: str, folder: Path) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    errors = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert errors == [line], done.stderr
    assert _files(folder) == []  # nothing partial: no temporary, no half file, no empty folder


@needs_root
def test_a_full_disk_is_one_line_exit_1_and_nothing_partial(demo, tmp_path):
    with _tmpfs(tmp_path / "disk", "size=64k") as disk:
        done = _cli("build", "-p", "stat-cobalt", "-f", "instagram", "-j", "1", "-o", str(disk / "build"), cwd=demo)
        _assert_not_written(
            done,
            f"error: {disk}/build/stat-cobalt/instagram.png: cannot write this file: no space left on the device; "
            "free some space or build into another folder with --out",
            disk,
        )


@needs_root
def test_a_disk_that_fills_midway_keeps_the_whole_files_and_lists_them(demo, tmp_path):
    """The first outputs fit, a later one does not: those written are whole and listed in the
    manifest (the next build skips them); no temporary is left."""
    size = None
    with _tmpfs(tmp_path / "probe", "size=64m") as probe:
        done = _cli("build", "-p", "stat-cobalt", "-f", "instagram", "-j", "1", "-o", str(probe), cwd=demo)
        assert done.returncode == 0, done.stderr
        size = (probe / "stat-cobalt" / "instagram.png").stat().st_size
    with _tmpfs(tmp_path / "disk", f"size={size * 3 // 2}") as disk:
        done = _cli("render", "stat-cobalt", "-f", "instagram", "-o", str(disk / "one.png"), cwd=demo)
        assert done.returncode == 0, done.stderr
        done = _cli("render", "stat-cobalt", "-f", "instagram", "-o", str(disk / "two.png"), cwd=demo)
        assert done.returncode == 1, done.stderr
        assert done.stderr.splitlines() == [
            f"error: {disk}/two.png: cannot write this file: no space left on the device; free some space or build "
            "into another folder with --out"
        ]
        assert _files(disk) == ["one.png"] and (disk / "one.png").stat().st_size == size


@needs_root
def test_a_read_only_file_system_is_one_line_exit_1(demo, tmp_path):
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        done = _cli("build", "-p", "stat-cobalt", "-f", "instagram", "-j", "1", "-o", str(ro / "build"), cwd=demo)
        _assert_not_written(
            done,
            f"error: {ro}/build/stat-cobalt/instagram.png: cannot write this file: the file system is read-only; build into another folder "
            "with --out",
            ro,
        )


@needs_root
def test_a_build_folder_without_write_permission_is_one_line_exit_1(demo):
    """build/ is 0555 and the engine runs without the capability that lets root ignore it."""
    (demo / "build").mkdir()
    (demo / "build").chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        done = _cli("build", "-p", "stat-cobalt", "-f", "instagram", "-j", "1", cwd=demo, obey_permissions=True)
        _assert_not_written(
            done,
            f"error: {demo}/build/stat-cobalt/instagram.png: cannot write this file: permission denied; make the folder "
            "writable or build into another folder with --out",
            demo / "build",
        )
    finally:
        (demo / "build").chmod(0o755)


# --- workers die with their build -------------------------------------------------------------------


def _alive(procs: list[psutil.Process]) -> list[int]:
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _same_program(child: psutil.Process, parent: psutil.Process) -> bool:
    try:
        return child.exe() == parent.exe() and child.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_killing_a_parallel_build_kills_its_workers(demo):
    """kill -9 of `poster build -j 2` while its two workers render: both exit within seconds
    (PR_SET_PDEATHSIG on Linux; the watchdog thread elsewhere, which alone takes ≤ 1 s)."""
    build = subprocess.Popen(
        [sys.executable, "-m", "poster_engine", "build", "-j", "2", "--force"],
        cwd=demo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        main = psutil.Process(build.pid)
        deadline = time.monotonic() + 120
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline and len(workers) < 2 and build.poll() is None:
            # the pool's workers are Python processes like the build; other children come and go
            # (ldconfig, run by a library looking for libcairo while the build warms up)
            workers = [p for p in main.children(recursive=True) if _same_program(p, main)]
            time.sleep(0.05)
        assert len(workers) >= 2, "the build never started its workers"
        time.sleep(0.5)  # inside their jobs
        assert len(_alive(workers)) >= 2 and build.poll() is None
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    killed = time.monotonic()
    while _alive(workers) and time.monotonic() - killed < 5:
        time.sleep(0.05)
    left = _alive(workers)
    for pid in left:  # never leave them to the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers still alive {time.monotonic() - killed:.1f} s after the build was killed"
