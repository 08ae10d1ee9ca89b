"""A path's construction operators (m l c v y re h) → the device-space points they place and their
box, for flatten.py's walk (docs/performance.md §17).

A run of path operators is read in one go: its numbers stay in user space, with the transformation
in force, until someone asks for the points. The box alone, under a transformation without
rotation or skew (cairo's y flip), is the transformed box of the user-space coordinates: rounding
to the nearest float is monotonic, so the extreme device coordinates are the images of the extreme
user ones, the same floats as transforming every point. The demo's A3 photo poster has 7 600 path
operators in 11 paths; only the one translucent rule needs its points.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate, chain, compress

from poster_engine.export.print.ctm import Matrix, transform

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in device space (points)
ARITY = {"m": 2, "l": 2, "c": 6, "v": 4, "y": 4, "re": 4, "h": 0}  # how many numbers each operator takes
DRAWS = frozenset({"l", "c", "v", "y"})


_STEP = re.compile(rb"\x01+|\x00")  # over one byte an instruction: 1 for a path operator


def steps(ops: list, path_ops) -> list[tuple[int, int]]:
    """How a walk reads instructions whose operators are `ops`: (first, end) for each run of path
    operators (read at once) and for each other instruction (end = first + 1). A walk then has a
    Python step per painting, colour or state instruction, not per path operator."""
    return [m.span() for m in _STEP.finditer(bytes(map(path_ops.__contains__, ops)))]


class Outline:
    """One path under construction: where it starts in its stream and what kind of shape it is."""

    def __init__(self, start: int, first: str) -> None:
        self.start = start  # index of its first instruction
        self.single_rect = first == "re"  # one `re`, nothing else
        self.polygon = True  # one subpath of straight lines
        self.moved = False  # a second subpath began
        self.drew = False  # a segment (l c v y) was added
        self.started = False  # its first operator was read
        self._runs: list[tuple[Matrix, list[float], list[float]]] = []  # (CTM, xs, ys) in user space
        self._pending: tuple[Matrix, float, float] | None = None  # a later `m` ending a run, not yet kept
        self._points: list[tuple[float, float]] | None = None
        self._box: Box | None = None
        self.size = 0  # how many points

    def extend(self, ops: list[str], values: list[float], counts: list[int] | None, ctm: Matrix) -> None:
        """Add a run of path operators with their numbers (`counts`: how many each one has, None when
        each has its arity). A `m` that starts a later subpath adds its point only when a segment
        follows it: cairo ends paths with a lone `m`, which draws nothing (the box stays that of what
        is drawn), but the start of a later subpath that draws is part of the shape."""
        if counts is None and "re" not in ops:
            self._extend_pairs(ops, values, ctm)
            return
        self._take_pending(ops)
        xs: list[float] = []
        ys: list[float] = []
        at = 0
        for k, op in enumerate(ops):
            n = ARITY[op] if counts is None else counts[k]
            if not self.started:
                self.started = True
            elif op == "re" or op == "m" and self.drew:
                self.single_rect, self.moved = False, True
            if op == "c" or op == "v" or op == "y" or self.moved and (op == "l" or op == "re"):
                self.polygon = False
            if op in DRAWS:
                self.drew = True
            nums = values[at : at + n]
            at += n
            if op == "m" and self.moved:
                if k + 1 == len(ops):
                    self._pending = (ctm, nums[0], nums[1])
                if k + 1 == len(ops) or ops[k + 1] not in DRAWS:
                    continue
            if op == "re":
                x, y, w, h = nums
                xs += (x, x + w, x + w, x)
                ys += (y, y, y + h, y + h)
            else:
                pairs = len(nums) // 2
                xs += nums[0 : 2 * pairs : 2]
                ys += nums[1 : 2 * pairs : 2]
        if xs:
            self._runs.append((ctm, xs, ys))
            self.size += len(xs)
            self._points, self._box = None, None

    def _extend_pairs(self, ops: list[str], values: list[float], ctm: Matrix) -> None:
        """`extend` for a run whose operators all take (x, y) pairs (all but `re`), each with its
        arity: the same flags and points from a few scans of the run (C loops) instead of a Python
        step per operator; the demo's glyph runs are 7 600 operators a page (docs/performance.md §20)."""
        if not ops:
            return
        self._take_pending(ops)
        self.started = True
        ms = list(compress(range(len(ops)), map("m".__eq__, ops)))
        first_draw = next(compress(range(len(ops)), map(DRAWS.__contains__, ops)), None)
        moved_from: int | None = 0  # from this operator on the path has more than one subpath
        if not self.moved:
            drew_at = -1 if self.drew else first_draw  # a `m` after a segment begins another subpath
            k = len(ms) if drew_at is None else bisect_right(ms, drew_at)
            moved_from = ms[k] if k < len(ms) else None
            if moved_from is not None:
                self.single_rect, self.moved = False, True
        if "c" in ops or "v" in ops or "y" in ops or moved_from is not None and "l" in ops[moved_from:]:
            self.polygon = False
        if first_draw is not None:
            self.drew = True
        kept = values
        if moved_from is not None and ms and ms[-1] >= moved_from:
            ends = list(accumulate(map(ARITY.__getitem__, ops)))
            if ms[-1] == len(ops) - 1:  # kept if the next run goes on drawing from it
                self._pending = (ctm, values[-2], values[-1])
            # Those `m` that no segment follows add no point.
            cuts = [
                ends[k] - 2 for k in ms[bisect_left(ms, moved_from) :] if k + 1 == len(ops) or ops[k + 1] not in DRAWS
            ]
            kept = list(
                chain.from_iterable(values[a:b] for a, b in zip([0, *(c + 2 for c in cuts)], [*cuts, len(values)]))
            )
        xs, ys = kept[0::2], kept[1::2]
        if xs:
            self._runs.append((ctm, xs, ys))
            self.size += len(xs)
            self._points, self._box = None, None

    def _take_pending(self, ops: list[str]) -> None:
        """The `m` that ended the previous run: a point of the path if this run draws from it."""
        if self._pending is not None:
            ctm, x, y = self._pending
            self._pending = None
            if ops[0] in DRAWS:
                self._runs.append((ctm, [x], [y]))
                self.size += 1
                self._points, self._box = None, None

    def __bool__(self) -> bool:
        return self.size > 0

    def points(self) -> list[tuple[float, float]]:
        """Every point in device space, in order (curve control points too)."""
        if self._points is None:
            self._points = [transform(ctm, x, y) for ctm, xs, ys in self._runs for x, y in zip(xs, ys)]
        return self._points

    def box(self) -> Box:
        if self._box is None:
            self._box = self._measure()
        return self._box

    def _measure(self) -> Box:
        boxes = [box_of(ctm, xs, ys) for ctm, xs, ys in self._runs]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def box_of(ctm: Matrix, xs: list[float], ys: list[float]) -> Box:
    """The device-space box of the points (xs[i], ys[i]) under `ctm`: the same floats as transforming
    each point and taking the extremes."""
    a, b, c, d, e, f = ctm
    if b == 0 and c == 0:
        x, y = xs[0], ys[0]  # b × x and c × y are ±0 whatever x and y are
        x0, x1 = (min(xs), max(xs)) if a >= 0 else (max(xs), min(xs))
        y0, y1 = (min(ys), max(ys)) if d >= 0 else (max(ys), min(ys))
        return (a * x0 + c * y + e, b * x + d * y0 + f, a * x1 + c * y + e, b * x + d * y1 + f)
    px, py = zip(*(transform(ctm, x, y) for x, y in zip(xs, ys)))
    return (min(px), min(py), max(px), max(py))


def subpaths(ops: list[str], values: list[float]) -> list[tuple[list[float], list[float]]]:
    """The user-space points of a run of path operators (each with its arity of `values`), one
    (xs, ys) per subpath: the first holds those that continue the subpath before the run (empty
    when the run begins with `m` or `re`), each `m` or `re` begins another. A `re` gives two
    corners, (x, y) and (x + w, y + h)."""
    if "re" not in ops:
        # Every other operator takes (x, y) pairs: a subpath's xs and ys are every other number of
        # its span of `values`, which each `m` begins (slices instead of a step per operator).
        starts = [end - 2 for end in compress(accumulate(map(ARITY.__getitem__, ops)), map("m".__eq__, ops))]
        bounds = [0, *starts, len(values)]
        return [(values[a:b:2], values[a + 1 : b : 2]) for a, b in zip(bounds, bounds[1:])]
    xs: list[float] = []
    ys: list[float] = []
    out = [(xs, ys)]
    at = 0
    for op in ops:
        n = ARITY[op]
        if op == "m" or op == "re":
            xs, ys = [], []
            out.append((xs, ys))
        if op == "re":
            x, y, w, h = values[at : at + 4]
            xs += (x, x + w)
            ys += (y, y + h)
        elif n:
            xs += values[at : at + n : 2]
            ys += values[at + 1 : at + n : 2]
        at += n
    return out
