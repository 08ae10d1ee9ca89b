"""Cairo's PDF → print PDF: TrimBox/BleedBox, title, fixed dates and ID for reproducible files."""

from __future__ import annotations

import io
from datetime import datetime

PT_PER_MM = 72 / 25.4


def finish_pdf(pdf: bytes, trim_mm: tuple[float, float], bleed_mm: float, title: str, timestamp: datetime) -> bytes:
    """Set the page boxes (cairo writes none) and metadata; the page is trim + bleed on each side."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        b = bleed_mm * PT_PER_MM
        w, h = trim_mm[0] * PT_PER_MM, trim_mm[1] * PT_PER_MM
        for page in doc.pages:
            page.obj.MediaBox = pikepdf.Array([0, 0, w + 2 * b, h + 2 * b])
            page.obj.BleedBox = pikepdf.Array([0, 0, w + 2 * b, h + 2 * b])
            page.obj.TrimBox = pikepdf.Array([b, b, w + b, h + b])
        date = timestamp.strftime("D:%Y%m%d%H%M%SZ")
        doc.docinfo["/Title"] = title
        doc.docinfo["/Producer"] = "poster-engine"
        doc.docinfo["/CreationDate"] = date
        doc.docinfo["/ModDate"] = date
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, compress_streams=True)
        return out.getvalue()
