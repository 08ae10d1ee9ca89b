"""`[Job]` → files in build/ (each written atomically, unchanged ones skipped) + manifest.json + index.html.

The job list runs in this process (`workers=1`), in a pool of local processes, or on a Dask
cluster; in every case the jobs return bytes and this process writes, hashes and lists them, so
the manifest does not depend on where a job ran.
"""

from __future__ import annotations

import hashlib
import json
import re
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from poster_engine.project.content import Campaign
from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.plan import Job
from poster_engine.project.workspace import Workspace

if TYPE_CHECKING:  # compose pulls in HarfBuzz and fontTools: imported by the functions that need it
    from poster_engine.compose.document import Composition


PREVIEW_DIR = "_gallery"  # screen-size previews of print PDFs for index.html; not deliverables
PREVIEW_PX = 480  # long side of those previews


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # up to date: inputs unchanged since the last build
    failed: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)


def compose_job(ws: Workspace, campaign: Campaign, job: Job, raster_scale: float | None = None) -> Composition:
    """Layout, typesetting, QR codes and visuals of one job: what every output of it is drawn from."""
    from poster_engine.compose.document import compose

    return compose(ws, campaign, campaign.posters[job.poster_id], job.format, job.lang, raster_scale, job.row_fields)


def export_job(ws: Workspace, composition: Composition) -> bytes:
    """The deliverable file: the finished print PDF, or the social PNG at its exact pixel size."""
    fmt = composition.layout.format
    if fmt.medium == "print":
        from poster_engine.export.pdf import svg_to_pdf
        from poster_engine.export.print.prepress import make_print_pdf

        return make_print_pdf(svg_to_pdf(composition.svg), (fmt.width, fmt.height), fmt.bleed_mm,
                              composition.title, ws.timestamp, ws.print_settings, composition.poster.file)
    from poster_engine.core.diagnostics import fail
    from poster_engine.export.raster import TooLarge, encode, render_rgb

    image = render_rgb(composition.svg, int(fmt.width), int(fmt.height))
    try:
        return encode(image, fmt.image_format, fmt.max_bytes)
    except TooLarge as exc:
        raise fail(f"the {fmt.image_format} image is {exc.size / 1e6:.1f} MB at its lowest quality, over "
                   f"{fmt.name}'s {fmt.max_bytes / 1e6:g} MB limit; use --image-format jpeg or simplify the visual",
                   composition.poster.file) from None


def alt_text(campaign: Campaign, job: Job) -> str:
    """What the image says, for screen readers (French: "Affiche : « message » — 40 000 enfants …")."""
    from poster_engine.compose.fields import poster_fields
    from poster_engine.project.markup import parse_markup
    from poster_engine.compose.typography import LANGUAGES

    fields = poster_fields(campaign, campaign.posters[job.poster_id], job.lang)
    plain = lambda name: "".join(s.text for s in parse_markup(fields[name])) if name in fields else ""  # noqa: E731
    q = LANGUAGES[job.lang].quotes
    what = {"fr": "Affiche", "en": "Poster"}.get(job.lang, "Poster")
    parts = [f"{q[0]}{plain('message')}{q[1]}" if plain("message") else plain("film.title") or plain("campaign.name")]
    if plain("stat.value"):
        parts.append(f"{plain('stat.value')} {plain('stat.label')}".strip())
    if plain("film.title") and plain("message"):
        parts.append(plain("film.title"))
    sep = "\u00a0:" if job.lang == "fr" else ":"
    # Collapse ASCII whitespace only: str.split() would also eat the no-break spaces (U+00A0, U+202F).
    return re.sub(r"[ \t\n]+", " ", f"{what}{sep} {' — '.join(p for p in parts if p)}").strip() + "."


def render_job(ws: Workspace, campaign: Campaign, job: Job) -> bytes:
    """One job from content to the finished file's bytes: the single rendering path."""
    return export_job(ws, compose_job(ws, campaign, job))


def render_screen(ws: Workspace, campaign: Campaign, job: Job, long_side_px: int) -> tuple[Composition, bytes]:
    """The same composition as `render_job`, drawn as a PNG of `long_side_px` on its long side.

    For the preview and the proof sheet: the whole page (trim + bleed) keeps its aspect, and photos
    are resampled for the screen, so a print format is never rasterised at print resolution.
    """
    from poster_engine.export.raster import svg_to_png

    width, height = job.format.page
    px_per_unit = long_side_px / max(width, height)
    composition = compose_job(ws, campaign, job, px_per_unit)
    png = svg_to_png(composition.svg, max(1, round(width * px_per_unit)), max(1, round(height * px_per_unit)))
    return composition, png


_UMASK = os.umask(0)
os.umask(_UMASK)  # read once at import: os.umask can only be read by setting it


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp creates 0600 files; outputs are shared deliverables, so use the usual umask'd mode.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def preview_path(job: Job) -> str | None:
    """Where index.html finds a picture of a print job (PNG outputs are their own picture)."""
    if job.format.medium != "print":
        return None
    return f"{PREVIEW_DIR}/{job.output.rsplit('.', 1)[0]}.png"


@dataclass(frozen=True)
class JobResult:
    """What a job sends back to the process that writes: picklable, for process pools and Dask."""

    job: Job
    data: bytes | None = None
    preview: bytes | None = None
    alt: str = ""
    errors: tuple[Diagnostic, ...] = ()


def run_job(ws: Workspace, campaign: Campaign, job: Job) -> JobResult:
    """Render one job; any failure becomes diagnostics, so one broken poster never stops the others."""
    poster = campaign.posters[job.poster_id]
    try:
        composition = compose_job(ws, campaign, job)
        data = export_job(ws, composition)
        preview = render_screen(ws, campaign, job, PREVIEW_PX)[1] if preview_path(job) else None
    except PosterError as exc:
        return JobResult(job, errors=exc.diagnostics)
    except Exception as exc:  # noqa: BLE001 - a bug in one job: reported with its poster, the build goes on
        return JobResult(job, errors=(Diagnostic(
            f"internal error rendering {job.output}: {type(exc).__name__}: {exc}; please report it "
            "(poster render with POSTER_DEBUG=1 shows the traceback)", poster.file),))
    alt = alt_text(campaign, job)
    if job.row:
        alt = alt.rstrip(".") + " — " + " · ".join(v for k, v in job.row.values if v and k != "id") + "."
    return JobResult(job, data, preview, alt)


def _entry(job: Job, campaign: Campaign, data: bytes, key: str | None, alt: str) -> dict:
    poster = campaign.posters[job.poster_id]
    inputs = [poster.file, f"layouts/{poster.spec.layout}.svg", poster.spec.visual, poster.spec.data]
    entry = {
        "poster": job.poster_id,
        "format": job.format.name,
        "lang": job.lang,
        "file": job.output,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "alt": alt,
        "inputs": [i for i in inputs if i],
        "key": key,
    }
    if job.row:
        entry["row"] = job.row.id
    if preview_path(job):
        entry["preview"] = preview_path(job)
    return entry


def _job_key(ws: Workspace, campaign: Campaign, job: Job) -> str | None:
    from poster_engine.render.keys import content_key

    try:
        return content_key(ws, campaign, campaign.posters[job.poster_id], job.format, job.lang, job.row_fields)
    except PosterError:  # e.g. a missing translation: the render reports it with its line
        return None


def _up_to_date(out_dir: Path, job: Job, key: str | None, old: dict | None) -> bool:
    if key is None or not old or old.get("key") != key:
        return False
    try:
        if (out_dir / job.output).stat().st_size != old.get("bytes"):
            return False
    except OSError:
        return False
    preview = preview_path(job)
    return preview is None or (out_dir / preview).is_file()


def clean_stale_temporaries(out_dir: Path) -> None:
    """A build killed mid-write (SIGKILL, power cut) leaves `.NAME.*.tmp` files: never outputs, removed here."""
    if out_dir.is_dir():
        for tmp in out_dir.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def build(ws: Workspace, campaign: Campaign, jobs: list[Job], out_dir: Path,
          on_done: Callable[[Job, Diagnostic | None], None] | None = None, *,
          workers: int = 1, scheduler: str | None = None, force: bool = False,
          on_start: Callable[[int, int], None] | None = None, contact: bool = True) -> BuildReport:
    """Render every job whose inputs changed (all with `force`); a failing job is reported and the
    others go on. `on_start(to_render, up_to_date)` is called once the keys are known, `on_done`
    after each rendered job. Each rebuilt poster also gets <poster>/contact.png, its formats side by
    side at screen size (unless `contact` is False)."""
    report = BuildReport()
    clean_stale_temporaries(out_dir)
    manifest_path = out_dir / "manifest.json"
    old = _read_manifest(manifest_path)
    entries: dict[str, dict] = {}
    todo: list[tuple[Job, str | None]] = []
    for job in jobs:
        key = _job_key(ws, campaign, job)
        if not force and _up_to_date(out_dir, job, key, old.get(job.output)):
            report.skipped.append(job.output)
            entries[job.output] = old[job.output]
        else:
            todo.append((job, key))
    if on_start:
        on_start(len(todo), len(report.skipped))
    keys = {job: key for job, key in todo}
    try:
        for result in _execute(ws, campaign, [job for job, _ in todo], workers, scheduler):
            job = result.job
            if result.errors:
                # One missing translation fails every format of a poster: say it once.
                report.errors.extend(d for d in result.errors if d not in report.errors)
                report.failed.append(job.output)
            else:
                write_atomic(out_dir / job.output, result.data)
                write_atomic(out_dir / f"{job.output}.alt.txt", (result.alt + "\n").encode())
                if result.preview is not None:
                    write_atomic(out_dir / preview_path(job), result.preview)
                entries[job.output] = _entry(job, campaign, result.data, keys[job], result.alt)
                report.built.append(job.output)
            if on_done:
                on_done(job, result.errors[0] if result.errors else None)
        # Contact sheets of posters rebuilt now, or whose sheet is missing (a build killed before it).
        rebuilt = dict.fromkeys(job.poster_id for job in jobs if job.row is None and (
            job in keys or not (out_dir / job.poster_id / "contact.png").is_file()))
        for pid in rebuilt if contact else ():
            from poster_engine.qa.proof import contact_sheet

            own = [j for j in jobs if j.poster_id == pid and j.lang == jobs[0].lang]
            write_atomic(out_dir / pid / "contact.png", contact_sheet(ws, campaign, own))
    finally:
        # Also on Ctrl-C: what was written is listed, so the next build skips it.
        if report.built or not manifest_path.exists():
            merged = {**old, **entries}  # outputs not selected this time stay listed
            outputs = [merged[k] for k in sorted(merged)]
            write_atomic(manifest_path, (json.dumps({"outputs": outputs}, indent=2, ensure_ascii=False) + "\n").encode())
            from poster_engine.batch.gallery import gallery_html

            write_atomic(out_dir / "index.html", gallery_html(outputs, campaign))
    return report


def _read_manifest(path: Path) -> dict[str, dict]:
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("outputs", [])
    except (OSError, ValueError, AttributeError):
        old = []
    return {e["file"]: e for e in old if isinstance(e, dict) and "file" in e}


# ---------------------------------------------------------------------------------------------
# Where jobs run. Workers load the project once (fonts, ICC transforms and photos are then cached
# per process) and are handed jobs; `_STATE` holds that per-process load.

_STATE: dict[tuple, tuple[Workspace, Campaign]] = {}


def _project(spec: tuple) -> tuple[Workspace, Campaign]:
    if spec not in _STATE:
        from poster_engine.project.content import load_campaign
        from poster_engine.core.formats import FORMATS

        root, print_profile, timestamp, _token = spec
        ws = Workspace(Path(root), timestamp, print_profile)
        _STATE.clear()  # a long-lived Dask worker keeps only the current state of the project
        _STATE[spec] = (ws, load_campaign(ws.root, set(FORMATS)))
    return _STATE[spec]


def _init_worker(spec: tuple) -> None:
    _project(spec)


def _run_in_worker(spec: tuple, job: Job) -> JobResult:
    ws, campaign = _project(spec)
    return run_job(ws, campaign, job)


def project_spec(ws: Workspace, campaign: Campaign) -> tuple:
    """What a worker needs to load the same project: its folder (shared with the workers), the print
    profile, the timestamp, and a token of the content so a long-lived worker reloads after an edit."""
    from poster_engine.render.keys import file_digest

    token = hashlib.sha256("".join(str(file_digest(p)) for p in campaign.sources).encode()).hexdigest()
    return (str(ws.root), ws.print_profile, ws.timestamp, token)


def _execute(ws: Workspace, campaign: Campaign, jobs: list[Job], workers: int, scheduler: str | None):
    """Yield each job's result as it completes."""
    if not jobs:
        return
    spec = project_spec(ws, campaign)
    if scheduler:
        from poster_engine.batch.executors import run_on_cluster

        yield from run_on_cluster(scheduler, spec, jobs)
    elif workers <= 1 or len(jobs) == 1:
        for job in jobs:
            yield run_job(ws, campaign, job)
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # Forked workers inherit this process's loaded project; spawned ones load it in _init_worker.
        _STATE[spec] = (ws, campaign)
        with ProcessPoolExecutor(min(workers, len(jobs)), initializer=_init_worker, initargs=(spec,)) as pool:
            futures = [pool.submit(_run_in_worker, spec, job) for job in jobs]
            try:
                for future in as_completed(futures):
                    yield future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
