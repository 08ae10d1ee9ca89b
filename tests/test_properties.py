"""Property-based tests: the fitter either fits any text inside its slot or says it cannot, and the
loader answers any YAML with a campaign or a PosterError — nothing else ever escapes."""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poster_engine.compose.typeset import Face, MissingGlyph, TextDoesNotFit, TextRules, fit_text
from poster_engine.core.diagnostics import PosterError
from poster_engine.project.content import load_campaign
from poster_engine.project.fonts import library
from poster_engine.project.markup import MarkupError, parse_markup

LIB = library(ROOT / "fonts")
EPS = 1e-6
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# French and English prose with the characters authors type, some the fonts lack (CJK, emoji),
# markup markers, forced breaks, and long unbreakable words.
ALPHABET = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéèàçœ ÉÀ’'«»:;!?–-0123456789%  \n*") + ["猫", "🙂"])
TEXTS = st.text(ALPHABET, min_size=1, max_size=120)


@FAST
@given(
    text=TEXTS,
    width=st.floats(5, 300),
    height=st.floats(3, 120),
    size_min=st.floats(1, 20),
    extra=st.floats(0, 20),
    max_lines=st.integers(1, 8),
    balance=st.booleans(),
    hyphenate=st.booleans(),
    uppercase=st.booleans(),
    lang=st.sampled_from(["fr", "en"]),
    font=st.sampled_from(["Inter-Regular", "InterDisplay-Black", "BebasNeue-Bold"]),
)
def test_fitter_fits_or_says_so(
    text, width, height, size_min, extra, max_lines, balance, hyphenate, uppercase, lang, font
):
    try:
        spans = parse_markup(text)
    except MarkupError:
        return  # the loader rejects such texts before any fitting (tested in the corpus)
    rules = TextRules(
        faces=(Face(0, (LIB.get(font, "test"),)),),
        size_min=size_min,
        size_max=size_min + extra,
        max_lines=max_lines,
        balance=balance,
        hyphenate=hyphenate,
        uppercase=uppercase,
        lang=lang,
    )
    box = (3.0, 7.0, width, height)
    try:
        block = fit_text(spans, box, rules)
    except (TextDoesNotFit, MissingGlyph):
        return
    assert rules.size_min - EPS <= block.size <= rules.size_max + EPS
    assert len(block.lines) <= max_lines
    x, y, w, h = box
    for x0, y0, x1, y1 in block.ink:
        assert x - EPS <= x0 and x1 <= x + w + EPS and y - EPS <= y0 and y1 <= y + h + EPS


# --- the loader -------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["#FFFFFF", "choc", "a3", "https://x.org", "fr"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=10), st.sampled_from(["fr", "en", "text", "url", "value"])), inner, max_size=4
        ),
    ),
    max_leaves=12,
)
POSTER_KEYS = ["title", "layout", "message", "stat", "film", "quote", "visual", "focus", "colors", "formats"]


@pytest.fixture(scope="module")
def loader_project(tmp_path_factory):
    dst = tmp_path_factory.mktemp("prop") / "project"
    dst.mkdir()
    shutil.copy(ROOT / "messages.yaml", dst)
    (dst / "posters").mkdir()
    for poster in ("choc-cobalt", "film-ma-femme-a-du-credit"):  # two families suffice, and keep it fast
        shutil.copy(ROOT / "posters" / f"{poster}.yaml", dst / "posters")
    (dst / "visuals").mkdir()
    return dst


def _load_or_poster_error(root) -> None:
    try:
        load_campaign(root, {"a3", "instagram"})
    except PosterError as exc:
        assert exc.diagnostics and all(str(d) and "\n" not in d.message for d in exc.diagnostics)


@FAST
@given(key=st.sampled_from(POSTER_KEYS), value=VALUES)
def test_loader_survives_any_value_in_a_poster(loader_project, key, value):
    original = yaml.safe_load((ROOT / "posters" / "choc-cobalt.yaml").read_text())
    original[key] = value
    (loader_project / "posters" / "choc-cobalt.yaml").write_text(yaml.safe_dump(original, allow_unicode=True))
    _load_or_poster_error(loader_project)


@FAST
@given(data=st.data())
def test_loader_survives_mutated_messages(loader_project, data):
    text = (ROOT / "messages.yaml").read_text(encoding="utf-8")
    mutation = data.draw(st.sampled_from(["cut", "insert", "bytes"]))
    at = data.draw(st.integers(0, len(text)))
    if mutation == "cut":
        raw = (text[:at] + text[at + data.draw(st.integers(1, 200)) :]).encode()
    elif mutation == "insert":
        raw = (
            text[:at] + data.draw(st.text(st.sampled_from(list(":-[]{}&*!|>'\"#%@`\t\n ?,x0")), max_size=8)) + text[at:]
        ).encode()
    else:
        raw = text.encode()[:at] + data.draw(st.binary(min_size=1, max_size=4)) + text.encode()[at:]
    (loader_project / "messages.yaml").write_bytes(raw)
    _load_or_poster_error(loader_project)


@FAST
@given(value=VALUES)
def test_loader_survives_any_document(loader_project, value):
    (loader_project / "messages.yaml").write_text(yaml.safe_dump(value, allow_unicode=True))
    _load_or_poster_error(loader_project)
