"""A parsed SVG → what cairosvg draws as the designer's editor (Inkscape, Figma, Illustrator,
Affinity, Penpot…) and a browser drew it, or a refusal with its line.

cairosvg, the renderer, reads SVG 1.1 and a little more. What editors write beyond that is either
rewritten into an SVG 1.1 form that every renderer draws alike (`rewrite`: number spellings its
path tokenizer misreads, CSS colour forms, font sizes in percent, a marker's frame and context
paint, opacity on a clone or on what both fills and strokes, a mask on an element placed by x and
y, stroke below fill, non-scaling strokes), or, where no such form exists, refused (`check`) with
the element's line and the fix in the editor's terms, rather than shipped as a poster that
differs from the design. tests/test_drawable.py draws
each case with the engine and with rsvg-convert or Chromium and compares the pixels; README
"Adding or editing a layout" lists them.
"""

from __future__ import annotations

import colorsys
import copy
import math
import re
import xml.etree.ElementTree as ET

from poster_engine.core.diagnostics import fail
from poster_engine.core.geometry import Matrix
from poster_engine.core.limits import MAX_SVG_ELEMENTS, MAX_SVG_USE_CHAIN
from poster_engine.project.stylesheets import Css, declared, inline_sheets, mentions, property_of, sheet_declarations
from poster_engine.project.svg import (
    _LOCAL_REF,
    SVG_NS,
    Lines,
    _href,
    _named,
    line_of,
    tag,
    transform_of,
)

Ids = dict[str, ET.Element]


def rewrite(root: ET.Element, ids: Ids, lines: Lines, text: str, shown: str) -> None:
    """Every rewrite, in the order they build on each other (a class's declarations are read by the
    others, a colour by the mask check, an opacity moved to a group lets the stroke go below the fill)."""
    inline_sheets(root, lines, shown)  # brackets nested deep (tinycss2 recurses) are refused by svg.py
    css = sheet_declarations(root)
    _spell_numbers(root)
    _plain_colours(root)
    _font_sizes_in_em(root)
    _marker_frames(root)
    if "context-" in text:  # the others walk every element, these two only files that need them
        _context_paint(root, css, lines, shown)
    _effects_on_a_group(root, ids, css)
    _stroke_below_fill(root, css)
    if "non-scaling-stroke" in text:
        _non_scaling_strokes(root, css, lines, shown)


# --- path data ---------------------------------------------------------------------------------


# Valid SVG number spellings cairosvg's path tokenizer misreads (Kozea/CairoSVG#421), drawing
# nothing or another shape without a word: "+" as a sign, a number run on after an exponent
# ("4e1.0" is 4e1 then .0) or after a trailing dot ("90..9" is 90. then .9). Path data holding one
# has each number (SVG's grammar: the longest that matches) spaced out and its "+" dropped; packed
# arc flags ("0160") stay one run, as cairosvg reads them.
_MISREAD = re.compile(r"\+|\.\.|[eE][-+]?\d+\.")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _spell_numbers(root: ET.Element) -> None:
    """Path data and point lists in a spelling cairosvg reads as every renderer does."""
    for el in root.iter():
        for key in ("d", "points"):
            value = el.get(key)
            if value is not None and _MISREAD.search(value):
                el.set(key, _NUMBER.sub(lambda m: " " + m.group().lstrip("+"), value))


# --- colours -------------------------------------------------------------------------------------

# cairosvg reads named colours, #rgb, #rrggbb, rgb() and rgba() with commas; anything else it draws
# black (hsl()), or opaque (#rrggbbaa and #rgba, read as #rrggbb), or fails on (CSS 4's
# `rgb(0 128 0 / 50%)`); rgba() with a percentage alpha it makes opaque. Browsers and rsvg-convert
# draw them all, so files made for the web or edited by hand carry them.
_COLOUR_PROPERTIES = ("fill", "stroke", "stop-color", "flood-color", "lighting-color", "color", "solid-color", "style")
_CSS_COLOUR = re.compile(
    r"(?<![\w('\"#-])#(?P<hex>[0-9a-f]{8}|[0-9a-f]{4})(?![\w-])"
    r"|\b(?P<fn>rgba?|hsla?)\(\s*(?P<args>[^()]*)\)",
    re.IGNORECASE,
)


def _hue(value: str) -> float:
    """A hue in degrees (deg, grad, rad, turn or a plain number), as a fraction of a turn."""
    found = re.fullmatch(r"([-+.\d]+(?:e[-+]?\d+)?)(deg|grad|rad|turn)?", value.strip(), re.IGNORECASE)
    if found is None:
        raise ValueError(value)
    per_turn = {"grad": 400, "rad": 2 * math.pi, "turn": 1}.get((found.group(2) or "deg").lower(), 360)
    return float(found.group(1)) / per_turn % 1


def _fraction(value: str) -> float:
    """A number, or a percentage as a fraction (50% → 0.5)."""
    value = value.strip()
    return float(value[:-1]) / 100 if value.endswith("%") else float(value)


def _plain_colour(found: re.Match[str]) -> str:
    """One CSS colour as cairosvg reads it, rgb(r,g,b) or rgba(r,g,b,a) with plain numbers; as
    written when it is not a colour at all (every renderer then draws its own fallback)."""
    try:
        if found.group("hex"):
            digits = found.group("hex")
            digits = "".join(d * 2 for d in digits) if len(digits) == 4 else digits
            r, g, b, a = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
            return _rgba(r, g, b, a / 255)
        parts = [p for p in re.split(r"[\s,/]+", found.group("args").strip()) if p]
        if len(parts) not in (3, 4):
            return found.group(0)
        alpha = _fraction(parts[3]) if len(parts) == 4 else 1.0
        if found.group("fn").lower().startswith("rgb"):
            red, green, blue = (_fraction(p) * 255 if p.endswith("%") else float(p) for p in parts[:3])
            return _rgba(red, green, blue, alpha)
        saturation, lightness = (float(p.rstrip("%")) / 100 for p in parts[1:3])  # CSS 4 allows 50 for 50%
        hls = colorsys.hls_to_rgb(_hue(parts[0]), lightness, saturation)
        return _rgba(hls[0] * 255, hls[1] * 255, hls[2] * 255, alpha)
    except ValueError:
        return found.group(0)


def _rgba(r: float, g: float, b: float, a: float) -> str:
    channels = ",".join(f"{min(max(round(v, 2), 0), 255):g}" for v in (r, g, b))
    a = min(max(a, 0.0), 1.0)
    return f"rgb({channels})" if a == 1 else f"rgba({channels},{round(a, 4):g})"


def _recolour(value: str) -> str:
    return _CSS_COLOUR.sub(_plain_colour, value)


def _plain_colours(root: ET.Element) -> None:
    """Every colour in an attribute, a style="" or a <style> sheet's declarations (not its
    selectors: `#abcd {…}` names an element) in the form cairosvg reads."""
    for el in root.iter():
        for key in _COLOUR_PROPERTIES:
            value = el.get(key)
            if value and ("#" in value or "(" in value):
                el.set(key, _recolour(value))
        if tag(el) == "style" and el.text:
            el.text = re.sub(r"\{[^{}]*\}", lambda block: _recolour(block.group(0)), el.text)


# --- font sizes ----------------------------------------------------------------------------------

_PERCENT_SIZE = re.compile(r"(font-size\s*[:=]\s*[\"']?\s*)([-+]?[\d.]+(?:e[-+]?\d+)?)%", re.IGNORECASE)


def _font_sizes_in_em(root: ET.Element) -> None:
    """A font size in percent is one of the parent's, as an em is; cairosvg reads it as a percentage of
    the drawing's size (a 400 % "Hi" came out one black square). Written in em, which it reads right."""

    def em(found: re.Match[str]) -> str:
        return f"{found.group(1)}{float(found.group(2)) / 100:g}em"

    for el in root.iter():
        if el.get("font-size", "").strip().endswith("%"):
            el.set("font-size", _PERCENT_SIZE.sub(em, f"font-size:{el.get('font-size', '').strip()}")[10:])
        if "%" in el.get("style", ""):
            el.set("style", _PERCENT_SIZE.sub(em, el.get("style", "")))
        if tag(el) == "style" and el.text and "%" in el.text:
            el.text = _PERCENT_SIZE.sub(em, el.text)


# --- markers -------------------------------------------------------------------------------------


def _marker_frames(root: ET.Element) -> None:
    """A marker without a viewBox draws its content in its own units (times the stroke width); cairosvg
    instead scales the content to fill markerWidth × markerHeight (3 × 3 if not given), so Inkscape
    0.92's arrowheads (some 12 units long, no size given) came out a quarter of their size and a dot
    larger than drawn. The viewBox `0 0 markerWidth markerHeight` says the same to every renderer:
    a frame mapped onto itself."""
    for marker in (el for el in root.iter() if tag(el) == "marker" and "viewBox" not in el.attrib):
        width, height = (_number(marker.get(k, "3")) for k in ("markerWidth", "markerHeight"))
        if width > 0 and height > 0:
            marker.set("viewBox", f"0 0 {width:g} {height:g}")


# --- context paint -------------------------------------------------------------------------------

_MARKER_REF = re.compile(r"marker(?:-start|-mid|-end)?\s*:\s*url\(\s*['\"]?#([^'\")\s]+)")
_CONTEXT = re.compile(r"context-(fill|stroke)")


def _context_paint(root: ET.Element, css: Css, lines: Lines, shown: str) -> None:
    """SVG 2's `context-stroke` and `context-fill` (Inkscape 1.x's arrowheads take their line's
    colour) are painted black by cairosvg. Where every element that uses a marker sets the same
    stroke (and fill) itself, as Inkscape writes a line, the marker's paint is written as that
    colour; anything else that paints with the context is refused."""
    users: dict[str, list[ET.Element]] = {}
    for el in root.iter():
        said = " ".join(f"{k}:{el.get(k)}" for k in ("marker", "marker-start", "marker-mid", "marker-end") if el.get(k))
        for ident in dict.fromkeys(_MARKER_REF.findall(";".join((said, css.get(el, ""), el.get("style", ""))))):
            users.setdefault(ident, []).append(el)
    in_markers = {part: m for m in root.iter() if tag(m) == "marker" for part in m.iter()}
    for el in root.iter():
        used = {k: property_of(el, k, css) or "" for k in ("fill", "stroke")}
        needed = {found.group(1) for found in map(_CONTEXT.match, used.values()) if found}
        if not needed:
            continue
        marker = in_markers.get(el)
        lines_using = users.get(marker.get("id", "") if marker is not None else "", [])
        # Read from the lines themselves, not a <style> rule: in a layout, a palette class's colour
        # is the template's preview, which the poster's replaces; written here, it would stay.
        paints = {f"context-{k}": {property_of(u, k) for u in lines_using} for k in needed}
        if marker is None or any(None in v or len(v) != 1 for v in paints.values()):
            raise fail(
                f"{_named(el)} is painted with the colour of what uses it ({'/'.join(v for v in used.values() if v)}, "
                "SVG 2), which the renderer paints black; give it a colour of its own, or turn the line and its "
                "arrowheads into shapes (Inkscape: Path > Stroke to Path)",
                shown,
                lines.get(el),
            )
        colours = {context: str(next(iter(v))) for context, v in paints.items()}
        written = [f"{k}:{colours[v]}" for k, v in used.items() if v in colours]  # in style="", which wins
        el.set("style", ";".join([el.get("style", ""), *written]).strip(";"))


# --- opacity -------------------------------------------------------------------------------------

_SHAPES = ("rect", "circle", "ellipse", "path", "polygon", "polyline", "line", "text", "use")


def _effects_on_a_group(root: ET.Element, ids: Ids, css: Css) -> None:
    """Two effects cairosvg applies to an element unlike a group, where SVG defines them as applied
    to a group holding the element alone; such an element moves into a <g> carrying them, which
    every renderer draws alike.
    - `opacity` on a <use> it ignores (Inkscape's clones, Figma's instances come out opaque), and a
      shape's it applies to the fill and then the stroke (where they overlap, the fill shows through).
    - A `mask` sized to the element (maskUnits left as objectBoundingBox, as Figma writes a stroke
      aligned inside) it moves by the element's x and y: on a rect not at 0,0 the mask is drawn
      beside it. On a group it is drawn where it belongs.
    Left as they are: elements another refers to (a <use> would copy them without the group), in a
    <clipPath> (where a group may not go), and slots (data-*), which compose replaces."""
    referred = {_href(el) for el in root.iter()} - {None}
    found: list[tuple[ET.Element, ET.Element, dict[str, str]]] = []
    todo: list[tuple[ET.Element, str]] = [(root, "none")]
    while todo:
        parent, stroke = todo.pop()
        for el in parent:
            if not isinstance(el.tag, str) or tag(el) == "clipPath":
                continue
            own_stroke = (property_of(el, "stroke", css) if mentions(el, "stroke", css) else None) or stroke
            todo.append((el, own_stroke))
            if not (mentions(el, "opacity", css) or mentions(el, "mask", css)):
                continue
            if el.get("id") in referred or any(k.startswith("data-") for k in el.attrib):
                continue
            moved = {}
            opacity = property_of(el, "opacity", css)
            painted = tag(el) == "use" or (own_stroke != "none" and property_of(el, "fill", css) != "none")
            if opacity not in (None, "1") and tag(el) in _SHAPES and painted:
                moved["opacity"] = opacity
            mask = declared(el, "mask", css) or ""
            sized = next((ids.get(i) for i in _LOCAL_REF.findall(mask)), None)
            placed = any(_number(el.get(k)) for k in ("x", "y"))
            if sized is not None and sized.get("maskUnits", "").strip() != "userSpaceOnUse" and placed:
                moved["mask"] = mask  # with the transform, for the mask to stay in the element's frame
                frame = el.get("transform", "")
                if tag(el) == "use":  # a <use>'s x and y move its frame too (SVG 2), mask included
                    frame += f" translate({_number(el.attrib.pop('x', None))},{_number(el.attrib.pop('y', None))})"
                moved.update({"transform": frame.strip()} if frame.strip() else {})
            if moved:
                found.append((parent, el, moved))
    groups: dict[ET.Element, dict[ET.Element, list[ET.Element]]] = {}
    for parent, el, moved in found:
        groups.setdefault(parent, {})[el] = [_group_of(parent, el, moved)]
        for key in moved:
            el.attrib.pop(key, None)
            if "style" in el.attrib:
                el.set("style", re.sub(rf"(?:^|;)\s*{key}\s*:[^;]*", "", el.get("style", "")))
        # Said again in style="", which wins over a <style> sheet's rule that would set them again.
        neutral = {"opacity": "opacity:1", "mask": "mask:none"}
        el.set("style", ";".join([el.get("style", ""), *(neutral[k] for k in moved if k in neutral)]).strip(";"))
    _replace_children(groups)


_CONDITIONS = ("systemLanguage", "requiredFeatures", "requiredExtensions")


def _group_of(parent: ET.Element, el: ET.Element, attrs: dict[str, str]) -> ET.Element:
    """A new <g> with `attrs` holding `el`, to take its place (`_replace_children`). In a <switch>,
    which draws its first child whose conditions hold (Illustrator's files), the conditions move to
    the group."""
    group = ET.Element(f"{{{SVG_NS}}}g", attrs)
    if tag(parent) == "switch":
        for key in [k for k in _CONDITIONS if k in el.attrib]:
            group.set(key, el.attrib.pop(key))
    group.append(el)
    return group


def _number(value: str | None) -> float:
    """A plain coordinate (10, 10px, 1e1); 0 for anything else (a percentage, nothing)."""
    try:
        return float((value or "0").strip().removesuffix("px"))
    except ValueError:
        return 0.0


def _replace_children(replacements: dict[ET.Element, dict[ET.Element, list[ET.Element]]]) -> None:
    """Each parent's children, each replaced by what `replacements` gives for it: one pass a parent
    (an insert at an index found by a search, once a child, took minutes on 20 000 children)."""
    for parent, instead in replacements.items():
        parent[:] = [new for child in list(parent) for new in instead.get(child, [child])]


# --- stroke below fill ---------------------------------------------------------------------------


def _stroke_below_fill(root: ET.Element, css: Css) -> None:
    """`paint-order: stroke` (Inkscape's "stroke below fill", common on outlined type) is ignored by
    cairosvg, which paints the stroke over the fill: the stroke's inner half covers the fill, and
    outlined letters come out thinner, their counters filling in. Such an element becomes a
    stroke-only copy (no id, no editor's names) under itself with its stroke off, which every
    renderer draws as designed. One with an opacity of its own is left as it is (two
    half-transparent layers would not compose the same)."""
    found: list[tuple[ET.Element, ET.Element]] = []
    todo: list[tuple[ET.Element, str]] = [(root, "normal")]
    while todo:
        parent, inherited = todo.pop()
        for el in parent:
            if not isinstance(el.tag, str):
                continue
            order = (
                (declared(el, "paint-order", css) if mentions(el, "paint-order", css) else None) or inherited
            ).split()
            if tag(el) in _SHAPES and order[:1] == ["stroke"] and property_of(el, "opacity", css) in (None, "1"):
                found.append((parent, el))
            else:
                todo.append((el, " ".join(order)))
    replacements: dict[ET.Element, dict[ET.Element, list[ET.Element]]] = {}
    for parent, el in found:
        under = copy.deepcopy(el)
        for node in under.iter():
            for key in [k for k in node.attrib if k == "id" or k.startswith(("{", "data-"))]:
                del node.attrib[key]
        under.set("style", under.get("style", "") + ";fill:none;paint-order:normal")
        el.set("style", el.get("style", "") + ";stroke:none")
        if tag(parent) == "switch":  # it draws one child: the copy and the element must be one
            group = _group_of(parent, el, {})
            group.insert(0, under)
            replacements.setdefault(parent, {})[el] = [group]
        else:
            replacements.setdefault(parent, {})[el] = [under, el]
    _replace_children(replacements)


# --- non-scaling strokes -------------------------------------------------------------------------

# Where an element is drawn in a frame of its own (once per <use>, per tile, per marker…).
_OWN_FRAME = ("defs", "symbol", "pattern", "marker", "clipPath", "mask", "svg")


def _scaled(value: str, factor: float) -> str | None:
    """A length or a list of lengths (a dash array) divided by `factor`; None unless plain numbers."""
    if value.strip() == "none":
        return "none"
    try:
        numbers = [float(v.removesuffix("px")) for v in re.split(r"[\s,]+", value.strip()) if v]
    except ValueError:
        return None
    return " ".join(f"{v / factor:g}" for v in numbers) if numbers else None


def _non_scaling_strokes(root: ET.Element, css: Css, lines: Lines, shown: str) -> None:
    """`vector-effect: non-scaling-stroke` (Figma's and Inkscape's icons: a stroke that keeps its
    width however the shape is scaled) is ignored by cairosvg, which scales the stroke with the
    shape. Under a uniform scale s (a scale, rotation or move, as the transforms above the element
    give it), the same stroke is one s times thinner (and its dashes s times shorter) in the
    element's own units: so it is written. The stroke keeps its width in the drawing's own units
    (as the editor shows it at 100 %), not in the poster's. Refused: a stroke stretched unevenly
    (no width in the element's units draws it), one drawn in a frame of its own (a <symbol>, a
    pattern: once per copy), one whose width is not plain numbers."""
    todo: list[tuple[ET.Element, Matrix, dict[str, str], str | None]] = [(root, Matrix(), {}, None)]
    while todo:
        parent, frame, inherited, own_frame = todo.pop()
        for el in parent:
            if not isinstance(el.tag, str):
                continue
            matrix = frame @ transform_of(el)
            stroke = dict(inherited)
            for key in ("stroke-width", "stroke-dasharray", "stroke-dashoffset"):
                value = declared(el, key, css)
                if value is not None:
                    stroke[key] = value
            within = own_frame or (tag(el) if tag(el) in _OWN_FRAME else None)
            todo.append((el, matrix, stroke, within))
            if (property_of(el, "vector-effect", css) or "").lower() != "non-scaling-stroke":
                continue
            sx, sy = math.hypot(matrix.a, matrix.b), math.hypot(matrix.c, matrix.d)
            even = (
                math.isclose(sx, sy, rel_tol=1e-6) and abs(matrix.a * matrix.c + matrix.b * matrix.d) <= 1e-6 * sx * sy
            )
            widths = {k: _scaled(v, sx) for k, v in stroke.items()}
            widths.setdefault("stroke-width", f"{1 / sx:g}" if sx else None)  # SVG's initial width: 1
            why = (
                f"inside a <{within}>, drawn in a frame of its own"
                if within
                else "under a transform that stretches it unevenly"
                if not even or not sx
                else "with a width not in plain numbers"
                if None in widths.values()
                else None
            )
            if why:
                raise fail(
                    f"{_named(el)} has a non-scaling stroke (vector-effect) {why}, which the renderer would draw "
                    f"scaled; {_OUTLINE_STROKES}",
                    shown,
                    lines.get(el),
                )
            el.set(
                "style", el.get("style", "") + "".join(f";{k}:{v}" for k, v in widths.items()) + ";vector-effect:none"
            )


_OUTLINE_STROKES = (
    "outline the strokes (Inkscape: Path > Stroke to Path, Illustrator: Object > Expand, Figma: Outline stroke)"
)


# --- refused ------------------------------------------------------------------------------------

# Filter primitives cairosvg draws as every renderer does, in the forms editors write them: an
# identity colour matrix (Illustrator's opacity masks), a transparent flood, a normal blend. It
# draws any other one wrongly (feOffset moves the element itself, a blur or a shadow is dropped).
_IDENTITY = [1.0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]
_BLEND = re.compile(r"mix-blend-mode\s*:\s*([a-z-]+)")


def _faithful(primitive: ET.Element) -> bool:
    name = tag(primitive)
    if name == "feColorMatrix":
        try:
            values = [float(v) for v in re.split(r"[\s,]+", primitive.get("values", "").strip())]
        except ValueError:
            return False
        return primitive.get("type", "matrix") == "matrix" and values == _IDENTITY
    if name == "feFlood":
        return primitive.get("flood-opacity", "1").strip() in ("0", "0.0")
    if name == "feBlend":
        return primitive.get("mode", "normal") == "normal"
    return not isinstance(primitive.tag, str)  # a comment


_WHITE = ("white", "#fff", "#ffffff", "rgb(255,255,255)")


def _stops(ids: dict[str, ET.Element], ident: str) -> list[ET.Element]:
    """A gradient's stops, through the href chain Inkscape writes (a positioned gradient naming the
    one that holds the stops); at most MAX_SVG_USE_CHAIN hops."""
    for _ in range(MAX_SVG_USE_CHAIN):
        gradient = ids.get(ident)
        if gradient is None:
            return []
        stops = [s for s in gradient if tag(s) == "stop"]
        ident = _href(gradient) or ""
        if stops or not ident:
            return stops
    return []


def _not_white(mask: ET.Element, ids: dict[str, ET.Element]) -> ET.Element | None:
    """The first element of a luminance mask that paints in a colour other than white, where its
    colour is known (a class may set it from CSS: such elements are trusted). Luminance and
    opacity agree on white only, and cairosvg masks by opacity."""
    # Figma sets the fill on the <mask> itself (fill="white"), for its content to inherit.
    todo: list[tuple[ET.Element, str | None, bool]] = [(child, property_of(mask, "fill"), False) for child in mask]
    while todo:
        el, fill, styled = todo.pop()
        name = tag(el)
        own = property_of(el, "fill")
        fill = own if own is not None else fill
        styled = styled or "class" in el.attrib
        if name == "image":
            return el
        if name in _SHAPES and not styled and (fill or "").lower() != "none":
            paint = fill if fill is not None else "black"  # SVG's initial fill
            gradient = _LOCAL_REF.findall(paint)
            if gradient:
                stops = _stops(ids, gradient[0])
                if any((property_of(s, "stop-color") or "black").lower() not in _WHITE for s in stops):
                    return el
            elif paint.lower() not in _WHITE:
                return el
        todo.extend((child, fill, styled) for child in el)
    return None


def check(root: ET.Element, ids: Ids, lines: Lines, text: str, shown: str) -> None:
    """What the renderer (cairosvg) would draw wrongly, where a browser or the editor draws it
    right, is refused with its line rather than shipped as a poster that differs from the design:
    Inkscape 0.92's flowed text (drawn by no renderer: its words would be missing), filter effects
    other than the few it draws faithfully (Figma's and Illustrator's drop shadows, blurs),
    blend modes other than normal (`mix-blend-mode`, which it ignores), luminance masks that are
    not white (it masks by opacity: Inkscape's gradient fades would be lost), what it ignores
    (`_check_ignored`) and even-odd clips with holes. A designer's words set as <text> are drawn
    as outlines with the project's fonts, or refused, by svg_text.py."""
    filters = {ident: el for ident, el in ids.items() if tag(el) == "filter"}
    for el in root.iter():
        name = tag(el)
        if name == "mask" and (property_of(el, "mask-type") or "").lower() != "alpha":
            painted = _not_white(el, ids)
            if painted is not None:
                raise fail(
                    f"mask '{el.get('id', '')}' is a luminance mask (SVG's default) and its {_named(painted)} is "
                    "not white: the renderer masks by opacity only, so its fade or cut-out would be lost; paint "
                    "the mask white and fade it with opacity, or set mask-type: alpha (a Figma stroke aligned "
                    "outside is drawn so: align it to the centre, or Outline stroke)",
                    shown,
                    lines.get(painted),
                )
        if name == "flowRoot" and "".join(el.itertext()).strip():
            # An empty one, which a click with the text tool leaves behind, draws nothing anywhere.
            raise fail(
                "<flowRoot> (flowed text from Inkscape 0.92) is drawn by no SVG renderer, so its text would "
                "be missing; in Inkscape select it and choose Text > Convert to Text",
                shown,
                lines.get(el),
            )
        styles = " ".join(v for k, v in el.attrib.items() if k in ("style", "filter", "mix-blend-mode"))
        if name == "style":
            styles = el.text or ""
        blend = el.get("mix-blend-mode") or next(iter(_BLEND.findall(styles)), None)
        if blend and blend != "normal":
            raise fail(
                f"{_named(el)} has mix-blend-mode '{blend}', which the renderer does not draw (the colours would "
                "differ from the design); set it to normal, or flatten the blend into a PNG",
                shown,
                line_of(text, blend) if name == "style" else lines.get(el),
            )
        for ident in _LOCAL_REF.findall(styles):
            effect = filters.get(ident)
            wrong = list(dict.fromkeys(tag(p) for p in effect if not _faithful(p))) if effect is not None else []
            if wrong:
                raise fail(
                    f"{_named(el)} uses filter '{ident}' ({', '.join(wrong)}), which the renderer does not draw "
                    "(a shadow or blur would be missing or misplaced); flatten the effect into a PNG, or remove it",
                    shown,
                    line_of(text, f"#{ident}") if name == "style" else lines.get(el),
                )
    _check_ignored(root, lines, text, shown)
    if "marker" in text:
        _check_marker_copies(root, ids, lines, shown)
    if "evenodd" in text:
        _check_clip_holes(root, lines, shown)


_MARKERS = ("marker-start", "marker-mid", "marker-end")
_VERTEX = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _check_marker_copies(root: ET.Element, ids: Ids, lines: Lines, shown: str) -> None:
    """A marker is drawn again at every vertex it is set on (marker-mid: each one): a path of a
    million points with a marker of a few shapes made cairosvg draw millions of elements (20 000
    points and a 3-shape marker: 5.5 s). The copies count against MAX_SVG_ELEMENTS, as <use>
    copies do (svg.py). Markers are inherited, set as attributes or in style="" (sheets are
    inlined by then)."""
    total = 0
    todo: list[tuple[ET.Element, dict[str, str]]] = [(root, {})]
    while todo:
        el, inherited = todo.pop()
        own = dict(inherited)
        for name in _MARKERS:
            value = declared(el, name)
            if value is None:
                value = declared(el, "marker")  # the shorthand sets all three
            if value is not None:
                own[name] = value
        todo.extend((child, own) for child in el if isinstance(child.tag, str) and tag(child) not in ("defs", "marker"))
        if tag(el) not in ("path", "line", "polyline", "polygon") or not own:
            continue
        vertices = max(2, len(_VERTEX.findall(el.get("d") or el.get("points") or "")) // 2)
        for name, value in own.items():
            marker = next((ids.get(i) for i in _LOCAL_REF.findall(value)), None)
            if marker is not None:
                total += (vertices if name == "marker-mid" else 1) * sum(1 for _ in marker.iter())
        if total > MAX_SVG_ELEMENTS:
            raise fail(
                f"{_named(el)} has markers drawn at its vertices that make the file draw more than "
                f"{MAX_SVG_ELEMENTS:,} elements (each marker counts as a copy of what it holds); use fewer "
                "points or no marker on the middle vertices",
                shown,
                lines.get(el),
            )


_MASK_REGION = {"x": "-10%", "y": "-10%", "width": "120%", "height": "120%"}  # SVG's default, written out


def _check_ignored(root: ET.Element, lines: Lines, text: str, shown: str) -> None:
    """SVG that cairosvg reads without error and draws otherwise than a browser and the editor: a
    text's fixed length (`textLength`), a transform in CSS, a mask's region or content sized to the
    masked element (fractions it reads as units)."""
    for el in root.iter():
        name = tag(el)
        where = lines.get(el)
        if name in ("text", "tspan", "textPath") and "textLength" in el.attrib:
            raise fail(
                f"{_named(el)} has textLength (its text stretched to a fixed length), which the renderer ignores, "
                "so the text would be narrower or wider than designed; remove the fixed length, or convert the text "
                "to paths (Inkscape: Path > Object to Path, Illustrator: Type > Create Outlines)",
                shown,
                where,
            )
        if re.search(r"(?:^|;)\s*transform\s*:", el.get("style", "")):
            raise fail(
                f"{_named(el)} is transformed in its style (CSS transform), which the renderer ignores (it would be "
                "drawn unmoved); write it as the element's transform attribute, or save as plain SVG from the editor",
                shown,
                where,
            )
        region = {k: el.get(k, "").strip() for k in ("x", "y", "width", "height") if k in el.attrib}
        if name == "mask" and el.get("maskUnits", "").strip() != "userSpaceOnUse" and region:
            if region != {k: v for k, v in _MASK_REGION.items() if k in region}:
                raise fail(
                    f"mask '{el.get('id', '')}' sets its region in fractions of the masked element (maskUnits "
                    "objectBoundingBox with x, y, width or height), which the renderer reads as plain units (the "
                    "element would be cut away); release the mask and mask again in Inkscape or Illustrator, which "
                    'write maskUnits="userSpaceOnUse", or remove the region',
                    shown,
                    where,
                )
        if name == "mask" and el.get("maskContentUnits", "").strip() == "objectBoundingBox":
            raise fail(
                f"mask '{el.get('id', '')}' has maskContentUnits=\"objectBoundingBox\", which the renderer ignores "
                "(the mask would be drawn at the wrong size and place); release the mask and mask again in the "
                "editor, or flatten it into a PNG",
                shown,
                where,
            )


def _check_clip_holes(root: ET.Element, lines: Lines, shown: str) -> None:
    """cairosvg clips by the nonzero rule whatever `clip-rule` says. Where a clip path's shape
    covers a point twice (a ring drawn as two circles turning the same way), the even-odd rule cuts
    a hole there that cairosvg would fill: refused. Affinity writes `clip-rule: evenodd` on the
    whole drawing; its clip paths that cut no such hole are drawn alike and kept."""
    todo: list[tuple[ET.Element, str, str | None]] = [(root, property_of(root, "clip-rule") or "nonzero", None)]
    while todo:
        parent, inherited, clip = todo.pop()
        for el in parent:
            if not isinstance(el.tag, str):
                continue
            rule = property_of(el, "clip-rule") or inherited
            within = el.get("id", "") if tag(el) == "clipPath" else clip
            todo.append((el, rule, within))
            if within is None or rule != "evenodd" or tag(el) not in ("path", "polygon"):
                continue
            d = el.get("d", "") if tag(el) == "path" else f"M {el.get('points', '')} Z"
            if _covered_twice(d):
                raise fail(
                    f"{_named(el)} cuts a hole in clip path '{within}' by the even-odd rule (clip-rule), which the "
                    "renderer ignores (the hole would be filled); release the clip and cut the shape itself "
                    "(Inkscape: Path > Difference, Illustrator: Pathfinder)",
                    shown,
                    lines.get(el),
                )


def _covered_twice(d: str, grid: int = 64) -> bool:
    """Whether a path's outline winds twice or more round some point (where the even-odd and the
    nonzero rules differ), sampled at the centres of a grid × grid raster of its bounds; a path
    that cannot be read counts as not (the renderer draws it as it can)."""
    import numpy as np
    from svgelements import Path  # 40 ms to import: only clip paths with the even-odd rule pay

    try:
        path = Path(d)
        box = path.bbox()
    except (ValueError, IndexError, TypeError, ArithmeticError):
        return False
    if box is None:
        return False
    x0, y0, x1, y1 = (float(v) for v in box)
    xs = x0 + (np.arange(grid) + 0.5) * (x1 - x0) / grid
    ys = y0 + (np.arange(grid) + 0.5) * (y1 - y0) / grid
    px, py = (a.ravel()[:, None] for a in np.meshgrid(xs, ys))
    winding = np.zeros((grid * grid, 1), int)
    for sub in path.as_subpaths():
        ring = np.asarray(Path(sub).npoint(np.linspace(0, 1, 129)), float)
        if ring.ndim != 2 or len(ring) < 3:
            continue
        ax, ay, bx, by = ring[:, 0], ring[:, 1], np.roll(ring[:, 0], -1), np.roll(ring[:, 1], -1)
        side = (bx - ax) * (py - ay) - (px - ax) * (by - ay)  # > 0: the point is left of the edge
        up = (ay <= py) & (by > py) & (side > 0)
        down = (ay > py) & (by <= py) & (side < 0)
        winding += (up.sum(axis=1) - down.sum(axis=1))[:, None]
    return bool((np.abs(winding) >= 2).any())
