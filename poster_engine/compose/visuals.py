"""Visual file + slot box → an SVG fragment that covers the box, cropped around a focal point."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from poster_engine.core.diagnostics import fail
from poster_engine.core.geometry import Box
from poster_engine.project.files import record_file
from poster_engine.project.svg import parse_svg


def cover_crop(src_w: float, src_h: float, box_w: float, box_h: float, focus: tuple[float, float]) -> Box:
    """The largest window of the source with the box's aspect ratio, centred on `focus` if it can be."""
    aspect = box_w / box_h
    if src_w / src_h > aspect:
        cw, ch = src_h * aspect, src_h
    else:
        cw, ch = src_w, src_w / aspect
    cx = min(max(focus[0] * src_w - cw / 2, 0.0), src_w - cw)
    cy = min(max(focus[1] * src_h - ch / 2, 0.0), src_h - ch)
    return cx, cy, cw, ch


def svg_visual(path: Path, shown: str, box: Box, focus: tuple[float, float]) -> str:
    """Nest the visual's SVG, its viewBox narrowed to the cover crop (so nothing is distorted)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read visual ({exc.strerror})", shown) from None
    root = parse_svg(raw, shown, "a visual")
    vb = (root.get("viewBox") or "").replace(",", " ").split()
    if len(vb) == 4:
        vx, vy, vw, vh = (float(v) for v in vb)
    else:
        try:
            vx, vy = 0.0, 0.0
            vw, vh = float(root.get("width", "").removesuffix("px")), float(root.get("height", "").removesuffix("px"))
        except ValueError:
            raise fail("the visual needs a viewBox (or numeric width and height)", shown) from None
    cx, cy, cw, ch = cover_crop(vw, vh, box[2], box[3], focus)
    inner = "".join(ET.tostring(child, encoding="unicode") for child in root)
    x, y, w, h = box
    return (
        f'<svg x="{x:.3f}" y="{y:.3f}" width="{w:.3f}" height="{h:.3f}" '
        f'viewBox="{vx + cx:.3f} {vy + cy:.3f} {cw:.3f} {ch:.3f}" preserveAspectRatio="none" '
        f'overflow="hidden">{inner}</svg>'
    )


def _to_srgb(im):
    """Pixels in sRGB: a photo tagged with another profile (Adobe RGB, CMYK…) is converted, not reinterpreted."""
    from PIL import ImageCms

    icc = im.info.get("icc_profile")
    if icc:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "sRGB" not in src.profile.profile_description:
            mode = im.mode if im.mode in ("RGB", "CMYK", "L") else "RGB"
            return ImageCms.profileToProfile(im.convert(mode), src, ImageCms.createProfile("sRGB"), outputMode="RGB")
    return im.convert("RGB")


def raster_visual(path: Path, shown: str, box: Box, focus: tuple[float, float], px_per_unit: float) -> str:
    """Crop and resample a photo to the pixels it will occupy, embedded as a JPEG data URI.

    `px_per_unit` is output pixels per layout unit (300 ppi on print, the image scale on screen).
    Memoised per (file version, crop, size): rebuilds and other languages reuse the work.
    """
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _raster_visual(path, mtime, shown, tuple(round(v, 3) for v in box), focus, round(px_per_unit, 4))


@lru_cache(maxsize=32)
def _raster_visual(path: Path, mtime: int, shown: str, box: Box, focus: tuple[float, float], px_per_unit: float) -> str:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            cx, cy, cw, ch = cover_crop(im.width, im.height, box[2], box[3], focus)
            target = (max(1, round(box[2] * px_per_unit)), max(1, round(box[3] * px_per_unit)))
            if target[0] > cw:  # never upsample: keep the source's pixels, the renderer scales them
                target = (max(1, round(cw)), max(1, round(ch)))
            # libjpeg can decode at 1/2, 1/4, 1/8 scale: ask for the scale that still covers the crop.
            reduce = min(im.width * target[0] / cw, im.height * target[1] / ch)
            before = im.size
            im.draft("RGB", (round(reduce), round(reduce * im.height / im.width)))
            k = im.width / before[0]
            cx, cy, cw, ch = cx * k, cy * k, cw * k, ch * k
            im = _to_srgb(ImageOps.exif_transpose(im) if im.getexif().get(0x0112) else im)
    except Image.DecompressionBombError as exc:  # the header claims more pixels than memory should hold
        raise fail(
            f"image refused: {str(exc).split(',')[0]} (a decompression bomb?); use a JPEG or PNG of normal size", shown
        ) from None
    except UnidentifiedImageError:
        raise fail("not an image Pillow can read; use a valid JPEG or PNG", shown) from None
    except OSError as exc:
        raise fail(f"cannot read image ({exc}); use a valid JPEG or PNG", shown) from None
    # Bicubic (antialiased when reducing): a third of Lanczos's time on an 8 Mpx photo.
    im = im.resize(target, Image.Resampling.BICUBIC, box=(cx, cy, cx + cw, cy + ch), reducing_gap=3.0)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    x, y, w, h = box
    return (
        f'<image x="{x:.3f}" y="{y:.3f}" width="{w:.3f}" height="{h:.3f}" preserveAspectRatio="none" '
        f'xlink:href="data:image/jpeg;base64,{data}"/>'
    )


def visual_svg(path: Path, shown: str, box: Box, focus: tuple[float, float], px_per_unit: float) -> str:
    record_file(path)
    if path.suffix.lower() == ".svg":
        return svg_visual(path, shown, box, focus)
    return raster_visual(path, shown, box, focus, px_per_unit)
