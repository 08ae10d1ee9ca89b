"""sRGB → CMYK for print (export/print/colors.py), rule by rule through the real ICC profiles, then
the same rules in real print PDFs read back by pikepdf and Ghostscript.

The rules, in the order of the module docstring (first match wins): 1. brand swatch verbatim (its
large-area variant on large fills); 2. exact black: 100 % K small, the profile's rich black large;
3. white: no ink; 4. neutral grey: K only, with the lightness littleCMS gives that grey; 5. anything
else: littleCMS relative colorimetric with black-point compensation; then the ink limit. Images:
through the profile, ink-limited.

Note: neither shipped profile ever exceeds its ink limit by itself (littleCMS reaches at most 298 %
with ISOcoated v2 300 %, 221 % with FOGRA29L); the limit acts when a print profile asks for less
than its ICC gives, e.g. `based_on: fogra39, ink_limit: 260` in project.yaml, which is what the
ink-limit tests use.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from conftest import ROOT
from PIL import Image, ImageCms

from poster_engine.export.print.colors import ColorConverter
from poster_engine.project.print_profiles import PACKAGE_ICC, PRESETS, Swatch, select_print_settings

PROFILES = {**PRESETS, "tight": replace(PRESETS["fogra39"], name="tight", ink_limit=260.0)}
SWATCHES = {
    "#FFD400": Swatch((0.0, 0.15, 1.0, 0.0)),  # a brand yellow, no large-area variant
    "#111418": Swatch((0.0, 0.0, 0.0, 1.0), (0.6, 0.4, 0.4, 1.0)),  # a near-black: K, rich on large fills
}
SATURATED = [(0x33, 0x00, 0x00), (0x00, 0x33, 0x00), (0x10, 0x10, 0x30), (0x2B, 0x1A, 0x6E), (0x00, 0x00, 0x80)]


def converter(profile: str = "fogra39", swatches: dict[str, Swatch] | None = None) -> ColorConverter:
    """A fresh converter (not the cached one) for a preset or the 260 % profile, with the real ICC."""
    return ColorConverter(select_print_settings(ROOT, PROFILES, swatches or {}, profile))


def little_cms(rgb: tuple[int, int, int], profile: str = "fogra39") -> tuple[int, ...]:
    """The profile's own conversion (0..255 per plate), built here independently of the module."""
    icc = (PACKAGE_ICC / PROFILES[profile].icc).read_bytes()
    transform = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"),
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        "RGB",
        "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    return ImageCms.applyTransform(Image.new("RGB", (1, 1), rgb), transform).getpixel((0, 0))


def lightness(cmyk: list[tuple[float, float, float, float]], profile: str = "fogra39") -> np.ndarray:
    """L* (0..100) of CMYK tones (0..1) printed with the profile."""
    icc = (PACKAGE_ICC / PROFILES[profile].icc).read_bytes()
    to_lab = ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        ImageCms.createProfile("LAB"),
        "CMYK",
        "LAB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
    )
    strip = Image.frombytes("CMYK", (len(cmyk), 1), bytes(round(v * 255) for c in cmyk for v in c))
    return np.frombuffer(ImageCms.applyTransform(strip, to_lab).tobytes(), np.uint8)[0::3] * 100 / 255


# --- 1. brand swatches -----------------------------------------------------------------------------
def test_swatch_is_verbatim_with_its_large_area_variant():
    conv = converter(swatches=SWATCHES)
    assert conv.convert((0xFF, 0xD4, 0x00)) == (0.0, 0.15, 1.0, 0.0)
    assert conv.convert((0xFF, 0xD4, 0x00), large=True) == (0.0, 0.15, 1.0, 0.0)  # no variant: same values
    assert conv.convert((0x11, 0x14, 0x18)) == (0.0, 0.0, 0.0, 1.0)
    assert conv.convert((0x11, 0x14, 0x18), large=True) == (0.6, 0.4, 0.4, 1.0)
    assert conv.has_large_variant((0x11, 0x14, 0x18)) and not conv.has_large_variant((0xFF, 0xD4, 0x00))
    # Without the swatch, the same colour goes through the profile (and is not what the brand book says).
    assert converter().convert((0xFF, 0xD4, 0x00)) != (0.0, 0.15, 1.0, 0.0)


def test_swatch_comes_before_every_other_rule():
    """A swatch on exact black, white or a grey wins over rules 2–4 (first match wins)."""
    swatches = {
        "#000000": Swatch((0.1, 0.1, 0.1, 1.0)),
        "#FFFFFF": Swatch((0.0, 0.0, 0.02, 0.0)),
        "#808080": Swatch((0.0, 0.0, 0.0, 0.5)),
    }
    conv = converter(swatches=swatches)
    assert conv.convert((0, 0, 0)) == conv.convert((0, 0, 0), large=True) == (0.1, 0.1, 0.1, 1.0)
    assert not conv.has_large_variant((0, 0, 0))
    assert conv.convert((255, 255, 255)) == (0.0, 0.0, 0.02, 0.0)
    assert conv.convert((128, 128, 128)) == (0.0, 0.0, 0.0, 0.5)


# --- 2. exact black --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "profile, rich", [("fogra39", (0.6, 0.4, 0.4, 1.0)), ("fogra29-uncoated", (0.5, 0.4, 0.3, 1.0))]
)
def test_exact_black_is_k_only_small_and_the_profiles_rich_black_large(profile, rich):
    conv = converter(profile)
    assert conv.convert((0, 0, 0)) == (0.0, 0.0, 0.0, 1.0)
    assert conv.convert((0, 0, 0), large=True) == rich == PROFILES[profile].rich_black
    assert conv.has_large_variant((0, 0, 0))
    # Only exact black gets the rich black: on large fills the next darkest grey is a grey (K only),
    # on text and strokes a near-black (docs/print.md §6) prints as solid K.
    assert conv.convert((1, 1, 1), large=True) != rich
    assert conv.convert((1, 1, 1), large=True)[:3] == (0.0, 0.0, 0.0)
    assert conv.convert((1, 1, 1)) == (0.0, 0.0, 0.0, 1.0)


# --- 3. white --------------------------------------------------------------------------------------
def test_white_is_no_ink():
    conv = converter()
    assert conv.convert((255, 255, 255)) == conv.convert((255, 255, 255), large=True) == (0.0, 0.0, 0.0, 0.0)


# --- 4. neutral greys ------------------------------------------------------------------------------
def test_greys_are_black_ink_only_and_monotonic():
    conv = converter()
    greys = [conv.convert_tone((v, v, v)) for v in range(256)]  # as in a gradient: no near-black snapping
    assert all(c == m == y == 0.0 for c, m, y, _ in greys)
    k = [g[3] for g in greys]
    assert all(a >= b for a, b in zip(k, k[1:]))  # lighter grey, never more ink
    assert k[0] == 1.0 and k[255] == 0.0 and 0 < k[254] < 0.05 and k[1] > 0.9
    assert len(set(k[1:255])) >= 190  # nearly a tone per grey level (8-bit K): no banding


def test_grey_keeps_the_lightness_the_profile_gives_it():
    """K-only grey prints as light as littleCMS's own (CMY + K) separation of the same grey: the
    lightness is kept, only the inks change. L* differences within 2 (out of 100) from 10 % to 90 %."""
    conv = converter()
    levels = list(range(26, 231, 12))
    k_only = lightness([conv.convert((v, v, v)) for v in levels])
    full = lightness([tuple(c / 255 for c in little_cms((v, v, v))) for v in levels])  # type: ignore[misc]
    assert np.abs(k_only - full).max() <= 2.0, list(zip(levels, k_only, full))


# --- 5. everything else, and the ink limit ---------------------------------------------------------
def test_other_colours_are_the_profiles_own_conversion():
    conv = converter()
    for rgb in [(0x2B, 0x1A, 0x6E), (0xFF, 0x5A, 0x36), (0x2E, 0xE6, 0xA6), (0x0B, 0x4F, 0x6C), (0xB3, 0x26, 0x1E)]:
        assert conv.convert(rgb) == tuple(v / 255 for v in little_cms(rgb)), rgb
        assert conv.convert(rgb, large=True) == conv.convert(rgb)  # no large-area rule for colours


def test_ink_limit_lowers_cmy_and_keeps_k():
    """With a 260 % profile on the FOGRA39 ICC: colours the ICC separates above 260 % come out at
    260 %, K as the ICC gives it, C:M:Y in the same proportions; colours below are untouched."""
    conv = converter("tight")
    for rgb in SATURATED:
        raw = [v / 255 for v in little_cms(rgb, "tight")]
        got = conv.convert(rgb)
        if sum(raw) <= 2.6:
            assert got == tuple(raw), rgb
            continue
        assert sum(got) == pytest.approx(2.6, abs=1e-9), rgb
        assert got[3] == raw[3]
        assert np.allclose(np.array(got[:3]) / sum(got[:3]), np.array(raw[:3]) / sum(raw[:3])), rgb
    assert sum(sum(little_cms(rgb, "tight")) > 2.6 * 255 for rgb in SATURATED) >= 3  # the limit did act


def test_no_colour_exceeds_the_ink_limit():
    """The 120 colours of a 16-level sRGB grid that the ICC separates with the most ink, through the
    260 % profile. (One uncached conversion costs ~9 ms: Pillow copies the 1 MB profile into each
    1-pixel image, hence a selection rather than the whole grid.)"""
    conv = converter("tight")
    icc = (PACKAGE_ICC / PROFILES["tight"].icc).read_bytes()
    levels = np.arange(0, 256, 17, dtype=np.uint8)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(1, -1, 3)
    raw = np.asarray(
        ImageCms.profileToProfile(
            Image.fromarray(grid, "RGB"),
            ImageCms.createProfile("sRGB"),
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            outputMode="CMYK",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        ),
        dtype=np.int32,
    )
    order = np.argsort(-raw[0].sum(axis=1))[:120]
    colours = [tuple(int(v) for v in grid[0, i]) for i in order]
    assert sum(raw[0, order[0]]) > 2.75 * 255  # the selection does go over the limit
    worst = max(sum(conv.convert(rgb)) for rgb in colours if rgb != (0, 0, 0))  # type: ignore[arg-type]
    assert worst <= 2.6 + 1e-9


# --- images ----------------------------------------------------------------------------------------
def _test_image() -> Image.Image:
    """Every sRGB colour of a 32-level grid, plus the saturated colours as flat patches."""
    levels = np.linspace(0, 255, 32).round().astype(np.uint8)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    grid = np.stack([r, g, b], axis=-1).reshape(-1, 3)
    patches = np.repeat(np.array(SATURATED, dtype=np.uint8), 64, axis=0)
    pixels = np.concatenate([grid, patches]).reshape(-1, 64, 3)
    return Image.fromarray(pixels, "RGB")


@pytest.mark.parametrize("profile", ["fogra39", "tight"])
def test_images_are_converted_through_the_profile_and_ink_limited(profile):
    conv, limit = converter(profile), PROFILES[profile].ink_limit
    image = _test_image()
    for headroom in (0.0, 0.12):
        cmyk = conv.convert_image(image, headroom)
        assert cmyk.mode == "CMYK" and cmyk.size == image.size
        tac = np.asarray(cmyk, dtype=np.int32).sum(axis=2) * 100 / 255
        # Each plate is rounded to 1/255 on its own: up to 4 × 0.5/255 over the exact limit.
        assert tac.max() <= limit - headroom * 100 + 0.8, (headroom, tac.max())
    # Colours under the limit are the profile's own conversion (a 33³ table: within a few levels).
    icc = (PACKAGE_ICC / PROFILES[profile].icc).read_bytes()
    direct = np.asarray(
        ImageCms.profileToProfile(
            image,
            ImageCms.createProfile("sRGB"),
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            outputMode="CMYK",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        ),
        dtype=np.int32,
    )
    lut = np.asarray(conv.convert_image(image), dtype=np.int32)
    under = direct.sum(axis=2) * 100 / 255 <= limit - 10
    assert np.abs(lut - direct)[under].mean() < 1.5


# --- the rules in real print PDFs ------------------------------------------------------------------
def _plates(pdf: bytes, tmp_path: Path, name: str, dpi: int) -> np.ndarray:
    """Ghostscript's CMYK separations of the bleed box (0..255 per plate), overprint off: what each
    object paints (black text overprints the background's plates, tests/test_black_overprint.py)."""
    src, out = tmp_path / f"{name}.pdf", tmp_path / f"{name}.tif"
    src.write_bytes(pdf)
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=tiff32nc",
            f"-r{dpi}",
            "-dOverprint=/disable",
            "-dUseBleedBox",
            "-o",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    with Image.open(out) as im:
        return np.asarray(im, dtype=np.int32)


def _set_colours(project: Path, poster: str, **colours: str) -> None:
    path = project / "posters" / f"{poster}.yaml"
    lines = path.read_text().splitlines()
    for key, value in colours.items():
        (i,) = [n for n, line in enumerate(lines) if line.strip().startswith(f"{key}:")]
        lines[i] = f'  {key}: "{value}"'
    path.write_text("\n".join(lines) + "\n")


def _print_job(project: Path, poster: str, profile: str = "fogra39"):
    from poster_engine.plan import plan_jobs
    from poster_engine.project.loader import ProjectOptions, open_project
    from poster_engine.render.job import compose_job, export_job

    opened = open_project(project, ProjectOptions(print_profile=profile))
    (job,) = plan_jobs(opened, [poster], ["a3"])
    comp = compose_job(opened, job)
    return comp, export_job(opened, comp)


def _fill_colours(pdf: bytes) -> set[tuple[float, ...]]:
    """Every CMYK fill colour the page's content sets (pikepdf's parser)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return {
            tuple(round(float(v), 4) for v in i.operands)
            for i in pikepdf.parse_content_stream(doc.pages[0])
            if str(i.operator) == "k"
        }


def test_exact_black_text_and_qr_are_k_only_while_a_large_black_area_is_rich(project, tmp_path):
    """#000000 text (a two-line label at 17 mm, the dates, the source, the footer) and the QR code:
    100 % K, C, M and Y plates empty under every glyph and module. The same poster on a #000000
    background: the background is the profile's rich black."""
    _set_colours(project, "stat-illectronisme", text="#000000")
    comp, pdf = _print_job(project, "stat-illectronisme")
    colours = _fill_colours(pdf)
    assert (0.0, 0.0, 0.0, 1.0) in colours
    assert PRESETS["fogra39"].rich_black not in colours  # no large black area on this poster
    dpi = 100
    plates = _plates(pdf, tmp_path, "text", dpi)
    scale, bleed = comp.layout.scale, comp.layout.bleed * comp.layout.scale
    px = lambda v: int(round((v * scale + bleed) / 25.4 * dpi))  # noqa: E731 (layout unit → pixel)
    boxes = [(slot, box) for slot in ("stat-label", "dates", "stat-source", "footer") for box in comp.blocks[slot].ink]
    x, y, w, h = comp.qrs["qr"].box
    boxes.append(("qr", (x, y, x + w, y + h)))
    inked = 0
    for slot, (x0, y0, x1, y1) in boxes:
        region = plates[px(y0) + 1 : px(y1) - 1, px(x0) + 1 : px(x1) - 1]
        black = region[region[..., 3] > 128]
        assert (black[:, :3] == 0).all(), slot
        inked += len(black)
    assert inked > 20000

    _set_colours(project, "stat-illectronisme", background="#000000", text="#FFFFFF")
    _, pdf = _print_job(project, "stat-illectronisme")
    assert PRESETS["fogra39"].rich_black in _fill_colours(pdf)
    plates = _plates(pdf, tmp_path, "background", 20)
    corner = plates[2:10, 2:10].reshape(-1, 4)  # inside the bleed, background only
    assert (np.abs(corner - np.array([153, 102, 102, 255])) <= 1).all(), corner[0]


def test_ink_limit_holds_for_vector_colours_in_a_print_pdf(project, tmp_path):
    """A project profile `based_on: fogra39, ink_limit: 260` and a #330000 background (littleCMS:
    284 %): Ghostscript measures 260 % on the flat background, K as the ICC gives it, nowhere more."""
    (project / "project.yaml").write_text("print_profiles:\n  tight:\n    based_on: fogra39\n    ink_limit: 260\n")
    _set_colours(project, "stat-ressources", background="#330000")
    raw = little_cms((0x33, 0, 0), "tight")
    assert sum(raw) * 100 / 255 > 280
    _, pdf = _print_job(project, "stat-ressources", "tight")
    plates = _plates(pdf, tmp_path, "tight", 20)
    tac = plates.sum(axis=2) * 100 / 255
    assert tac.max() <= 260 + 0.8
    corner = plates[2:10, 2:10].reshape(-1, 4)
    assert (np.abs(corner.sum(axis=1) * 100 / 255 - 260) <= 0.8).all()
    assert (np.abs(corner[:, 3] - raw[3]) <= 1).all()
