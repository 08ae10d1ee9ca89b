"""`poster new DIR` (issue 13, item 8): a new campaign that builds and passes `poster check` as
written, in English or French; a folder in use is refused with one line. Outputs are read back
with poppler (pdfinfo, pdftoppm) and zxing-cpp."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import tomllib

import pytest
from conftest import ROOT, run_cli

STARTER = ROOT / "poster_engine" / "starter"


@pytest.mark.parametrize(
    "lang, word, url", [("en", "Poster: “", "open-doors-week"), ("fr", "Affiche\u00a0: «", "portes-ouvertes")]
)
def test_new_campaign_builds_and_passes_check(tmp_path, lang, word, url):
    import zxingcpp
    from PIL import Image

    target = tmp_path / "campaign"
    made = run_cli("new", str(target), "--lang", lang, cwd=tmp_path)
    assert made.returncode == 0 and "Traceback" not in made.stderr, made.stderr
    assert made.stdout.strip() == f"21 files written to {target}; next: cd {target} && poster build && poster check"
    assert {p.name for p in target.iterdir()} == {
        "README.md",
        "messages.yaml",
        "project.yaml",
        "posters",
        "layouts",
        "fonts",
    }
    assert f"language: {lang}" in (target / "messages.yaml").read_text()
    # Every font travels with its licence.
    fonts = list((target / "fonts").rglob("*.otf"))
    assert fonts and all((f.parent / "OFL.txt").is_file() for f in fonts)

    built = run_cli("build", cwd=target)
    assert built.returncode == 0, built.stderr
    checked = run_cli("check", "--json", cwd=target)
    assert checked.returncode == 0, checked.stdout
    report = json.loads(checked.stdout)
    assert report["errors"] == 0
    # Only what the team must replace: the example.org links and the statistic's source.
    assert {f["check"] for f in report["findings"]} == {"placeholder", "source"}, report

    for poster in ("headline", "film"):
        pdf = target / "build" / poster / "a3.pdf"
        assert "PDF/X-4" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf), str(tmp_path / poster)], check=True)
        codes = [c.text for c in zxingcpp.read_barcodes(Image.open(tmp_path / f"{poster}.png"))]
        assert len(codes) == 1 and url in codes[0], codes
        assert Image.open(target / "build" / poster / "instagram.png").size == (1080, 1350)
    # The posters speak the campaign's language (their alt text says what they show).
    alt = (target / "build" / "headline" / "a3.pdf.alt.txt").read_text()
    assert alt.startswith(word), alt


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_new_campaign_builds_in_every_built_in_format(tmp_path, lang):
    """The starter draws each of its layouts for every shape the built-in formats have (portrait,
    landscape, square, story): a new campaign's posters build in every built-in format, print and
    social, in either language; a print one's QR code scans even on A4."""
    import zxingcpp
    from PIL import Image

    from poster_engine.core.formats import BUILTIN

    target = tmp_path / "campaign"
    assert run_cli("new", str(target), "--lang", lang, cwd=tmp_path).returncode == 0
    result = run_cli("build", "-f", "print", "-f", "social", "-j", "2", cwd=target)
    assert result.returncode == 0, result.stderr
    for poster in ("film", "headline"):
        for name, fmt in BUILTIN.items():
            out = target / "build" / poster / f"{name}.{'pdf' if fmt.medium == 'print' else 'png'}"
            assert out.is_file(), out
            if fmt.medium == "social":
                assert Image.open(out).size == (fmt.width, fmt.height)
        a4 = target / "build" / poster / "a4.pdf"
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(a4), str(tmp_path / poster)], check=True)
        assert len(zxingcpp.read_barcodes(Image.open(tmp_path / f"{poster}.png"))) == 1


def test_new_refuses_a_folder_in_use(tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = run_cli("new", str(target), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: {target} is not empty; poster new writes a campaign into a new or empty folder"
    ]
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_new_takes_english_or_french(tmp_path):
    result = run_cli("new", str(tmp_path / "x"), "--lang", "de", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: --lang de: poster new writes a campaign in en or fr"]
    assert not (tmp_path / "x").exists()


def test_the_starter_ships_as_package_data():
    """Every starter file matches a package-data pattern: an installed (not editable) engine has them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["poster_engine"]
    files = [p.relative_to(ROOT / "poster_engine").as_posix() for p in STARTER.rglob("*") if p.is_file()]
    assert len(files) == 24
    assert [
        f for f in files if not any(fnmatch.fnmatch(f, pat) and f.count("/") == pat.count("/") for pat in patterns)
    ] == []


def test_a_campaign_in_german_builds_with_german_typography(tmp_path):
    """Any language of the table can be the campaign's: its plain texts are German, its alt texts
    say "Plakat" and quote with „…“, its spacing before '%' is German."""
    target = tmp_path / "kampagne"
    assert run_cli("new", str(target), cwd=tmp_path).returncode == 0
    messages = target / "messages.yaml"
    text = messages.read_text(encoding="utf-8").replace("  language: en\n", "  language: de\n", 1)
    messages.write_text(text, encoding="utf-8")
    result = run_cli("build", "-f", "instagram", cwd=target)
    assert result.returncode == 0, result.stderr
    alts = sorted(target.glob("build/*/instagram.png.alt.txt"))
    assert alts
    for alt in alts:
        assert alt.read_text(encoding="utf-8").startswith("Plakat: ")
    assert any("„" in a.read_text(encoding="utf-8") for a in alts)
