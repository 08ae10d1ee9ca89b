"""Plain text from YAML → typographically correct French text (no-break spaces, apostrophes, numbers)."""

from __future__ import annotations

import re

NBSP = "\u00a0"  # espace insécable (mot): before ':' and inside « »
NNBSP = "\u202f"  # espace fine insécable: before ; ! ? %, and as thousands separator

# Units and short words that must stay on the line of the number before them.
_UNITS = r"(?:kg|g|t|km|m|cm|mm|min|h|%|€|ans?|fois|points?|milliards?|millions?)"


def french(text: str) -> str:
    """Apply French typographic spacing to prose (never to URLs, which callers keep apart).

    Rules (Lexique des règles typographiques en usage à l'Imprimerie nationale):
    - U+202F (fine insécable) before ; ! ? and %;
    - U+00A0 (insécable) before : (where the author typed a space) and inside « »;
    - ’ for the apostrophe;
    - digit groups '40 000' joined by U+202F; a number and its unit never split.
    """
    t = text.replace("'", "’")
    # Collapse any space (or none) before high punctuation to the right no-break space.
    t = re.sub(r"[ \u00a0\u202f]*([;!?])", lambda m: NNBSP + m.group(1), t)
    # ':' is also English punctuation (titles such as "Apple: The…"): only a space the author typed
    # becomes no-break, none is added.
    t = re.sub(r"(?<=\S)[ \u00a0\u202f]+:(?=\s|$)", NBSP + ":", t)
    t = re.sub(r"(?<=\d)[ \u00a0\u202f]*%", NNBSP + "%", t)
    t = re.sub(r"«[ \u00a0\u202f]*", "«" + NBSP, t)
    t = re.sub(r"[ \u00a0\u202f]*»", NBSP + "»", t)
    # Start of a line: no space may precede the punctuation we just attached.
    t = re.sub(r"(^|\n)[\u00a0\u202f]+(?=[;!?:])", r"\1", t)
    t = re.sub(r"(?<=\d) (?=\d{3}\b)", NNBSP, t)
    t = re.sub(rf"(?<=\d) (?={_UNITS}\b)", NBSP, t)
    t = re.sub(rf"(?<=\d) (?=%)", NNBSP, t)
    return t


def format_number(value: int | float, locale: str = "fr_FR") -> str:
    """40000 → '40 000' (U+202F in French), 1.5 → '1,5', through Babel's CLDR data."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale)


def format_quantity(value: int | float, unit: str, locale: str = "fr_FR") -> str:
    """A statistic's value with its unit: '62 %', '200 kg', '301 kg/an' (no-break spaces)."""
    number = format_number(value, locale)
    if not unit:
        return number
    space = NNBSP if unit.startswith("%") else NBSP
    return f"{number}{space}{unit}"
