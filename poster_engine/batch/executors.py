"""Jobs → results on this machine: in this process or in a pool of local processes (a Dask cluster's: cluster.py).

Every executor yields a `JobResult` per job as it completes; the process that called `build` writes,
hashes and lists them, so the manifest does not depend on where a job ran. Workers open the project
themselves from a `ProjectSpec` (open_project, the one loader), once per process: fonts, ICC
transforms and photos are then cached for every job they are handed.

A local pool starts warm: the parent loads the drawing libraries, fonts and ICC work once
(render/job.py, warm_up) and forks; a forkserver preloads the same modules. Only a bounded window
of jobs is in flight, and a result is dropped as soon as it has been handed on: memory stays flat
however many jobs a build has (docs/performance.md §14).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from poster_engine.batch.manifest import PREVIEW_PX, preview_path
from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.plan import Job
from poster_engine.project.files import Reads, recording
from poster_engine.project.loader import Project, ProjectSpec, open_spec
from poster_engine.render.alt_text import alt_text
from poster_engine.render.caption import caption


@dataclass(frozen=True)
class JobResult:
    """What a job sends back to the process that writes: picklable, for process pools and Dask
    (from a cluster, `reads` are relative to the project on the way and the client's paths again on arrival)."""

    job: Job
    data: bytes | None = None
    preview: bytes | None = None
    alt: str = ""
    caption: str | None = None  # social formats with a caption: the post's text
    errors: tuple[Diagnostic, ...] = ()
    reads: Reads | None = None  # what rendering it read: its cache key hashes exactly that


def run_job(project: Project, job: Job) -> JobResult:
    """Render one job; any failure becomes diagnostics, so one broken poster never stops the others."""
    # Imported here: a no-op rebuild plans and checks keys without loading the drawing code.
    from poster_engine.render.job import compose_job, export_job, screen_png

    poster = project.campaign.posters[job.poster_id]
    try:
        with recording() as reads:
            composition = compose_job(project, job)
            data = export_job(project, composition)
            preview = screen_png(composition, PREVIEW_PX) if preview_path(job) else None
            alt = alt_text(project, job, reads)
            posted = caption(project, job)
    except PosterError as exc:
        return JobResult(job, errors=exc.diagnostics)
    except Exception as exc:  # noqa: BLE001 - a bug in one job: reported with its poster, the build goes on
        return JobResult(
            job,
            errors=(
                Diagnostic(
                    f"internal error rendering {job.output}: {type(exc).__name__}: {exc}; please report it "
                    "(poster render with POSTER_DEBUG=1 shows the traceback)",
                    poster.file,
                ),
            ),
        )
    return JobResult(job, data, preview, alt, posted, reads=reads)


# The project each worker process opened, by spec: a long-lived Dask worker keeps only the latest.
_OPENED: dict[ProjectSpec, Project] = {}


def _project(spec: ProjectSpec) -> Project:
    if spec not in _OPENED:
        _OPENED.clear()
        _OPENED[spec] = open_spec(spec)
    return _OPENED[spec]


WATCH_S = 0.5  # how often a worker checks that its build is still there (the portable fallback)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with(build_pid: int) -> None:
    """Workers die with their build. When the process that started the pool disappears (any
    signal, SIGKILL included: a CI time-out, the out-of-memory killer), nothing would tell its
    workers; re-parented to init, they would render on for nobody. On Linux the kernel sends this
    worker SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG); everywhere, a daemon thread
    checks every WATCH_S that the parent it was started by, and the build, are still there. Workers
    write nothing (the build process does), so dying abruptly loses only work nobody will collect."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl in this libc: the watchdog alone
            pass
    started_by = os.getppid()  # the build itself (fork, spawn) or the forkserver, which dies with it

    def orphaned() -> bool:
        if os.getppid() != started_by:
            return True
        try:
            os.kill(build_pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, under another user (cannot happen for our own parent)
            pass
        return False

    if orphaned():  # the build died before this worker was ready: the signal came too late
        os._exit(1)

    def watch() -> None:
        while not orphaned():
            time.sleep(WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="poster-worker-watchdog", daemon=True).start()


def _open_in_worker(spec: ProjectSpec, build_pid: int, jobs: list[Job]) -> None:
    from poster_engine.render.job import warm_up

    _die_with(build_pid)
    warm_up(_project(spec), jobs)  # a forked worker finds it all done already


def run_in_worker(spec: ProjectSpec, job: Job) -> JobResult:
    """A job in a worker process: the project is opened there, once."""
    return run_job(_project(spec), job)


def run_here(project: Project, jobs: list[Job]) -> Iterator[JobResult]:
    for job in jobs:
        yield run_job(project, job)


# With fewer jobs than this, a pool costs more than it saves: they run in this process.
MIN_POOL_JOBS = 3
# Jobs submitted ahead per worker: enough to keep every worker busy, few enough that pending
# futures (and their results' bytes) do not grow with the build.
IN_FLIGHT_PER_WORKER = 4
# Modules a forkserver loads once, before forking each worker (what `warm_up` imports).
PRELOAD = ["poster_engine.render.job", "cairosvg.surface", "poster_engine.export.glyphs", "poster_engine.export.images"]


def run_in_pool(
    project: Project, jobs: list[Job], workers: int, start_method: str | None = None
) -> Iterator[JobResult]:
    """Jobs on `workers` local processes. Forked workers inherit the opened, warmed project; spawned
    and forkserver ones open it from the spec (the same loader, so they see the same formats)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    from poster_engine.render.job import warm_up

    spec = project.spec()
    _OPENED.clear()
    _OPENED[spec] = project
    context = multiprocessing.get_context(start_method)
    forked = context.get_start_method() == "fork"
    if forked:
        warm_up(project, jobs)
        # What the parent holds now is only read by the workers. Frozen, the collector never
        # visits it, in the parent or in a worker: a visit writes each object's header and so
        # copies the page it is on into every process that had shared it (§21). Unfrozen when
        # the pool is done, for a long-lived caller (the workbench builds again and again).
        gc.freeze()
    elif context.get_start_method() == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    workers = min(workers, len(jobs))
    # The initializer gets the kinds of jobs only (one of each medium), not the whole list.
    kinds = list({job.format.medium: job for job in jobs}.values())
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_open_in_worker, initargs=(spec, os.getpid(), kinds)
    ) as pool:
        todo = iter(jobs)
        pending: set[Future] = set()
        try:
            while True:
                for job in todo:
                    pending.add(pool.submit(run_in_worker, spec, job))
                    if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                        break
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                del done, future  # the results' bytes go as soon as the caller has written them
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        finally:
            if forked:
                gc.unfreeze()


def execute(
    project: Project, jobs: list[Job], workers: int = 1, start_method: str | None = None
) -> Iterator[JobResult]:
    """Each job's result as it completes, from the local executor the options choose (a cluster's
    is batch/cluster.py)."""
    if not jobs:
        return iter(())
    if workers <= 1 or len(jobs) < MIN_POOL_JOBS:
        return run_here(project, jobs)
    return run_in_pool(project, jobs, workers, start_method)
