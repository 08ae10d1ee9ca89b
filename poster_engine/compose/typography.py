"""Plain text from YAML → typographically correct text per language: spacing, numbers, lists, hyphenation points."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from poster_engine.core.languages import NBSP, language
from poster_engine.core.limits import STAT_VALUE_LIMIT

HYPHEN = "-"  # added at a hyphenated line end (U+002D: every bundled font has it)


def prose(text: str, lang: str) -> str:
    """`text` with the typographic rules of `lang`."""
    return language(lang).prose(text)


def format_number(value: int | float, locale: str = "fr_FR") -> str:
    """40000 → '40 000' (U+202F in French), 1.5 → '1,5', 1.4e9 → '1,4 milliard', through Babel's CLDR data.

    From a million up, numbers are written in words with one decimal ('1,4 milliard', '1.4 billion'):
    a poster is read from afar, nine digits are not.
    """
    from babel import Locale
    from babel.numbers import format_decimal

    if not math.isfinite(value) or abs(value) >= STAT_VALUE_LIMIT:
        # The loader refuses such values with their line (project/content.py); never guess here.
        raise ValueError(f"number {value!r} is outside what can be written out (finite, below 10^15)")
    if abs(value) < 1_000_000:
        return format_decimal(value, locale=locale)
    # Babel's format_compact_decimal picks the plural from the unscaled number ('1 milliards'),
    # so the CLDR pattern is chosen here from the scaled one.
    loc = Locale.parse(locale)
    patterns = loc.compact_decimal_formats["long"]
    magnitude = max(int(m) for m in patterns["other"] if abs(value) >= int(m))
    pattern = patterns["other"][str(magnitude)].pattern
    scaled = round(value / (magnitude // 10 ** (pattern.count("0") - 1)), 1)
    scaled = int(scaled) if scaled == int(scaled) else scaled
    plural = loc.plural_form(scaled)
    chosen = patterns.get(plural, patterns["other"]).get(str(magnitude)) or patterns["other"][str(magnitude)]
    zeros = chosen.pattern.count("0")
    return chosen.pattern.replace("0" * zeros, format_decimal(scaled, locale=locale)).replace(" ", NBSP)


def format_quantity(value: int | float, unit: str, lang: str = "fr") -> str:
    """A statistic's value with its unit: '62 %', '200 kg', '301 kg/an' (no-break spaces); '62%' in English."""
    rules = language(lang)
    number = format_number(value, rules.locale)
    if not unit:
        return number
    space = rules.percent_space if unit.startswith("%") else NBSP
    return f"{number}{space}{unit}"


def format_list(names: tuple[str, ...] | list[str], lang: str) -> str:
    """'A, B et C' / 'A, B and C' (CLDR list patterns)."""
    from babel.lists import format_list as babel_list

    return babel_list(list(names), locale=language(lang).locale) if names else ""


# Hyphenation (pyphen, i.e. the LibreOffice/TeX patterns). Minimum fragments follow French
# practice (Imprimerie nationale: never fewer than 3 letters on either side) and apply to English too.
HYPHEN_MIN_LEFT = 3
HYPHEN_MIN_RIGHT = 3
HYPHEN_MIN_WORD = 6  # letters in the run being hyphenated
_NO_HYPHENATION = re.compile(r"[\d/@:.]\S")  # numbers, URLs, e-mail addresses


@lru_cache(maxsize=4)
def _dictionary(name: str):
    import pyphen

    return pyphen.Pyphen(lang=name, left=HYPHEN_MIN_LEFT, right=HYPHEN_MIN_RIGHT)


def hyphenation_points(word: str, lang: str) -> tuple[int, ...]:
    """Offsets in `word` where a line may break it, e.g. 'électroniques' → (4, 7), 'sous-traitants' → (5, 9).

    A compound breaks after its own hyphen (the preferred place, nothing is added) when each side
    has HYPHEN_MIN_LEFT/RIGHT letters; elsewhere, only runs of at least HYPHEN_MIN_WORD letters are
    hyphenated, keeping HYPHEN_MIN_LEFT/RIGHT letters on each side, so an elided article stays
    attached ('d’enfants' → no 'd’en-': 'en' has 2 letters). Acronyms (two capitals or more, e.g.
    UNICEF), numbers and URLs are never broken.
    """
    if _NO_HYPHENATION.search(word) or sum(c.isupper() for c in word) >= 2:
        return ()
    name = language(lang).hyphenation
    dic = _dictionary(name) if name else None  # pyphen has no patterns for every language
    points: set[int] = set()
    for run in re.finditer(r"[^\W\d_]+", word):
        if dic is not None and len(run.group()) >= HYPHEN_MIN_WORD:
            points.update(run.start() + p for p in dic.positions(run.group()))
    compound = rf"(?<=[^\W\d_]{{{HYPHEN_MIN_LEFT}}})-(?=[^\W\d_]{{{HYPHEN_MIN_RIGHT}}})"
    for hyphen in re.finditer(compound, word):
        points.add(hyphen.end())
    return tuple(sorted(points))
