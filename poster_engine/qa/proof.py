"""`[Job]` → a contact sheet for sign-off: every poster in each format, captioned, as PDF and PNG bytes.

Each job is composed by the build's own path and drawn at screen size (`render_screen`), print
formats cut to their trim (what the reader will see). Sheets are A3 landscape at 150 ppi, 6 × 3
images each; the PDF has one page per sheet, the PNG stacks the sheets for a quick look.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.core.geometry import MM_PER_INCH
from poster_engine.plan import Job
from poster_engine.project.loader import Project
from poster_engine.render.job import render_job, render_screen

if TYPE_CHECKING:  # Pillow is imported by the functions that draw: start-up stays fast
    from PIL import Image

SHEET_PX = (2480, 1754)  # A3 landscape at 150 ppi
SHEET_PPI = 150
COLUMNS, ROWS = 6, 3
MARGIN, GUTTER, HEADER, CAPTION = 60, 40, 110, 56
CELL = (
    (SHEET_PX[0] - 2 * MARGIN - (COLUMNS - 1) * GUTTER) // COLUMNS,
    (SHEET_PX[1] - 2 * MARGIN - HEADER - (ROWS - 1) * GUTTER) // ROWS - CAPTION,
)  # image box, px
OVERSAMPLE = 1.5  # draw larger, then reduce: small print stays legible on the sheet
PAPER, INK, MUTED, BAD = "#FFFFFF", "#1D1D22", "#6B6B74", "#B3261E"


@dataclass
class Proof:
    pdf: bytes = b""  # one page per sheet
    png: bytes = b""  # the sheets one below the other
    sheets: int = 0
    errors: list[Diagnostic] = field(default_factory=list)


@dataclass
class _Cell:
    job: Job
    image: Image.Image | None  # trimmed and fitted to CELL
    error: str | None = None


def _font(project: Project, name: str, size: int):
    """Captions in the project's own fonts (never the system's); Pillow's built-in face otherwise."""
    from PIL import ImageFont

    path = project.fonts.files.get(name)
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)


def _thumbnail(project: Project, job: Job, cell: tuple[int, int] = CELL, softproof: bool = False):
    from PIL import Image, ImageOps

    fmt = job.format
    px_per_unit = OVERSAMPLE * min(cell[0] / fmt.width, cell[1] / fmt.height)
    if softproof and fmt.medium == "print":
        # The finished print PDF as the paper will show it (docs/print.md §6b), cut to its trim.
        from poster_engine.export.print.softproof import soft_proof

        image = soft_proof(render_job(project, job), project.print_settings, px_per_unit * MM_PER_INCH, trim=True)
        return ImageOps.contain(image.convert("RGB"), cell, Image.Resampling.LANCZOS)
    _, png = render_screen(project, job, round(max(fmt.page) * px_per_unit))
    return _fitted(png, fmt, cell)


def _fitted(picture: bytes, fmt, cell: tuple[int, int]):
    """A picture of the whole page (PNG, JPEG or WebP bytes) cut to the trim and fitted to `cell`."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(picture)).convert("RGB")
    bleed = round(fmt.bleed * image.width / fmt.page[0])
    if bleed:
        image = image.crop((bleed, bleed, image.width - bleed, image.height - bleed))
    return ImageOps.contain(image, cell, Image.Resampling.LANCZOS)


def _sheet(project: Project, title: str, cells: list[_Cell], number: int, total: int):
    from PIL import Image, ImageDraw

    sheet = Image.new("RGB", SHEET_PX, PAPER)
    draw = ImageDraw.Draw(sheet)
    bold, regular, small = (
        _font(project, "Inter-Bold", 34),
        _font(project, "Inter-Regular", 24),
        _font(project, "Inter-Regular", 20),
    )
    draw.text((MARGIN, MARGIN), f"{title} — proof for sign-off", font=bold, fill=INK)
    draw.text(
        (SHEET_PX[0] - MARGIN, MARGIN + 8),
        f"sheet {number}/{total} · {project.timestamp:%Y-%m-%d}",
        font=regular,
        fill=MUTED,
        anchor="ra",
    )
    top = MARGIN + HEADER
    for i, cell in enumerate(cells):
        col, row = i % COLUMNS, i // COLUMNS
        x = MARGIN + col * (CELL[0] + GUTTER)
        y = top + row * (CELL[1] + CAPTION + GUTTER)
        if cell.image is not None:
            img = cell.image
            x, iy = x + (CELL[0] - img.width) // 2, y + CELL[1] - img.height  # bottom-aligned on the caption
            sheet.paste(img, (x, iy))
            draw.rectangle((x - 1, iy - 1, x + img.width, iy + img.height), outline="#C8C8CE")
        else:
            draw.rectangle((x, y, x + CELL[0] - 1, y + CELL[1] - 1), fill="#FBEAEA", outline=BAD, width=3)
            text = "\n".join(textwrap.wrap(f"FAILED: {cell.error}", 30)[:16])
            draw.multiline_text((x + 14, y + 14), text, font=small, fill=BAD, spacing=6)
        draw.text((x, y + CELL[1] + 12), cell.job.poster_id, font=_font(project, "Inter-SemiBold", 22), fill=INK)
        draw.text((x, y + CELL[1] + 38), cell.job.format.name, font=small, fill=MUTED)
    return sheet


def proof_sheets(project: Project, jobs: list[Job], softproof: bool = False) -> Proof:
    """Draw the contact sheet of `jobs` as a PDF (one page per sheet) and a PNG (the sheets stacked).

    A job that fails is drawn as a red cell with its error and reported; the others go on.
    `softproof`: print formats are shown through the print profile (their finished PDF, rasterised by
    Ghostscript and converted back to sRGB), as the paper will show them.
    """
    from PIL import Image

    report = Proof()
    cells = []
    for job in jobs:
        try:
            cells.append(_Cell(job, _thumbnail(project, job, softproof=softproof)))
        except PosterError as exc:
            report.errors.extend(exc.diagnostics)
            cells.append(_Cell(job, None, str(exc.diagnostics[0])))
    per_sheet = COLUMNS * ROWS
    groups = [cells[i : i + per_sheet] for i in range(0, len(cells), per_sheet)] or [[]]
    title = project.campaign.messages.campaign.name.shown(project.campaign.lang)
    if softproof:
        title += f" — print formats soft-proofed ({project.print_settings.profile.output_condition_identifier})"
    sheets = [_sheet(project, title, group, n, len(groups)) for n, group in enumerate(groups, 1)]
    report.sheets = len(sheets)

    pdf = io.BytesIO()
    sheets[0].save(
        pdf,
        "PDF",
        save_all=True,
        append_images=sheets[1:],
        resolution=SHEET_PPI,
        title=f"{title} — proof",
        producer="poster-engine",
        creationDate=project.timestamp.utctimetuple(),
        modDate=project.timestamp.utctimetuple(),
    )
    strip = Image.new("RGB", (SHEET_PX[0], SHEET_PX[1] * len(sheets) + 8 * (len(sheets) - 1)), "#9A9AA2")
    for n, sheet in enumerate(sheets):
        strip.paste(sheet, (0, n * (SHEET_PX[1] + 8)))
    png = io.BytesIO()
    strip.save(png, "PNG", compress_level=6)
    report.pdf, report.png = pdf.getvalue(), png.getvalue()
    return report


# Contact sheet of one poster: every format side by side at the same height, so the family's
# variants can be compared at a glance (screen size: 420 px high, rows of at most 2400 px).
CONTACT_HEIGHT, CONTACT_WIDTH = 420, 2400


def contact_sheet(project: Project, jobs: list[Job], picture: Callable[[Job], bytes | None] | None = None) -> bytes:
    """One poster's formats (`jobs`) on one PNG, each cut to its trim and captioned with its format.

    `picture(job)`: a picture of the whole page already made (the build's social image itself, or a
    print job's gallery preview), used instead of composing the job again; None: compose it."""
    from PIL import Image, ImageDraw

    cells: list[_Cell] = []
    for job in jobs:
        fmt = job.format
        size = (round(CONTACT_HEIGHT * fmt.width / fmt.height), CONTACT_HEIGHT)
        try:
            made = picture(job) if picture else None
            cells.append(_Cell(job, _fitted(made, fmt, size) if made else _thumbnail(project, job, size)))
        except PosterError as exc:
            cells.append(_Cell(job, None, str(exc.diagnostics[0])))
    rows: list[list[_Cell]] = [[]]
    width = MARGIN
    for cell in cells:
        w = cell.image.width if cell.image is not None else CONTACT_HEIGHT
        if rows[-1] and width + w > CONTACT_WIDTH - MARGIN:
            rows.append([])
            width = MARGIN
        rows[-1].append(cell)
        width += w + GUTTER
    row_h = CONTACT_HEIGHT + CAPTION + GUTTER
    sheet = Image.new("RGB", (CONTACT_WIDTH, 2 * MARGIN + HEADER + len(rows) * row_h), PAPER)
    draw = ImageDraw.Draw(sheet)
    caption, small = _font(project, "Inter-SemiBold", 22), _font(project, "Inter-Regular", 20)
    if jobs:
        draw.text(
            (MARGIN, MARGIN),
            f"{jobs[0].poster_id} — {len(jobs)} formats",
            font=_font(project, "Inter-Bold", 34),
            fill=INK,
        )
    for r, row in enumerate(rows):
        x, y = MARGIN, MARGIN + HEADER + r * row_h
        for cell in row:
            fmt = cell.job.format
            if cell.image is not None:
                img = cell.image
                sheet.paste(img, (x, y + CONTACT_HEIGHT - img.height))
                draw.rectangle(
                    (x - 1, y + CONTACT_HEIGHT - img.height - 1, x + img.width, y + CONTACT_HEIGHT), outline="#C8C8CE"
                )
                w = img.width
            else:
                w = CONTACT_HEIGHT
                draw.rectangle((x, y, x + w - 1, y + CONTACT_HEIGHT - 1), fill="#FBEAEA", outline=BAD, width=3)
                text = "\n".join(textwrap.wrap(f"FAILED: {cell.error}", 34)[:14])
                draw.multiline_text((x + 12, y + 12), text, font=small, fill=BAD, spacing=6)
            draw.text((x, y + CONTACT_HEIGHT + 10), fmt.name, font=caption, fill=INK)
            draw.text(
                (x, y + CONTACT_HEIGHT + 36), f"{fmt.width:g} × {fmt.height:g} {fmt.unit}", font=small, fill=MUTED
            )
            x += w + GUTTER
    # The social images' encoder (fpng, sRGB-tagged): Pillow at level 6 took most of a sheet's time.
    from poster_engine.export.raster import encode

    return encode(sheet, "png")
