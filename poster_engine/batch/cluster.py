"""Jobs → results on a Dask cluster whose workers share nothing with the client but the engine (docs/cluster.md).

The client packs the project's inputs into a content-addressed bundle (batch/bundle.py), checks
that every worker runs the same engine (the fingerprint of its code and pixel libraries, not only
its version number), and sends the bundle — through the scheduler, once per change — to the
workers that do not have it in their cache yet. Jobs carry the bundle's hash and the project
options, never a path of the client: each worker unpacks the bundle into its cache folder, opens it
with `open_project` (the one loader) once per process, and sends back a `JobResult` whose reads are
relative to the project. The client turns them back into its own paths, so `build` keys and lists
them exactly as for a local build and `manifest.json` is identical.

Results stream: a bounded window of jobs (a few per worker thread) is in flight, each result is
handed to the build as it completes — written there at once — and its future released, so the
client's memory does not grow with the number of jobs. A killed worker's jobs are run again by Dask
elsewhere; a lost scheduler stops the build with one line (what was written stays listed).
Dask is optional: this module imports without it and imports it only when a build uses a cluster.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from poster_engine import __version__
from poster_engine.batch.bundle import CACHE_ENV, Bundle, cache_dir, cached, make_bundle, touch, unpack
from poster_engine.batch.executors import JobResult, run_job
from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.plan import Job
from poster_engine.project.files import Reads
from poster_engine.project.loader import Project, ProjectOptions, open_project
from poster_engine.render.keys import engine_fingerprint

PER_THREAD = 4  # jobs in flight per worker thread: every thread stays busy while results travel back
RETRIES = 2  # a job whose task raised is tried again (a killed worker's jobs are rescheduled by Dask anyway)
WAIT_FOR_WORKERS_S = 60  # a scheduler with no worker yet (e.g. an autoscaling cluster starting up)
REFRESH_S = 1.0  # how often the worker count is asked from the scheduler


class ClusterError(PosterError):
    """The cluster cannot run the build: scheduler unreachable or lost, or workers that refuse.
    `poster build` exits with code 3 (EXIT_CLUSTER); outputs already written stay listed."""


def engine_version() -> str:
    """The engine's version as workers and client compare it: the release number and the
    fingerprint of its code, ICC profiles and pixel libraries (render/keys.py)."""
    return f"{__version__}+{engine_fingerprint()[:12]}"


@dataclass(frozen=True)
class BundleRef:
    """What a job needs besides itself: which bundle, with which options, for which engine. No path."""

    digest: str
    options: ProjectOptions
    engine: str


@dataclass(frozen=True)
class NeedsBundle:
    """A worker's answer when its cache lacks the bundle (it joined after the build started)."""

    worker: str
    sent: bool  # this worker process was sent the bundle already: its cache lost it


@dataclass(frozen=True)
class WrongEngine:
    """A worker's answer when it runs another engine than the client's."""

    worker: str
    engine: str


@dataclass(frozen=True)
class ClusterInfo:
    """What the progress display shows about the cluster; sent again when the worker count changes."""

    scheduler: str
    workers: int
    threads: int
    digest: str
    bundle_bytes: int  # as it travels
    files: int
    sent_to: int  # workers the bundle was uploaded to at the start (0: every worker had it)
    upload_s: float

    @property
    def summary(self) -> str:
        sent = (
            f"sent to {counted(self.sent_to, 'worker')} in {self.upload_s:.2f} s"
            if self.sent_to
            else "already cached on every worker"
        )
        return (
            f"cluster {self.scheduler}: {self.size}; project bundle "
            f"{self.digest[:12]} ({self.files} files, {self.bundle_bytes / 1e6:.1f} MB) {sent}"
        )

    @property
    def size(self) -> str:
        return f"{counted(self.workers, 'worker')}, {counted(self.threads, 'thread')}"


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def run_on_cluster(
    project: Project, jobs: list[Job], scheduler: str, on_cluster: Callable[[ClusterInfo], None] | None = None
) -> Iterator[JobResult]:
    """Connect, check the workers' engine and send them the bundle now (ClusterError before
    anything is written when that fails); then an iterator of results as they complete."""
    session = _Session(project, scheduler, on_cluster)
    session.start()
    return session.results(jobs)


class _Session:
    def __init__(self, project: Project, scheduler: str, on_cluster: Callable[[ClusterInfo], None] | None) -> None:
        self.project = project
        self.scheduler = scheduler
        self.on_cluster = on_cluster or (lambda info: None)
        self.client: Any = None
        self.bundle: Bundle | None = None
        self.info: ClusterInfo | None = None
        self.refreshed = 0.0
        self.installed: set[str] = set()  # workers sent the bundle by this build

    def start(self) -> None:
        try:
            from distributed import Client  # optional dependency, and 1 s to import: only for --scheduler
        except ImportError:
            raise PosterError(
                Diagnostic("--scheduler needs Dask; install it with pip install 'poster-engine[distributed]'")
            ) from None
        posters = self.project.campaign.posters.values()
        named = {str(ref) for p in posters for ref in (p.spec.visual, p.spec.data) if ref}
        self.bundle = bundle = make_bundle(self.project.root, sorted(named))
        if not _is_address(self.scheduler):
            raise PosterError(
                Diagnostic(f"--scheduler {self.scheduler} is not a scheduler address; write tcp://HOST:PORT")
            )
        timeout = _connect_timeout()
        _quiet_client_logs()
        try:
            self.client = Client(self.scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError):
            raise ClusterError(
                Diagnostic(
                    f"cannot reach the Dask scheduler {self.scheduler} within {timeout:g} s; "
                    "start it (dask scheduler) or fix --scheduler"
                )
            ) from None
        try:
            self._check_and_upload(bundle)
        except BaseException:
            self.close()
            raise

    def _check_and_upload(self, bundle: Bundle) -> None:
        client, here = self.client, engine_version()
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
        except TimeoutError:
            raise ClusterError(
                Diagnostic(
                    f"the Dask scheduler {self.scheduler} has no workers (waited {WAIT_FOR_WORKERS_S} s); "
                    f"start some: dask worker {self.scheduler}"
                )
            ) from None
        statuses = client.run(worker_status, bundle.digest, on_error="return")
        missing = []
        for worker, status in sorted(statuses.items()):
            if _left(status):
                continue
            if isinstance(status, BaseException):
                raise ClusterError(
                    Diagnostic(
                        f"worker {worker} cannot run poster-engine {here} ({type(status).__name__}: {status}); "
                        "install the client's poster-engine on every worker (pip install 'poster-engine[distributed]')"
                    )
                )
            engine, has_bundle = status
            if engine != here:
                raise ClusterError(_wrong_engine(worker, engine, here))
            if not has_bundle:
                missing.append(worker)
        started = time.perf_counter()
        if missing:
            self._install(missing)
            self.installed.update(missing)
        threads = client.nthreads()
        self.info = ClusterInfo(
            self.scheduler,
            len(threads),
            sum(threads.values()),
            bundle.digest,
            len(bundle.payload),
            bundle.files,
            len(missing),
            time.perf_counter() - started,
        )
        self.refreshed = time.monotonic()
        self.on_cluster(self.info)

    def _install(self, workers: list[str]) -> None:
        """Send the bundle to these workers (one message from the client; the scheduler forwards it)."""
        assert self.bundle is not None
        try:
            done = self.client.run(
                install_bundle, self.bundle.digest, self.bundle.payload, workers=workers, on_error="return"
            )
        except (OSError, TimeoutError):
            return  # the scheduler is lost (the futures say so next) or the worker left
        for worker, outcome in sorted(done.items()):
            if _left(outcome):
                continue
            if isinstance(outcome, BaseException):
                raise ClusterError(
                    Diagnostic(
                        f"worker {worker} could not unpack the project bundle ({type(outcome).__name__}: {outcome}); "
                        f"check the space and permissions of its cache folder (${CACHE_ENV})"
                    )
                )

    def _window(self) -> int:
        assert self.info is not None
        return PER_THREAD * max(1, self.info.threads)

    def _refresh(self) -> None:
        """Every REFRESH_S: the cluster's size, for the progress display and the window."""
        if time.monotonic() - self.refreshed < REFRESH_S or self.info is None:
            return
        self.refreshed = time.monotonic()
        try:
            threads = self.client.nthreads()
        except (OSError, TimeoutError):
            return  # a lost scheduler shows up as cancelled futures
        if (len(threads), sum(threads.values())) != (self.info.workers, self.info.threads):
            self.info = replace(self.info, workers=len(threads), threads=sum(threads.values()))
            self.on_cluster(self.info)

    def results(self, jobs: list[Job]) -> Iterator[JobResult]:
        from distributed import as_completed  # optional dependency (see start)

        assert self.bundle is not None
        client, root = self.client, self.project.root
        ref = BundleRef(self.bundle.digest, self.project.options, engine_version())
        todo = iter(jobs)
        running: dict[str, Job] = {}  # future key → job: at most a window of them
        finished = 0
        completed = as_completed(loop=client.loop, with_results=True, raise_errors=False)

        def submit(job: Job) -> None:
            # pure=False: a job is rendered again when asked again (its inputs may have changed).
            future = client.submit(run_bundled, ref, job, pure=False, retries=RETRIES)
            running[future.key] = job
            completed.add(future)

        try:
            for job in islice(todo, self._window()):
                submit(job)
            for future, value in completed:
                job = running.pop(future.key)
                status = future.status
                del future  # released: the worker forgets the result, the client keeps nothing
                lost = getattr(value, "reason", None) == "scheduler-connection-lost"
                if lost or client.status != "running":
                    raise ClusterError(
                        Diagnostic(
                            f"lost the Dask scheduler {self.scheduler} after {finished} of {len(jobs)} jobs; "
                            "what was built is kept in manifest.json, run the same command again to build the rest"
                        )
                    )
                if isinstance(value, WrongEngine):
                    raise ClusterError(_wrong_engine(value.worker, value.engine, ref.engine))
                if isinstance(value, NeedsBundle):  # a worker that joined during the build
                    if value.sent:
                        raise ClusterError(
                            Diagnostic(
                                f"worker {value.worker} lost the project bundle it was sent; check the space "
                                f"and permissions of its cache folder (${CACHE_ENV})"
                            )
                        )
                    if value.worker not in self.installed:  # else: an answer given before the bundle arrived
                        self.installed.add(value.worker)
                        self._install([value.worker])
                    submit(job)
                    continue
                finished += 1
                if status == "error":
                    yield self._failed(job, value[1])
                elif status == "cancelled":  # by hand, from the dashboard
                    yield self._failed(job, value)
                else:
                    yield _on_client(value, root)
                self._refresh()
                for job in islice(todo, max(0, self._window() - len(running))):
                    submit(job)
        except BaseException:
            if client.status == "running" and completed.futures:  # stopped early: the cluster drops the rest
                try:
                    client.cancel(list(completed.futures), reason="poster build stopped")
                except Exception:  # noqa: BLE001 - the scheduler may be going too: closing is what matters
                    pass
            raise
        finally:
            self.close()

    def _failed(self, job: Job, exc: BaseException) -> JobResult:
        """A job whose task itself failed (its workers died, or the engine crashed there): it alone fails."""
        poster = self.project.campaign.posters[job.poster_id]
        here = f"poster render {job.poster_id} -f {job.format.name}"
        here += f" --row {job.row.id}" if job.row else ""
        here += f" --lang {job.lang}" if job.lang != job.campaign_lang else ""
        return JobResult(
            job,
            errors=(
                Diagnostic(
                    f"{job.output} failed on the cluster ({type(exc).__name__}: {exc}); see the worker logs, "
                    f"or render it here: {here}",
                    poster.file,
                ),
            ),
        )

    def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            try:
                client.close(timeout=5)
            except Exception:  # noqa: BLE001 - closing a client whose scheduler is gone: nothing left to do
                pass


def _left(outcome: object) -> bool:
    """A worker's answer that says it left the cluster meanwhile: a connection that failed (Dask's
    comm errors carry no errno), not an error of the worker's own (a full disk has one)."""
    return isinstance(outcome, ConnectionError) or (isinstance(outcome, OSError) and outcome.errno is None)


def _wrong_engine(worker: str, engine: str, here: str) -> Diagnostic:
    return Diagnostic(
        f"worker {worker} runs poster-engine {engine}, this client {here}; install the same poster-engine "
        "(and the same cairo and Python libraries) on every worker as on the client"
    )


def _is_address(address: str) -> bool:
    """HOST:PORT with a Dask scheme (tcp:// by default), checked before a Client is made: a Client
    made from a bad address hangs on being collected."""
    from distributed.comm.addressing import parse_address, parse_host_port  # optional dependency (see start)

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError:
        return False
    return scheme in ("tcp", "tls", "ucx", "ws", "wss", "inproc")


def _connect_timeout() -> float:
    """Dask's own setting (distributed.comm.timeouts.connect, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT)."""
    import dask.config  # optional dependency (see start)
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect", "30s")))


def _quiet_client_logs() -> None:
    """The client's connection errors (with tracebacks, from Dask or from tornado's event loop when
    a connection closes under a pending read) would repeat the one line the build prints. Dask's
    logging config gives some of its loggers their own level: each is set."""
    names = [n for n in logging.root.manager.loggerDict if n == "distributed" or n.startswith("distributed.")]
    for name in [*names, "tornado.application"]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _on_client(result: JobResult, root: Path) -> JobResult:
    """A worker's result with its project-relative reads made paths of the client's project, as
    every local executor gives them to `build`."""
    if result.reads is None:
        return result
    reads = Reads({str(root / f) for f in result.reads.files}, set(result.reads.listings), set(result.reads.fields))
    return replace(result, reads=reads)


# --- on a worker (called by Dask: importable by name, picklable arguments) ------------------------------


def worker_status(digest: str) -> tuple[str, bool]:
    """This worker's engine version, and whether its cache has the bundle."""
    return engine_version(), cached(digest, cache_dir()) is not None


async def install_bundle(digest: str, payload: bytes) -> str:
    """Unpack the bundle into this worker's cache, in a thread: the worker's event loop keeps
    answering the scheduler's heartbeats meanwhile."""
    import asyncio  # here: `poster build` imports this module for ClusterError, without asyncio's 35 ms

    folder = await asyncio.get_running_loop().run_in_executor(None, unpack, payload, digest, cache_dir())
    _RECEIVED.add(digest)
    return str(folder)


_RECEIVED: set[str] = set()  # the bundles this worker process was sent


_OPENED: dict[tuple[Path, ProjectOptions], Project] = {}  # the project this process opened: one, the latest
_OPENING = threading.Lock()  # a worker may run several tasks at once, in threads


def run_bundled(ref: BundleRef, job: Job) -> JobResult | NeedsBundle | WrongEngine:
    """One job on a worker: from the bundle in this worker's cache, opened once per process."""
    from distributed import get_worker  # Dask is there: this runs on one of its workers

    here = engine_version()
    if here != ref.engine:
        return WrongEngine(get_worker().address, here)
    folder = cached(ref.digest, cache_dir())
    if folder is None:
        return NeedsBundle(get_worker().address, ref.digest in _RECEIVED)
    touch(folder)  # in use: not pruned
    with _OPENING:
        key = (folder, ref.options)
        if key not in _OPENED:
            _OPENED.clear()
            try:
                _OPENED[key] = open_project(folder, ref.options)
            except PosterError as exc:
                return _relative(JobResult(job, errors=exc.diagnostics), folder.resolve())
        project = _OPENED[key]
    return _relative(run_job(project, job), project.root)


def _relative(result: JobResult, root: Path) -> JobResult:
    """What a worker sends back holds no path of its own: reads and messages relative to the project."""
    prefix = f"{root}/"

    def rel(path: str) -> str:
        return path[len(prefix) :] if path.startswith(prefix) else path

    def strip(d: Diagnostic) -> Diagnostic:
        return replace(
            d,
            message=d.message.replace(prefix, ""),
            file=rel(d.file) if d.file else d.file,
            hint=d.hint.replace(prefix, "") if d.hint else d.hint,
        )

    reads = result.reads
    if reads is not None:
        reads = Reads({rel(f) for f in reads.files}, reads.listings, reads.fields)
    return replace(result, reads=reads, errors=tuple(strip(d) for d in result.errors))
