"""The typer app: parse, call one function, print diagnostics. Heavy imports stay inside commands;
`poster --help` and a build with nothing to do are answered before this module is imported
(cli/__init__.py)."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Render a campaign's posters to print PDFs and social images.",
    pretty_exceptions_enable=False,
    # Plain help and usage errors: typer's rich formatting imports rich, markdown-it and pygments,
    # 43 % of `poster --help`'s imports (docs/performance.md §16).
    rich_markup_mode=None,
)

EXIT_FAILED_JOBS = 1  # some posters could not be rendered; the others were
EXIT_BAD_INPUT = 2  # the content or the command line is wrong; fix it and run again
EXIT_CLUSTER = 3  # --scheduler: unreachable or lost, or workers that refuse; what was written is kept

ProjectOpt = typer.Option(Path("."), "--project", "-C", help="Project folder (holds messages.yaml).")
PrintProfileOpt = typer.Option(
    "fogra39", "--print-profile", "-P", help="Print profile for PDFs (bleed, marks, ICC, ink limit); see `poster list`."
)
LANG_HELP = "Language of the texts (default: the campaign's own, messages.yaml campaign.language); repeatable."


# Control characters (a NUL, an escape sequence, a line break in a name typed on the command line)
# are shown escaped: a diagnostic stays one line and cannot drive the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _err(line: str) -> None:
    typer.echo(_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), line), err=True)


def _bad_input(exc) -> NoReturn:
    """Bad input exits 2; an output that could not be written (full disk, read-only folder) exits 1:
    the input was fine, the outputs were not written."""
    from poster_engine.batch.outputs import OUTPUT_CHECK

    for d in exc.diagnostics:
        _err(f"error: {d}" if d.severity == "error" else str(d))
    unwritten = all(d.check == OUTPUT_CHECK for d in exc.diagnostics)
    raise typer.Exit(EXIT_FAILED_JOBS if unwritten else EXIT_BAD_INPUT)


def _open(project: Path, print_profile: str = "fogra39"):
    """The project (open_project, the one loader); bad project-wide input exits with its diagnostics."""
    from poster_engine.api import ProjectOptions, open_project
    from poster_engine.core.diagnostics import PosterError

    try:
        return open_project(project, ProjectOptions(print_profile=print_profile))
    except PosterError as exc:
        _bad_input(exc)


def _plan(
    project: Path,
    posters: list[str],
    formats: list[str],
    out: Path,
    print_profile: str = "fogra39",
    langs: list[str] | None = None,
    data: Path | None = None,
    image_format: str | None = None,
    shard: str | None = None,
):
    """Open the project and plan the selected jobs (bad input exits); rejected poster files and data
    rows are printed, and returned so the exit status can say so."""
    from poster_engine.api import plan, shard_jobs
    from poster_engine.core.diagnostics import PosterError

    opened = _open(project, print_profile)
    try:
        planned = plan(opened, posters, formats, langs, data, image_format)
        jobs = shard_jobs(planned.jobs, shard)
    except PosterError as exc:
        _bad_input(exc)
    for d in planned.rejected:
        _err(f"error: {d}")
    return opened, jobs, out if out.is_absolute() else opened.root / out, planned.rejected


def _exit_status(rejected: list, failed: list) -> None:
    """Rejected poster files or data rows are bad input (2); failed jobs, with the others written, are 1."""
    if rejected:
        raise typer.Exit(EXIT_BAD_INPUT)
    if failed:
        raise typer.Exit(EXIT_FAILED_JOBS)


@app.command()
def build(
    poster: list[str] = typer.Option([], "--poster", "-p", help="Only these posters (repeatable)."),
    format: list[str] = typer.Option(
        [], "--format", "-f", help="Only these formats or groups: print, social (repeatable)."
    ),
    image_format: str | None = typer.Option(
        None, "--image-format", help="Social images as png (default), jpeg or webp."
    ),
    lang: list[str] = typer.Option([], "--lang", "-l", help=LANG_HELP),
    out: Path = typer.Option(Path("build"), "--out", "-o", help="Output folder, relative to the project."),
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, max=1024, help="Parallel processes (default: one per core; 1: this process)."
    ),
    data: Path | None = typer.Option(
        None, "--data", "-d", help="CSV of data rows for the posters that read rows (one poster per row)."
    ),
    force: bool = typer.Option(False, "--force", help="Render every job, even those whose inputs did not change."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Run the jobs on a Dask cluster, e.g. tcp://10.0.0.5:8786."
    ),
    shard: str | None = typer.Option(None, "--shard", help="K/N: only the K-th of N equal parts (CI matrices)."),
    print_profile: str = PrintProfileOpt,
    project: Path = ProjectOpt,
) -> None:
    """Render every poster in every format into build/; outputs whose inputs did not change are kept."""
    import os

    from poster_engine.batch import stamp
    from poster_engine.batch.build import build as run_build
    from poster_engine.batch.cluster import ClusterError
    from poster_engine.cli.noop import summary
    from poster_engine.core.diagnostics import PosterError

    started = time.perf_counter()
    # What the project holds before it is opened: a build that ends well is stamped with it, so the
    # next one with nothing to do knows without opening the project (batch/stamp.py).
    started_ns = time.time_ns()
    before = stamp.inputs_now(str(project.resolve())) if data is None else None
    opened, planned, out_dir, rejected = _plan(
        project, poster, format, out, print_profile, lang, data, image_format, shard
    )
    progress = _Progress()
    try:
        report = run_build(
            opened,
            planned,
            out_dir,
            progress.done,
            workers=jobs or os.cpu_count() or 1,
            scheduler=scheduler,
            force=force,
            on_start=progress.start,
            on_cluster=progress.cluster,
        )
    except ClusterError as exc:  # one line; the outputs written before are kept and listed
        progress.stop()
        for d in exc.diagnostics:
            _err(f"error: {d}")
        raise typer.Exit(EXIT_CLUSTER) from None
    except PosterError as exc:
        progress.stop()
        _bad_input(exc)
    progress.stop()
    for d in report.errors:
        _err(f"error: {d}")
    elapsed = time.perf_counter() - started
    typer.echo(summary(len(report.built), len(report.skipped), len(report.failed), len(rejected), elapsed, out_dir))
    if before is not None and not (rejected or report.failed or report.errors):
        chosen = stamp.selection(
            str(opened.root), str(out_dir), poster, format, lang, image_format, shard, print_profile
        )
        stamp.record(opened, planned, str(out_dir), chosen, started_ns, before)
    _exit_status(rejected, report.failed)


class _Progress:
    """A progress bar (done/total, ETA, and on a cluster its worker count) on a terminal; one line
    per output otherwise (logs, CI)."""

    def __init__(self) -> None:
        self.bar: Any = None  # rich's Progress, imported only on a terminal (start-up stays fast)
        self.task: Any = None
        self.workers: int | None = None

    def start(self, todo: int, up_to_date: int) -> None:
        if todo and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("rendering"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[cluster]}"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("build", total=todo, cluster="")

    def cluster(self, info) -> None:
        """The cluster's size: once with the bundle's journey, then on every change."""
        line = info.summary if self.workers is None else f"cluster: {info.size}"
        self.workers = info.workers
        if self.bar is not None:
            self.bar.update(self.task, cluster=f"on {info.size.split(',')[0]}")
            self.bar.console.print(line)
        else:
            typer.echo(line)

    def done(self, job, problem) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)
            if problem:
                self.bar.console.print(f"FAIL {job.output}")
        else:
            typer.echo(f"{'FAIL' if problem else 'ok  '} {job.output}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@app.command()
def render(
    poster: str = typer.Argument(..., help="Poster id (file name in posters/ without .yaml)."),
    format: str = typer.Option("a3", "--format", "-f", help="Format name (see `poster list`)."),
    lang: str | None = typer.Option(None, "--lang", "-l", help="Language of the texts (default: the campaign's)."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Output file (default build/POSTER/FORMAT.EXT, FORMAT-LANG.EXT for en); its extension says what to "
        "write: the format's own file, another image type, or .svg for the composed SVG that export draws.",
    ),
    row: str | None = typer.Option(None, "--row", help="For a poster of data rows: the row id (default: the first)."),
    print_profile: str = PrintProfileOpt,
    project: Path = ProjectOpt,
) -> None:
    """Render one poster in one format."""
    from poster_engine.api import composed_svg, one_job, output_kind, render_as
    from poster_engine.batch.outputs import write_atomic
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.render.job import render_job

    opened = _open(project, print_profile)
    try:
        if out is not None and format in opened.formats:
            output_kind(opened.formats[format], out)  # a wrong extension is refused before rendering
        job = one_job(opened, poster, format, lang or opened.campaign.lang, row)
        target = out or opened.root / "build" / job.output
        if output_kind(job.format, target) == "svg":
            data, note = composed_svg(opened, job), ""
        else:
            data, note = render_as(opened, job, render_job(opened, job), target)
        write_atomic(target, data)
    except PosterError as exc:
        _bad_input(exc)
    if note:
        _err(note)
    typer.echo(str(target))


@app.command()
def preflight(
    files: list[Path] = typer.Argument(..., help="PDF files to check (ours or anyone's)."),
    print_profile: str = PrintProfileOpt,
    project: Path = ProjectOpt,
) -> None:
    """Check PDFs against a print profile: a PASS/FAIL table per file; exit code 1 on any FAIL."""
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.project.settings import read_settings
    from poster_engine.qa.preflight import format_table
    from poster_engine.qa.preflight import preflight as run_preflight

    try:  # any PDF, from any folder: only the print profiles are read, not the campaign
        profiles = read_settings(project).print_profiles
        if print_profile not in profiles:
            from poster_engine.core.diagnostics import Diagnostic, did_you_mean

            raise PosterError(
                Diagnostic(f"unknown print profile '{print_profile}'{did_you_mean(print_profile, profiles)}")
            )
        profile = profiles[print_profile]
    except PosterError as exc:
        _bad_input(exc)
    failed = False
    for path in files:
        checks = run_preflight(path, profile)
        typer.echo(format_table(str(path), checks))
        failed |= any(c.failed for c in checks)
    raise typer.Exit(EXIT_FAILED_JOBS if failed else 0)


@app.command()
def check(
    poster: list[str] = typer.Option([], "--poster", "-p", help="Only these posters (repeatable)."),
    lang: list[str] = typer.Option([], "--lang", "-l", help=LANG_HELP),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1): for CI."),
    as_json: bool = typer.Option(False, "--json", help="Findings as JSON on stdout, for machines."),
    print_profile: str = PrintProfileOpt,
    project: Path = ProjectOpt,
) -> None:
    """Lint the campaign before printing: sources, placeholders, contrast, type size, QR, photos, fit,
    colours the print profile cannot print, small reversed type.

    Exit 0 when only warnings (without --strict), 1 on any error, 2 on bad input."""
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.qa.check import check_campaign, format_table, to_json

    opened = _open(project, print_profile)
    try:
        findings = check_campaign(opened, lang or None, poster or None)
    except PosterError as exc:
        _bad_input(exc)
    typer.echo(to_json(findings) if as_json else format_table(findings))
    if opened.campaign.diagnostics:  # a poster file was rejected: bad input, said on stderr as `build` does
        for d in opened.campaign.diagnostics:
            _err(f"error: {d}")
        raise typer.Exit(EXIT_BAD_INPUT)
    if any(f.severity == "error" or strict for f in findings):
        raise typer.Exit(EXIT_FAILED_JOBS)


@app.command()
def preview(
    poster: list[str] = typer.Option([], "--poster", "-p", help="Only these posters (repeatable)."),
    layout: list[str] = typer.Option(
        [], "--layout", "-l", help="Posters using this layout, plus it with sample content (repeatable)."
    ),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0 picks a free one)."),
    edit: bool = typer.Option(False, "--edit", help="The workbench: edit texts, save, new posters, check, build."),
    project: Path = ProjectOpt,
) -> None:
    """Live preview in the browser: every selected poster in every format, re-rendered on save."""
    _serve(project, poster, layout, port, edit)


@app.command()
def workbench(
    poster: list[str] = typer.Option([], "--poster", "-p", help="Only these posters (repeatable)."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0 picks a free one)."),
    project: Path = ProjectOpt,
) -> None:
    """The preview plus editing, in the browser: click a text and edit it per language, every format
    redrawn with its fit as you type; save (checked, undoable); new posters from a template; check
    and build the selected posters. Same as `poster preview --edit`."""
    _serve(project, poster, [], port, True)


def _serve(project: Path, poster: list[str], layout: list[str], port: int, edit: bool) -> None:
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.preview.server import start_preview

    name = "workbench" if edit else "preview"
    try:
        server = start_preview(project, poster, layout, port, edit=edit)
    except PosterError as exc:
        _bad_input(exc)
    typer.echo(f"{name} at {server.url} (Ctrl-C to stop)")
    try:
        server.wait()
    except KeyboardInterrupt:
        typer.echo(f"{name} stopped")
    finally:
        server.close()
    # A render may still run in a daemon thread (close() waits for it 2 s at most); the interpreter's
    # clean-up would wait on it and on the images it holds. Nothing is left to write: leave now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@app.command()
def proof(
    poster: list[str] = typer.Option([], "--poster", "-p", help="Only these posters (repeatable)."),
    out: Path = typer.Option(Path("build"), "--out", "-o", help="Output folder, relative to the project."),
    softproof: bool = typer.Option(
        False, "--softproof", help="Show print formats through the print profile, as the paper will show them."
    ),
    print_profile: str = PrintProfileOpt,
    project: Path = ProjectOpt,
) -> None:
    """Contact sheet of every poster in each of its formats, for sign-off: proof.pdf and proof.png."""
    from poster_engine.api import write_proof
    from poster_engine.core.diagnostics import PosterError

    opened, jobs, out_dir, rejected = _plan(project, poster, [], out, print_profile)
    try:
        report = write_proof(opened, jobs, out_dir, softproof)
    except PosterError as exc:  # e.g. Ghostscript missing
        _bad_input(exc)
    for d in report.errors:
        _err(f"error: {d}")
    typer.echo(
        f"{report.sheets} sheet(s), {len(jobs) - len(report.errors)} of {len(jobs)} image(s) → "
        f"{out_dir / 'proof.pdf'}, {out_dir / 'proof.png'}"
    )
    _exit_status(rejected, report.errors)


@app.command()
def new(
    folder: Path = typer.Argument(..., help="A new or empty folder for the campaign."),
    lang: str = typer.Option("en", "--lang", "-l", help="The campaign's language: en or fr."),
) -> None:
    """Start a new campaign: content, two layouts, a poster for each, fonts, a README for the team."""
    from poster_engine.api import new_campaign
    from poster_engine.core.diagnostics import PosterError

    try:
        written = new_campaign(folder, lang)
    except PosterError as exc:
        _bad_input(exc)
    typer.echo(f"{len(written)} files written to {folder}; next: cd {folder} && poster build && poster check")


@app.command()
def tile(
    poster: str = typer.Argument(..., help="Poster id (file name in posters/ without .yaml)."),
    format: str = typer.Option("a1", "--format", "-f", help="The print format to assemble (see `poster list`)."),
    sheet: str = typer.Option("a4", "--sheet", help="The sheets the office printer takes (a4, a3…)."),
    overlap: str = typer.Option("10mm", "--overlap", help="Poster both neighbouring sheets show, to glue over."),
    cmyk: bool = typer.Option(
        False, "--cmyk", help="The CMYK print PDF cut up, marks in K (default: RGB, for office printers)."
    ),
    lang: str | None = typer.Option(None, "--lang", "-l", help="Language of the texts (default: the campaign's)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output PDF (default build/POSTER/FORMAT-tiles-SHEET.pdf)."
    ),
    print_profile: str = PrintProfileOpt,
    project: Path = ProjectOpt,
) -> None:
    """A big poster on small sheets: one PDF with a page map, then one sheet per tile, with overlap,
    crop marks, alignment ticks and tile numbers."""
    from poster_engine.api import tile_one
    from poster_engine.batch.outputs import write_atomic
    from poster_engine.core.diagnostics import PosterError

    opened = _open(project, print_profile)
    try:
        output, tiled = tile_one(opened, poster, format, sheet, overlap, cmyk, lang or opened.campaign.lang)
    except PosterError as exc:
        _bad_input(exc)
    target = out or opened.root / "build" / output
    write_atomic(target, tiled.pdf)
    grid = tiled.grid
    turned = "landscape" if grid.sheet[0] > grid.sheet[1] else "portrait"
    _err(f"{grid.cols} × {grid.rows} {sheet} sheets ({turned}) + the page map")
    typer.echo(str(target))


strings_app = typer.Typer(
    no_args_is_help=True, help="Texts for translators: export a PO catalogue, import its translations."
)
app.add_typer(strings_app, name="strings")


@strings_app.command("export")
def strings_export(
    lang: str = typer.Option(..., "--lang", "-l", help="The language to translate into (e.g. en)."),
    poster: list[str] = typer.Option([], "--poster", "-p", help="Only the texts of these posters (repeatable)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the PO file here (default: stdout)."),
    project: Path = ProjectOpt,
) -> None:
    """Every text the selected posters show, as gettext PO: its id (msgctxt), posters and slots, and the
    longest translation that still fits its tightest slot at the minimum size."""
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.project.atomic import write_atomic
    from poster_engine.qa.strings import export_po

    opened = _open(project)
    try:
        data = export_po(opened, poster or None, lang)
    except PosterError as exc:
        _bad_input(exc)
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        write_atomic(out, data)
        _err(f"wrote {out}")


@strings_app.command("import")
def strings_import(
    file: Path = typer.Argument(..., help="A PO file made by `poster strings export` and translated."),
    lang: str | None = typer.Option(None, "--lang", "-l", help="Its language (default: the file's Language)."),
    project: Path = ProjectOpt,
) -> None:
    """Write the translations into messages.yaml (comments, order and quoting kept), then list every
    imported text that does not fit its slot (exit 1 if any)."""
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.qa.strings import import_po, read_catalogue

    opened = _open(project)
    try:
        report = import_po(opened, read_catalogue(file, str(file)), str(file), lang)
    except PosterError as exc:
        _bad_input(exc)
    state = "messages.yaml updated" if report.changed else "messages.yaml unchanged"
    _err(f"{report.imported} translation(s) into '{report.lang}'; {state}")
    for d in report.unfit:
        typer.echo(f"does not fit: {d.where}: {d.text}")
    if report.unfit:
        raise typer.Exit(EXIT_FAILED_JOBS)


@app.command("list")
def list_(project: Path = ProjectOpt) -> None:
    """List posters, layouts, formats and print profiles."""
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.core.languages import DEFAULT_LANG, LANGUAGES
    from poster_engine.project.settings import read_settings

    try:
        settings = read_settings(project)
    except PosterError as exc:
        _bad_input(exc)

    posters = sorted(p.stem for p in (project / "posters").glob("*.yaml"))
    # A family is layouts/<name>.svg; layouts/<name>.<shape>.svg are its variants for other shapes.
    variants: dict[str, list[str]] = {}
    for path in sorted((project / "layouts").glob("*.svg")):
        family, _, shape = path.stem.partition(".")
        variants.setdefault(family, []).extend([shape] if shape else [])
    layouts = [f"{name} ({', '.join(shapes)})" if shapes else name for name, shapes in variants.items()]
    typer.echo("posters:  " + (", ".join(posters) or "(none)"))
    typer.echo("layouts:  " + (", ".join(layouts) or "(none)"))
    typer.echo("formats (groups: print, social):")
    for f in settings.formats.values():
        typer.echo(f"  {f.name:<10} {f.medium:<6} {f.label}")
    typer.echo("print profiles (--print-profile):")
    for p in settings.print_profiles.values():
        typer.echo(f"  {p.name:<18} {p.label}")
    typer.echo(
        "languages: "
        + ", ".join(LANGUAGES)
        + " with house rules, and any other CLDR code (pl, sv, cs, el, pt-BR…) with CLDR's conventions"
        + f" (a campaign's own: messages.yaml campaign.language, default {DEFAULT_LANG})"
    )


def main() -> None:
    import os

    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("POSTER_DEBUG"):
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (set POSTER_DEBUG=1 for the traceback; please report it)")
        sys.exit(70)


if __name__ == "__main__":
    main()
