"""Builds on a Dask cluster whose workers share nothing with the client but the engine (docs/cluster.md).

The real processes run here: `dask scheduler` and `dask worker` started by the tests, the workers
(where the test needs it) in a private mount namespace in which the client's project folder does
not exist, and the real `poster` command line as the client. Plus the bundle itself: deterministic,
only the inputs, safe to unpack.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from poster_engine.batch.bundle import BUNDLED, BundleError, make_bundle, project_files, unpack
from poster_engine.batch.cluster import engine_version
from poster_engine.core.diagnostics import PosterError

DASK = Path(sys.executable).with_name("dask")
FOOTER = "Halle Pajol, Paris"


# --- the bundle -------------------------------------------------------------------------------------


@pytest.fixture
def full_copy(tmp_path) -> Path:
    """A scratch copy of every input of the demo project, its footer edited: outputs read from the
    engine's own checkout instead of this copy would differ."""
    dst = tmp_path / "project"
    dst.mkdir()
    for name in BUNDLED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            shutil.copy(src, dst / name)
    messages = dst / "messages.yaml"
    assert FOOTER in messages.read_text()
    messages.write_text(messages.read_text().replace(FOOTER, f"{FOOTER} 18e"))
    return dst


def assert_same_manifest(built: Path, reference: Path) -> None:
    """Byte-identical manifests; on a difference, the lines that differ (not two truncated blobs)."""
    import difflib

    ours, theirs = ((folder / "manifest.json").read_text() for folder in (built, reference))
    assert ours == theirs, "".join(
        difflib.unified_diff(theirs.splitlines(True), ours.splitlines(True), str(reference), str(built), n=2)
    )


def test_the_bundle_is_deterministic_and_holds_only_the_inputs(full_copy):
    first = make_bundle(full_copy)
    (full_copy / "build").mkdir()
    (full_copy / "build" / "old.png").write_bytes(b"an output")
    (full_copy / "notes.txt").write_text("not an input")
    (full_copy / "visuals" / "__pycache__").mkdir()
    (full_copy / "visuals" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    os.utime(full_copy / "messages.yaml", (1, 1))  # dates are not content
    again = make_bundle(full_copy)
    assert (again.digest, again.payload) == (first.digest, first.payload)
    with tarfile.open(fileobj=io.BytesIO(first.payload)) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names) and "messages.yaml" in names and "project.yaml" in names
    assert {n.split("/")[0] for n in names} <= set(BUNDLED)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    (full_copy / "layouts" / "choc.svg").write_text((full_copy / "layouts" / "choc.svg").read_text() + "\n")
    assert make_bundle(full_copy).digest != first.digest


def test_a_visual_named_outside_the_bundled_folders_travels_too(full_copy):
    (full_copy / "photos").mkdir()
    (full_copy / "photos" / "x.jpg").write_bytes(b"jpeg")
    assert "photos/x.jpg" in project_files(full_copy, ["photos/x.jpg"])
    assert "photos/x.jpg" not in project_files(full_copy)


def test_a_symbolic_link_leaving_the_project_is_refused(full_copy, tmp_path):
    outside = tmp_path / "elsewhere.svg"
    outside.write_text("<svg/>")
    (full_copy / "visuals" / "inside.svg").symlink_to(full_copy / "visuals" / "mine.svg")
    assert "visuals/inside.svg" in project_files(full_copy)  # a link inside the project is packed
    (full_copy / "visuals" / "outside.svg").symlink_to(outside)
    with pytest.raises(PosterError) as info:
        make_bundle(full_copy)
    assert [str(d) for d in info.value.diagnostics] == [
        f"visuals/outside.svg: is a symbolic link to {outside}, outside the project, which cluster workers "
        "cannot see; copy the file into the project"
    ]


def _archive(members: list[tarfile.TarInfo], data: bytes = b"x") -> tuple[str, bytes]:
    import hashlib

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for m in members:
            if m.isreg():
                m.size = len(data)
            tar.addfile(m, io.BytesIO(data) if m.isreg() else None)
    return hashlib.sha256(raw.getvalue()).hexdigest(), raw.getvalue()


@pytest.mark.parametrize(
    "name, kind",
    [
        ("../escape.txt", tarfile.REGTYPE),
        ("/tmp/absolute.txt", tarfile.REGTYPE),
        ("visuals/../../escape.txt", tarfile.REGTYPE),
        ("visuals/link.svg", tarfile.SYMTYPE),
        ("visuals/hard.svg", tarfile.LNKTYPE),
        ("fonts/dev", tarfile.CHRTYPE),
    ],
)
def test_unpacking_refuses_members_that_would_land_outside_or_are_not_files(tmp_path, name, kind):
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = "/etc/passwd" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
    digest, payload = _archive([tarfile.TarInfo("messages.yaml"), member])
    cache = tmp_path / "cache" / "bundles"
    with pytest.raises(BundleError):
        unpack(payload, digest, cache)
    assert list(cache.iterdir()) == []  # neither the bundle nor its temporary folder
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "cache" / "escape.txt").exists()


def test_unpacking_checks_the_hash_and_is_atomic_under_concurrent_tasks(full_copy, tmp_path):
    bundle = make_bundle(full_copy)
    cache = tmp_path / "cache"
    with pytest.raises(BundleError, match="does not match its hash"):
        unpack(bundle.payload, "0" * 64, cache)
    folders: list[Path] = []
    threads = [
        threading.Thread(target=lambda: folders.append(unpack(bundle.payload, bundle.digest, cache))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert folders == [cache / bundle.digest] * 4
    assert [p.name for p in cache.iterdir()] == [bundle.digest]  # the losers' temporary folders are gone
    unpacked = {str(p.relative_to(cache / bundle.digest)) for p in (cache / bundle.digest).rglob("*") if p.is_file()}
    assert unpacked == set(project_files(full_copy))


def test_a_worker_result_holds_no_path_of_the_worker_and_the_client_gets_its_own(demo, jobs, tmp_path):
    from poster_engine.batch.cluster import _on_client, _relative
    from poster_engine.batch.executors import JobResult
    from poster_engine.core.diagnostics import Diagnostic
    from poster_engine.project.files import Reads

    worker_root = tmp_path / "cache" / "1a2b"
    reads = Reads(
        {str(worker_root / "layouts/choc.svg"), str(worker_root / "fonts/inter/Inter-Bold.otf")}, {"fonts"}, {"message"}
    )
    problem = Diagnostic(
        f"cannot read image ([Errno 5] I/O error: '{worker_root}/visuals/x.jpg'); use a valid JPEG or PNG",
        f"{worker_root}/visuals/x.jpg",
    )
    sent = _relative(JobResult(jobs[0], reads=reads, errors=(problem,)), worker_root)
    assert sent.reads == Reads({"layouts/choc.svg", "fonts/inter/Inter-Bold.otf"}, {"fonts"}, {"message"})
    assert [str(d) for d in sent.errors] == [
        "visuals/x.jpg: cannot read image ([Errno 5] I/O error: 'visuals/x.jpg'); use a valid JPEG or PNG"
    ]
    received = _on_client(sent, demo.root)
    assert received.reads is not None and received.reads.files == {
        str(demo.root / "layouts/choc.svg"),
        str(demo.root / "fonts/inter/Inter-Bold.otf"),
    }


def test_a_job_whose_task_failed_on_the_cluster_fails_alone_with_a_way_to_render_it_here(demo):
    from poster_engine.api import plan
    from poster_engine.batch.cluster import _Session

    seance = [j for j in plan(demo, ["seance"], ["a3"], ["en"]).jobs if j.row is not None][0]
    result = _Session(demo, "tcp://10.0.0.5:8786", None)._failed(seance, RuntimeError("worker died"))
    assert [str(d) for d in result.errors] == [
        f"posters/seance.yaml: seance/{seance.row.id}/a3-en.pdf failed on the cluster (RuntimeError: worker died); "
        f"see the worker logs, or render it here: poster render seance -f a3 --row {seance.row.id} --lang en"
    ]


# --- real clusters ----------------------------------------------------------------------------------


def _isolation_problem() -> str | None:
    """Why workers cannot run in a private mount namespace here, or None."""
    if sys.platform != "linux" or os.geteuid() != 0:
        return "workers run in a private mount namespace (unshare -m + tmpfs): needs Linux and root, as in CI"
    if not shutil.which("unshare"):
        return "workers run in a private mount namespace: needs unshare (util-linux)"
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none "$0"', tempfile.gettempdir()], capture_output=True, text=True
    )
    if probe.returncode:
        return f"unshare -m cannot mount a tmpfs here ({probe.stderr.strip()}); a container without CAP_SYS_ADMIN?"
    return None


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Cluster:
    """`dask scheduler` and `dask worker` processes, as an operator would start them on several machines."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.scheduler = self._spawn(
            "scheduler",
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
            ["--scheduler-file", str(self.file)],
        )
        wait_for(lambda: self.file.is_file() and self.file.stat().st_size, "the scheduler")
        wait_for(lambda: json.loads(self.file.read_text()).get("address"), "the scheduler's address")
        self.address = json.loads(self.file.read_text())["address"]

    def _spawn(self, name: str, cmd: list[str], args: list[str], **kw) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # the child keeps its own descriptor
        proc = subprocess.Popen([*cmd, *args], stdout=log, stderr=subprocess.STDOUT, cwd="/", **kw)
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def worker(self, name: str, hide: Path | None = None, env: dict[str, str] | None = None) -> Worker:
        """One single-threaded worker process (no nanny: killing it kills the worker), its bundle
        cache in a folder of its own; with `hide`, in a mount namespace where a tmpfs covers `hide`."""
        cache = self.folder / f"cache-{name}"
        cmd = [str(DASK), "worker", "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"]
        cmd += ["--name", name, "--death-timeout", "60"]
        if hide is not None:
            cmd = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none "$0" && exec "$@"', str(hide), *cmd]
        proc = self._spawn(
            name,
            cmd,
            ["--scheduler-file", str(self.file)],
            env={**os.environ, "POSTER_BUNDLE_CACHE": str(cache), **(env or {})},
        )
        wait_for(lambda: "Registered to" in self.log(name) or proc.poll() is not None, f"worker {name}")
        assert proc.poll() is None, self.log(name)
        address = re.search(r"Start worker at:\s+(\S+)", self.log(name))
        assert address, self.log(name)
        return Worker(proc, address.group(1), cache)

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
            proc.wait()


class Worker:
    def __init__(self, proc: subprocess.Popen, address: str, cache: Path) -> None:
        self.proc, self.address, self.cache = proc, address, cache


@pytest.fixture
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    """A scheduler; the tests add workers. Its folder (scheduler file, logs, caches) is never hidden."""
    started = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield started
    finally:
        started.close()


def popen_build(project: Path, out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "poster_engine", "build", *args],
        cwd=project,
        stdout=open(out, "w"),  # the child keeps its own descriptor
        stderr=subprocess.PIPE,
        text=True,
    )


def write_rows(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "host", "date", "time", "room", "url"])
        for i in range(n):
            w.writerow(
                [
                    f"r{i:02d}",
                    f"Médiathèque n° {i}",
                    "jeudi 8 janvier 2026",
                    "18 h 30",
                    "Salle 1",
                    f"https://example.org/s/{i}",
                ]
            )


def ok_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("ok   ")]


def listed(out: Path) -> list[str]:
    return sorted(e["file"] for e in json.loads((out / "manifest.json").read_text())["outputs"])


def test_workers_that_cannot_see_the_project_build_it_and_survive_a_killed_worker(full_copy, cluster):
    """The proof that nothing is shared: the workers run where the client's project folder does not
    exist (a tmpfs over its parent, in their own mount namespace). Worker a starts the build; it is
    frozen, worker b joins (its cache is empty: it is sent the bundle during the build), a is killed
    (SIGKILL) while it holds jobs, and b finishes them. The manifest is byte-identical to `-j 1`'s."""
    problem = _isolation_problem()
    if problem:
        pytest.skip(problem)
    import distributed

    hidden = full_copy.parent
    a = cluster.worker("a", hide=hidden)
    with distributed.Client(cluster.address, set_as_default=False) as client:
        assert client.run(os.path.exists, str(full_copy / "messages.yaml")) == {a.address: False}
    write_rows(full_copy / "rows.csv", 12)
    selection = ("-p", "seance", "-p", "choc-cobalt", "-f", "instagram", "--data", "rows.csv")
    log = cluster.folder / "build.out"
    build = popen_build(full_copy, log, *selection, "--scheduler", cluster.address, "-o", "remote")
    wait_for(lambda: len(ok_lines(log)) >= 2 or build.poll() is not None, "two outputs from worker a")
    a.proc.send_signal(signal.SIGSTOP)  # a holds its jobs, frozen: the build cannot end without b
    done_by_a = len(ok_lines(log))
    assert build.poll() is None and done_by_a < 13, (
        f"the build ended before a worker could be killed: {log.read_text()}"
    )
    b = cluster.worker("b", hide=hidden)
    a.proc.kill()  # SIGKILL mid-build: Dask runs a's jobs again on b
    a.proc.wait()
    _, err = build.communicate(timeout=240)
    assert build.returncode == 0, err + cluster.log("b")
    assert "13 built, 0 up to date, 0 failed" in log.read_text()
    assert log.read_text().startswith(f"cluster {cluster.address}: 1 worker, 1 thread; project bundle ")
    digest = log.read_text().split("project bundle ")[1][:12]
    for worker in (a, b):  # b had no bundle when it joined: it was sent one during the build
        (folder,) = worker.cache.iterdir()
        assert folder.name.startswith(digest)
        assert (folder / "messages.yaml").read_bytes() == (full_copy / "messages.yaml").read_bytes()

    local = run_cli("build", *selection, "-j", "1", "-o", "local", cwd=full_copy)
    assert local.returncode == 0, local.stderr
    assert_same_manifest(full_copy / "remote", full_copy / "local")
    entries = json.loads((full_copy / "remote" / "manifest.json").read_text())["outputs"]
    assert all(not f.startswith("/") for e in entries for f in e["reads"]["files"])  # relative to the project


def test_a_worker_running_another_engine_is_refused_with_both_versions(full_copy, cluster, tmp_path_factory):
    """A worker whose engine code differs (here: a copy of the package with one comment added) is
    refused before any job runs, in one line naming both versions; nothing is written."""
    other = tmp_path_factory.mktemp("other-engine")
    shutil.copytree(ROOT / "poster_engine", other / "poster_engine", ignore=shutil.ignore_patterns("__pycache__"))
    init = other / "poster_engine" / "__init__.py"
    init.write_text(init.read_text() + "# a patched engine\n")
    env = {"PYTHONPATH": str(other)}
    ask = "import poster_engine.batch.cluster as c; print(c.__file__, c.engine_version())"
    theirs = subprocess.run(  # from "/", as the worker: `python -c` looks in its folder first
        [sys.executable, "-c", ask], env={**os.environ, **env}, capture_output=True, text=True, cwd="/"
    )
    where, their_version = theirs.stdout.split()
    assert where.startswith(str(other)), "the patched copy is not the engine the worker imports"
    ours = engine_version()
    assert their_version != ours and ours.startswith("0.1.0+")
    worker = cluster.worker("patched", env=env)
    result = run_cli("build", "-p", "choc-cobalt", "-f", "instagram", "--scheduler", cluster.address, cwd=full_copy)
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        f"error: worker {worker.address} runs poster-engine {their_version}, this client "
        f"{ours}; install the same poster-engine (and the same cairo and Python libraries) on "
        "every worker as on the client"
    ]
    assert not (full_copy / "build").exists() and not list(worker.cache.glob("*"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line_and_the_outputs_written_before_are_kept(full_copy):
    first = run_cli("build", "-p", "choc-cobalt", "-f", "instagram", "-j", "1", cwd=full_copy)
    assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in (full_copy / "build").rglob("*") if p.is_file()}
    address = f"tcp://127.0.0.1:{free_port()}"
    for out in ("build", "fresh"):
        result = subprocess.run(
            [sys.executable, "-m", "poster_engine", "build", "-f", "instagram", "--scheduler", address, "-o", out],
            cwd=full_copy,
            capture_output=True,
            text=True,
            env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
            timeout=120,
        )
        assert result.returncode == 3
        assert result.stderr.splitlines() == [
            f"error: cannot reach the Dask scheduler {address} within 2 s; start it (dask scheduler) or fix --scheduler"
        ]
    assert {p: p.read_bytes() for p in (full_copy / "build").rglob("*") if p.is_file()} == before
    assert not (full_copy / "fresh").exists()  # not even an empty manifest


def test_a_scheduler_lost_mid_build_keeps_what_was_written_and_the_next_run_resumes(full_copy, cluster):
    worker = cluster.worker("w")
    write_rows(full_copy / "rows.csv", 10)
    selection = ("-p", "seance", "-f", "instagram", "--data", "rows.csv")
    log = cluster.folder / "build.out"
    build = popen_build(full_copy, log, *selection, "--scheduler", cluster.address)
    wait_for(lambda: len(ok_lines(log)) >= 2 or build.poll() is not None, "two outputs")
    worker.proc.send_signal(signal.SIGSTOP)  # nothing more completes: the build is mid-way for sure
    cluster.scheduler.kill()
    _, err = build.communicate(timeout=120)
    worker.proc.kill()
    written = sorted(line[5:] for line in ok_lines(log))
    assert build.returncode == 3, err
    assert 2 <= len(written) < 10
    assert err.splitlines() == [
        f"error: lost the Dask scheduler {cluster.address} after {len(written)} of 10 jobs; what was built is kept "
        "in manifest.json, run the same command again to build the rest"
    ]
    assert listed(full_copy / "build") == written
    assert not list((full_copy / "build").rglob("*.tmp"))
    resumed = run_cli("build", *selection, "-j", "1", cwd=full_copy)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{10 - len(written)} built, {len(written)} up to date, 0 failed" in resumed.stdout


def test_a_job_failing_on_a_worker_fails_alone_with_the_local_diagnostic(full_copy, cluster):
    """A broken photo fails its poster's jobs, with the same line and exit code as locally; the
    other jobs (print PDFs with their previews included) are built and listed as locally."""
    problem = _isolation_problem()
    cluster.worker("w", hide=None if problem else full_copy.parent)
    (full_copy / "visuals" / "minerai.jpg").write_bytes(b"not a jpeg")
    selection = ("-p", "film-sang-et-boue", "-p", "stat-cobalt", "-f", "instagram", "-f", "a4")
    # From another folder (-C): the client turns the workers' relative reads into its project's paths.
    remote = run_cli(
        "build", *selection, "--scheduler", cluster.address, "-o", "remote", "-C", str(full_copy), cwd=ROOT / "tests"
    )
    local = run_cli("build", *selection, "-j", "1", "-o", "local", cwd=full_copy)
    assert local.returncode == remote.returncode == 1, remote.stderr
    assert (
        remote.stderr.splitlines()
        == local.stderr.splitlines()
        == ["error: visuals/minerai.jpg: not an image Pillow can read; use a valid JPEG or PNG"]
    )
    assert "2 built, 0 up to date, 2 failed" in remote.stdout
    assert_same_manifest(full_copy / "remote", full_copy / "local")


def test_local_cluster_streams_a_bounded_window_and_uploads_the_bundle_once(full_copy, tmp_path, monkeypatch):
    """On a LocalCluster (2 worker processes, 1 thread each): about 4 jobs per thread known to the
    scheduler at once, never all 16; the second build sends no bundle (every worker has it cached)."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("POSTER_BUNDLE_CACHE", str(tmp_path / "cache"))  # the worker processes inherit it
    write_rows(full_copy / "rows.csv", 16)
    selection = ("-p", "seance", "-f", "instagram", "--data", "rows.csv")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local_cluster:
        peak, stop = [0], threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], len(local_cluster.scheduler.tasks))
                time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            first = run_cli(
                "build", *selection, "--scheduler", local_cluster.scheduler_address, "-o", "remote", cwd=full_copy
            )
        finally:
            stop.set()
            watcher.join()
        one = ("-p", "choc-cobalt", "-f", "instagram")  # another selection, the same project: the same bundle
        again = run_cli("build", *one, "--scheduler", local_cluster.scheduler_address, cwd=full_copy)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert 0 < peak[0] <= 2 * 4 + 2  # the window (4 per thread), plus releases still on their way
    assert re.search(r"project bundle \w{12} \(\d+ files, [\d.]+ MB\) sent to 2 workers in", first.stdout)
    assert re.search(r"project bundle \w{12} \(\d+ files, [\d.]+ MB\) already cached on every worker", again.stdout)
    assert "16 built, 0 up to date, 0 failed" in first.stdout


def test_the_engine_runs_without_dask(full_copy):
    """Dask is optional: without it the engine imports and builds, and --scheduler says what to install."""
    hide_dask = "import sys; sys.modules['distributed'] = sys.modules['dask'] = None; from poster_engine.cli import main; main()"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", hide_dask, "build", "-p", "choc-cobalt", "-f", "instagram", *args],
            cwd=full_copy,
            capture_output=True,
            text=True,
        )

    assert run("-j", "1").returncode == 0
    without = run("--scheduler", "tcp://127.0.0.1:8786", "--force")
    assert without.returncode == 2
    assert without.stderr.splitlines() == [
        "error: --scheduler needs Dask; install it with pip install 'poster-engine[distributed]'"
    ]
