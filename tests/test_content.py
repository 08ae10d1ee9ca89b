"""The demo content is faithful to the seeds, and bad content gives one located line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import assert_clean_failure, run_cli


def test_demo_campaign_loads_without_problems(campaign):
    assert campaign.diagnostics == ()
    families = {p.spec.layout for p in campaign.posters.values()}
    assert families == {"choc", "stat", "film", "programme", "seance", "information"}
    assert len(campaign.posters) >= 10


def test_statistics_are_the_seeds_figures(campaign):
    stats = campaign.messages.stats
    facts = {k: (s.value, s.unit.get("fr") if s.unit else "", s.year) for k, s in stats.items()}
    assert facts["matieres-telephone"][:2] == (200, "kg")
    assert facts["enfants-cobalt"] == (40000, "", 2014)
    assert stats["enfants-cobalt"].source.get("fr").startswith("UNICEF")
    assert facts["illectronisme-75"] == (62, "%", 2021)
    assert facts["dechets-numeriques"] == (301, "kg/an", 2020)
    assert facts["ressources-numeriques"] == (949, "kg/an", 2020)
    for stat in stats.values():
        assert stat.label and stat.source


def test_programme_and_films(campaign):
    m = campaign.messages
    assert m.campaign.dates.get("fr") == "26 & 27 novembre 2025 – 9h à 18h"
    assert m.campaign.dates.get("en") == "26 & 27 November 2025 – 9 am to 6 pm"
    assert m.campaign.venue.name.get("fr") == m.campaign.venue.name.get("en") == "Auditorium Halle Pajol"
    assert len(m.films) == 13  # the 12 films of the programme + Ma femme a du crédit
    assert len(m.films["ma-femme-a-du-credit"].quotes) >= 8
    for film in m.films.values():
        assert film.synopsis and film.link.url.startswith("https://")
        assert film.link.placeholder == film.link.url.startswith("https://example.org/")
    assert len(m.messages) >= 8
    assert set(m.definitions) == {"obsolescence-programmee", "illectronisme"}


def test_malformed_yaml(project):
    poster = project / "posters" / "choc-cobalt.yaml"
    poster.write_text(poster.read_text().replace("stat: enfants-cobalt", "stat: [enfants-cobalt"))
    result = run_cli("render", "choc-cobalt", cwd=project)
    assert_clean_failure(
        result,
        project,
        "error: posters/choc-cobalt.yaml:5: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence on line 4)",
    )


def test_malformed_messages_yaml_stops_everything(project):
    (project / "messages.yaml").write_text("campaign:\n  name: x\n bad: indentation\n")
    result = run_cli("build", cwd=project)
    assert_clean_failure(
        result,
        project,
        "error: messages.yaml:3: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block mapping on line 1)",
    )


@pytest.mark.parametrize(
    "poster, old, new, expected",
    [
        (
            "choc-cobalt",
            "stat: enfants-cobalt",
            "stat: enfant-cobalt",
            "error: posters/choc-cobalt.yaml:4: stat 'enfant-cobalt' is not defined in messages.yaml "
            "(did you mean 'enfants-cobalt'?)",
        ),
        (
            "film-sacrifies-ia",
            "film: sacrifies-ia",
            "film: les-sacrifies",
            "error: posters/film-sacrifies-ia.yaml:4: film 'les-sacrifies' is not defined in messages.yaml "
            "(did you mean 'sacrifies-ia'?)",
        ),
        (
            "choc-cobalt",
            "message: cobalt-enfance",
            "message: nope",
            "error: posters/choc-cobalt.yaml:3: message 'nope' is not defined in messages.yaml (known: "
            "cobalt-enfance, coltan, couts-caches, credit-social, dechets-exportes, fracture-numerique, "
            "ia-invisibles, lithium, …)",
        ),
    ],
)
def test_unknown_ids(project, poster, old, new, expected):
    path = project / "posters" / f"{poster}.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    assert_clean_failure(run_cli("render", poster, cwd=project), project, expected)


def test_web_fonts_draw_as_the_fonts_they_wrap(project, tmp_path):
    """A family taken from a web font service (WOFF2, WOFF) is drawn as the OpenType font inside:
    the poster is pixel for pixel the one drawn with the .otf; beside an .otf of the same name, the
    .otf is the one used."""
    from fontTools.ttLib import TTFont
    from PIL import Image, ImageChops

    def render(to: str) -> subprocess.CompletedProcess:
        return run_cli("render", "choc-cobalt", "-f", "instagram", "-o", str(tmp_path / to), cwd=project)

    assert render("otf.png").returncode == 0
    web = project / "fonts" / "web"
    web.mkdir()
    for flavor, weight in (("woff2", "Black"), ("woff", "Heavy")):
        for cut in ("", "Display"):  # the text and display cuts, as Inter's (optical_cut)
            font = TTFont(project / "fonts" / "inter" / f"Inter{cut}-Black.otf")
            font.flavor = flavor
            font.save(web / f"Web{cut}-{weight}.{flavor}")
    (web / "Web-Heavy.otf").write_bytes(b"")  # chosen over the .woff: an empty file fails the render
    layout = project / "layouts" / "choc.svg"
    text = layout.read_text()
    assert 'data-font="Inter-Black"' in text
    for name in ("Web-Black", "Web-Heavy"):
        layout.write_text(text.replace('data-font="Inter-Black"', f'data-font="{name}"'))
        result = render(f"{name}.png")
        if name == "Web-Heavy":
            assert "fonts/web/Web-Heavy.otf: font file is not a usable OpenType font (empty file)" in result.stderr
            continue
        assert result.returncode == 0, result.stderr
        with Image.open(tmp_path / "otf.png") as a, Image.open(tmp_path / f"{name}.png") as b:
            assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
    (web / "Web-Heavy.otf").unlink()
    layout.write_text(text.replace('data-font="Inter-Black"', 'data-font="Web-Heavy"'))
    assert render("woff.png").returncode == 0
    with Image.open(tmp_path / "otf.png") as a, Image.open(tmp_path / "woff.png") as b:
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


def test_missing_font(project):
    layout = project / "layouts" / "choc.svg"
    text = layout.read_text()
    assert 'data-font="Inter-Black"' in text
    layout.write_text(text.replace('data-font="Inter-Black"', 'data-font="InterDisplay-Blak"'))
    line = next(i for i, l in enumerate(layout.read_text().splitlines(), 1) if 'id="message"' in l)
    result = run_cli("render", "choc-cobalt", cwd=project)
    assert_clean_failure(
        result,
        project,
        f"error: layouts/choc.svg:{line}: font 'InterDisplay-Blak' is not in fonts/ "
        "(did you mean 'InterDisplay-Black'?); add the font file or fix the name",
    )


def test_unknown_key_suggests_the_right_one(project):
    poster = project / "posters" / "choc-cobalt.yaml"
    poster.write_text(poster.read_text().replace("visual:", "visuel:"))
    result = run_cli("render", "choc-cobalt", cwd=project)
    assert "error: posters/choc-cobalt.yaml:6: unknown key 'visuel' (did you mean 'visual'?)" in result.stderr
    assert result.returncode == 2 and not (project / "build").exists()


def test_non_utf8_file(project):
    (project / "posters" / "choc-cobalt.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    result = run_cli("render", "choc-cobalt", cwd=project)
    assert_clean_failure(
        result, project, "error: posters/choc-cobalt.yaml:1: not valid UTF-8 text; save the file as UTF-8"
    )


def test_one_broken_poster_does_not_stop_the_others(project):
    (project / "posters" / "choc-cobalt.yaml").write_text("title: [\n")
    result = run_cli("build", "--format", "instagram", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert any(l.startswith("error: posters/choc-cobalt.yaml:") for l in result.stderr.splitlines())
    built = sorted(p.parent.name for p in (project / "build").glob("*/instagram.png"))
    assert "choc-cobalt" not in built and "choc-telephone" in built and len(built) >= 9


# --- languages ------------------------------------------------------------------------------------


def test_every_shown_text_has_both_languages(campaign):
    m = campaign.messages
    texts = [msg.text for msg in m.messages.values()] + [s.label for s in m.stats.values()]
    texts += [f.synopsis for f in m.films.values()] + list(m.labels.values())
    texts += [m.campaign.mission, m.campaign.dates, m.campaign.footer]
    assert all(t.get("fr") and t.get("en") for t in texts)
    assert (
        m.campaign.name.get("fr") == m.campaign.name.get("en") == "Numérique en lumière"
    )  # a name serves every language


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_missing_translation_is_one_located_line(project):
    _edit(project / "messages.yaml", '      en: "Your phone weighs far more than it seems."\n', "")
    line = (
        next(
            i
            for i, l in enumerate((project / "messages.yaml").read_text().splitlines(), 1)
            if l.startswith("  poids-cache:")
        )
        + 1
    )
    result = run_cli("build", "--lang", "en", "-p", "choc-telephone", "-f", "instagram", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: messages.yaml:{line}: message 'poids-cache' has no 'en' text; add it or build another --lang"
    ]
    # French still builds: the text is there.
    assert run_cli("build", "-p", "choc-telephone", "-f", "instagram", cwd=project).returncode == 0


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            '      fr: "Le coltan de nos appareils se paie en sang et en boue."',
            '      fr: "Le coltan de nos *appareils se paie en sang et en boue."',
            "'messages.coltan.text.fr': '*' opened and never closed; close it, or type \\* for an asterisk",
        ),
        (
            '      en: "children work in the artisanal cobalt mines of Congo"',
            '      xx: "Infanoj laboras en la kobaltaj minejoj"',
            "'stats.enfants-cobalt.label.xx': unknown language 'xx'; any CLDR language code works (e.g. pl, sv, cs, el, pt-BR), and fr, en, de, es, it, nl, pt have house rules",
        ),
        (
            '    text:\n      fr: "Le lithium, nouvel or blanc, sacrifie des terres autochtones."\n'
            '      en: "Lithium, the new white gold, sacrifices Indigenous lands."',
            "    text: 42",
            "'messages.lithium.text': must be a text, or one text per language such as {fr: …, en: …}; YAML read 42 "
            'as a number: put the text in quotes ("42")',
        ),
    ],
)
def test_bad_texts_are_located(project, old, new, expected):
    _edit(project / "messages.yaml", old, new)
    line = next(
        i for i, l in enumerate((project / "messages.yaml").read_text().splitlines(), 1) if new.splitlines()[0] in l
    )
    assert_clean_failure(run_cli("build", cwd=project), project, f"error: messages.yaml:{line}: {expected}")


def test_unknown_language(project):
    result = run_cli("render", "choc-cobalt", "--lang", "xx", cwd=project)
    assert_clean_failure(
        result,
        project,
        "error: --lang xx: unknown language 'xx'; any CLDR language code works (e.g. pl, sv, cs, el, pt-BR), and fr, en, de, es, it, nl, pt have house rules",
    )


def test_output_paths_per_language(demo):
    from poster_engine.plan import plan_jobs

    jobs = plan_jobs(demo, ["choc-cobalt"], ["a3", "instagram"], ["fr", "en"])
    assert [j.output for j in jobs] == [
        "choc-cobalt/a3.pdf",
        "choc-cobalt/instagram.png",
        "choc-cobalt/a3-en.pdf",
        "choc-cobalt/instagram-en.png",
    ]
    social = [j.format.name for j in plan_jobs(demo, ["choc-cobalt"], ["social"])]
    assert social == [
        "instagram",
        "instagram-3x4",
        "instagram-square",
        "story",
        "reel",
        "reel-cover",
        "link-preview",
        "x",
        "x-card",
        "linkedin",
    ]


def test_english_render_through_the_cli(project):
    result = run_cli("render", "stat-cobalt", "--lang", "en", "-f", "a3", cwd=project)
    assert result.returncode == 0, result.stderr
    pdf = project / "build" / "stat-cobalt" / "a3-en.pdf"
    assert result.stdout.strip() == str(pdf)
    text = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "40,000 children in cobalt mines – Numérique en lumière" in text  # the English PDF title
