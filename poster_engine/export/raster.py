"""Composed SVG → sRGB PNG bytes at an exact pixel size."""

from __future__ import annotations

import io
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


def render_rgb(svg: bytes, width: int, height: int):
    """Draw the SVG with cairo and hand the pixels to Pillow as an opaque RGB image."""
    import cairosvg.parser
    import cairosvg.surface
    from PIL import Image

    from . import glyphs, images  # noqa: F401  (importing them installs the fast handlers, once)

    tree = cairosvg.parser.Tree(bytestring=svg, unsafe=False)
    # Constructing the surface draws the tree; finish() (cairo's slow PNG writer) is never called.
    surface = cairosvg.surface.PNGSurface(tree, None, 96, output_width=width, output_height=height)
    cairo_surface = surface.cairo
    cairo_surface.flush()
    w, h = cairo_surface.get_width(), cairo_surface.get_height()
    stride = cairo_surface.get_stride()
    # cairo ARGB32 is premultiplied BGRA in memory on little-endian machines; posters are opaque.
    image = Image.frombuffer("RGBA", (w, h), bytes(cairo_surface.get_data()), "raw", "BGRA", stride, 1)
    return image.convert("RGB")


def svg_to_png(svg: bytes, width: int, height: int) -> bytes:
    return encode(render_rgb(svg, width, height), "png")


# Lossy qualities tried in turn until the file is under the platform's limit.
QUALITIES = (90, 85, 80, 70, 60, 50)


def encode(image, kind: str = "png", max_bytes: int | None = None) -> bytes:
    """An RGB image → PNG, JPEG or WebP bytes, sRGB ICC-tagged, under `max_bytes` if given.
    PNG is lossless: when it is too large, the caller is told (None is never returned silently)."""
    for quality in QUALITIES if kind != "png" else (None,):
        buf = io.BytesIO()
        if kind == "png":
            # Level 1: 4x faster than the default for ~10 % more bytes (measured in docs/performance.md §2).
            image.save(buf, "PNG", compress_level=1, icc_profile=srgb_profile())
        elif kind == "jpeg":
            image.save(buf, "JPEG", quality=quality, optimize=True, icc_profile=srgb_profile())
        else:
            image.save(buf, "WEBP", quality=quality, method=4, icc_profile=srgb_profile())
        if max_bytes is None or buf.tell() <= max_bytes:
            return buf.getvalue()
    raise TooLarge(buf.tell())


class TooLarge(Exception):
    def __init__(self, size: int):
        self.size = size
