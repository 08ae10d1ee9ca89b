"""Quick answers of the command line (cli/helptext.py, cli/noop.py, batch/stamp.py): `--help` from
typer's own text kept on disk, byte for byte; a build with nothing to do known from its stamp without
opening the project; and every change to an input, an output, the options or the engine sends the
build the full way, which then does exactly the work it did before there were stamps."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_batch import rendered

from poster_engine.batch.stamp import stamp_file
from poster_engine.cli import helptext

# The real entry point, reporting at exit which of the engine's heavy parts this process imported.
PROBE = (
    "import atexit, sys\n"
    "def report():\n"
    "    heavy = [m for m in ('typer', 'pydantic', 'poster_engine.project.loader', 'poster_engine.cli.commands')"
    " if m in sys.modules]\n"
    "    sys.stderr.write('\\nIMPORTED ' + ','.join(heavy) + '\\n')\n"
    "atexit.register(report)\n"
    "sys.argv = ['poster', *sys.argv[1:]]\n"
    "from poster_engine.cli import main\n"
    "main()\n"
)


def poster(cwd: Path, *args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `poster ARGS` in `cwd`: the result (stderr without the report) and the heavy modules it imported."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    err, _, report = run.stderr.rpartition("\nIMPORTED ")
    run.stderr = err
    return run, set(filter(None, report.strip().split(",")))


# --- `--help` ---------------------------------------------------------------------------------

HELPS = [["--help"], ["build", "--help"], ["strings", "export", "--help"]]


@pytest.mark.parametrize("columns", ["", "60", "200"])
def test_help_from_the_cache_is_typers_own_text_byte_for_byte(tmp_path, columns):
    cache = tmp_path / "cache"
    for argv in HELPS:
        env = {"COLUMNS": columns}
        typer_only = subprocess.run(
            [sys.executable, "-m", "poster_engine", *argv],
            capture_output=True,
            env={**os.environ, **env, "POSTER_CACHE_DIR": "off"},
            timeout=120,
        )
        assert typer_only.returncode == 0 and typer_only.stdout.startswith(b"Usage: python -m poster_engine")
        for attempt in ("miss", "hit"):
            run = subprocess.run(
                [sys.executable, "-m", "poster_engine", *argv],
                capture_output=True,
                env={**os.environ, **env, "POSTER_CACHE_DIR": str(cache)},
                timeout=120,
            )
            assert (run.returncode, run.stdout, run.stderr) == (0, typer_only.stdout, b""), (argv, attempt)
    assert len(list((cache / "help").iterdir())) == len(HELPS)


def test_help_is_served_without_typer_and_a_changed_key_renders_it_again(tmp_path):
    env = {"POSTER_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "100"}
    first, imported = poster(tmp_path, "build", "--help", env=env)
    assert first.returncode == 0 and "typer" in imported  # a miss: typer renders it
    again, imported = poster(tmp_path, "build", "--help", env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    assert imported == set()  # a hit: neither typer nor the engine
    (entry,) = (tmp_path / "cache" / "help").iterdir()
    head, _, text = entry.read_text().partition("\n")
    entry.write_text(f"{head}\nfrom the cache\n")
    assert poster(tmp_path, "build", "--help", env=env)[0].stdout == "from the cache\n"
    # Another width is another text; a key that no longer matches (another engine, CLI, Python…)
    # is rendered again by typer.
    narrow, _ = poster(tmp_path, "build", "--help", env={**env, "COLUMNS": "50"})
    assert narrow.stdout != first.stdout and "from the cache" not in narrow.stdout
    entry.write_text(head.replace("'engine': '", "'engine': 'old-") + "\nfrom the cache\n")
    assert poster(tmp_path, "build", "--help", env=env)[0].stdout == first.stdout


def test_the_help_key_holds_the_cli_module_and_the_width(tmp_path, monkeypatch):
    copy = tmp_path / "commands.py"
    shutil.copy(helptext.COMMANDS, copy)
    same = helptext.key(["build", "--help"], str(copy))
    assert same == helptext.key(["build", "--help"])
    copy.write_text(copy.read_text().replace("Render every poster", "Render each poster"))
    assert helptext.key(["build", "--help"], str(copy)) != same
    monkeypatch.setenv("COLUMNS", "72")
    assert helptext.help_width() == 70
    wide = helptext.key(["build", "--help"])
    monkeypatch.setenv("COLUMNS", "120")
    assert helptext.help_width() == 78 and helptext.key(["build", "--help"]) != wide
    monkeypatch.setenv("COLUMNS", "20")
    assert helptext.help_width() == 50


def test_an_unknown_command_with_help_is_typers_error_and_is_not_kept(tmp_path):
    env = {"POSTER_CACHE_DIR": str(tmp_path / "cache")}
    plain = subprocess.run(
        [sys.executable, "-m", "poster_engine", "nosuch", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTER_CACHE_DIR": "off"},
    )
    run = subprocess.run(
        [sys.executable, "-m", "poster_engine", "nosuch", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert (run.returncode, run.stdout, run.stderr) == (2, plain.stdout, plain.stderr)
    assert "No such command" in run.stderr
    assert not (tmp_path / "cache" / "help").exists()


# --- a build with nothing to do --------------------------------------------------------------

SELECTION = ("-f", "instagram", "-j", "1")
SUMMARY = re.compile(r"^(\d+) built, (\d+) up to date, 0 failed, 0 rejected, \d+\.\d\d s → (.+)$")


@pytest.fixture
def small(scratch) -> Path:
    """The demo with two posters (both formats cost a few seconds to render), built once."""
    dst = scratch
    for path in (dst / "posters").glob("*.yaml"):
        if path.stem not in ("choc-cobalt", "stat-cobalt"):
            path.unlink()
    first, _ = poster(dst, "build", *SELECTION)
    assert first.returncode == 0, first.stderr
    assert rendered(first) == {"choc-cobalt/instagram.png", "stat-cobalt/instagram.png"}
    assert stamp_file(str(dst / "build")).is_file()
    return dst


def quick(project: Path, *args: str) -> subprocess.CompletedProcess:
    """A build that must be answered from the stamp: nothing rendered, the project not opened."""
    run, imported = poster(project, "build", *args)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert imported == set(), imported
    (line,) = run.stdout.splitlines()
    built, up_to_date, out = SUMMARY.match(line).groups()
    assert (built, out) == ("0", str(project / "build"))
    return run


def full(project: Path, *args: str) -> set[str]:
    """A build that must go the full way (the project opened): what it rendered."""
    run, imported = poster(project, "build", *args)
    assert run.returncode == 0, run.stderr
    assert "poster_engine.project.loader" in imported
    assert SUMMARY.match(run.stdout.splitlines()[-1])
    return rendered(run)


def test_a_build_with_nothing_to_do_says_what_the_full_build_says_without_opening_the_project(small):
    answer = quick(small, *SELECTION).stdout
    assert SUMMARY.match(answer).group(2) == "2"
    stamp_file(str(small / "build")).unlink()  # no stamp: the full way, same line, and a stamp again
    run, imported = poster(small, "build", *SELECTION)
    assert "poster_engine.project.loader" in imported and rendered(run) == set()
    assert re.sub(r"\d+\.\d\d s", "", run.stdout) == re.sub(r"\d+\.\d\d s", "", answer)
    quick(small, *SELECTION)
    # The same selection written differently is read as click reads it.
    quick(small, "--format=instagram", "--jobs", "2", "--out", "build", "-C", ".")


def test_each_kind_of_input_change_goes_the_full_way_and_rebuilds_what_read_it(small):
    messages = small / "messages.yaml"
    os.utime(messages)  # touched, same bytes: still up to date, by hash, and stat-only again after
    quick(small, *SELECTION)
    quick(small, *SELECTION)
    messages.write_text(messages.read_text().replace("*mains d'enfants*", "*mains d'enfants*, encore", 1))
    assert full(small, *SELECTION) == {"choc-cobalt/instagram.png", "stat-cobalt/instagram.png"}
    quick(small, *SELECTION)
    visual = small / "visuals" / "mine.svg"  # choc-cobalt's picture
    visual.write_text(visual.read_text().replace("</svg>", "<!-- retouched --></svg>"))
    assert full(small, *SELECTION) == {"choc-cobalt/instagram.png"}
    (small / "visuals" / "unused.svg").write_text((small / "visuals" / "mine.svg").read_text())
    assert full(small, *SELECTION) == set()
    shutil.copy(small / "posters" / "choc-cobalt.yaml", small / "posters" / "choc-copie.yaml")
    assert full(small, *SELECTION) == {"choc-copie/instagram.png"}
    quick(small, *SELECTION)
    (small / "posters" / "choc-copie.yaml").unlink()
    assert full(small, *SELECTION) == set()
    shutil.copy(small / "layouts" / "stat.svg", small / "layouts" / "stat.tall.svg")
    full(small, *SELECTION)
    (small / "fonts" / "extra").mkdir()
    assert full(small, *SELECTION) == set()
    (small / "data").mkdir()  # a folder the project did not have
    (small / "data" / "notes.csv").write_text("id\n1\n")
    assert full(small, *SELECTION) == set()
    settings = small / "project.yaml"
    settings.write_text(settings.read_text() + "\n# a comment\n")  # captions read it (hashtags)
    assert full(small, *SELECTION) == {"choc-cobalt/instagram.png", "stat-cobalt/instagram.png"}
    quick(small, *SELECTION)


def test_each_kind_of_output_change_goes_the_full_way_and_mends_it(small):
    out = small / "build"
    png = out / "stat-cobalt" / "instagram.png"
    png.unlink()
    assert full(small, *SELECTION) == {"stat-cobalt/instagram.png"}
    quick(small, *SELECTION)
    png.write_bytes(png.read_bytes() + b"\0")
    assert full(small, *SELECTION) == {"stat-cobalt/instagram.png"}
    os.utime(png)  # touched: the full way looks, and finds it up to date
    assert full(small, *SELECTION) == set()
    (out / "choc-cobalt" / "contact.png").unlink()
    assert full(small, *SELECTION) == set() and (out / "choc-cobalt" / "contact.png").is_file()
    stale = out / "choc-cobalt" / ".instagram.png.123.tmp"
    stale.write_bytes(b"half")
    full(small, *SELECTION)
    assert not stale.exists()
    (out / "manifest.json").unlink()
    assert full(small, *SELECTION) == {"choc-cobalt/instagram.png", "stat-cobalt/instagram.png"}
    stamp_file(str(out)).write_text("{not json")
    full(small, *SELECTION)
    quick(small, *SELECTION)


def test_other_options_go_the_full_way(small):
    assert full(small, "--force", *SELECTION) == {"choc-cobalt/instagram.png", "stat-cobalt/instagram.png"}
    quick(small, *SELECTION)  # --force is not part of what is selected: its stamp serves the plain build
    assert full(small, *SELECTION, "-l", "en") == {"choc-cobalt/instagram-en.png", "stat-cobalt/instagram-en.png"}
    quick(small, *SELECTION, "-l", "en")
    # The English outputs changed the folder the French stamp recorded: the full way, which finds
    # them up to date and stamps them again; then the stamps of both selections hold.
    assert full(small, *SELECTION) == set()
    quick(small, *SELECTION)
    quick(small, *SELECTION, "-l", "en")
    assert full(small, "-p", "stat-cobalt", *SELECTION) == set()
    for odd in (["-j2"], ["--jobs", "2000"], ["--scheduler", "tcp://127.0.0.1:1"], ["--out=", "-o", "build"]):
        run, imported = poster(small, "build", *SELECTION, *odd)
        assert "typer" in imported, odd
    rows = small / "rows.csv"
    rows.write_text("id,titre\n1,Un\n")
    run, imported = poster(small, "build", *SELECTION, "--data", "rows.csv")
    assert "typer" in imported


def test_the_stamps_stay_out_of_the_build_folder_and_off_means_off(small, tmp_path):
    assert not [p for p in (small / "build").rglob("*") if "stamp" in p.name]
    run, imported = poster(small, "build", *SELECTION, env={"POSTER_CACHE_DIR": "off"})
    assert run.returncode == 0 and "poster_engine.project.loader" in imported
