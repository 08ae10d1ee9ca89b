"""Every path stays in the project: a whole build, in this process, of a project full of escape
attempts (`../`, absolute paths, `~`, `file:` links, symbolic links to /etc and to a sibling folder,
in posters/, layouts/, fonts/, visuals/, data/ and icc/), watched by a Python audit hook on `open`
and on folder listings. Nothing outside the project, the engine's own package and Python's own
libraries may be opened or listed — and the build still makes every poster that did not try.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT
from test_bad_inputs import run_inprocess

import poster_engine
from poster_engine.project import workcache

# sys.addaudithook cannot be removed: one hook for the whole test session, recording only while armed.
_ARMED: list[list[tuple[str, str]]] = []


def _hook(event: str, args: tuple) -> None:
    if not _ARMED or event not in ("open", "os.listdir", "os.scandir", "glob.glob", "os.chdir"):
        return
    path = args[0] if args else None
    if isinstance(path, (str, bytes, os.PathLike)):
        _ARMED[-1].append((event, os.fsdecode(path)))


sys.addaudithook(_hook)


def _allowed_roots(project: Path) -> list[Path]:
    paths = sysconfig.get_paths()
    roots = {project, Path(poster_engine.__file__).parent}
    roots |= {Path(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    # The engine's own work cache (photo work it made, content-addressed; not a file a project names)
    work = workcache.cache_dir()
    if work is not None:
        roots.add(work)
    return [r.resolve() for r in roots]


def _warm_up() -> None:
    """Import what the commands import lazily, before the hook is armed: some libraries look at the
    system when imported, which is not the project's doing (cairocffi finds libcairo through
    ctypes.util.find_library, which runs ldconfig with /dev/null and a temporary file; Babel reads
    the system's time zone; fpng's lazy_loader calls inspect.stack(), which reads the source file of
    every caller on the stack)."""
    import babel.localtime  # noqa: F401
    import babel.numbers  # noqa: F401
    import cairocffi  # noqa: F401
    import cairosvg  # noqa: F401
    import fpng  # noqa: F401
    import pikepdf  # noqa: F401
    import qrcode  # noqa: F401
    from PIL import Image, ImageCms  # noqa: F401


def _seance(data: str) -> str:
    text = (ROOT / "posters" / "seance.yaml").read_text(encoding="utf-8")
    return text.replace("data: data/screenings.csv", f"data: {data}")


def _choc(visual: str) -> str:
    text = (ROOT / "posters" / "choc-cobalt.yaml").read_text(encoding="utf-8")
    return text.replace("visual: visuals/mine.svg", f"visual: {visual}")


@pytest.fixture
def escapes(tmp_path, monkeypatch) -> Path:
    """The demo project, plus a poster, a link or a setting for every way out we know of."""
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".*", "build", "tests", "poster_engine", "docs"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("id,host,date,time,room,url\nsecret,SECRET-LINE,d,t,r,https://x.org/s\n")
    (outside / "secret.yaml").write_text((ROOT / "posters" / "stat-cobalt.yaml").read_text())
    shutil.copy(ROOT / "visuals" / "mine.svg", outside / "mine.svg")
    shutil.copy(ROOT / "layouts" / "stat.svg", outside / "stat.svg")
    shutil.copy(ROOT / "fonts" / "inter" / "Inter-Black.otf", outside / "Outside-Black.otf")
    home = tmp_path / "home"
    home.mkdir()
    (home / "rows.csv").write_text((outside / "secret.csv").read_text())
    monkeypatch.setenv("HOME", str(home))

    posters = project / "posters"
    for name, text in {
        "data-parent": _seance("../outside/secret.csv"),
        "data-absolute": _seance(str(outside / "secret.csv")),
        "data-etc": _seance("/etc/passwd"),
        "data-home": _seance("~/rows.csv"),
        "data-url": _seance(f"file://{outside}/secret.csv"),
        "data-link": _seance("data/link.csv"),
        "data-nul": _seance('"data/a\\0b.csv"'),
        "visual-parent": _choc("../outside/mine.svg"),
        "visual-absolute": _choc(str(outside / "mine.svg")),
        "visual-link": _choc("visuals/link.svg"),
        "visual-etc-link": _choc("visuals/etc.png"),
        "visual-home": _choc("~/mine.svg"),
    }.items():
        (posters / f"{name}.yaml").write_text(text)
    (project / "data" / "link.csv").symlink_to(outside / "secret.csv")
    (project / "visuals" / "link.svg").symlink_to(outside / "mine.svg")
    (project / "visuals" / "etc.png").symlink_to("/etc/passwd")
    (posters / "stolen.yaml").symlink_to(outside / "secret.yaml")
    (posters / "etc.yaml").symlink_to("/etc/passwd")
    (posters / "relative.yaml").symlink_to("../../outside/secret.yaml")
    # A stat layout variant leading outside: the stat posters are refused, the others build.
    (project / "layouts" / "stat.evil.svg").symlink_to(outside / "stat.svg")
    (project / "fonts" / "outside").mkdir()
    (project / "fonts" / "outside" / "Outside-Black.otf").symlink_to(outside / "Outside-Black.otf")
    (project / "fonts" / "system").symlink_to("/usr/share/fonts")
    (project / "icc").mkdir()
    (project / "icc" / "evil.icc").symlink_to("/etc/passwd")
    text = (project / "project.yaml").read_text(encoding="utf-8")
    (project / "project.yaml").write_text(
        text.replace("print_profiles:\n", "print_profiles:\n  evil:\n    icc: evil.icc\n", 1), encoding="utf-8"
    )
    return project


def _outside_reads(project: Path, calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    roots = _allowed_roots(project)
    imports = {os.path.realpath(p or ".") for p in sys.path}  # the import system lists these (and opens zips)
    bad = []
    for event, path in calls:
        real = os.path.realpath(path)
        if not any(Path(real).is_relative_to(r) for r in roots) and real not in imports:
            bad.append((event, path))
    return bad


def test_a_build_full_of_escape_attempts_reads_nothing_outside(escapes, capsys):
    _warm_up()
    calls: list[tuple[str, str]] = []
    _ARMED.append(calls)
    try:
        runs = [
            run_inprocess(("build", "-j", "1", "-f", "a3", "-f", "instagram"), escapes, capsys),
            run_inprocess(("render", "choc-cobalt", "-f", "a3", "-P", "evil"), escapes, capsys),
            run_inprocess(("check", "-p", "choc-cobalt"), escapes, capsys),
        ]
    finally:
        _ARMED.remove(calls)
    assert calls, "the audit hook saw nothing: it is not watching"
    assert _outside_reads(escapes, calls) == []
    (build_code, build_err), (render_code, render_err), (check_code, check_err) = runs
    assert "Traceback" not in build_err + render_err + check_err
    assert "internal error" not in build_err + render_err + check_err
    assert "SECRET-LINE" not in build_err + render_err + check_err

    link_out = "is a symbolic link leading outside the project (not followed)"
    expected = [
        "error: posters/data-parent.yaml:5: data '../outside/secret.csv' is outside the project; put it in data/",
        f"error: posters/data-absolute.yaml:5: data '{escapes.parent}/outside/secret.csv' is outside the project; put it in data/",
        "error: posters/data-etc.yaml:5: data '/etc/passwd' is outside the project; put it in data/",
        "error: posters/data-home.yaml:5: data '~/rows.csv' is outside the project (~ is not expanded); put it in data/",
        f"error: posters/data-url.yaml:5: data 'file://{escapes.parent}/outside/secret.csv' is a link, not a file of the project; put it in data/",
        f"error: posters/data-link.yaml:5: data 'data/link.csv' {link_out}; copy the file into data/",
        "error: posters/data-nul.yaml:5: invalid YAML: control character U+0000 is not allowed; remove it",
        "error: posters/visual-parent.yaml:6: visual '../outside/mine.svg' is outside the project; put it in visuals/",
        f"error: posters/visual-absolute.yaml:6: visual '{escapes.parent}/outside/mine.svg' is outside the project; put it in visuals/",
        f"error: posters/visual-link.yaml:6: visual 'visuals/link.svg' {link_out}; copy the file into visuals/",
        f"error: posters/visual-etc-link.yaml:6: visual 'visuals/etc.png' {link_out}; copy the file into visuals/",
        "error: posters/visual-home.yaml:6: visual '~/mine.svg' is outside the project (~ is not expanded); put it in visuals/",
        f"error: posters/stolen.yaml: {link_out}; copy the file into the project instead",
        f"error: posters/etc.yaml: {link_out}; copy the file into the project instead",
        f"error: posters/relative.yaml: {link_out}; copy the file into the project instead",
        f"error: posters/stat-cobalt.yaml:2: layout file layouts/stat.evil.svg {link_out}; copy the template into layouts/",
    ]
    lines = build_err.splitlines()
    for line in expected:
        assert line in lines, (line, build_err)
    assert build_code == 2  # rejected poster files are bad input; the rest was built
    built = escapes / "build"
    for output in ("choc-cobalt/a3.pdf", "choc-cobalt/instagram.png", "seance/lilas/a3.pdf", "programme/a3.pdf"):
        assert (built / output).is_file(), output
    assert not (built / "stat-cobalt").exists()

    assert render_code == 2
    assert render_err.splitlines() == [f"error: icc/evil.icc: {link_out}; copy the profile into icc/"]
    assert check_code == 2  # `check` reports the rejected poster files as bad input, as build does
    assert set(check_err.splitlines()) >= set(expected)


def test_a_font_outside_is_refused_when_a_layout_names_it(escapes, capsys):
    layout = escapes / "layouts" / "choc.svg"
    layout.write_text(layout.read_text().replace('data-font="Inter-Black"', 'data-font="Outside-Black"', 1))
    _warm_up()
    calls: list[tuple[str, str]] = []
    _ARMED.append(calls)
    try:
        code, err = run_inprocess(("render", "choc-cobalt", "-f", "instagram"), escapes, capsys)
    finally:
        _ARMED.remove(calls)
    assert _outside_reads(escapes, calls) == []
    assert code == 2
    assert err.splitlines() == [
        "error: fonts/outside/Outside-Black.otf: is a symbolic link leading outside the project (not followed); "
        "copy the font into fonts/"
    ]
