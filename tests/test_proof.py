"""`poster proof`: the contact sheet, read back by pikepdf and Pillow."""

from __future__ import annotations

import math

import pikepdf
from conftest import run_cli
from PIL import Image

from poster_engine.api import write_proof
from poster_engine.qa.proof import COLUMNS, ROWS, SHEET_PX

MM = 72 / 25.4


def test_proof_of_the_whole_campaign(tmp_path, demo, campaign, jobs):
    report = write_proof(demo, jobs, tmp_path)
    assert not report.errors
    sheets = math.ceil(len(jobs) / (COLUMNS * ROWS))
    assert report.sheets == sheets >= 2
    with pikepdf.open(tmp_path / "proof.pdf") as pdf:
        assert len(pdf.pages) == sheets
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].MediaBox)
        assert round((x1 - x0) / MM) == 420 and round((y1 - y0) / MM) == 297  # A3 landscape
        assert str(pdf.docinfo["/Title"]) == "Numérique en lumière — proof"
    with Image.open(tmp_path / "proof.png") as im:
        assert im.width == SHEET_PX[0] and im.height >= sheets * SHEET_PX[1]


def test_cli_proof_draws_a_failing_poster_as_its_error(project):
    messages = project / "messages.yaml"
    messages.write_text(
        messages.read_text(encoding="utf-8").replace(
            "Le cobalt de nos batteries passe par des *mains d'enfants*.",
            "Le cobalt de nos batteries passe par des mains d'enfants, " * 6,
        ),
        encoding="utf-8",
    )
    result = run_cli("proof", "-p", "choc-cobalt", "-p", "stat-illectronisme", cwd=project)
    assert result.returncode == 1  # some posters failed; the sheet shows the others
    errors = result.stderr.splitlines()
    assert len(errors) == 2 and all(e.startswith("error: posters/choc-cobalt.yaml:3: text ") for e in errors)
    assert result.stdout.startswith("1 sheet(s), 2 of 4 image(s) → ")
    with pikepdf.open(project / "build" / "proof.pdf") as pdf:
        assert len(pdf.pages) == 1
    with Image.open(project / "build" / "proof.png") as im:
        assert im.size == SHEET_PX
        # The first cell is the failing choc-cobalt a3: drawn in the error colour, not as a poster.
        assert im.getpixel((70, 60 + 110 + 20)) == (0xFB, 0xEA, 0xEA)
