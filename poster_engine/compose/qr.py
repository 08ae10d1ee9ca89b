"""URL → QR code as one vector path (module units), with its quiet zone; and how much a QR code of a
given size can hold."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from poster_engine.core.limits import MAX_QR_BYTES

QUIET_ZONE = 4  # modules of light margin on each side (ISO/IEC 18004 §6.3.8)
MAX_VERSION = 40  # the largest symbol: 177 × 177 modules


@dataclass(frozen=True)
class QrCode:
    url: str
    modules: int  # symbol size without the quiet zone
    path: str  # dark modules as one path, unit = one module, origin at the symbol's corner

    @property
    def total_modules(self) -> int:
        return self.modules + 2 * QUIET_ZONE

    @property
    def version(self) -> int:
        return (self.modules - 17) // 4


class LinkTooLong(ValueError):
    """The link does not fit in any QR code (more than MAX_QR_BYTES at level M)."""


def largest_version(total_modules: float) -> int:
    """The largest QR version whose symbol, quiet zone included, spans at most `total_modules`
    modules (0: none fits). A version-v symbol is 17 + 4v modules wide (ISO/IEC 18004 §5.3.1)."""
    return max(0, min(MAX_VERSION, (int(total_modules) - 2 * QUIET_ZONE - 17) // 4))


def byte_capacity(version: int) -> int:
    """How many bytes (characters, for an ASCII link) a version-`version` code holds at level M in
    byte mode: the worst case for a link, so any link this long or shorter fits."""
    if version < 1:
        return 0
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.util import BIT_LIMIT_TABLE, MODE_8BIT_BYTE, length_in_bits

    bits = BIT_LIMIT_TABLE[ERROR_CORRECT_M][version] - 4 - length_in_bits(MODE_8BIT_BYTE, version)
    return bits // 8


@lru_cache(maxsize=256)
def make_qr(url: str) -> QrCode:
    """Encode `url` at error-correction level M, the smallest version that holds it; LinkTooLong
    when no version does."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.exceptions import DataOverflowError

    if len(url.encode("utf-8")) > MAX_QR_BYTES:
        raise LinkTooLong(url)
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(url)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):  # qrcode says "Invalid version (was 41…)" past version 40
        raise LinkTooLong(url) from None
    matrix = code.get_matrix()
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                # One rectangle per horizontal run keeps the path short and edges exact.
                parts.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return QrCode(url, len(matrix), "".join(parts))
