"""Raster images inside cairosvg: JPEG passed through to PDF, pixels handed to cairo without PNG.

cairosvg's own handler decodes every raster image, re-encodes it as PNG and decodes that again, and
cairo then stores it as Flate pixels in PDFs (12x larger than the JPEG; docs/performance.md §2). Our
composer only writes `<image>` elements whose href is a data URI of a JPEG already cropped and
resampled to its placed size, with preserveAspectRatio="none"; those are drawn here. Anything else
goes to cairosvg's handler unchanged.
"""

from __future__ import annotations

import base64
import io

import cairocffi as cairo
import cairosvg.image
import cairosvg.surface
from cairosvg.helpers import size

_stock_image = cairosvg.image.image
JPEG_PREFIX = "data:image/jpeg;base64,"


def _jpeg_surface_for_pdf(jpeg: bytes) -> cairo.ImageSurface:
    """A 1x1 surface carrying the JPEG: cairo's PDF backend embeds the attached bytes as they are
    (DCTDecode, width and height read from the JPEG) and maps them onto the surface's extent, as
    it does any image, so the placement below scales the one pixel to the image's box. Its pixel
    is never read (no page of ours makes cairo rasterise). A surface of the JPEG's own size cost
    13 ms per A3 photo for nothing: cairo's PDF surface keeps a snapshot of each image it paints,
    and destroying the image copies its whole pixels (docs/performance.md §22)."""
    surface = cairo.ImageSurface(cairo.FORMAT_RGB24, 1, 1)
    surface.set_mime_data("image/jpeg", jpeg)
    return surface


def _jpeg_surface_for_pixels(jpeg: bytes, target: tuple[int, int]) -> cairo.ImageSurface:
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as decoder:
        decoder.draft("RGB", target)  # let libjpeg decode at 1/2, 1/4, 1/8 when that is enough
        im = decoder.convert("RGB")
    if im.size != target and target[0] > 0 and target[1] > 0:
        im = im.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    data = bytearray(im.tobytes("raw", "BGRX"))  # cairo RGB24: 32 bits per pixel, native-endian BGRx
    return cairo.ImageSurface.create_for_data(data, cairo.FORMAT_RGB24, im.width, im.height, im.width * 4)


def fast_image(surface, node) -> None:
    href = node.get_href() or ""
    if not href.startswith(JPEG_PREFIX) or node.get("preserveAspectRatio") != "none":
        return _stock_image(surface, node)
    jpeg = base64.b64decode(href[len(JPEG_PREFIX) :])
    x, y = size(surface, node.get("x"), "x"), size(surface, node.get("y"), "y")
    width, height = size(surface, node.get("width"), "x"), size(surface, node.get("height"), "y")
    if isinstance(surface, cairosvg.surface.PDFSurface):
        image = _jpeg_surface_for_pdf(jpeg)
    else:
        # Device pixels the image covers: decode straight to that size.
        dx, dy = surface.context.user_to_device_distance(width, height)
        image = _jpeg_surface_for_pixels(jpeg, (max(1, round(abs(dx))), max(1, round(abs(dy)))))
    ctx = surface.context
    ctx.save()
    ctx.rectangle(x, y, width, height)
    ctx.clip()
    ctx.translate(x, y)
    ctx.scale(width / image.get_width(), height / image.get_height())
    pattern = cairo.SurfacePattern(image)
    pattern.set_filter(cairo.FILTER_GOOD)
    ctx.set_source(pattern)
    ctx.paint_with_alpha(float(node.get("opacity", 1)))
    ctx.restore()


def install() -> None:
    """Route cairosvg's <image> drawing through `fast_image` (idempotent)."""
    cairosvg.surface.TAGS["image"] = fast_image


install()


class stock_cairosvg:
    """Context manager: cairosvg's own image and path handling, for reference renders and benchmarks."""

    def __enter__(self):
        from . import glyphs

        self._saved = dict(cairosvg.surface.TAGS)
        cairosvg.surface.TAGS["image"] = _stock_image
        cairosvg.surface.TAGS["path"] = glyphs._stock_path

    def __exit__(self, *exc):
        cairosvg.surface.TAGS.update(self._saved)
