"""A composed print poster → its small reversed type: light text under a size, knocked out of a
background printed on two inks or more (docs/print.md §6c).

Every plate of the background carries the text's hole; on a hairline, four plates must register to
a fraction of a dot or the letters fill in with colour fringes. The background is read from the
composed page itself: the page drawn by cairo (the same drawing as the print PDF, at a screen
resolution), the pixels inside the text's ink boxes that are not the text's colour, converted by the
print rules as a large area (swatches, rich black and ICC as prepress does).
"""

from __future__ import annotations

from dataclasses import dataclass

from poster_engine.core.color import as_rgb, srgb_to_lab, to_hex
from poster_engine.core.geometry import MM_PER_INCH
from poster_engine.export.print.colors import ColorConverter
from poster_engine.export.raster import render_rgb

REVERSED_TEXT_PT = 10.0  # smaller reversed type is flagged (docs/print.md §6c)
LIGHT_L = 70.0  # a text colour this light (CIELAB L*) or lighter is "reversed" out of a darker ground
INK_PLATE = 0.05  # a plate carries ink where its tint is above 5 %
PX_PER_MM = 3.0  # the page drawn at 76 ppi: enough to find the ground between letters


@dataclass(frozen=True)
class Reversed:
    slot: str
    size_pt: float
    text: str  # '#RRGGBB'
    background: str  # '#RRGGBB', the colour behind the letters
    inks: tuple[float, float, float, float]  # the background's CMYK as it prints (large area)

    @property
    def plates(self) -> int:
        return sum(v > INK_PLATE for v in self.inks)


def _colour(spec: str, poster) -> str:
    return getattr(poster.spec.colors, spec) if spec in ("background", "text", "accent") else spec.upper()


def small_reversed_text(comp, conv: ColorConverter) -> list[Reversed]:
    """Text slots under `REVERSED_TEXT_PT` in a light colour over a background on ≥ 2 inks."""
    import numpy as np

    layout = comp.layout
    fmt = layout.format
    if fmt.medium != "print":
        return []
    unit_mm = layout.scale * fmt.mm_per_unit
    candidates = []
    for slot in layout.slots:
        block = comp.blocks.get(slot.name)
        if block is None or not block.glyphs or not block.ink:
            continue
        size_pt = block.size * unit_mm * 72 / MM_PER_INCH
        text = _colour(slot.rules.get("color") or "text", comp.poster)
        if size_pt < REVERSED_TEXT_PT and srgb_to_lab(text)[0] >= LIGHT_L:
            candidates.append((slot.name, block, size_pt, text))
    if not candidates:
        return []
    width_mm, height_mm = fmt.page
    page = np.asarray(
        render_rgb(comp.svg, max(1, round(width_mm * PX_PER_MM)), max(1, round(height_mm * PX_PER_MM))),
        dtype=np.int32,
    )
    bleed = layout.bleed * layout.scale
    found = []
    for name, block, size_pt, text in candidates:
        ink = np.array(as_rgb(text))
        pixels = []
        for x0, y0, x1, y1 in block.ink:
            rows = slice(
                int((y0 * layout.scale + bleed) * PX_PER_MM), int(np.ceil((y1 * layout.scale + bleed) * PX_PER_MM))
            )
            cols = slice(
                int((x0 * layout.scale + bleed) * PX_PER_MM), int(np.ceil((x1 * layout.scale + bleed) * PX_PER_MM))
            )
            box = page[rows, cols].reshape(-1, 3)
            pixels.append(box[np.abs(box - ink).max(axis=1) > 96])  # off the letters and their edges
        ground = np.concatenate(pixels) if pixels else np.empty((0, 3))
        if len(ground) == 0:
            continue
        # The most frequent colour: the flat ground itself, not the anti-aliased edges of the letters.
        values, counts = np.unique(ground, axis=0, return_counts=True)
        rgb = tuple(int(v) for v in values[counts.argmax()])
        cmyk = conv.convert(rgb, large=True)  # type: ignore[arg-type]
        found.append(Reversed(name, size_pt, text.upper(), to_hex(rgb), cmyk))  # type: ignore[arg-type]
    return [r for r in found if r.plates >= 2]
