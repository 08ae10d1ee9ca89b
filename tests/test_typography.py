"""Typography per language, numbers through Babel, hyphenation points, inline markup."""

import pytest

from poster_engine.compose.typography import format_list, format_number, format_quantity, hyphenation_points
from poster_engine.core.languages import NBSP, NNBSP, english, french
from poster_engine.project.markup import MarkupError, Span, parse_markup


def test_no_break_spaces_before_high_punctuation():
    assert french("Un coût : l'enfance !") == f"Un coût{NBSP}: l’enfance{NNBSP}!"
    assert french("Pourquoi? Vraiment ;") == f"Pourquoi{NNBSP}? Vraiment{NNBSP};"
    assert french("« zone sacrifiée »") == f"«{NBSP}zone sacrifiée{NBSP}»"
    assert french("62 % des seniors") == f"62{NNBSP}% des seniors"


def test_numbers_and_units_stay_together():
    assert french("40 000 enfants") == f"40{NNBSP}000 enfants"
    assert french("un téléphone de 200 g") == f"un téléphone de 200{NBSP}g"


def test_urls_and_times_untouched():
    assert french("9h à 18h") == "9h à 18h"


def test_dashes_end_lines_never_start_them():
    assert french("26 novembre 2025 – 9h à 18h") == f"26 novembre 2025{NBSP}– 9h à 18h"
    assert english("Factory — Hao Zhou") == f"Factory{NBSP}— Hao Zhou"


def test_english_colon_left_alone():
    assert french("Apple: The Trillion Dollar Betrayal") == "Apple: The Trillion Dollar Betrayal"


def test_english_has_no_space_before_punctuation():
    assert english("Source : UNICEF ; vraiment ? 62 % !") == "Source: UNICEF; vraiment? 62%!"
    assert english("children's hands, 9 am to 6 pm") == f"children’s hands, 9{NBSP}am to 6{NBSP}pm"


@pytest.mark.parametrize(
    "value, unit, lang, expected",
    [
        (40000, "", "fr", f"40{NNBSP}000"),
        (62, "%", "fr", f"62{NNBSP}%"),
        (301, "kg/an", "fr", f"301{NBSP}kg/an"),
        (1.5, "", "fr", "1,5"),
        (1_400_000_000, "", "fr", f"1,4{NBSP}milliard"),
        (1_000_000_000, "", "fr", f"1{NBSP}milliard"),  # Babel alone says '1 milliards'
        (2_500_000, "", "fr", f"2,5{NBSP}millions"),
        (40000, "", "en", "40,000"),
        (62, "%", "en", "62%"),
        (301, "kg/yr", "en", f"301{NBSP}kg/yr"),
        (1.5, "", "en", "1.5"),
        (1_400_000_000, "", "en", f"1.4{NBSP}billion"),
    ],
)
def test_quantities_by_locale(value, unit, lang, expected):
    assert format_quantity(value, unit, lang) == expected


def test_lists_by_locale():
    assert format_list(("A", "B", "C"), "fr") == "A, B et C"
    assert format_list(("A", "B"), "en") == "A and B"
    assert format_number(40000, "fr_FR") == f"40{NNBSP}000"


@pytest.mark.parametrize(
    "word, lang, points",
    [
        ("électroniques", "fr", (4, 7)),  # élec-tro-niques
        ("d’enfants.", "fr", ()),  # 'd’en-fants': 2 letters before the hyphen
        ("batteries", "fr", (3, 5)),  # bat-te-ries
        ("Français·es", "fr", (4,)),  # Fran-çais·es
        ("sous-traitants", "fr", (5, 9)),  # after the compound's own hyphen, and trai-tants
        ("Jean-Gabriel", "fr", ()),  # names and acronyms are never broken
        ("UNICEF", "fr", ()),
        ("COVID-19", "fr", ()),
        ("https://example.org/films", "fr", ()),
        ("mot", "fr", ()),  # under 6 letters
        ("electronics", "en", (4, 8)),  # elec-tron-ics
        ("psychological", "en", (3, 6, 8)),  # psy-cho-lo-gical
    ],
)
def test_hyphenation_points(word, lang, points):
    assert hyphenation_points(word, lang) == points


def test_markup():
    assert parse_markup("Le *cobalt* de nos **batteries**.") == (
        Span("Le "),
        Span("cobalt", emphasis=True),
        Span(" de nos "),
        Span("batteries", strong=True),
        Span("."),
    )
    assert parse_markup("***les deux***") == (Span("les deux", strong=True, emphasis=True),)
    assert parse_markup(r"5 \* 3 = 15") == (Span("5 * 3 = 15"),)
    assert parse_markup("") == ()
    with pytest.raises(MarkupError, match=r"^'\*\*' opened and never closed; close it, or type \\\* for an asterisk$"):
        parse_markup("un **mot")


@pytest.mark.parametrize(
    "lang, typed, quantity, listed",
    [
        ("de", "Kosten : 50 % !", "40.000\u202f%", "A, B und C"),
        ("es", "Coste : 50 % !", "40.000\u00a0%", "A, B y C"),
        ("it", "Costo : 50 % !", "40.000%", "A, B e C"),
        ("nl", "Kosten : 50 % !", "40.000%", "A, B en C"),
        ("pt", "Custo : 50 % !", "40\u00a0000%", "A, B e C"),
    ],
)
def test_other_languages_follow_their_own_rules(lang, typed, quantity, listed):
    """Tight punctuation, the language's '%' spacing, CLDR digit grouping and list words."""
    from poster_engine.compose.typography import prose

    percent = {"de": "\u202f", "es": "\u00a0"}.get(lang, "")
    assert prose(typed, lang) == f"{typed.split(' :')[0]}: 50{percent}%!"
    assert format_quantity(40000, "%", lang) == quantity
    assert format_list(["A", "B", "C"], lang) == listed
