"""`Layout` + a poster's content → one SVG document (bytes) per job, plus what was placed where."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from html import escape

from poster_engine.compose.fields import FIELD, Fields, poster_fields
from poster_engine.compose.layout import SVG_NS, XLINK_NS, Decoration, Layout, Repeat, Slot, load_layout
from poster_engine.compose.qr import LinkTooLong, QrCode, byte_capacity, largest_version, make_qr
from poster_engine.compose.typeset import Face, MissingGlyph, TextBlock, TextDoesNotFit, TextRules, fit_text
from poster_engine.compose.visuals import visual_svg
from poster_engine.core.color import PALETTE_KEYS
from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean, fail
from poster_engine.core.formats import Format
from poster_engine.core.geometry import MM_PER_INCH, Box, Matrix, Polygon, corners_inside
from poster_engine.core.languages import DEFAULT_LANG
from poster_engine.core.marks import GLYPHS, PATH_MARK, QR
from poster_engine.project.content import Poster
from poster_engine.project.fonts import FontLibrary
from poster_engine.project.loader import Project
from poster_engine.project.markup import MarkupError, Span, parse_markup
from poster_engine.project.slots import poster_key

SCRIM_MODES = ("none", "auto", "dark", "light")
SCRIM_COLORS = {"dark": "#000000", "light": "#FFFFFF"}
# A scrim covers the text's ink and this much around it, in ems of the fitted size.
SCRIM_PAD_EM = 0.3


@dataclass(frozen=True)
class Scrim:
    """A black or white rectangle behind a text, at the opacity that brings it to WCAG AA
    (computed from the rendered page by render/contrast.py: compose cannot rasterise)."""

    color: str  # "#000000" (dark) or "#FFFFFF" (light)
    opacity: float  # 0..1


@dataclass(frozen=True)
class Part:
    """One piece of the document body: a decoration, QR or visual (`slot` None), or a text slot's
    glyphs with what wraps them (its own transform), so the page can be drawn without a text."""

    before: str
    slot: str | None = None
    text: str = ""
    after: str = ""


@dataclass(frozen=True)
class PlacedQr:
    code: QrCode
    box: Box  # the light square including the quiet zone, in the slot's own units
    matrix: Matrix = Matrix()  # the slot's own units → layout units on the page

    @property
    def module(self) -> float:
        """A module's side where it prints, in layout units: along the direction the transforms shrink most."""
        return self.box[2] / self.code.total_modules * self.matrix.singular_values[1]


@dataclass(frozen=True)
class PlacedList:
    """One repeating group as filled: its list, its items and its box on the page (layout units)."""

    name: str  # e.g. 'stats', or 'challenges[2]/item.actions' for a list inside an item
    list: str  # the list's key, e.g. 'stats', 'challenges.portee.actions'
    items: int
    polygon: Polygon  # the list's box (the group's area) on the page
    squeeze: float  # 1: items as drawn; less: the rows share the box's height (docs/layouts.md §6)
    line: int | None = None


@dataclass(frozen=True)
class Layers:
    """A composed document cut between its top-level elements: `head` + the layers + `tail` is the
    SVG. Each layer is whole (a decoration, a slot's drawing, a repeating group with its items), so
    a renderer can draw the first layers once and reuse them while only later ones change."""

    head: str
    body: tuple[str, ...]
    tail: str

    def document(self) -> bytes:
        # Encoded layer by layer: one text with a character beyond Latin-1 (a narrow no-break
        # space) would make the whole joined string, photo included, two bytes a character to
        # copy and then encode (3 ms for the A3 photo poster; 0.16 ms this way, same bytes).
        return b"".join(
            [self.head.encode("utf-8"), *(part.encode("utf-8") for part in self.body), self.tail.encode("utf-8")]
        )


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
    # Every slot as filled, in drawing order: the layout's own, then each item's (named
    # `stats[2]/item.value`, in its own place on the page) where its group is.
    slots: tuple[Slot, ...] = ()
    lists: tuple[PlacedList, ...] = ()
    parts: tuple[Part, ...] = field(default=(), repr=False, compare=False)
    frame: tuple[str, str] = field(default=("", ""), repr=False, compare=False)  # the document around the body
    scrims: dict[str, Scrim] = field(default_factory=dict)
    # Where each top-level element of the body (a decoration, a slot, a repeating group) starts in
    # `parts`: the layers a drawing can stop or resume between (export/canvas.py).
    layer_starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @property
    def scrim_slots(self) -> tuple[Slot, ...]:
        """The text slots that ask for a scrim (`data-scrim` auto, dark or light) and show a text."""
        return tuple(
            s
            for s in (self.slots or self.layout.slots)
            if s.name in self.blocks and s.rules.get("scrim", "none") != "none"
        )

    def document(self, hide_text: Collection[str] = (), scrims: Mapping[str, Scrim] | None = None) -> bytes:
        """The SVG document again, without the texts of `hide_text` (their scrims stay: they are
        what the page paints beneath them) and with `scrims` (by default the composition's own)."""
        return self.layers(hide_text, scrims).document()

    def layers(self, hide_text: Collection[str] = (), scrims: Mapping[str, Scrim] | None = None) -> Layers:
        """The document as its head, its top-level layers in drawing order and its tail (see `document`)."""
        scrims = self.scrims if scrims is None else scrims
        body = []
        for part in self.parts:
            if part.slot is None:
                body.append(part.before)
                continue
            scrim = scrims.get(part.slot)
            under = draw_scrim(self.blocks[part.slot], scrim) if scrim else ""
            body.append(part.before + under + ("" if part.slot in hide_text else part.text) + part.after)
        bounds = [*(self.layer_starts or (0,)), len(body)]  # unknown: the body is one layer
        layers = tuple("".join(body[a:b]) for a, b in zip(bounds, bounds[1:]))
        return Layers(self.frame[0], layers, self.frame[1])

    def with_scrims(self, scrims: Mapping[str, Scrim]) -> Composition:
        """The same composition with these scrims drawn behind their texts."""
        kept = {k: v for k, v in scrims.items() if v.opacity > 0}
        return replace(self, svg=self.document(scrims=kept), scrims=kept)


def draw_scrim(block: TextBlock, scrim: Scrim) -> str:
    """The scrim in the slot's own units: the text's ink box, padded, so it turns with a rotated slot."""
    if not block.ink or scrim.opacity <= 0:
        return ""
    pad = SCRIM_PAD_EM * block.size
    x0 = min(b[0] for b in block.ink) - pad
    y0 = min(b[1] for b in block.ink) - pad
    x1 = max(b[2] for b in block.ink) + pad
    y1 = max(b[3] for b in block.ink) + pad
    return (
        f'<rect x="{x0:.3f}" y="{y0:.3f}" width="{x1 - x0:.3f}" height="{y1 - y0:.3f}" '
        f'fill="{scrim.color}" fill-opacity="{scrim.opacity:.2f}"/>'
    )


def slot_error(
    layout: Layout, slot: Slot, message: str, check: str | None = None, key: str | None = None
) -> PosterError:
    """An error in a layout's slot, located at the slot's line in the template, or where its rule
    `key` was written (an attribute's line, or a sidecar's)."""
    source = slot.sources.get(key) if key else None
    file, line = (source.file, source.line) if source else (layout.file, slot.line)
    return fail(f"slot '{slot.name}': {message}", file, line, check=check, slot=slot.name)


def _spelled(slot: Slot, key: str) -> str:
    """A rule as its author wrote it: data-size-min in the SVG, size-min in a sidecar."""
    source = slot.sources.get(key)
    return source.spelled if source else f"data-{key}"


def _num(slot: Slot, key: str, layout: Layout, default: float | None = None) -> float:
    raw = slot.rules.get(key)
    if raw is None:
        if default is None:
            raise slot_error(layout, slot, f"needs data-{key} (or '{key}:' in its sidecar)")
        return default
    try:
        return float(raw)
    except ValueError:
        raise slot_error(layout, slot, f"{_spelled(slot, key)} must be a number, not {raw!r}", key=key) from None


def _choice(slot: Slot, key: str, allowed: tuple[str, ...], layout: Layout) -> str:
    value = slot.rules.get(key, allowed[0])
    if value not in allowed:
        raise slot_error(
            layout, slot, f"{_spelled(slot, key)} must be one of {', '.join(allowed)}, not {value!r}", key=key
        )
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
    return "".join(
        f'<path {PATH_MARK}="{GLYPHS}" {_fill(accent if emphasis else base)} d="{"".join(d)}"/>' for emphasis, d in runs
    )


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


def _squeezed(box: Box, to_group: Matrix, top: float, squeeze: float, keep_height: bool = False) -> Box:
    """A box of an item's model (in its own units) with the item's height shrunk by `squeeze` towards
    the model's top `top` (in the group's units). Only a box whose frame is axis-aligned in the
    group's shrinks; another keeps its shape and place. `keep_height`: the box moves, its size stays."""
    if squeeze >= 1.0 or not (to_group.is_axis_aligned and to_group.d > 0):
        return box
    x, y, w, h = box
    y_group = to_group.d * y + to_group.f
    y_new = (top + (y_group - top) * squeeze - to_group.f) / to_group.d
    return x, y_new, w, h if keep_height else h * squeeze


def scope_free(inst: _Instance) -> bool:
    """Whether a poster chooses this list's items (a list inside an item it does not)."""
    return inst.scope is None


def _source_key(field_names: list[str]) -> str:
    """Which key of the poster file a field comes from (for the error's line number)."""
    return (poster_key(field_names[0]) if field_names else None) or "layout"


@dataclass(frozen=True, eq=False)
class _Instance:
    """One repeating group filled in one scope: what is needed to lay it out again with fewer items."""

    repeat: Repeat
    scope: str | None  # the enclosing item's key (a list inside an item), or None
    page: Matrix  # the enclosing item's move on the page (identity at the top level)
    area: Box  # the list's box in the group's units, squeezed with the enclosing item
    cell: Box  # the model's box, moved with the enclosing item's squeeze
    prefix: str  # the enclosing items' names, e.g. 'challenges[2]/'
    key: str  # the list's key, e.g. 'stats' or 'challenges.portee.actions'
    items: int
    squeeze: float


@dataclass(eq=False)
class _Fill:
    """A slot to fill once every slot is known: an item's text waits for the others of its name."""

    slot: Slot
    scope: str | None = None  # the item's key, for {item.*}
    model: str | None = None  # the model slot's name (items' slots of one name share a size)
    instance: _Instance | None = None
    number: int = 0  # the item's position in its list, from 1
    svg: str = field(default="", repr=False)


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
        self.slots: list[Slot] = []
        self.lists: list[PlacedList] = []
        self.layer_starts: tuple[int, ...] = ()

    def error(self, message: str, key: str, check: str | None = None, slot: Slot | None = None) -> PosterError:
        """An error in the poster's content, located at the poster file's `key`."""
        return PosterError(
            Diagnostic(
                message, self.poster.file, self.poster.line_of(key), check=check, slot=slot.name if slot else None
            )
        )

    def spans(
        self, slot: Slot, fields: Mapping[str, str], fill: _Fill | None = None
    ) -> tuple[tuple[Span, ...], str] | None:
        """A text slot's text with its fields filled, as styled spans, and an excerpt for messages;
        None when an optional slot has nothing to show."""
        # "\n" in data-text is a forced line break (typeable in Inkscape's XML editor).
        template = slot.rules.get("text", "").replace("\\n", "\n")
        text, missing = _expand(template, fields)
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
                return None
            if fill is not None and fill.instance is not None and any(n.startswith("item.") for n in missing):
                raise self._item_missing(fill, next(n for n in missing if n.startswith("item.")))
            what = "{" + (missing or names or ["?"])[0] + "}"
            raise self.error(
                f"layout '{self.layout.family}' slot '{slot.name}' needs {what}, which this poster does not define",
                _source_key(missing or names),
            )
        try:
            spans = parse_markup(text)
        except MarkupError as exc:
            raise self.error(f"slot '{slot.name}': {exc}", _source_key(names)) from None
        return spans, _excerpt("".join(s.text for s in spans))

    def _item_missing(self, fill: _Fill, name: str) -> PosterError:
        inst = fill.instance
        assert inst is not None and fill.scope is not None
        prefix = fill.scope + "."
        known = sorted({"item." + k[len(prefix) :] for k in self.fields if k.startswith(prefix) and "[" not in k})
        known = [k for k in known if k.count(".") == 1]
        item_id = fill.scope.rsplit(".", 1)[-1]
        return slot_error(
            self.layout,
            fill.slot,
            f"item {fill.number} ('{item_id}') of list '{inst.key}' has no {{{name}}}"
            f"{did_you_mean(name, known)}; its items have {', '.join('{' + k + '}' for k in known)}; "
            "make the slot optional if some items lack it",
        )

    def _fit(self, slot: Slot, spans: tuple[Span, ...], shown: str, rules: TextRules) -> TextBlock:
        """fit_text, a missing glyph reported with the slot's fonts."""
        try:
            return fit_text(spans, slot.box, rules)
        except MissingGlyph as exc:
            char = f" '{exc.char}'" if exc.char.isprintable() else ""
            fonts = ", ".join(dict.fromkeys(f.name for face in rules.faces for f in face.fonts))
            names = FIELD.findall(slot.rules.get("text", ""))
            raise self.error(
                f'character U+{ord(exc.char):04X}{char} of text "{shown}" is in none of the fonts of slot '
                f"'{slot.name}' ({fonts}); remove it or add a font that has it to the slot's data-font in "
                f"{self.layout.file}",
                _source_key(names),
                "glyph",
                slot,
            ) from None

    def text(self, slot: Slot) -> str:
        got = self.spans(slot, self.fields)
        if got is None:
            return ""
        spans, shown = got
        rules = text_rules(slot, self.layout, self.project.fonts, self.lang)
        _choice(slot, "scrim", SCRIM_MODES, self.layout)
        try:
            block = self._fit(slot, spans, shown, rules)
        except TextDoesNotFit as exc:
            raise self.error(
                f"text \"{shown}\" does not fit slot '{slot.name}' of {self.layout.file} at format "
                f"{self.fmt.name}, even at the minimum size {rules.size_min:g}: {exc.reason}; "
                f"shorten the text or lower the slot's data-size-min",
                _source_key(FIELD.findall(slot.rules.get("text", ""))),
                "fit",
                slot,
            ) from None
        return self.place(slot, block)

    def place(self, slot: Slot, block: TextBlock) -> str:
        """A fitted text in its slot: checked against the safe area, kept, drawn."""
        # The ink's corners on the page: a rotated slot's glyphs are measured where they print.
        if not corners_inside(slot.matrix, block.ink, self.layout.safe_box):
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

    # --- repeating groups (docs/layouts.md §6) ---------------------------------------------------

    def expand(
        self,
        rep: Repeat,
        scope: str | None,
        page: Matrix,
        area: Box,
        cell: Box,
        prefix: str,
        count: int | None = None,
        probe: bool = False,
    ) -> list[str | _Fill]:
        """A repeating group's items, each its model moved to its place: SVG pieces and slots to fill.

        Items go in columns of the model's width (`columns` of them at most) and rows; `flow` says
        whether consecutive items go down a column or along a row. The rows take the model's height
        when the group's box has room for them all; otherwise they share it (`squeeze` < 1): each
        slot box of an item shrinks in height by that factor (its text is fitted again), its other
        drawings keep their size and place from the item's top.
        """
        key = rep.list if scope is None or not rep.list.startswith("item.") else scope + rep.list[4:]
        items = self.fields.items_of(key)
        if count is not None:
            items = items[:count]
        n = len(items)
        frame = page @ rep.frame
        cx, cy, cw, ch = cell
        ax, ay, aw, ah = area
        row_gap, col_gap = rep.gap
        columns = max(1, min(rep.columns, n))
        rows = math.ceil(n / columns) if n else 0
        room = ay + ah - cy - (rows - 1) * row_gap
        squeeze = 1.0 if not rows or rows * ch <= room + 1e-9 else max(room, 0.0) / (rows * ch)
        inst = _Instance(rep, scope, page, area, cell, prefix, key, n, squeeze)
        if not probe:
            self.lists.append(PlacedList(prefix + rep.name, key, n, frame.corners(area), squeeze, rep.line))
        if n and squeeze <= 1e-6:
            raise self._list_error(inst, None, None)
        out: list[str | _Fill] = []
        to_group = frame.inverse()
        top = rep.cell[1]  # the model's top as drawn: boxes shrink towards it
        for k, item in enumerate(items):
            col, row = (k // rows, k % rows) if rep.flow == "down" else (k % columns, k // columns)
            dx = col * (cw + col_gap) + (cx - rep.cell[0])
            dy = row * (ch * squeeze + row_gap) + (cy - top)
            move = frame @ Matrix.translate(dx, dy) @ to_group  # the item's move on the page
            name = f"{prefix}{rep.name}[{k + 1}]/"
            out.append(f'<g transform="translate({dx:.4f} {dy:.4f})">')
            for part in rep.parts:
                if isinstance(part, Decoration):
                    out.append(part.svg)
                elif isinstance(part, Slot):
                    box = _squeezed(part.box, rep.frame.inverse() @ part.matrix, top, squeeze)
                    slot = replace(part, name=name + part.name, box=box, matrix=move @ page @ part.matrix)
                    out.append(_Fill(slot, item, part.name, inst, k + 1))
                else:  # a list inside the item: its box and first item move with this item's squeeze
                    inner = rep.frame.inverse() @ part.frame
                    sub_area = _squeezed(part.area, inner, top, squeeze, keep_height=False)
                    sub_cell = _squeezed(part.cell, inner, top, squeeze, keep_height=True)
                    out += self.expand(part, item, move @ page, sub_area, sub_cell, name, None, probe)
            out.append("</g>")
        return out

    def _fit_items(self, fills: list[_Fill]) -> None:
        """The text slots of one name in every item of a list: one common size, the largest at which
        every item fits (docs/layouts.md §6)."""
        todo: list[tuple[_Fill, tuple[Span, ...], str, TextRules]] = []
        for fill in fills:
            got = self.spans(fill.slot, self.fields.scoped(fill.scope), fill)
            if got is None:
                continue
            rules = text_rules(fill.slot, self.layout, self.project.fonts, self.lang)
            _choice(fill.slot, "scrim", SCRIM_MODES, self.layout)
            todo.append((fill, *got, rules))
        if not todo:
            return
        sizes = []
        for fill, spans, shown, rules in todo:
            try:
                sizes.append(self._fit(fill.slot, spans, shown, rules).size)
            except TextDoesNotFit as exc:
                raise self._list_error(fill.instance, fill, (shown, rules.size_min, exc.reason)) from None
        common = min(sizes)
        for _ in range(50):
            blocks: list[TextBlock] = []
            for fill, spans, shown, rules in todo:
                try:
                    blocks.append(self._fit(fill.slot, spans, shown, replace(rules, size_min=common, size_max=common)))
                except TextDoesNotFit:
                    # A size that fits one item best may not fit another at exactly that size: lower it.
                    try:
                        common = self._fit(fill.slot, spans, shown, replace(rules, size_max=common * 0.999)).size
                    except TextDoesNotFit as exc:
                        raise self._list_error(fill.instance, fill, (shown, rules.size_min, exc.reason)) from None
                    break
            else:
                for (fill, *_), block in zip(todo, blocks):
                    fill.svg = self.place(fill.slot, block)
                return
        raise self._list_error(todo[0][0].instance, todo[0][0], None)  # pragma: no cover - sizes only fall

    def _fits(self, inst: _Instance, count: int) -> bool:
        """Whether the first `count` items of a list fit its group, each text at its slot's minimum."""
        try:
            pieces = self.expand(inst.repeat, inst.scope, inst.page, inst.area, inst.cell, inst.prefix, count, True)
        except PosterError:
            return False
        for piece in pieces:
            if isinstance(piece, _Fill) and piece.slot.kind == "text":
                got = self.spans(piece.slot, self.fields.scoped(piece.scope), piece)
                if got is None:
                    continue
                rules = text_rules(piece.slot, self.layout, self.project.fonts, self.lang)
                try:
                    fit_text(got[0], piece.slot.box, replace(rules, size_max=rules.size_min))
                except (TextDoesNotFit, MissingGlyph):
                    return False
        return True

    def _list_error(
        self, inst: _Instance | None, fill: _Fill | None, failed: tuple[str, float, str] | None
    ) -> PosterError:
        """Items that do not fit their group even at their slots' minimum sizes: the list, the
        group's line, the item and how many items would fit."""
        assert inst is not None
        rep = inst.repeat
        where = f"repeat:{rep.name} ({self.layout.file}:{rep.line})"
        key = inst.key if inst.key in self.poster.key_lines else "layout"
        what = ""
        if fill is not None and failed is not None:
            shown, size_min, reason = failed
            what = (
                f"; slot '{fill.model}' of item {fill.number} (\"{shown}\") does not fit even at the minimum size "
                f"{size_min:g}: {reason}"
            )
        if inst.squeeze >= 1.0 and fill is not None and failed is not None:
            # The items have the room they were drawn with: the text itself is too long.
            return self.error(
                f"list '{inst.key}' in {where} at format {self.fmt.name}{what}; shorten the text or lower the "
                f"slot's size-min",
                key,
                "fit",
                fill.slot,
            )
        fit = next((k for k in range(inst.items - 1, 0, -1) if self._fits(inst, k)), 0)
        choose = f" ({inst.key}: {fit} in {self.poster.file})" if fit and scope_free(inst) else ""
        return self.error(
            f"list '{inst.key}' does not fit {where} at format {self.fmt.name}: its {inst.items} items share "
            f"the group's height{what}; {fit} item(s) fit; show fewer{choose} or give the group more room",
            key,
            "fit",
            fill.slot if fill else None,
        )

    def qr(self, slot: Slot, fields: Mapping[str, str] | None = None) -> str:
        url, missing = _expand(slot.rules.get("url", "{film.url}"), self.fields if fields is None else fields)
        if missing or not url:
            raise self.error(
                f"layout '{self.layout.family}' slot '{slot.name}' needs a link "
                f"({slot.rules.get('url', '{film.url}')}), which this poster does not define",
                "film",
            )
        x, y, w, h = slot.box
        side = min(w, h)
        # Format units per slot unit, in the direction the slot's transforms shrink most: what a
        # module really measures in print (a QR in a group scaled by 0.5 prints at half its box).
        scale = self.layout.scale * slot.matrix.singular_values[1]
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
            if slot.matrix.is_translation:  # on the pixel grid; a rotated or scaled code cannot be
                ex, ey = slot.matrix.e * scale, slot.matrix.f * scale
                x, y = (round(x * scale + ex) - ex) / scale, (round(y * scale + ey) - ey) / scale
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
        self.qrs[slot.name] = PlacedQr(code, (x, y, side, side), slot.matrix)
        ox, oy = x + 4 * module, y + 4 * module
        # Its own paint in full: what a group of the layout sets is inherited otherwise, and a
        # stroke there outlined every module into its neighbours (the code no longer scanned).
        paint = 'fill-opacity="1" stroke="none"'
        return (
            f'<rect x="{x:.4f}" y="{y:.4f}" width="{side:.4f}" height="{side:.4f}" fill="#FFFFFF" {paint}/>'
            f'<path {PATH_MARK}="{QR}" transform="translate({ox:.4f} {oy:.4f}) scale({module:.6f})" fill="#000000" '
            f'{paint} d="{code.path}"/>'
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
            if slot.rules.get("optional") == "true":
                return ""
            raise self.error(
                f"layout '{self.layout.family}' slot '{slot.name}' shows a visual, which this poster does not "
                "give; add visual: or make the slot optional",
                "visual",
            )
        path = self.project.root / ref
        # Output px per slot unit along the direction the slot's transforms stretch most.
        unit = self.layout.scale * slot.matrix.singular_values[0]
        if self.raster_scale is not None:
            px_per_unit = unit * self.raster_scale
        elif self.fmt.medium == "print":
            px_per_unit = unit * self.project.print_settings.profile.min_ppi_for(self.fmt.large) / MM_PER_INCH
        else:
            px_per_unit = unit
        return visual_svg(path, ref, slot.box, self.poster.spec.focus, px_per_unit, self.project.fonts)

    def document(self) -> tuple[tuple[Part, ...], tuple[str, str]]:
        """The body's parts and the document around them."""
        lay, fmt = self.layout, self.fmt
        parts: list[Part] = []
        pieces: list[str | _Fill] = []
        top: list[int] = []  # where each top-level layer starts in `pieces`
        for layer in lay.layers:
            top.append(len(pieces))
            if isinstance(layer, Decoration):
                pieces.append(layer.svg)
            elif isinstance(layer, Repeat):
                pieces += self.expand(layer, None, Matrix(), layer.area, layer.cell, "")
            else:
                pieces.append(_Fill(layer))
        # Each item's texts are fitted with those of the same slot in every item, when the first is met.
        groups: dict[str, list[_Fill]] = {}
        for piece in pieces:
            if isinstance(piece, _Fill) and piece.model is not None and piece.slot.kind == "text":
                groups.setdefault(piece.model, []).append(piece)
        starts = set(top)
        for i, piece in enumerate(pieces):
            if i in starts:  # pieces and parts match one to one
                self.layer_starts += (len(parts),)
            if isinstance(piece, str):
                parts.append(Part(piece))
                continue
            layer = piece.slot
            self.slots.append(layer)
            if piece.model is not None and layer.kind == "text":
                if piece.model in groups:
                    self._fit_items(groups.pop(piece.model))
                content = piece.svg
            elif layer.kind == "text":
                content = self.text(layer)
            elif layer.kind == "qr":
                content = self.qr(layer, self.fields.scoped(piece.scope))
            else:
                content = self.visual(layer)
            # In place of the slot element, in its own units: its ancestors' transforms apply around it.
            before, after = ("", "") if layer.own.is_identity else (f'<g transform="{layer.own.svg()}">', "</g>")
            if layer.kind == "text" and layer.name in self.blocks:
                parts.append(Part(before, layer.name, content, after))
            else:
                parts.append(Part(before + content + after))
        colors = self.poster.spec.colors
        css = "".join(
            f".fill-{k}{{fill:{getattr(colors, k)}}}.stroke-{k}{{stroke:{getattr(colors, k)}}}" for k in PALETTE_KEYS
        )
        b = fmt.bleed
        width, height = fmt.page
        unit = "mm" if fmt.medium == "print" else ""
        open_origin, close_origin = "", ""
        if lay.origin != (0.0, 0.0):  # a viewBox not starting at 0 0
            open_origin, close_origin = f'<g transform="translate({-lay.origin[0]:g} {-lay.origin[1]:g})">', "</g>"
        # The template's own styles first: the poster's palette classes, after them, win.
        head = (
            f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="{width:g}{unit}" height="{height:g}{unit}" '
            f'viewBox="0 0 {width:g} {height:g}">'
            f"<title>{escape(self.fields['title'])}</title>{lay.styles}<style>{css}</style>{lay.defs}"
            f'<g transform="translate({b:g} {b:g}) scale({lay.scale:.8g})">{open_origin}'
        )
        return tuple(parts), (head, f"{close_origin}</g></svg>")


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
    parts, frame = c.document()
    comp = Composition(
        poster,
        c.layout,
        lang,
        c.fields["title"],
        b"",
        c.blocks,
        c.qrs,
        tuple(c.slots),
        tuple(c.lists),
        parts,
        frame,
        layer_starts=c.layer_starts,
    )
    return replace(comp, svg=comp.document())
