"""What the commands do, as functions: open a project, plan, build, render one job, check, proof, preview.

The command line (cli.py) parses arguments, calls one of these and prints the diagnostics; tests
and scripts call them directly. Every one takes an opened `Project` (open_project), except
`preflight`, which reads any PDF.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from poster_engine.batch.outputs import write_atomic
from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean
from poster_engine.core.formats import Format
from poster_engine.plan import Job, plan_jobs
from poster_engine.project.data import Row, load_rows
from poster_engine.project.loader import Project, ProjectOptions, open_project
from poster_engine.project.paths import PathProblem, project_file, shown_name

if TYPE_CHECKING:  # the drawing code is imported by the functions that draw: a no-op rebuild never loads it
    from poster_engine.qa.proof import Proof
    from poster_engine.render.tiles import TiledPoster

__all__ = [
    "Plan",
    "ProjectOptions",
    "composed_svg",
    "new_campaign",
    "one_job",
    "open_project",
    "plan",
    "render_as",
    "render_one",
    "shard_jobs",
    "write_proof",
]

# The languages `poster new` writes a starter campaign in (poster_engine/starter/messages.<lang>.yaml).
STARTER_LANGS = ("en", "fr")
# `poster render -o FILE`: what each extension holds.
# .svg is the composed SVG that export draws (before prepress for print): to debug a layout, or to
# time other renderers on exactly the engine's input.
EXTENSIONS = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp", ".svg": "svg"}


@dataclass(frozen=True)
class Plan:
    """The jobs a command will run, and the inputs it had to leave out (broken poster files, bad data rows)."""

    jobs: list[Job]
    rejected: list[Diagnostic] = field(default_factory=list)


def data_rows(project: Project, posters: list[str], data: Path | None) -> tuple[dict[str, list[Row]], list[Diagnostic]]:
    """Rows of each selected poster that reads data (`data:` in its file, or `--data` instead), and
    one diagnostic per bad row (the good rows still build).

    A poster's `data:` must name a file inside the project (checked when the poster is loaded, and
    again here). `--data FILE` is the user's own argument, like `cat FILE`: it may be any regular
    file they can read, relative to the current folder (README, "Security")."""
    readers = [
        p for pid, p in sorted(project.campaign.posters.items()) if p.spec.data and (not posters or pid in posters)
    ]
    if data is not None and not readers:
        raise PosterError(
            Diagnostic(
                "--data: none of the selected posters reads data rows; add "
                "`data: data/rows.csv` to a poster whose layout names {row.…} fields"
            )
        )
    rows: dict[str, list[Row]] = {}
    rejected: list[Diagnostic] = []
    loaded: dict[Path, tuple[list[Row], list[Diagnostic]]] = {}
    for poster in readers:
        if data is not None:
            path = data
        else:
            found = project_file(project.root, str(poster.spec.data))
            if isinstance(found, PathProblem):  # the loader already refused it: never read
                raise PosterError(
                    Diagnostic(
                        f"data '{shown_name(str(poster.spec.data))}' {found.says}; {found.fix}",
                        poster.file,
                        poster.line_of("data"),
                    )
                )
            path = project.root / str(poster.spec.data)
        if path not in loaded:
            loaded[path] = load_rows(path, shown_name(project.shown(path)))
        rows[poster.id], problems = loaded[path]
        rejected += [d for d in problems if d not in rejected]
    return rows, rejected


def plan(
    project: Project,
    posters: list[str] | None = None,
    formats: list[str] | None = None,
    langs: list[str] | None = None,
    data: Path | None = None,
    image_format: str | None = None,
) -> Plan:
    """The selected jobs; bad names raise PosterError, broken poster files and rows are `rejected`."""
    # A poster named on the command line whose file was rejected: say why, not "unknown poster".
    own = [d for p in posters or [] if p not in project.campaign.posters for d in _poster_diagnostics(project, p)]
    if own:
        raise PosterError(dict.fromkeys(own))
    rows, rejected = data_rows(project, posters or [], data)
    jobs = plan_jobs(project, posters or None, formats or None, langs or None, rows=rows, image_format=image_format)
    return Plan(jobs, [*project.campaign.diagnostics, *rejected])


def shard_jobs(jobs: list[Job], shard: str | None) -> list[Job]:
    """`K/N`: every N-th job of the list sorted by output path, from the K-th: the same split on every
    machine, and the N shards together are exactly the whole build."""
    if not shard:
        return jobs
    k, _, n = shard.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise PosterError(Diagnostic(f"--shard {shard}: write K/N with 1 ≤ K ≤ N, e.g. --shard 2/4"))
    ordered = sorted(jobs, key=lambda j: j.output)
    return ordered[int(k) - 1 :: int(n)]


def _poster_diagnostics(project: Project, poster: str) -> list[Diagnostic]:
    """Why posters/<poster>.yaml was left out of the campaign (empty if it was not), or the
    posters/ folder itself."""
    return [d for d in project.campaign.diagnostics if d.file in (f"posters/{poster}.yaml", "posters")]


def parse_mm(value: str, option: str) -> float:
    """'10mm', '10 mm', '1cm' or '10' → millimetres."""
    text = value.strip().lower().replace(" ", "")
    factor = 10.0 if text.endswith("cm") else 1.0
    number = text.removesuffix("mm").removesuffix("cm")
    try:
        mm = float(number) * factor
    except ValueError:
        raise PosterError(Diagnostic(f"{option} {value}: give a length such as 10mm or 1cm")) from None
    if mm < 0:
        raise PosterError(Diagnostic(f"{option} {value}: must be 0 or more"))
    return mm


def tile_one(
    project: Project, poster: str, format: str, sheet: str, overlap: str, cmyk: bool, lang: str
) -> tuple[str, TiledPoster]:
    """`poster tile`: one poster in one print format, cut onto `sheet`s; its output path and PDF."""
    from poster_engine.core.formats import get_format
    from poster_engine.render.tiles import tile_job, tile_output

    sheet_format = get_format(sheet, project.formats)
    own = _poster_diagnostics(project, poster)
    if own:
        raise PosterError(own)
    jobs = plan_jobs(project, [poster], [format], [lang])
    if len(jobs) != 1:
        raise PosterError(Diagnostic(f"'{format}' names {len(jobs)} formats; poster tile takes one, e.g. -f a1"))
    job = jobs[0]
    return tile_output(job, sheet_format), tile_job(project, job, sheet_format, parse_mm(overlap, "--overlap"), cmyk)


def render_one(project: Project, poster: str, format: str, lang: str, row: str | None = None) -> tuple[Job, bytes]:
    """One poster in one format (and one data row): the job and the finished file's bytes."""
    from poster_engine.render.job import render_job

    job = one_job(project, poster, format, lang, row)
    return job, render_job(project, job)


def composed_svg(project: Project, job: Job) -> bytes:
    """The composed SVG export draws for `job` (`poster render -o FILE.svg`): fonts as outlines,
    photos cropped and resampled as JPEG data URIs, scrims measured; RGB, before prepress."""
    from poster_engine.render.job import compose_job

    return compose_job(project, job).svg


def one_job(project: Project, poster: str, format: str, lang: str, row: str | None = None) -> Job:
    """The one job of a poster in one format (and one data row); bad names raise PosterError."""

    own = _poster_diagnostics(project, poster)
    if own:
        raise PosterError(own)
    rows, rejected = data_rows(project, [poster], None) if poster in project.campaign.posters else ({}, [])
    jobs = plan_jobs(project, [poster], [format], [lang], rows=rows)
    names = list(dict.fromkeys(j.format.name for j in jobs))
    if len(names) > 1:  # a group (print, social), for a data poster too
        raise PosterError(
            Diagnostic(
                f"'{format}' is a group of {len(names)} formats; render takes one "
                f"(e.g. -f {names[0]}), or use poster build -f {format}"
            )
        )
    if jobs and jobs[0].row is not None:
        ids = [j.row.id for j in jobs if j.row is not None]
        if row is not None and row not in ids:
            raise PosterError(
                Diagnostic(
                    f"--row: '{row}' is not a row of {project.campaign.posters[poster].spec.data}"
                    f"{did_you_mean(row, ids)}"
                )
            )
        jobs = [j for j in jobs if j.row is not None and j.row.id == (row or ids[0])]
    if not jobs:
        raise PosterError(rejected or Diagnostic(f"poster '{poster}' has no row to render; check its data file"))
    (job,) = jobs
    return job


def output_kind(fmt: Format, target: Path) -> str:
    """What `poster render -o TARGET` writes for `fmt` ('pdf', 'png', 'jpeg', 'webp'), checked before
    anything is rendered: an unknown extension, or a social format into a PDF, is refused in one line."""
    kind = EXTENSIONS.get(target.suffix.lower())
    if kind is None:
        own = (
            ".pdf (or .png, .jpg, .webp for its soft proof, .svg for the composed SVG)"
            if fmt.medium == "print"
            else f".{fmt.extension} (or .svg for the composed SVG)"
        )
        raise PosterError(
            Diagnostic(f"-o {target.name}: unknown extension '{target.suffix}'; write {fmt.name} to a {own} file")
        )
    if kind == "pdf" and fmt.medium != "print":
        raise PosterError(
            Diagnostic(
                f"-o {target.name}: {fmt.name} is a social format ({fmt.image_format}), not a print file; "
                f"write it to a .{fmt.extension} file, or render a print format (e.g. -f a3) for a PDF"
            )
        )
    return kind


def render_as(project: Project, job: Job, data: bytes, target: Path) -> tuple[bytes, str]:
    """The rendered `data` in the kind of file `target`'s extension names, and a note on what was
    done ('' when nothing was converted). A print format written as an image is its soft proof
    (the print PDF as the paper will show it, docs/print.md §6b); a social image converts to another
    image type (under the format's size limit)."""
    from poster_engine.export.raster import TooLarge, encode

    fmt = job.format
    kind = output_kind(fmt, target)
    if kind == ("pdf" if fmt.medium == "print" else fmt.image_format):
        return data, ""
    if fmt.medium == "print":
        from poster_engine.export.print.softproof import PROOF_PPI, soft_proof

        image = soft_proof(data, project.print_settings, PROOF_PPI)
        note = (
            f"{fmt.name} is a print format: {target.name} is its soft proof through "
            f"{project.print_settings.profile.output_condition_identifier} at {PROOF_PPI:g} ppi (the trim), "
            "not a print file"
        )
    else:
        from PIL import Image

        image = Image.open(io.BytesIO(data)).convert("RGB")
        note = f"{fmt.name} is a {fmt.image_format} format: converted to {kind}"
    try:
        return encode(image, kind, fmt.max_bytes if fmt.medium == "social" else None, fmt.png), note
    except TooLarge as exc:
        raise PosterError(
            Diagnostic(f"-o {target.name}: {exc.size / 1e6:.1f} MB as {kind}, over {fmt.name}'s size limit")
        ) from None


def write_proof(project: Project, jobs: list[Job], out_dir: Path, softproof: bool = False) -> Proof:
    """The contact sheet of `jobs` into out_dir/proof.pdf and proof.png (its errors: the jobs that failed);
    `softproof`: print formats through the print profile."""

    from poster_engine.qa.proof import proof_sheets

    proof = proof_sheets(project, jobs, softproof)
    write_atomic(out_dir / "proof.pdf", proof.pdf)
    write_atomic(out_dir / "proof.png", proof.png)
    return proof


def new_campaign(target: Path, lang: str = "en") -> list[Path]:
    """A small new campaign in `target` (a new or empty folder): messages.yaml (one message, one
    statistic, one film, in `lang`), one poster per starter layout, the layouts and their sidecars,
    the fonts they use with their licences, project.yaml and a README for the team. Returns the
    files written. The starter is package data: poster_engine/starter/."""
    from importlib.resources import files

    if lang not in STARTER_LANGS:
        raise PosterError(Diagnostic(f"--lang {lang}: poster new writes a campaign in {' or '.join(STARTER_LANGS)}"))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "is not empty" if target.is_dir() else "is a file"
        raise PosterError(Diagnostic(f"{target} {what}; poster new writes a campaign into a new or empty folder"))
    starter = files("poster_engine") / "starter"
    written: list[Path] = []

    def copy(source, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(source.read_bytes())
        written.append(dest)

    def walk(folder, into: Path) -> None:
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_dir():
                walk(item, into / item.name)
            elif folder.name != "posters" or item.name.endswith(f".{lang}.yaml"):
                name = item.name.replace(f".{lang}.yaml", ".yaml") if folder.name == "posters" else item.name
                copy(item, into / name)

    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(starter.iterdir(), key=lambda i: i.name):
        if item.is_dir():
            walk(item, target / item.name)
        elif item.name == f"messages.{lang}.yaml":
            copy(item, target / "messages.yaml")
        elif item.name in ("README.md", "project.yaml"):
            copy(item, target / item.name)
    return written
