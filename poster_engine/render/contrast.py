"""A composed page drawn without its texts → the colours beneath each glyph: contrast as read, and scrims.

Text is read against what the poster paints beneath it — the background, panels, gradients, photos
— not against a colour in a file. So the page is drawn without its texts (`Composition.document`
with `hide_text`; scrims stay, they are part of what lies beneath) at the resolution a reader
resolves: one WCAG reference pixel as seen from the format's viewing distance (A3 read from 0.6 m:
4.5 px/mm, 1 331 px across; A0 from 2 m: 1.3 px/mm), and a social image at its own pixels.

Each glyph's ink box, through its slot's matrix (a rotated slot's glyphs are sampled where they
print), selects the pixels beneath it. A glyph's contrast is the WCAG ratio of its colour (the
slot's, or the emphasis colour) against those pixels, taken at their 5th percentile: the worst
twentieth of its background, so a speck of grain or an anti-aliased panel edge does not decide, a
bright patch does. A slot's contrast is its **worst glyph's**: one unreadable letter spoils a word.
Thresholds are WCAG AA (4.5:1, 3:1 for large text, "large" converted through the viewing distance).

A scrim (`data-scrim` auto, dark or light) is a black or white rectangle behind a text's ink box,
padded (compose/document.py `draw_scrim`), at the smallest opacity, in 1 % steps, at which the worst
glyph reaches the threshold + SCRIM_MARGIN; `apply_scrims` is the two-pass composition: compose,
draw the page without texts at the measuring resolution, compute the opacities, compose with them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from poster_engine.compose.document import SCRIM_COLORS, Composition, Scrim
from poster_engine.compose.layout import Slot
from poster_engine.compose.typeset import TextBlock
from poster_engine.core.color import contrast_ratio, parse_hex, relative_luminance, to_hex
from poster_engine.core.formats import Format
from poster_engine.project.content import Poster

AA_BODY, AA_LARGE = 4.5, 3.0
# WCAG's large text: 24 CSS px (18 pt), or 18.66 px (14 pt) bold — SemiBold and heavier here.
LARGE_PX, LARGE_BOLD_PX = 24.0, 18.66
BOLD_WEIGHTS = ("SemiBold", "Bold", "ExtraBold", "Black", "Heavy")
PERCENTILE = 5.0  # a glyph's contrast: this percentile of its background pixels' ratios
SCRIM_MARGIN = 0.05  # a scrim aims this far above the threshold: 8-bit compositing never lands under it
SCRIM_STEPS = 100  # opacities tried: 1 % steps


def backdrop_scale(fmt: Format) -> float:
    """Pixels per format unit at which the page is measured: one CSS reference pixel as seen from the
    viewing distance on print; a social image's own pixels."""
    return 1.0 if fmt.medium == "social" else 1.0 / fmt.css_px_mm


@dataclass(frozen=True)
class Threshold:
    need: float  # the WCAG AA ratio
    large: bool
    size_mm: float  # the type size as seen (mm)


def threshold(comp: Composition, slot: Slot, block: TextBlock) -> Threshold:
    """AA for this text: large text (by its size as seen, through the slot's transforms) needs 3:1."""
    fmt, layout = comp.layout.format, comp.layout
    size_mm = block.size * slot.matrix.line_scale * layout.scale * fmt.mm_per_unit
    px = size_mm / fmt.css_px_mm
    font = block.glyphs[0].font
    large = px >= LARGE_PX or (px >= LARGE_BOLD_PX and font.name.rsplit("-", 1)[-1] in BOLD_WEIGHTS)
    return Threshold(AA_LARGE if large else AA_BODY, large, size_mm)


def palette_color(spec: str | None, poster: Poster) -> str:
    """A slot's `color` rule as '#RRGGBB': a palette key of the poster, or a hex value."""
    spec = spec or "text"
    return getattr(poster.spec.colors, spec) if spec in ("background", "text", "accent") else spec.upper()


def text_colors(slot: Slot, poster: Poster) -> tuple[str, str]:
    """The slot's colour and its emphasis colour (compose/document.py `draw_text`)."""
    base = slot.rules.get("color") or "text"
    return palette_color(base, poster), palette_color("text" if base == "accent" else "accent", poster)


@dataclass(frozen=True)
class Backdrop:
    """The page drawn without some texts: pixels, and the pixels per page unit on each axis."""

    pixels: np.ndarray  # height × width × 3, uint8 sRGB
    sx: float
    sy: float


def draw_backdrop(comp: Composition, hide_text: Collection[str], scale: float | None = None) -> Backdrop:
    from poster_engine.export.raster import render_rgb

    fmt = comp.layout.format
    scale = backdrop_scale(fmt) if scale is None else scale
    width, height = fmt.page
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    image = render_rgb(comp.document(hide_text=hide_text), w, h)
    return Backdrop(np.asarray(image, dtype=np.uint8), w / width, h / height)


@dataclass(frozen=True)
class Patch:
    """The pixels beneath one glyph's ink box, and the glyph's colour and line."""

    color: str
    line: int  # 1-based line of the text block
    pixels: np.ndarray  # n × 3 uint8


def glyph_boxes(block: TextBlock) -> list[tuple[int, tuple[float, float, float, float]]]:
    """(glyph index, ink box x0 y0 x1 y1 in the slot's units) for every glyph with ink."""
    out = []
    for i, g in enumerate(block.glyphs):
        b = g.font.glyph_bounds(g.gid)
        if b is not None:
            out.append((i, (g.x + b[0] * g.scale, g.y - b[3] * g.scale, g.x + b[2] * g.scale, g.y - b[1] * g.scale)))
    return out


def page_polygon(comp: Composition, slot: Slot, box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """An ink box (slot units) → its four corners on the page (format units, bleed included)."""
    x0, y0, x1, y1 = box
    b, k = comp.layout.format.bleed, comp.layout.scale
    return [(b + k * x, b + k * y) for x, y in slot.matrix.corners((x0, y0, x1 - x0, y1 - y0))]


def pixels_in(poly: list[tuple[float, float]], backdrop: Backdrop) -> np.ndarray:
    """The pixels whose centres lie in a convex polygon (page units); the one under its centre
    when it is smaller than a pixel."""
    img = backdrop.pixels
    pts = np.array([(x * backdrop.sx, y * backdrop.sy) for x, y in poly])
    h, w = img.shape[:2]
    lo = np.clip(np.floor(pts.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    hi = np.clip(np.ceil(pts.max(axis=0)).astype(int), 1, [w, h])
    ys, xs = np.mgrid[lo[1] : hi[1], lo[0] : hi[0]]
    cx, cy = xs + 0.5, ys + 0.5
    inside = np.ones(cx.shape, bool)
    (x0, y0), (x1, y1), (x2, y2) = pts[0], pts[1], pts[2]
    sign = np.sign((x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0))  # the corners' winding
    for i in range(4):
        (ax, ay), (bx, by) = pts[i], pts[(i + 1) % 4]
        inside &= sign * ((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) >= 0
    if not inside.any():
        mx, my = np.clip(pts.mean(axis=0).astype(int), 0, [w - 1, h - 1])
        return img[my : my + 1, mx].reshape(1, 3)
    return img[ys[inside], xs[inside]]


def patches(comp: Composition, slot: Slot, backdrop: Backdrop) -> list[Patch]:
    block = comp.blocks[slot.name]
    base, emphasis = text_colors(slot, comp.poster)
    baselines = sorted({round(g.y, 4) for g in block.glyphs})
    line_of = {y: i + 1 for i, y in enumerate(baselines)}
    out = []
    for i, box in glyph_boxes(block):
        g = block.glyphs[i]
        pixels = pixels_in(page_polygon(comp, slot, box), backdrop)
        out.append(Patch(emphasis if g.emphasis else base, line_of[round(g.y, 4)], pixels))
    return out


# --- measuring ------------------------------------------------------------------------------------

_LINEAR = np.array([relative_luminance((v, 0, 0)) / 0.2126 for v in range(256)])
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


def _luminance(pixels: np.ndarray, overlay: tuple[str, float] | None = None) -> np.ndarray:
    if overlay is None or overlay[1] <= 0:
        return _LINEAR[pixels] @ _WEIGHTS
    # A scrim composited in sRGB's encoded values, as cairo does, then linearised.
    color, alpha = overlay
    mixed = pixels * (1 - alpha) + np.array(parse_hex(color)) * alpha
    v = mixed / 255
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return linear @ _WEIGHTS


@dataclass(frozen=True)
class Measure:
    """A slot's worst glyph: its contrast, its colour, the background colour at that percentile, its line."""

    ratio: float
    color: str
    background: str
    line: int


def measure(found: list[Patch], overlay: tuple[str, float] | None = None) -> Measure | None:
    worst: Measure | None = None
    for p in found:
        lum = _luminance(p.pixels, overlay)
        fg = relative_luminance(p.color)
        ratios = (np.maximum(lum, fg) + 0.05) / (np.minimum(lum, fg) + 0.05)
        k = int(np.floor((len(ratios) - 1) * PERCENTILE / 100))
        at = int(np.argpartition(ratios, k)[k])
        if worst is None or ratios[at] < worst.ratio:
            px = p.pixels[at].astype(float)
            if overlay is not None:
                px = px * (1 - overlay[1]) + np.array(parse_hex(overlay[0])) * overlay[1]
            bg = to_hex(tuple(int(round(c)) for c in px))  # type: ignore[arg-type]
            worst = Measure(float(ratios[at]), p.color, bg, p.line)
    return worst


def scrim_color(mode: str, color: str) -> str:
    """auto: black under a light text, white under a dark one (whichever can contrast more)."""
    if mode in SCRIM_COLORS:
        return SCRIM_COLORS[mode]
    return "#000000" if contrast_ratio(color, "#000000") >= contrast_ratio(color, "#FFFFFF") else "#FFFFFF"


def scrim_opacity(found: list[Patch], need: float, color: str) -> float:
    """The smallest opacity (1 % steps) of a `color` rectangle under the glyphs at which the worst
    reaches `need` + SCRIM_MARGIN; 1 when even an opaque one does not (the check then says so)."""

    def reaches(step: int) -> bool:
        m = measure(found, (color, step / SCRIM_STEPS))
        return m is None or m.ratio >= need + SCRIM_MARGIN

    if reaches(0):
        return 0.0
    if not reaches(SCRIM_STEPS):
        return 1.0
    lo, hi = 0, SCRIM_STEPS  # reaches(lo) is false, reaches(hi) true
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if reaches(mid) else (mid, hi)
    return hi / SCRIM_STEPS


def scrims_for(measured: Composition) -> dict[str, Scrim]:
    """The scrim of each slot that asks for one, computed on `measured` (the job composed at the
    measuring resolution) drawn without its texts."""
    slots = measured.scrim_slots
    if not slots:
        return {}
    backdrop = draw_backdrop(
        measured, [s.name for s in (measured.slots or measured.layout.slots) if s.name in measured.blocks]
    )
    out = {}
    for slot in slots:
        block = measured.blocks[slot.name]
        color = scrim_color(slot.rules.get("scrim", "auto"), text_colors(slot, measured.poster)[0])
        need = threshold(measured, slot, block).need
        out[slot.name] = Scrim(color, scrim_opacity(patches(measured, slot, backdrop), need, color))
    return out
