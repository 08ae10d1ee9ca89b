"""`poster check`: the demo passes with its known warnings; a campaign seeded with one of each
problem fails with one finding per problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from poster_engine.core.formats import FORMATS
from poster_engine.qa.check import contrast_ratio, css_px

# The demo's known warnings: placeholder links and sources, one statistic without a year, and the
# choc layout's source line on Instagram (legible only zoomed; see README, "poster check").
KNOWN_DEMO_WARNINGS = {"placeholder", "source", "gamut"}  # placeholders, footnote sources, colours FOGRA39 cannot print


def _check(project: Path, *args: str):
    result = run_cli("check", "--json", *args, cwd=project)
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout)


def test_demo_campaign_passes_with_known_warnings(project):
    result, report = _check(project)
    assert result.returncode == 0, result.stdout
    assert report["errors"] == 0
    assert {f["check"] for f in report["findings"]} == KNOWN_DEMO_WARNINGS
    assert all(f["severity"] == "warning" for f in report["findings"])
    assert not (project / "build").exists()


def test_strict_fails_on_warnings_and_the_table_reads_at_a_glance(project):
    result = run_cli("check", "--strict", "-p", "stat-cobalt", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SEVERITY", "WHERE", "CHECK", "MESSAGE"]
    assert "warning   messages.yaml:20" in result.stdout  # the campaign URL, located
    assert lines[-1].endswith("warning(s)")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_seeded_campaign_fails_with_one_finding_per_problem(project):
    from PIL import Image

    # A statistic without a year, a placeholder source (already in the demo).
    _edit(project / "messages.yaml", "    year: 2014\n", "")
    # Contrast: dark grey text on the near-black background (on another poster than the QR's below:
    # a link too long for its QR slot stops that poster's composition, so nothing else is measured).
    _edit(project / "posters" / "choc-telephone.yaml", 'text: "#FFFFFF"', 'text: "#333333"')
    # A message too long for its slot.
    _edit(project / "messages.yaml", "passe par des *mains d'enfants*.", "passe par des *mains d'enfants*. " * 12)
    # A QR with modules under 0.5 mm: a 900-character URL (the composer's error, with check id "qr").
    _edit(
        project / "messages.yaml",
        "url: https://example.org/films/e-waste-asie",
        "url: https://films.example.net/" + "x" * 900,
    )
    # A photo of 200 px across a 265 mm slot.
    Image.new("RGB", (200, 130), "gray").save(project / "visuals" / "small.png")
    _edit(project / "posters" / "film-sang-et-boue.yaml", "visual: visuals/minerai.jpg", "visual: visuals/small.png")
    # Type too small for A3: the statistic's source at 1 mm.
    _edit(
        project / "layouts" / "stat.svg",
        'data-size-min="2.8" data-size-max="4" data-max-lines="1"',
        'data-size-min="1" data-size-max="1.2" data-max-lines="1"',
    )
    stat_line = (project / "messages.yaml").read_text().splitlines().index("  enfants-cobalt:") + 1

    result, report = _check(project)
    assert result.returncode == 1, result.stdout
    found = {(f["severity"], f["check"], f["where"]) for f in report["findings"]}
    expected = {
        ("warning", "source", f"messages.yaml:{stat_line}"),
        ("error", "contrast", "choc-telephone/a3"),
        ("error", "fit", "choc-cobalt/a3"),
        ("error", "qr", "choc-dechets/a3"),
        ("error", "resolution", "film-sang-et-boue/a3"),
        ("error", "type-size", "stat-illectronisme/a3"),
        ("warning", "placeholder", "messages.yaml:20"),
    }
    missing = {e for e in expected if e not in found}
    assert not missing, (missing, json.dumps(report, indent=1, ensure_ascii=False))
    fit = next(f for f in report["findings"] if f["check"] == "fit" and f["where"] == "choc-cobalt/a3")
    assert fit["message"] == (
        'posters/choc-cobalt.yaml:3: text "Le cobalt de nos batteries passe par de…" does not '
        "fit slot 'message' of layouts/choc.svg at format a3, even at the minimum size 10: needs "
        "8 lines, 4 allowed; shorten the text or lower the slot's data-size-min"
    )
    assert not (project / "build").exists()


def test_check_on_bad_input_exits_2(project):
    (project / "posters" / "choc-cobalt.yaml").write_text("title: [\n")
    result = run_cli("check", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "posters/choc-cobalt.yaml:2" in result.stdout


@pytest.mark.parametrize(
    "fg, bg, ratio", [("#000000", "#FFFFFF", 21.0), ("#777777", "#FFFFFF", 4.48), ("#FFD400", "#111418", 12.9)]
)
def test_contrast_ratio_is_wcag(fg, bg, ratio):
    assert contrast_ratio(fg, bg) == pytest.approx(ratio, abs=0.05)


def test_large_text_is_the_same_angle_on_every_format():
    # 24 CSS px at 71 cm is 6.35 mm; read from 0.7 m (A3) it is 6.25 mm, from 2 m (A0) 17.9 mm.
    # A3 is seen from 0.6 m (the format registry: one viewing distance for QR size and type size).
    assert css_px(6.35, FORMATS["a3"]) == pytest.approx(24 * 0.7112 / 0.6, rel=1e-3)
    assert css_px(17.86, FORMATS["a0"]) == pytest.approx(24, rel=1e-2)
