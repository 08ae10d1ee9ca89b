"""Honest cache keys: a job is rebuilt exactly when something it read changed — the engine's own code,
a font it reaches only through a fallback, the layout variant it uses — and not otherwise."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_cli
from test_batch import rendered

POSTERS = ("-p", "stat-cobalt", "-p", "choc-cobalt", "-p", "film-sang-et-boue")


def _reads(project: Path) -> dict[str, dict]:
    entries = json.loads((project / "build" / "manifest.json").read_text())["outputs"]
    return {e["file"]: e["reads"] for e in entries}


def test_a_font_reached_only_through_a_fallback_rebuilds_the_outputs_that_read_it(project):
    stat = project / "layouts" / "stat.svg"
    fallback = "fonts/league-spartan/LeagueSpartan-Black.otf"  # used by no other layout
    stat.write_text(
        stat.read_text().replace(
            'data-font="InterDisplay-ExtraBold, Inter-Black"', 'data-font="InterDisplay-ExtraBold, LeagueSpartan-Black"'
        )
    )
    first = run_cli("build", *POSTERS, "-j", "1", cwd=project)
    assert first.returncode == 0, first.stderr
    readers = {out for out, r in _reads(project).items() if fallback in r["files"]}
    assert readers == {"stat-cobalt/a3.pdf", "stat-cobalt/instagram.png"}
    # Another valid font under the same name: what a font update looks like to the engine.
    shutil.copy(project / "fonts/league-spartan/LeagueSpartan-Bold.otf", project / fallback)
    again = run_cli("build", *POSTERS, "-j", "1", cwd=project)
    assert again.returncode == 0, again.stderr
    assert rendered(again) == readers


def test_a_layout_variant_rebuilds_the_formats_that_use_it_and_a_new_one_is_noticed(project):
    assert (
        run_cli("build", "-p", "stat-cobalt", "-f", "a3", "-f", "instagram-square", "-j", "1", cwd=project).returncode
        == 0
    )
    square = project / "layouts" / "stat.square.svg"
    square.write_text(square.read_text().replace('data-size-max="', 'data-size-max="1', 1))
    edited = run_cli("build", "-p", "stat-cobalt", "-f", "a3", "-f", "instagram-square", "-j", "1", cwd=project)
    assert rendered(edited) == {"stat-cobalt/instagram-square.png"}
    # A new variant for the portrait shape may change which template A3 uses: A3 read the listing.
    shutil.copy(project / "layouts" / "stat.svg", project / "layouts" / "stat.tall.svg")
    added = run_cli("build", "-p", "stat-cobalt", "-f", "a3", "-f", "instagram-square", "-j", "1", cwd=project)
    assert "stat-cobalt/a3.pdf" in rendered(added)


def test_a_file_no_job_read_rebuilds_nothing(project):
    assert run_cli("build", *POSTERS, "-f", "instagram", "-j", "1", cwd=project).returncode == 0
    unread = [
        f
        for f in ("fonts/bebas-neue/BebasNeue-Bold.otf", "visuals/telephone.svg")
        if not any(f in r["files"] for r in _reads(project).values())
    ]
    assert unread
    for name in unread:
        (project / name).write_bytes((project / name).read_bytes() + b"\n")
    again = run_cli("build", *POSTERS, "-f", "instagram", "-j", "1", cwd=project)
    assert rendered(again) == set() and "0 built, 3 up to date" in again.stdout


def test_editing_the_engine_rebuilds_its_outputs(project, tmp_path):
    """The engine's own code is part of every key: a changed engine never ships old pixels."""
    engine = tmp_path / "engine"
    shutil.copytree(ROOT / "poster_engine", engine / "poster_engine", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(engine)}

    def build() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "poster_engine", "build", *POSTERS, "-f", "instagram", "-j", "1"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert build().returncode == 0
    assert rendered(build()) == set()
    qr = engine / "poster_engine" / "compose" / "qr.py"
    qr.write_text(qr.read_text() + "\n# an engine change\n")
    assert rendered(build()) == {
        "stat-cobalt/instagram.png",
        "choc-cobalt/instagram.png",
        "film-sang-et-boue/instagram.png",
    }


def test_a_list_item_added_rebuilds_the_posters_that_list_it_and_only_them(project):
    """The programme repeats over every film: a film added to messages.yaml is on it, so its key reads
    the list's items (docs/layouts.md §6); a poster of one film did not read the list."""
    posters = ("-p", "programme", "-p", "film-sang-et-boue", "-f", "instagram", "-j", "1")
    assert run_cli("build", *posters, cwd=project).returncode == 0
    assert "films[]" in _reads(project)["programme/instagram.png"]["fields"]
    messages = project / "messages.yaml"
    film = (
        "  nouveau-film:\n    title: Nouveau film\n    year: 2025\n    synopsis: Un film.\n"
        "    link: {label: Voir, url: https://example.org/films/nouveau}\n\n"
    )
    text = messages.read_text()
    messages.write_text(text.replace("\nstats:\n", "\n" + film + "stats:\n", 1))
    again = run_cli("build", *posters, cwd=project)
    assert again.returncode == 0, again.stderr
    assert rendered(again) == {"programme/instagram.png"}
