"""A campaign in a language the engine has no house rules for (issue: any CLDR language): the
resolver (core/languages.py `language()`), a Polish and a Swedish campaign built from the starter,
right-to-left, unspaced and unknown languages refused with one line and nothing written.

The PDFs draw text as glyph outlines (pdftotext reads nothing from them), so what a poster shows is
read back from the glyphs it draws, turned into characters by fontTools' own cmap of each font,
and from the alt-text files the build writes beside each output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import assert_clean_failure, run_cli

from poster_engine.core.languages import LANGUAGES, NBSP, LanguageRefused, language

NNBSP = "\u202f"

POLISH = """\
campaign:
  language: pl
  name: Tydzień Otwartych Drzwi
  mission: "Tydzień bezpłatnych wizyt, warsztatów i rozmów w miejscach, dzięki którym działa nasze miasto."
  dates: "Sobota 14 marca 2026, od 10 do 17"
  venue:
    name: Ratusz
    address: Rynek 1
    city: Nasze Miasto
  url: https://example.org/open-doors-week
  footer: "Tydzień Otwartych Drzwi · wstęp wolny · zapraszamy wszystkich"

films:
  behind-the-doors:
    title: Za drzwiami
    directors: [Nasz Klub Filmowy, Anna Nowak]
    year: 2025
    duration_min: 26
    synopsis: "Troje ludzi, dzięki którym miasto działa, pokazuje pracę, której nikt nie widzi."
    quotes:
      - text: "Najpiękniejszy film o pracy, jaki widzieliśmy"
        source: Gazeta Miejska
    link:
      label: Zobacz zwiastun
      url: https://example.org/open-doors-week/film

stats:
  first-visit:
    value: 40000
    unit: osób
    label: "odwiedziło w zeszłym roku budynki, w których nigdy nie były; 62 % wróciło"
    source: ankieta organizatorów
    year: 2025

messages:
  come-inside:
    text: "Wejdź do miejsc, *dzięki którym działa nasze miasto.*"

labels:
  source: "Źródło:"
  more: "Dowiedz się więcej:"
  screening: "Pokaz"
"""


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    """The starter campaign (`poster new`), its film poster showing the press quote (set in the
    language's quotation marks by the engine) instead of the synopsis."""
    root = tmp_path_factory.mktemp("starter") / "campaign"
    made = run_cli("new", str(root), "--lang", "en", cwd=root.parent)
    assert made.returncode == 0, made.stderr
    rules = root / "layouts" / "film.yaml"
    rules.write_text(rules.read_text().replace("film.synopsis: {font", 'film.synopsis: {text: "{film.excerpt}", font'))
    (root / "posters" / "film.yaml").write_text((root / "posters" / "film.yaml").read_text() + "quote: 0\n")
    return root


def _campaign(starter: Path, tmp_path: Path, messages: str) -> Path:
    root = tmp_path / "campaign"
    shutil.copytree(starter, root)
    (root / "messages.yaml").write_text(messages)
    return root


def _set(root: Path, poster: str, lang: str | None = None) -> dict[str, str]:
    """What each text slot of the poster's A3 sets, after checking it against what it draws: its
    glyphs turned back into characters by fontTools (each font's own cmap) are the set text's
    characters but for the spaces and line breaks (never drawn; a no-break space is)."""
    from fontTools.ttLib import TTFont

    from poster_engine.plan import plan_jobs
    from poster_engine.project.loader import open_project
    from poster_engine.render.job import compose_job

    project = open_project(root)
    job = next(j for j in plan_jobs(project, [poster], ["a3"], [lang] if lang else None))
    comp = compose_job(project, job)
    chars: dict[Path, dict[int, str]] = {}
    for slot, block in comp.blocks.items():
        for g in block.glyphs:
            if g.font.path not in chars:
                font = TTFont(str(g.font.path))
                # the lowest code point of a glyph several map to (a space and a no-break one)
                chars[g.font.path] = {font.getGlyphID(n): chr(c) for c, n in sorted(font.getBestCmap().items())[::-1]}
        drawn = "".join(chars[g.font.path].get(g.gid, "?") for g in block.glyphs)
        assert drawn == re.sub("[ \n]", "", "\n".join(block.lines)), (slot, drawn, block.lines)
    return {slot: " ".join(block.lines) for slot, block in comp.blocks.items()}


# -- the resolver ----------------------------------------------------------------------------------


def test_the_hand_tuned_languages_are_the_table_unchanged():
    for code, entry in LANGUAGES.items():
        assert language(code) is entry
    # The same language written with its region: the house entry, not a derived one.
    assert language("fr-FR") is LANGUAGES["fr"] and language("en_GB") is LANGUAGES["en"]


@pytest.mark.parametrize(
    "code, quotes, locale, hyphenation, percent",
    [
        ("pl", ("„", "”"), "pl", "pl", ""),  # CLDR: '#,##0%'
        ("sv", ("”", "”"), "sv", "sv", NBSP),  # CLDR: '#,##0 %'
        ("cs", ("„", "“"), "cs", "cs", NBSP),
        ("el", ("«", "»"), "el", "el", ""),
        ("ru", ("«", "»"), "ru", "ru", NBSP),
        ("fi", ("”", "”"), "fi", "", NBSP),  # pyphen has no Finnish patterns: no hyphenation
    ],
)
def test_a_language_without_house_rules_takes_cldrs(code, quotes, locale, hyphenation, percent):
    rules = language(code)
    assert (rules.code, rules.quotes, rules.locale, rules.hyphenation, rules.percent_space) == (
        code,
        quotes,
        locale,
        hyphenation,
        percent,
    )
    # Prose is `tight` with CLDR's percent space; the alt-text words stay English until labels say.
    assert rules.prose("62 % : x") == f"62{percent}%: x"
    assert (rules.poster, rules.credits) == ("Poster", ("Sources", "Visual", "Fonts"))


def test_a_regional_variant_keeps_its_languages_house_rules():
    brazil = language("pt_BR")
    assert brazil == language("pt-BR") and brazil.code == "pt-BR"
    assert (brazil.locale, brazil.hyphenation, brazil.quotes) == ("pt_BR", "pt_BR", ("“", "”"))
    assert (brazil.prose, brazil.poster, brazil.credits) == (
        LANGUAGES["pt"].prose,
        LANGUAGES["pt"].poster,
        LANGUAGES["pt"].credits,
    )
    swiss = language("de-CH")
    assert swiss.percent_space == NNBSP and swiss.poster == "Plakat" and swiss.locale == "de_CH"
    assert language("sr-Latn").code == "sr-Latn" and language("sr-Latn").hyphenation == "sr_Latn"


@pytest.mark.parametrize(
    "code, says",
    [
        ("ar", "Arabic (ar) is written right to left"),
        ("he", "Hebrew (he) is written right to left"),
        ("fa", "Persian (fa) is written right to left"),
        ("zh", "Chinese (zh) is written without spaces between words"),
        ("ja", "Japanese (ja) is written without spaces between words"),
        ("th", "Thai (th) is written without spaces between words"),
        ("km", "Khmer (km) is written without spaces between words"),
        ("xx", "unknown language 'xx'; any CLDR language code works"),
    ],
)
def test_what_the_engine_cannot_set_is_refused(code, says):
    with pytest.raises(LanguageRefused) as refused:
        language(code)
    assert str(refused.value).startswith(says) and "\n" not in str(refused.value)


def test_hyphenation_uses_the_languages_own_patterns():
    import pyphen

    from poster_engine.compose.typography import HYPHEN_MIN_LEFT, HYPHEN_MIN_RIGHT, hyphenation_points

    word = "niezapominajka"
    polish = pyphen.Pyphen(lang="pl", left=HYPHEN_MIN_LEFT, right=HYPHEN_MIN_RIGHT).positions(word)
    english = pyphen.Pyphen(lang="en_GB", left=HYPHEN_MIN_LEFT, right=HYPHEN_MIN_RIGHT).positions(word)
    assert polish != english
    assert hyphenation_points(word, "pl") == tuple(polish)
    assert hyphenation_points(word, "fi") == ()  # no patterns: never hyphenated, not an error


# -- campaigns -------------------------------------------------------------------------------------


def test_a_polish_campaign_builds_with_polish_conventions(starter, tmp_path):
    root = _campaign(starter, tmp_path, POLISH)
    built = run_cli("build", cwd=root)
    assert built.returncode == 0, built.stderr
    headline = _set(root, "headline")
    # CLDR's Polish grouping: a no-break space (pyphen and Babel agree the number is not split).
    assert headline["stat.value"] == f"40{NBSP}000{NBSP}osób"
    assert f"40{NBSP}000" in (root / "build" / "headline" / "a3.pdf.alt.txt").read_text()
    # '62 %' as typed becomes CLDR's Polish '62%'.
    assert "62% wróciło" in headline["stat.label"]
    film = _set(root, "film")
    assert film["film.synopsis"] == "„Najpiękniejszy film o pracy, jaki widzieliśmy”"
    alt = (root / "build" / "film" / "a3.pdf.alt.txt").read_text()
    assert alt.startswith("Poster: „Wejdź do miejsc, dzięki którym działa nasze miasto.” — Za drzwiami."), alt


def test_a_derived_languages_english_words_are_warned_then_overridden(starter, tmp_path):
    root = _campaign(starter, tmp_path, POLISH)
    checked = run_cli("check", "--json", cwd=root)
    found = [f for f in json.loads(checked.stdout)["findings"] if f["check"] == "language"]
    assert [(f["where"], f["severity"]) for f in found] == [("messages.yaml:2", "warning")], found
    assert "English (Poster, Sources, Visual, Fonts)" in found[0]["message"]
    words = '  poster: Plakat\n  sources: Źródła\n  visual: Ilustracja\n  fonts: "Kroje pisma"\n'
    (root / "messages.yaml").write_text(POLISH + words)
    checked = run_cli("check", "--json", cwd=root)
    assert not [f for f in json.loads(checked.stdout)["findings"] if f["check"] == "language"]
    assert run_cli("build", cwd=root).returncode == 0
    alt = (root / "build" / "headline" / "a3.pdf.alt.txt").read_text()
    assert alt.startswith("Plakat: „") and "Źródła: ankieta organizatorów, 2025." in alt, alt
    assert "Kroje pisma: " in alt and "Fonts" not in alt, alt


def test_a_swedish_campaign_quotes_with_swedish_marks(starter, tmp_path):
    swedish = POLISH.replace("language: pl", "language: sv").replace(
        "Najpiękniejszy film o pracy, jaki widzieliśmy", "Den vackraste filmen om arbete vi har sett"
    )
    root = _campaign(starter, tmp_path, swedish)
    assert _set(root, "film")["film.synopsis"] == "”Den vackraste filmen om arbete vi har sett”"
    # '62 %' as typed keeps CLDR's Swedish no-break space.
    assert f"62{NBSP}% wróciło" in _set(root, "headline")["stat.label"]


def test_lang_on_the_command_line_goes_through_the_resolver(starter, tmp_path):
    root = _campaign(starter, tmp_path, POLISH)
    for lang in ("pl", "pl-PL", "pl_PL"):  # the same language: texts keyed `pl` serve each
        out = tmp_path / f"{lang}.pdf"
        done = run_cli("render", "headline", "--lang", lang, "-o", str(out), cwd=root)
        assert done.returncode == 0 and out.read_bytes().startswith(b"%PDF"), done.stderr
    missing = run_cli("render", "headline", "--lang", "el", cwd=root)
    assert missing.returncode == 2 and "has no 'el' text; add it or build another --lang" in missing.stderr
    refused = run_cli("build", "--lang", "he", cwd=root)
    assert_clean_failure(
        refused,
        root,
        "error: --lang he: Hebrew (he) is written right to left, which the engine does not set (it lays every "
        "line out left to right)",
    )


@pytest.mark.parametrize(
    "code, says",
    [
        (
            "ar",
            "Arabic (ar) is written right to left, which the engine does not set (it lays every line out left to right)",
        ),
        (
            "xx",
            "unknown language 'xx'; any CLDR language code works (e.g. pl, sv, cs, el, pt-BR), and fr, en, de, es, it, nl, pt have house rules",
        ),
        (
            "th",
            "Thai (th) is written without spaces between words, which the engine does not set (it breaks lines only "
            "at spaces; this script breaks inside words, by dictionary or between ideographs)",
        ),
    ],
)
def test_a_campaign_in_a_language_it_cannot_set_is_refused(starter, tmp_path, code, says):
    root = _campaign(starter, tmp_path, POLISH.replace("language: pl", f"language: {code}"))
    result = run_cli("build", cwd=root)
    assert_clean_failure(result, root, f"error: messages.yaml:2: 'campaign.language': {says}")
    assert not (root / "build").exists()


def test_a_translation_key_goes_through_the_same_resolver(starter, tmp_path):
    root = _campaign(starter, tmp_path, POLISH.replace('    text: "Wejdź', '    text: {he: "שלום", pl: "Wejdź') + "")
    text = (root / "messages.yaml").read_text()
    (root / "messages.yaml").write_text(text.replace('nasze miasto.*"\n', 'nasze miasto.*"}\n', 1))
    line = next(i for i, l in enumerate((root / "messages.yaml").read_text().splitlines(), 1) if "he:" in l)
    result = run_cli("build", cwd=root)
    assert_clean_failure(
        result,
        root,
        f"error: messages.yaml:{line}: 'messages.come-inside.text.he': Hebrew (he) is written right to left, which "
        "the engine does not set (it lays every line out left to right)",
    )


@pytest.mark.parametrize("code, sample", [("el", "Ελλάδα"), ("ru", "Россия")])
def test_a_script_the_fonts_lack_is_the_missing_glyph_error(starter, tmp_path, code, sample):
    """League Spartan has no Greek or Cyrillic (README, "Fonts and languages"): without Inter to
    fall back on, the existing located missing-glyph error, nothing written."""
    messages = POLISH.replace("language: pl", f"language: {code}").replace(
        "Wejdź do miejsc, *dzięki którym działa nasze miasto.*", sample
    )
    root = _campaign(starter, tmp_path, messages)
    rules = root / "layouts" / "headline.yaml"
    rules.write_text(
        rules.read_text().replace("  font: [LeagueSpartan-Black, Inter-Bold]\n", "  font: LeagueSpartan-Black\n")
    )
    result = run_cli("build", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr  # 1: jobs failed
    first = sample[0]
    assert result.stderr.splitlines()[0] == (
        f"error: posters/headline.yaml:5: character U+{ord(first):04X} '{first}' of text \"{sample}\" is in none of "
        "the fonts of slot 'message' (LeagueSpartan-Black); remove it or add a font that has it to the slot's "
        "data-font in layouts/headline.svg"
    )
    assert "FAIL headline/a3.pdf" in result.stdout
    assert not list((root / "build").rglob("headline/*.pdf"))


def test_strings_export_and_import_in_a_language_without_house_rules(starter, tmp_path):
    """`poster strings export --lang pl` from the English starter: a PO catalogue GNU msgfmt accepts,
    with Polish plural rules; translated and imported, messages.yaml carries the `pl` texts."""
    import subprocess

    import yaml
    from babel.messages.pofile import read_po, write_po

    root = tmp_path / "campaign"
    shutil.copytree(starter, root)
    po = tmp_path / "pl.po"
    done = run_cli("strings", "export", "--lang", "pl", "-o", str(po), cwd=root)
    assert done.returncode == 0, done.stderr
    checked = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    header = po.read_text()
    assert "Language: pl\\n" in header and "nplurals=3;" in header, header[:800]
    with po.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.context == "messages.come-inside.text":
            message.string = "Wejdź do miejsc, *dzięki którym działa nasze miasto.*"
    with po.open("wb") as f:
        write_po(f, catalog, width=0)
    done = run_cli("strings", "import", str(po), cwd=root)
    assert done.returncode == 0, done.stderr
    texts = yaml.safe_load((root / "messages.yaml").read_text())["messages"]["come-inside"]["text"]
    assert texts["pl"] == "Wejdź do miejsc, *dzięki którym działa nasze miasto.*", texts
    refused = run_cli("strings", "export", "--lang", "ar", cwd=root)
    assert refused.returncode == 2 and "Arabic (ar) is written right to left" in refused.stderr, refused.stderr


def test_a_translation_keyed_as_typed_is_found_under_its_code(starter, tmp_path):
    """`pt_BR:` typed in messages.yaml is the language `pt-BR`: strings export and import find it,
    and import writes back under the key as typed."""
    from babel.messages.pofile import read_po, write_po

    root = tmp_path / "campaign"
    shutil.copytree(starter, root)
    path = root / "messages.yaml"
    typed = '    text: "Come inside the places *that keep our town running.*"'
    assert typed in path.read_text()
    path.write_text(
        path.read_text().replace(
            typed, '    text: {en: "Come inside the places *that keep our town running.*", pt_BR: "Entre *já.*"}'
        )
    )
    po = tmp_path / "pt.po"
    assert run_cli("strings", "export", "--lang", "pt-BR", "-o", str(po), cwd=root).returncode == 0
    with po.open("rb") as f:
        catalog = read_po(f)
    message = next(m for m in catalog if m.context == "messages.come-inside.text")
    assert message.string == "Entre *já.*"
    message.string = "Entre *agora.*"
    with po.open("wb") as f:
        write_po(f, catalog, width=0)
    done = run_cli("strings", "import", str(po), cwd=root)
    assert done.returncode in (0, 1), done.stderr  # 1: a text that does not fit in pt-BR elsewhere
    assert 'pt_BR: "Entre *agora.*"' in path.read_text() and "pt-BR" not in path.read_text()
