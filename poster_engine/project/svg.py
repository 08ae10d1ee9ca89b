"""SVG bytes we did not write (a layout, a visual) → a hardened element tree with the line of every element.

Refused: entities other than plain text declared in the file (billion laughs, XXE), `<script>`,
`<foreignObject>` (but for one no renderer draws, which is dropped) and any reference outside the
document (README, Security). Bounded (core/limits.py, README "Limits"): the file's size,
its elements (each `<use>` counting as a copy of what it refers to), their nesting and chains of
`<use>`; references that lead back to themselves (a `<use>` of its own group, a pattern filled with
itself) are refused, as CairoSVG refuses recursive `<use>`; an image embedded as a `data:` URI is
checked from its header (declared size) before anything decodes it. What cairosvg would draw
unlike the editor is drawn another way that renders alike, or refused (drawable.py); a designer's
<text> is drawn as glyph outlines with the project's fonts (svg_text.py).
Kept: everything an editor writes that draws or names — Inkscape's and Sodipodi's attributes are
read (labels, layers) and only dropped when an output is written (`strip_foreign`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from poster_engine.core.diagnostics import PosterError, fail
from poster_engine.core.geometry import Matrix
from poster_engine.core.limits import (
    MAX_CSS_NESTING,
    MAX_EMBEDDED_PIXELS,
    MAX_SVG_BYTES,
    MAX_SVG_COORDINATE,
    MAX_SVG_DEPTH,
    MAX_SVG_ELEMENTS,
    MAX_SVG_USE_CHAIN,
)
from poster_engine.core.marks import strip_reserved

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"
SERIF_NS = "http://www.serif.com/"  # Affinity Designer keeps a layer's name in serif:id
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

# An external reference is anything but a fragment (#id) or an embedded image (data:image/...):
# files (relative, ../, absolute, file://) and the network (http://, //host) alike.
_CSS_REF = re.compile(r"@import|url\(\s*['\"]?(?!#)", re.IGNORECASE)
_LOCAL_REF = re.compile(r"url\(\s*['\"]?#([^'\")\s]+)")  # url(#id) in a paint, clip, mask, filter…
_FORBIDDEN_TAGS = ("script", "foreignObject")


Lines = dict[ET.Element, int]  # each element's line in its file (1-based)


@dataclass(frozen=True)
class TypedText:
    """A designer's <text>, drawn as outlines (svg_text.py), as `poster check` measures it."""

    line: int | None
    words: str
    x_height: float  # its smallest x-height, in the file's user units (the transforms above it applied)


@dataclass(frozen=True, eq=False)
class SvgTree:
    """A parsed SVG file: its root and the line each element starts on (1-based)."""

    root: ET.Element
    lines: dict[ET.Element, int]
    text: str  # the file as text, to locate what is not an element (an attribute's value)
    fonts: tuple[Path, ...] = ()  # the font files its designer's text was outlined with (svg_text.py)
    texts: tuple[TypedText, ...] = ()  # that text, for `poster check`'s type sizes

    def line(self, el: ET.Element) -> int | None:
        return self.lines.get(el)


def tag(el: ET.Element) -> str:
    """The local name: 'rect' for {http://www.w3.org/2000/svg}rect; '' for comments."""
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def is_svg(el: ET.Element) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith("{" + SVG_NS + "}")


def line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


class _LineBuilder(ET.TreeBuilder):
    """A tree builder that notes the line each element starts on (expat reports it in the handler),
    and stops the parse as soon as the file has too many elements or nests them too deep (a million
    elements are refused after 50 000, not parsed, walked and drawn)."""

    def __init__(self, shown: str) -> None:
        super().__init__()
        self.parser: ET.XMLParser | None = None
        self.lines: dict[ET.Element, int] = {}
        self.shown = shown
        self.count = 0
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        el = super().start(tag, attrs)
        line = self.parser.parser.CurrentLineNumber if self.parser is not None else None
        if line is not None:
            self.lines[el] = line
        self.count += 1
        self.depth += 1
        if self.count > MAX_SVG_ELEMENTS:
            raise fail(
                f"more than {MAX_SVG_ELEMENTS:,} elements; simplify the drawing (fewer paths, or a PNG or JPEG "
                "for a picture this detailed)",
                self.shown,
                line,
            )
        if self.depth > MAX_SVG_DEPTH:
            raise fail(
                f"elements nested more than {MAX_SVG_DEPTH} deep ({_named(el)}); ungroup what the groups do not need",
                self.shown,
                line,
            )
        return el

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def _named(el: ET.Element) -> str:
    """<use id='logo'> or <g> (no id): how an element is named in a message."""
    ident = el.get("id")
    return f"<{tag(el)} id='{ident[:40]}'>" if ident else f"<{tag(el)}> (no id)"


# The longest text an entity a file declares for itself may stand for (Illustrator's are URLs).
MAX_ENTITY_TEXT = 1024


def _parser(raw: bytes, builder: _LineBuilder):
    """defusedxml's parser, which refuses every entity, made to read the plain-text ones a file
    declares for itself, as Illustrator's "Save As" declares its namespaces
    (`<!ENTITY ns_ai "http://ns.adobe.com/AdobeIllustrator/10.0/">`) and every SVG reader reads
    them. Still refused: external entities (XXE), parameter entities, and any whose text holds
    markup or another reference (billion laughs); and all the references of the file together may
    not expand to more than MAX_SVG_BYTES (each expands once, as nothing nests)."""
    import defusedxml.ElementTree as DET

    class Parser(DET.DefusedXMLParser):
        expanded = 0  # bytes all the references to the entities declared so far expand to

        def defused_entity_decl(self, name, is_parameter_entity, value, base, sysid, pubid, notation_name):
            plain = (
                not is_parameter_entity
                and value is not None
                and not (sysid or pubid or notation_name)
                and len(value) <= MAX_ENTITY_TEXT
                and not re.search(r"[&%<]", value)
            )
            if plain:
                self.expanded += raw.count(f"&{name};".encode()) * len(value.encode())
            if not plain or self.expanded > MAX_SVG_BYTES:
                super().defused_entity_decl(name, is_parameter_entity, value, base, sysid, pubid, notation_name)

    return Parser(target=builder)


def _drop_never_drawn(root: ET.Element) -> None:
    """A <foreignObject> with `requiredExtensions` draws in no SVG renderer (the attribute names
    extensions only its editor has: Illustrator's editing data in a <switch>), so it is dropped
    rather than refused like any other <foreignObject>."""
    for parent in root.iter():
        for child in [c for c in parent if tag(c) == "foreignObject" and "requiredExtensions" in c.attrib]:
            parent.remove(child)


_OPEN, _CLOSE = "([{", ")]}"


def _nesting(value: str) -> int:
    """How deep brackets nest in a CSS value or sheet (tinycss2, which cairosvg reads style with,
    recurses per level: a few hundred overflow the stack)."""
    if sum(value.count(c) for c in _OPEN) <= MAX_CSS_NESTING:
        return 0
    depth = deepest = 0
    for char in value:
        if char in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSE:
            depth = max(0, depth - 1)
    return deepest


def _unlink(root: ET.Element) -> None:
    """A hyperlink (`<a href="https://…">`, as charts made for the web carry their source) leads
    nowhere on a poster and is fetched by no renderer; cairosvg draws an <a> as text, not as the
    group it is. It becomes what it draws as: a group, or a <tspan> inside a text; its link goes."""
    inside_text = {a for t in root.iter(f"{{{SVG_NS}}}text") for a in t.iter(f"{{{SVG_NS}}}a")}
    for a in list(root.iter(f"{{{SVG_NS}}}a")):
        a.tag = f"{{{SVG_NS}}}{'tspan' if a in inside_text else 'g'}"
        for key in [k for k in a.attrib if k.split("}")[-1] in ("href", "target")]:
            del a.attrib[key]


def parse_checked(raw: bytes, shown: str, what: str) -> tuple[SvgTree, dict[str, ET.Element]]:
    """Parse an SVG file we did not write (see the module's docstring for what is refused): its
    tree, and its elements by id (the first of two with one id, as renderers take it). What
    cairosvg draws otherwise is the caller's next step (designer_svg.py)."""
    import defusedxml

    if len(raw) > MAX_SVG_BYTES:
        raise fail(
            f"is {len(raw):,} bytes, more than the {MAX_SVG_BYTES // 2**20} MiB allowed for {what} (README, Limits); "
            "simplify it, or use a PNG or JPEG",
            shown,
        )
    builder = _LineBuilder(shown)
    parser = _parser(raw, builder)
    builder.parser = parser
    try:
        parser.feed(raw)
        root = parser.close()
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
    _drop_never_drawn(root)
    _unlink(root)
    for node in root.iter():
        name = tag(node)
        if name in _FORBIDDEN_TAGS:
            raise fail(f"<{name}> is not allowed in {what}; remove it", shown, builder.lines.get(node))
        if "transform" in node.attrib:
            _check_transform(node, shown, builder.lines.get(node))
        for key, value in [*node.attrib.items(), *([("<style>", node.text or "")] if name == "style" else [])]:
            if _nesting(value) > MAX_CSS_NESTING:
                raise fail(
                    f"{key if key == '<style>' else repr(key.split('}')[-1])} nests brackets more than "
                    f"{MAX_CSS_NESTING} deep, which no style needs and the renderer cannot read; simplify it",
                    shown,
                    builder.lines.get(node),
                )
        for key, value in node.attrib.items():
            attr = key.split("}")[-1]
            if attr == "href" and value.startswith("data:image/"):
                _check_embedded(node, value, shown, builder.lines.get(node))
            elif attr == "href" and not value.startswith("#"):
                raise fail(
                    f"external reference '{value[:60]}' is not allowed in {what} (no files, no network); "
                    "embed the content or remove it",
                    shown,
                    line_of(text, value),
                )
            if _CSS_REF.search(value):
                raise fail(
                    f"attribute '{attr}' references something outside the document ({value[:60]!r}); "
                    f"only url(#id) is allowed in {what}",
                    shown,
                    line_of(text, value),
                )
        found = _CSS_REF.search(node.text or "") if name == "style" else None
        if found:
            raise fail(
                f"<style> references something outside the document (url(...) or @import); only url(#id) "
                f"is allowed in {what}",
                shown,
                line_of(text, found.group(0)),
            )
    ids: dict[str, ET.Element] = {}
    for el in root.iter():
        ident = el.get("id")
        if ident and ident not in ids:  # the first of two elements with one id, as renderers take it
            ids[ident] = el
    _check_references(root, ids, builder.lines, shown)  # the file's own size, before what the rewrites add
    return SvgTree(root, builder.lines, text), ids


def usable(*values: float) -> bool:
    """Finite numbers within ±MAX_SVG_COORDINATE: what a renderer can draw with."""
    return all(math.isfinite(v) and abs(v) <= MAX_SVG_COORDINATE for v in values)


_NON_FINITE = re.compile(r"nan|inf", re.IGNORECASE)


def _check_transform(el: ET.Element, shown: str, line: int | None) -> None:
    """A transform the renderers can apply: no NaN or infinity, entries within MAX_SVG_COORDINATE
    (cairo refuses an invalid matrix mid-drawing; a scale of 1e300 overflows)."""
    raw = el.get("transform", "")
    m = None if _NON_FINITE.search(raw) else transform_of(el)
    if m is None or not usable(m.a, m.b, m.c, m.d, m.e, m.f):
        raise fail(
            f"{_named(el)}: transform '{raw[:60]}' is not a usable transform (NaN, infinite, or beyond "
            f"{MAX_SVG_COORDINATE:,}); reset it in the editor",
            shown,
            line,
        )


# --- embedded images -----------------------------------------------------------------------------

_DATA_URI = re.compile(r"data:([^,;]*)((?:;[^,;]*)*),", re.IGNORECASE)


def _check_embedded(el: ET.Element, uri: str, shown: str, line: int | None) -> None:
    """An image embedded as a data: URI: a raster format Pillow identifies from its header, whose
    declared size is within MAX_EMBEDDED_PIXELS; checked before the renderer decodes any pixel.
    An SVG inside an SVG is refused (the renderer would parse it without these checks)."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    head = _DATA_URI.match(uri)
    mime = head.group(1).strip().lower() if head else ""
    where = _named(el)
    if head is None:
        raise fail(f"{where}: the data: URI has no ',' before its data; embed the image again", shown, line)
    if mime == "image/svg+xml":
        raise fail(
            f"{where}: an SVG embedded in an SVG is not allowed (it would be read unchecked); paste its elements "
            "in instead",
            shown,
            line,
        )
    payload = uri[head.end() :]
    try:
        if ";base64" in head.group(2).lower():
            data = base64.b64decode("".join(payload.split()), validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise fail(
            f"{where}: the embedded image's base64 data is damaged; embed the image again", shown, line
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the check is ours, below
            with Image.open(io.BytesIO(data)) as im:  # reads the header only
                pixels = im.width * im.height
    except Image.DecompressionBombError as exc:  # over twice Pillow's threshold: its message has the count
        said = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(said.group(1)) if said else MAX_EMBEDDED_PIXELS + 1
    except (UnidentifiedImageError, OSError, ValueError):
        raise fail(
            f"{where}: the embedded data is not an image that can be read; embed a PNG or JPEG", shown, line
        ) from None
    if pixels > MAX_EMBEDDED_PIXELS:
        raise fail(
            f"{where}: the embedded image declares {pixels:,} pixels, more than the {MAX_EMBEDDED_PIXELS:,} "
            "allowed (a decompression bomb?); embed a smaller image",
            shown,
            line,
        )


# --- references between elements ----------------------------------------------------------------


def _href(el: ET.Element) -> str | None:
    """The id an element's href="#id" names (xlink:href or SVG 2's plain href)."""
    for key, value in el.attrib.items():
        if key.rsplit("}", 1)[-1] == "href" and value.startswith("#"):
            return value[1:]
    return None


def _refs(el: ET.Element) -> list[str]:
    """The ids `el` refers to: its href="#id" and every url(#id) in its attributes."""
    found = []
    for key, value in el.attrib.items():
        if key.rsplit("}", 1)[-1] == "href" and value.startswith("#"):
            found.append(value[1:])
        elif "url(" in value:
            found.extend(_LOCAL_REF.findall(value))
    return found


def _check_references(root: ET.Element, ids: dict[str, ET.Element], lines: dict[ET.Element, int], shown: str) -> None:
    """No reference leads back to the element it starts from (a <use> of its own group, a pattern
    filled with itself): renderers would recurse until they crash. And what the <use> elements draw,
    each a copy of what it refers to, stays within MAX_SVG_ELEMENTS, MAX_SVG_DEPTH and
    MAX_SVG_USE_CHAIN. One pass over the elements and their references, iterative (no recursion
    for a hostile file to exhaust), each element measured once."""

    def error(el: ET.Element, message: str) -> PosterError:
        return fail(f"{_named(el)} {message}", shown, lines.get(el))

    # Post-order walk of the graph (children, then what an element refers to); for each element,
    # what drawing it costs: elements drawn, levels deep, <use> hops. Grey: on the current path.
    size: dict[ET.Element, tuple[int, int, int]] = {}
    grey: set[ET.Element] = set()
    stack: list[tuple[ET.Element, list[tuple[ET.Element, bool]]]] = []

    def push(el: ET.Element) -> None:
        refs = [(ids[r], True) for r in _refs(el) if r in ids]
        stack.append((el, [(c, False) for c in el] + refs))
        grey.add(el)

    push(root)
    while stack:
        el, todo = stack[-1]
        if todo:
            nxt, by_ref = todo.pop()
            if nxt in grey:
                referrer = el if by_ref else next(e for e, _ in reversed(stack) if _refs(e))
                target = nxt.get("id") if by_ref else next(r for r in _refs(referrer) if r in ids)
                raise error(
                    referrer,
                    f"refers to '#{target}', which leads back to it (a cycle of references); remove the reference",
                )
            if nxt not in size:
                push(nxt)
            continue
        stack.pop()
        grey.discard(el)
        count, depth, hops = 1, 0, 0
        use = tag(el) == "use"
        for child in el:
            c, d, h = size[child]
            count, depth, hops = count + c, max(depth, d + 1), max(hops, h)
        copied = ids.get(_href(el) or "") if use else None  # paints, clips, masks… are drawn once
        if copied is not None:
            c, d, h = size[copied]
            count, depth, hops = count + c, max(depth, d + 1), max(hops, h + 1)
        if count > MAX_SVG_ELEMENTS:
            raise error(
                el,
                f"makes the file draw more than {MAX_SVG_ELEMENTS:,} elements (each <use> counts as a copy of what "
                "it refers to); use fewer copies or simplify the drawing",
            )
        if hops > MAX_SVG_USE_CHAIN:
            raise error(
                el,
                f"starts a chain of more than {MAX_SVG_USE_CHAIN} <use> elements, each a copy of the next; "
                "copy the drawing itself instead",
            )
        if depth > MAX_SVG_DEPTH:
            raise error(
                el,
                f"nests what it draws more than {MAX_SVG_DEPTH} deep (groups and <use> copies inside each other); "
                "ungroup what the groups do not need",
            )
        size[el] = (count, depth, hops)


# CSS pixels per absolute unit: without a viewBox, an SVG's user unit is the CSS pixel, so a
# width of 10cm is 377.95 user units wide (SVG 1.1 §7.10, CSS Values §5.2).
PX_PER_UNIT = {
    "": 1.0,
    "px": 1.0,
    "pt": 96 / 72,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "q": 96 / 101.6,
    "in": 96.0,
}
_LENGTH = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]*)\s*")


def view_box(root: ET.Element) -> tuple[float, float, float, float] | None:
    """The root's viewBox (or, without one, 0 0 and its width and height in CSS pixels, as SVG
    says: 10cm is 377.95), or None unless it is four finite numbers with a positive width and
    height (a width in % or em has no size of its own)."""
    parts = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        if parts:
            vx, vy, w, h = (float(v) for v in parts)
        else:
            sizes = [_LENGTH.fullmatch(root.get(k, "")) for k in ("width", "height")]
            if not all(m and m.group(2).lower() in PX_PER_UNIT for m in sizes):
                return None
            vx, vy = 0.0, 0.0
            w, h = (float(m.group(1)) * PX_PER_UNIT[m.group(2).lower()] for m in sizes if m)
    except ValueError:
        return None
    if not usable(vx, vy, w, h) or w <= 0 or h <= 0:
        return None
    return vx, vy, w, h


def strip_foreign(el: ET.Element) -> None:
    """Drop editor-only elements and attributes (sodipodi:namedview, inkscape:label…) so outputs
    contain SVG only; xlink and xml:space, which change what is drawn, stay."""
    for child in list(el):
        if not is_svg(child):
            el.remove(child)
        else:
            strip_foreign(child)
    keep = ("{" + XLINK_NS + "}", "{" + XML_NS + "}")
    for key in [k for k in el.attrib if k.startswith("{") and not k.startswith(keep)]:
        del el.attrib[key]


def hidden(el: ET.Element) -> bool:
    """display:none (an attribute or in style=, as Inkscape hides a layer): drawn nowhere."""
    if el.get("display", "").strip() == "none":
        return True
    style = el.get("style", "")
    return bool(re.search(r"(^|;)\s*display\s*:\s*none\s*(;|$)", style))


def transform_of(el: ET.Element) -> Matrix:
    """An element's own `transform` attribute (identity when absent). Parsed by svgelements, which
    reads every form SVG allows (lists, commas or spaces, rotate about a centre, skewX/Y, matrix);
    an unparsable value counts as no transform, as browsers treat it."""
    raw = el.get("transform")
    if not raw or not raw.strip():
        return Matrix()
    from svgelements import Matrix as SvgMatrix  # 40 ms to import: only templates with transforms pay

    try:
        m = SvgMatrix(raw)
    except (ValueError, IndexError, TypeError, ArithmeticError):
        return Matrix()
    return Matrix(float(m.a), float(m.b), float(m.c), float(m.d), float(m.e), float(m.f))
