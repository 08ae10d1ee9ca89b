"""Text is fitted with real metrics: glyph ink inside its slot, good line breaks, clear fit errors."""

from __future__ import annotations

import pytest
from conftest import ROOT, assert_clean_failure, run_cli

from poster_engine.compose.typeset import Face, MissingGlyph, TextDoesNotFit, TextRules, fit_text
from poster_engine.compose.typography import prose
from poster_engine.project.fonts import library
from poster_engine.project.markup import parse_markup

EPS = 1e-6
LIB = library(ROOT / "fonts")


def _rules(font: str = "InterDisplay-Black", **kw) -> TextRules:
    base = dict(faces=(Face(0, (LIB.get(font, "test"),)),), size_min=10, size_max=30, max_lines=4)
    base.update(kw)
    return TextRules(**base)


def _set(lang: str, font: str, size: float, width: float, text: str, **kw) -> tuple[str, ...]:
    """Lines of `text` (typed as in messages.yaml) set at a fixed size in a column `width` wide."""
    block = fit_text(
        parse_markup(prose(text, lang)),
        (0, 0, width, 500),
        _rules(font, size_min=size, size_max=size, max_lines=99, lang=lang, **kw),
    )
    return block.lines


def _width(line: str, font: str) -> float:
    return sum(g.x_advance for g in LIB.get(font, "test").shape(line))


# --- every demo output ---------------------------------------------------------------------------


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
    assert checked > 10000


def test_sizes_stay_within_slot_bounds(compositions, demo):
    from poster_engine.compose.document import text_rules

    for name, comp in compositions.items():
        for slot in comp.layout.slots:
            if slot.name in comp.blocks:
                rules = text_rules(slot, comp.layout, demo.fonts)
                assert rules.size_min <= comp.blocks[slot.name].size <= rules.size_max, (name, slot.name)


def test_text_slots_stay_inside_the_safe_area(compositions):
    for name, comp in compositions.items():
        lay = comp.layout
        for block in comp.blocks.values():
            for x0, y0, x1, y1 in block.ink:
                assert x0 >= lay.safe and y0 >= lay.safe, name
                assert x1 <= lay.width - lay.safe and y1 <= lay.height - lay.safe, name


def test_no_two_slots_collide(compositions):
    """Ink of different slots never overlaps (boxes may touch, letters may not)."""
    for name, comp in compositions.items():
        boxes = {}
        for slot in comp.slots:  # on the page: an item's slot is drawn through its own move
            block = comp.blocks.get(slot.name)
            if block is None:
                continue
            corners = [c for x0, y0, x1, y1 in block.ink for c in slot.matrix.corners((x0, y0, x1 - x0, y1 - y0))]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            boxes[slot.name] = (min(xs), min(ys), max(xs), max(ys))
        items = sorted(boxes.items())
        for i, (a, (ax0, ay0, ax1, ay1)) in enumerate(items):
            for b, (bx0, by0, bx1, by1) in items[i + 1 :]:
                assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, f"{name}: {a} and {b} collide"


def test_demo_lines_never_end_badly(compositions):
    """No line of any demo output starts with punctuation a no-break space should have held back,
    no paragraph ends on a single word, and balanced slots keep their last line at least half as
    long as their longest."""
    for name, comp in compositions.items():
        for slot, block in comp.blocks.items():
            starts = {p.split(" ")[0] for p in block.text.split("\n")}
            for line in block.lines:
                if line.split(" ")[0] not in starts:  # a wrapped line, not a paragraph's first
                    assert line[:1] not in ":;!?»%–—·", (name, slot, line)
            rules = [s for s in comp.slots if s.name == slot][0].rules
            if len(block.lines) > 1 and "\n" not in block.text:
                assert " " in block.lines[-1], (name, slot, block.lines)
                if rules.get("fit") == "balance":
                    font = block.glyphs[0].font.name
                    widths = [_width(line, font) for line in block.lines]
                    assert widths[-1] >= 0.5 * max(widths), (name, slot, block.lines)


# --- golden line breaks: exact lines for a text, font, size and width ----------------------------

GOLDEN = [
    # Ragged text: evenly full lines, no widow.
    (
        "fr",
        "Inter-Regular",
        5,
        80,
        "Dans les coulisses de l'IA, des millions de data workers, souvent du Sud global, collectent ou "
        "annotent les données dans des conditions éprouvantes, pour quelques euros par jour.",
        {},
        (
            "Dans les coulisses de l’IA, des",
            "millions de data workers, souvent",
            "du Sud global, collectent ou",
            "annotent les données dans des",
            "conditions éprouvantes, pour",
            "quelques euros par jour.",
        ),
    ),
    (
        "en",
        "Inter-Regular",
        5,
        80,
        "Behind the scenes of AI, millions of data workers, often from the Global South, collect or "
        "label data in gruelling conditions, for a few euros a day.",
        {},
        (
            "Behind the scenes of AI, millions",
            "of data workers, often from the",
            "Global South, collect or label data",
            "in gruelling conditions, for a few",
            "euros a day.",
        ),
    ),
    # Balanced headline: even lines, like CSS text-wrap: balance.
    (
        "fr",
        "InterDisplay-Black",
        20,
        200,
        "Le cobalt de nos batteries passe par des mains d'enfants.",
        {"balance": True, "hyphenate": False},
        ("Le cobalt de nos", "batteries passe par", "des mains d’enfants."),
    ),
    (
        "en",
        "InterDisplay-Black",
        20,
        200,
        "The cobalt in our batteries passes through children's hands.",
        {"balance": True, "hyphenate": False},
        ("The cobalt in", "our batteries", "passes through", "children’s hands."),
    ),
    # Punctuation: French keeps ':' and '!' on the line of their word (no-break spaces), English has none.
    (
        "fr",
        "Inter-SemiBold",
        6,
        52,
        "Chaque geste noté, chaque citoyen jugé : le crédit social !",
        {},
        ("Chaque geste", "noté, chaque", "citoyen jugé\u00a0: le", "crédit social\u202f!"),
    ),
    (
        "en",
        "Inter-SemiBold",
        6,
        52,
        "Every act rated, every citizen judged: social credit!",
        {},
        ("Every act", "rated, every", "citizen judged:", "social credit!"),
    ),
    # A forced break is honoured; a dash stays at the end of its line, never starts one.
    (
        "fr",
        "Inter-Regular",
        5,
        60,
        "Projection suivie d'un débat\n26 & 27 novembre 2025 – 9h à 18h",
        {},
        ("Projection suivie", "d’un débat", "26 & 27 novembre", "2025\u00a0– 9h à 18h"),
    ),
    # Numbers: '40 000' (U+202F) never splits; a hyphen saves a line here.
    (
        "fr",
        "Inter-Bold",
        10,
        75,
        "40 000 enfants travaillent dans les mines",
        {},
        ("40\u202f000", "enfants tra-", "vaillent dans", "les mines"),
    ),
]


@pytest.mark.parametrize(
    "lang, font, size, width, text, kw, expected", GOLDEN, ids=[f"{g[0]}-{g[1]}-{g[3]}" for g in GOLDEN]
)
def test_golden_line_breaks(lang, font, size, width, text, kw, expected):
    assert _set(lang, font, size, width, text, **kw) == expected


# --- hyphenation ---------------------------------------------------------------------------------

HYPHENATED = [
    (
        "fr",
        45,
        "Des usines électroniques secrètes de Chine aux laboratoires de la Silicon Valley, une "
        "histoire de dégradation de l'environnement.",
        (
            "Des usines",
            "électroniques",
            "secrètes de Chine",
            "aux laboratoires",
            "de la Silicon Valley,",
            "une histoire de",
            "dégradation de",
            "l’environnement.",
        ),
    ),  # room enough: no hyphen at all
    (
        "en",
        45,
        "From China's secretive electronics factories to the labs of Silicon Valley, a story of "
        "environmental degradation.",
        (
            "From China’s",
            "secretive elec-",
            "tronics factories to",
            "the labs of Silicon",
            "Valley, a story",
            "of environmental",
            "degradation.",
        ),
    ),
    (
        "fr",
        32,
        "Les sous-traitants suppriment les contenus inappropriés et regardent des milliers "
        "d'images perturbantes, avec des répercussions psychologiques durables.",
        (
            "Les sous-",
            "traitants",
            "suppriment",
            "les contenus",
            "inappropriés",
            "et regardent",
            "des milliers",
            "d’images",
            "pertur-",
            "bantes, avec",
            "des réper-",
            "cussions",
            "psycho-",
            "logiques",
            "durables.",
        ),
    ),
]


@pytest.mark.parametrize("lang, width, text, expected", HYPHENATED, ids=[f"{h[0]}-{h[1]}" for h in HYPHENATED])
def test_hyphenation_golden(lang, width, text, expected):
    assert _set(lang, "Inter-Regular", 5, width, text) == expected


def test_never_two_hyphens_in_a_row_and_fragments_of_three_letters():
    text = (
        "Les sous-traitants de la Silicon Valley qui suppriment les contenus inappropriés regardent "
        "chaque jour des milliers d'images perturbantes, avec des répercussions psychologiques durables."
    )
    hyphenated = 0
    for width in range(24, 70, 2):
        lines = _set("fr", "Inter-Regular", 5, width, text)
        ends = [line.endswith("-") for line in lines]
        hyphenated += sum(ends)
        assert not any(a and b for a, b in zip(ends, ends[1:])), (width, lines)
        for line, nxt in zip(lines, lines[1:]):
            if line.endswith("-"):
                head = line.rsplit(" ", 1)[-1].rstrip("-").split("-")[-1]
                tail = "".join(c for c in nxt.split(" ")[0] if c.isalpha())
                assert len(head) >= 3 and len(tail) >= 3, (width, line, nxt)
    assert hyphenated > 10  # the sweep did exercise hyphenation


def test_headline_hyphenates_only_when_nothing_else_fits():
    text = "Anticonstitutionnellement interdits"
    box = (0, 0, 200, 60)
    free = fit_text(text, box, _rules(max_lines=3, hyphenate=True))
    headline = fit_text(text, box, _rules(max_lines=3, balance=True, hyphenate=False))
    assert any(line.endswith("-") for line in free.lines)  # a hyphen would buy a larger size...
    assert not any(line.endswith("-") for line in headline.lines)  # ...a headline does not take it
    assert headline.size < free.size
    # 100 wide, the long word fits at no size without a hyphen: then, and only then, a headline takes one.
    cramped = fit_text(text, (0, 0, 100, 60), _rules(max_lines=3, balance=True, hyphenate=False))
    assert cramped.lines == ("Anticonstitu-", "tionnellement", "interdits")


# --- balance, widows and the fit rule ------------------------------------------------------------


def test_balanced_headline_has_even_lines():
    text = "Le cobalt de nos batteries passe par des mains d’enfants."
    block = fit_text(text, (0, 0, 265, 88), _rules(balance=True))
    widths = [_width(line, "InterDisplay-Black") for line in block.lines]
    assert len(block.lines) >= 2
    assert min(widths) >= 0.5 * max(widths), block.lines
    greedy = fit_text(text, (0, 0, 265, 88), _rules(balance=False))
    assert block.size >= 0.95 * greedy.size  # balancing costs at most the rag allowance


def test_balanced_last_line_is_never_under_half_the_longest(campaign):
    """Every message of the campaign, both languages, headline slots from 120 to 270 mm wide."""
    checked = 0
    for lang in ("fr", "en"):
        for message in campaign.messages.messages.values():
            text = parse_markup(prose(message.text.get(lang), lang))
            for width in range(120, 280, 15):
                rules = _rules(balance=True, hyphenate=False, line_height=1.04, lang=lang)
                try:
                    block = fit_text(text, (0, 0, width, 88), rules)
                except TextDoesNotFit:
                    continue  # the stress-test message needs more than 4 lines in narrow slots
                widths = [_width(line, "InterDisplay-Black") for line in block.lines]
                assert widths[-1] >= 0.5 * max(widths), (width, block.lines)
                checked += 1
    assert checked > 300


def test_no_lonely_last_word():
    block = fit_text(
        "Un deux trois quatre cinq six sept huit neuf dix onze",
        (0, 0, 120, 200),
        _rules(size_min=10, size_max=10, max_lines=10),
    )
    assert " " in block.lines[-1]


def test_a_good_rag_beats_a_slightly_larger_size():
    text = prose("Le cobalt de nos batteries passe par des mains d'enfants.", "fr")
    block = fit_text(text, (0, 0, 150, 200), _rules(balance=True, hyphenate=False))
    assert block.lines == ("Le cobalt de", "nos batteries", "passe par des", "mains d’enfants.")
    # 2 % larger fits too, but leaves "d’enfants." alone on the last line.
    larger = block.size * 1.02
    widow = fit_text(text, (0, 0, 150, 200), _rules(size_min=larger, size_max=larger, balance=True))
    assert widow.lines[-1] == "d’enfants."


def test_fit_picks_largest_size_and_never_exceeds_lines():
    block = fit_text("Court.", (0, 0, 265, 88), _rules())
    assert block.size == 30 and block.lines == ("Court.",)
    long = fit_text("mot " * 30, (0, 0, 265, 88), _rules())
    assert len(long.lines) <= 4 and long.size < 30


def test_does_not_fit_reason():
    with pytest.raises(TextDoesNotFit) as exc:
        fit_text("mot " * 200, (0, 0, 265, 88), _rules())
    assert exc.value.reason.startswith("needs ") and exc.value.reason.endswith(" lines, 4 allowed")
    with pytest.raises(TextDoesNotFit) as exc:
        fit_text("Les sous-traitants anticonstitutionnellement", (0, 0, 40, 88), _rules())
    assert exc.value.reason == 'the word "anticonstitutionnellement" is wider than the slot'


def test_no_break_at_a_no_break_space():
    assert _set("fr", "Inter-Bold", 10, 70, "Le 26\u00a0novembre à Paris") == ("Le", "26\u00a0novembre", "à Paris")


# --- styles, optical sizes, fonts ----------------------------------------------------------------


def test_emphasis_and_strong_runs():
    regular, heavy = LIB.get("Inter-Regular", "t"), LIB.get("Inter-Black", "t")
    face = Face(0, (regular,), (heavy,))
    block = fit_text(
        parse_markup("un *mot* et un **autre**"), (0, 0, 200, 20), _rules(faces=(face,), size_min=5, size_max=5)
    )
    assert block.lines == ("un mot et un autre",)
    inked = [g for g in block.glyphs if g.font.glyph_bounds(g.gid)]
    assert [g.emphasis for g in inked] == [False] * 2 + [True] * 3 + [False] * 4 + [False] * 5
    assert [g.font.name for g in inked][-5:] == ["Inter-Black"] * 5
    # Without a heavier cut, **strong** text takes the emphasis colour instead.
    flat = fit_text(
        parse_markup("**autre**"), (0, 0, 200, 20), _rules(faces=(Face(0, (heavy,)),), size_min=5, size_max=5)
    )
    assert all(g.emphasis for g in flat.glyphs)


def test_display_cut_from_seven_units_up(demo):
    from poster_engine.compose.document import DISPLAY_FROM, font_faces

    faces = font_faces(demo.fonts, ("Inter-Bold",), "test")
    assert [(f.min_size, f.fonts[0].name, f.strong[0].name) for f in faces] == [
        (0.0, "Inter-Bold", "Inter-Black"),
        (DISPLAY_FROM, "InterDisplay-Bold", "InterDisplay-Black"),
    ]
    rules = _rules(faces=faces, size_min=4, size_max=40, max_lines=1)
    assert fit_text("Grand", (0, 0, 60, 30), rules).glyphs[0].font.name == "InterDisplay-Bold"
    assert fit_text("Petit texte de légende", (0, 0, 60, 5), rules).glyphs[0].font.name == "Inter-Bold"


def test_tabular_figures_reach_harfbuzz():
    font = LIB.get("Inter-Regular", "t")
    proportional = {font.shape(d)[0].x_advance for d in "0123456789"}
    tabular = {font.shape(d, "tnum")[0].x_advance for d in "0123456789"}
    assert len(proportional) > 1 and len(tabular) == 1


def test_missing_glyph_names_the_character():
    with pytest.raises(MissingGlyph) as exc:
        fit_text("Chat 猫", (0, 0, 265, 88), _rules())
    assert str(exc.value) == "character U+732B '猫' is in none of the slot's fonts (InterDisplay-Black)"


def test_fallback_chain_covers_narrow_no_break_space():
    bebas, inter = LIB.get("BebasNeue-Bold", "t"), LIB.get("Inter-Bold", "t")
    assert not bebas.covers("\u202f") and inter.covers("\u202f")
    block = fit_text("40\u202f000", (0, 0, 200, 60), _rules(faces=(Face(0, (bebas, inter)),), max_lines=1))
    assert {g.font.name for g in block.glyphs} == {"BebasNeue-Bold", "Inter-Bold"}


def test_an_accent_typed_as_a_combining_mark_is_drawn_on_its_letter():
    """'é' pasted as 'e' + U+0301 (macOS, some PDFs' text): Bebas Neue draws 'é' but has no
    combining acute, so the text was refused, or with a fallback font its accent came from that
    font, beside the letter. Text is NFC; a letter and a mark with no precomposed form (q́) come
    from the one font that has both."""
    import unicodedata

    bebas, inter = LIB.get("BebasNeue-Bold", "t"), LIB.get("Inter-Bold", "t")
    assert not bebas.covers("\u0301") and inter.covers("\u0301")
    rules = _rules(faces=(Face(0, (bebas, inter)),), max_lines=1)

    def drawn(text: str) -> list[tuple[str, int]]:
        return [(g.font.name, g.gid) for g in fit_text(parse_markup(text), (0, 0, 200, 60), rules).glyphs]

    composed = drawn("Crème brûlée")
    assert drawn(unicodedata.normalize("NFD", "Crème brûlée")) == composed
    assert {name for name, _ in composed} == {"BebasNeue-Bold"}
    assert {name for name, _ in drawn("Q\u0301")} == {"Inter-Bold"}


FRENCH = "œŒÉ«»’…\u202f\u00a0ÀÂÇÈÉÊËÎÏÔÙÛÜŸàâçèéêëîïôùûüÿæÆ·–—"


def test_bundled_fonts_cover_french(compositions, demo):
    """Every font chain the demo layouts use, and every Inter cut, covers all of French."""
    from poster_engine.compose.document import text_rules

    chains = set()
    for comp in compositions.values():
        for slot in comp.layout.slots:
            if slot.kind == "text":
                for face in text_rules(slot, comp.layout, demo.fonts).faces:
                    chains.add(face.fonts)
                    chains.add(face.strong or face.fonts)
    chains |= {(LIB.get(name, "t"),) for name in LIB.files if name.startswith("Inter")}
    for chain in chains:
        missing = [c for c in FRENCH if not any(f.covers(c) for f in chain)]
        assert not missing, ([f.name for f in chain], missing)
    assert len(chains) > 10


# --- errors through the command line -------------------------------------------------------------


def test_uncovered_character_is_one_line_naming_character_text_and_slot(project):
    messages = project / "messages.yaml"
    messages.write_text(
        messages.read_text().replace(
            "Votre téléphone pèse bien plus lourd qu'il n'y paraît.", "Votre téléphone pèse 猫 plus lourd."
        )
    )
    assert_clean_failure(
        run_cli("render", "choc-telephone", "--format", "a3", cwd=project),
        project,
        "error: posters/choc-telephone.yaml:3: character U+732B '猫' of text \"Votre téléphone pèse 猫 plus lourd.\" "
        "is in none of the fonts of slot 'message' (Inter-Black, InterDisplay-Black); remove it or add a font "
        "that has it to the slot's data-font in layouts/choc.svg",
        alone=True,
    )


def test_message_too_long_gives_one_line_error(project):
    messages = project / "messages.yaml"
    text = messages.read_text()
    long = " ".join(["Le numérique a un coût caché que personne ne voit sur l'écran."] * 12)
    text = text.replace("messages:\n", f'messages:\n  trop-long:\n    text: "{long}"\n', 1)
    messages.write_text(text)
    poster = project / "posters" / "choc-cobalt.yaml"
    poster.write_text(poster.read_text().replace("message: cobalt-enfance", "message: trop-long"))
    assert_clean_failure(
        run_cli("render", "choc-cobalt", "--format", "a3", cwd=project),
        project,
        'error: posters/choc-cobalt.yaml:3: text "Le numérique a un coût caché que person…" does not fit '
        "slot 'message' of layouts/choc.svg at format a3, even at the minimum size 10: needs 14 lines, "
        "4 allowed; shorten the text or lower the slot's data-size-min",
        alone=True,
    )


def test_texts_the_same_on_every_row_are_fitted_once(demo):
    """A data merge fits a row-invariant text once (the cache key is text, box and rules, fonts
    included); every block equals what fitting it afresh gives."""
    from poster_engine.api import plan
    from poster_engine.compose import typeset
    from poster_engine.render.job import compose_job

    jobs = [j for j in plan(demo, ["seance"], ["instagram"]).jobs if j.lang == demo.campaign.lang][:3]
    assert len({j.row.id for j in jobs if j.row}) == 3
    typeset._fit_text.cache_clear()
    first = compose_job(demo, jobs[0])
    fitted_once = typeset._fit_text.cache_info().misses
    comps = [first] + [compose_job(demo, job) for job in jobs[1:]]
    info = typeset._fit_text.cache_info()
    shared = [n for n in first.blocks if all(c.blocks[n] is first.blocks[n] for c in comps)]
    varying = [n for n in first.blocks if n not in shared]
    assert shared and varying, (shared, varying)
    assert info.hits >= 2 * len(shared) and info.misses <= fitted_once + 2 * len(varying)
    typeset._fit_text.cache_clear()
    fresh = compose_job(demo, jobs[2])  # fitted afresh: the same blocks, the same SVG
    assert fresh.blocks == comps[2].blocks and fresh.svg == comps[2].svg


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\r\n", "\r", "\x0b", "\x85"])
def test_unicode_line_breaks_are_forced_breaks_like_newline(brk):
    """A forced line break pasted from InDesign or Word (U+2028) breaks the line as '\\n' does;
    it is no glyph to look for in the fonts."""
    pasted = _set("en", "Inter-Regular", 20, 400, f"Open Doors Week{brk}free entry")
    assert pasted == _set("en", "Inter-Regular", 20, 400, "Open Doors Week\nfree entry")
    assert pasted == ("Open Doors Week", "free entry")


def test_font_coverage_is_the_character_map_fonttools_reads():
    """A font's coverage comes from HarfBuzz (the shaper's view, without parsing the outlines);
    for every font the engine ships it is exactly the best Unicode cmap fontTools reads."""
    from fontTools.ttLib import TTFont

    paths = sorted(
        {*ROOT.glob("fonts/**/*.otf"), *ROOT.glob("fonts/**/*.ttf"), *ROOT.glob("poster_engine/starter/fonts/**/*.otf")}
    )
    assert len(paths) >= 10
    for path in paths:
        font = library(path.parent.parent).get(path.stem, "test")
        assert font.cmap == frozenset(TTFont(path).getBestCmap()), path
