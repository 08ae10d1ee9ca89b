"""Spot inks (issue 15, item 5; docs/print.md §6 rule 1): a brand swatch with `spot:` prints as a
Separation named after its ink, kept through prepress and flattening, listed by preflight, or printed
as its CMYK alternate when the profile says `spots: convert`. Read back with Ghostscript's tiffsep
(the ink's own plate file, with ink on it), mutool trace and pikepdf."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from conftest import ROOT
from PIL import Image

from poster_engine.core.diagnostics import PosterError
from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.print.prepress import make_print_pdf
from poster_engine.project.print_profiles import PRESETS, Swatch, select_print_settings
from poster_engine.project.settings import read_settings
from poster_engine.qa.preflight import preflight

INK = "PANTONE 109 C"
SWATCHES = {"#FFD400": Swatch((0.0, 0.15, 1.0, 0.0), spot=INK)}
PROFILES = {**PRESETS, "convert": replace(PRESETS["fogra39"], name="convert", spots="convert")}
# A yellow area in the spot ink, a yellow rule over blue, a 50 % yellow square over blue (composited:
# a process colour), black text on the yellow (overprints the spot plate).
SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="40mm" viewBox="0 0 60 40">
<rect width="60" height="40" fill="#2F5DA8"/>
<rect x="3" y="3" width="30" height="34" fill="#FFD400"/>
<path d="M36 20 L57 20" stroke="#FFD400" stroke-width="1"/>
<rect x="40" y="26" width="10" height="10" fill="#FFD400" opacity="0.5"/>
<path d="M8 10h20v3h-20z" fill="#000"/>
</svg>"""


def build(tmp: Path, profile: str = "fogra39") -> Path:
    settings = select_print_settings(ROOT, PROFILES, SWATCHES, profile)
    path = tmp / f"{profile}.pdf"
    path.write_bytes(make_print_pdf(svg_to_pdf(SVG), (54, 34), 3, "spot", datetime(2025, 1, 1, tzinfo=UTC), settings))
    return path


def separations(pdf: Path, tmp: Path) -> dict[str, np.ndarray]:
    out = tmp / "sep.tif"
    subprocess.run(
        ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffsep", "-r72", "-o", str(out), str(pdf)],
        check=True,
        timeout=60,
    )
    return {
        m.group(1): 255 - np.asarray(Image.open(f), dtype=np.int32)
        for f in tmp.glob("sep(*).tif")
        if (m := re.fullmatch(r"sep\((.*)\)\.tif", f.name))
    }


def px(mm: float) -> int:
    return int(round(mm * 72 / 25.4))


@pytest.mark.parametrize("profile", ["fogra39", "fogra39-x1a"])
def test_spot_ink_has_its_own_plate(profile, tmp_path):
    pdf = build(tmp_path, profile)
    plates = separations(pdf, tmp_path)
    assert set(plates) == {"Cyan", "Magenta", "Yellow", "Black", INK}
    area = (slice(px(17), px(30)), slice(px(6), px(30)))  # inside the yellow area, off the text (page mm)
    assert (plates[INK][area] == 255).all()  # solid spot ink
    for plate in ("Cyan", "Magenta", "Yellow", "Black"):
        assert (plates[plate][area] == 0).all(), plate  # and nothing else
    rule = plates[INK][px(20) - 1 : px(20) + 2, px(37) : px(56)]
    assert rule.max() == 255  # the stroke too
    text = (slice(px(10) + 1, px(13) - 1), slice(px(9), px(27)))
    assert (plates["Black"][text] == 255).all() and (plates[INK][text] == 255).all()  # black overprints the spot
    trace = subprocess.run(["mutool", "trace", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r'colorspace="Separation\(DeviceCMYK,PANTONE 109 C\)"', trace) or INK in trace
    checks = {c.check: c for c in preflight(pdf, PRESETS[profile])}
    assert checks["spot-colours"].message == f"spot inks: {INK}" and not checks["spot-colours"].failed
    assert not [c.message for c in checks.values() if c.failed]


def test_spots_convert_prints_the_cmyk_alternate(tmp_path):
    pdf = build(tmp_path, "convert")
    plates = separations(pdf, tmp_path)
    assert set(plates) == {"Cyan", "Magenta", "Yellow", "Black"}
    area = (slice(px(17), px(30)), slice(px(6), px(30)))
    assert (plates["Yellow"][area] == 255).all() and (np.abs(plates["Magenta"][area] - 38) <= 1).all()
    with pikepdf.open(pdf) as doc:
        assert not [o for o in doc.objects if isinstance(o, pikepdf.Array) and len(o) and o[0] == "/Separation"]


def test_project_yaml_declares_spot_inks(tmp_path):
    (tmp_path / "project.yaml").write_text(
        "print_profiles:\n  press:\n    based_on: fogra39-x1a\n    spots: convert\n"
        'brand_colors:\n  "#FFD400":\n    cmyk: [0, 15, 100, 0]\n    spot: "PANTONE 109 C"\n'
    )
    settings = read_settings(tmp_path)
    assert settings.swatches["#FFD400"] == Swatch((0.0, 0.15, 1.0, 0.0), None, INK)
    assert settings.print_profiles["press"].spots == "convert" and settings.print_profiles["press"].pdfx == "1a"
    (tmp_path / "project.yaml").write_text("print_profiles:\n  press:\n    spots: maybe\n")
    with pytest.raises(PosterError) as err:
        read_settings(tmp_path)
    assert str(err.value) == (
        "project.yaml:3: print profile 'press': spots must be keep (spot inks as Separations) or convert "
        "(their CMYK values)"
    )
    (tmp_path / "project.yaml").write_text('brand_colors:\n  "#FFD400":\n    cmyk: [0, 15, 100, 0]\n    spot: 12\n')
    with pytest.raises(PosterError) as err:
        read_settings(tmp_path)
    assert (
        str(err.value)
        == 'project.yaml:2: brand colour #FFD400: spot must be the ink\'s name, e.g. spot: "PANTONE 109 C"'
    )
