"""`[Job]` → files in build/ (each written atomically) + build/manifest.json."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .content import Campaign
from .errors import Diagnostic, PosterError
from .plan import Job
from .workspace import Workspace


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)


def render_job(ws: Workspace, campaign: Campaign, job: Job) -> bytes:
    """One job from composed SVG to the finished file's bytes: the single rendering path."""
    from .compose import compose

    poster = campaign.posters[job.poster_id]
    fmt = job.format
    composition = compose(ws, campaign, poster, fmt, job.lang)
    if fmt.medium == "print":
        from .export.pdf import svg_to_pdf
        from .prepress import finish_pdf

        return finish_pdf(svg_to_pdf(composition.svg), (fmt.width, fmt.height), fmt.bleed_mm,
                          composition.title, ws.timestamp)
    from .export.raster import svg_to_png

    return svg_to_png(composition.svg, int(fmt.width), int(fmt.height))


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(ws: Workspace, campaign: Campaign, jobs: list[Job], out_dir: Path,
          on_done: Callable[[Job, Diagnostic | None], None] | None = None) -> BuildReport:
    """Render every job; a failing job is reported and the others go on."""
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
        report.built.append(job.output)
        entries.append({
            "poster": job.poster_id,
            "format": job.format.name,
            "lang": job.lang,
            "file": job.output,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        })
        if on_done:
            on_done(job, None)
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
