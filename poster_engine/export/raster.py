"""Composed SVG → sRGB PNG bytes at an exact pixel size."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and cairo are loaded by the first drawing, not by importing this module
    import numpy as np

    from poster_engine.compose.document import Layers


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """An sRGB ICC profile (littleCMS's built-in), embedded so viewers don't guess the colours."""
    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # littleCMS stamps the creation time into the header (bytes 24-35): zero it so two builds of
    # the same image are byte-identical. Zero is valid (ICC.1 §7.2.1); the profile ID is unset (0).
    profile[24:36] = bytes(12)
    return bytes(profile)


@dataclass(frozen=True)
class Frame:
    """Drawn pixels as packed RGB rows (a height x width x 3 array): what fpng takes as they are;
    Pillow gets them on demand. (Pillow's own `tobytes` of a 1080 × 1350 image cost as much CPU
    as fpng's encoding.)"""

    width: int
    height: int
    rgb: np.ndarray

    def image(self):
        from PIL import Image

        return Image.frombuffer("RGB", (self.width, self.height), self.rgb, "raw", "RGB", 0, 1)


def draw(svg: bytes | Layers, width: int, height: int) -> Frame:
    """Draw the SVG with cairo at an exact pixel size; the pixels as an opaque RGB frame. A
    document cut in layers (a composition's) starts from the layers it shares with the previous
    one, drawn once (export/canvas.py)."""
    import numpy as np

    from . import glyphs, images  # noqa: F401  (importing them installs the fast handlers, once)
    from .canvas import draw_svg

    surface = draw_svg(svg, width, height)
    # cairo ARGB32 is premultiplied BGRA in memory on little-endian machines; posters are opaque,
    # so the colour bytes are the pixel's: reversed to RGB, alpha dropped. Three plain channel
    # copies: 0.4 x the time of one copy through a reversed view.
    bgra = np.frombuffer(surface.get_data(), np.uint8).reshape(height, surface.get_stride() // 4, 4)[:, :width]
    rgb = np.empty((height, width, 3), np.uint8)
    for channel in range(3):
        rgb[:, :, channel] = bgra[:, :, 2 - channel]
    return Frame(width, height, rgb)


def render_rgb(svg: bytes, width: int, height: int):
    """Draw the SVG with cairo and hand the pixels to Pillow as an opaque RGB image."""
    return draw(svg, width, height).image()


def svg_to_png(svg: bytes, width: int, height: int) -> bytes:
    return encode(draw(svg, width, height), "png")


# Lossy qualities tried in turn until the file is under the platform's limit.
QUALITIES = (90, 85, 80, 70, 60, 50)
# PNG encoders by the format's `png:` setting. fast: fpng (one pass, its own deflate tuned for
# images): 0.45x Pillow level 1's time on the demo photo poster, files ~1.3x larger
# (docs/performance.md §13). compact: Pillow at zlib level 9, the smallest lossless file, for
# platforms' size limits; taken too whenever a fast PNG is over the format's limit.


def encode(picture, kind: str = "png", max_bytes: int | None = None, png: str = "fast") -> bytes:
    """An RGB frame or Pillow image → PNG, JPEG or WebP bytes, sRGB ICC-tagged, under `max_bytes`
    if given. PNG is lossless: when it is too large even compact, the caller is told (None is
    never returned silently)."""
    if kind == "png" and png == "fast":
        data = fast_png(picture)
        if max_bytes is None or len(data) <= max_bytes:
            return data
    image = picture.image() if isinstance(picture, Frame) else picture
    if kind == "png":  # compact, asked for or because the fast file is over the limit
        buf = io.BytesIO()
        image.save(buf, "PNG", compress_level=9, icc_profile=srgb_profile())
        if max_bytes is not None and buf.tell() > max_bytes:
            raise TooLarge(buf.tell())
        return buf.getvalue()
    for quality in QUALITIES:
        buf = io.BytesIO()
        if kind == "jpeg":
            image.save(buf, "JPEG", quality=quality, optimize=True, icc_profile=srgb_profile())
        else:
            image.save(buf, "WEBP", quality=quality, method=4, icc_profile=srgb_profile())
        if max_bytes is None or buf.tell() <= max_bytes:
            return buf.getvalue()
    raise TooLarge(buf.tell())


def fast_png(picture) -> bytes:
    """An RGB frame or image → PNG by fpng, with the sRGB profile as an iCCP chunk right after IHDR
    (where PNG wants it: before the image data). fpng is deterministic: same pixels, same bytes."""
    import fpng  # its import runs fpng's CPU detection once (SSE4.1/PCLMUL checksums; same bytes either way)

    if not isinstance(picture, Frame):
        import numpy as np

        image = picture.convert("RGB")
        picture = Frame(image.width, image.height, np.asarray(image))
    png = fpng.from_ndarray(picture.rgb)
    end_of_ihdr = 8 + 8 + 13 + 4  # signature, then IHDR: length, type, 13 bytes of data, CRC
    if png[12:16] != b"IHDR":
        raise ValueError("fpng wrote no IHDR first")
    return png[:end_of_ihdr] + _iccp_chunk() + png[end_of_ihdr:]


@lru_cache(maxsize=1)
def _iccp_chunk() -> bytes:
    """The iCCP chunk of srgb_profile(), compressed once per process (PNG 1.2 §4.2.2.4)."""
    import struct
    import zlib

    body = b"ICC Profile\0\0" + zlib.compress(srgb_profile(), 9)  # name, NUL, compression method 0
    return struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))


class TooLarge(Exception):
    def __init__(self, size: int):
        self.size = size
