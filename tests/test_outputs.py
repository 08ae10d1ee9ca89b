"""Rendered files, read back by independent tools: pikepdf, poppler, zxing-cpp, Pillow."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
import zxingcpp
from PIL import Image, ImageCms

from poster_engine.compose.document import compose

MM = 72 / 25.4


def _decode(image: Image.Image) -> set[str]:
    return {r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode}


def test_every_instagram_png_is_exact_srgb(demo_build, jobs):
    pngs = [j for j in jobs if j.format.name == "instagram"]
    assert pngs
    for job in pngs:
        with Image.open(demo_build / job.output) as im:
            assert im.size == (1080, 1350)
            assert im.mode == "RGB"
            profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"])).profile
            assert profile.xcolor_space.strip() == "RGB" and "sRGB" in profile.profile_description


def _built(compositions, demo_build):
    """The compositions of the outputs the demo build wrote (the French set)."""
    return {o: c for o, c in compositions.items() if (demo_build / o).exists()}


def test_social_images_write_the_link_out_instead_of_a_code(demo_build, compositions):
    """A code cannot be scanned from the screen it is on: social images show the short link as text."""
    checked = 0
    for output, comp in _built(compositions, demo_build).items():
        if comp.layout.format.medium != "social":
            continue
        assert not comp.qrs, f"{output} draws a QR code on a screen"
        assert "link" in comp.blocks, f"{output} does not write its link out"
        assert ".org/" in "".join(comp.blocks["link"].lines) and "://" not in "".join(comp.blocks["link"].lines)
        checked += 1
    assert checked >= 10


def test_every_qr_in_a_png_decodes_to_its_url(demo, campaign):
    """A social format set to `qr: code` (project.yaml) draws a code that decodes, every family."""
    from dataclasses import replace

    from poster_engine.core.formats import FORMATS
    from poster_engine.plan import Job
    from poster_engine.render.job import render_job

    for pid in ("choc-cobalt", "stat-cobalt", "film-sang-et-boue", "programme"):
        job = Job(pid, replace(FORMATS["instagram"], qr="code"))
        comp = compose(demo, campaign.posters[pid], job.format)
        expected = {q.code.url for q in comp.qrs.values()}
        assert expected, pid
        with Image.open(io.BytesIO(render_job(demo, job))) as im:
            assert _decode(im) == expected, pid


def test_qr_in_print_pdf_decodes_at_print_preview_resolution(demo_build, compositions, tmp_path):
    for output, comp in _built(compositions, demo_build).items():
        if not output.endswith(".pdf"):
            continue
        prefix = tmp_path / output.replace("/", "-")
        subprocess.run(
            ["pdftoppm", "-r", "100", "-png", "-singlefile", str(demo_build / output), str(prefix)], check=True
        )
        with Image.open(f"{prefix}.png") as im:
            assert _decode(im) == {q.code.url for q in comp.qrs.values()}, output


def test_qr_codes_print_at_least_15_mm(compositions):
    for output, comp in compositions.items():
        if output.endswith(".pdf"):
            for q in comp.qrs.values():
                symbol_mm = q.box[2] * comp.layout.scale * q.code.modules / q.code.total_modules
                assert symbol_mm >= 15, output  # the code itself, quiet zone not counted


def test_a3_pdf_page_is_a3_plus_bleed(demo_build, jobs):
    import pikepdf

    for job in [j for j in jobs if j.format.name == "a3"]:
        with pikepdf.open(demo_build / job.output) as pdf:
            assert len(pdf.pages) == 1
            page = pdf.pages[0]
            x0, y0, x1, y1 = (float(v) for v in page.MediaBox)
            assert abs((x1 - x0) / MM - 303) < 0.1 and abs((y1 - y0) / MM - 426) < 0.1
            t = [float(v) / MM for v in page.TrimBox]
            assert t[0] == pytest.approx(3, abs=0.1) and t[1] == pytest.approx(3, abs=0.1)
            assert t[2] - t[0] == pytest.approx(297, abs=0.1) and t[3] - t[1] == pytest.approx(420, abs=0.1)


def test_pdf_is_vector_and_needs_no_font(demo_build):
    pdf = demo_build / "choc-telephone" / "a3.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(fonts.strip().splitlines()) == 2  # header only: text is outlined, nothing to go missing
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Title:           Le" in info or "Title:" in info


def test_manifest_lists_every_output(demo_build, jobs):
    manifest = json.loads((demo_build / "manifest.json").read_text())
    files = {e["file"] for e in manifest["outputs"]}
    assert files == {j.output for j in jobs}


def test_outputs_are_readable_by_others(demo_build):
    """Atomic writes go through mkstemp (0600); deliverables must get the ordinary umask'd mode."""
    import os
    import stat

    mode = stat.S_IMODE(os.stat(demo_build / "choc-cobalt" / "a3.pdf").st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_png_is_byte_identical_across_processes(tmp_path):
    """Two fresh processes render the same PNG byte for byte (no clock in the sRGB profile)."""
    import subprocess
    import sys

    from conftest import ROOT

    outs = []
    for i in range(2):
        out = tmp_path / f"{i}.png"
        subprocess.run(
            [sys.executable, "-m", "poster_engine", "render", "stat-cobalt", "-f", "instagram", "-o", str(out)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
