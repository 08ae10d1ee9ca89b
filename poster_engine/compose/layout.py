"""SVG template + `Format` → `Layout`: slots as boxes and decoration, adapted to the format's shape.

A template is an ordinary SVG (Inkscape, a browser) drawn at one reference size, e.g. A3 in mm.
Its direct children are the layers. A layer marked `data-slot` is filled by the engine; every
other layer is decoration, kept as drawn. When a format has another aspect ratio, the template is
scaled to the format's width and the height difference is absorbed by the `data-anchor` of each
layer: `top` (default) stays, `bottom` moves with the bottom edge, `middle` moves half, `stretch`
(rects and slots) grows. A rect with `data-bleed="true"` is extended into the bleed.

A family may have variants for other shapes beside the portrait `layouts/<family>.svg`:
`<family>.square.svg`, `<family>.landscape.svg`, `<family>.story.svg` (any `<family>.<name>.svg`).
Each job uses the variant whose viewBox aspect ratio is nearest the format's (compared as
logarithms, so 2:1 and 1:2 are equally far from 1:1), then anchors absorb the remaining difference.
A layer with `data-qr="code"` is drawn only on formats that show links as QR codes (print), one
with `data-qr="text"` only on formats that write the short link out (social images).
"""

from __future__ import annotations

import copy
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from poster_engine.core.diagnostics import PosterError, did_you_mean, fail
from poster_engine.core.formats import Format
from poster_engine.core.geometry import Box
from poster_engine.core.marks import strip_reserved
from poster_engine.project.files import record_file, record_listing

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

SlotKind = Literal["text", "qr", "visual"]
ANCHORS = ("top", "middle", "bottom", "stretch")
QR_MODES = ("code", "text")

# data-* attributes each slot kind understands (besides slot, anchor).
SLOT_ATTRS: dict[str, set[str]] = {
    "text": {
        "text",
        "font",
        "size-min",
        "size-max",
        "line-height",
        "align",
        "valign",
        "max-lines",
        "fit",
        "color",
        "tracking",
        "case",
        "features",
        "optional",
        "indent-hanging",
        "hyphenate",
    },
    "qr": {"url", "min-mm"},
    "visual": {"src", "fit"},
}


@dataclass(frozen=True)
class Slot:
    name: str
    kind: SlotKind
    box: Box  # layout units, after anchoring
    rules: dict[str, str] = field(hash=False)  # data-* attributes without the prefix
    line: int | None = None  # line of the element in the template, for error messages


@dataclass(frozen=True)
class Decoration:
    svg: str  # serialized SVG element, already moved/stretched for the format


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
    layers: tuple[Slot | Decoration, ...]

    @property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(x for x in self.layers if isinstance(x, Slot))

    @property
    def safe_box(self) -> Box:
        """The area text and QR codes must stay in (layout units): the safe margin, and on stories
        the platform's UI bands."""
        left, top, right, bottom = (e / self.scale for e in self.format.safe_edges)
        return left, top, self.width - left - right, self.height - top - bottom


@dataclass(frozen=True)
class _Template:
    file: str
    width: float
    height: float
    defs: str
    layers: tuple[ET.Element, ...]
    lines: dict[str, int]  # element id → line in the file


def _num(el: ET.Element, attr: str, file: str, default: float | None = None) -> float:
    raw = el.get(attr)
    if raw is None:
        if default is not None:
            return default
        raise fail(f"element '{el.get('id', el.tag)}' needs a numeric '{attr}' attribute", file)
    try:
        return float(raw.removesuffix("px"))
    except ValueError:
        raise fail(
            f"element '{el.get('id', el.tag)}': '{attr}' must be a number in user units, not {raw!r}", file
        ) from None


def _strip_foreign(el: ET.Element) -> None:
    """Drop editor-only namespaces (sodipodi, inkscape) so outputs contain SVG only."""
    for child in list(el):
        if not child.tag.startswith("{" + SVG_NS + "}"):
            el.remove(child)
        else:
            _strip_foreign(child)
    for key in [k for k in el.attrib if k.startswith("{") and not k.startswith("{" + XLINK_NS)]:
        del el.attrib[key]


# An external reference is anything but a fragment (#id) or an embedded image (data:image/...):
# files (relative, ../, absolute, file://) and the network (http://, //host) alike.
_CSS_REF = re.compile(r"@import|url\(\s*['\"]?(?!#)", re.IGNORECASE)
_FORBIDDEN_TAGS = ("script", "foreignObject")


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def parse_svg(raw: bytes, shown: str, what: str) -> ET.Element:
    """Parse an SVG file we did not write (a layout, a visual): entities and DTDs are refused
    (billion laughs, XXE), and so is any reference outside the document (see README, Security)."""
    import defusedxml
    import defusedxml.ElementTree as DET

    try:
        root = DET.fromstring(raw)
    except ET.ParseError as exc:
        raise fail(f"invalid SVG/XML: {exc}", shown, exc.position[0]) from None
    except defusedxml.DefusedXmlException as exc:
        raise fail(
            f"refused SVG: {type(exc).__name__} (DTDs and entities can expand or read files); "
            "remove the <!DOCTYPE> and entities",
            shown,
        ) from None
    text = raw.decode("utf-8", "replace")
    strip_reserved(root)  # the engine's own marks (data-pe-*) cannot come from an author's file
    for node in root.iter():
        tag = node.tag.split("}")[-1] if isinstance(node.tag, str) else ""
        if tag in _FORBIDDEN_TAGS:
            raise fail(f"<{tag}> is not allowed in {what}; remove it", shown, _line_of(text, f"<{tag}"))
        for key, value in node.attrib.items():
            name = key.split("}")[-1]
            if name == "href" and not (value.startswith("#") or value.startswith("data:image/")):
                raise fail(
                    f"external reference '{value[:60]}' is not allowed in {what} (no files, no network); "
                    "embed the content or remove it",
                    shown,
                    _line_of(text, value),
                )
            if _CSS_REF.search(value):
                raise fail(
                    f"attribute '{name}' references something outside the document ({value[:60]!r}); "
                    f"only url(#id) is allowed in {what}",
                    shown,
                    _line_of(text, value),
                )
        found = _CSS_REF.search(node.text or "") if tag == "style" else None
        if found:
            raise fail(
                f"<style> references something outside the document (url(...) or @import); only url(#id) "
                f"is allowed in {what}",
                shown,
                _line_of(text, found.group(0)),
            )
    return root


@lru_cache(maxsize=64)
def _load_template(path: Path, mtime_ns: int, shown: str) -> _Template:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("layout file not found", shown) from None
    root = parse_svg(raw, shown, "a layout")
    text = raw.decode("utf-8", "replace")
    lines = {m.group(1): text.count("\n", 0, m.start()) + 1 for m in re.finditer(r'\bid="([^"]+)"', text)}
    if root.tag != f"{{{SVG_NS}}}svg":
        raise fail("the root element must be <svg> in the SVG namespace", shown, _line_of(text, "<"))
    view_box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(view_box) != 4:
        raise fail(
            "the <svg> root needs a viewBox='0 0 W H' (the reference size, e.g. 297 420 for A3 in mm)",
            shown,
            _line_of(text, "<svg"),
        )
    _, _, width, height = (float(v) for v in view_box)
    _strip_foreign(root)
    defs, layers, seen = "", [], set()
    for child in root:
        tag = child.tag.split("}")[1]
        if tag == "defs":
            defs += ET.tostring(child, encoding="unicode")
        elif tag in ("style", "title", "desc", "metadata") or child.get("data-placeholder") is not None:
            continue  # template-only: preview palette and placeholder content
        else:
            slot = child.get("data-slot")
            if slot is not None:
                name = child.get("id")
                if not name:
                    raise fail(f"a data-slot='{slot}' element has no id; give every slot a unique id", shown)
                if name in seen:
                    first = _line_of(text, f'id="{name}"')
                    raise fail(
                        f"slot id '{name}' is used twice (also on line {first}); slot ids must be unique",
                        shown,
                        lines.get(name),
                    )
                seen.add(name)
                if child.get("data-qr") is not None and slot == "qr":
                    raise fail(f"slot '{name}': a qr slot is always data-qr='code'; remove data-qr", shown)
                if slot not in SLOT_ATTRS:
                    raise fail(
                        f"slot '{name}': data-slot must be text, qr or visual, not '{slot}'", shown, lines.get(name)
                    )
                for key in child.attrib:
                    if key.startswith("data-") and key not in ("data-slot", "data-anchor", "data-qr"):
                        short = key[5:]
                        if short not in SLOT_ATTRS[slot]:
                            raise fail(
                                f"slot '{name}': unknown attribute '{key}'{did_you_mean(short, SLOT_ATTRS[slot])}",
                                shown,
                                lines.get(name),
                            )
            if child.get("data-qr", "code") not in QR_MODES:
                raise fail(
                    f"element '{child.get('id', tag)}': data-qr must be code or text",
                    shown,
                    lines.get(child.get("id", "")),
                )
            anchor = child.get("data-anchor", "top")
            if anchor not in ANCHORS:
                raise fail(
                    f"element '{child.get('id', tag)}': data-anchor must be one of {', '.join(ANCHORS)}",
                    shown,
                    lines.get(child.get("id", "")),
                )
            layers.append(child)
    if not seen:
        raise fail("the layout has no slots (elements with data-slot); see README 'Adding a layout'", shown)
    return _Template(shown, width, height, defs, tuple(layers), lines)


def variant_files(root: Path, family: str) -> list[Path]:
    """layouts/<family>.svg and its shape variants layouts/<family>.<variant>.svg."""
    folder = Path(root) / "layouts"
    return [folder / f"{family}.svg", *sorted(folder.glob(f"{family}.*.svg"))]


def load_layout(root: Path, family: str, fmt: Format) -> Layout:
    """Read the variant of layouts/<family>.svg nearest the format's shape (cached by modification
    time) and adapt it to `fmt`."""
    # Which variant a format uses depends on every variant's shape: the job reads the family's
    # listing (names and shapes, see variant_shapes) and the one template it uses.
    record_listing(f"layouts:{family}")
    files = variant_files(root, family)
    if not files[0].is_file():
        record_file(files[0])
        raise fail("layout file not found; every layout family needs layouts/<family>.svg", f"layouts/{family}.svg")
    want = math.log(fmt.height / fmt.width)
    templates = [_load_template(p, p.stat().st_mtime_ns, f"layouts/{p.name}") for p in files]
    # Nearest shape; on a tie the portrait base wins (it comes first).
    chosen = min(range(len(templates)), key=lambda i: abs(math.log(templates[i].height / templates[i].width) - want))
    record_file(files[chosen])
    return adapt(templates[chosen], family, fmt)


def variant_shapes(root: Path, family: str) -> list[tuple[str, float]]:
    """Each variant of a family and its aspect ratio (height / width): what decides which one a
    format uses. A variant that cannot be read is listed with its error's text instead."""
    shapes: list[tuple[str, float | str]] = []
    for path in variant_files(root, family):
        try:
            t = _load_template(path, path.stat().st_mtime_ns, f"layouts/{path.name}")
            shapes.append((path.name, t.height / t.width))
        except (OSError, PosterError) as exc:
            shapes.append((path.name, str(exc)))
    return shapes  # type: ignore[return-value]


def adapt(t: _Template, family: str, fmt: Format) -> Layout:
    scale = fmt.width / t.width
    height = fmt.height / scale
    dh = height - t.height
    bleed = fmt.bleed / scale
    layers: list[Slot | Decoration] = []
    for el in t.layers:
        mode = "code" if el.get("data-slot") == "qr" else el.get("data-qr")
        if mode is not None and mode != fmt.qr:
            continue  # the other medium's way of giving the link
        anchor = el.get("data-anchor", "top")
        dy = {"top": 0.0, "middle": dh / 2, "bottom": dh, "stretch": 0.0}[anchor]
        if el.get("data-slot") is not None:
            x, y = _num(el, "x", t.file, 0.0), _num(el, "y", t.file, 0.0)
            w, h = _num(el, "width", t.file), _num(el, "height", t.file)
            if anchor == "stretch":
                h += dh
                if h <= 0:
                    raise fail(
                        f"slot '{el.get('id')}' shrinks to nothing at format {fmt.name} "
                        f"({fmt.width:g} × {fmt.height:g} {fmt.unit}); add a variant of this shape, "
                        f"e.g. layouts/{family}.landscape.svg (README, 'Formats of another shape')",
                        t.file,
                        t.lines.get(el.get("id", "")),
                    )
            rules = {k[5:]: v for k, v in el.attrib.items() if k.startswith("data-")}
            name = el.get("id", "")
            layers.append(Slot(name, el.get("data-slot"), (x, y + dy, w, h), rules, t.lines.get(name)))  # type: ignore[arg-type]
            continue
        el = copy.deepcopy(el)
        el.attrib.pop("data-anchor", None)
        el.attrib.pop("data-qr", None)
        bleeds = el.attrib.pop("data-bleed", None) == "true"
        tag = el.tag.split("}")[1]
        if tag == "rect":
            _move_rect(el, t, dy, dh if anchor == "stretch" else 0.0, height, bleed if bleeds else 0.0)
            svg = ET.tostring(el, encoding="unicode")
        elif anchor == "stretch" or bleeds:
            raise fail(f"element '{el.get('id', tag)}': only <rect> layers can stretch or bleed", t.file)
        else:
            svg = ET.tostring(el, encoding="unicode")
            if dy:
                svg = f'<g transform="translate(0 {dy:.4f})">{svg}</g>'
        layers.append(Decoration(svg))
    _check_adapted(t, family, fmt, [s for s in layers if isinstance(s, Slot)], height)
    return Layout(family, t.file, fmt, t.width, height, scale, bleed, fmt.safe / scale, t.defs, tuple(layers))


def _check_adapted(t: _Template, family: str, fmt: Format, slots: list[Slot], height: float) -> None:
    """Anchoring must not push a slot off the page or into another one: that format needs a variant.

    Slots that already overlap in the template (a caption over a visual) are the designer's choice.
    """
    original = {}
    for el in t.layers:
        if el.get("data-slot") is not None:
            original[el.get("id", "")] = (_num(el, "y", t.file, 0.0), _num(el, "height", t.file))
    hint = f"add a variant of this shape, e.g. layouts/{family}.landscape.svg or .square.svg (README, 'Formats')"
    for slot in slots:
        x, y, w, h = slot.box
        if y < -1e-6 or y + h > height + 1e-6:
            raise fail(
                f"slot '{slot.name}' leaves the page at format {fmt.name} ({fmt.width:g} × {fmt.height:g} "
                f"{fmt.unit}); {hint}",
                t.file,
                slot.line,
            )
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            ax, ay, aw, ah = a.box
            bx, by, bw, bh = b.box
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                (oay, oah), (oby, obh) = original[a.name], original[b.name]
                if not (oay < oby + obh and oby < oay + oah):  # apart in the template, together now
                    raise fail(
                        f"slots '{a.name}' and '{b.name}' collide at format {fmt.name} "
                        f"({fmt.width:g} × {fmt.height:g} {fmt.unit}); {hint}",
                        t.file,
                        b.line,
                    )


def _move_rect(el: ET.Element, t: _Template, dy: float, dh: float, height: float, bleed: float) -> None:
    """Anchor a rect; with bleed, every edge lying on the page edge is pushed out into the bleed."""
    x, y = _num(el, "x", t.file, 0.0), _num(el, "y", t.file, 0.0) + dy
    w, h = _num(el, "width", t.file), _num(el, "height", t.file) + dh
    if bleed:
        eps = 1e-6
        right, bottom = x + w, y + h
        if x <= eps:
            x -= bleed
        if y <= eps:
            y -= bleed
        if right >= t.width - eps:
            right += bleed
        if bottom >= height - eps:
            bottom += bleed
        w, h = right - x, bottom - y
    for key, value in (("x", x), ("y", y), ("width", w), ("height", h)):
        el.set(key, f"{value:.4f}".rstrip("0").rstrip("."))
