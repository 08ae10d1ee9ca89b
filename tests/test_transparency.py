"""Transparency kept: alpha in raster visuals, opacity in templates and SVG visuals, in PNG and print PDF.

Pictures with alpha (RGBA, grey + alpha, palette + tRNS PNGs, WebP) reach the outputs as PNG data
URIs: transparent pixels show what the layout paints beneath (read back with Pillow), and the print
PDF carries the colour image (CMYK JPEG, ink-limited) with its /SMask (read back with pikepdf,
rendered by Ghostscript). Opaque pictures, JPEG or not, keep the photo path (JPEG passthrough),
CMYK JPEGs and EXIF-rotated photos included. SVG `opacity`, `fill-opacity` and group opacity are
measured where they blend with a known colour.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image, ImageDraw

from poster_engine.compose.document import Composition
from poster_engine.core.color import delta_e_2000, srgb_to_lab
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import Project, open_project
from poster_engine.render.job import compose_job, export_job

FILM_BACKGROUND = (0xF4, 0xF1, 0xEA)  # posters/film-sang-et-boue.yaml colors.background, under the visual slot
STAT_BACKGROUND = (0xFF, 0xD4, 0x00)  # posters/stat-cobalt.yaml colors.background
ORANGE = (0xFF, 0x5A, 0x36)  # a brand colour: CMYK 0/75/80/0 verbatim in print (project.yaml)
ORANGE_CMYK = np.array([0, 0.75, 0.80, 0]) * 255
VIOLET = (40, 20, 90)  # a dark colour: ink close to the limit
HALF = 128

# Raster visuals: three vertical stripes, transparent | opaque orange | violet at half alpha. The
# slot is wider than the square picture, so the crop keeps its whole width: the stripes are at
# 1/6, 1/2 and 5/6 of the slot.
STRIPES = (1 / 6, 1 / 2, 5 / 6)


def stripes_rgba(size: int = 300) -> Image.Image:
    im = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    im.paste((*ORANGE, 255), (size // 3, 0, 2 * size // 3, size))
    im.paste((*VIOLET, HALF), (2 * size // 3, 0, size, size))
    return im


def stripes_la(size: int = 300) -> Image.Image:
    im = Image.new("LA", (size, size), (0, 0))
    im.paste((60, 255), (size // 3, 0, 2 * size // 3, size))
    im.paste((200, HALF), (2 * size // 3, 0, size, size))
    return im


def stripes_palette(size: int = 300) -> Image.Image:
    im = Image.new("P", (size, size), 0)
    im.putpalette([0, 0, 0, *ORANGE, *VIOLET])
    im.paste(1, (size // 3, 0, 2 * size // 3, size))
    im.paste(2, (2 * size // 3, 0, size, size))
    im.info["transparency"] = bytes([0, 255, HALF])  # tRNS: one alpha per palette entry
    return im


ICC = ROOT / "poster_engine" / "export" / "print" / "icc"


def noise(size: int = 300) -> Image.Image:
    """An opaque picture with detail (a flat one would resample the same by any route)."""
    return Image.fromarray(np.random.default_rng(13).integers(0, 256, (size, size, 3), dtype=np.uint8), "RGB")


def disc(size: int = 600) -> Image.Image:
    """An orange disc on transparency: a mask edge at every angle."""
    im = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((size // 6, size // 6, 5 * size // 6, 5 * size // 6), fill=(*ORANGE, 255))
    return im


def cmyk_photo() -> Image.Image:
    """A CMYK JPEG as print workflows save them (tagged with its profile): cyan | paper white."""
    im = Image.new("CMYK", (400, 300), (0, 0, 0, 0))
    im.paste((255, 0, 0, 0), (0, 0, 200, 300))
    return im


def grey16() -> Image.Image:
    """A grey ramp of 16 bits a sample, black on the left to white on the right (Pillow: mode I;16)."""
    return Image.fromarray(np.tile(np.linspace(0, 65535, 400), (300, 1)).astype(np.uint16))


LAB_BYTES = (153, 108, 188)  # Pillow's LAB bytes: L* 60, a* -20, b* 60 (an olive green)


def turned_photo() -> Image.Image:
    """Stored landscape, red above blue; shown turned a quarter clockwise: blue left, red right."""
    im = Image.new("RGB", (400, 300), (220, 20, 20))
    im.paste((20, 20, 220), (0, 150, 400, 300))
    return im


# SVG visual: horizontal bands (the crop keeps the whole height), under a root opacity of 0.5:
# opaque orange (0.5), a group at 0.5 of two overlapping rects (0.25, overlap included), a rect at
# fill-opacity 0.5 (0.25), nothing (0).
OPACITY_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100" opacity="0.5">
  <rect x="0" y="0" width="300" height="25" fill="#FF5A36"/>
  <g opacity="0.5">
    <rect x="0" y="25" width="200" height="25" fill="#FF5A36"/>
    <rect x="100" y="25" width="200" height="25" fill="#FF5A36"/>
  </g>
  <rect x="0" y="50" width="300" height="25" fill="#FF5A36" fill-opacity="0.5"/>
</svg>
"""
BANDS = ((0.125, 0.5), (0.375, 0.25), (0.625, 0.25), (0.875, 0.0))  # (y fraction of the slot, alpha)

# Template: in the left margin of layouts/stat.svg (background only, in every format), a group at
# 0.5 of two overlapping rects, a rect at fill-opacity 0.5 and one inside two groups at 0.5.
TEMPLATE_SHAPES = """
  <g id="overlap" opacity="0.5">
    <rect x="2" y="100" width="10" height="60" fill="#FF5A36"/>
    <rect x="2" y="130" width="10" height="60" fill="#FF5A36"/>
  </g>
  <rect id="half" x="2" y="200" width="10" height="30" fill="#FF5A36" fill-opacity="0.5"/>
  <g opacity="0.5"><g opacity="0.5"><rect id="quarter" x="2" y="240" width="10" height="30" fill="#FF5A36"/></g></g>
"""
TEMPLATE_POINTS = (((7, 115), 0.5), ((7, 145), 0.5), ((7, 175), 0.5), ((7, 215), 0.5), ((7, 255), 0.25))
TEMPLATE_BACKGROUND_POINT = (7, 300)


def poster_yaml(visual: str, layout: str = "film") -> str:
    source = (ROOT / "posters" / "film-sang-et-boue.yaml").read_text()
    return source.replace("visuals/minerai.jpg", visual).replace("layout: film", f"layout: {layout}")


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Project:
    """The demo project with transparent visuals, each on a poster of the film layout, and the stat
    layout's margin painted with translucent shapes."""
    root = tmp_path_factory.mktemp("transparency") / "project"
    root.mkdir()
    for name in ("messages.yaml", "project.yaml"):
        shutil.copy(ROOT / name, root)
    for folder in ("posters", "layouts", "visuals", "fonts", "data"):
        shutil.copytree(ROOT / folder, root / folder)
    visuals = root / "visuals"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    writers = {
        "rgba.png": lambda p: stripes_rgba().save(p),
        "la.png": lambda p: stripes_la().save(p),
        "palette.png": lambda p: stripes_palette().save(p, transparency=bytes([0, 255, HALF])),
        "rgba.webp": lambda p: stripes_rgba().save(p, lossless=True),
        "opaque-rgba.png": lambda p: noise().convert("RGBA").save(p),
        "opaque-rgb.png": lambda p: noise().save(p),
        "disc.png": lambda p: disc().save(p),
        "opacity.svg": lambda p: p.write_text(OPACITY_SVG),
        "cmyk.jpg": lambda p: cmyk_photo().save(p, icc_profile=(ICC / "ISOcoated_v2_300_bas.icc").read_bytes()),
        "exif.jpg": lambda p: turned_photo().save(p, exif=exif.tobytes()),
        # Pictures as scanners, print workflows and scientific tools deliver them.
        "grey16.png": lambda p: grey16().save(p),
        "grey16.tif": lambda p: grey16().save(p, compression="tiff_lzw"),
        "cmyk.tif": lambda p: cmyk_photo().save(
            p, compression="tiff_lzw", icc_profile=(ICC / "ISOcoated_v2_300_bas.icc").read_bytes()
        ),
        "lab.tif": lambda p: Image.new("LAB", (400, 300), LAB_BYTES).save(p),
        "float.tif": lambda p: Image.new("F", (400, 300), 0.5).save(p),
    }
    for name, write in writers.items():
        write(visuals / name)
        (root / "posters" / f"alpha-{name.replace('.', '-')}.yaml").write_text(poster_yaml(f"visuals/{name}"))
    stat = root / "layouts" / "stat.svg"
    stat.write_text(stat.read_text().replace("</svg>", TEMPLATE_SHAPES + "</svg>"))
    project = open_project(root)
    assert not project.campaign.diagnostics, [str(d) for d in project.campaign.diagnostics]
    return project


def render(project: Project, poster: str, fmt: str) -> tuple[Composition, bytes]:
    (job,) = plan_jobs(project, [poster], [fmt])
    composition = compose_job(project, job)
    return composition, export_job(project, composition)


def at(composition: Composition, point: tuple[float, float], px_per_unit: float = 1.0) -> tuple[int, int]:
    """A point in layout units → a pixel of the whole page drawn at `px_per_unit` per format unit."""
    lay = composition.layout
    b = lay.format.bleed
    return round((b + point[0] * lay.scale) * px_per_unit), round((b + point[1] * lay.scale) * px_per_unit)


def in_visual(composition: Composition, fx: float, fy: float) -> tuple[float, float]:
    (x, y, w, h) = next(s.box for s in composition.layout.slots if s.kind == "visual")
    return x + fx * w, y + fy * h


def sample(pixels: np.ndarray, xy: tuple[int, int], r: int = 2) -> np.ndarray:
    """The median colour of a small square around a pixel (edges and JPEG noise aside)."""
    x, y = xy
    return np.median(pixels[y - r : y + r + 1, x - r : x + r + 1].reshape(-1, pixels.shape[2]), axis=0)


def over(colour, alpha: float, beneath) -> np.ndarray:
    return alpha * np.asarray(colour, dtype=float) + (1 - alpha) * np.asarray(beneath, dtype=float)


def cmyk_to_lab(cmyk) -> tuple[float, float, float]:
    """A CMYK sample (0..255 per plate) as it prints on FOGRA39 coated, by LittleCMS (absolute L*a*b*)."""
    from PIL import ImageCms

    to_lab = ImageCms.buildTransform(
        ImageCms.getOpenProfile(str(ICC / "ISOcoated_v2_300_bas.icc")),
        ImageCms.createProfile("LAB", colorTemp=6500),
        "CMYK",
        "LAB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
    )
    pixel = Image.new("CMYK", (1, 1), tuple(int(round(v)) for v in cmyk))
    lab = ImageCms.applyTransform(pixel, to_lab).getpixel((0, 0))
    return (lab[0] * 100 / 255, lab[1] - 128.0, lab[2] - 128.0)  # LittleCMS's 8-bit Lab: a*, b* + 128


def gs_cmyk(pdf: bytes, tmp_path: Path, dpi: int = 50) -> np.ndarray:
    """Ghostscript's CMYK raster of the page (0..255 per plate)."""
    src, out = tmp_path / "page.pdf", tmp_path / "page.tif"
    src.write_bytes(pdf)
    subprocess.run(
        ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiff32nc", f"-r{dpi}", "-o", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    return np.asarray(Image.open(out), dtype=np.int32)


# --- raster visuals with alpha: PNG output -------------------------------------------------------


@pytest.mark.parametrize(
    "visual,opaque,half",
    [
        ("rgba.png", ORANGE, VIOLET),
        ("la.png", (60, 60, 60), (200, 200, 200)),
        ("palette.png", ORANGE, VIOLET),
        ("rgba.webp", ORANGE, VIOLET),
    ],
)
def test_transparent_pixels_show_the_layout_beneath_in_png(studio, visual, opaque, half):
    comp, png = render(studio, f"alpha-{visual.replace('.', '-')}", "instagram")
    assert "data:image/png;base64," in comp.svg.decode()  # the alpha route, not the photo path
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    transparent, solid, translucent = (sample(pixels, at(comp, in_visual(comp, fx, 0.5))) for fx in STRIPES)
    assert np.abs(transparent - FILM_BACKGROUND).max() <= 2, transparent
    assert np.abs(solid - opaque).max() <= 3, solid
    assert np.abs(translucent - over(half, HALF / 255, FILM_BACKGROUND)).max() <= 3, translucent


def test_opaque_pictures_keep_the_photo_path(studio):
    """An RGBA file whose pixels are all opaque (a common export) is a photo: a JPEG, as a JPEG is,
    the very bytes the same picture without alpha gives."""
    hrefs = {}
    for poster in ("alpha-opaque-rgba-png", "alpha-opaque-rgb-png", "film-sang-et-boue"):
        (job,) = plan_jobs(studio, [poster], ["instagram"])
        svg = compose_job(studio, job).svg.decode()
        assert "data:image/jpeg;base64," in svg and "data:image/png" not in svg, poster
        hrefs[poster] = svg.split("data:image/jpeg;base64,")[1].split('"')[0]
    assert hrefs["alpha-opaque-rgba-png"] == hrefs["alpha-opaque-rgb-png"]


def test_cmyk_jpeg_and_exif_rotation_still_right(studio):
    comp, png = render(studio, "alpha-cmyk-jpg", "instagram")
    assert "data:image/jpeg;base64," in comp.svg.decode()
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    cyan, paper = (sample(pixels, at(comp, in_visual(comp, fx, 0.5))) for fx in (0.25, 0.75))
    assert cyan[0] < 60 and 120 < cyan[1] < 200 and cyan[2] > 190, cyan  # FOGRA39 cyan in sRGB, ≈ (0, 160, 227)
    assert paper.min() >= 240, paper
    comp, png = render(studio, "alpha-exif-jpg", "instagram")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    left, right = (sample(pixels, at(comp, in_visual(comp, f, f))) for f in (0.25, 0.75))
    assert np.abs(left - (20, 20, 220)).max() <= 8 and np.abs(right - (220, 20, 20)).max() <= 8, (left, right)


def test_pictures_of_16_bits_tiff_and_lab_are_drawn_as_they_look(studio):
    """A 16-bit grey picture came out white (Pillow clips every sample above 255 when converting);
    TIFF (LZW, CMYK with its profile, CIELAB) is read as print workflows deliver it; floating-point
    samples, whose range nobody agrees on, are refused with their file."""
    from PIL import ImageCms

    from poster_engine.core.diagnostics import PosterError

    for poster in ("alpha-grey16-png", "alpha-grey16-tif"):
        comp, png = render(studio, poster, "instagram")
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
        ramp = [sample(pixels, at(comp, in_visual(comp, fx, 0.5)))[0] for fx in (0.1, 0.5, 0.9)]
        assert ramp[0] < 60 and 90 < ramp[1] < 165 and ramp[2] > 190, (poster, ramp)
    comp, png = render(studio, "alpha-cmyk-tif", "instagram")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    cyan = sample(pixels, at(comp, in_visual(comp, 0.25, 0.5)))
    assert cyan[0] < 60 and 120 < cyan[1] < 200 and cyan[2] > 190, cyan
    comp, png = render(studio, "alpha-lab-tif", "instagram")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    expected = ImageCms.profileToProfile(
        Image.new("LAB", (1, 1), LAB_BYTES),
        ImageCms.createProfile("LAB"),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    ).getpixel((0, 0))
    got = sample(pixels, at(comp, in_visual(comp, 0.5, 0.5)))
    assert delta_e_2000(srgb_to_lab(tuple(int(v) for v in got)), srgb_to_lab(expected)) < 3, (got, expected)
    with pytest.raises(PosterError, match=r"floating-point samples"):
        render(studio, "alpha-float-tif", "instagram")


# --- raster visuals with alpha: print PDF --------------------------------------------------------


@pytest.fixture(scope="module")
def rgba_print(studio) -> tuple[Composition, bytes]:
    return render(studio, "alpha-rgba-png", "a3")


def _masked_image(pdf):
    images = [
        obj for obj in pdf.objects if getattr(obj, "get", None) and obj.get("/Subtype") == "/Image" and "/SMask" in obj
    ]
    assert len(images) == 1, images
    return images[0]


def test_print_pdf_image_has_a_soft_mask_and_cmyk_colour(rgba_print):
    import pikepdf

    _, data = rgba_print
    with pikepdf.open(io.BytesIO(data)) as pdf:
        image = _masked_image(pdf)
        assert image.ColorSpace == "/DeviceCMYK" and image.Filter == "/DCTDecode"
        smask = image.SMask
        assert smask.ColorSpace == "/DeviceGray" and (smask.Width, smask.Height) == (image.Width, image.Height)
        alpha = np.asarray(pikepdf.PdfImage(smask).as_pil_image().convert("L"), dtype=int)
        row = alpha[alpha.shape[0] // 2]
        width = len(row)
        assert [row[round(f * width)] for f in STRIPES] == [0, 255, HALF]


def test_print_pdf_shows_the_background_through_the_mask(studio, rgba_print, tmp_path):
    from poster_engine.export.print.colors import converter_for

    comp, data = rgba_print
    dpi = 50
    k = dpi / 25.4
    page = gs_cmyk(data, tmp_path, dpi)
    background = sample(page, at(comp, (8, 250), k))  # the left margin: background only
    transparent, solid, translucent = (sample(page, at(comp, in_visual(comp, fx, 0.5), k)) for fx in STRIPES)
    assert np.abs(transparent - background).max() <= 3, (transparent, background)
    assert np.abs(solid - background).max() > 100, solid  # the orange stripe hides it
    # Violet at half alpha over the background, blended in CMYK (the page group's colour space).
    violet = np.asarray(converter_for(studio.print_settings).convert_image(Image.new("RGB", (1, 1), VIOLET)))[0, 0]
    assert np.abs(translucent - over(violet, HALF / 255, background)).max() <= 10, (translucent, violet, background)


def _image_and_mask(data: bytes) -> tuple[np.ndarray, np.ndarray, float]:
    """The masked image of a print PDF: its CMYK pixels, its alpha, and its ink as preflight measures it."""
    import pikepdf

    from poster_engine.qa.preflight import _image_ink

    with pikepdf.open(io.BytesIO(data)) as pdf:
        image = _masked_image(pdf)
        cmyk = np.asarray(pikepdf.PdfImage(image).as_pil_image(apply_mask=False), dtype=int)
        alpha = np.asarray(pikepdf.PdfImage(image.SMask).as_pil_image().convert("L"), dtype=int)
        return cmyk, alpha, _image_ink(image) * 100


def test_print_pdf_masked_image_within_ink_limit(studio, rgba_print):
    """Preflight measures the colour image under the mask (the violet stripe: dark, much ink)."""
    _, _, ink = _image_and_mask(rgba_print[1])
    assert 150 < ink <= studio.print_settings.profile.ink_limit + 0.5, ink


def test_print_pdf_masked_image_without_halo(studio):
    """The colour under transparent pixels is filled before JPEG compression (prepress
    `_fill_hidden`): without it, blocks holding the mask's edge ring between cairo's hidden black and
    the visible colour, a dark halo inside the edge (an orange disc: up to 11 % more K and C)."""
    _, data = render(studio, "alpha-disc-png", "a3")
    cmyk, alpha, _ = _image_and_mask(data)
    h, w = alpha.shape
    reference = np.median(cmyk[h // 2 - 10 : h // 2 + 10, w // 2 - 10 : w // 2 + 10].reshape(-1, 4), axis=0)
    hidden = alpha < 255
    near = np.zeros_like(hidden)  # within one JPEG block (8 px) of a pixel that is not opaque
    for dy in range(-8, 9):
        for dx in range(-8, 9):
            near |= np.roll(np.roll(hidden, dy, axis=0), dx, axis=1)
    edge = near & ~hidden
    assert edge.sum() > 500
    deviation = np.abs(cmyk[edge] - reference).max()
    assert deviation <= 12, (deviation, reference)


# --- SVG opacity: visuals and templates -----------------------------------------------------------


def test_svg_visual_opacity_in_png(studio):
    comp, png = render(studio, "alpha-opacity-svg", "instagram")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    for fy, alpha in BANDS:
        for fx in (0.1, 0.5, 0.9):  # in the grouped band: first rect, overlap, second rect
            got = sample(pixels, at(comp, in_visual(comp, fx, fy)))
            assert np.abs(got - over(ORANGE, alpha, FILM_BACKGROUND)).max() <= 3, (fy, fx, got)


def test_svg_visual_opacity_in_print(studio, tmp_path):
    comp, data = render(studio, "alpha-opacity-svg", "a3")
    k = 50 / 25.4
    page = gs_cmyk(data, tmp_path)
    beneath = sample(page, at(comp, in_visual(comp, 0.5, 0.875), k))  # the empty band
    assert np.abs(beneath - sample(page, at(comp, (8, 250), k))).max() <= 3  # …shows the background
    for fy, alpha in BANDS[:3]:
        for fx in (0.1, 0.5, 0.9):
            got = sample(page, at(comp, in_visual(comp, fx, fy), k))
            assert np.abs(got - over(ORANGE_CMYK, alpha, beneath)).max() <= 4, (fy, fx, got, beneath)


def test_template_group_opacity_in_png(studio):
    comp, png = render(studio, "stat-cobalt", "instagram")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    assert np.abs(sample(pixels, at(comp, TEMPLATE_BACKGROUND_POINT)) - STAT_BACKGROUND).max() <= 1
    for point, alpha in TEMPLATE_POINTS:
        got = sample(pixels, at(comp, point))
        assert np.abs(got - over(ORANGE, alpha, STAT_BACKGROUND)).max() <= 2, (point, got)


def test_template_group_opacity_in_print(studio, tmp_path):
    comp, data = render(studio, "stat-cobalt", "a3")
    k = 50 / 25.4
    page = gs_cmyk(data, tmp_path)
    beneath = sample(page, at(comp, TEMPLATE_BACKGROUND_POINT, k))
    assert np.abs(beneath - np.array([0, 0.15, 1, 0]) * 255).max() <= 3  # the brand yellow, verbatim
    # Two legitimate routes: left live, the RIP blends the brand inks in CMYK; composited by the
    # engine (a constant opacity over flat colour, docs/print.md §3a), the mix is the one the screen
    # shows, in sRGB, printed through the output profile (read back here by LittleCMS).
    for point, alpha in TEMPLATE_POINTS:
        got = sample(page, at(comp, point, k))
        live = np.abs(got - over(ORANGE_CMYK, alpha, beneath)).max() <= 4
        seen = srgb_to_lab(tuple(round(v) for v in over(ORANGE, alpha, STAT_BACKGROUND)))
        composited = delta_e_2000(seen, cmyk_to_lab(got)) <= 3
        assert live or composited, (point, got, beneath, seen, cmyk_to_lab(got))
