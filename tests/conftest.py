"""Shared fixtures: the demo campaign composed and built once per session, and scratch projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# The photo work cache (project/workcache.py) of this run, in and out of process: the user's own
# cache is never read or written by the tests.
os.environ["POSTER_CACHE_DIR"] = tempfile.mkdtemp(prefix="poster-work-cache-")

from poster_engine.batch.build import build
from poster_engine.compose.document import compose
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import Project, open_project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo() -> Project:
    """The demo project, opened as every command opens it."""
    return open_project(ROOT)


@pytest.fixture(scope="session")
def campaign(demo):
    return demo.campaign


@pytest.fixture(scope="session")
def jobs(demo):
    """Every demo poster in each of its formats, in French (the build the output tests read back)."""
    return plan_jobs(demo)


@pytest.fixture(scope="session")
def compositions(demo, campaign):
    """Every demo poster in every one of its formats and languages, composed (not rendered)."""
    return {
        job.output: compose(demo, campaign.posters[job.poster_id], job.format, job.lang)
        for job in plan_jobs(demo, langs=["fr", "en"])
    }


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory, demo, jobs) -> Path:
    """The whole demo campaign rendered once into a temporary build folder."""
    out = tmp_path_factory.mktemp("build")
    report = build(demo, jobs, out)
    assert not report.errors, [str(e) for e in report.errors]
    return out


@pytest.fixture
def project(tmp_path) -> Path:
    """A scratch copy of the demo project that a test may break."""
    dst = tmp_path / "project"
    dst.mkdir()
    shutil.copy(ROOT / "messages.yaml", dst)
    for folder in ("posters", "layouts", "visuals", "fonts", "data"):
        shutil.copytree(ROOT / folder, dst / folder)
    return dst


@pytest.fixture
def scratch(tmp_path) -> Path:
    """A copy of the demo project with its project.yaml; fonts too, since a case may break one."""
    dst = tmp_path / "project"
    dst.mkdir()
    for name in ("messages.yaml", "project.yaml"):
        shutil.copy(ROOT / name, dst)
    for folder in ("posters", "layouts", "visuals", "fonts"):
        shutil.copytree(ROOT / folder, dst / folder)
    return dst


def main_exit_code(*args: str, project: Path) -> int:
    """The real `poster` entry point (main(), with its last-resort handler) in this process, on
    `args` + --project: its exit code. Output goes wherever the caller captures it."""
    from poster_engine.cli import main

    argv = sys.argv
    sys.argv = ["poster", *args, "--project", str(project)]
    try:
        main()
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real `poster` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "poster_engine", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def assert_clean_failure(
    result: subprocess.CompletedProcess, project: Path, expected: str, alone: bool = False
) -> None:
    """Bad input: exit code 2, no traceback, the `expected` line printed (`alone`: and nothing else),
    nothing written."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines == [expected] if alone else expected in lines, result.stderr
    assert not (project / "build").exists()


# A real browser for the live page's tests (test_preview.py, test_workbench.py): Debian's Chromium,
# headless, driven by Playwright.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()
