"""SVG bytes we did not write (a layout, a visual) → a hardened element tree with the line of every element.

Refused: DTDs and entities (billion laughs, XXE), `<script>`, `<foreignObject>` and any reference
outside the document (README, Security). Kept: everything an editor writes that draws or names —
Inkscape's and Sodipodi's attributes are read (labels, layers) and only dropped when an output is
written (`strip_foreign`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from poster_engine.core.diagnostics import fail
from poster_engine.core.geometry import Matrix
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
_FORBIDDEN_TAGS = ("script", "foreignObject")


@dataclass(frozen=True, eq=False)
class SvgTree:
    """A parsed SVG file: its root and the line each element starts on (1-based)."""

    root: ET.Element
    lines: dict[ET.Element, int]
    text: str  # the file as text, to locate what is not an element (an attribute's value)

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
    """A tree builder that notes the line each element starts on (expat reports it in the handler)."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: ET.XMLParser | None = None
        self.lines: dict[ET.Element, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        el = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[el] = self.parser.parser.CurrentLineNumber
        return el


def parse_svg_tree(raw: bytes, shown: str, what: str) -> SvgTree:
    """Parse an SVG file we did not write (see the module's docstring for what is refused)."""
    import defusedxml
    import defusedxml.ElementTree as DET

    builder = _LineBuilder()
    parser = DET.DefusedXMLParser(target=builder)
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
    for node in root.iter():
        name = tag(node)
        if name in _FORBIDDEN_TAGS:
            raise fail(f"<{name}> is not allowed in {what}; remove it", shown, builder.lines.get(node))
        for key, value in node.attrib.items():
            attr = key.split("}")[-1]
            if attr == "href" and not (value.startswith("#") or value.startswith("data:image/")):
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
    return SvgTree(root, builder.lines, text)


def parse_svg(raw: bytes, shown: str, what: str) -> ET.Element:
    """The root of a hardened parse (see `parse_svg_tree`)."""
    return parse_svg_tree(raw, shown, what).root


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

    m = SvgMatrix(raw)
    return Matrix(float(m.a), float(m.b), float(m.c), float(m.d), float(m.e), float(m.f))
