"""A composed print poster → its small reversed type: light text under a size, knocked out of a
background printed on two inks or more (docs/print.md §6c).

Every plate of the background carries the text's hole; on a hairline, four plates must register to
a fraction of a dot or the letters fill in with colour fringes. The background is read from the
composed page itself: the page drawn by cairo without those texts (the same drawing as the print PDF,
at a screen resolution), under the glyphs' ink, converted by the print rules as a large area
(swatches, rich black and ICC as prepress does).
"""

from __future__ import annotations

from dataclasses import dataclass

from poster_engine.compose.document import Composition
from poster_engine.core.color import srgb_to_lab, to_hex
from poster_engine.core.geometry import MM_PER_INCH
from poster_engine.export.print.colors import ColorConverter
from poster_engine.render.contrast import draw_backdrop, glyph_boxes, page_polygon, palette_color, pixels_in

REVERSED_TEXT_PT = 10.0  # smaller reversed type is flagged (docs/print.md §6c)
LIGHT_L = 70.0  # a text colour this light (CIELAB L*) or lighter is "reversed" out of a darker ground
INK_PLATE = 0.05  # a plate carries ink where its tint is above 5 %
PX_PER_MM = 3.0  # the page drawn at 76 ppi: enough to read the ground under the letters


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


def small_reversed_text(comp: Composition, conv: ColorConverter) -> list[Reversed]:
    """Text slots under `REVERSED_TEXT_PT` in a light colour over a background on ≥ 2 inks.

    The ground is read from the page drawn without those texts (render/contrast.py's backdrop),
    under each glyph's ink through its slot's matrix: a rotated slot is read where it prints."""
    import numpy as np

    layout = comp.layout
    fmt = layout.format
    if fmt.medium != "print":
        return []
    unit_mm = layout.scale * fmt.mm_per_unit
    candidates = []
    for slot in comp.slots or layout.slots:
        block = comp.blocks.get(slot.name)
        if block is None or not block.glyphs or not block.ink:
            continue
        size_pt = block.size * slot.matrix.line_scale * unit_mm * 72 / MM_PER_INCH
        text = palette_color(slot.rules.get("color") or "text", comp.poster)
        if size_pt < REVERSED_TEXT_PT and srgb_to_lab(text)[0] >= LIGHT_L:
            candidates.append((slot, block, size_pt, text))
    if not candidates:
        return []
    backdrop = draw_backdrop(comp, [slot.name for slot, *_ in candidates], scale=PX_PER_MM)
    found = []
    for slot, block, size_pt, text in candidates:
        ground = np.concatenate([pixels_in(page_polygon(comp, slot, box), backdrop) for _, box in glyph_boxes(block)])
        if len(ground) == 0:
            continue
        # The most frequent colour: the flat ground itself, not a photo's or a gradient's passing tone.
        values, counts = np.unique(ground, axis=0, return_counts=True)
        rgb = tuple(int(v) for v in values[counts.argmax()])
        cmyk = conv.convert(rgb, large=True)  # type: ignore[arg-type]
        found.append(Reversed(slot.name, size_pt, text.upper(), to_hex(rgb), cmyk))  # type: ignore[arg-type]
    return [r for r in found if r.plates >= 2]
