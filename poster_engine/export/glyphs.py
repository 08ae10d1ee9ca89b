"""Text paths inside cairosvg: each glyph outline parsed once, then appended where it is placed.

compose.draw_text writes a text block as one path: per glyph "M x y" followed by the glyph's
outline in relative commands (m l c q z), the same string for every use of that glyph at that size.
cairosvg would parse every coordinate of every glyph with regexes (45 % of its drawing time); here a
glyph's commands become a cairo path once and are appended with a translation. Any other path
(designers' visuals) goes to cairosvg's handler unchanged.
"""

from __future__ import annotations

import re

import cairocffi as cairo
import cairosvg.surface
from cairocffi.context import _encode_path

_stock_path = cairosvg.surface.TAGS["path"]
_OURS = re.compile(r"^(?:M-?[\d.]+ -?[\d.]+[mlcqz\d .\-]*)+$")
_CHUNK = re.compile(r"M(-?[\d.]+) (-?[\d.]+)([^M]*)")
_OP = re.compile(r"([mlcqz])([^mlcqz]*)")
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


def fast_path(surface, node) -> None:
    d = node.get("d", "")
    if not d.startswith("M") or not _OURS.match(d):
        return _stock_path(surface, node)
    ctx = surface.context
    for x, y, commands in _CHUNK.findall(d):
        path = _CACHE.get(commands)
        if path is None:
            if len(_CACHE) > 20000:  # bound memory across a long batch
                _CACHE.clear()
            path = _CACHE[commands] = _build(commands)
        ctx.save()
        ctx.translate(float(x), float(y))
        cairo.cairo.cairo_append_path(ctx._pointer, path[0])
        ctx.restore()


def install() -> None:
    cairosvg.surface.TAGS["path"] = fast_path


install()
