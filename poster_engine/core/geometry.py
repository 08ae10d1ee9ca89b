"""Units, boxes and affine matrices: the one place for unit conversions and the geometry every stage passes around."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MM_PER_INCH = 25.4
PT_PER_MM = 72 / MM_PER_INCH  # PDF user space: 1 pt = 1/72 inch

Box = tuple[float, float, float, float]  # x, y, width, height (y down, in the unit of the frame it lives in)
Extent = tuple[float, float, float, float]  # x0, y0, x1, y1 (a glyph's ink)
Point = tuple[float, float]
Polygon = tuple[Point, ...]  # corners in drawing order


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share some area (touching edges do not count)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@dataclass(frozen=True)
class Matrix:
    """An SVG affine transform `matrix(a b c d e f)`: x' = a·x + c·y + e, y' = b·x + d·y + f.

    `outer @ inner` applies `inner` first, as in SVG, where `transform="A B"` is `A @ B` and an
    element's frame on the page is `root @ … @ parent @ own`. Units are whatever the two frames use
    (layout units in compose, e.g. mm at A3).
    """

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 1.0
    e: float = 0.0
    f: float = 0.0

    @staticmethod
    def translate(tx: float, ty: float = 0.0) -> Matrix:
        return Matrix(1.0, 0.0, 0.0, 1.0, tx, ty)

    @staticmethod
    def scale(sx: float, sy: float | None = None) -> Matrix:
        return Matrix(sx, 0.0, 0.0, sx if sy is None else sy, 0.0, 0.0)

    @staticmethod
    def rotate(degrees: float, cx: float = 0.0, cy: float = 0.0) -> Matrix:
        """SVG `rotate(a cx cy)`: clockwise on the page (y down) about (cx, cy)."""
        r = math.radians(degrees)
        cos, sin = math.cos(r), math.sin(r)
        return Matrix.translate(cx, cy) @ Matrix(cos, sin, -sin, cos, 0.0, 0.0) @ Matrix.translate(-cx, -cy)

    def __matmul__(self, inner: Matrix) -> Matrix:
        a, b, c, d, e, f = self.a, self.b, self.c, self.d, self.e, self.f
        return Matrix(
            a * inner.a + c * inner.b,
            b * inner.a + d * inner.b,
            a * inner.c + c * inner.d,
            b * inner.c + d * inner.d,
            a * inner.e + c * inner.f + e,
            b * inner.e + d * inner.f + f,
        )

    def apply(self, x: float, y: float) -> Point:
        """A point of the inner frame in the outer frame."""
        return self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f

    def apply_vector(self, x: float, y: float) -> Point:
        """A displacement (no translation)."""
        return self.a * x + self.c * y, self.b * x + self.d * y

    @property
    def det(self) -> float:
        return self.a * self.d - self.b * self.c

    @property
    def is_identity(self) -> bool:
        return self == Matrix()

    @property
    def is_translation(self) -> bool:
        return (self.a, self.b, self.c, self.d) == (1.0, 0.0, 0.0, 1.0)

    @property
    def is_axis_aligned(self) -> bool:
        """No rotation or skew: a box stays a box with its edges along x and y."""
        return self.b == 0.0 and self.c == 0.0

    def degenerate(self, eps: float = 1e-12) -> bool:
        """Squashes the plane onto a line or a point (a zero scale): nothing drawn through it has an area."""
        return abs(self.det) <= eps * max(1.0, abs(self.a), abs(self.b), abs(self.c), abs(self.d)) ** 2

    def inverse(self) -> Matrix:
        det = self.det
        if self.degenerate():
            raise ZeroDivisionError("a degenerate matrix has no inverse")
        a, b, c, d = self.d / det, -self.b / det, -self.c / det, self.a / det
        return Matrix(a, b, c, d, -(a * self.e + c * self.f), -(b * self.e + d * self.f))

    @property
    def singular_values(self) -> tuple[float, float]:
        """How much the matrix stretches lengths, at most and at least (over every direction)."""
        p = (self.a**2 + self.b**2 + self.c**2 + self.d**2) / 2
        q = math.sqrt(max(p * p - self.det**2, 0.0))
        return math.sqrt(p + q), math.sqrt(max(p - q, 0.0))

    @property
    def line_scale(self) -> float:
        """The size on the outer frame of type set along the inner x axis: the distance between two
        baselines one unit apart (|det| / length of the image of x). 1 for a rotation or a skewX."""
        return abs(self.det) / math.hypot(self.a, self.b)

    def corners(self, box: Box) -> Polygon:
        """The four corners of an inner box in the outer frame (top-left, top-right, bottom-right, bottom-left)."""
        x, y, w, h = box
        return tuple(self.apply(px, py) for px, py in ((x, y), (x + w, y), (x + w, y + h), (x, y + h)))

    def bounds(self, box: Box) -> Box:
        """The outer frame's axis-aligned box around an inner box."""
        return bounds_of(self.corners(box))

    def svg(self) -> str:
        """As an SVG transform attribute's value."""
        if self.is_translation:
            return f"translate({self.e:.6g} {self.f:.6g})"
        return "matrix(" + " ".join(f"{v:.9g}" for v in (self.a, self.b, self.c, self.d, self.e, self.f)) + ")"


IDENTITY = Matrix()


def corners_inside(matrix: Matrix, extents: Sequence[Extent], area: Box, eps: float = 1e-6) -> bool:
    """Whether every corner of every extent (x0, y0, x1, y1 in the inner frame), through `matrix`,
    lands inside `area`. The extent around them all is tried first: when its corners are inside, so
    are all of theirs (the image of a box is a parallelogram, the area is convex); only when not
    (a rotated frame) are they measured one by one. A text's glyphs are hundreds of extents."""
    ax, ay, aw, ah = area

    def inside(boxes: Iterable[Extent]) -> bool:
        return all(
            ax - eps <= x <= ax + aw + eps and ay - eps <= y <= ay + ah + eps
            for x0, y0, x1, y1 in boxes
            for x, y in matrix.corners((x0, y0, x1 - x0, y1 - y0))
        )

    if not extents:
        return True
    x0s, y0s, x1s, y1s = zip(*extents)
    return inside([(min(x0s), min(y0s), max(x1s), max(y1s))]) or inside(extents)


def bounds_of(points: Polygon) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def inside_convex(point: Point, polygon: Polygon, eps: float = 1e-6) -> bool:
    """Whether a point lies in a convex polygon (either winding), within `eps` of its edges (same unit)."""
    sign = 0.0
    n = len(polygon)
    for i in range(n):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i + 1) % n]
        length = math.hypot(x1 - x0, y1 - y0)
        if length == 0:
            continue
        cross = ((x1 - x0) * (point[1] - y0) - (y1 - y0) * (point[0] - x0)) / length  # signed distance
        if abs(cross) <= eps:
            continue
        if sign == 0.0:
            sign = math.copysign(1.0, cross)
        elif cross * sign < 0:
            return False
    return True
