"""A poster's PDF page → one PDF of sheets to print on an office printer and assemble.

The poster's trim area is cut into a grid of tiles; each sheet shows one tile inside a margin the
printer can print (the marks live there), and neighbouring tiles share `overlap` mm of the poster
so they can be glued edge over edge. The poster page is placed on each sheet as a Form XObject,
clipped to the tile: vector stays vector, and every tile is the same drawing the poster is.
The marks of each sheet (and the page map before them) come as PDF pages of their own, drawn over.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Tile:
    col: int
    row: int
    x: float  # the tile's part of the poster, mm from the trim's top-left corner
    y: float
    w: float
    h: float

    @property
    def label(self) -> str:
        """'B3': column letter, row number, as on the page map."""
        return f"{_letters(self.col)}{self.row + 1}"


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class TileGrid:
    poster: tuple[float, float]  # trim size, mm
    sheet: tuple[float, float]  # sheet size as printed (turned if landscape), mm
    margin: float  # mm around the image on each sheet: what office printers cannot print, and the marks
    overlap: float  # mm of the poster both neighbours show
    cols: int
    rows: int

    @property
    def image(self) -> tuple[float, float]:
        """The poster area one sheet holds, mm."""
        return self.sheet[0] - 2 * self.margin, self.sheet[1] - 2 * self.margin

    @property
    def step(self) -> tuple[float, float]:
        """How far the next tile starts along the poster, mm (the image less the overlap)."""
        return self.image[0] - self.overlap, self.image[1] - self.overlap

    def tile(self, col: int, row: int) -> Tile:
        x, y = col * self.step[0], row * self.step[1]
        w = min(self.image[0], self.poster[0] - x)
        h = min(self.image[1], self.poster[1] - y)
        return Tile(col, row, x, y, w, h)

    @property
    def tiles(self) -> list[Tile]:
        """Row by row, as the page map numbers them."""
        return [self.tile(c, r) for r in range(self.rows) for c in range(self.cols)]


def plan_grid(poster: tuple[float, float], sheet: tuple[float, float], overlap: float, margin: float) -> TileGrid:
    """The fewest sheets: the sheet upright or turned, whichever needs fewer (upright on a tie)."""
    if overlap < 0 or margin < 0:
        raise ValueError("overlap and margin must be 0 or more")
    best: TileGrid | None = None
    for sw, sh in (sheet, (sheet[1], sheet[0])):
        iw, ih = sw - 2 * margin, sh - 2 * margin
        if iw - overlap <= 1 or ih - overlap <= 1:
            raise ValueError("the overlap and margins leave no room on the sheet")
        cols = max(1, math.ceil((poster[0] - overlap) / (iw - overlap) - 1e-9))
        rows = max(1, math.ceil((poster[1] - overlap) / (ih - overlap) - 1e-9))
        grid = TileGrid(poster, (sw, sh), margin, overlap, cols, rows)
        if best is None or cols * rows < best.cols * best.rows:
            best = grid
    assert best is not None
    return best


_RGB_OP = re.compile(rb"(?<![\w.])([\d.]+) ([\d.]+) ([\d.]+) (rg|RG)\b")


def _to_gray_k(stream: bytes) -> bytes:
    """The marks' RGB greys as K ink (0 0 0 rg → 0 0 0 1 k): CMYK tiles carry no RGB."""

    def repl(m: re.Match[bytes]) -> bytes:
        r, g, b = (float(v) for v in m.group(1, 2, 3))
        k = 1 - (r + g + b) / 3
        return b"0 0 0 %.4f %s" % (k, b"k" if m.group(4) == b"rg" else b"K")

    return _RGB_OP.sub(repl, stream)


def tiled_pdf(
    poster_pdf: bytes,
    trim_pt: tuple[float, float, float, float],
    grid: TileGrid,
    map_page: bytes,
    overlays: list[bytes],
    title: str,
    cmyk: bool = False,
    map_poster: tuple[float, float, float] | None = None,
) -> bytes:
    """The page map, then one sheet per tile: the poster clipped to the tile, the tile's marks over it.

    `trim_pt` is the poster's trim box on its page (x0, y0, x1, y1, PDF points); `map_page` and each
    of `overlays` (one per tile, in `grid.tiles` order) are one-page PDFs of the sheet's size;
    `map_poster` (x, y of its top-left in mm from the sheet's top-left, scale) draws the poster small
    under the page map."""
    import pikepdf

    out = pikepdf.new()
    src = pikepdf.open(io.BytesIO(poster_pdf))
    poster = out.copy_foreign(src.pages[0].as_form_xobject())
    sw, sh = (v * PT_PER_MM for v in grid.sheet)

    def overlay(data: bytes) -> pikepdf.Object:
        pdf = pikepdf.open(io.BytesIO(data))
        form = pdf.pages[0].as_form_xobject()
        if cmyk:
            form.write(_to_gray_k(form.read_bytes()))
        return out.copy_foreign(form)

    def add(content: bytes, xobjects: dict[str, pikepdf.Object]) -> None:
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, sw, sh],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary({f"/{k}": v for k, v in xobjects.items()})),
            Contents=out.make_stream(content),
        )
        out.pages.append(pikepdf.Page(page))

    x0, y0, x1, y1 = trim_pt
    thumb = b""
    if map_poster is not None:
        mx, my, k = map_poster
        w, h = (x1 - x0) * k, (y1 - y0) * k
        left, top = mx * PT_PER_MM, sh - my * PT_PER_MM
        thumb = (
            f"q {left:.4f} {top - h:.4f} {w:.4f} {h:.4f} re W n "
            f"{k:.6f} 0 0 {k:.6f} {left - x0 * k:.4f} {top - y1 * k:.4f} cm /Poster Do Q "
        ).encode()
    add(thumb + b"q /Map Do Q", {"Map": overlay(map_page), "Poster": poster})
    m = grid.margin * PT_PER_MM
    for tile, marks in zip(grid.tiles, overlays, strict=True):
        # Poster point (x0 + tile.x, y1 - tile.y) lands on the image area's top-left corner (m, sh - m).
        tx = m - x0 - tile.x * PT_PER_MM
        ty = sh - m - y1 + tile.y * PT_PER_MM
        clip_w, clip_h = tile.w * PT_PER_MM, tile.h * PT_PER_MM
        content = (
            f"q {m:.4f} {sh - m - clip_h:.4f} {clip_w:.4f} {clip_h:.4f} re W n "
            f"1 0 0 1 {tx:.4f} {ty:.4f} cm /Poster Do Q q /Marks Do Q"
        ).encode()
        add(content, {"Poster": poster, "Marks": overlay(marks)})
    out.docinfo["/Title"] = title
    out.docinfo["/Creator"] = "poster-engine (poster tile)"
    buf = io.BytesIO()
    out.save(buf, deterministic_id=True)
    return buf.getvalue()
