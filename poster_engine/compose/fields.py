"""`Campaign` + `Poster` + language → the named text fields a layout's slots can use, typographically set.

Besides the poster's own fields (`{message}`, `{stat.value}`, `{film.title}`…), every list of the
content a group can repeat over (docs/layouts.md §6) is a field `<list>[]` — its items, one per
line, as the poster selects them — and each item's texts are fields under the item's key:
`stats.enfants-cobalt.value`, `challenges.portee.actions.1.job`. Slots name them `{item.value}`
(`Fields.scoped`); being fields, they are recorded as read like any other (the cache key hashes
the list's membership and each text shown).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial

from poster_engine.compose.typography import format_list, format_quantity, prose
from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.core.languages import NBSP, language
from poster_engine.project.content import Campaign, Credit, Film, Poster, Stat, Text, chosen
from poster_engine.project.data import is_url_column
from poster_engine.project.files import record_field

# A {field} reference in a layout's data-text or data-url.
FIELD = re.compile(r"\{([a-z_.]+)\}")


class Fields(Mapping[str, str]):
    """Fields computed on first use: a text missing in the job's language is an error only when a
    slot shows it (an untranslated press quote nobody picked does not stop an English build)."""

    def __init__(self, makers: dict[str, Callable[[], str]], say: _Translator | None = None):
        self._makers = makers
        self._values: dict[str, str] = {}
        self._say = say

    def paths_of(self, name: str) -> list[tuple]:
        """The messages.yaml texts (their key paths) field `name` is made of: what a translator translates."""
        if self._say is None or name not in self._makers:
            return []
        self._say.seen = []
        try:
            self._makers[name]()
        except PosterError:
            pass  # a text missing in this language still names its path
        finally:
            seen, self._say.seen = self._say.seen, None
        return list(dict.fromkeys(seen))

    def items_of(self, key: str) -> tuple[str, ...]:
        """The keys of a list's items (`stats.enfants-cobalt`, …), in order; the list is read as a field."""
        value = self[f"{key}[]"]
        return tuple(value.split("\n")) if value else ()

    def scoped(self, item: str | None) -> Mapping[str, str]:
        """These fields with `{item.x}` meaning the field `x` of the item `item` (a key of `items_of`)."""
        return self if item is None else _Scoped(self, item)

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


class _Scoped(Mapping[str, str]):
    """The fields seen from inside one item of a list: `item.x` is the item's field `x`."""

    def __init__(self, fields: Fields, item: str):
        self.fields, self.item = fields, item

    def key(self, name: str) -> str:
        return self.item + name[4:] if name.startswith("item.") else name

    def __getitem__(self, name: str) -> str:
        return self.fields[self.key(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.key(name) in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


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
        "challenges": "challenge",
    }.get(kind, kind)
    singular = {"quotes": "quote", "actions": "action"}
    what = "".join(f" {singular.get(w, w)}" for w in rest[1:] if w != "text")
    return f"{name} '{rest[0]}'{what}"


class _Translator:
    """Picks a `Text` in the job's language, or raises a one-line error at the text's line."""

    def __init__(self, campaign: Campaign, poster: Poster, lang: str):
        self.campaign, self.poster, self.lang = campaign, poster, lang
        self.seen: list[tuple] | None = None  # while Fields.paths_of asks: the paths of the texts picked

    def __call__(self, text: Text, path: tuple) -> str:
        if self.seen is not None:
            self.seen.append(path)
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


Makers = dict[str, Callable[[], str]]


def credit_line(credit: Credit) -> str:
    """'Author · Licence': the visual's credit as a layout shows it (`{visual.credit}`)."""
    return f"{NBSP}· ".join(part for part in (credit.author, credit.licence) if part)


def _visual_fields(campaign: Campaign, poster: Poster) -> Makers:
    """`{visual.credit}`, `{visual.author}`, `{visual.licence}`, `{visual.source}` from messages.yaml `credits`."""
    visual = poster.spec.visual or ""

    def part(name: str) -> str:
        credit = campaign.messages.credits.get(visual)
        value = credit_line(credit) if credit and name == "credit" else getattr(credit, name, None)
        if not value:
            raise PosterError(
                Diagnostic(
                    f"visual '{visual}' has no {name} in messages.yaml; add credits: {{{visual}: {{author: …, "
                    "licence: …, source: …}}",
                    "messages.yaml",
                    campaign.line_of(("credits", visual)) if credit else None,
                )
            )
        return str(value)

    return {f"visual.{name}": partial(part, name) for name in ("credit", "author", "licence", "source")}


def _stat_fields(prefix: str, sid: str, stat: Stat, say: _Translator) -> Makers:
    """A statistic's fields under `prefix` (`stat` for the poster's own, a list item's key in a list)."""

    def source() -> str:
        text = say(stat.source, ("stats", sid, "source"))
        return f"{text}, {stat.year}" if stat.year else text

    return {
        f"{prefix}.value": lambda: format_quantity(
            stat.value, say(stat.unit, ("stats", sid, "unit")) if stat.unit else "", say.lang
        ),
        f"{prefix}.label": lambda: say(stat.label, ("stats", sid, "label")),
        f"{prefix}.source": source,
    }


def _film_fields(prefix: str, fid: str, film: Film, say: _Translator) -> Makers:
    return {
        f"{prefix}.title": lambda: say(film.title, ("films", fid, "title")),
        f"{prefix}.directors": lambda: format_list(film.directors, say.lang),
        f"{prefix}.year": lambda: str(film.year or ""),
        f"{prefix}.credits": lambda: _credits(film, say),
        f"{prefix}.synopsis": lambda: say(film.synopsis, ("films", fid, "synopsis")),
        f"{prefix}.link_label": lambda: say(film.link.label, ("films", fid, "link", "label")),
    }


def _lists(campaign: Campaign, poster: Poster, say: _Translator) -> tuple[Makers, dict[str, str]]:
    """Every list a group can repeat over (project/slots.py LISTS) as fields: `<list>[]` (its items'
    keys) and each item's texts under its key. Returns the text fields and the links (QR codes)."""
    m, spec, lang = campaign.messages, poster.spec, say.lang
    quotes = language(lang).quotes
    f: Makers = {}
    urls: dict[str, str] = {}

    def listing(key: str, ids: list[str]) -> None:
        f[f"{key}[]"] = partial("\n".join, [f"{key}.{i}" for i in ids])
        for n, i in enumerate(ids, 1):
            f[f"{key}.{i}.number"] = partial(str, n)

    ids = chosen(list(m.films), spec.films)
    listing("films", ids)
    for fid in ids:
        film = m.films[fid]
        f.update(_film_fields(f"films.{fid}", fid, film, say))
        urls[f"films.{fid}.url"] = film.link.url
        key = f"films.{fid}.quotes"
        listing(key, [str(n) for n in range(1, len(film.quotes) + 1)])
        for n, quote in enumerate(film.quotes):
            f[f"{key}.{n + 1}.text"] = partial(
                lambda q, n, fid: quotes[0] + say(q.text, ("films", fid, "quotes", n, "text")) + quotes[1],
                quote,
                n,
                fid,
            )
            f[f"{key}.{n + 1}.source"] = partial(say, quote.source, ("films", fid, "quotes", n, "source"))
    ids = chosen(list(m.stats), spec.stats)
    listing("stats", ids)
    for sid in ids:
        f.update(_stat_fields(f"stats.{sid}", sid, m.stats[sid], say))
    ids = chosen(list(m.definitions), spec.definitions)
    listing("definitions", ids)
    for did in ids:
        d = m.definitions[did]
        f[f"definitions.{did}.term"] = partial(say, d.term, ("definitions", did, "term"))
        f[f"definitions.{did}.text"] = partial(say, d.text, ("definitions", did, "text"))
    ids = chosen(list(m.challenges), spec.challenges)
    listing("challenges", ids)
    for cid in ids:
        c = m.challenges[cid]
        f[f"challenges.{cid}.title"] = partial(say, c.title, ("challenges", cid, "title"))
        key = f"challenges.{cid}.actions"
        listing(key, [str(n) for n in range(1, len(c.actions) + 1)])
        for n, action in enumerate(c.actions):
            f[f"{key}.{n + 1}.text"] = partial(say, action.text, ("challenges", cid, "actions", n, "text"))
            if action.job is not None:
                f[f"{key}.{n + 1}.job"] = partial(say, action.job, ("challenges", cid, "actions", n, "job"))
    ids = chosen(list(m.messages), spec.messages)
    listing("messages", ids)
    for mid in ids:
        f[f"messages.{mid}.text"] = partial(say, m.messages[mid].text, ("messages", mid, "text"))
    return f, urls


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
    quotes = language(lang).quotes
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
    }
    for key, label in m.labels.items():
        f[f"label.{key}"] = partial(say, label, ("labels", key))
    urls = {"campaign.url": info.url}
    if spec.message:
        message = m.messages[spec.message]
        f["message"] = lambda: say(message.text, ("messages", spec.message, "text"))
    if spec.stat:
        f.update(_stat_fields("stat", spec.stat, m.stats[spec.stat], say))
    if spec.film:
        fid, film = spec.film, m.films[spec.film]
        f.update(_film_fields("film", fid, film, say))
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
    if spec.visual:
        f.update(_visual_fields(campaign, poster))
    items, item_urls = _lists(campaign, poster, say)
    f.update(items)
    urls.update(item_urls)
    # A data row (poster build --data): each column is a field {row.<column>}, typed as given.
    for key, value in (row or {}).items():
        if is_url_column(key):
            urls[f"row.{key}"] = value
        else:
            f[f"row.{key}"] = partial(str, value)
    # Prose gets the language's typography; a list's item keys are not prose.
    typeset: dict[str, Callable[[], str]] = {
        k: make if k.endswith("[]") else partial(_typeset, make, lang) for k, make in f.items()
    }
    typeset.update({k: partial(str, url) for k, url in urls.items()})
    # Short links, written out where a QR code cannot be scanned (social images): no scheme, no www.
    typeset.update({f"{k[:-4]}.short_url": partial(short_url, url) for k, url in urls.items()})
    typeset["title"] = lambda: say(spec.title, ("poster", "title"))  # PDF metadata: as typed
    return Fields(typeset, say)
