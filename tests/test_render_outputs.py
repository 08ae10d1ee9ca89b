"""`poster render -o FILE`: the file holds what its extension says (issue 15, item 8).

A print format written to .png/.jpg/.webp is its soft proof (the print PDF through Ghostscript and
the profile, docs/print.md §6b), said in one line; a social format into .pdf and unknown extensions
are refused in one line before anything is rendered; a social image converts to another image type.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image, ImageCms

from poster_engine.core.color import delta_e_2000, srgb_to_lab


def test_print_format_to_png_is_its_soft_proof(tmp_path):
    out = tmp_path / "x.png"
    result = run_cli("render", "stat-cobalt", "-f", "a4", "-o", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "a4 is a print format: x.png is its soft proof through FOGRA39 at 150 ppi (the trim), not a print file"
    ]
    image = Image.open(out)
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.size == (round(210 / 25.4 * 150), round(297 / 25.4 * 150))  # the trim, no bleed
    # The background is the brand swatch 0/15/100/0 as the paper shows it: littleCMS's own proof of
    # those values, and close to the screen's #FFD400 (an in-gamut colour).
    icc = ImageCms.ImageCmsProfile(str(ROOT / "poster_engine/export/print/icc/ISOcoated_v2_300_bas.icc"))
    proof = ImageCms.buildTransform(
        icc, ImageCms.createProfile("sRGB"), "CMYK", "RGB", flags=ImageCms.Flags.BLACKPOINTCOMPENSATION
    )
    want = ImageCms.applyTransform(Image.new("CMYK", (1, 1), (0, 38, 255, 0)), proof).getpixel((0, 0))
    corner = np.asarray(image)[20:60, 600:700].reshape(-1, 3)
    assert (np.abs(corner - np.array(want)) <= 1).all(), (corner[0], want)
    assert delta_e_2000(srgb_to_lab(tuple(corner[0])), srgb_to_lab("#FFD400")) < 3


@pytest.mark.parametrize("ext, kind", [(".jpg", "JPEG"), (".jpeg", "JPEG"), (".webp", "WEBP"), (".PNG", "PNG")])
def test_soft_proof_in_every_image_type(demo, ext, kind, tmp_path):
    from poster_engine.api import render_as

    job, pdf = _a4(demo)
    data, note = render_as(demo, job, pdf, tmp_path / f"x{ext}")
    assert note.startswith("a4 is a print format: ")
    assert Image.open(io.BytesIO(data)).format == kind
    assert render_as(demo, job, pdf, tmp_path / "x.pdf") == (pdf, "")  # the print file itself


_CACHE: dict = {}


def _a4(demo):
    from poster_engine.api import render_one

    if "a4" not in _CACHE:
        _CACHE["a4"] = render_one(demo, "stat-cobalt", "a4", "fr")
    return _CACHE["a4"]


def test_social_image_converts_to_another_image_type(demo, tmp_path):
    from poster_engine.api import render_as, render_one

    job, png = render_one(demo, "stat-cobalt", "instagram", "fr")
    data, note = render_as(demo, job, png, tmp_path / "y.jpg")
    assert note == "instagram is a png format: converted to jpeg"
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == Image.open(io.BytesIO(png)).size


@pytest.mark.parametrize(
    "fmt, name, line",
    [
        (
            "instagram",
            "y.pdf",
            "error: -o y.pdf: instagram is a social format (png), not a print file; write it to a .png file, "
            "or render a print format (e.g. -f a3) for a PDF",
        ),
        (
            "a4",
            "x.tif",
            "error: -o x.tif: unknown extension '.tif'; write a4 to a .pdf (or .png, .jpg, .webp for its soft "
            "proof, .svg for the composed SVG) file",
        ),
        (
            "instagram",
            "y",
            "error: -o y: unknown extension ''; write instagram to a .png (or .svg for the composed SVG) file",
        ),
    ],
)
def test_wrong_extension_is_refused_in_one_line(fmt, name, line, tmp_path):
    result = run_cli("render", "stat-cobalt", "-f", fmt, "-o", str(tmp_path / name), cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [line]
    assert not (tmp_path / name).exists()


def test_soft_proof_without_ghostscript_says_how_to_install_it(demo, tmp_path, monkeypatch):
    """No gs on the PATH: one clear error (the CLI prints it as one line, exit 2), nothing written."""
    from poster_engine.api import render_as
    from poster_engine.core.diagnostics import PosterError
    from poster_engine.export.print import ghostscript

    job, pdf = _a4(demo)
    monkeypatch.setattr(ghostscript.shutil, "which", lambda name: None)
    with pytest.raises(PosterError) as err:
        render_as(demo, job, pdf, tmp_path / "x.png")
    assert str(err.value) == (
        "Ghostscript (gs) is needed for the soft proof but was not found; install Ghostscript "
        "(Debian/Ubuntu: apt-get install ghostscript; scripts/install-system-deps.sh does it)"
    )


@pytest.mark.parametrize("fmt", ["instagram", "a4"])
def test_svg_is_the_composed_svg_export_draws(fmt, tmp_path):
    """`-o x.svg` writes the composition itself: another renderer (rsvg-convert) draws it as the
    engine's own image of the same format (the social PNG; for print, the page before prepress)."""
    import subprocess
    from xml.etree import ElementTree

    from poster_engine.api import composed_svg, one_job, open_project
    from poster_engine.export.raster import render_rgb

    out = tmp_path / "x.svg"
    result = run_cli("render", "stat-cobalt", "-f", fmt, "-o", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout.strip() == str(out)
    svg = out.read_bytes()
    assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    project = open_project(ROOT)
    job = one_job(project, "stat-cobalt", fmt, "fr")
    assert svg == composed_svg(project, job)
    width, height = 540, round(540 * job.format.page[1] / job.format.page[0])
    theirs = subprocess.run(
        ["rsvg-convert", "-w", str(width), "-h", str(height), "-b", "white", str(out)],
        capture_output=True,
        check=True,
    ).stdout
    theirs_px = np.asarray(Image.open(io.BytesIO(theirs)).convert("RGB"), dtype=float)
    ours_px = np.asarray(render_rgb(svg, width, height), dtype=float)
    assert np.abs(theirs_px - ours_px).mean() < 3, np.abs(theirs_px - ours_px).mean()
