"""A PDF content stream's transformation matrices as plain tuples `(a, b, c, d, e, f)`, in PDF's
row-vector convention: the operator walks of prepress.py and flatten.py multiply them per operator,
where tuples are faster than core/geometry's Matrix."""

from __future__ import annotations

Matrix = tuple[float, float, float, float, float, float]


def concat(m: Matrix, n: Matrix) -> Matrix:
    """m then n (m × n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def transform(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """The point (x, y) through m."""
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]
