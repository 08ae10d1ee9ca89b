#!/usr/bin/env python3
"""Generate the Ashworth Repair Café's three visuals, from scratch, deterministically (CC0).

Each one exercises a way pictures arrive from a team, as the engine must take them:

  workbench.jpg  a photo-like workbench seen from above (planks, a screwdriver, a lamp being
                 mended, screws) stored on its side with an EXIF Orientation of 6, as a phone
                 held upright saves it: viewers turn it upright, so must the engine;
  kettle.png     a kettle cut out on a transparent background (RGBA, soft shadow in partial
                 alpha), as an illustrator exports a cut-out;
  threads.jpg    a photo-like darned jumper with spools of thread, a CMYK JPEG carrying the
                 FOGRA39 profile (ISO Coated v2 300 %, shipped with the engine), as a print
                 shop's photo library delivers it.

Only numpy and Pillow, fixed seeds: the same files every time.

Usage: python3 examples/repair-cafe/visuals/make_visuals.py [OUTPUT_DIR]   (default: beside this file)
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFilter

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
ICC = Path(__file__).resolve().parents[3] / "poster_engine/export/print/icc/ISOcoated_v2_300_bas.icc"


def noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Smooth value noise in 0..1: a coarse random grid enlarged bicubically."""
    small = rng.random((h // cell + 2, w // cell + 2))
    img = Image.fromarray((small * 255).astype(np.uint8)).resize((w + 2 * cell, h + 2 * cell), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32)[cell : cell + h, cell : cell + w] / 255


def fbm(rng: np.random.Generator, h: int, w: int, cells=(400, 160, 60, 20)) -> np.ndarray:
    out = sum(noise(rng, h, w, c) * 0.5**i for i, c in enumerate(cells))
    return out / sum(0.5**i for i in range(len(cells)))


def shadow(mask: Image.Image, dx: int, dy: int, blur: float) -> np.ndarray:
    """A soft cast shadow (0..1) of a shape mask, offset away from the light."""
    moved = Image.new("L", mask.size)
    moved.paste(mask, (dx, dy))
    return np.asarray(moved.filter(ImageFilter.GaussianBlur(blur)), dtype=np.float32) / 255


def finish(rgb: np.ndarray, rng: np.random.Generator, vignette: float = 0.35, grain: float = 4.0) -> Image.Image:
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    rgb = rgb * (1 - vignette * np.clip(r2 / 2, 0, 1))[..., None]
    rgb = rgb + rng.normal(0, grain, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def paint(rgb: np.ndarray, mask: Image.Image, color, shade: np.ndarray | None = None) -> np.ndarray:
    a = (np.asarray(mask, dtype=np.float32) / 255)[..., None]
    layer = np.array(color, np.float32) * (1 if shade is None else shade[..., None])
    return rgb * (1 - a) + layer * a


def workbench() -> Image.Image:
    """3500 × 3100 as seen: oak planks, a desk lamp on its back, a screwdriver, screws."""
    rng = np.random.default_rng(1406)
    w, h = 3500, 3100
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    warp = fbm(rng, h, w) * 40
    plank = (yy // 560).astype(int)
    grain = np.sin((yy + warp * 3 + plank * 97) / 9.0 + fbm(rng, h, w, (90, 30)) * 6) * 0.5 + 0.5
    tone = 0.78 + 0.22 * rng.random(6)[plank]
    wood = np.stack([176 + 40 * grain, 122 + 30 * grain, 74 + 18 * grain], axis=-1) * tone[..., None]
    seam = np.abs((yy % 560) - 2) < 4
    wood[seam] *= 0.45
    light = 1.05 - 0.35 * (xx / w) * 0.6 - 0.25 * (yy / h)  # a window on the upper left
    rgb = wood * light[..., None]

    shapes = Image.new("L", (w, h))
    lamp = Image.new("L", (w, h))
    ld = ImageDraw.Draw(lamp)
    ld.ellipse((1700, 700, 2700, 1700), fill=255)  # the lamp's shade, seen from above
    ld.rounded_rectangle((1080, 1120, 1760, 1280), 60, fill=255)  # its arm
    ld.ellipse((700, 1000, 1150, 1400), fill=255)  # its base
    driver = Image.new("L", (w, h))
    dd = ImageDraw.Draw(driver)
    dd.rounded_rectangle((520, 2050, 1250, 2250), 90, fill=255)  # handle
    dd.rectangle((1250, 2125, 2150, 2175), fill=255)  # shaft
    for m in (lamp, driver):
        shapes.paste(255, mask=m)
    d = ImageDraw.Draw(shapes)
    for _ in range(14):  # screws and washers
        cx, cy = rng.integers(2300, 3100), rng.integers(1900, 2650)
        r = int(rng.integers(28, 55))
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    rgb = rgb * (1 - 0.55 * shadow(shapes, 45, 60, 28))[..., None]
    shade = 0.75 + 0.45 * (1 - np.clip(np.hypot(xx - 2050, yy - 1050) / 600, 0, 1))
    rgb = paint(rgb, lamp, (44, 110, 99), shade)
    rgb = paint(rgb, _disc(w, h, 2200, 1200, 210), (250, 236, 190))  # the bulb
    handle = 0.8 + 0.3 * np.clip(1 - np.abs(yy - 2120) / 110, 0, 1)
    rgb = paint(rgb, _crop(driver, (0, 0, 1250, h)), (232, 84, 43), handle)
    rgb = paint(rgb, _crop(driver, (1250, 0, w, h)), (190, 196, 204), handle)
    metal = shapes.copy()  # the screws: what is neither the lamp nor the screwdriver
    for m in (lamp, driver):
        metal.paste(0, mask=m)
    rgb = paint(rgb, metal, (168, 170, 172), 0.85 + 0.3 * fbm(rng, h, w, (40, 12)))
    return finish(rgb, rng).filter(ImageFilter.GaussianBlur(1.2))


def _disc(w: int, h: int, cx: int, cy: int, r: int) -> Image.Image:
    m = Image.new("L", (w, h))
    ImageDraw.Draw(m).ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    return m


def _crop(mask: Image.Image, box) -> Image.Image:
    out = Image.new("L", mask.size)
    out.paste(mask.crop(box), box[:2])
    return out


def kettle() -> Image.Image:
    """1800 × 1800 RGBA: a red enamel kettle, transparent around it, its shadow in partial alpha."""
    n = 1800
    s = 2  # drawn at twice the size, then reduced: smooth edges
    big = n * s
    body, lid, knob, spout, handle = (Image.new("L", (big, big)) for _ in range(5))
    ImageDraw.Draw(body).rounded_rectangle((700, 1500, 2900, 3200), 500, fill=255)
    ImageDraw.Draw(body).ellipse((650, 1150, 2950, 2300), fill=255)
    ImageDraw.Draw(lid).ellipse((1150, 1000, 2450, 1450), fill=255)
    ImageDraw.Draw(knob).ellipse((1600, 820, 2000, 1120), fill=255)
    ImageDraw.Draw(spout).polygon([(2750, 2150), (3250, 1550), (3380, 1640), (2950, 2700)], fill=255)
    ImageDraw.Draw(handle).arc((1000, 250, 2600, 1700), 190, 350, fill=255, width=170)
    yy, xx = np.mgrid[0:big, 0:big].astype(np.float32)
    light = np.clip(1.25 - np.hypot(xx - 1300, yy - 1500) / 2400, 0.45, 1.25)
    rgb = np.zeros((big, big, 3), np.float32)
    alpha = np.zeros((big, big), np.float32)
    floor = Image.new("L", (big, big))
    ImageDraw.Draw(floor).ellipse((500, 3000, 3300, 3450), fill=255)
    floor_a = np.asarray(floor.filter(ImageFilter.GaussianBlur(90)), np.float32) / 255 * 0.45
    alpha = np.maximum(alpha, floor_a)  # the shadow: black at partial opacity
    for mask, color in (
        (handle, (40, 40, 44)),
        (spout, (196, 42, 36)),
        (body, (208, 48, 40)),
        (lid, (222, 66, 52)),
        (knob, (40, 40, 44)),
    ):
        a = np.asarray(mask, np.float32) / 255
        rgb = rgb * (1 - a[..., None]) + (np.array(color, np.float32) * light[..., None]) * a[..., None]
        alpha = np.maximum(alpha, a)
    gleam = _disc(big, big, 1150, 1900, 160).filter(ImageFilter.GaussianBlur(60))
    g = np.asarray(gleam, np.float32)[..., None] / 255 * 0.7
    rgb = rgb * (1 - g) + 255 * g
    # Hidden pixels keep black colour, as editors save them: only alpha says they are not there.
    rgba = np.dstack([np.clip(rgb, 0, 255), alpha * 255]).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA").resize((n, n), Image.LANCZOS)


def threads() -> Image.Image:
    """3500 × 3100: a navy jumper's knit with a colourful darn, three spools of thread beside it."""
    rng = np.random.default_rng(2506)
    w, h = 3500, 3100
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    knit = (np.sin(xx / 12.0 + np.sin(yy / 18.0) * 2.2) * 0.5 + 0.5) * (np.sin(yy / 20.0) * 0.25 + 0.75)
    base = np.stack([30 + 40 * knit, 48 + 52 * knit, 92 + 70 * knit], axis=-1)
    rgb = base * (0.85 + 0.3 * fbm(rng, h, w, (300, 80)))[..., None]
    darn = Image.new("L", (w, h))
    d = ImageDraw.Draw(darn)
    for i in range(0, 900, 26):  # the warp of the darn, then its weft
        d.line((700 + i, 700, 700 + i, 1600), fill=255, width=14)
    rgb = paint(rgb, darn, (236, 178, 52), 0.8 + 0.3 * knit)
    weft = Image.new("L", (w, h))
    d = ImageDraw.Draw(weft)
    for j in range(0, 900, 26):
        d.line((700, 700 + j, 1600, 700 + j), fill=255, width=12)
    rgb = paint(rgb, weft, (222, 92, 70), 0.8 + 0.3 * knit)
    for k, (cx, color) in enumerate(((2100, (240, 200, 60)), (2500, (220, 80, 60)), (2880, (80, 160, 140)))):
        spool = Image.new("L", (w, h))
        sd = ImageDraw.Draw(spool)
        top = 1450 + 90 * k
        sd.rectangle((cx - 150, top, cx + 150, top + 900), fill=255)
        rgb = rgb * (1 - 0.5 * shadow(spool, 60, 40, 30))[..., None]
        wind = 0.75 + 0.25 * np.sin(yy / 4.0) * 0.5 + 0.35 * np.clip(1 - np.abs(xx - cx + 50) / 160, 0, 1)
        rgb = paint(rgb, spool, color, wind)
        ends = Image.new("L", (w, h))
        ed = ImageDraw.Draw(ends)
        ed.rectangle((cx - 175, top - 40, cx + 175, top + 10), fill=255)
        ed.rectangle((cx - 175, top + 890, cx + 175, top + 940), fill=255)
        rgb = paint(rgb, ends, (205, 170, 120))
    return finish(rgb, rng, grain=2.5).filter(ImageFilter.GaussianBlur(1.6))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    photo = workbench()
    # Stored on its side, as a phone saves a portrait shot: Orientation 6 = turn 90° clockwise to view.
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.transpose(Image.Transpose.ROTATE_90).save(OUT / "workbench.jpg", quality=85, exif=exif.tobytes())
    kettle().save(OUT / "kettle.png", optimize=True)
    srgb = ImageCms.createProfile("sRGB")
    cmyk = ImageCms.ImageCmsProfile(io.BytesIO(ICC.read_bytes()))
    to_cmyk = ImageCms.buildTransform(srgb, cmyk, "RGB", "CMYK", ImageCms.Intent.RELATIVE_COLORIMETRIC)
    ImageCms.applyTransform(threads(), to_cmyk).save(OUT / "threads.jpg", quality=72, icc_profile=ICC.read_bytes())
    for name in ("workbench.jpg", "kettle.png", "threads.jpg"):
        with Image.open(OUT / name) as im:
            print(f"{name}: {im.mode} {im.size}, {(OUT / name).stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
