"""The format registry: named output sizes (print in mm, social in px) and what each produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Format:
    """An output size. Print formats are in mm (trim size) with bleed; social formats in px."""

    name: str
    medium: Literal["print", "social"]
    width: float  # mm (print) or px (social)
    height: float
    label: str
    bleed_mm: float = 0.0
    safe_mm: float = 0.0  # print: no text closer than this to the trim edge
    safe_px: float = 0.0  # social: same, in px

    @property
    def unit(self) -> str:
        return "mm" if self.medium == "print" else "px"

    @property
    def extension(self) -> str:
        return "pdf" if self.medium == "print" else "png"

    @property
    def bleed(self) -> float:
        """Bleed in the format's own unit."""
        return self.bleed_mm if self.medium == "print" else 0.0

    @property
    def safe(self) -> float:
        return self.safe_mm if self.medium == "print" else self.safe_px

    @property
    def page(self) -> tuple[float, float]:
        """The whole document, trim + bleed on every side, in the format's own unit."""
        return self.width + 2 * self.bleed, self.height + 2 * self.bleed


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("a4", "print", 210, 297, "A4 portrait, 210 × 297 mm", bleed_mm=3, safe_mm=5),
        Format("a3", "print", 297, 420, "A3 portrait, 297 × 420 mm", bleed_mm=3, safe_mm=5),
        Format("a2", "print", 420, 594, "A2 portrait, 420 × 594 mm", bleed_mm=3, safe_mm=5),
        Format("a1", "print", 594, 841, "A1 portrait, 594 × 841 mm", bleed_mm=3, safe_mm=5),
        Format("a0", "print", 841, 1189, "A0 portrait, 841 × 1189 mm", bleed_mm=3, safe_mm=5),
        Format("instagram", "social", 1080, 1350, "Instagram portrait, 1080 × 1350 px", safe_px=40),
    )
}


def get_format(name: str) -> Format:
    from .errors import did_you_mean, fail

    if name not in FORMATS:
        raise fail(f"unknown format '{name}'{did_you_mean(name, FORMATS)}; see `poster list`")
    return FORMATS[name]
