"""Black that prints as solid ink and overprints (issue 15, item 1; docs/print.md §6 rule 2, §6a).

Near-black text and rules become 100 % K; 100 % K text and thin rules overprint (OP, op, OPM 1);
white, large areas and thick strokes never do; transparency groups do not defeat it. Read back with
mutool trace (the operators' colour and overprint state) and Ghostscript's `tiffsep` (one raster per
plate: under a black glyph on a coloured area the C, M and Y plates keep the area's ink).
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from poster_engine.core.color import srgb_to_lab
from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.print.colors import NEAR_BLACK_L, ColorConverter, is_near_black
from poster_engine.export.print.prepress import make_print_pdf
from poster_engine.project.print_profiles import PRESETS, select_print_settings

STAMP = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
SETTINGS = select_print_settings(ROOT, PRESETS, {}, "fogra39")
DPI = 72
PLATES = ("Cyan", "Magenta", "Yellow", "Black")


def print_pdf(body: str, tmp: Path, name: str = "t") -> Path:
    """A 60 × 40 mm SVG (user unit = 1 mm) through cairo and prepress, no bleed."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="40mm" viewBox="0 0 60 40">' + body + "</svg>"
    ).encode()
    path = tmp / f"{name}.pdf"
    path.write_bytes(make_print_pdf(svg_to_pdf(svg), (60, 40), 0, name, STAMP, SETTINGS))
    return path


def trace_fills(pdf: Path) -> list[dict[str, str]]:
    """mutool's view of every painted path: its colour and overprint state."""
    out = subprocess.run(["mutool", "trace", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [dict(re.findall(r'(\w+)="([^"]*)"', m)) for m in re.findall(r"<(?:fill|stroke)_path ([^>]*)>", out)]


def plates(pdf: Path, tmp: Path) -> dict[str, np.ndarray]:
    """Ghostscript's separations: ink per plate, 0..255 (tiffsep writes 255 for no ink)."""
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=tiffsep",
            f"-r{DPI}",
            "-o",
            str(tmp / "sep.tif"),
            str(pdf),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return {p: 255 - np.asarray(Image.open(tmp / f"sep({p}).tif"), dtype=np.int32) for p in PLATES}


def at(sep: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """The pixels of a box given in mm from the top left, one pixel inside its edges."""
    px = lambda mm: int(round(mm * DPI / 25.4))  # noqa: E731
    return sep[px(y0) + 1 : px(y1) - 1, px(x0) + 1 : px(x1) - 1]


# --- near-black: the threshold ---------------------------------------------------------------------
def test_near_black_threshold_is_lightness_and_neutrality():
    assert srgb_to_lab("#111111")[0] < NEAR_BLACK_L < srgb_to_lab("#1D1D22")[0]
    assert is_near_black((0x11, 0x11, 0x11)) and is_near_black((0x11, 0x14, 0x18))  # L* 5.1; L* 6.2, C* 3.2
    assert not is_near_black((0x1D, 0x1D, 0x22))  # L* 10.9: a dark grey, printed as a grey
    assert not is_near_black((0x1A, 0x10, 0x30))  # L* 7.0 but C* 23: a dark purple, not black
    conv = ColorConverter(SETTINGS)
    assert conv.convert((0x11, 0x11, 0x11)) == (0.0, 0.0, 0.0, 1.0)  # text and strokes: solid K
    large = conv.convert((0x11, 0x11, 0x11), large=True)  # a large area keeps its grey (≈ 96.5 % K)
    assert large[:3] == (0.0, 0.0, 0.0) and 0.95 < large[3] < 0.98
    assert conv.convert_tone((0x11, 0x11, 0x11)) == large  # gradients: no step at the threshold
    assert conv.convert((0x1D, 0x1D, 0x22)) != (0.0, 0.0, 0.0, 1.0)


# --- overprint: which objects ----------------------------------------------------------------------
def test_black_text_and_thin_rules_overprint_white_large_and_thick_do_not(tmp_path):
    pdf = print_pdf(
        '<rect width="60" height="40" fill="#2F5DA8"/>'
        '<path d="M10 10h10v2h-10z M10 14h10v2h-10z" fill="#111111"/>'  # near-black "text"
        '<path d="M5 30 L55 30" stroke="#000" stroke-width="0.5"/>'  # thin rule, 1.4 pt
        '<path d="M5 35 L55 35" stroke="#000" stroke-width="1"/>'  # 2.8 pt: not thin
        '<path d="M30 5h10v10h-10z" fill="#FFFFFF"/>'  # white
        '<path d="M45 5h5v5h-5z" fill="#FF5A36"/>',  # a colour
        tmp_path,
    )
    paths = trace_fills(pdf)
    by_colour = {}
    for p in paths:
        by_colour.setdefault((p["color"], "linewidth" in p), []).append(p.get("op"))
    assert by_colour[("0 0 0 1", False)] == ["1"]  # the near-black text: solid K, overprinting
    assert [p["opm"] for p in paths if p.get("op") == "1"] == ["1", "1"]
    strokes = [p for p in paths if "linewidth" in p]
    assert [(float(p["linewidth"]), p["op"]) for p in strokes] == [
        (pytest.approx(1.417, abs=0.01), "1"),
        (pytest.approx(2.835, abs=0.01), "0"),
    ]
    assert by_colour[("0 0 0 0", False)] == ["0"]  # white never overprints
    assert all(p["op"] == "0" for p in paths if p["color"] not in ("0 0 0 1",))

    # A black area of 30 × 30 mm is a large fill: rich black, knocking out (no overprint).
    big = print_pdf(
        '<rect width="60" height="40" fill="#2F5DA8"/><rect x="5" y="5" width="30" height="30"/>', tmp_path, "big"
    )
    (rect,) = [p for p in trace_fills(big) if p["color"] != ".8667 .6275 .0353 0"]
    assert rect["color"] == ".6 .4 .4 1" and rect["op"] == "0"


def test_separations_keep_the_colour_under_black_text(tmp_path):
    """Ghostscript's plates: under the glyphs C, M and Y carry the blue, K is solid; under the white
    square no plate has ink; black shapes inside a group with opacity (a transparency group, which
    cairo writes isolated) still overprint."""
    pdf = print_pdf(
        '<rect width="60" height="40" fill="#2F5DA8"/>'
        '<path d="M10 10h10v2h-10z M10 14h10v2h-10z" fill="#111111"/>'
        # overlapping shapes: the group stays a live transparency group (docs/print.md §3a)
        '<g opacity="0.9"><path d="M30 20h10v3h-10z" fill="#000"/><path d="M35 20h10v9h-10z" fill="#000"/></g>'
        '<path d="M45 5h10v10h-10z" fill="#FFFFFF"/>',
        tmp_path,
    )
    sep = plates(pdf, tmp_path)
    background = {p: int(np.median(at(sep[p], 1, 30, 8, 38))) for p in PLATES}
    assert background["Cyan"] > 200 and background["Magenta"] > 150 and background["Black"] == 0
    for p in ("Cyan", "Magenta", "Yellow"):
        assert (at(sep[p], 10, 10, 20, 12) == background[p]).all(), p  # overprinted: the blue stays
        assert (np.abs(at(sep[p], 30, 20, 40, 23) - background[p]) <= 1).all(), p  # inside the group too
        assert (at(sep[p], 45, 5, 55, 15) == 0).all(), p  # white knocks out: paper
    assert (at(sep["Black"], 10, 10, 20, 12) == 255).all()
    assert (at(sep["Black"], 30, 20, 40, 23) == 230).all()  # 90 % opacity of solid K
    assert (at(sep["Black"], 45, 5, 55, 15) == 0).all()


def test_demo_near_black_text_is_solid_k_and_overprints(demo, tmp_path):
    """film-sang-et-boue sets its text in #111111: it was a 96.5 % K screen (issue 15)."""
    from poster_engine.plan import plan_jobs
    from poster_engine.render.job import render_job

    (job,) = plan_jobs(demo, ["film-sang-et-boue"], ["a4"])
    assert demo.campaign.posters[job.poster_id].spec.colors.text == "#111111"
    pdf = tmp_path / "a4.pdf"
    pdf.write_bytes(render_job(demo, job))
    blacks = [p for p in trace_fills(pdf) if p["colorspace"] == "DeviceCMYK" and p["color"] == "0 0 0 1"]
    assert len(blacks) >= 5
    assert all(p["op"] == "1" and p["opm"] == "1" for p in blacks if "alpha" not in p)
    assert not [p for p in trace_fills(pdf) if re.fullmatch(r"0 0 0 \.9\d*", p["color"])]  # no 96 % K left
