"""Total ink in photos after JPEG encoding (issue 15, item 3): at most the profile's limit per pixel,
as Ghostscript decodes and rasterises the finished print PDF, and over small areas as preflight tools
average it. JPEG ringing used to add up to 22 % at dark edges of the demo photo (321.6 % per pixel)."""

from __future__ import annotations

import io
import subprocess
import time
from datetime import UTC, datetime

import numpy as np
import pikepdf
from conftest import ROOT
from PIL import Image

from poster_engine.export.print.prepress import make_print_pdf
from poster_engine.project.print_profiles import PRESETS, select_print_settings

SETTINGS = select_print_settings(ROOT, PRESETS, {}, "fogra39")
PPI = 300


def _photo_pdf() -> tuple[bytes, tuple[int, int]]:
    """A crop of the demo photo (dark rock against light sky: the edges where ringing adds ink) placed
    at 300 ppi as cairo hands photos over: a Flate RGB image XObject."""
    crop = Image.open(ROOT / "visuals" / "minerai.jpg").convert("RGB").crop((400, 1400, 1200, 2000))
    w, h = crop.size
    doc = pikepdf.new()
    page = doc.add_blank_page(page_size=(w * 72 / PPI, h * 72 / PPI))
    image = pikepdf.Stream(doc, crop.tobytes())  # written Flate-compressed by save()
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = w, h, 8
    image.ColorSpace = pikepdf.Name.DeviceRGB
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.obj.Contents = doc.make_stream(f"q {w * 72 / PPI} 0 0 {h * 72 / PPI} 0 0 cm /Im0 Do Q".encode())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue(), (w, h)


def test_photo_total_ink_per_pixel_and_per_area(tmp_path):
    rgb, (w, h) = _photo_pdf()
    started = time.perf_counter()
    pdf = make_print_pdf(rgb, (w / PPI * 25.4, h / PPI * 25.4), 0, "photo", datetime(2025, 1, 1, tzinfo=UTC), SETTINGS)
    elapsed = time.perf_counter() - started
    (tmp_path / "p.pdf").write_bytes(pdf)
    # Ghostscript decodes the JPEG itself; at the image's own resolution one pixel is one image pixel.
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=tiff32nc",
            f"-r{PPI}",
            "-o",
            str(tmp_path / "p.tif"),
            str(tmp_path / "p.pdf"),
        ],
        check=True,
        timeout=60,
    )
    tac = np.asarray(Image.open(tmp_path / "p.tif"), dtype=np.int32).sum(axis=2) * 100 / 255
    assert tac.shape == (h, w)
    assert tac.max() <= 300.0, tac.max()  # every pixel
    areas = tac[: h // 4 * 4, : w // 4 * 4].reshape(h // 4, 4, w // 4, 4).mean(axis=(1, 3))
    assert areas.max() <= 300.0  # 4 × 4 pixels (0.34 mm), as preflight measures
    assert tac.max() > 290  # the photo does use the room it has (no blanket headroom)
    assert elapsed < 30, elapsed
