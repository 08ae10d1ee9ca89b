"""Languages: the one table of what each language changes (spacing rules, number locale, quotes,
hyphenation dictionary), and its prose rules. Pure functions, no heavy imports."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

NBSP = "\u00a0"  # espace insécable (mot): before ':' and inside « »
NNBSP = "\u202f"  # espace fine insécable: before ; ! ? %, and as thousands separator

# Units and short words that must stay on the line of the number before them.
_UNITS = r"(?:kg|g|t|km|m|cm|mm|min|h|%|€|ans?|fois|points?|milliards?|millions?|years?|billions?|am|pm)"


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
    t = re.sub(r"(?<=\d) (?=%)", NNBSP, t)
    return _keep_dashes_at_line_end(t)


def _keep_dashes_at_line_end(text: str) -> str:
    """'2025 – 9h', 'Titre — crédits': the dash stays with what precedes it, so no line starts with one."""
    return re.sub(r" (?=[–—] )", NBSP, text)


def tight(text: str, percent_space: str = "") -> str:
    """Typography of the languages that set : ; ! ? tight against the word (every one here but
    French): ’ apostrophes, no space before that punctuation, a number and its unit kept together,
    a space typed before '%' made `percent_space` (none in English, no-break in German).

    An author's French habit ('Source : x') is corrected rather than kept.
    """
    t = text.replace("'", "’")
    t = re.sub(r"(?<=\S)[ \u00a0\u202f]+([:;!?])(?=\s|$)", r"\1", t)
    t = re.sub(r"(?<=\d)[ \u00a0\u202f]+%", percent_space + "%", t)
    t = re.sub(rf"(?<=\d) (?={_UNITS}\b)", NBSP, t)
    return _keep_dashes_at_line_end(t)


def english(text: str) -> str:
    """English typography: `tight`, '62%'."""
    return tight(text)


def german(text: str) -> str:
    """German typography: `tight`, '62 %' with a narrow no-break space (DIN 5008)."""
    return tight(text, NNBSP)


def spanish(text: str) -> str:
    """Spanish typography: `tight`, '62 %' with a no-break space (RAE, Ortografía 2010)."""
    return tight(text, NBSP)


@dataclass(frozen=True)
class Language:
    """What a language changes in the typesetting: spacing rules, number locale, quotes, hyphenation."""

    code: str  # as in messages.yaml (`text: {fr: …, en: …}`) and `--lang`
    locale: str  # Babel/CLDR locale: digit grouping, decimal mark, lists ("A et B", "A and B")
    hyphenation: str  # pyphen dictionary
    quotes: tuple[str, str]
    percent_space: str  # between a number and '%': house style, not CLDR (fr CLDR says U+00A0)
    prose: Callable[[str], str]
    poster: str  # what an image is called in its alt text ("Affiche : …"); messages.yaml `labels: poster` overrides it
    credits: tuple[str, str, str]  # provenance in alt texts and captions: the words for sources, visual, fonts


LANGUAGES: dict[str, Language] = {
    # no-break inside « »
    "fr": Language(
        "fr", "fr_FR", "fr", ("«\u00a0", "\u00a0»"), NNBSP, french, "Affiche", ("Sources", "Visuel", "Polices")
    ),
    # British English: the campaign is European (programme, labour) and en_GB patterns hyphenate so.
    "en": Language("en", "en_GB", "en_GB", ("“", "”"), "", english, "Poster", ("Sources", "Visual", "Fonts")),
    # Other Latin-script languages of European campaigns; the bundled fonts cover them. Quotes are
    # each language's first-level marks; '%' spacing as the language's norm (percent_space).
    "de": Language("de", "de_DE", "de_DE", ("„", "“"), NNBSP, german, "Plakat", ("Quellen", "Bild", "Schriften")),
    "es": Language("es", "es_ES", "es", ("«", "»"), NBSP, spanish, "Cartel", ("Fuentes", "Imagen", "Tipografías")),
    "it": Language("it", "it_IT", "it_IT", ("«", "»"), "", english, "Manifesto", ("Fonti", "Immagine", "Caratteri")),
    "nl": Language("nl", "nl_NL", "nl_NL", ("“", "”"), "", english, "Poster", ("Bronnen", "Beeld", "Lettertypen")),
    "pt": Language("pt", "pt_PT", "pt_PT", ("«", "»"), "", english, "Cartaz", ("Fontes", "Imagem", "Tipos de letra")),
}
# A campaign's language unless messages.yaml says otherwise (`campaign: {language: en}`).
DEFAULT_LANG = "fr"
