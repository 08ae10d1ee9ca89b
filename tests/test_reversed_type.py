"""Small reversed type (issue 15, item 2; docs/print.md §6c): light text under 10 pt knocked out of a
background printed on two inks or more is a `poster check` warning with its slot; a print profile with
`reversed_text: single-ink` prints a rich-black ground behind it in black ink alone (checked on
Ghostscript's separations), and the warning then goes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
from conftest import run_cli
from PIL import Image


def _a4_only(project: Path, *posters: str) -> None:
    for poster in posters:
        path = project / "posters" / f"{poster}.yaml"
        path.write_text(re.sub(r"^formats: .*$", "formats: [a4]", path.read_text(), flags=re.M))


def _findings(project: Path, *args: str) -> list[dict]:
    result = run_cli("check", "--json", *args, cwd=project)
    assert "Traceback" not in result.stderr, result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["check"] == "reversed-type"]


def test_check_finds_small_reversed_type_with_its_slot(scratch):
    # At A3 (the demo's print format) these slots are 11.3 pt and more: no such warning.
    assert _findings(scratch, "-p", "choc-cobalt") == []
    _a4_only(scratch, "choc-cobalt", "choc-dechets")
    found = _findings(scratch, "-p", "choc-cobalt", "-p", "choc-dechets")
    assert {(f["where"], f["slot"]) for f in found} == {
        ("choc-cobalt/a4", "stat-source"),
        ("choc-cobalt/a4", "footer"),
        ("choc-dechets/a4", "stat-source"),
        ("choc-dechets/a4", "footer"),
    }
    (footer,) = [f for f in found if f["where"] == "choc-cobalt/a4" and f["slot"] == "footer"]
    assert footer["severity"] == "warning"
    assert footer["message"] == (
        "slot 'footer': 8.0 pt #FFFFFF type knocked out of #111418, printed on 4 inks (60/40/40/100): every "
        "plate must register on its hairlines; set it at 10 pt or more, or print with a profile that has "
        "reversed_text: single-ink (this ground in black ink alone)"
    )
    (green,) = [f for f in found if f["where"] == "choc-dechets/a4" and f["slot"] == "footer"]
    assert "single-ink" not in green["message"]  # an ICC mix of four inks: only larger type helps


def test_single_ink_profile_lays_the_ground_on_black_alone(scratch, tmp_path):
    (scratch / "project.yaml").write_text(
        (scratch / "project.yaml")
        .read_text()
        .replace(
            "print_profiles:\n",
            "print_profiles:\n  reversed:\n    based_on: fogra39\n    reversed_text: single-ink\n",
            1,
        )
    )
    _a4_only(scratch, "choc-cobalt", "choc-dechets")
    remaining = _findings(scratch, "-p", "choc-cobalt", "-p", "choc-dechets", "-P", "reversed")
    assert {f["where"] for f in remaining} == {"choc-dechets/a4"}  # the rich black is fixed, the green not
    pdf = tmp_path / "a4.pdf"
    result = run_cli("render", "choc-cobalt", "-f", "a4", "-P", "reversed", "-o", str(pdf), cwd=scratch)
    assert result.returncode == 0, result.stderr
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=tiffsep",
            "-r36",
            "-o",
            str(tmp_path / "s.tif"),
            str(pdf),
        ],
        check=True,
        timeout=120,
    )
    plates = {
        p: 255 - np.asarray(Image.open(tmp_path / f"s({p}).tif"), dtype=np.int32)
        for p in ("Cyan", "Magenta", "Yellow", "Black")
    }
    corner = (slice(2, 12), slice(2, 12))  # the ground, in the bleed
    assert (plates["Black"][corner] == 255).all()
    for p in ("Cyan", "Magenta", "Yellow"):
        assert (plates[p][corner] == 0).all(), p  # was 60/40/40 under the K
