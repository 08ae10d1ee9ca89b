"""`Campaign` + `Poster` → the named text fields a layout's slots can use, typographically set."""

from __future__ import annotations

from .content import Campaign, Film, Poster
from .typography import NBSP, format_quantity, french


def _join_names(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " et " + names[-1]


def _credits(film: Film) -> str:
    parts = []
    if film.directors:
        parts.append(_join_names(film.directors))
    if film.year:
        parts.append(str(film.year))
    if film.duration_min:
        parts.append(f"{film.duration_min}{NBSP}min")
    # The no-break space glues each '·' to what precedes it: a line may end on '·', never start with one.
    return f"{NBSP}· ".join(parts)


def _programme_line(film: Film) -> str:
    detail = _credits(film)
    return f"{film.title} — {detail}" if detail else film.title


def poster_fields(campaign: Campaign, poster: Poster) -> dict[str, str]:
    """Every field a slot may name as {field}. Prose gets French typography; URLs stay verbatim."""
    m = campaign.messages
    spec = poster.spec
    info = m.campaign
    f: dict[str, str] = {
        "campaign.name": info.name,
        "campaign.mission": info.mission,
        "campaign.dates": info.dates,
        "campaign.venue": f"{info.venue.name}, {info.venue.address}, {info.venue.city}",
        "campaign.venue_name": info.venue.name,
        "campaign.address": f"{info.venue.address}, {info.venue.city}",
        "campaign.footer": info.footer,
        "programme": "\n".join(_programme_line(film) for film in m.films.values()),
        "title": spec.title,
    }
    urls = {"campaign.url": info.url}
    if spec.message:
        f["message"] = m.messages[spec.message].text
    if spec.stat:
        stat = m.stats[spec.stat]
        f["stat.value"] = format_quantity(stat.value, stat.unit)
        f["stat.label"] = stat.label
        f["stat.source"] = f"{stat.source}, {stat.year}" if stat.year else stat.source
    if spec.film:
        film = m.films[spec.film]
        f.update({
            "film.title": film.title,
            "film.directors": _join_names(film.directors),
            "film.year": str(film.year or ""),
            "film.credits": _credits(film),
            "film.synopsis": film.synopsis,
            "film.link_label": film.link.label,
        })
        urls["film.url"] = film.link.url
        # The excerpt is the chosen press quote if any, else the synopsis.
        if spec.quote is not None:
            quote = film.quotes[spec.quote]
            f["film.excerpt"] = f["quote.text"] = f"« {quote.text} »"
            f["film.excerpt_source"] = f["quote.source"] = f"— {quote.source}"
        else:
            f["film.excerpt"] = film.synopsis
    fields = {k: french(v) for k, v in f.items()}
    fields.update(urls)
    return fields
