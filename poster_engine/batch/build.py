"""`[Job]` → files in build/ (each written atomically, unchanged ones skipped) + manifest.json + index.html."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from poster_engine.batch.cluster import ClusterInfo, run_on_cluster
from poster_engine.batch.executors import JobResult, execute
from poster_engine.batch.ledger import Ledger
from poster_engine.batch.manifest import caption_path, is_up_to_date, manifest_entry, preview_path
from poster_engine.batch.outputs import Batch, clean_stale_temporaries, write_atomic
from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.plan import Job
from poster_engine.project.files import Reads
from poster_engine.project.loader import Project
from poster_engine.render.keys import job_key

# Results whose files are synced and named together: at most this many, arriving within this time
# of the first; a result that took longer than that to come is named at once.
BATCH_RESULTS = 32
BATCH_S = 1.0


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # up to date: inputs unchanged since the last build
    failed: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)


def build(
    project: Project,
    jobs: list[Job],
    out_dir: Path,
    on_done: Callable[[Job, Diagnostic | None], None] | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    start_method: str | None = None,
    force: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    contact: bool = True,
    on_cluster: Callable[[ClusterInfo], None] | None = None,
) -> BuildReport:
    """Render every job whose inputs changed (all with `force`); a failing job is reported and the
    others go on. `on_start(to_render, up_to_date)` is called once the keys are known, `on_done`
    after each rendered job, `on_cluster` with the cluster's size when it is known or changes. Each
    rebuilt poster also gets <poster>/contact.png, its formats side by side at screen size (unless
    `contact` is False); a poster with a failed job gets nothing new. A file that cannot be written
    (full disk, read-only folder) stops the build with a PosterError (check `output`); what was
    written before it is listed in the manifest. On a cluster (`scheduler`), a scheduler that cannot
    be reached or workers that refuse raise ClusterError before anything is written; a scheduler
    lost mid-build raises it after listing what was written."""
    report = BuildReport()
    clean_stale_temporaries(out_dir)
    with Ledger(out_dir) as ledger:  # the manifest's entries, on disk until it is written
        ledger.load()  # outputs not selected now stay listed
        todo: list[Job] = []
        for job in jobs:
            if not force and is_up_to_date(project, out_dir, job, ledger.get(job.output)):
                report.skipped.append(job.output)
            else:
                todo.append(job)
        if on_start:
            on_start(len(todo), len(report.skipped))
        if scheduler and todo:
            results = run_on_cluster(project, todo, scheduler, on_cluster)  # connects now: nothing written if it cannot
        else:
            results = execute(project, todo, workers, start_method)
        _write_results(project, jobs, todo, results, out_dir, ledger, report, on_done, contact)
    return report


def _write_results(
    project: Project,
    jobs: list[Job],
    todo: list[Job],
    results: Iterator[JobResult],
    out_dir: Path,
    ledger: Ledger,
    report: BuildReport,
    on_done: Callable[[Job, Diagnostic | None], None] | None,
    contact: bool,
) -> None:
    """Each result's files written as it arrives, named in batches, listed in `ledger` once named;
    contact sheets; then manifest.json and index.html (also on Ctrl-C or a full disk, of what was
    named)."""
    broken: set[str] = set()  # posters with a failed job: no contact sheet for them
    # A poster's contact sheet is made as soon as its last job is in, while the workers go on with
    # the others: made after the loop, the sheets were a serial tail of every parallel build.
    unfinished = Counter(job.poster_id for job in todo)
    sheets = _ContactSheets(project, jobs, out_dir) if contact else None
    stopped = False
    batch = Batch()  # files written, synced and named in groups (docs/performance.md §18)
    arrived: list[dict | None] = []  # entries of the results whose files are in `batch`, not yet named (None: failed)
    since = now = time.monotonic()

    def commit() -> None:
        batch.commit()
        for entry in arrived:
            if entry is not None:
                report.built.append(ledger.add(entry))
        arrived.clear()

    try:
        for result in results:
            poster_id = result.job.poster_id
            if result.errors:
                # One missing translation fails every format of a poster: say it once.
                report.errors.extend(d for d in result.errors if d not in report.errors)
                report.failed.append(result.job.output)
                broken.add(poster_id)
                arrived.append(None)
            else:
                _write_result(batch, out_dir, result)
                arrived.append(_entry(project, result))
            if on_done:  # rendered, its bytes on disk: named with its batch, within BATCH_S
                on_done(result.job, result.errors[0] if result.errors else None)
            del result  # its bytes are in the temporaries now
            now, last = time.monotonic(), now
            if len(arrived) == 1:
                since = now
            # Slow jobs (a gap of BATCH_S) are named one by one, as they come: a batch only ever
            # gathers results that arrive quickly one after another.
            if len(arrived) >= BATCH_RESULTS or now - since >= BATCH_S or now - last >= BATCH_S:
                commit()
            unfinished[poster_id] -= 1
            if sheets and not unfinished[poster_id] and poster_id not in broken and sheets.has(poster_id):
                commit()  # the sheet is cut from the poster's pictures: they are named first
                sheets.write(poster_id)
        commit()
        if sheets:  # posters with nothing rebuilt whose sheet is missing (a build killed before it)
            for poster_id in sheets.missing(skip=set(unfinished) | broken):
                sheets.write(poster_id)
    except BaseException:
        stopped = True
        try:
            commit()  # Ctrl-C: what was written whole is named and listed
        except BaseException:
            batch.abort()
        raise
    finally:
        # Also on Ctrl-C or a full disk: what was written is listed, so the next build skips it. A
        # build that wrote nothing leaves the folder as it was (no empty build/ for rejected rows).
        if report.built:
            try:
                ledger.write(project)
            except PosterError:
                if not stopped:  # else the error that stopped the build is the one to say
                    raise


def _entry(project: Project, result: JobResult) -> dict:
    """The output's manifest entry."""
    reads = result.reads or Reads()
    key = job_key(project, result.job, reads) if result.reads is not None else None
    entry = manifest_entry(project, result.job, result.data or b"", key, result.alt, reads)
    if result.caption is not None:
        entry["caption"] = caption_path(result.job)
    return entry


def _write_result(batch: Batch, out_dir: Path, result: JobResult) -> None:
    job = result.job
    batch.write(out_dir / job.output, result.data or b"")
    batch.write(out_dir / f"{job.output}.alt.txt", (result.alt + "\n").encode())
    if result.caption is not None:
        batch.write(out_dir / caption_path(job), (result.caption + "\n").encode())
    preview = preview_path(job)
    if result.preview is not None and preview is not None:
        batch.write(out_dir / preview, result.preview)


class _ContactSheets:
    """<poster>/contact.png of the posters of `jobs` (first language, no data rows), made from the
    pictures on disk (social images, print previews) rather than composing again; a job whose
    picture is missing is composed."""

    def __init__(self, project: Project, jobs: list[Job], out_dir: Path):
        self.project, self.out_dir = project, out_dir
        self.jobs: dict[str, list[Job]] = {}
        for job in jobs:
            if job.row is None and job.lang == jobs[0].lang:
                self.jobs.setdefault(job.poster_id, []).append(job)

    def has(self, poster_id: str) -> bool:
        return poster_id in self.jobs

    def missing(self, skip: set[str]) -> list[str]:
        return [p for p in self.jobs if p not in skip and not (self.out_dir / p / "contact.png").is_file()]

    def write(self, poster_id: str) -> None:
        own = self.jobs.get(poster_id)
        if not own:
            return  # a merged row or another language: no sheet
        from poster_engine.qa.proof import contact_sheet  # a no-op rebuild never loads the drawing code

        def picture(job: Job) -> bytes | None:
            path = self.out_dir / (preview_path(job) or job.output)
            return path.read_bytes() if path.is_file() else None

        write_atomic(self.out_dir / poster_id / "contact.png", contact_sheet(self.project, own, picture))
