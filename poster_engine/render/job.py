"""One `Job` → a `Composition` → the finished file's bytes: the one rendering path of build, render, preview, proof."""

from __future__ import annotations

from poster_engine.compose.document import Composition, compose
from poster_engine.core.color import parse_hex
from poster_engine.core.diagnostics import PosterError, fail
from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.print.colors import converter_for
from poster_engine.export.print.prepress import make_print_pdf
from poster_engine.export.raster import TooLarge, draw, encode, svg_to_png
from poster_engine.plan import Job
from poster_engine.project.files import record_file
from poster_engine.project.loader import Project
from poster_engine.render.contrast import backdrop_scale, scrims_for
from poster_engine.render.reversed import small_reversed_text


def compose_job(project: Project, job: Job, raster_scale: float | None = None) -> Composition:
    """Layout, typesetting, QR codes and visuals of one job: what every output of it is drawn from.

    A layout with scrims (`data-scrim`) takes two passes: the page drawn without its texts at the
    measuring resolution gives each scrim its opacity (render/contrast.py), whatever `raster_scale`
    the caller draws at, so the build, the preview and `poster check` draw the same scrims. Every
    other poster is composed once."""
    poster = project.campaign.posters[job.poster_id]
    comp = compose(project, poster, job.format, job.lang, raster_scale, job.row_fields)
    if not comp.scrim_slots:
        return comp
    scale = backdrop_scale(job.format)
    measured = comp if raster_scale == scale else compose(project, poster, job.format, job.lang, scale, job.row_fields)
    return comp.with_scrims(scrims_for(measured))


def export_job(project: Project, composition: Composition) -> bytes:
    """The deliverable file: the finished print PDF, or the social image at its exact pixel size."""
    fmt = composition.layout.format
    if fmt.medium == "print":
        icc = project.print_settings.icc_path()
        if icc.is_relative_to(project.root):  # the engine's own profiles are in its fingerprint
            record_file(icc)
        return make_print_pdf(
            svg_to_pdf(composition.svg),
            (fmt.width, fmt.height),
            fmt.bleed_mm,
            composition.title,
            project.timestamp,
            project.print_settings,
            composition.poster.file,
            single_ink_grounds(composition, project.print_settings),
        )
    frame = draw(composition.layers(), int(fmt.width), int(fmt.height))
    try:
        return encode(frame, fmt.image_format, fmt.max_bytes, fmt.png)
    except TooLarge as exc:
        raise fail(
            f"the {fmt.image_format} image is {exc.size / 1e6:.1f} MB at its lowest quality, over "
            f"{fmt.name}'s {(fmt.max_bytes or 0) / 1e6:g} MB limit; use --image-format jpeg or simplify the visual",
            composition.poster.file,
        ) from None


def single_ink_grounds(composition: Composition, settings) -> frozenset[str]:
    """With `reversed_text: single-ink`, the rich-black grounds behind small reversed type, which
    then print in their small-area colour (100 % K): one plate to register (docs/print.md §6c)."""
    if settings.profile.reversed_text != "single-ink":
        return frozenset()
    conv = converter_for(settings)
    return frozenset(
        r.background for r in small_reversed_text(composition, conv) if conv.has_large_variant(parse_hex(r.background))
    )


def render_job(project: Project, job: Job) -> bytes:
    """One job from content to the finished file's bytes."""
    return export_job(project, compose_job(project, job))


def screen_png(composition: Composition, long_side_px: int) -> bytes:
    """A composition already made, drawn as a PNG of `long_side_px` on its long side (the whole
    page, trim + bleed): the build's gallery preview of a print job, from the composition its PDF
    was drawn from, instead of composing again (photos are decoded at the size they cover)."""
    width, height = composition.layout.format.page
    px_per_unit = long_side_px / max(width, height)
    return svg_to_png(composition.svg, max(1, round(width * px_per_unit)), max(1, round(height * px_per_unit)))


def warm_up(project: Project, jobs: list[Job]) -> None:
    """Load once what every job of `jobs` needs and no job's result depends on: the drawing
    libraries, the project's fonts, the print profile's ICC transform and its compressed copy. A
    process pool forked afterwards inherits it all (docs/performance.md §14), instead of every
    worker paying it on its first job.

    The print side goes in a thread alongside: most of it is zlib compressing the 1 MB profile and
    Little CMS building the photo lookup table, which release the GIL, so it takes the core the
    pool does not use yet while this thread imports cairo and reads the fonts (§21)."""
    from concurrent.futures import ThreadPoolExecutor

    from poster_engine.export.canvas import keep_freed_memory

    # Also in the parent a pool forks from, which draws nothing but receives every result's bytes
    # and cuts the contact sheets: its page faults in a cold -j 2 demo build fall from ~134 000 to
    # ~38 000, a quarter of the build's system time (§21).
    keep_freed_memory()
    with ThreadPoolExecutor(1, thread_name_prefix="poster-warm-up") as side:
        printing = None
        if any(job.format.medium == "print" for job in jobs):
            from poster_engine.export.print.prepress import warm_up as warm_prepress

            printing = side.submit(warm_prepress, project.print_settings)
        import cairosvg.surface  # noqa: F401  (cairocffi building its C interface: ~0.4 s per process)
        import fpng  # noqa: F401

        from poster_engine.export import glyphs, images  # noqa: F401  (installing the fast handlers)

        for name in project.fonts.files:
            try:
                project.fonts.get(name, "fonts/")
            except PosterError:  # a broken font file is reported by the jobs that use it, if any
                continue
        if printing is not None:
            printing.result()  # done before a fork: no thread may be mid-work in a forked copy


def render_screen(project: Project, job: Job, long_side_px: int) -> tuple[Composition, bytes]:
    """The same composition as `render_job`, drawn as a PNG of `long_side_px` on its long side.

    For the preview and the proof sheets: the whole page (trim + bleed) keeps its aspect, and photos
    are resampled for the screen, so a print format is never rasterised at print resolution.
    """
    width, height = job.format.page
    px_per_unit = long_side_px / max(width, height)
    composition = compose_job(project, job, px_per_unit)
    png = svg_to_png(composition.svg, max(1, round(width * px_per_unit)), max(1, round(height * px_per_unit)))
    return composition, png
