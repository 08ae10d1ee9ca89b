"""PDF/X-1a:2003 and PDF/X-3:2003 (issue 15, item 4; docs/print.md §3a), and the exact compositing of
constant opacity over flat colour that every flavour gets.

Read back with pdfinfo (subtype, version), qpdf --check, mutool trace (no group, every alpha 1, the
composited colours as vectors), pdfimages (the flattened pieces at the profile's resolution),
pikepdf (Info keys, no soft mask, blend mode or group left) and Ghostscript (the X-1a raster against
the X-4 one, area by area).
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from conftest import ROOT
from PIL import Image

from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.print.colors import ColorConverter
from poster_engine.export.print.prepress import make_print_pdf
from poster_engine.project.print_profiles import PRESETS, select_print_settings
from poster_engine.qa.preflight import preflight

STAMP = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
# 60 × 40 mm: a flat background; a 30 % white square on it (exact: an opaque colour); a group with
# opacity whose shapes overlap (not exact: a raster); a gradient whose stops fade out (a soft mask:
# a raster); black text drawn after them (stays vector).
SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="40mm" viewBox="0 0 60 40">
<defs><linearGradient id="g"><stop offset="0" stop-color="#FFD400"/><stop offset="1" stop-color="#FFD400" stop-opacity="0"/></linearGradient></defs>
<rect width="60" height="40" fill="#2F5DA8"/>
<rect x="4" y="4" width="12" height="12" fill="#FFFFFF" opacity="0.3"/>
<g opacity="0.6"><rect x="22" y="4" width="12" height="12" fill="#FF5A36"/><rect x="28" y="10" width="12" height="12" fill="#FFD400"/></g>
<rect x="4" y="24" width="30" height="12" fill="url(#g)"/>
<path d="M44 26h12v2h-12z M44 31h12v2h-12z" fill="#000"/>
</svg>"""


def build(pdfx: str, tmp: Path) -> Path:
    settings = select_print_settings(ROOT, PRESETS, {}, {"4": "fogra39", "1a": "fogra39-x1a", "3": "fogra39-x3"}[pdfx])
    path = tmp / f"x{pdfx}.pdf"
    path.write_bytes(make_print_pdf(svg_to_pdf(SVG), (54, 34), 3, "flavours", STAMP, settings))  # 3 mm bleed
    return path


def run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("pdfx")
    return {pdfx: build(pdfx, tmp) for pdfx in ("4", "1a", "3")}


@pytest.mark.parametrize("pdfx, subtype", [("1a", "PDF/X-1a:2003"), ("3", "PDF/X-3:2003")])
def test_identification_version_and_structure(files, pdfx, subtype):
    path = files[pdfx]
    info = run("pdfinfo", str(path))
    assert re.search(r"^PDF version:\s+1\.4$", info, re.M), info
    assert re.search(rf"^PDF subtype:\s+{re.escape(subtype)}$", info, re.M), info
    run("qpdf", "--check", str(path))
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.4"
        info = pdf.docinfo
        assert str(info.GTS_PDFXVersion) == subtype
        assert (str(info.get("/GTS_PDFXConformance")) == subtype) == (pdfx == "1a")
        assert info.Trapped == "/False" and str(info.Title) == "flavours" and "/CreationDate" in info
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and str(intent.OutputConditionIdentifier) == "FOGRA39"
        for obj in [p.obj for p in pdf.pages] + list(pdf.objects):
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                assert "/Group" not in obj, obj
                assert obj.get("/SMask") in (None, pikepdf.Name("/None")) or obj.get("/Subtype") != "/Image"
                for key in ("/ca", "/CA"):
                    assert key not in obj or float(obj[key]) == 1
                assert obj.get("/BM") in (None, "/Normal")
                resources = obj.get("/Resources")
                for gs in ((resources or {}).get("/ExtGState") or {}).values():
                    assert gs.get("/SMask") in (None, pikepdf.Name("/None"))
                    assert all(float(gs.get(k, 1)) == 1 for k in ("/ca", "/CA"))
    trace = run("mutool", "trace", str(path))
    assert "<group" not in trace
    assert set(re.findall(r'alpha="([^"]*)"', trace)) <= {"1"}
    verdict = preflight(path, PRESETS[{"1a": "fogra39-x1a", "3": "fogra39-x3"}[pdfx]])
    assert not [c.message for c in verdict if c.failed]
    assert [c.message for c in verdict if c.check == "transparency"] == ["none (flattened)"]


def test_constant_opacity_over_flat_colour_is_an_opaque_vector_colour(files):
    """The 30 % white square over #2F5DA8: the screen shows the sRGB mix; every flavour paints that
    colour, converted by the print rules, as an opaque vector fill (X-4 included)."""
    mixed = tuple(round(0.3 * 255 + 0.7 * v) for v in (0x2F, 0x5D, 0xA8))
    cmyk = ColorConverter(select_print_settings(ROOT, PRESETS, {}, "fogra39")).convert(mixed)  # type: ignore[arg-type]
    want = " ".join(f"{v:.4f}".rstrip("0").rstrip(".").lstrip("0") or "0" for v in cmyk)
    for pdfx, path in files.items():
        fills = re.findall(r"<fill_path ([^>]*)>", run("mutool", "trace", str(path)))
        square = [f for f in fills if f'color="{want}"' in f]
        assert len(square) == 1, (pdfx, want, fills)
        assert "alpha" not in square[0] or 'alpha="1"' in square[0]


def test_the_rest_is_rasterised_at_the_profiles_resolution(files):
    rows = [r.split() for r in run("pdfimages", "-list", str(files["1a"])).splitlines()[2:]]
    assert len(rows) == 2  # the overlapping group, the fading gradient
    for row in rows:
        assert row[5] == "cmyk" and int(row[12]) == int(row[13]) == 300
    assert run("pdfimages", "-list", str(files["4"])).count("\n") == 2  # no image at all


def test_flattened_file_matches_the_x4_file(files, tmp_path):
    """Ghostscript rasters of the X-1a and X-4 files at 300 dpi, compared over 1 mm areas (12 × 12 px):
    every area within 2/255 per plate; single pixels differ only on the edges of the pieces."""
    plates = {}
    for pdfx in ("4", "1a"):
        out = tmp_path / f"{pdfx}.tif"
        run(
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=tiff32nc",
            "-r300",
            "-o",
            str(out),
            str(files[pdfx]),
        )
        plates[pdfx] = np.asarray(Image.open(out), dtype=np.float64)
    a, b = plates["4"], plates["1a"]
    assert a.shape == b.shape
    h, w = a.shape[0] // 12 * 12, a.shape[1] // 12 * 12

    def areas(x):
        return x[:h, :w].reshape(h // 12, 12, w // 12, 12, 4).mean(axis=(1, 3))

    assert np.abs(areas(a) - areas(b)).max() <= 2.0
    assert (np.abs(a - b).max(axis=2) > 2).mean() < 0.005
