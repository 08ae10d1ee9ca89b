"""sRGB colour arithmetic shared by checks and prepress: no I/O, no colour management."""

from __future__ import annotations

RGB8 = tuple[int, int, int]

# ITU-R BT.709 primaries' weights, which sRGB shares.
_WEIGHTS = (0.2126, 0.7152, 0.0722)


def parse_hex(color: str) -> RGB8:
    """'#RRGGBB' → (r, g, b), 0..255."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def to_hex(rgb: RGB8) -> str:
    """(r, g, b) → '#RRGGBB' (upper case, as brand swatches are keyed)."""
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def as_rgb(color: str | RGB8) -> RGB8:
    return parse_hex(color) if isinstance(color, str) else color


def relative_luminance(color: str | RGB8) -> float:
    """WCAG 2 relative luminance (0 black .. 1 white): the weights applied to linearised sRGB."""
    rgb = as_rgb(color)

    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return sum(w * linear(c) for w, c in zip(_WEIGHTS, rgb))


def contrast_ratio(a: str | RGB8, b: str | RGB8) -> float:
    """WCAG 2 contrast ratio between two colours, 1..21."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def luma(rgb: RGB8) -> float:
    """The same weights on the gamma-encoded values (0..1): what a luminosity soft mask's grey is.

    Not WCAG's luminance: a mask drawn in sRGB is read on its encoded values, as viewers do.
    """
    return sum(w * c / 255 for w, c in zip(_WEIGHTS, rgb))
