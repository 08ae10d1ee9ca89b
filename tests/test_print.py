"""Print PDFs are PDF/X-4 in CMYK, checked with independent tools (qpdf, poppler, mupdf, Ghostscript)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image

MM = 72 / 25.4


def _pdfs(demo_build: Path) -> list[Path]:
    pdfs = sorted(demo_build.glob("*/a3.pdf"))
    assert len(pdfs) >= 10
    return pdfs


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def _gs_cmyk(pdf: Path, tmp: Path, dpi: int, *extra: str) -> np.ndarray:
    """Ghostscript's CMYK raster (0..255 per plate) of the page."""
    out = tmp / f"{pdf.parent.name}-{dpi}.tif"
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=tiff32nc",
            f"-r{dpi}",
            *extra,
            "-o",
            str(out),
            str(pdf),
        ],
        check=True,
        capture_output=True,
    )
    return np.asarray(Image.open(out), dtype=np.int32)


def test_qpdf_check_and_structure(demo_build):
    for pdf in _pdfs(demo_build):
        subprocess.run(["qpdf", "--check", str(pdf)], check=True, capture_output=True)
        objects = json.loads(_run("qpdf", "--json", "--json-key=qpdf", str(pdf)))["qpdf"][1]
        pages = [
            o["value"]
            for o in objects.values()
            if isinstance(o.get("value"), dict) and o["value"].get("/Type") == "/Page"
        ]
        assert len(pages) == 1
        for page in pages:
            assert "/TrimBox" in page and "/BleedBox" in page and "/ArtBox" not in page, pdf
        catalog = next(
            o["value"]
            for o in objects.values()
            if isinstance(o.get("value"), dict) and o["value"].get("/Type") == "/Catalog"
        )
        intents = catalog["/OutputIntents"]
        if isinstance(intents, str):  # an indirect array: "n 0 R"
            intents = objects[f"obj:{intents}"]["value"]
        intents = [objects[f"obj:{i}"]["value"] if isinstance(i, str) else i for i in intents]
        intents = [i for i in intents if i.get("/S") == "/GTS_PDFX"]
        assert len(intents) == 1, pdf
        assert intents[0]["/OutputConditionIdentifier"] == "u:FOGRA39"
        profile_ref = intents[0]["/DestOutputProfile"]
        assert objects[f"obj:{profile_ref}"]["stream"]["dict"]["/N"] == 4


def test_pdfinfo_says_pdfx4(demo_build):
    for pdf in _pdfs(demo_build):
        info = _run("pdfinfo", str(pdf))
        assert re.search(r"^PDF version:\s+1\.6$", info, re.M), pdf
        assert re.search(r"^PDF subtype:\s+PDF/X-4$", info, re.M), pdf
        assert "Title:           " in info
        boxes = _run("pdfinfo", "-box", str(pdf))
        trim = [float(v) for v in re.search(r"TrimBox:\s+(.*)", boxes).group(1).split()]
        bleed = [float(v) for v in re.search(r"BleedBox:\s+(.*)", boxes).group(1).split()]
        assert (trim[2] - trim[0]) / MM == pytest.approx(297, abs=0.1)
        assert (trim[3] - trim[1]) / MM == pytest.approx(420, abs=0.1)
        assert [(t - b) / MM for t, b in zip(trim[:2], bleed[:2])] == pytest.approx([3, 3], abs=0.05)


def test_no_rgb_anywhere_mutool_trace(demo_build):
    for pdf in _pdfs(demo_build):
        trace = _run("mutool", "trace", str(pdf))
        spaces = set(re.findall(r'colorspace="([^"]*)"', trace))
        assert spaces, pdf
        assert spaces <= {"DeviceCMYK", "DeviceGray"}, (pdf, spaces)


def test_total_ink_within_300_percent(demo_build, tmp_path):
    for pdf in _pdfs(demo_build):
        raster = _gs_cmyk(pdf, tmp_path, 60, "-dUseBleedBox")
        assert raster.sum(axis=2).max() * 100 / 255 <= 300.0, pdf


def test_brand_colours_and_rich_black_verbatim(demo_build):
    trace = _run("mutool", "trace", str(demo_build / "choc-cobalt" / "a3.pdf"))
    colors = set(re.findall(r'colorspace="DeviceCMYK" color="([^"]*)"', trace))
    assert "0 .15 1 0" in colors or "0 0.15 1 0" in colors  # #FFD400 as declared in project.yaml
    assert "0.6 0.4 0.4 1" in colors or ".6 .4 .4 1" in colors  # #111418 background: rich black
    light = _run("mutool", "trace", str(demo_build / "stat-cobalt" / "a3.pdf"))
    assert re.search(r'<fill_path[^>]*color="0 0 0 1"', light)  # #111418 text on yellow: black ink only


def test_black_text_is_black_ink_only(demo_build, compositions, tmp_path):
    """Dark neutral text (#111111) on a light poster: every inked pixel of its glyphs is K only."""
    output = "film-ma-femme-a-du-credit/a3.pdf"
    comp = compositions[output]
    assert comp.poster.spec.colors.text == "#111111"
    dpi = 150
    # Overprint off: what the text paints (it overprints the paper-coloured background, whose C, M
    # and Y a composite raster would show under the glyphs; tests/test_black_overprint.py).
    raster = _gs_cmyk(demo_build / output, tmp_path, dpi, "-dUseBleedBox", "-dOverprint=/disable")
    bleed_mm, scale = comp.layout.bleed * comp.layout.scale, comp.layout.scale

    def px(v):
        return int(round((v * scale + bleed_mm) / 25.4 * dpi))

    inked = 0
    for slot in ("film-title", "screening"):
        for x0, y0, x1, y1 in comp.blocks[slot].ink:
            region = raster[px(y0) + 1 : px(y1) - 1, px(x0) + 1 : px(x1) - 1]
            k_pixels = region[region[..., 3] > 128]
            assert (k_pixels[:, :3] == 0).all(), slot
            inked += len(k_pixels)
    assert inked > 1000
    # Ghostscript's text-only ink coverage: our text is outlined (vector paths), so this only proves
    # no text object of another colour slipped in.
    cov = _run(
        "gs",
        "-q",
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-sDEVICE=inkcov",
        "-dFILTERIMAGE",
        "-dFILTERVECTOR",
        "-o",
        "-",
        str(demo_build / output),
    )
    c, m, y, k = (float(v) for v in cov.split()[:4])
    assert c == m == y == 0


def test_images_are_cmyk_jpeg_at_300_ppi(demo_build):
    listing = _run("pdfimages", "-list", str(demo_build / "film-sang-et-boue" / "a3.pdf")).splitlines()[2:]
    images = [row.split() for row in listing if row.split()[2] == "image"]
    assert images
    for row in images:
        color, enc, x_ppi, y_ppi = row[5], row[8], int(row[12]), int(row[13])
        assert color == "cmyk" and enc == "jpeg"
        assert x_ppi >= 300 and y_ppi >= 300


def test_crop_marks_outside_bleed_in_registration_colour(project, tmp_path):
    result = run_cli(
        "render", "stat-cobalt", "-f", "a3", "-P", "fogra39-marks", "-o", str(tmp_path / "m.pdf"), cwd=project
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "m.pdf"
    boxes = _run("pdfinfo", "-box", str(pdf))
    media = [float(v) for v in re.search(r"MediaBox:\s+(.*)", boxes).group(1).split()]
    bleed = [float(v) for v in re.search(r"BleedBox:\s+(.*)", boxes).group(1).split()]
    assert media[2] - media[0] > bleed[2] - bleed[0] + 10 * MM
    dpi = 100
    raster = _gs_cmyk(pdf, tmp_path, dpi)
    pad = int(round((bleed[0] - media[0]) / 72 * dpi))
    outside = raster.copy()
    outside[pad:-pad, pad:-pad] = 0  # blank the bleed box: only the slug remains
    inked = outside[outside.sum(axis=2) > 0]
    assert len(inked) > 50  # the marks are there
    strong = inked[inked.max(axis=1) > 64]
    assert (strong.max(axis=1) - strong.min(axis=1) <= 2).all()  # C = M = Y = K: registration
    assert "Separation" in _run("mutool", "trace", str(pdf))


def test_preflight_passes_our_pdfs_and_fails_cairo_output(demo_build, tmp_path):
    result = run_cli("preflight", *map(str, _pdfs(demo_build)[:3]), cwd=ROOT)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count("result            PASS") == 3
    from poster_engine.export.pdf import svg_to_pdf

    raw = tmp_path / "raw.pdf"
    raw.write_bytes(
        svg_to_pdf(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm">'
            b'<rect width="50" height="50" fill="#FF0000"/></svg>'
        )
    )
    result = run_cli("preflight", str(raw), cwd=ROOT)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(re.match(r"\s+no-rgb\s+FAIL\s+1 RGB use\(s\), first: 'rg' operator in page 1", l) for l in lines)
    assert any(re.match(r"\s+blend-space\s+FAIL\s+1 transparency group\(s\) blend in RGB", l) for l in lines)
    assert any(re.match(r"\s+page-boxes\s+FAIL\s+page 1: no TrimBox", l) for l in lines)
    assert any(re.match(r"\s+output-intent\s+FAIL\s+0 GTS_PDFX output intents", l) for l in lines)


def test_cmyk_pdf_looks_like_its_rgb_source(demo, campaign, tmp_path):
    """Rendered back to RGB by poppler, the print PDF stays close to cairo's RGB PDF."""
    from poster_engine.compose.document import compose
    from poster_engine.export.pdf import svg_to_pdf
    from poster_engine.plan import plan_jobs
    from poster_engine.render.job import render_job

    (job,) = plan_jobs(demo, ["choc-telephone"], ["a3"])
    (tmp_path / "rgb.pdf").write_bytes(svg_to_pdf(compose(demo, campaign.posters[job.poster_id], job.format).svg))
    (tmp_path / "cmyk.pdf").write_bytes(render_job(demo, job))
    images = []
    for name in ("rgb", "cmyk"):
        subprocess.run(
            ["pdftoppm", "-r", "20", "-png", "-singlefile", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
            check=True,
        )
        images.append(np.asarray(Image.open(tmp_path / f"{name}.png").convert("RGB"), dtype=np.int32))
    diff = np.abs(images[0] - images[1])
    assert diff.mean() < 20  # poppler converts CMYK naively; this catches inverted or missing plates
    assert np.percentile(diff, 99) < 90


def test_print_pdf_is_reproducible(demo, campaign):
    from poster_engine.plan import plan_jobs
    from poster_engine.render.job import render_job

    (job,) = plan_jobs(demo, ["choc-cobalt"], ["a3"])
    assert render_job(demo, job) == render_job(demo, job)


def test_uncoated_profile_limits_ink_to_280(project, tmp_path):
    pdf = tmp_path / "u.pdf"
    result = run_cli("render", "choc-dechets", "-f", "a3", "-P", "fogra29-uncoated", "-o", str(pdf), cwd=project)
    assert result.returncode == 0, result.stderr
    raster = _gs_cmyk(pdf, tmp_path, 60, "-dUseBleedBox")
    assert raster.sum(axis=2).max() * 100 / 255 <= 280.0
    assert "/OutputConditionIdentifier (FOGRA29)" in _run("mutool", "show", str(pdf), "trailer/Root/OutputIntents")
    check = run_cli("preflight", "-P", "fogra29-uncoated", str(pdf), cwd=project)
    assert check.returncode == 0, check.stdout
