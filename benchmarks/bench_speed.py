"""Speed against references: this engine, plain cairosvg, rsvg-convert and the cairo floor.

Usage: python benchmarks/bench_speed.py [--repeat N]

Cases (medians of N interleaved runs, ratios taken within the same run):
1. Social image 1080 × 1350 of the demo poster with a photo, from composed poster to encoded PNG:
   - engine: poster_engine.export.raster.svg_to_png on the composed SVG;
   - floor: the same poster drawn directly on a cairo surface from the composition (rects, glyph
     outlines, QR, photo) + the same encoder (fpng, export/raster.py);
   - plain cairosvg (its own image handling) + the same encoder; rsvg-convert on the same SVG file.
2. A3 print PDF with the photo, CMYK prepress included: cold (photo work not memoised) and warm
   (memoised, as in a rebuild or another language), file size against the photo's JPEG + vectors.
3. Start-up of `poster --help` and `poster list`.
4. A0 print PDF: peak memory of a fresh process.
"""

from __future__ import annotations

import argparse
import base64
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHOTO_POSTER = "film-sang-et-boue"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


_FLOOR_GLYPHS: dict = {}


def floor_render(comp, width: int, height: int):
    """The composed poster drawn straight onto a cairo image surface (no SVG): the floor."""
    import cairocffi as cairo
    from cairocffi.context import _encode_path
    from fontTools.pens.cairoPen import CairoPen
    from PIL import Image

    from poster_engine.export.images import _jpeg_surface_for_pixels

    surface = cairo.ImageSurface(cairo.FORMAT_RGB24, width, height)
    ctx = cairo.Context(surface)
    lay = comp.layout
    ctx.scale(lay.scale, lay.scale)
    colors = comp.poster.spec.colors

    def rgb(hexcode: str) -> tuple[float, ...]:
        return tuple(int(hexcode[i : i + 2], 16) / 255 for i in (1, 3, 5))

    for layer in lay.layers:
        if hasattr(layer, "svg"):  # decoration: our layouts' decorations are rects
            for m in re.finditer(r'(?:translate\(0 ([-\d.]+)\)">)?<rect ([^>]*)/>', layer.svg):
                attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(2)))
                fill = attrs.get("fill") or getattr(colors, attrs.get("class", "fill-text")[5:], "#000000")
                ctx.set_source_rgba(*rgb(fill), float(attrs.get("opacity", 1)))
                dy = float(m.group(1) or 0)
                ctx.rectangle(
                    float(attrs.get("x", 0)),
                    float(attrs.get("y", 0)) + dy,
                    float(attrs["width"]),
                    float(attrs["height"]),
                )
                ctx.fill()
            continue
        if layer.kind == "visual" and comp.poster.spec.visual:
            # Same input as the engine: the photo as compose placed it (cropped, resampled JPEG).
            x, y, w, h = layer.box
            jpeg = base64.b64decode(re.search(rb'href="data:image/jpeg;base64,([^"]+)"', comp.svg).group(1))
            image = _jpeg_surface_for_pixels(jpeg, (round(w * lay.scale), round(h * lay.scale)))
            ctx.save()
            ctx.translate(x, y)
            ctx.scale(w / image.get_width(), h / image.get_height())
            ctx.set_source_surface(image)
            ctx.paint()
            ctx.restore()
    color = {"text": colors.text, "accent": colors.accent}
    paths = _FLOOR_GLYPHS  # glyph outlines cached across runs, as the engine's are
    for name, block in comp.blocks.items():
        slot = next(s for s in lay.slots if s.name == name)
        ctx.set_source_rgb(*rgb(color.get(slot.rules.get("color", "text"), colors.text)))
        for g in block.glyphs:
            key = (g.font.name, g.gid)
            if key not in paths:  # each glyph outline built once, as a cairo path in font units
                ctx.save()
                ctx.identity_matrix()
                ctx.new_path()
                glyph_set, order = g.font._glyphs  # fontTools' glyph set, parsed when first drawn
                glyph_set[order[g.gid]].draw(CairoPen(glyph_set, ctx))
                paths[key] = _encode_path(ctx.copy_path())  # cairo's encoded path: one C call to append
                ctx.new_path()
                ctx.restore()
            ctx.save()
            ctx.translate(g.x, g.y)
            ctx.scale(g.scale, -g.scale)
            cairo.cairo.cairo_append_path(ctx._pointer, paths[key][0])
            ctx.restore()
        ctx.fill()
    for q in comp.qrs.values():
        x, y, side, _ = q.box
        ctx.set_source_rgb(1, 1, 1)
        ctx.rectangle(x, y, side, side)
        ctx.fill()
        module = side / q.code.total_modules
        ctx.set_source_rgb(0, 0, 0)
        for mx, my, run in re.findall(r"M(\d+) (\d+)h(\d+)", q.code.path):
            ctx.rectangle(x + (4 + int(mx)) * module, y + (4 + int(my)) * module, int(run) * module, module)
        ctx.fill()
    surface.flush()
    return Image.frombuffer(
        "RGBA", (width, height), bytes(surface.get_data()), "raw", "BGRA", surface.get_stride(), 1
    ).convert("RGB")


def encode_png(image) -> bytes:
    """The engine's own PNG encoder (fpng, sRGB-tagged): the floor pays what the engine pays."""
    from poster_engine.export.raster import encode

    return encode(image, "png")


def timed(fn, samples: list[float]):
    t0 = time.perf_counter()
    result = fn()
    samples.append(time.perf_counter() - t0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    import cairosvg

    from poster_engine.compose import visuals
    from poster_engine.compose.document import compose
    from poster_engine.export.images import stock_cairosvg
    from poster_engine.export.pdf import svg_to_pdf
    from poster_engine.export.print import prepress
    from poster_engine.export.print.prepress import make_print_pdf
    from poster_engine.export.raster import render_rgb, svg_to_png
    from poster_engine.plan import plan_jobs
    from poster_engine.project.loader import open_project

    ws = open_project(ROOT)
    campaign = ws.campaign
    poster = campaign.posters[PHOTO_POSTER]
    (social,) = plan_jobs(ws, [PHOTO_POSTER], ["instagram"])
    (a3,) = plan_jobs(ws, [PHOTO_POSTER], ["a3"])
    comp = compose(ws, poster, social.format)
    tmp = Path(tempfile.mkdtemp())
    (tmp / "social.svg").write_bytes(comp.svg)
    rsvg = subprocess.run(["which", "rsvg-convert"], capture_output=True, text=True).stdout.strip()

    # 1. social image --------------------------------------------------------------------------
    t_engine, t_floor, t_plain, t_rsvg = [], [], [], []
    for _ in range(args.repeat):
        timed(lambda: svg_to_png(comp.svg, 1080, 1350), t_engine)
        timed(lambda: encode_png(floor_render(comp, 1080, 1350)), t_floor)
        with stock_cairosvg():
            timed(lambda: encode_png(render_rgb(comp.svg, 1080, 1350)), t_plain)
        if rsvg:
            timed(
                lambda: subprocess.run(
                    [rsvg, "-w", "1080", "-h", "1350", "-o", str(tmp / "r.png"), str(tmp / "social.svg")], check=True
                ),
                t_rsvg,
            )
    e, f = median_ms(t_engine), median_ms(t_floor)
    print(
        f"1. Social PNG 1080×1350 with a photo ({PHOTO_POSTER}), composed SVG → encoded file, median of {args.repeat}:"
    )
    print(f"   engine                 {e:7.0f} ms")
    print(f"   floor (direct cairo)   {f:7.0f} ms   engine/floor {e / f:.2f}  (target ≤ 1.5)")
    print(f"   plain cairosvg         {median_ms(t_plain):7.0f} ms   engine is {median_ms(t_plain) / e:.1f}× faster")
    if rsvg:
        print(f"   rsvg-convert           {median_ms(t_rsvg):7.0f} ms   engine is {median_ms(t_rsvg) / e:.1f}× faster")

    # 2. A3 print PDF with the photo -------------------------------------------------------------
    fmt = a3.format

    def print_pdf() -> bytes:
        c = compose(ws, poster, fmt)
        return make_print_pdf(
            svg_to_pdf(c.svg), (fmt.width, fmt.height), fmt.bleed_mm, c.title, ws.timestamp, ws.print_settings
        )

    cold, warm = [], []
    for _ in range(max(3, args.repeat // 2)):
        visuals._raster_visual.cache_clear()
        prepress._CMYK_JPEGS.clear()
        timed(print_pdf, cold)
    for _ in range(args.repeat):
        pdf = timed(print_pdf, warm)
    c = compose(ws, poster, fmt)
    plain_pdf = []
    for _ in range(3):
        with stock_cairosvg():
            timed(lambda: cairosvg.svg2pdf(bytestring=c.svg), plain_pdf)
    # "Vector content": the same print PDF with the visual slot left empty.
    no_photo = c.svg.replace(re.search(rb"<image [^>]*/>", c.svg).group(0), b"")
    vector = make_print_pdf(
        svg_to_pdf(no_photo), (fmt.width, fmt.height), fmt.bleed_mm, "t", ws.timestamp, ws.print_settings
    )
    photo = (ROOT / poster.spec.visual).stat().st_size
    print("\n2. A3 print PDF with the photo, compose + render + CMYK prepress:")
    print(f"   cold (photo decoded, resampled, converted)   {median_ms(cold):7.0f} ms")
    print(f"   warm (photo work memoised)                   {median_ms(warm):7.0f} ms   (target ≤ 250)")
    print(f"   plain cairosvg svg2pdf alone (RGB, Flate)    {median_ms(plain_pdf):7.0f} ms")
    print(
        f"   size {len(pdf) / 1e6:.2f} MB = {len(pdf) / (photo + len(vector)):.2f} × (photo JPEG {photo / 1e6:.2f} MB"
        f" + vector-only print PDF {len(vector) / 1e6:.2f} MB, of which ICC profile ~0.8 MB)  (target ≤ 1.5)"
    )

    # 3. start-up -----------------------------------------------------------------------------
    print("\n3. Start-up (new process, median of 5):")
    for cmd in (["--help"], ["list"]):
        samples = []
        for _ in range(5):
            timed(
                lambda cmd=cmd: subprocess.run(
                    [sys.executable, "-m", "poster_engine", *cmd], cwd=ROOT, check=True, capture_output=True
                ),
                samples,
            )
        print(f"   poster {' '.join(cmd):<8} {median_ms(samples):5.0f} ms   (target ≤ 300)")

    # 4. A0 memory ----------------------------------------------------------------------------
    out = tmp / "a0.pdf"
    run = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            sys.executable,
            "-m",
            "poster_engine",
            "render",
            PHOTO_POSTER,
            "-f",
            "a0",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if run.returncode == 0:
        print(
            f"\n4. A0 print PDF with the photo: peak RSS {int(run.stderr.split()[-1]) / 1024:.0f} MB "
            f"(target ≤ 500), {out.stat().st_size / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
