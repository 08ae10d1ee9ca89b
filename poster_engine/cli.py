"""Command line: parse, call one function, print diagnostics. Heavy imports stay inside commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Render a campaign's posters to print PDFs and social images.",
    pretty_exceptions_enable=False,
)

EXIT_FAILED_JOBS = 1  # some posters could not be rendered; the others were
EXIT_BAD_INPUT = 2  # the content or the command line is wrong; fix it and run again

ProjectOpt = typer.Option(Path("."), "--project", "-C", help="Project folder (holds messages.yaml).")
LANG_HELP = "Language of the texts: fr (default, the campaign's) or en; repeat to build several."


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _bad_input(exc) -> NoReturn:
    for d in exc.diagnostics:
        _err(f"error: {d}" if d.severity == "error" else str(d))
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(project: Path):
    from .content import load_campaign
    from .formats import FORMATS
    from .workspace import Workspace

    if not (project / "messages.yaml").is_file():
        _err(f"error: {project / 'messages.yaml'}: not found; run from a project folder or pass --project")
        raise typer.Exit(EXIT_BAD_INPUT)
    ws = Workspace(project)
    return ws, load_campaign(ws.root, set(FORMATS))


@app.command()
def build(
    poster: list[str] = typer.Option([], "--poster", "-p", help="Only these posters (repeatable)."),
    format: list[str] = typer.Option([], "--format", "-f", help="Only these formats (repeatable)."),
    lang: list[str] = typer.Option([], "--lang", "-l", help=LANG_HELP),
    out: Path = typer.Option(Path("build"), "--out", "-o", help="Output folder, relative to the project."),
    project: Path = ProjectOpt,
) -> None:
    """Render every poster in every format into build/."""
    from .build import build as run_build
    from .errors import PosterError
    from .plan import plan_jobs

    started = time.perf_counter()
    try:
        ws, campaign = _load(project)
        jobs = plan_jobs(campaign, poster or None, format or None, lang or None)
    except PosterError as exc:
        _bad_input(exc)
    for d in campaign.diagnostics:
        _err(f"error: {d}")
    out_dir = out if out.is_absolute() else ws.root / out

    def progress(job, problem) -> None:
        typer.echo(f"{'FAIL' if problem else 'ok  '} {job.output}")

    report = run_build(ws, campaign, jobs, out_dir, progress)
    for d in report.errors:
        _err(f"error: {d}")
    elapsed = time.perf_counter() - started
    typer.echo(f"{len(report.built)} built, {len(report.errors)} failed, "
               f"{len(campaign.diagnostics)} poster file(s) rejected, {elapsed:.1f} s → {out_dir}")
    if campaign.diagnostics:
        raise typer.Exit(EXIT_BAD_INPUT)
    if report.errors:
        raise typer.Exit(EXIT_FAILED_JOBS)


@app.command()
def render(
    poster: str = typer.Argument(..., help="Poster id (file name in posters/ without .yaml)."),
    format: str = typer.Option("a3", "--format", "-f", help="Format name (see `poster list`)."),
    lang: str = typer.Option("fr", "--lang", "-l", help="Language of the texts: fr or en."),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Output file (default build/POSTER/FORMAT.EXT, FORMAT-LANG.EXT for en)."),
    project: Path = ProjectOpt,
) -> None:
    """Render one poster in one format."""
    from .build import render_job, write_atomic
    from .errors import PosterError
    from .plan import plan_jobs

    try:
        ws, campaign = _load(project)
        own = [d for d in campaign.diagnostics if d.file == f"posters/{poster}.yaml"]
        if own:
            raise PosterError(own)
        (job,) = plan_jobs(campaign, [poster], [format], [lang])
        data = render_job(ws, campaign, job)
    except PosterError as exc:
        _bad_input(exc)
    target = out or ws.root / "build" / job.output
    write_atomic(target, data)
    typer.echo(str(target))


@app.command("list")
def list_(project: Path = ProjectOpt) -> None:
    """List posters, layouts and formats."""
    from .content import LAYOUT_FAMILIES
    from .formats import FORMATS
    from .typography import DEFAULT_LANG, LANGUAGES

    posters = sorted(p.stem for p in (project / "posters").glob("*.yaml"))
    layouts = sorted(p.stem for p in (project / "layouts").glob("*.svg"))
    typer.echo("posters:  " + (", ".join(posters) or "(none)"))
    typer.echo("layouts:  " + (", ".join(layouts) or "(none)") + f"   (families: {', '.join(LAYOUT_FAMILIES)})")
    typer.echo("formats:")
    for f in FORMATS.values():
        typer.echo(f"  {f.name:<10} {f.medium:<6} {f.label}")
    typer.echo("languages: " + ", ".join(f"{code} (default)" if code == DEFAULT_LANG else code for code in LANGUAGES))


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
