"""`Layout` + a poster's content → one SVG document (bytes) per job, plus what was placed where."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from poster_engine.compose.fields import FIELD, Fields, poster_fields
from poster_engine.compose.layout import SVG_NS, XLINK_NS, Decoration, Layout, Slot, load_layout
from poster_engine.compose.qr import LinkTooLong, QrCode, byte_capacity, largest_version, make_qr
from poster_engine.compose.typeset import Face, MissingGlyph, TextBlock, TextDoesNotFit, TextRules, fit_text
from poster_engine.compose.visuals import visual_svg
from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean, fail
from poster_engine.core.formats import Format
from poster_engine.core.geometry import MM_PER_INCH, Box
from poster_engine.core.languages import DEFAULT_LANG
from poster_engine.project.content import Poster
from poster_engine.project.fonts import FontLibrary
from poster_engine.project.loader import Project
from poster_engine.project.markup import MarkupError, parse_markup

PALETTE_KEYS = ("background", "text", "accent")


@dataclass(frozen=True)
class PlacedQr:
    code: QrCode
    box: Box  # the light square including the quiet zone, layout units


@dataclass(frozen=True)
class Composition:
    """A composed job: the SVG document and the typeset data tests and checks can inspect."""

    poster: Poster
    layout: Layout
    lang: str
    title: str  # the poster's title in `lang` (PDF metadata)
    svg: bytes
    blocks: dict[str, TextBlock]
    qrs: dict[str, PlacedQr]


def slot_error(layout: Layout, slot: Slot, message: str, check: str | None = None) -> PosterError:
    """An error in a layout's slot, located at the slot's line in the template."""
    return fail(f"slot '{slot.name}': {message}", layout.file, slot.line, check=check, slot=slot.name)


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


# Layout units from which the display cut of a font (InterDisplay-Bold for Inter-Bold) is used:
# 7 units = 7 mm at A3 ≈ 20 pt, where Inter's text cut starts to look loose and its display cut,
# drawn for large sizes with tighter spacing and finer joins, takes over.
DISPLAY_FROM = 7.0
# All-caps need air between letters (thousandths of an em) when the slot does not say otherwise.
UPPERCASE_TRACKING = 50.0


def text_rules(slot: Slot, layout: Layout, fonts: FontLibrary, lang: str = DEFAULT_LANG) -> TextRules:
    """A text slot's data-* attributes → TextRules (fonts resolved from the project's fonts/)."""
    names = tuple(n.strip() for n in slot.rules.get("font", "Inter-Regular").split(",") if n.strip())
    size_min = _num(slot, "size-min", layout)
    size_max = _num(slot, "size-max", layout, size_min)
    if not 0 < size_min <= size_max:
        raise slot_error(layout, slot, "need 0 < data-size-min <= data-size-max")
    uppercase = _choice(slot, "case", ("none", "upper"), layout) == "upper"
    balance = _choice(slot, "fit", ("shrink", "balance"), layout) == "balance"
    hyphenate = _choice(slot, "hyphenate", ("auto", "true", "false"), layout)
    features = [f.strip() for f in slot.rules.get("features", "").split(",") if f.strip()]
    if uppercase and "case" not in features:
        features.append("case")  # case-sensitive forms: hyphens, dashes and brackets raised to the capitals
    return TextRules(
        faces=font_faces(fonts, names, layout.file, slot.line),
        size_min=size_min,
        size_max=size_max,
        line_height=_num(slot, "line-height", layout, 1.15),
        align=_choice(slot, "align", ("left", "center", "right"), layout),  # type: ignore[arg-type]
        valign=_choice(slot, "valign", ("top", "middle", "bottom"), layout),  # type: ignore[arg-type]
        max_lines=int(_num(slot, "max-lines", layout, 99)),
        balance=balance,
        tracking=_num(slot, "tracking", layout, UPPERCASE_TRACKING if uppercase else 0.0),
        uppercase=uppercase,
        features=",".join(features),
        hanging=_num(slot, "indent-hanging", layout, 0.0),
        hyphenate=hyphenate == "true" or (hyphenate == "auto" and not balance),
        lang=lang,
    )


def font_faces(lib: FontLibrary, names: tuple[str, ...], used_by: str, line: int | None = None) -> tuple[Face, ...]:
    """A slot's font chain in its text cut below DISPLAY_FROM and its display cut from there up, each
    with the heavier chain **strong** text uses (empty when the first font has no heavier cut).
    `used_by` and `line` locate a missing font."""
    faces: list[Face] = []
    for min_size, display in ((0.0, False), (DISPLAY_FROM, True)):
        chain = tuple(dict.fromkeys(lib.optical_cut(n, display) for n in names))
        heavier = lib.heavier(chain[0]) if chain else None
        strong = tuple(dict.fromkeys(lib.heavier(n) or n for n in chain)) if heavier else ()
        face = Face(min_size, lib.chain(chain, used_by, line), lib.chain(strong, used_by, line))
        if not faces or (face.fonts, face.strong) != (faces[-1].fonts, faces[-1].strong):
            faces.append(face)
    return tuple(faces)


def _fill(spec: str | None) -> str:
    """A data-color value → an attribute: palette keys become CSS classes, hex stays a fill."""
    spec = spec or "text"
    if spec in PALETTE_KEYS:
        return f'class="fill-{spec}"'
    return f'fill="{escape(spec)}"'


def draw_text(block: TextBlock, color: str | None) -> str:
    """Glyph outlines as one path per colour run (no font is needed to print or view the output):
    one element instead of one per glyph halves cairosvg's drawing time (README, Performance).

    Emphasis is drawn in the accent colour, or in the text colour when the slot is in the accent.
    """
    base = color or "text"
    accent = "text" if base == "accent" else "accent"
    runs: list[tuple[bool, list[str]]] = []
    for g in block.glyphs:
        outline = g.font.glyph_outline(g.gid, g.scale)
        if outline is None:
            continue
        dx, dy, rest = outline
        piece = f"M{g.x + dx:.3f} {g.y + dy:.3f}{rest}"
        if runs and runs[-1][0] == g.emphasis:
            runs[-1][1].append(piece)
        else:
            runs.append((g.emphasis, [piece]))
    return "".join(f'<path {_fill(accent if emphasis else base)} d="{"".join(d)}"/>' for emphasis, d in runs)


def _excerpt(text: str, n: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1].rstrip() + "…"


def _expand(template: str, fields: Mapping[str, str]) -> tuple[str, list[str]]:
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
    def __init__(
        self,
        project: Project,
        poster: Poster,
        fmt: Format,
        lang: str,
        raster_scale: float | None = None,
        row: Mapping[str, str] | None = None,
    ):
        self.project, self.poster, self.fmt, self.lang, self.raster_scale = project, poster, fmt, lang, raster_scale
        self.layout = load_layout(project.root, poster.spec.layout, fmt)
        self.fields: Fields = poster_fields(project.campaign, poster, lang, row)
        self.blocks: dict[str, TextBlock] = {}
        self.qrs: dict[str, PlacedQr] = {}

    def error(self, message: str, key: str, check: str | None = None, slot: Slot | None = None) -> PosterError:
        """An error in the poster's content, located at the poster file's `key`."""
        return PosterError(
            Diagnostic(
                message, self.poster.file, self.poster.line_of(key), check=check, slot=slot.name if slot else None
            )
        )

    def text(self, slot: Slot) -> str:
        # "\n" in data-text is a forced line break (typeable in Inkscape's XML editor).
        template = slot.rules.get("text", "").replace("\\n", "\n")
        text, missing = _expand(template, self.fields)
        names = FIELD.findall(template)
        labels = [n for n in missing if n.startswith("label.")]
        if labels:
            known = [k for k in self.fields if k.startswith("label.")]
            raise slot_error(
                self.layout,
                slot,
                f"{{{labels[0]}}} is not in messages.yaml's labels"
                f"{did_you_mean(labels[0], known)}; add it under labels:",
            )
        if missing or not text.strip():
            if slot.rules.get("optional") == "true":
                return ""
            what = "{" + (missing or names or ["?"])[0] + "}"
            raise self.error(
                f"layout '{self.layout.family}' slot '{slot.name}' needs {what}, which this poster does not define",
                _source_key(missing or names),
            )
        try:
            spans = parse_markup(text)
        except MarkupError as exc:
            raise self.error(f"slot '{slot.name}': {exc}", _source_key(names)) from None
        shown = _excerpt("".join(s.text for s in spans))
        rules = text_rules(slot, self.layout, self.project.fonts, self.lang)
        try:
            block = fit_text(spans, slot.box, rules)
        except TextDoesNotFit as exc:
            raise self.error(
                f"text \"{shown}\" does not fit slot '{slot.name}' of {self.layout.file} at format "
                f"{self.fmt.name}, even at the minimum size {rules.size_min:g}: {exc.reason}; "
                f"shorten the text or lower the slot's data-size-min",
                _source_key(names),
                "fit",
                slot,
            ) from None
        except MissingGlyph as exc:
            char = f" '{exc.char}'" if exc.char.isprintable() else ""
            fonts = ", ".join(dict.fromkeys(f.name for face in rules.faces for f in face.fonts))
            raise self.error(
                f'character U+{ord(exc.char):04X}{char} of text "{shown}" is in none of the fonts of slot '
                f"'{slot.name}' ({fonts}); remove it or add a font that has it to the slot's data-font in "
                f"{self.layout.file}",
                _source_key(names),
                "glyph",
                slot,
            ) from None
        sx, sy, sw, sh = self.layout.safe_box
        if any(
            x0 < sx - 1e-6 or y0 < sy - 1e-6 or x1 > sx + sw + 1e-6 or y1 > sy + sh + 1e-6
            for x0, y0, x1, y1 in block.ink
        ):
            # Printers trim within the margin; stories put their UI over the bands: never ship that.
            raise slot_error(
                self.layout,
                slot,
                f"text outside the safe area at format {self.fmt.name} "
                f"(margin, or a story's UI bands); move the slot inside it or add a variant "
                f"of this shape, e.g. layouts/{self.layout.family}.story.svg",
                "safe-area",
            )
        self.blocks[slot.name] = block
        return draw_text(block, slot.rules.get("color"))

    def qr(self, slot: Slot) -> str:
        url, missing = _expand(slot.rules.get("url", "{film.url}"), self.fields)
        if missing or not url:
            raise self.error(
                f"layout '{self.layout.family}' slot '{slot.name}' needs a link "
                f"({slot.rules.get('url', '{film.url}')}), which this poster does not define",
                "film",
            )
        x, y, w, h = slot.box
        side = min(w, h)
        scale = self.layout.scale
        code = self._fitting_qr(url, slot, side * scale)
        if self.fmt.medium == "social":
            # Whole-pixel modules: crisp edges, nothing for a scanner to guess.
            module_px = math.floor(side * scale / code.total_modules)
            if module_px < self.fmt.qr_min_module:
                raise slot_error(
                    self.layout,
                    slot,
                    f"too small for a scannable QR code at format {self.fmt.name} "
                    f"({module_px} px per module); make the slot larger",
                    "qr",
                )
            side = module_px * code.total_modules / scale
            x, y = round(x * scale) / scale, round(y * scale) / scale
        else:
            # The slot's own minimum, or what the format's viewing distance needs, whichever is larger.
            min_mm = max(float(slot.rules.get("min-mm", 0)), self.fmt.qr_min_mm)
            printed = side * scale
            if printed < min_mm - 1e-6:
                raise slot_error(
                    self.layout,
                    slot,
                    f"the QR code would print at {printed:.1f} mm at format "
                    f"{self.fmt.name}, below the {min_mm:g} mm it needs to be scanned from "
                    f"{self.fmt.viewing_m:g} m; make the slot larger",
                    "qr",
                )
        module = side / code.total_modules
        self.qrs[slot.name] = PlacedQr(code, (x, y, side, side))
        ox, oy = x + 4 * module, y + 4 * module
        return (
            f'<rect x="{x:.4f}" y="{y:.4f}" width="{side:.4f}" height="{side:.4f}" fill="#FFFFFF"/>'
            f'<path transform="translate({ox:.4f} {oy:.4f}) scale({module:.6f})" fill="#000000" '
            f'd="{code.path}"/>'
        )

    def _fitting_qr(self, url: str, slot: Slot, side: float) -> QrCode:
        """The code for `url` if it fits a `side`-wide slot (format units) with modules a phone
        resolves (Format.qr_min_module); else an error naming the longest link that would fit."""
        fits = largest_version(side / self.fmt.qr_min_module + 1e-9)
        try:
            code = make_qr(url)
        except LinkTooLong:
            code = None
        if code is not None and (fits == 0 or code.version <= fits):
            return code  # fits == 0: too small for any code, which the size checks below say
        if fits == 0:
            raise slot_error(
                self.layout,
                slot,
                f"too small for a scannable QR code at format {self.fmt.name}; make the slot larger",
                "qr",
            )
        size = len(url.encode("utf-8"))
        length = f"{size:,} characters" if size == len(url) else f"{size:,} bytes in UTF-8"
        shown = url if len(url) <= 50 else url[:49] + "…"
        names = FIELD.findall(slot.rules.get("url", "{film.url}"))
        message = (
            f"link '{shown}' is {length} long; the QR code of slot '{slot.name}' in {self.layout.file} holds at most "
            f"{byte_capacity(fits):,} characters at format {self.fmt.name} ({side:.0f} {self.fmt.unit} wide, "
            f"modules of at least {self.fmt.qr_min_module:g} {self.fmt.unit}); shorten the link (a redirect) "
            "or make the slot larger"
        )
        source = {"film.url": ("films", self.poster.spec.film, "link", "url"), "campaign.url": ("campaign", "url")}
        where = source.get(names[0]) if names else None
        if where is not None:
            raise PosterError(
                Diagnostic(message, "messages.yaml", self.project.campaign.line_of(where), check="qr", slot=slot.name)
            )
        raise self.error(message, "data" if names and names[0].startswith("row.") else "layout", "qr", slot)

    def visual(self, slot: Slot) -> str:
        ref, _ = _expand(slot.rules.get("src", "{visual}"), {"visual": self.poster.spec.visual or ""})
        if not ref:
            if slot.rules.get("optional") == "true" or self.poster.spec.layout == "stat":
                return ""
            raise self.error(f"layout '{self.layout.family}' needs a visual", "visual")
        path = self.project.root / ref
        if self.raster_scale is not None:
            px_per_unit = self.layout.scale * self.raster_scale
        elif self.fmt.medium == "print":
            px_per_unit = (
                self.layout.scale * self.project.print_settings.profile.min_ppi_for(self.fmt.large) / MM_PER_INCH
            )
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
        css = "".join(
            f".fill-{k}{{fill:{getattr(colors, k)}}}.stroke-{k}{{stroke:{getattr(colors, k)}}}" for k in PALETTE_KEYS
        )
        b = fmt.bleed
        width, height = fmt.page
        unit = "mm" if fmt.medium == "print" else ""
        doc = (
            f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="{width:g}{unit}" height="{height:g}{unit}" '
            f'viewBox="0 0 {width:g} {height:g}">'
            f"<title>{escape(self.fields['title'])}</title><style>{css}</style>{lay.defs}"
            f'<g transform="translate({b:g} {b:g}) scale({lay.scale:.8g})">{"".join(body)}</g></svg>'
        )
        return doc.encode("utf-8")


def compose(
    project: Project,
    poster: Poster,
    fmt: Format,
    lang: str = DEFAULT_LANG,
    raster_scale: float | None = None,
    row: Mapping[str, str] | None = None,
) -> Composition:
    """Compose one poster at one format in one language. Raises PosterError with the file and line.

    `raster_scale` (output px per format unit) resamples photos for a smaller target, e.g. a
    screen preview; by default they get 300 ppi on print formats and 1 px per px on social ones.
    """
    c = _Composer(project, poster, fmt, lang, raster_scale, row)
    svg = c.document()
    return Composition(poster, c.layout, lang, c.fields["title"], svg, c.blocks, c.qrs)
