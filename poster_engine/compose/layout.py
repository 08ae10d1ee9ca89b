"""`Template` + `Format` → `Layout`: the template's tree adapted to the format's shape, its slots in their real frames.

A template is drawn at one reference size (its viewBox, e.g. A3 in mm). It is scaled to the format's
width; the height difference is absorbed by anchors (`data-anchor`, or `anchor:` in the sidecar):
`top` (default) stays, `bottom` moves with the bottom edge, `middle` moves half, `stretch` (rects
and slots) grows. An anchor says how an element moves **on the page**, at any depth: an element
without one moves with its parent (a layer anchored `bottom` carries everything in it), one with
its own moves as it says whatever its parents do. A rect with `data-bleed="true"` is extended into
the bleed on the page edges it touches. Stretching and bleeding need an unrotated, unskewed rect.

A family may have variants for other shapes beside the portrait `layouts/<family>.svg`:
`<family>.square.svg`, `<family>.landscape.svg`, `<family>.story.svg` (any `<family>.<name>.svg`).
Each job uses the variant whose viewBox aspect ratio is nearest the format's (compared as
logarithms, so 2:1 and 1:2 are equally far from 1:1), then anchors absorb the remaining difference.
An element with `data-qr="code"` is drawn only on formats that show links as QR codes (print), one
with `data-qr="text"` only on formats that write the short link out (social images).

The output keeps the template's tree: each slot element is replaced, in place, by its content drawn
in the slot's own units, so every ancestor's transform applies as the editor showed it. A `Layout`
is that tree as a flat list of SVG fragments and the slots between them; a repeating group is one
`Repeat` holding its model item's parts, which the composer draws once per item (docs/layouts.md §6).
"""

from __future__ import annotations

import copy
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from poster_engine.core.diagnostics import PosterError, fail
from poster_engine.core.formats import DEDICATED_VARIANTS, Format
from poster_engine.core.geometry import Box, Matrix, Polygon
from poster_engine.project.files import record_file, record_listing
from poster_engine.project.layouts import (
    NOT_DRAWN,
    Template,
    TemplateRepeat,
    TemplateSlot,
    load_template,
    record_template,
    variant_files,
)
from poster_engine.project.slots import SlotKind, Source
from poster_engine.project.svg import SVG_NS, XLINK_NS, TypedText, hidden, is_svg, strip_foreign, tag, transform_of

__all__ = ["SVG_NS", "XLINK_NS", "Decoration", "Layout", "Repeat", "Slot", "adapt", "load_layout", "variant_shapes"]

# Read here, never written out.
_ENGINE_ATTRS = ("data-anchor", "data-qr", "data-bleed", "data-repeat", "data-flow", "data-columns", "data-gap")
_MARK = f"{{{SVG_NS}}}poster-engine-part"


@dataclass(frozen=True)
class Slot:
    name: str
    kind: SlotKind
    box: Box  # the slot's own units (its x/y/width/height), after anchoring
    rules: dict[str, str] = field(hash=False)  # data-* attributes (or sidecar keys) without the prefix
    line: int | None = None  # line of the element in the template, for error messages
    matrix: Matrix = Matrix()  # the slot's own units → layout units on the adapted page
    own: Matrix = Matrix()  # the part of `matrix` inside the slot element: wraps its content
    sources: dict[str, Source] = field(default_factory=dict, hash=False, compare=False, repr=False)

    @property
    def polygon(self) -> Polygon:
        """The slot's corners on the page (layout units): a rotated or skewed slot is no box there."""
        return self.matrix.corners(self.box)

    @property
    def bounds(self) -> Box:
        """The page's axis-aligned box around the slot (layout units)."""
        return self.matrix.bounds(self.box)


@dataclass(frozen=True)
class Decoration:
    svg: str  # serialized SVG: an element, or the opening or closing tags of a group holding slots


@dataclass(frozen=True)
class Repeat:
    """A repeating group on the adapted page: its model item's parts, drawn once per item of its list
    (docs/layouts.md §6). Boxes are in the group's own units; `frame` maps them to the page."""

    name: str
    list: str  # 'films', 'stats', … or 'item.actions'
    line: int | None
    cell: Box  # one item as drawn (the model's bounds)
    area: Box  # the list's box, after anchoring (a stretched group's grows with the format)
    frame: Matrix  # the group's units → layout units on the adapted page
    flow: str
    columns: int
    gap: tuple[float, float]  # between rows, between columns
    parts: tuple[Slot | Decoration | Repeat, ...]  # the model item, in the group's frame

    @property
    def polygon(self) -> Polygon:
        return self.frame.corners(self.area)

    @property
    def bounds(self) -> Box:
        return self.frame.bounds(self.area)

    @property
    def slots(self) -> tuple[Slot, ...]:
        """The model's slots, those of lists inside it included."""
        out: list[Slot] = []
        for p in self.parts:
            if isinstance(p, Slot):
                out.append(p)
            elif isinstance(p, Repeat):
                out += p.slots
        return tuple(out)


@dataclass(frozen=True)
class Layout:
    """A template adapted to one format. Units are the template's (e.g. mm at A3)."""

    family: str
    file: str  # e.g. layouts/choc.svg
    format: Format
    width: float
    height: float
    scale: float  # format units (mm or px) per layout unit
    bleed: float  # layout units
    safe: float  # layout units
    defs: str
    layers: tuple[Slot | Decoration | Repeat, ...]
    styles: str = ""  # the template's own <style> elements (the poster's palette comes after them)
    origin: tuple[float, float] = (0.0, 0.0)  # the viewBox's x, y
    texts: tuple[TypedText, ...] = ()  # the designer's words drawn as outlines, for `poster check`

    @property
    def slots(self) -> tuple[Slot, ...]:
        """The slots outside repeating groups (an item's slots exist once per item: `Composition.slots`)."""
        return tuple(x for x in self.layers if isinstance(x, Slot))

    @property
    def repeats(self) -> tuple[Repeat, ...]:
        """The repeating groups outside other repeating groups."""
        return tuple(x for x in self.layers if isinstance(x, Repeat))

    @property
    def safe_box(self) -> Box:
        """The area text and QR codes must stay in (layout units): the safe margin, and on stories
        the platform's UI bands."""
        left, top, right, bottom = (e / self.scale for e in self.format.safe_edges)
        return left, top, self.width - left - right, self.height - top - bottom


def load_layout(root: Path, family: str, fmt: Format) -> Layout:
    """Read the variant of layouts/<family>.svg nearest the format's shape (cached by modification
    time) and adapt it to `fmt`."""
    # Which variant a format uses depends on every variant's shape: the job reads the family's
    # listing (names and shapes, see variant_shapes) and the one template it uses, with its sidecars.
    record_listing(f"layouts:{family}")
    files = variant_files(root, family)
    if not files[0].is_file():
        record_file(files[0])
        raise fail("layout file not found; every layout family needs layouts/<family>.svg", f"layouts/{family}.svg")
    own = files[0].with_name(f"{family}.{fmt.variant}.svg") if fmt.variant else None
    if own is not None and own in files:
        template = load_template(own)
        record_template(own, template)
        return adapt(template, family, fmt)
    # Nearest shape among the shape variants (not those drawn for one format); on a tie the portrait
    # base wins (it comes first).
    files = [p for p in files if p.name.removeprefix(f"{family}.").removesuffix(".svg") not in DEDICATED_VARIANTS]
    want = math.log(fmt.height / fmt.width)
    templates = [load_template(p) for p in files]
    chosen = min(range(len(templates)), key=lambda i: abs(math.log(templates[i].height / templates[i].width) - want))
    record_template(files[chosen], templates[chosen])
    return adapt(templates[chosen], family, fmt)


def variant_shapes(root: Path, family: str) -> list[tuple[str, float]]:
    """Each variant of a family and its aspect ratio (height / width): what decides which one a
    format uses. A variant that cannot be read is listed with its error's text instead."""
    shapes: list[tuple[str, float | str]] = []
    for path in variant_files(root, family):
        try:
            t = load_template(path)
            shapes.append((path.name, t.height / t.width))
        except (OSError, PosterError) as exc:
            shapes.append((path.name, str(exc)))
    return shapes  # type: ignore[return-value]


def adapt(t: Template, family: str, fmt: Format) -> Layout:
    scale = fmt.width / t.width
    height = fmt.height / scale
    a = _Adapter(t, family, fmt, height)
    root = Matrix.translate(-t.origin[0], -t.origin[1]) if t.origin != (0.0, 0.0) else Matrix()
    defs, styles = "", ""
    for el in t.tree.root:
        name = tag(el)
        if not is_svg(el):
            continue  # sodipodi:namedview and other editors' own elements
        if name == "defs":
            defs += ET.tostring(_clean(el), encoding="unicode")
        elif name == "style":
            if (el.text or "").strip():  # what the rules inlined (project/drawable.py) left, if anything
                styles += ET.tostring(_clean(el), encoding="unicode")
        elif name in ("title", "desc", "metadata") or el.get("data-placeholder") is not None or hidden(el):
            continue  # template-only: placeholder content, hidden layers
        else:
            a.parts += a.element(el, root, 0.0)
    _check_adapted(t, family, fmt, [s for s in a.parts if isinstance(s, Slot | Repeat)], height)
    bleed, safe = fmt.bleed / scale, fmt.safe / scale
    return Layout(
        family, t.file, fmt, t.width, height, scale, bleed, safe, defs, tuple(a.parts), styles, t.origin, t.tree.texts
    )


def _clean(el: ET.Element) -> ET.Element:
    """A copy with editors' own namespaces and the engine's attributes removed."""
    out = copy.deepcopy(el)
    strip_foreign(out)
    for node in out.iter():
        for key in _ENGINE_ATTRS:
            node.attrib.pop(key, None)
    return out


class _Adapter:
    def __init__(self, t: Template, family: str, fmt: Format, height: float):
        self.t, self.family, self.fmt, self.height = t, family, fmt, height
        self.dh = height - t.height
        self.bleed = fmt.bleed * t.width / fmt.width
        self.parts: list[Slot | Decoration | Repeat] = []

    def element(self, el: ET.Element, frame: Matrix, parent_dy: float) -> list[Slot | Decoration | Repeat]:
        """One drawn element in its parent's frame (template page ← parent units, with the
        parent's anchoring) → its parts on the adapted page."""
        t = self.t
        slot = t.slot_of(el)
        mode = "code" if slot is not None and slot.kind == "qr" else t.rule(el, "qr")
        if mode is not None and mode != self.fmt.qr:
            return []  # the other medium's way of giving the link
        anchor = t.rule(el, "anchor")
        dy = (
            parent_dy
            if anchor is None
            else {"top": 0.0, "middle": self.dh / 2, "bottom": self.dh, "stretch": 0.0}[anchor]
        )
        rel = dy - parent_dy  # how far it moves on the page besides what its parents move
        if slot is not None:
            return [self._slot(slot, frame, parent_dy, rel, anchor == "stretch")]
        repeat = t.repeat_of(el)
        if repeat is not None:
            return self._repeat(repeat, frame, dy, rel, anchor == "stretch")
        if tag(el) in ("g", "a", "switch") and any(self._matters(d) for d in el.iter() if d is not el):
            return self._group(el, frame, dy, rel)
        out = _clean(el)
        if tag(el) == "rect":
            if not self._move_rect(out, el, frame, rel, anchor == "stretch", t.rule(el, "bleed") == "true"):
                return [Decoration(self._shifted(ET.tostring(out, encoding="unicode"), frame, rel))]
            return [Decoration(ET.tostring(out, encoding="unicode"))]
        if anchor == "stretch" or t.rule(el, "bleed") == "true":
            raise fail(
                f"element '{el.get('id', tag(el))}': only <rect> layers can stretch or bleed", t.file, t.line(el)
            )
        return [Decoration(self._shifted(ET.tostring(out, encoding="unicode"), frame, rel))]

    def _matters(self, el: ET.Element) -> bool:
        """Whether an element inside a group needs the group walked: a slot, or an element adapting itself."""
        return (
            self.t.slot_of(el) is not None
            or self.t.repeat_of(el) is not None
            or any(self.t.rule(el, k) is not None for k in ("anchor", "qr", "bleed"))
        )

    def _shifted(self, svg: str, frame: Matrix, rel: float) -> str:
        """Move an element by `rel` on the page: a translation in its parent's units."""
        if not rel:
            return svg
        if frame.is_translation:
            return f'<g transform="translate(0 {rel:.4f})">{svg}</g>'
        vx, vy = frame.inverse().apply_vector(0.0, rel)
        return f'<g transform="translate({vx:.4f} {vy:.4f})">{svg}</g>'

    def _tags(self, el: ET.Element) -> tuple[str, str]:
        """A group's own opening and closing tags, cleaned."""
        shell = _clean(ET.Element(el.tag, el.attrib))
        shell.text = el.text
        shell.append(ET.Element(_MARK))
        opening, closing = ET.tostring(shell, encoding="unicode").split("<poster-engine-part />")
        return opening, closing

    def _repeat(
        self, r: TemplateRepeat, frame: Matrix, dy: float, rel: float, stretch: bool
    ) -> list[Slot | Decoration | Repeat]:
        """A repeating group: its tags around one `Repeat` holding its model's parts. Anchored
        `stretch`, the list's box grows (or shrinks) with the format's height; the model stays."""
        opening, closing = self._tags(r.element)
        inner = frame @ transform_of(r.element)
        parts = self.element(r.model, inner, dy)
        x, y, w, h = r.area
        if stretch:
            if not (r.frame.is_axis_aligned and r.frame.d > 0):
                raise fail(
                    f"repeating group '{r.name}' cannot stretch: it is rotated, skewed or flipped; "
                    "anchor it top, middle or bottom",
                    self.t.file,
                    r.line,
                )
            h += self.dh / r.frame.d
        page = r.frame if not dy else Matrix.translate(0.0, dy) @ r.frame
        before, after = self._shifted("\0", frame, rel).split("\0")
        repeat = Repeat(r.name, r.list, r.line, r.cell, (x, y, w, h), page, r.flow, r.columns, r.gap, tuple(parts))
        return [Decoration(before + opening), repeat, Decoration(closing + after)]

    def _group(self, el: ET.Element, frame: Matrix, dy: float, rel: float) -> list[Slot | Decoration | Repeat]:
        """A group holding slots or adapting elements: its own tags around its children's parts."""
        opening, closing = self._tags(el)
        inner = frame @ transform_of(el)  # the children's frame; anchors are page moves, kept apart in `dy`
        parts: list[Slot | Decoration | Repeat] = []
        for child in el:
            if not is_svg(child) or child.get("data-placeholder") is not None:
                continue
            if tag(child) in NOT_DRAWN or hidden(child):
                parts.append(Decoration(ET.tostring(_clean(child), encoding="unicode")))
            else:
                parts += self.element(child, inner, dy)
        before, after = self._shifted("\0", frame, rel).split("\0")
        return [Decoration(before + opening), *parts, Decoration(closing + after)]

    def _slot(self, s: TemplateSlot, frame: Matrix, parent_dy: float, rel: float, stretch: bool) -> Slot:
        """A slot on the adapted page: its box moved by `rel` (in its own units) and its matrix
        carrying its parents' moves."""
        x, y, w, h = s.box
        matrix = s.matrix if not parent_dy else Matrix.translate(0.0, parent_dy) @ s.matrix
        if rel:
            dx, dyl = (0.0, rel) if s.matrix.is_translation else s.matrix.inverse().apply_vector(0.0, rel)
            x, y = x + dx, y + dyl
        if stretch:
            if not (s.matrix.is_axis_aligned and s.matrix.d > 0):
                raise fail(
                    f"slot '{s.name}' cannot stretch: it is rotated, skewed or flipped; "
                    "anchor it top, middle or bottom",
                    self.t.file,
                    s.line,
                )
            h += self.dh / s.matrix.d
            if h <= 0:
                raise fail(
                    f"slot '{s.name}' shrinks to nothing at format {self.fmt.name} "
                    f"({self.fmt.width:g} × {self.fmt.height:g} {self.fmt.unit}); add a variant of this shape, "
                    f"e.g. layouts/{self.family}.landscape.svg (README, 'Formats of another shape')",
                    self.t.file,
                    s.line,
                )
        rules = {k: v for k, (v, _) in s.rules.items()}
        sources = {k: src for k, (_, src) in s.rules.items()}
        return Slot(s.name, s.kind, (x, y, w, h), rules, s.line, matrix, s.own, sources)

    def _move_rect(
        self, out: ET.Element, el: ET.Element, frame: Matrix, rel: float, stretch: bool, bleeds: bool
    ) -> bool:
        """Anchor a rect by its own coordinates; with bleed, every edge lying on the page edge is
        pushed out into the bleed. False when it can only be moved as a whole (rotated, no stretch)."""
        t = self.t
        m = frame @ transform_of(el)
        if not (m.is_axis_aligned and m.a > 0 and m.d > 0):
            if stretch or bleeds:
                raise fail(
                    f"element '{el.get('id', 'rect')}': a rotated, skewed or flipped rect cannot stretch or bleed",
                    t.file,
                    t.line(el),
                )
            return False
        x, y = _num(el, "x", t, 0.0), _num(el, "y", t, 0.0) + rel / m.d
        w, h = _num(el, "width", t), _num(el, "height", t) + (self.dh / m.d if stretch else 0.0)
        if bleeds:
            eps = 1e-6
            left, top = m.apply(x, y)
            right, bottom = m.apply(x + w, y + h)
            if left <= eps:
                left -= self.bleed
            if top <= eps:
                top -= self.bleed
            if right >= t.width - eps:
                right += self.bleed
            if bottom >= self.height - eps:
                bottom += self.bleed
            x, y = (left - m.e) / m.a, (top - m.f) / m.d
            w, h = (right - left) / m.a, (bottom - top) / m.d
        for key, value in (("x", x), ("y", y), ("width", w), ("height", h)):
            out.set(key, f"{value:.4f}".rstrip("0").rstrip("."))
        return True


def _num(el: ET.Element, attr: str, t: Template, default: float | None = None) -> float:
    raw = el.get(attr)
    if raw is None:
        if default is not None:
            return default
        raise fail(f"element '{el.get('id', el.tag)}' needs a numeric '{attr}' attribute", t.file, t.line(el))
    try:
        return float(raw.strip().removesuffix("px"))
    except ValueError:
        raise fail(
            f"element '{el.get('id', el.tag)}': '{attr}' must be a number in user units, not {raw!r}",
            t.file,
            t.line(el),
        ) from None


def _check_adapted(t: Template, family: str, fmt: Format, slots: list[Slot | Repeat], height: float) -> None:
    """Anchoring must not push a slot (or a list's box) off the page or into another one: that format
    needs a variant.

    Slots that already overlap in the template (a caption over a visual) are the designer's choice.
    """
    original = {s.name: s.matrix.bounds(s.box) for s in t.slots}
    original.update({r.name: r.frame.bounds(r.area) for r in t.repeats})
    hint = f"add a variant of this shape, e.g. layouts/{family}.landscape.svg or .square.svg (README, 'Formats')"
    for slot in slots:
        _, y, _, h = slot.bounds
        if y < -1e-6 or y + h > height + 1e-6:
            what = "slot" if isinstance(slot, Slot) else "repeating group"
            raise fail(
                f"{what} '{slot.name}' leaves the page at format {fmt.name} ({fmt.width:g} × {fmt.height:g} "
                f"{fmt.unit}); {hint}",
                t.file,
                slot.line,
            )
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            ax, ay, aw, ah = a.bounds
            bx, by, bw, bh = b.bounds
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                _, oay, _, oah = original[a.name]
                _, oby, _, obh = original[b.name]
                if not (oay < oby + obh and oby < oay + oah):  # apart in the template, together now
                    raise fail(
                        f"slots '{a.name}' and '{b.name}' collide at format {fmt.name} "
                        f"({fmt.width:g} × {fmt.height:g} {fmt.unit}); {hint}",
                        t.file,
                        b.line,
                    )
