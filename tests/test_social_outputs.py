"""Every format's output, read back: exact sizes, sRGB tags, file-size limits, alt text, QR, contact sheets."""

from __future__ import annotations

import io
import json
import re
import subprocess

import pytest
import zxingcpp
from conftest import ROOT, run_cli
from PIL import Image, ImageCms

from poster_engine.core.formats import FORMATS

SOCIAL = [f for f in FORMATS.values() if f.medium == "social"]
PRINT = [f for f in FORMATS.values() if f.medium == "print"]


@pytest.fixture(scope="module")
def social_build(tmp_path_factory):
    """One poster of each layout family in every social format, PNG (the default)."""
    out = tmp_path_factory.mktemp("social")
    posters = ["choc-cobalt", "stat-illectronisme", "film-sang-et-boue", "programme"]
    args = [a for p in posters for a in ("-p", p)]
    result = run_cli("build", *args, "-f", "social", "-o", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return out, posters


def test_social_images_are_exact_srgb_and_within_limits(social_build):
    out, posters = social_build
    for poster in posters:
        for fmt in SOCIAL:
            path = out / poster / f"{fmt.name}.png"
            with Image.open(path) as im:
                assert im.size == (fmt.width, fmt.height), path
                profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"])).profile
                assert "sRGB" in profile.profile_description
            assert path.stat().st_size <= fmt.max_bytes, path


def test_every_output_has_its_alt_text(social_build):
    out, posters = social_build
    manifest = {e["file"]: e for e in json.loads((out / "manifest.json").read_text())["outputs"]}
    assert len(manifest) == len(posters) * len(SOCIAL)
    for file, entry in manifest.items():
        alt = (out / f"{file}.alt.txt").read_text(encoding="utf-8").strip()
        assert alt and alt == entry["alt"], file
        assert alt.startswith("Affiche\u00a0: ")


def test_social_images_write_the_link_instead_of_a_code(social_build):
    out, posters = social_build
    for poster in posters:
        with Image.open(out / poster / "instagram.png") as im:
            assert not zxingcpp.read_barcodes(im), poster  # no code to scan on the screen showing it


def test_each_poster_gets_a_contact_sheet_of_its_formats(social_build):
    out, posters = social_build
    for poster in posters:
        with Image.open(out / poster / "contact.png") as im:
            assert im.width > 1000 and im.height > 300


@pytest.mark.parametrize("kind, magic", [("jpeg", b"\xff\xd8\xff"), ("webp", b"RIFF")])
def test_jpeg_and_webp_on_request_tagged_srgb_under_the_limit(tmp_path, kind, magic):
    result = run_cli(
        "build", "-p", "film-sang-et-boue", "-f", "instagram", "--image-format", kind, "-o", str(tmp_path), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    (path,) = [
        p
        for p in (tmp_path / "film-sang-et-boue").iterdir()
        if p.name.startswith("instagram.") and not p.name.endswith(".txt")  # not the alt text, not the caption
    ]
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) <= FORMATS["instagram"].max_bytes
    with Image.open(path) as im:
        assert im.size == (1080, 1350)
        assert "sRGB" in ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"])).profile.profile_description


def test_bus_shelter_print_size_and_its_large_qr_decodes(tmp_path):
    """120 × 176 cm: exact trim size, and the QR (sized for 3 m) decodes from a low-resolution raster."""
    pdf = tmp_path / "b.pdf"
    result = run_cli("render", "choc-cobalt", "-f", "120x176", "-o", str(pdf), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    boxes = subprocess.run(["pdfinfo", "-box", str(pdf)], capture_output=True, text=True, check=True).stdout
    x0, y0, x1, y1 = (float(v) for v in re.search(r"TrimBox:\s+(.*)", boxes).group(1).split())
    assert (x1 - x0) * 25.4 / 72 == pytest.approx(1200, abs=0.1)
    assert (y1 - y0) * 25.4 / 72 == pytest.approx(1760, abs=0.1)
    subprocess.run(["pdftoppm", "-r", "12", "-png", "-singlefile", str(pdf), str(tmp_path / "b")], check=True)
    with Image.open(tmp_path / "b.png") as im:
        codes = [r.text for r in zxingcpp.read_barcodes(im)]
    assert codes == ["https://example.org/films/sang-et-boue"]


def test_print_trim_sizes_are_exact(demo, campaign):
    """Every print format's page = trim + 2 × bleed, from the composed document (no rendering)."""
    from poster_engine.compose.document import compose
    from poster_engine.plan import plan_jobs

    for fmt in PRINT:
        (job,) = plan_jobs(demo, ["stat-cobalt"], [fmt.name])
        svg = compose(demo, campaign.posters["stat-cobalt"], job.format).svg.decode()
        w, h = (float(v) for v in re.search(r'width="([\d.]+)mm" height="([\d.]+)mm"', svg).groups())
        assert (w, h) == pytest.approx((fmt.width + 2 * job.format.bleed_mm, fmt.height + 2 * job.format.bleed_mm))


def test_french_alt_text_keeps_its_no_break_spaces(demo):
    from poster_engine.plan import plan_jobs
    from poster_engine.render.alt_text import alt_text

    (job,) = plan_jobs(demo, ["choc-cobalt"], ["instagram"])
    alt = alt_text(demo, job)
    assert alt.startswith("Affiche\u00a0: «\u00a0Le cobalt")
    assert "40\u202f000" in alt
