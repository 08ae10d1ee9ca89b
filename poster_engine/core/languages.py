"""Languages: the one table of what each language changes (spacing rules, number locale, quotes,
hyphenation dictionary), its prose rules, and `language()`, which resolves any code Unicode CLDR
knows: the table's hand-tuned entries as they are, every other language derived from CLDR (Babel,
and core/cldr_quotes.py for the quotation marks Babel leaves out) and pyphen's dictionaries. Pure
functions; the CLDR data is read only when a language outside the table is asked for."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any

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
    hyphenation: str  # pyphen dictionary; "" when pyphen has none for the language (words are not hyphenated)
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

# Scripts written without spaces between words (CLDR's likely script of a language tells which a
# language uses). Their lines break inside words, at places only a dictionary knows (Thai, Lao,
# Khmer, Myanmar: UAX #14 class SA) or between any two ideographs under kinsoku rules (Chinese,
# Japanese); the engine breaks lines at spaces, so it would set them as one unbreakable run. CLDR
# has no datum for "separates words with spaces", hence this small table.
UNSPACED_SCRIPTS = frozenset(
    {"Hani", "Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Lana", "Talu", "Tavt", "Yiii"}
)


class LanguageRefused(ValueError):
    """A language code the engine cannot set: unknown to CLDR, or a script it would draw wrong.
    Its text is one line without a location; callers add the file and line of the code."""


def _tag(locale) -> str:
    """pt_BR → 'pt-BR', sr_Latn → 'sr-Latn': the code as outputs and translations carry it (BCP 47 order)."""
    return "-".join(p for p in (locale.language, locale.script, locale.territory, locale.variant) if p)


def _likely(lang: str) -> tuple[str | None, str | None]:
    """The script and territory CLDR's likely subtags give a bare language: pl → (Latn, PL), zh →
    (Hans, CN). Read from the tag itself: Babel has no locale data for some of them (bo_Tibt_CN)."""
    from babel.core import get_global

    parts = str(get_global("likely_subtags").get(lang, lang)).split("_")[1:]
    script = next((p for p in parts if len(p) == 4), None)
    territory = next((p for p in parts if len(p) in (2, 3)), None)
    return script, territory


def _script(locale) -> str | None:
    """The locale's script: its own (sr-Latn), else the likely one of its language (zh → Hans)."""
    return locale.script or _likely(locale.language)[0]


def _cldr_quotes(locale_id: str) -> tuple[str, str]:
    """The language's first-level quotation marks, from CLDR's delimiters: the locale's own
    ('pt_BR', 'sr_Latn_BA'), else its parent's (the id without its last part), else CLDR root's.
    Babel does not import that part of CLDR: core/cldr_quotes.py is a snapshot of it, written by
    scripts/cldr_quotes.py."""
    from poster_engine.core.cldr_quotes import QUOTES

    parts = locale_id.split("_")
    while parts:
        found = QUOTES.get("_".join(parts))
        if found is not None:
            return found
        parts.pop()
    return ("\u201c", "\u201d")


def _cldr_percent_space(locale) -> str:
    """What CLDR's percent pattern puts between a number and '%' (Polish '#,##0%' → none, Swedish
    '#,##0 %' → U+00A0). A breaking space becomes a no-break one; a sign before the number
    (Turkish '%#,##0') leaves an author's text as typed."""
    found = re.search(r"0(\s*)%", locale.percent_formats[None].pattern)
    return NBSP if found and found.group(1) else ""


@cache
def language(code: str) -> Language:
    """The `Language` of any code CLDR knows ('pl', 'pt-BR', 'pt_BR', 'sr-Latn'), or LanguageRefused.

    The hand-tuned table wins: its codes, and the same language and locale written otherwise
    ('fr-FR', 'en_GB'), are its entries unchanged. A regional variant of one of them ('pt-BR',
    'de-CH', 'fr-CA') keeps its house rules (spacing, '%', words) and takes the region's locale,
    quotes and hyphenation dictionary. Any other language is derived: CLDR's locale, quotation marks
    and percent spacing, pyphen's dictionary if it has one (none: words are not hyphenated), `tight`
    prose, and the English words for alt texts until messages.yaml `labels` gives its own.
    Right-to-left languages and scripts written without spaces are refused, never drawn wrong.
    """
    if code in LANGUAGES:
        return LANGUAGES[code]
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(str(code).strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise LanguageRefused(
            f"unknown language '{code}'; any CLDR language code works (e.g. pl, sv, cs, el, pt-BR), "
            f"and {', '.join(LANGUAGES)} have house rules"
        ) from None
    name = f"{locale.get_display_name('en')} ({_tag(locale)})"
    if locale.character_order == "right-to-left":
        raise LanguageRefused(
            f"{name} is written right to left, which the engine does not set (it lays every line out left to right)"
        )
    if _script(locale) in UNSPACED_SCRIPTS:
        raise LanguageRefused(
            f"{name} is written without spaces between words, which the engine does not set (it breaks "
            "lines only at spaces; this script breaks inside words, by dictionary or between ideographs)"
        )
    base = LANGUAGES.get(locale.language)
    if base is not None and str(locale) in (base.code, base.locale):
        return base
    import pyphen

    if base is None and locale.territory and not (locale.script or locale.variant):
        if _likely(locale.language)[1] == locale.territory:
            locale = Locale(locale.language)  # 'pl-PL' is 'pl': texts keyed `pl` serve it
    code, locale_id = _tag(locale), str(locale)
    hyphenation = pyphen.language_fallback(locale_id) or ""
    quotes = _cldr_quotes(locale_id)
    if base is not None:
        return replace(base, code=code, locale=locale_id, hyphenation=hyphenation, quotes=quotes)
    percent_space = _cldr_percent_space(locale)
    words = LANGUAGES["en"]
    return Language(
        code,
        locale_id,
        hyphenation,
        quotes,
        percent_space=percent_space,
        prose=partial(tight, percent_space=percent_space),
        poster=words.poster,
        credits=words.credits,
    )


def is_language(code: object) -> bool:
    """Whether `code` (a key of a YAML mapping, say) is a language code the engine sets."""
    try:
        return isinstance(code, str) and bool(language(code))
    except LanguageRefused:
        return False


def key_of(texts: Mapping[Any, Any], code: str) -> Any:
    """The key of a YAML mapping of texts (`{fr: …, pt_BR: …}`) that names language `code` as the
    author wrote it ('pt_BR' for 'pt-BR'), else `code` itself: for reading and writing messages.yaml
    as typed."""
    return next((k for k in texts if k == code or (is_language(k) and language(k).code == code)), code)


def borrows_english_words(code: str) -> bool:
    """Whether the language's alt-text words ("Poster", "Sources"…) are English stand-ins: a derived
    language with no hand-tuned base, whose team should give its own in messages.yaml `labels`."""
    return language(code).code.split("-")[0] not in LANGUAGES
