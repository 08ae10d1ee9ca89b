"""`[Job]` → files in build/ (each written atomically) + build/manifest.json."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .content import Campaign
from .errors import Diagnostic, PosterError
from .plan import Job
from .workspace import Workspace

if TYPE_CHECKING:  # compose pulls in HarfBuzz and fontTools: imported by the functions that need it
    from .compose import Composition


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)


def compose_job(ws: Workspace, campaign: Campaign, job: Job, raster_scale: float | None = None) -> Composition:
    """Layout, typesetting, QR codes and visuals of one job: what every output of it is drawn from."""
    from .compose import compose

    return compose(ws, campaign, campaign.posters[job.poster_id], job.format, job.lang, raster_scale)


def export_job(ws: Workspace, composition: Composition) -> bytes:
    """The deliverable file: the finished print PDF, or the social PNG at its exact pixel size."""
    fmt = composition.layout.format
    if fmt.medium == "print":
        from .export.pdf import svg_to_pdf
        from .prepress import make_print_pdf

        return make_print_pdf(svg_to_pdf(composition.svg), (fmt.width, fmt.height), fmt.bleed_mm,
                              composition.title, ws.timestamp, ws.print_settings, composition.poster.file)
    from .errors import fail
    from .export.raster import TooLarge, encode, render_rgb

    image = render_rgb(composition.svg, int(fmt.width), int(fmt.height))
    try:
        return encode(image, fmt.image_format, fmt.max_bytes)
    except TooLarge as exc:
        raise fail(f"the {fmt.image_format} image is {exc.size / 1e6:.1f} MB at its lowest quality, over "
                   f"{fmt.name}'s {fmt.max_bytes / 1e6:g} MB limit; use --image-format jpeg or simplify the visual",
                   composition.poster.file) from None


def alt_text(campaign: Campaign, job: Job) -> str:
    """What the image says, for screen readers (French: "Affiche : « message » — 40 000 enfants …")."""
    from .fields import poster_fields
    from .markup import parse_markup
    from .typography import LANGUAGES

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
    return " ".join(f"{what}{sep} {' — '.join(p for p in parts if p)}".split()) + "."


def render_job(ws: Workspace, campaign: Campaign, job: Job) -> bytes:
    """One job from content to the finished file's bytes: the single rendering path."""
    return export_job(ws, compose_job(ws, campaign, job))


def render_screen(ws: Workspace, campaign: Campaign, job: Job, long_side_px: int) -> tuple[Composition, bytes]:
    """The same composition as `render_job`, drawn as a PNG of `long_side_px` on its long side.

    For the preview and the proof sheet: the whole page (trim + bleed) keeps its aspect, and photos
    are resampled for the screen, so a print format is never rasterised at print resolution.
    """
    from .export.raster import svg_to_png

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


def build(ws: Workspace, campaign: Campaign, jobs: list[Job], out_dir: Path,
          on_done: Callable[[Job, Diagnostic | None], None] | None = None, contact: bool = True) -> BuildReport:
    """Render every job; a failing job is reported and the others go on. Each poster also gets
    <poster>/contact.png, its formats side by side at screen size (unless `contact` is False)."""
    report = BuildReport()
    entries = []
    for job in jobs:
        try:
            data = render_job(ws, campaign, job)
        except PosterError as exc:
            # One missing translation fails every format of a poster: say it once.
            report.errors.extend(d for d in exc.diagnostics if d not in report.errors)
            if on_done:
                on_done(job, exc.diagnostics[0])
            continue
        write_atomic(out_dir / job.output, data)
        alt = alt_text(campaign, job)
        write_atomic(out_dir / f"{job.output}.alt.txt", (alt + "\n").encode())
        report.built.append(job.output)
        entries.append({
            "poster": job.poster_id,
            "format": job.format.name,
            "lang": job.lang,
            "file": job.output,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "alt": alt,
        })
        if on_done:
            on_done(job, None)
    for pid in dict.fromkeys(j.poster_id for j in jobs) if contact else ():
        from .proof import contact_sheet

        own = [j for j in jobs if j.poster_id == pid and j.lang == jobs[0].lang]
        write_atomic(out_dir / pid / "contact.png", contact_sheet(ws, campaign, own))
    if entries:
        manifest = {"outputs": _merge_manifest(out_dir / "manifest.json", entries)}
        write_atomic(out_dir / "manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    return report


def _merge_manifest(path: Path, entries: list[dict]) -> list[dict]:
    """Keep entries of outputs not rebuilt this time (a partial build must not forget them)."""
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("outputs", [])
    except (OSError, ValueError, AttributeError):
        old = []
    merged = {e["file"]: e for e in old if isinstance(e, dict) and "file" in e}
    merged.update({e["file"]: e for e in entries})
    return [merged[k] for k in sorted(merged)]
