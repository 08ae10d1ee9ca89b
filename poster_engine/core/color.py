"""sRGB colour arithmetic shared by checks and prepress: no I/O, no colour management."""

from __future__ import annotations

RGB8 = tuple[int, int, int]

# The poster's palette: a layout paints with its colours through the classes fill-<key> and
# stroke-<key>, which compose defines after the layout's own sheet (so the poster's colours win).
PALETTE_KEYS = ("background", "text", "accent")

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


# --- CIELAB and CIEDE2000 (pure arithmetic; colour management stays in export/print/colors.py) -------

# D50, the ICC profile connection space's white: Lab values here compare with littleCMS's.
_D50 = (0.9642, 1.0, 0.8249)
# sRGB → XYZ (D50, Bradford-adapted), as in the ICC's sRGB profiles.
_SRGB_D50 = (
    (0.4360747, 0.3850649, 0.1430804),
    (0.2225045, 0.7168786, 0.0606169),
    (0.0139322, 0.0971045, 0.7141733),
)

Lab = tuple[float, float, float]


def srgb_to_lab(color: str | RGB8) -> Lab:
    """CIELAB (D50) of an sRGB colour: the values an ICC workflow (littleCMS) compares."""

    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in as_rgb(color))
    xyz = [m[0] * r + m[1] * g + m[2] * b for m in _SRGB_D50]

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / w) for v, w in zip(xyz, _D50))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e_2000(lab1: Lab, lab2: Lab) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1), as written by Sharma, Wu and Dalal (2005),
    "The CIEDE2000 color-difference formula: implementation notes"; tested against their data."""
    from math import atan2, cos, degrees, exp, hypot, radians, sin, sqrt

    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    c_bar = (hypot(a1, b1) + hypot(a2, b2)) / 2
    g = 0.5 * (1 - sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = hypot(a1p, b1), hypot(a2p, b2)
    h1p = degrees(atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = degrees(atan2(b2, a2p)) % 360 if c2p else 0.0
    dL, dC = L2 - L1, c2p - c1p
    if c1p * c2p == 0:
        dh = 0.0
    elif abs(h2p - h1p) <= 180:
        dh = h2p - h1p
    else:
        dh = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    dH = 2 * sqrt(c1p * c2p) * sin(radians(dh / 2))
    L_bar, cp_bar = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    else:
        hp_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * cos(radians(hp_bar - 30))
        + 0.24 * cos(radians(2 * hp_bar))
        + 0.32 * cos(radians(3 * hp_bar + 6))
        - 0.20 * cos(radians(4 * hp_bar - 63))
    )
    d_theta = 30 * exp(-(((hp_bar - 275) / 25) ** 2))
    r_c = 2 * sqrt(cp_bar**7 / (cp_bar**7 + 25**7))
    s_l = 1 + 0.015 * (L_bar - 50) ** 2 / sqrt(20 + (L_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -sin(radians(2 * d_theta)) * r_c
    return sqrt((dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dC / s_c) * (dH / s_h))
