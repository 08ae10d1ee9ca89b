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

from poster_engine.export.print.ctm import Matrix, transform

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in device space (points)
ARITY = {"m": 2, "l": 2, "c": 6, "v": 4, "y": 4, "re": 4, "h": 0}  # how many numbers each operator takes
DRAWS = frozenset({"l", "c", "v", "y"})


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
        self._points: list[tuple[float, float]] | None = None
        self._box: Box | None = None
        self.size = 0  # how many points

    def extend(self, ops: list[str], values: list[float], counts: list[int] | None, ctm: Matrix) -> None:
        """Add a run of path operators with their numbers (`counts`: how many each one has, None when
        each has its arity). A `m` that starts a later subpath adds no point: cairo ends paths with a
        lone `m`, which draws nothing (the box stays that of what is drawn)."""
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
