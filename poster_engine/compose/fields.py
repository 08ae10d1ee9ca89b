"""`Campaign` + `Poster` + language → the named text fields a layout's slots can use, typographically set."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial

from poster_engine.compose.typography import format_list, format_quantity, prose
from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.core.languages import LANGUAGES, NBSP
from poster_engine.project.content import Campaign, Film, Poster, Text
from poster_engine.project.data import is_url_column
from poster_engine.project.files import record_field

# A {field} reference in a layout's data-text or data-url.
FIELD = re.compile(r"\{([a-z_.]+)\}")


class Fields(Mapping[str, str]):
    """Fields computed on first use: a text missing in the job's language is an error only when a
    slot shows it (an untranslated press quote nobody picked does not stop an English build)."""

    def __init__(self, makers: dict[str, Callable[[], str]]):
        self._makers = makers
        self._values: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        record_field(name)  # the job's output depends on this text (its cache key hashes it)
        if name not in self._values:
            self._values[name] = self._makers[name]()
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._makers  # a membership test reads no text

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


def _describe(path: tuple) -> str:
    """('films', 'x', 'quotes', 8, 'text') → "film 'x' quote 8": how errors name a text of messages.yaml."""
    kind, *rest = path
    if kind == "campaign":
        return " ".join(map(str, path))
    if kind == "poster":
        return "the poster's title"
    name = {
        "messages": "message",
        "stats": "stat",
        "films": "film",
        "labels": "label",
        "definitions": "definition",
    }.get(kind, kind)
    what = "".join(f" {'quote' if w == 'quotes' else w}" for w in rest[1:] if w != "text")
    return f"{name} '{rest[0]}'{what}"


class _Translator:
    """Picks a `Text` in the job's language, or raises a one-line error at the text's line."""

    def __init__(self, campaign: Campaign, poster: Poster, lang: str):
        self.campaign, self.poster, self.lang = campaign, poster, lang

    def __call__(self, text: Text, path: tuple) -> str:
        value = text.get(self.lang)
        if value is not None:
            return value
        if path[0] == "poster":
            file, line = self.poster.file, self.poster.line_of(path[1])
        else:
            file, line = "messages.yaml", self.campaign.line_of(path)
        raise PosterError(
            Diagnostic(f"{_describe(path)} has no '{self.lang}' text; add it or build another --lang", file, line)
        )


def _credits(film: Film, say: _Translator) -> str:
    parts = []
    if film.directors:
        parts.append(format_list(film.directors, say.lang))
    if film.year:
        parts.append(str(film.year))
    if film.duration_min:
        parts.append(f"{film.duration_min}{NBSP}min")
    # The no-break space glues each '·' to what precedes it: a line may end on '·', never start with one.
    return f"{NBSP}· ".join(parts)


def _programme(campaign: Campaign, say: _Translator) -> str:
    lines = []
    for fid, film in campaign.messages.films.items():
        title, detail = say(film.title, ("films", fid, "title")), _credits(film, say)
        lines.append(f"{title} — {detail}" if detail else title)
    return "\n".join(lines)


def _typeset(make: Callable[[], str], lang: str) -> str:
    return prose(make(), lang)


def short_url(url: str) -> str:
    """https://www.example.org/films/x/ → example.org/films/x: what people type, nothing more."""
    import re

    return re.sub(r"^[a-z]+://(www\.)?", "", url.strip()).rstrip("/")


def poster_fields(campaign: Campaign, poster: Poster, lang: str, row: Mapping[str, str] | None = None) -> Fields:
    """Every field a slot may name as {field}, in `lang`. Prose gets the language's typography; URLs
    and the title (PDF metadata) stay verbatim. Labels of messages.yaml (`labels: {see_film: …}`)
    are fields `label.<id>`."""
    m = campaign.messages
    spec = poster.spec
    info = m.campaign
    say = _Translator(campaign, poster, lang)
    quotes = LANGUAGES[lang].quotes
    venue = info.venue

    def venue_part(key: str) -> str:
        return say(getattr(venue, key), ("campaign", "venue", key))

    f: dict[str, Callable[[], str]] = {
        "campaign.name": lambda: say(info.name, ("campaign", "name")),
        "campaign.mission": lambda: say(info.mission, ("campaign", "mission")),
        "campaign.dates": lambda: say(info.dates, ("campaign", "dates")),
        "campaign.venue": lambda: ", ".join(venue_part(k) for k in ("name", "address", "city")),
        "campaign.venue_name": lambda: venue_part("name"),
        "campaign.address": lambda: f"{venue_part('address')}, {venue_part('city')}",
        "campaign.footer": lambda: say(info.footer, ("campaign", "footer")),
        "programme": lambda: _programme(campaign, say),
    }
    for key, label in m.labels.items():
        f[f"label.{key}"] = partial(say, label, ("labels", key))
    urls = {"campaign.url": info.url}
    if spec.message:
        message = m.messages[spec.message]
        f["message"] = lambda: say(message.text, ("messages", spec.message, "text"))
    if spec.stat:
        sid, stat = spec.stat, m.stats[spec.stat]

        def source() -> str:
            text = say(stat.source, ("stats", sid, "source"))
            return f"{text}, {stat.year}" if stat.year else text

        f["stat.value"] = lambda: format_quantity(
            stat.value, say(stat.unit, ("stats", sid, "unit")) if stat.unit else "", lang
        )
        f["stat.label"] = lambda: say(stat.label, ("stats", sid, "label"))
        f["stat.source"] = source
    if spec.film:
        fid, film = spec.film, m.films[spec.film]
        f.update(
            {
                "film.title": lambda: say(film.title, ("films", fid, "title")),
                "film.directors": lambda: format_list(film.directors, lang),
                "film.year": lambda: str(film.year or ""),
                "film.credits": lambda: _credits(film, say),
                "film.synopsis": lambda: say(film.synopsis, ("films", fid, "synopsis")),
                "film.link_label": lambda: say(film.link.label, ("films", fid, "link", "label")),
            }
        )
        urls["film.url"] = film.link.url
        # The excerpt is the chosen press quote if any, else the synopsis.
        if spec.quote is not None:
            n, quote = spec.quote, film.quotes[spec.quote]
            f["film.excerpt"] = f["quote.text"] = lambda: (
                quotes[0] + say(quote.text, ("films", fid, "quotes", n, "text")) + quotes[1]
            )
            f["film.excerpt_source"] = f["quote.source"] = lambda: (
                "— " + say(quote.source, ("films", fid, "quotes", n, "source"))
            )
        else:
            f["film.excerpt"] = f["film.synopsis"]
    # A data row (poster build --data): each column is a field {row.<column>}, typed as given.
    for key, value in (row or {}).items():
        if is_url_column(key):
            urls[f"row.{key}"] = value
        else:
            f[f"row.{key}"] = partial(str, value)
    typeset: dict[str, Callable[[], str]] = {k: partial(_typeset, make, lang) for k, make in f.items()}
    typeset.update({k: partial(str, url) for k, url in urls.items()})
    # Short links, written out where a QR code cannot be scanned (social images): no scheme, no www.
    typeset.update({f"{k[:-4]}.short_url": partial(short_url, url) for k, url in urls.items()})
    typeset["title"] = lambda: say(spec.title, ("poster", "title"))  # PDF metadata: as typed
    return Fields(typeset)
