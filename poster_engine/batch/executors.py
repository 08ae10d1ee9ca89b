"""Jobs → results, wherever they run: in this process, in a pool of local processes, or on a Dask cluster.

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

from collections.abc import Iterator
from dataclasses import dataclass

from poster_engine.batch.manifest import PREVIEW_PX, preview_path
from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.plan import Job
from poster_engine.project.files import Reads, recording
from poster_engine.project.loader import Project, ProjectSpec, open_spec
from poster_engine.render.alt_text import alt_text


@dataclass(frozen=True)
class JobResult:
    """What a job sends back to the process that writes: picklable, for process pools and Dask."""

    job: Job
    data: bytes | None = None
    preview: bytes | None = None
    alt: str = ""
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
            alt = alt_text(project, job)
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
    return JobResult(job, data, preview, alt, reads=reads)


# The project each worker process opened, by spec: a long-lived Dask worker keeps only the latest.
_OPENED: dict[ProjectSpec, Project] = {}


def _project(spec: ProjectSpec) -> Project:
    if spec not in _OPENED:
        _OPENED.clear()
        _OPENED[spec] = open_spec(spec)
    return _OPENED[spec]


def _open_in_worker(spec: ProjectSpec, jobs: list[Job]) -> None:
    from poster_engine.render.job import warm_up

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
    if context.get_start_method() == "fork":
        warm_up(project, jobs)
    elif context.get_start_method() == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    workers = min(workers, len(jobs))
    # The initializer gets the kinds of jobs only (one of each medium), not the whole list.
    kinds = list({job.format.medium: job for job in jobs}.values())
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_open_in_worker, initargs=(spec, kinds)) as pool:
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


def run_on_cluster(project: Project, jobs: list[Job], scheduler: str) -> Iterator[JobResult]:
    """Jobs on a Dask cluster (`poster build --scheduler tcp://HOST:PORT`). Workers must see the
    project at the same path (a shared or identical checkout) and have the engine installed
    (`pip install 'poster-engine[distributed]'`). They return bytes; the client writes."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise PosterError(
            Diagnostic("--scheduler needs Dask; install it with pip install 'poster-engine[distributed]'")
        ) from None
    try:
        client = Client(scheduler, timeout=10, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise PosterError(
            Diagnostic(
                f"cannot reach the Dask scheduler {scheduler} ({exc}); start it (dask scheduler) or fix --scheduler"
            )
        ) from None
    spec = project.spec()
    with client:
        # pure=False: the same job is rendered again if asked again (its inputs may have changed).
        futures = client.map(run_in_worker, [spec] * len(jobs), jobs, pure=False)
        # This client is not the process-wide default, so as_completed gets its loop explicitly
        # and each future fetches its result through the client that made it.
        for future in as_completed(futures, loop=client.loop):
            yield future.result()


def execute(
    project: Project, jobs: list[Job], workers: int = 1, scheduler: str | None = None, start_method: str | None = None
) -> Iterator[JobResult]:
    """Each job's result as it completes, from the executor the options choose."""
    if not jobs:
        return iter(())
    if scheduler:
        return run_on_cluster(project, jobs, scheduler)
    if workers <= 1 or len(jobs) < MIN_POOL_JOBS:
        return run_here(project, jobs)
    return run_in_pool(project, jobs, workers, start_method)
