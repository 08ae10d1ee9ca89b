"""One print job → its poster on office sheets (`poster tile`): tiles with overlap, crop marks,
alignment ticks, tile numbers and a page map, so a group without a print budget can assemble an A1
from an A4 printer. RGB by default (office printers take RGB and do their own separation); CMYK —
the print PDF itself, marks in K — on request.

How a sheet reads: the image area is the tile; crop marks at its four corners in the margin; ticks
in the margin where the next tile's edge must lie (right neighbour: top and bottom margins; the one
below: left and right margins); the tile's name (B2, column letter and row number) and a small map
of the grid with this sheet filled, in the bottom margin. Assembly: cut each sheet on its crop
marks, lay it over the sheet to its left (then above) with its edge on that sheet's ticks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from poster_engine.compose.document import draw_text, font_faces
from poster_engine.compose.typeset import TextDoesNotFit, TextRules, fit_text
from poster_engine.core.diagnostics import fail
from poster_engine.core.formats import Format
from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.tiles import PT_PER_MM, TileGrid, plan_grid, tiled_pdf
from poster_engine.plan import Job
from poster_engine.project.loader import Project
from poster_engine.render.job import compose_job, export_job

MARGIN_MM = 10.0  # office printers leave 3–6 mm unprinted; the marks and labels need the rest
MARK_GAP_MM, MARK_LEN_MM, MARK_WIDTH_MM = 1.5, 6.0, 0.2
BLACK = "#000000"


@dataclass(frozen=True)
class TiledPoster:
    pdf: bytes
    grid: TileGrid
    sheets: int  # pages: the map and one per tile


def _font(project: Project, bold: bool) -> str:
    names = list(project.fonts.files)
    if not names:
        raise fail("poster tile writes its labels in the project's fonts, and fonts/ has none; add one")
    wanted = ("Inter-Bold", "-Bold", "-Black") if bold else ("Inter-Regular", "-Regular", "-Medium")
    for want in wanted:
        for name in names:
            if name == want or (want.startswith("-") and name.endswith(want)):
                return name
    return names[0]


class _Writer:
    """Texts set by the engine's own typesetter in the project's fonts, as outlines (SVG, mm)."""

    def __init__(self, project: Project):
        lib = project.fonts
        self.faces = {bold: font_faces(lib, (_font(project, bold),), "poster tile") for bold in (False, True)}

    def text(
        self,
        text: str,
        box: tuple[float, float, float, float],
        size: float,
        bold: bool = False,
        align: str = "left",
        lines: int = 1,
    ) -> str:
        rules = TextRules(
            faces=self.faces[bold],
            size_min=size * 0.4,
            size_max=size,
            max_lines=lines + 1,
            align=align,  # type: ignore[arg-type]
            hyphenate=False,
            lang="en",
            valign="bottom",
        )
        try:
            return draw_text(fit_text(text, box, rules), BLACK)
        except TextDoesNotFit:
            return ""  # a narrow last sheet has no room for the words: its name and map still say it


def _svg(size: tuple[float, float], body: list[str]) -> bytes:
    w, h = size
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.3f}mm" height="{h:.3f}mm" viewBox="0 0 {w:.3f} {h:.3f}">'
        + "".join(body)
        + "</svg>"
    ).encode()


def _line(x0: float, y0: float, x1: float, y1: float, width: float = MARK_WIDTH_MM) -> str:
    return f'<path d="M{x0:.3f} {y0:.3f}L{x1:.3f} {y1:.3f}" stroke="{BLACK}" stroke-width="{width}" fill="none"/>'


def _crop_marks(x: float, y: float, w: float, h: float) -> list[str]:
    out = []
    g, n = MARK_GAP_MM, MARK_LEN_MM
    for cx, sx in ((x, -1), (x + w, 1)):
        for cy, sy in ((y, -1), (y + h, 1)):
            out.append(_line(cx + sx * g, cy, cx + sx * (g + n), cy))  # horizontal, outside the corner
            out.append(_line(cx, cy + sy * g, cx, cy + sy * (g + n)))  # vertical
    return out


def _triangle(x: float, y: float, pointing: str) -> str:
    s = 1.6
    points = {
        "down": [(x - s, y - s * 1.6), (x + s, y - s * 1.6), (x, y)],
        "up": [(x - s, y + s * 1.6), (x + s, y + s * 1.6), (x, y)],
        "right": [(x - s * 1.6, y - s), (x - s * 1.6, y + s), (x, y)],
        "left": [(x + s * 1.6, y - s), (x + s * 1.6, y + s), (x, y)],
    }[pointing]
    return f'<path d="M{"L".join(f"{px:.3f} {py:.3f}" for px, py in points)}Z" fill="{BLACK}"/>'


def _mini_map(grid: TileGrid, x: float, y: float, h: float, current: tuple[int, int] | None) -> tuple[list[str], float]:
    """The grid of sheets, `h` mm tall, the current one filled; returns its drawing and width."""
    cell_h = h / grid.rows
    cell_w = cell_h * grid.step[0] / grid.step[1]
    out = []
    for r in range(grid.rows):
        for c in range(grid.cols):
            fill = BLACK if (c, r) == current else "none"
            out.append(
                f'<rect x="{x + c * cell_w:.3f}" y="{y + r * cell_h:.3f}" width="{cell_w:.3f}" height="{cell_h:.3f}" '
                f'fill="{fill}" stroke="{BLACK}" stroke-width="0.15"/>'
            )
    return out, grid.cols * cell_w


def _sheet_marks(writer: _Writer, grid: TileGrid, tile, poster: str) -> bytes:
    sw, sh = grid.sheet
    m = grid.margin
    body = _crop_marks(m, m, tile.w, tile.h)
    # Where the neighbour's edge lies: ticks and arrows in the margins (they meet its crop marks).
    if tile.col < grid.cols - 1:
        x = m + grid.step[0]
        for y0, y1, arrow in (
            (m - MARK_GAP_MM - MARK_LEN_MM, m - MARK_GAP_MM, "down"),
            (m + tile.h + MARK_GAP_MM, m + tile.h + MARK_GAP_MM + MARK_LEN_MM, "up"),
        ):
            body += [_line(x, y0, x, y1), _triangle(x, y1 if arrow == "down" else y0, arrow)]
    if tile.row < grid.rows - 1:
        y = m + grid.step[1]
        for x0, x1, arrow in (
            (m - MARK_GAP_MM - MARK_LEN_MM, m - MARK_GAP_MM, "right"),
            (m + tile.w + MARK_GAP_MM, m + tile.w + MARK_GAP_MM + MARK_LEN_MM, "left"),
        ):
            body += [_line(x0, y, x1, y), _triangle(x1 if arrow == "right" else x0, y, arrow)]
    base = m + tile.h + MARK_GAP_MM  # the bottom margin, below the crop marks' start
    label_h = min(6.0, sh - base - 1.0)
    body.append(writer.text(tile.label, (m + 3, base, 14, label_h), label_h * 0.9, bold=True))
    n = tile.row * grid.cols + tile.col + 1
    info = (
        f"{poster} · sheet {n} of {grid.cols * grid.rows} · column {tile.col + 1} of {grid.cols}, row "
        f"{tile.row + 1} of {grid.rows} · overlap {grid.overlap:g} mm · print at 100 %"
    )
    # Name, then the map of the grid with this sheet filled, then the words: left of the ticks.
    mini, mini_w = _mini_map(grid, 0, 0, label_h * 0.8, (tile.col, tile.row))
    body.append(f'<g transform="translate({m + 18:.3f} {base + label_h * 0.1:.3f})">{"".join(mini)}</g>')
    right = m + min(tile.w, grid.step[0]) - MARK_LEN_MM
    body.append(writer.text(info, (m + 21 + mini_w, base, max(10.0, right - m - 21 - mini_w), label_h), 2.2))
    return svg_to_pdf(_svg(grid.sheet, body))


def _map_page(
    writer: _Writer, grid: TileGrid, poster: str, fmt: Format, sheet: Format
) -> tuple[bytes, tuple[float, float, float]]:
    """The page map: the poster small, the grid of tiles with their names, how to assemble.
    Returns the page and where the poster's thumbnail goes (x, y of its top-left, mm; scale)."""
    sw, sh = grid.sheet
    m = 12.0
    head = 22.0
    foot = 34.0
    W, H = grid.poster
    scale = min((sw - 2 * m) / W, (sh - head - foot - m) / H)
    x0 = (sw - W * scale) / 2
    y0 = head
    body = [
        writer.text(
            f"{poster} — {fmt.name.upper()} ({W:g} × {H:g} mm) on {grid.cols * grid.rows} {sheet.name.upper()} sheets, "
            f"{grid.cols} × {grid.rows}",
            (m, 6, sw - 2 * m, 8),
            5.0,
            bold=True,
        ),
        writer.text(
            f"Overlap {grid.overlap:g} mm. Page 1 of {grid.cols * grid.rows + 1}: this map.",
            (m, 14, sw - 2 * m, 5),
            3.0,
        ),
        f'<rect x="{x0:.3f}" y="{y0:.3f}" width="{W * scale:.3f}" height="{H * scale:.3f}" fill="none" '
        f'stroke="{BLACK}" stroke-width="0.3"/>',
    ]
    for tile in grid.tiles:
        tx, ty = x0 + tile.x * scale, y0 + tile.y * scale
        tw = min(grid.step[0], W - tile.x) * scale
        th = min(grid.step[1], H - tile.y) * scale
        body.append(
            f'<rect x="{tx:.3f}" y="{ty:.3f}" width="{tw:.3f}" height="{th:.3f}" fill="#FFFFFF" fill-opacity="0.55" '
            f'stroke="{BLACK}" stroke-width="0.3"/>'
        )
        size = max(2.5, min(tw, th) * 0.3)
        body.append(
            writer.text(tile.label, (tx, ty + (th - size * 1.2) / 2, tw, size * 1.2), size, bold=True, align="center")
        )
    steps = (
        "1. Print every page at actual size (100 %, not 'fit to page'). "
        "2. Cut each sheet on its crop marks. "
        "3. From the second column on, lay each sheet over the one to its left, its edge on the ticks ▲▼ there; "
        "from the second row on, over the one above, its edge on the ticks ◀▶. "
        "4. Tape or glue from the back."
    )
    body.append(writer.text(steps, (m, sh - foot + 4, sw - 2 * m, foot - 8), 3.2, lines=6))
    return svg_to_pdf(_svg(grid.sheet, body)), (x0, y0, scale)


def tile_output(job: Job, sheet: Format) -> str:
    """`choc-cobalt/a1-tiles-a4.pdf` beside the poster's own outputs."""
    return f"{job.output.rsplit('.', 1)[0]}-tiles-{sheet.name}.pdf"


def tile_job(project: Project, job: Job, sheet: Format, overlap_mm: float = 10.0, cmyk: bool = False) -> TiledPoster:
    """The poster of `job` (a print format) on `sheet`s, with overlap, marks and a page map."""
    import pikepdf

    fmt = job.format
    if fmt.medium != "print" or sheet.medium != "print":
        social = fmt.name if fmt.medium != "print" else sheet.name
        raise fail(f"poster tile cuts a print format onto print sheets; '{social}' is a social format")
    try:
        grid = plan_grid((fmt.width, fmt.height), (sheet.width, sheet.height), overlap_mm, MARGIN_MM)
    except ValueError as exc:
        raise fail(f"cannot tile {fmt.name} on {sheet.name}: {exc}; lower --overlap") from None
    comp = compose_job(project, job)
    if cmyk:
        source = export_job(project, comp)
        with pikepdf.open(io.BytesIO(source)) as opened:
            x0, y0, x1, y1 = (float(v) for v in opened.pages[0].obj.get("/TrimBox", opened.pages[0].mediabox))
        trim = (x0, y0, x1, y1)
    else:
        source = svg_to_pdf(comp.svg)
        with pikepdf.open(io.BytesIO(source)) as opened:
            _, _, pw, ph = (float(v) for v in opened.pages[0].mediabox)
        b = fmt.bleed_mm * PT_PER_MM
        trim = (b, b, pw - b, ph - b)
    writer = _Writer(project)
    name = job.output.rsplit(".", 1)[0]
    overlays = [_sheet_marks(writer, grid, tile, name) for tile in grid.tiles]
    map_pdf, (mx, my, scale) = _map_page(writer, grid, name, fmt, sheet)
    pdf = tiled_pdf(
        source,
        trim,
        grid,
        map_pdf,
        overlays,
        f"{comp.title} — {fmt.name} on {sheet.name}",
        cmyk,
        map_poster=(mx, my, scale),
    )
    return TiledPoster(pdf, grid, len(grid.tiles) + 1)
