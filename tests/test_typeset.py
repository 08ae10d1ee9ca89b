"""Text is fitted with real metrics: glyph ink inside its slot, balanced lines, clear fit errors."""

from __future__ import annotations

import pytest

from conftest import ROOT, run_cli
from poster_engine.fonts import library
from poster_engine.typeset import MissingGlyph, TextDoesNotFit, TextRules, fit_text

EPS = 1e-6


def test_every_glyph_lies_inside_its_slot(compositions):
    checked = 0
    for name, comp in compositions.items():
        for slot_name, block in comp.blocks.items():
            x, y, w, h = block.box
            assert block.ink, f"{name}:{slot_name} drew nothing"
            for x0, y0, x1, y1 in block.ink:
                assert x - EPS <= x0 and x1 <= x + w + EPS, f"{name}:{slot_name} overflows horizontally"
                assert y - EPS <= y0 and y1 <= y + h + EPS, f"{name}:{slot_name} overflows vertically"
                checked += 1
    assert checked > 5000


def test_sizes_stay_within_slot_bounds(compositions, workspace):
    from poster_engine.compose import text_rules

    for name, comp in compositions.items():
        for slot in comp.layout.slots:
            if slot.name in comp.blocks:
                rules = text_rules(slot, comp.layout, workspace)
                assert rules.size_min <= comp.blocks[slot.name].size <= rules.size_max, (name, slot.name)


def test_text_slots_stay_inside_the_safe_area(compositions):
    for name, comp in compositions.items():
        lay = comp.layout
        for block in comp.blocks.values():
            for x0, y0, x1, y1 in block.ink:
                assert x0 >= lay.safe and y0 >= lay.safe, name
                assert x1 <= lay.width - lay.safe and y1 <= lay.height - lay.safe, name


def _rules(**kw) -> TextRules:
    lib = library(ROOT / "fonts")
    base = dict(fonts=(lib.get("InterDisplay-Black", "test"),), size_min=10, size_max=30, max_lines=4)
    base.update(kw)
    return TextRules(**base)


def test_balanced_headline_has_even_lines():
    text = "Le cobalt de nos batteries passe par des mains d’enfants."
    block = fit_text(text, (0, 0, 265, 88), _rules(balance=True))
    font = block.glyphs[0].font
    widths = [sum(g.x_advance for g in font.shape(line)) for line in block.lines]
    assert len(block.lines) >= 2
    assert min(widths) >= 0.5 * max(widths), block.lines
    greedy = fit_text(text, (0, 0, 265, 88), _rules(balance=False))
    assert block.size == pytest.approx(greedy.size, rel=0.01)  # balancing never costs size


def test_no_lonely_last_word():
    block = fit_text("Un deux trois quatre cinq six sept huit neuf dix onze", (0, 0, 120, 200),
                     _rules(size_min=10, size_max=10, max_lines=10))
    assert " " in block.lines[-1]


def test_fit_picks_largest_size_and_never_exceeds_lines():
    block = fit_text("Court.", (0, 0, 265, 88), _rules())
    assert block.size == 30 and block.lines == ("Court.",)
    long = fit_text("mot " * 30, (0, 0, 265, 88), _rules())
    assert len(long.lines) <= 4 and long.size < 30


def test_does_not_fit_reason():
    with pytest.raises(TextDoesNotFit) as exc:
        fit_text("mot " * 200, (0, 0, 265, 88), _rules())
    assert exc.value.reason.startswith("needs ") and exc.value.reason.endswith(" lines, 4 allowed")


def test_missing_glyph_names_the_character():
    with pytest.raises(MissingGlyph) as exc:
        fit_text("Chat 猫", (0, 0, 265, 88), _rules())
    assert str(exc.value) == "character U+732B '猫' is in none of the slot's fonts (InterDisplay-Black)"


def test_fallback_chain_covers_narrow_no_break_space():
    lib = library(ROOT / "fonts")
    bebas, inter = lib.get("BebasNeue-Bold", "t"), lib.get("Inter-Bold", "t")
    assert not bebas.covers("\u202f") and inter.covers("\u202f")
    block = fit_text("40\u202f000", (0, 0, 200, 60), _rules(fonts=(bebas, inter), max_lines=1))
    assert {g.font.name for g in block.glyphs} == {"BebasNeue-Bold", "Inter-Bold"}


def test_message_too_long_gives_one_line_error(project):
    messages = project / "messages.yaml"
    text = messages.read_text()
    long = " ".join(["Le numérique a un coût caché que personne ne voit sur l'écran."] * 12)
    text = text.replace("messages:\n", f"messages:\n  trop-long:\n    text: \"{long}\"\n", 1)
    messages.write_text(text)
    poster = project / "posters" / "choc-cobalt.yaml"
    poster.write_text(poster.read_text().replace("message: cobalt-enfance", "message: trop-long"))
    result = run_cli("render", "choc-cobalt", "--format", "a3", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "error: posters/choc-cobalt.yaml:3: text \"Le numérique a un coût caché que person…\" does not fit "
        "slot 'message' of layouts/choc.svg at format a3, even at the minimum size 10: needs 15 lines, "
        "4 allowed; shorten the text or lower the slot's data-size-min"]
    assert not (project / "build").exists()
