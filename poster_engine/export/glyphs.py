"""Paths the engine wrote (glyph runs, QR codes) → cairo paths without cairosvg's parser; any other path untouched.

Only a `<path>` carrying the engine's mark (`core/marks.py`: `data-pe-path="glyphs"` or `"qr"`, read
from the element itself) takes the fast path, and only when its data is in the grammar the mark
names; everything else (designers' layouts and visuals, whatever their data looks like) is drawn by
cairosvg's own handler. Templates and visuals cannot carry the mark: it is stripped when they are
parsed.

Glyphs: compose.draw_text writes a text block as one path: per glyph "M x y" followed by the glyph's
outline in relative commands (m l c q z), the same string for every use of that glyph at that size.
cairosvg would parse every coordinate of every glyph with regexes (45 % of its drawing time); here a
glyph's commands become a cairo path once and are appended with a translation.

QR codes: one "M x yh{n}v1h-{n}z" per run of dark modules, drawn as the rectangle it is (cairo's
`rectangle` is the same move and three relative lines and close that cairosvg would issue).
"""

from __future__ import annotations

import re

import cairocffi as cairo
import cairosvg.surface
from cairocffi.context import _encode_path

from poster_engine.core.marks import GLYPHS, PATH_MARK, QR

_stock_path = cairosvg.surface.TAGS["path"]
# The grammars the marks name, exactly as compose writes them (a number is what "%.3f" and
# fonts._n write: an optional minus, digits, an optional fraction).
_NUM = r"-?\d+(?:\.\d+)?"
_PAIR = _NUM + " " + _NUM
_PLACED = re.compile(rf"M({_NUM}) ({_NUM})([^M]*)")  # one glyph: where, then its outline
_OUTLINE = re.compile(rf"(?:[ml]{_PAIR}|c{_PAIR} {_PAIR} {_PAIR}|q{_PAIR} {_PAIR}|z)*")
_OP = re.compile(r"([mlcqz])([^mlcqz]*)")
_QR = re.compile(r"(?:M\d+ \d+h\d+v1h-\d+z)+")
_QR_RUN = re.compile(r"M(\d+) (\d+)h(\d+)")
_CACHE: dict[str, tuple] = {}  # relative commands → cairo's encoded path (cdata, length)
_SCRATCH = cairo.Context(cairo.ImageSurface(cairo.FORMAT_A8, 1, 1))


def _build(commands: str):
    """Relative path commands starting at (0, 0) → a cairo path (cached by the caller)."""
    ctx = _SCRATCH
    ctx.new_path()
    ctx.move_to(0, 0)
    for op, args in _OP.findall(commands):
        v = [float(t) for t in args.split()]
        if op == "l":
            ctx.rel_line_to(v[0], v[1])
        elif op == "c":
            ctx.rel_curve_to(*v)
        elif op == "q":  # quadratic → cubic: control points at 2/3 towards the quadratic control
            ctx.rel_curve_to(
                2 / 3 * v[0], 2 / 3 * v[1], v[2] + 2 / 3 * (v[0] - v[2]), v[3] + 2 / 3 * (v[1] - v[3]), v[2], v[3]
            )
        elif op == "m":
            ctx.rel_move_to(v[0], v[1])
        else:
            ctx.close_path()
    # Keep cairo's own encoded path (cdata): appending it later is one C call, no Python per point.
    encoded = _encode_path(ctx.copy_path())
    ctx.new_path()
    return encoded


def _glyphs(ctx, d: str) -> bool:
    """Append every placed glyph; False as soon as the data leaves the grammar (the caller then
    clears the path and hands the element to cairosvg). An outline is checked once, when its cairo
    path is built: a placement costs one regex step, one cache look-up and one C call."""
    pos = 0
    for m in _PLACED.finditer(d):
        if m.start() != pos:
            return False
        pos = m.end()
        commands = m.group(3)
        path = _CACHE.get(commands)
        if path is None:
            if not _OUTLINE.fullmatch(commands):
                return False
            if len(_CACHE) > 5000:  # bound memory across a long batch (a merge: sizes fitted per row)
                _CACHE.clear()
            path = _CACHE[commands] = _build(commands)
        ctx.save()
        ctx.translate(float(m.group(1)), float(m.group(2)))
        cairo.cairo.cairo_append_path(ctx._pointer, path[0])
        ctx.restore()
    return pos == len(d)


def _qr(ctx, d: str) -> bool:
    if not _QR.fullmatch(d):
        return False
    for x, y, n in _QR_RUN.findall(d):
        ctx.rectangle(int(x), int(y), int(n), 1)
    return True


_DRAW = {GLYPHS: _glyphs, QR: _qr}


def fast_path(surface, node) -> None:
    # The element's own attribute: not a CSS declaration, not a value cairosvg's nodes inherit.
    draw = _DRAW.get(node.element.etree_element.get(PATH_MARK))
    if draw is None:
        return _stock_path(surface, node)
    if not draw(surface.context, node.get("d", "")):
        surface.context.new_path()  # whatever was appended before the data left the grammar
        return _stock_path(surface, node)


def install() -> None:
    cairosvg.surface.TAGS["path"] = fast_path


install()
