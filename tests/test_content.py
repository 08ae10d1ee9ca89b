"""The demo content is faithful to the seeds, and bad content gives one located line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli


def test_demo_campaign_loads_without_problems(campaign):
    assert campaign.diagnostics == ()
    families = {p.spec.layout for p in campaign.posters.values()}
    assert families == {"choc", "stat", "film", "programme"}
    assert len(campaign.posters) >= 10


def test_statistics_are_the_seeds_figures(campaign):
    stats = campaign.messages.stats
    facts = {k: (s.value, s.unit.fr if s.unit else "", s.year) for k, s in stats.items()}
    assert facts["matieres-telephone"][:2] == (200, "kg")
    assert facts["enfants-cobalt"] == (40000, "", 2014)
    assert stats["enfants-cobalt"].source.fr.startswith("UNICEF")
    assert facts["illectronisme-75"] == (62, "%", 2021)
    assert facts["dechets-numeriques"] == (301, "kg/an", 2020)
    assert facts["ressources-numeriques"] == (949, "kg/an", 2020)
    for stat in stats.values():
        assert stat.label and stat.source


def test_programme_and_films(campaign):
    m = campaign.messages
    assert m.campaign.dates.fr == "26 & 27 novembre 2025 – 9h à 18h"
    assert m.campaign.dates.en == "26 & 27 November 2025 – 9 am to 6 pm"
    assert m.campaign.venue.name.fr == m.campaign.venue.name.en == "Auditorium Halle Pajol"
    assert len(m.films) == 13  # the 12 films of the programme + Ma femme a du crédit
    assert len(m.films["ma-femme-a-du-credit"].quotes) >= 8
    for film in m.films.values():
        assert film.synopsis and film.link.url.startswith("https://")
        assert film.link.placeholder == film.link.url.startswith("https://example.org/")
    assert len(m.messages) >= 8
    assert set(m.definitions) == {"obsolescence-programmee", "illectronisme"}


def _assert_clean_failure(result, project: Path, expected: str):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr.splitlines(), result.stderr
    assert not (project / "build").exists()


def test_malformed_yaml(project):
    poster = project / "posters" / "choc-cobalt.yaml"
    poster.write_text(poster.read_text().replace("stat: enfants-cobalt", "stat: [enfants-cobalt"))
    result = run_cli("render", "choc-cobalt", cwd=project)
    _assert_clean_failure(
        result, project,
        "error: posters/choc-cobalt.yaml:5: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence on line 4)")


def test_malformed_messages_yaml_stops_everything(project):
    (project / "messages.yaml").write_text("campaign:\n  name: x\n bad: indentation\n")
    result = run_cli("build", cwd=project)
    _assert_clean_failure(
        result, project,
        "error: messages.yaml:3: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block mapping on line 1)")


@pytest.mark.parametrize("poster, old, new, expected", [
    ("choc-cobalt", "stat: enfants-cobalt", "stat: enfant-cobalt",
     "error: posters/choc-cobalt.yaml:4: stat 'enfant-cobalt' is not defined in messages.yaml "
     "(did you mean 'enfants-cobalt'?)"),
    ("film-sacrifies-ia", "film: sacrifies-ia", "film: les-sacrifies",
     "error: posters/film-sacrifies-ia.yaml:4: film 'les-sacrifies' is not defined in messages.yaml "
     "(did you mean 'sacrifies-ia'?)"),
    ("choc-cobalt", "message: cobalt-enfance", "message: nope",
     "error: posters/choc-cobalt.yaml:3: message 'nope' is not defined in messages.yaml (known: "
     "cobalt-enfance, coltan, couts-caches, credit-social, dechets-exportes, fracture-numerique, "
     "ia-invisibles, lithium, …)"),
])
def test_unknown_ids(project, poster, old, new, expected):
    path = project / "posters" / f"{poster}.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    _assert_clean_failure(run_cli("render", poster, cwd=project), project, expected)


def test_missing_font(project):
    layout = project / "layouts" / "choc.svg"
    text = layout.read_text()
    assert 'data-font="Inter-Black"' in text
    layout.write_text(text.replace('data-font="Inter-Black"', 'data-font="InterDisplay-Blak"'))
    line = next(i for i, l in enumerate(layout.read_text().splitlines(), 1) if 'id="message"' in l)
    result = run_cli("render", "choc-cobalt", cwd=project)
    _assert_clean_failure(
        result, project,
        f"error: layouts/choc.svg:{line}: font 'InterDisplay-Blak' is not in fonts/ "
        "(did you mean 'InterDisplay-Black'?); add the font file or fix the name")


def test_unknown_key_suggests_the_right_one(project):
    poster = project / "posters" / "choc-cobalt.yaml"
    poster.write_text(poster.read_text().replace("visual:", "visuel:"))
    result = run_cli("render", "choc-cobalt", cwd=project)
    assert "error: posters/choc-cobalt.yaml:6: unknown key 'visuel' (did you mean 'visual'?)" in result.stderr
    assert result.returncode == 2 and not (project / "build").exists()


def test_non_utf8_file(project):
    (project / "posters" / "choc-cobalt.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    result = run_cli("render", "choc-cobalt", cwd=project)
    _assert_clean_failure(result, project,
                          "error: posters/choc-cobalt.yaml:1: not valid UTF-8 text; save the file as UTF-8")


def test_one_broken_poster_does_not_stop_the_others(project):
    (project / "posters" / "choc-cobalt.yaml").write_text("title: [\n")
    result = run_cli("build", "--format", "instagram", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert any(l.startswith("error: posters/choc-cobalt.yaml:") for l in result.stderr.splitlines())
    built = sorted(p.parent.name for p in (project / "build").glob("*/instagram.png"))
    assert "choc-cobalt" not in built and "choc-telephone" in built and len(built) >= 9
