"""URL → QR code as one vector path (module units), with its quiet zone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

QUIET_ZONE = 4  # modules of light margin on each side (ISO/IEC 18004 §6.3.8)


@dataclass(frozen=True)
class QrCode:
    url: str
    modules: int  # symbol size without the quiet zone
    path: str  # dark modules as one path, unit = one module, origin at the symbol's corner

    @property
    def total_modules(self) -> int:
        return self.modules + 2 * QUIET_ZONE


@lru_cache(maxsize=256)
def make_qr(url: str) -> QrCode:
    """Encode `url` at error-correction level M, the smallest version that holds it."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
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
