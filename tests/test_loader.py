"""One loader: every command and every worker opens a project the same way (open_project)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from conftest import run_cli

from poster_engine.api import plan
from poster_engine.batch.build import build
from poster_engine.preview.renderer import Preview
from poster_engine.project.loader import open_project
from poster_engine.qa.check import check_campaign

# A format only this project knows: a poster that uses it must build, check and preview alike.
PROJECT_FORMAT = """
formats:
  square-print:
    medium: print
    width_mm: 300
    height_mm: 300
    viewing_m: 1
"""


@pytest.fixture
def with_project_format(project: Path) -> Path:
    (project / "project.yaml").write_text(PROJECT_FORMAT)
    poster = project / "posters" / "stat-cobalt.yaml"
    text = poster.read_text()
    poster.write_text(text[: text.index("formats:")] + "formats: [square-print, instagram]\n")
    return project


def _manifest(out: Path) -> dict[str, str]:
    return {e["file"]: e["sha256"] for e in json.loads((out / "manifest.json").read_text())["outputs"]}


@pytest.mark.parametrize(
    "method", [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]
)
def test_pool_workers_open_the_project_as_the_client_does(with_project_format, tmp_path, method):
    project = open_project(with_project_format)
    jobs = plan(project, ["stat-cobalt", "choc-cobalt"], ["square-print", "instagram"]).jobs
    assert {j.format.name for j in jobs} == {"square-print", "instagram"}
    report = build(project, jobs, tmp_path / method, workers=2, start_method=method, contact=False)
    assert not report.errors, [str(d) for d in report.errors]
    here = build(project, jobs, tmp_path / "serial", workers=1, contact=False)
    assert not here.errors
    assert _manifest(tmp_path / method) == _manifest(tmp_path / "serial")


def test_preview_build_and_check_accept_the_same_formats(with_project_format):
    project = open_project(with_project_format)
    assert "square-print" in project.formats
    findings = check_campaign(project, posters=["stat-cobalt"])
    assert not [f for f in findings if f.check == "input" or "unknown format" in f.message], findings
    built = run_cli("build", "-p", "stat-cobalt", "-j", "1", cwd=with_project_format)
    assert built.returncode == 0, built.stderr
    assert (with_project_format / "build" / "stat-cobalt" / "square-print.pdf").is_file()
    preview = Preview(with_project_format, posters=["stat-cobalt"])
    preview.refresh()
    (row,) = preview.rows
    assert row.formats == ["instagram", "square-print"] and row.error is None  # registry order
    assert all(card.error is None and card.png for card in row.cards.values()), {
        f: c.error for f, c in row.cards.items()
    }
