"""Repeating content (issue 13, item 6; docs/layouts.md §6): a group repeated once per item of a list,
its items' texts set at one common size, laid out inside the group's box or refused with a located
error; the programme lists its films through one, and the information poster (seed 002) shows every
figure, source, definition, challenge and job in A3 and A2, French and English."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_layouts import a4_template, add_layout, composed

from poster_engine.compose.document import compose, text_rules
from poster_engine.compose.fields import poster_fields
from poster_engine.compose.typeset import fit_text
from poster_engine.compose.typography import format_quantity, prose
from poster_engine.core.diagnostics import PosterError
from poster_engine.core.formats import FORMATS
from poster_engine.core.geometry import bounds_of, inside_convex
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import open_project
from poster_engine.project.markup import parse_markup
from poster_engine.qa.check import check_campaign

EPS = 1e-6


def _items(comp, model: str) -> list:
    """The blocks of one model slot in every item, in order (`stats[2]/figure` …)."""
    return [b for name, b in comp.blocks.items() if "[" in name and name.rsplit("/", 1)[-1] == model]


def _plain(text: str, lang: str) -> str:
    """A text of messages.yaml as a block holds it: the language's typography, no markup."""
    return "".join(s.text for s in parse_markup(prose(text, lang)))


@pytest.fixture(scope="module")
def info(demo):
    return {
        (fmt, lang): compose(demo, demo.campaign.posters["information"], demo.formats[fmt], lang)
        for fmt in ("a3", "a2")
        for lang in ("fr", "en")
    }


# --- shrink together ----------------------------------------------------------------------------


def test_repeated_items_share_one_size_the_largest_at_which_all_fit(demo, info):
    comp = compose(demo, demo.campaign.posters["programme"], demo.formats["a3"], "fr")
    films = _items(comp, "film")
    assert len(films) == len(demo.campaign.messages.films)
    assert len({b.size for b in films}) == 1
    # Alone, most films would be set larger: the common size is the one the longest allows.
    slot = next(s for s in comp.slots if s.name == "films[1]/film")
    rules = text_rules(slot, comp.layout, demo.fonts, "fr")
    alone = []
    for b in films:
        title, credits = b.text.split("\u00a0— ")
        alone.append(fit_text(parse_markup(f"**{title}**\u00a0— {credits}"), slot.box, rules).size)
    assert min(alone) == pytest.approx(films[0].size, abs=0.01)
    assert films[0].size < max(alone) - 0.2
    for comp in info.values():
        for model in ("figure", "figure-label", "figure-source", "term", "definition", "challenge", "action", "job"):
            sizes = {round(b.size, 9) for b in _items(comp, model)}
            assert len(sizes) == 1, (model, sizes)


def test_every_items_ink_lies_inside_its_own_box_and_items_never_overlap(demo):
    """On the page, through each item's matrix: every glyph inside its item's slot polygon and inside
    its list's box, and no two items' texts overlap."""
    for poster in ("programme", "information"):
        for job in plan_jobs(demo, [poster], list(FORMATS), ["fr", "en"]):
            comp = compose(demo, demo.campaign.posters[poster], job.format, job.lang)
            where = f"{poster} {job.format.name} {job.lang}"
            lists = {placed.name: placed.polygon for placed in comp.lists}
            inks = []
            for slot in comp.slots:
                block = comp.blocks.get(slot.name)
                if block is None or "[" not in slot.name:
                    continue
                polygon = slot.polygon
                group = lists[slot.name.rsplit("[", 1)[0]]
                corners = [c for x0, y0, x1, y1 in block.ink for c in slot.matrix.corners((x0, y0, x1 - x0, y1 - y0))]
                assert all(inside_convex(c, polygon) for c in corners), f"{where}: {slot.name} leaves its box"
                assert all(inside_convex(c, group, 1e-4) for c in corners), f"{where}: {slot.name} leaves its list"
                inks.append((slot.name, bounds_of(tuple(corners))))
            for i, (a, (ax, ay, aw, ah)) in enumerate(inks):
                for b, (bx, by, bw, bh) in inks[i + 1 :]:
                    apart = ax + aw <= bx + EPS or bx + bw <= ax + EPS or ay + ah <= by + EPS or by + bh <= ay + EPS
                    assert apart, f"{where}: {a} and {b} overlap"


# --- the information poster ---------------------------------------------------------------------


def test_the_information_poster_shows_every_figure_source_definition_challenge_and_job(demo, info):
    m = demo.campaign.messages
    spec = demo.campaign.posters["information"].spec
    assert spec.formats == ("a3", "a2") and len(spec.stats) == 5
    for (fmt, lang), comp in info.items():
        texts = {name: b.text for name, b in comp.blocks.items()}
        shown = "\n".join(texts.values())
        for k, sid in enumerate(spec.stats, 1):
            stat = m.stats[sid]
            unit = stat.unit.get(lang) if stat.unit else ""
            assert texts[f"stats[{k}]/figure"] == format_quantity(stat.value, unit or "", lang)
            assert texts[f"stats[{k}]/figure-label"] == _plain(stat.label.get(lang), lang)
            source = _plain(stat.source.get(lang), lang) + (f", {stat.year}" if stat.year else "")
            assert texts[f"stats[{k}]/figure-source"].endswith(source), (fmt, lang, sid)
        for k, definition in enumerate(m.definitions.values(), 1):
            assert texts[f"definitions[{k}]/term"] == _plain(definition.term.get(lang), lang)
            assert texts[f"definitions[{k}]/definition"] == _plain(definition.text.get(lang), lang)
        for k, challenge in enumerate(m.challenges.values(), 1):
            assert texts[f"challenges[{k}]/challenge"] == _plain(challenge.title.get(lang), lang)
            for n, action in enumerate(challenge.actions, 1):
                item = f"challenges[{k}]/item.actions[{n}]"
                assert texts[f"{item}/action"] == _plain(action.text.get(lang), lang)
                assert texts[f"{item}/job"].endswith(_plain(action.job.get(lang), lang))
        # The figures of the seed, as a reader sees them.
        for figure in (("40\u202f000", "62\u202f%", "200\u00a0kg", "301\u00a0kg/an", "949\u00a0kg/an"))[
            : 5 if lang == "fr" else 0
        ]:
            assert figure in shown
        if lang == "en":
            assert {"40,000", "62%", "200\u00a0kg", "301\u00a0kg/yr", "949\u00a0kg/yr"} <= set(texts.values())
        assert sum(1 for name in texts if name.endswith("/job")) == 9


def test_the_information_poster_passes_poster_check(demo):
    findings = check_campaign(demo, ["fr", "en"], ["information", "programme"])
    errors = [str(f) for f in findings if f.severity == "error"]
    assert errors == []
    # Its five figures count as used: their placeholder sources and missing year are reported.
    sources = {f.text.split("'")[1] for f in findings if f.check == "source"}
    assert sources >= set(demo.campaign.posters["information"].spec.stats) - {"enfants-cobalt"}


def test_the_programme_lists_every_film_through_the_repeat(demo):
    m = demo.campaign.messages
    poster = demo.campaign.posters["programme"]
    assert "programme" not in poster_fields(demo.campaign, poster, "fr")  # the hard-wired field is gone
    for fmt in ("a3", "instagram", "instagram-square", "story", "link-preview"):
        comp = compose(demo, poster, demo.formats[fmt], "fr")
        films = [b.text for name, b in comp.blocks.items() if name.startswith("films[")]
        assert len(films) == len(m.films), fmt
        for text, film in zip(films, m.films.values()):
            assert text.startswith(_plain(film.title.get("fr"), "fr") + "\u00a0— "), (fmt, text)
            if film.year:
                assert str(film.year) in text
        assert [p.items for p in comp.lists] == [len(m.films)]


# --- errors -------------------------------------------------------------------------------------

LIST_RULES = (
    "stats:\n  gap: 0\n"
    'value:\n  text: "{item.value}"\n  font: Inter-Black\n  size-min: 8\n  size-max: 8\n  max-lines: 1\n'
)


def _list_layout(area_height: float, group: str = "repeat:stats", model: str = "slot:value") -> str:
    return a4_template(
        f'<g inkscape:label="{group}">\n'
        f'  <rect inkscape:label="{model}" x="20" y="20" width="150" height="10"/>\n'
        f'  <rect inkscape:label="area" x="20" y="20" width="150" height="{area_height}"/>\n'
        "</g>\n"
    )


def test_items_that_do_not_fit_even_at_the_minimum_give_one_located_error(project):
    add_layout(project, "liste", _list_layout(25), LIST_RULES, keys="stats: 5\n")
    with pytest.raises(PosterError) as err:
        composed(project, "liste")
    assert str(err.value) == (
        "posters/liste.yaml:3: list 'stats' does not fit repeat:stats (layouts/liste.svg:6) at format a4: its 5 "
        "items share the group's height; slot 'value' of item 1 (\"200 kg\") does not fit even at the minimum "
        "size 8: 1 line(s) need a height of 7.5, the slot has 5.0; 3 item(s) fit; show fewer (stats: 3 in "
        "posters/liste.yaml) or give the group more room"
    )
    # What the error says fits, fits.
    (project / "posters" / "liste.yaml").write_text(
        (project / "posters" / "liste.yaml").read_text().replace("stats: 5", "stats: 3")
    )
    assert [b.text for b in composed(project, "liste").blocks.values()] == ["200\u00a0kg", "40\u202f000", "62\u202f%"]


def test_items_with_room_keep_the_models_size_and_shorter_boxes_share_it(project):
    add_layout(project, "liste", _list_layout(60), LIST_RULES, keys="stats: 3\n")
    comp = composed(project, "liste")
    assert [round(s.matrix.f + s.box[1], 6) for s in comp.slots] == [20, 30, 40]  # as drawn, one under another
    assert comp.lists[0].squeeze == 1.0
    add_layout(project, "liste", _list_layout(60), LIST_RULES, keys="stats: 5\n")
    comp = composed(project, "liste")
    assert comp.lists[0].squeeze == pytest.approx(60 / 50 if 60 / 50 < 1 else 1.0)
    add_layout(project, "liste", _list_layout(45), LIST_RULES, keys="stats: 5\n")
    comp = composed(project, "liste")
    assert comp.lists[0].squeeze == pytest.approx(0.9)
    assert [round(s.matrix.f + s.box[1], 6) for s in comp.slots] == [20, 29, 38, 47, 56]
    assert {round(s.box[3], 6) for s in comp.slots} == {9.0}


@pytest.mark.parametrize(
    ("group", "model", "sidecar", "expected"),
    [
        (
            "repeat:stat",
            "slot:value",
            LIST_RULES.replace("stats:", "stat:"),
            "layouts/liste.svg:6: repeating group 'stat': there is no list 'stat' to repeat over (did you mean "
            "'stats'?); lists are films, stats, definitions, challenges, messages",
        ),
        (
            "repeat:stats",
            "slot:value",
            LIST_RULES + "  columns: 3\n",
            "layouts/liste.yaml:9: slot 'value': unknown key 'columns' (known: align, anchor, bleed, case, color, "
            "features, fit, font, …)",
        ),
        (
            "repeat:stats",
            "slot:value",
            LIST_RULES.replace("gap: 0", "columns: 2"),
            "layouts/liste.yaml:2: repeating group 'stats': columns is 2, but the group is wide enough for 1 "
            "item(s) of 150 with a gap of 0; widen the group or narrow the item",
        ),
        (
            "repeat:stats",
            "slot:value",
            LIST_RULES.replace("gap: 0", "flow: across"),
            "layouts/liste.yaml:2: repeating group 'stats': flow must be down or right",
        ),
        (
            "layer",
            "slot:value",
            LIST_RULES.replace("stats:\n  gap: 0\n", ""),
            "layouts/liste.yaml:2: slot 'value' shows {item.value} but is in no repeating group; an item's "
            "fields are shown by the slots of a group named repeat:<list> (docs/layouts.md §6)",
        ),
    ],
)
def test_list_errors_in_a_template_are_one_located_line(project, group, model, sidecar, expected):
    add_layout(project, "liste", _list_layout(40, group, model), sidecar, keys="")
    project_ = open_project(project)
    with pytest.raises(PosterError) as err:
        compose(project_, project_.campaign.posters["liste"], FORMATS["a4"], "fr")
    assert str(err.value) == expected


def test_a_poster_selecting_unknown_items_is_told_where(project):
    add_layout(project, "liste", _list_layout(60), LIST_RULES, keys="stats: [enfants-cobalt, illectronisme]\n")
    diags = [str(d) for d in open_project(project).campaign.diagnostics]
    assert diags == [
        "posters/liste.yaml:3: stats: 'illectronisme' is not defined in messages.yaml (did you mean "
        "'illectronisme-75'?)"
    ]


def test_a_list_missing_a_translation_names_the_item(project: Path):
    messages = project / "messages.yaml"
    messages.write_text(
        messages.read_text().replace('        job: {fr: "modérateur·ice", en: "content moderator"}\n', "")
    )
    comp = composed(project, "information", "a3", "fr")
    assert not any(name.endswith("item.actions[2]/job") and name.startswith("challenges[3]") for name in comp.blocks)
    # an optional job left out leaves its slot empty; the other items keep their common size
    assert len({b.size for b in _items(comp, "job")}) == 1


def test_overlay_outlines_each_item_and_each_list(demo):
    from poster_engine.preview.renderer import overlay_data

    comp = compose(demo, demo.campaign.posters["information"], demo.formats["a3"], "fr")
    data = overlay_data(comp)
    names = [s["name"] for s in data["slots"]]
    assert "stats[5]/figure" in names and "challenges[3]/item.actions[3]/job" in names
    assert [entry["name"] for entry in data["lists"]][:3] == ["stats", "definitions", "challenges"]
    # each item's box on the page is its own: five figure boxes one under another
    tops = [s["box"][1] for s in data["slots"] if s["name"].endswith("/figure")]
    assert tops == sorted(tops) and len(set(tops)) == 5


def test_fit_rule_at_exactly_one_size(demo):
    """fit_text with size_min == size_max sets exactly that size or refuses (what shrink-together uses)."""
    comp = compose(demo, demo.campaign.posters["programme"], demo.formats["a3"], "fr")
    slot = next(s for s in comp.slots if s.name == "films[1]/film")
    rules = text_rules(slot, comp.layout, demo.fonts, "fr")
    block = fit_text("Forged in Silence", slot.box, replace(rules, size_min=5.0, size_max=5.0))
    assert block.size == 5.0
