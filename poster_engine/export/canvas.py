"""Composed layers → pixels on one surface per process, the layers that stay the same drawn once.

A data merge draws the same poster again and again with a few texts changed: the background, the
photo and the texts that are the same on every row sit under the first one that changes. cairo
draws a document element after element onto its surface ("over" after "over"), so the pixels after
the first k top-level layers are the same whatever follows them: this module keeps them, and for
the next job whose document starts with the same head and the same k layers, copies them and draws
only the rest (docs/performance.md §18).

Exactness: the next job is parsed whole (references, CSS selectors and definitions resolve as in a
full drawing) and drawn with the same cairosvg code onto the same pixels the first k elements left;
only drawing them is skipped. Nothing of a layer can reach across into another: a group, its
opacity, mask, filter or clip path is inside one layer, and the layers of the body are siblings
under a group with none of these. Which layers are the same is decided by their text, never
assumed: a layer that changes from row to row ends the reusable prefix, and a static layer drawn
above a changing one is drawn again each time (putting it in the prefix would change the order of
"over" operations on the pixels they share). tests/test_canvas.py compares both ways pixel for
pixel, on the demo and on layouts made to break it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cairocffi as cairo
import cairosvg.parser
import cairosvg.surface
import numpy as np

from poster_engine.compose.document import Layers

DPI = 96  # cairosvg's CSS px; our documents are in px for social formats


class _Surface(cairosvg.surface.PNGSurface):
    """cairosvg's PNG surface drawing onto a surface of ours, leaving out nodes already drawn there."""

    def __init__(self, tree, target: cairo.ImageSurface, skip: frozenset[int], width: int, height: int):
        self._target, self._skip = target, skip
        super().__init__(tree, None, DPI, output_width=width, output_height=height)

    def _create_surface(self, width, height):
        return self._target, int(round(width)), int(round(height))

    def draw(self, node):
        if id(node) not in self._skip:
            super().draw(node)


@dataclass
class _Prefix:
    """The first `layers` of a document with this head and tail, drawn: what their `count` body
    nodes leave on a transparent surface."""

    layers: tuple[str, ...]
    count: int
    pixels: np.ndarray


class Canvas:
    """One reusable ARGB surface of one size, and the prefix of the last documents drawn on it."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, width, height)
        self.pixels = np.frombuffer(self.surface.get_data(), np.uint8)
        self.ends: tuple[str, str] | None = None  # head and tail of the documents below
        self.body_path: tuple[int, ...] | None = None  # child indices from the root to the body's group
        self.last: tuple[str, ...] = ()  # the previous document's layers, while no prefix is kept
        self.prefix: _Prefix | None = None

    def draw(self, doc: Layers | bytes) -> cairo.ImageSurface:
        """Draw a document (an SVG, or one cut in layers) on the surface, whatever was there
        before gone, and return the surface."""
        if isinstance(doc, bytes):
            return self._draw(_parse(doc))
        if self.ends != (doc.head, doc.tail):
            self.ends, self.last, self.prefix = (doc.head, doc.tail), doc.body, None
            self.body_path = _body_path(doc)
            return self._draw(_parse(doc.document()))
        prefix = self.prefix
        if prefix is None or doc.body[: len(prefix.layers)] != prefix.layers:
            # The layers this document shares with the one before (or with the prefix kept): drawn
            # once more on their own, then every document starting with them starts from there.
            known = prefix.layers if prefix else self.last
            n = 0
            while n < min(len(known), len(doc.body)) and known[n] == doc.body[n]:
                n += 1
            self.last, self.prefix = doc.body, None
            if n == 0 or self.body_path is None:
                return self._draw(_parse(doc.document()))
            prefix = self.prefix = self._draw_prefix(Layers(doc.head, doc.body[:n], doc.tail), self.body_path)
        assert self.body_path is not None  # a prefix is only kept under a known body group
        tree = _parse(doc.document())
        body = _node_at(tree, self.body_path)
        if body is None or len(body.children) < prefix.count:  # pragma: no cover - same head, same body group
            return self._draw(tree)
        self.surface.flush()
        self.pixels[:] = prefix.pixels
        self.surface.mark_dirty()
        return self._draw_tree(tree, frozenset(id(node) for node in body.children[: prefix.count]))

    def _draw_prefix(self, layers: Layers, body_path: tuple[int, ...]) -> _Prefix:
        tree = _parse(layers.document())
        body = _node_at(tree, body_path)
        self._draw(tree)
        return _Prefix(layers.body, len(body.children) if body is not None else 0, self.pixels.copy())

    def _draw(self, tree) -> cairo.ImageSurface:
        self.surface.flush()
        self.pixels[:] = 0  # what a new surface holds: transparent black
        self.surface.mark_dirty()
        return self._draw_tree(tree, frozenset())

    def _draw_tree(self, tree, skip: frozenset[int]) -> cairo.ImageSurface:
        drawn = _Surface(tree, self.surface, skip, self.width, self.height)
        if (drawn.width, drawn.height) != (self.width, self.height):  # pragma: no cover - asked for this size
            raise ValueError(f"drawn at {drawn.width} x {drawn.height} px, not {self.width} x {self.height}")
        self.surface.flush()
        return self.surface


def _parse(svg: bytes):
    return cairosvg.parser.Tree(bytestring=svg, unsafe=False)


# What a group does to its content as a whole: a body under one of these is not drawn element after
# element onto the page, so no prefix of it is kept.
_AS_A_WHOLE = ("mask", "filter", "clip-path", "clip", "mix-blend-mode", "isolation")


def _body_path(layers: Layers) -> tuple[int, ...] | None:
    """Child indices from the root to the group the layers go in: the innermost element the head
    leaves open, found in the document with no layers (the last child at every level). None when
    that group or one around it has an opacity, mask, filter, clip or blend mode (CSS included)."""
    node, path = _parse((layers.head + layers.tail).encode("utf-8")), list[int]()
    while True:
        whole = any(node.get(k) not in (None, "", "none", "auto") for k in _AS_A_WHOLE)
        if whole or float(node.get("opacity", 1)) != 1:
            return None
        if not node.children:
            return tuple(path)
        path.append(len(node.children) - 1)
        node = node.children[-1]


def _node_at(tree, path: tuple[int, ...]):
    node = tree
    for i in path:
        if i >= len(node.children):
            return None
        node = node.children[i]
    return node


# glibc hands every freed block over 128 KB back to the kernel and faults it in again on the next
# frame: fpng's buffers alone were ~2 100 page faults, 3.3 ms of system time, per social PNG. A
# process that draws keeps up to this much freed memory for the next frame instead.
KEEP_FREED = 64 << 20
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # <malloc.h>


def keep_freed_memory() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)  # blocks under 32 MB come from the heap, reused
        libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREED)
    except (OSError, AttributeError):  # not glibc: its own allocator's defaults
        pass


# Canvases by size, per process and thread (the preview draws on threads of its own): a worker
# draws one format after another, and a build's gallery previews and contrast measures come in a
# few sizes of their own.
_LOCAL = threading.local()
KEEP = 3


def _canvases() -> dict[tuple[int, int], Canvas]:
    if not hasattr(_LOCAL, "canvases"):
        keep_freed_memory()
        _LOCAL.canvases = {}
    return _LOCAL.canvases


def draw_svg(doc: Layers | bytes, width: int, height: int) -> cairo.ImageSurface:
    """The document drawn at `width` x `height` px on this process's canvas of that size. The
    surface returned is drawn over by the next call of that size: read its pixels before."""
    canvases = _canvases()
    canvas = canvases.pop((width, height), None) or Canvas(width, height)
    while len(canvases) >= KEEP:
        del canvases[next(iter(canvases))]  # the least recently used
    canvases[(width, height)] = canvas
    return canvas.draw(doc)
