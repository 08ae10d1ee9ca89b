"""Visual file + slot box → an SVG fragment that covers the box, cropped around a focal point."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import quoteattr

from poster_engine.core.diagnostics import fail
from poster_engine.core.geometry import Box
from poster_engine.core.limits import MAX_SVG_BYTES
from poster_engine.project.designer_svg import parse_svg_tree
from poster_engine.project.files import file_digest, record_file, record_listing
from poster_engine.project.fonts import FontLibrary
from poster_engine.project.paths import PathProblem, read_file
from poster_engine.project.svg import tag, view_box
from poster_engine.project.workcache import cached, source_digest


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


# Attributes of a visual's root <svg> that set up its viewport, which ours replaces (or that only
# describe the document): everything else on the root is kept for its content.
_VIEWPORT_ATTRS = frozenset(
    ("x", "y", "width", "height", "viewBox", "preserveAspectRatio", "overflow", "clip", "version", "baseProfile")
)


# A selector in a <style> sheet (what comes before its `{`), a class or id in one, a reference to an id.
_SELECTORS = re.compile(r"([^{}]*)(\{[^{}]*\})")
_NAME_IN_SELECTOR = re.compile(r"([.#])(-?[_a-zA-Z][\w-]*)")
_ID_REF = re.compile(r"(url\(\s*['\"]?#)([^'\")\s]+)")


def own_names(root: ET.Element, scope: str) -> None:
    """A visual is nested in the poster's document, beside the layout and maybe other visuals, where
    cairosvg applies every <style> sheet to every element and takes the first of two elements with
    one id. Illustrator names every file's gradients SVGID_1_, SVGID_2_… and its classes st0, st1…:
    a layout and a visual both from Illustrator would paint each other's shapes. So the visual's
    ids and classes get `scope` before them (references and sheets followed), and each selector of
    its sheets is kept to elements under `scope` (the nested <svg>'s class), type selectors too."""
    ids = {el.get("id", "") for el in root.iter() if el.get("id")}

    def ref(found: re.Match[str]) -> str:
        return found.group(1) + (f"{scope}-{found.group(2)}" if found.group(2) in ids else found.group(2))

    def selectors(found: re.Match[str]) -> str:
        named = _NAME_IN_SELECTOR.sub(lambda n: f"{n.group(1)}{scope}-{n.group(2)}", found.group(1))
        parts = [p.strip() for p in named.split(",")]
        scoped = ", ".join(p if not p or p.startswith("@") else f".{scope} {p}" for p in parts)
        return scoped + _ID_REF.sub(ref, found.group(2))

    for el in root.iter():
        for key, value in el.attrib.items():
            local = key.rsplit("}", 1)[-1]
            if local == "id":
                el.set(key, f"{scope}-{value}")
            elif local == "class":
                el.set(key, " ".join(f"{scope}-{c}" for c in value.split()))
            elif local == "href" and value.startswith("#") and value[1:] in ids:
                el.set(key, f"#{scope}-{value[1:]}")
            elif "url(" in value:
                el.set(key, _ID_REF.sub(ref, value))
        if tag(el) == "style" and el.text:
            el.text = _SELECTORS.sub(selectors, el.text)


def svg_visual(path: Path, shown: str, box: Box, focus: tuple[float, float], fonts: FontLibrary | None = None) -> str:
    """Nest the visual's SVG, its viewBox narrowed to the cover crop (so nothing is distorted); its
    designer's text drawn with `fonts` (the project's fonts/), whose files the job then depends on."""
    raw = read_file(path, MAX_SVG_BYTES)  # never more than the bound is read
    if isinstance(raw, PathProblem):
        raise raw.error(shown, "simplify it, or use a PNG or JPEG" if raw.kind == "too-large" else None)
    tree = parse_svg_tree(raw, shown, "a visual", fonts)
    if tree.fonts:
        record_listing("fonts")
        for font in tree.fonts:
            record_file(font)
    root = tree.root
    found = view_box(root)
    if found is None:
        raise fail(
            "the visual needs a viewBox of four numbers with a positive width and height, e.g. "
            "viewBox='0 0 800 600' (or a width and height in px, mm, cm, in or pt)",
            shown,
            tree.line(root),
        )
    vx, vy, vw, vh = found
    cx, cy, cw, ch = cover_crop(vw, vh, box[2], box[3], focus)
    scope = "pe-v" + hashlib.sha1(shown.encode()).hexdigest()[:8]
    own_names(root, scope)
    inner = "".join(ET.tostring(child, encoding="unicode") for child in root)
    # What the root says about its content (opacity, fill="none" as Figma exports, style, class…)
    # applies to it still: on a group inside our viewport, which replaces the root's own.
    kept = {k: v for k, v in root.attrib.items() if not k.startswith("{") and k not in _VIEWPORT_ATTRS}
    if kept:
        inner = "<g " + " ".join(f"{k}={quoteattr(v)}" for k, v in kept.items()) + f">{inner}</g>"
    x, y, w, h = box
    return (
        f'<svg class="{scope}" x="{x:.3f}" y="{y:.3f}" width="{w:.3f}" height="{h:.3f}" '
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


def _eight_bit(im, shown: str):
    """A grey picture of 16 bits a sample (scanners, scientific and RAW tools write them) as 8 bits:
    Pillow converts it to RGB by clipping every value above 255, so all but the darkest 0.4 % of
    greys came out white. Floating-point samples have no agreed range: refused."""
    if im.mode == "F":
        raise fail(
            "image has floating-point samples (an HDR or scientific export), whose brightness has no "
            "agreed range; export it as an 8 or 16-bit PNG or JPEG",
            shown,
        )
    if not im.mode.startswith("I"):
        return im
    import numpy as np
    from PIL import Image

    samples = np.asarray(im, dtype=np.int64)
    out = Image.fromarray((np.clip(samples, 0, 65535) // 257).astype(np.uint8), "L")
    out.info.update(im.info)  # its ICC profile, if it has one
    return out


def _alpha(im):
    """The source's alpha as an L image (RGBA, LA, a palette or grey with tRNS, WebP with alpha), or
    None when it has none or every pixel is opaque (an RGBA export of an opaque picture stays a photo)."""
    if not im.has_transparency_data:
        return None
    alpha = im.convert("RGBA").getchannel("A")
    return None if alpha.getextrema()[0] == 255 else alpha


def raster_visual(path: Path, shown: str, box: Box, focus: tuple[float, float], px_per_unit: float) -> str:
    """Crop and resample a picture to the pixels it will occupy, embedded as a data URI: a JPEG when
    it is opaque (the photo path: passed through to PDF, decoded at size for images,
    docs/performance.md §3–§4), a PNG with its alpha when some of the crop is transparent.

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
    """The placed picture, from the work cache when any process or run made it already (keyed by
    the file's bytes, the placement and the code and Pillow that make it)."""
    import PIL

    key = (file_digest(path), box, focus, px_per_unit, PIL.__version__, source_digest(__file__))
    if key[0] is None:  # unreadable: the error comes from making it
        return _place_raster(path, shown, box, focus, px_per_unit)
    return cached("visual", key, lambda: _place_raster(path, shown, box, focus, px_per_unit).encode()).decode()


def _place_raster(path: Path, shown: str, box: Box, focus: tuple[float, float], px_per_unit: float) -> str:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            # The crop is chosen on the picture as shown: an EXIF quarter turn (orientations 5-8)
            # swaps its width and height.
            turned = im.getexif().get(0x0112) in (5, 6, 7, 8)
            width, height = (im.height, im.width) if turned else im.size
            cx, cy, cw, ch = cover_crop(width, height, box[2], box[3], focus)
            target = (max(1, round(box[2] * px_per_unit)), max(1, round(box[3] * px_per_unit)))
            if target[0] > cw:  # never upsample: keep the source's pixels, the renderer scales them
                target = (max(1, round(cw)), max(1, round(ch)))
            # libjpeg can decode at 1/2, 1/4, 1/8 scale: ask for the scale that still covers the crop.
            reduce = min(width * target[0] / cw, height * target[1] / ch)
            request = (round(reduce), round(reduce * height / width))
            im.draft("RGB", request[::-1] if turned else request)
            k = (im.height if turned else im.width) / width
            cx, cy, cw, ch = cx * k, cy * k, cw * k, ch * k
            picture = ImageOps.exif_transpose(im) if im.getexif().get(0x0112) else im
            picture = _eight_bit(picture, shown)
            alpha = _alpha(picture)
            picture = _to_srgb(picture if alpha is None else picture.convert("RGBA"))  # a palette's alpha is per entry
    except Image.DecompressionBombError as exc:  # the header claims more pixels than memory should hold
        raise fail(
            f"image refused: {str(exc).split(',')[0]} (a decompression bomb?); use a JPEG or PNG of normal size", shown
        ) from None
    except UnidentifiedImageError:
        raise fail("not an image Pillow can read; use a valid JPEG or PNG", shown) from None
    except OSError as exc:
        raise fail(f"cannot read image ({exc}); use a valid JPEG or PNG", shown) from None
    crop = (cx, cy, cx + cw, cy + ch)
    buf = io.BytesIO()
    if alpha is not None:
        # Resampled premultiplied ("RGBa"): the colour of hidden pixels must not bleed into the edges.
        picture.putalpha(alpha)
        picture = (
            picture.convert("RGBa").resize(target, Image.Resampling.BICUBIC, box=crop, reducing_gap=3.0).convert("RGBA")
        )
        if picture.getchannel("A").getextrema()[0] < 255:
            # Level 1: this PNG is read once by cairo, in the same process (docs/performance.md §3).
            picture.save(buf, "PNG", compress_level=1)
            kind = "png"
        else:  # transparent only outside the crop: an opaque picture, the photo path
            picture.convert("RGB").save(buf, "JPEG", quality=90)
            kind = "jpeg"
    else:
        # Bicubic (antialiased when reducing): a third of Lanczos's time on an 8 Mpx photo.
        picture = picture.resize(target, Image.Resampling.BICUBIC, box=crop, reducing_gap=3.0)
        picture.save(buf, "JPEG", quality=90)
        kind = "jpeg"
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    x, y, w, h = box
    return (
        f'<image x="{x:.3f}" y="{y:.3f}" width="{w:.3f}" height="{h:.3f}" preserveAspectRatio="none" '
        f'xlink:href="data:image/{kind};base64,{data}"/>'
    )


def visual_svg(
    path: Path, shown: str, box: Box, focus: tuple[float, float], px_per_unit: float, fonts: FontLibrary | None = None
) -> str:
    record_file(path)
    if path.suffix.lower() == ".svg":
        return svg_visual(path, shown, box, focus, fonts)
    return raster_visual(path, shown, box, focus, px_per_unit)
