"""Composed SVG → sRGB PNG bytes at an exact pixel size."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache


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
    """Drawn pixels as packed RGB rows: what fpng takes as they are; Pillow gets them on demand.
    (Pillow's own `tobytes` of a 1080 × 1350 image cost as much CPU as fpng's encoding.)"""

    width: int
    height: int
    rgb: bytes

    def image(self):
        from PIL import Image

        return Image.frombuffer("RGB", (self.width, self.height), self.rgb, "raw", "RGB", 0, 1)


def draw(svg: bytes, width: int, height: int) -> Frame:
    """Draw the SVG with cairo at an exact pixel size; the pixels as an opaque RGB frame."""
    import cairosvg.parser
    import cairosvg.surface
    import numpy as np

    from . import glyphs, images  # noqa: F401  (importing them installs the fast handlers, once)

    tree = cairosvg.parser.Tree(bytestring=svg, unsafe=False)
    # Constructing the surface draws the tree; finish() (cairo's slow PNG writer) is never called.
    surface = cairosvg.surface.PNGSurface(tree, None, 96, output_width=width, output_height=height)
    cairo_surface = surface.cairo
    cairo_surface.flush()
    w, h = cairo_surface.get_width(), cairo_surface.get_height()
    # cairo ARGB32 is premultiplied BGRA in memory on little-endian machines; posters are opaque,
    # so the colour bytes are the pixel's: reversed to RGB, alpha dropped.
    bgra = np.frombuffer(cairo_surface.get_data(), np.uint8).reshape(h, cairo_surface.get_stride() // 4, 4)
    return Frame(w, h, np.ascontiguousarray(bgra[:, :w, 2::-1]).tobytes())


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
        image = picture.convert("RGB")
        picture = Frame(image.width, image.height, image.tobytes())
    png = fpng.from_bytes(picture.rgb, picture.width, picture.height, 3)
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
