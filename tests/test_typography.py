"""French typography and number formatting."""

from poster_engine.typography import NBSP, NNBSP, format_quantity, french


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


def test_quantities_from_babel():
    assert format_quantity(40000, "") == f"40{NNBSP}000"
    assert format_quantity(62, "%") == f"62{NNBSP}%"
    assert format_quantity(301, "kg/an") == f"301{NBSP}kg/an"


def test_english_colon_left_alone():
    assert french("Apple: The Trillion Dollar Betrayal") == "Apple: The Trillion Dollar Betrayal"
