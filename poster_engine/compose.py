"""`Layout` + a poster's content → one SVG document (bytes) per job, plus what was placed where."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape

from .content import Campaign, Poster
from .errors import Diagnostic, PosterError, fail
from .fields import poster_fields
from .formats import MM_PER_INCH, Format
from .layout import SVG_NS, XLINK_NS, Decoration, Layout, Slot, load_layout
from .qr import QrCode, make_qr
from .typeset import Box, MissingGlyph, TextBlock, TextDoesNotFit, TextRules, fit_text
from .visuals import PRINT_PPI, visual_svg
from .workspace import Workspace

PALETTE_KEYS = ("background", "text", "accent")
QR_MIN_MM = 15.0
QR_MIN_MODULE_PX = 2
FIELD = re.compile(r"\{([a-z_.]+)\}")


@dataclass(frozen=True)
class PlacedQr:
    code: QrCode
    box: Box  # the light square including the quiet zone, layout units


@dataclass(frozen=True)
class Composition:
    """A composed job: the SVG document and the typeset data tests and checks can inspect."""

    poster: Poster
    layout: Layout
    svg: bytes
    blocks: dict[str, TextBlock]
    qrs: dict[str, PlacedQr]


def slot_error(layout: Layout, slot: Slot, message: str) -> PosterError:
    """An error in a layout's slot, located at the slot's line in the template."""
    return fail(f"slot '{slot.name}': {message}", layout.file, slot.line)


def _num(slot: Slot, key: str, layout: Layout, default: float | None = None) -> float:
    raw = slot.rules.get(key)
    if raw is None:
        if default is None:
            raise slot_error(layout, slot, f"needs data-{key}")
        return default
    try:
        return float(raw)
    except ValueError:
        raise slot_error(layout, slot, f"data-{key} must be a number, not {raw!r}") from None


def _choice(slot: Slot, key: str, allowed: tuple[str, ...], layout: Layout) -> str:
    value = slot.rules.get(key, allowed[0])
    if value not in allowed:
        raise slot_error(layout, slot, f"data-{key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def text_rules(slot: Slot, layout: Layout, ws: Workspace) -> TextRules:
    """A text slot's data-* attributes → TextRules (fonts resolved from the project's fonts/)."""
    names = tuple(n.strip() for n in slot.rules.get("font", "Inter-Regular").split(",") if n.strip())
    size_min = _num(slot, "size-min", layout)
    size_max = _num(slot, "size-max", layout, size_min)
    if not 0 < size_min <= size_max:
        raise slot_error(layout, slot, "need 0 < data-size-min <= data-size-max")
    return TextRules(
        fonts=ws.fonts.chain(names, layout.file, slot.line),
        size_min=size_min,
        size_max=size_max,
        line_height=_num(slot, "line-height", layout, 1.15),
        align=_choice(slot, "align", ("left", "center", "right"), layout),  # type: ignore[arg-type]
        valign=_choice(slot, "valign", ("top", "middle", "bottom"), layout),  # type: ignore[arg-type]
        max_lines=int(_num(slot, "max-lines", layout, 99)),
        balance=_choice(slot, "fit", ("shrink", "balance"), layout) == "balance",
        tracking=_num(slot, "tracking", layout, 0.0),
        uppercase=_choice(slot, "case", ("none", "upper"), layout) == "upper",
        features=slot.rules.get("features", ""),
        hanging=_num(slot, "indent-hanging", layout, 0.0),
    )


def _fill(spec: str | None) -> str:
    """A data-color value → an attribute: palette keys become CSS classes, hex stays a fill."""
    spec = spec or "text"
    if spec in PALETTE_KEYS:
        return f'class="fill-{spec}"'
    return f'fill="{escape(spec)}"'


def draw_text(block: TextBlock, color: str | None) -> str:
    """Glyph outlines as one path per text block: no font is needed to print or view the output,
    and one element instead of one per glyph halves cairosvg's drawing time (README, Performance)."""
    d = []
    for g in block.glyphs:
        outline = g.font.glyph_outline(g.gid, g.scale)
        if outline is not None:
            dx, dy, rest = outline
            d.append(f"M{g.x + dx:.3f} {g.y + dy:.3f}{rest}")
    return f'<path {_fill(color)} d="{"".join(d)}"/>'


def _excerpt(text: str, n: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1].rstrip() + "…"


def _expand(template: str, fields: dict[str, str]) -> tuple[str, list[str]]:
    """Fill {field} references; returns the text and the names that this poster lacks."""
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        if m.group(1) not in fields:
            missing.append(m.group(1))
            return ""
        return fields[m.group(1)]

    return FIELD.sub(repl, template), missing


def _source_key(field_names: list[str]) -> str:
    """Which key of the poster file a field comes from (for the error's line number)."""
    head = field_names[0].split(".")[0] if field_names else ""
    return {"quote": "quote", "film": "film", "stat": "stat", "message": "message"}.get(head, "layout")


class _Composer:
    def __init__(self, ws: Workspace, campaign: Campaign, poster: Poster, fmt: Format,
                 raster_scale: float | None = None):
        self.ws, self.poster, self.fmt, self.raster_scale = ws, poster, fmt, raster_scale
        self.layout = load_layout(ws.root, poster.spec.layout, fmt)
        self.fields = poster_fields(campaign, poster)
        self.blocks: dict[str, TextBlock] = {}
        self.qrs: dict[str, PlacedQr] = {}

    def error(self, message: str, key: str) -> PosterError:
        return PosterError(Diagnostic(message, self.poster.file, self.poster.line_of(key)))

    def text(self, slot: Slot) -> str:
        # "\n" in data-text is a forced line break (typeable in Inkscape's XML editor).
        template = slot.rules.get("text", "").replace("\\n", "\n")
        text, missing = _expand(template, self.fields)
        names = FIELD.findall(template)
        if missing or not text.strip():
            if slot.rules.get("optional") == "true":
                return ""
            what = "{" + (missing or names or ["?"])[0] + "}"
            raise self.error(f"layout '{self.layout.family}' slot '{slot.name}' needs {what}, "
                             f"which this poster does not define", _source_key(missing or names))
        rules = text_rules(slot, self.layout, self.ws)
        try:
            block = fit_text(text, slot.box, rules)
        except TextDoesNotFit as exc:
            raise self.error(
                f'text "{_excerpt(text)}" does not fit slot \'{slot.name}\' of {self.layout.file} at format '
                f"{self.fmt.name}, even at the minimum size {rules.size_min:g}: {exc.reason}; "
                f"shorten the text or lower the slot's data-size-min", _source_key(names)) from None
        except MissingGlyph as exc:
            raise self.error(f'{exc} (slot \'{slot.name}\', text "{_excerpt(text)}"); '
                             f"add a font that has it to the slot's data-font", _source_key(names)) from None
        self.blocks[slot.name] = block
        return draw_text(block, slot.rules.get("color"))

    def qr(self, slot: Slot) -> str:
        url, missing = _expand(slot.rules.get("url", "{film.url}"), self.fields)
        if missing or not url:
            raise self.error(f"layout '{self.layout.family}' slot '{slot.name}' needs a link "
                             f"({slot.rules.get('url', '{film.url}')}), which this poster does not define", "film")
        code = make_qr(url)
        x, y, w, h = slot.box
        side = min(w, h)
        scale = self.layout.scale
        if self.fmt.medium == "social":
            # Whole-pixel modules: crisp edges, nothing for a scanner to guess.
            module_px = math.floor(side * scale / code.total_modules)
            if module_px < QR_MIN_MODULE_PX:
                raise slot_error(self.layout, slot, f"too small for a scannable QR code at format {self.fmt.name} "
                                 f"({module_px} px per module); make the slot larger")
            side = module_px * code.total_modules / scale
            x, y = round(x * scale) / scale, round(y * scale) / scale
        else:
            min_mm = float(slot.rules.get("min-mm", QR_MIN_MM))
            printed = side * scale
            if printed < min_mm - 1e-6:
                raise slot_error(self.layout, slot, f"the QR code would print at {printed:.1f} mm at format "
                                 f"{self.fmt.name}, below its {min_mm:g} mm minimum; make the slot larger")
        module = side / code.total_modules
        self.qrs[slot.name] = PlacedQr(code, (x, y, side, side))
        ox, oy = x + 4 * module, y + 4 * module
        return (f'<rect x="{x:.4f}" y="{y:.4f}" width="{side:.4f}" height="{side:.4f}" fill="#FFFFFF"/>'
                f'<path transform="translate({ox:.4f} {oy:.4f}) scale({module:.6f})" fill="#000000" '
                f'd="{code.path}"/>')

    def visual(self, slot: Slot) -> str:
        ref, _ = _expand(slot.rules.get("src", "{visual}"), {"visual": self.poster.spec.visual or ""})
        if not ref:
            if slot.rules.get("optional") == "true" or self.poster.spec.layout == "stat":
                return ""
            raise self.error(f"layout '{self.layout.family}' needs a visual", "visual")
        path = self.ws.root / ref
        if self.raster_scale is not None:
            px_per_unit = self.layout.scale * self.raster_scale
        elif self.fmt.medium == "print":
            px_per_unit = self.layout.scale * PRINT_PPI / MM_PER_INCH
        else:
            px_per_unit = self.layout.scale
        return visual_svg(path, ref, slot.box, self.poster.spec.focus, px_per_unit)

    def document(self) -> bytes:
        lay, fmt = self.layout, self.fmt
        body = []
        for layer in lay.layers:
            if isinstance(layer, Decoration):
                body.append(layer.svg)
            else:
                body.append({"text": self.text, "qr": self.qr, "visual": self.visual}[layer.kind](layer))
        colors = self.poster.spec.colors
        css = "".join(f".fill-{k}{{fill:{getattr(colors, k)}}}.stroke-{k}{{stroke:{getattr(colors, k)}}}"
                      for k in PALETTE_KEYS)
        b = fmt.bleed
        width, height = fmt.page
        unit = "mm" if fmt.medium == "print" else ""
        doc = (
            f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="{width:g}{unit}" height="{height:g}{unit}" '
            f'viewBox="0 0 {width:g} {height:g}">'
            f"<title>{escape(self.poster.spec.title)}</title><style>{css}</style>{lay.defs}"
            f'<g transform="translate({b:g} {b:g}) scale({lay.scale:.8g})">{"".join(body)}</g></svg>'
        )
        return doc.encode("utf-8")


def compose(ws: Workspace, campaign: Campaign, poster: Poster, fmt: Format,
            raster_scale: float | None = None) -> Composition:
    """Compose one poster at one format. Raises PosterError with the poster's file and line.

    `raster_scale` (output px per format unit) resamples photos for a smaller target, e.g. a
    screen preview; by default they get 300 ppi on print formats and 1 px per px on social ones.
    """
    c = _Composer(ws, campaign, poster, fmt, raster_scale)
    svg = c.document()
    return Composition(poster, c.layout, svg, c.blocks, c.qrs)
