"""Units and boxes: the one place for mm/pt/inch conversions and the box type every stage passes around."""

from __future__ import annotations

MM_PER_INCH = 25.4
PT_PER_MM = 72 / MM_PER_INCH  # PDF user space: 1 pt = 1/72 inch

Box = tuple[float, float, float, float]  # x, y, width, height (y down, in the unit of the frame it lives in)


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share some area (touching edges do not count)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
