"""A layout before any poster uses it → sample posters from the campaign's own content (first and longest texts)."""

from __future__ import annotations

import re
from pathlib import Path

from poster_engine.core.diagnostics import PosterError
from poster_engine.core.formats import FORMATS, VISUAL_SUFFIXES, Format, expand
from poster_engine.project.content import Campaign, Poster, PosterSpec
from poster_engine.project.layouts import needs
from poster_engine.project.paths import contained, project_folder
from poster_engine.project.sources import load_yaml

DEFAULT_PALETTE = {"background": "#111418", "text": "#FFFFFF", "accent": "#FFD400"}
SAMPLE_PREFIXES = ("sample:", "longest:")  # ':' can never occur in a poster id: no clash


# ---------------------------------------------------------------------------------------------
# Sample posters: a layout shown before any poster uses it


def template_palette(layout_file: Path) -> dict[str, str]:
    """The template's own preview palette (`.fill-accent{fill:#…}`), so samples look as drawn."""
    try:
        text = layout_file.read_text(encoding="utf-8", errors="replace")
    except OSError:  # a missing template fails when it is composed, with its line
        text = ""
    found = dict(re.findall(r"\.fill-(background|text|accent)\s*\{\s*fill:\s*(#[0-9A-Fa-f]{6})", text))
    return {**DEFAULT_PALETTE, **{k: v.upper() for k, v in found.items()}}


def _sample_visual(campaign: Campaign, family: str) -> str | None:
    """A visual of a poster of this family, else the first visual of the project."""
    used = [p.spec.visual for p in campaign.posters.values() if p.spec.layout == family and p.spec.visual]
    if used:
        return sorted(used)[0]
    listed = isinstance(project_folder(campaign.root, "visuals"), Path)  # a linked folder is not listed
    files = sorted(
        p
        for p in ((campaign.root / "visuals").glob("*") if listed else [])
        if p.suffix.lower() in VISUAL_SUFFIXES and isinstance(contained(campaign.root, p), Path)
    )  # a visual that is a link leading outside the project (or not a file) is never a sample
    return f"visuals/{files[0].name}" if files else None


def _wanted(campaign: Campaign, family: str) -> set[str]:
    """The poster keys the template shows fields of (empty for a broken template: composing the
    sample reports that, with its line)."""
    try:
        return {n.key for n in needs(campaign.root, family)}
    except PosterError:
        return set()


def _campaign_formats(campaign: Campaign, formats: dict[str, Format]) -> list[str]:
    """The formats the campaign's posters use, in registry order (all of them if there are no posters)."""
    used = {f for p in campaign.posters.values() for f in expand(p.spec.formats, formats)}
    return [f for f in formats if f in used] or list(formats)


def sample_posters(campaign: Campaign, family: str, formats: dict[str, Format] = FORMATS) -> list[Poster]:
    """Two posters for layout `family` from the campaign's content: its first message, stat and film,
    and its longest ones (to stress the fitting). Errors point at the text's line in messages.yaml."""

    m = campaign.messages
    if not (m.messages and m.stats and m.films):
        return []
    lines = load_yaml(campaign.root / "messages.yaml", "messages.yaml").lines
    first = (next(iter(m.messages)), next(iter(m.stats)), next(iter(m.films)))
    longest = (
        max(m.messages, key=lambda k: len(m.messages[k].text.shown(campaign.lang))),
        max(
            m.stats,
            key=lambda k: len(m.stats[k].label.shown(campaign.lang)) + len(m.stats[k].source.shown(campaign.lang)),
        ),
        max(
            m.films,
            key=lambda k: len(m.films[k].title.shown(campaign.lang)) + len(m.films[k].synopsis.shown(campaign.lang)),
        ),
    )
    palette = template_palette(campaign.root / "layouts" / f"{family}.svg")
    visual = _sample_visual(campaign, family)
    out = []
    titles = (
        "Sample: the campaign's first message, stat and film",
        "Stress test: the campaign's longest message, stat and film",
    )
    wanted = _wanted(campaign, family)
    data = sorted((campaign.root / "data").glob("*.csv")) if "data" in wanted else []
    for prefix, title, (message, stat, film) in zip(SAMPLE_PREFIXES, titles, (first, longest)):
        spec = PosterSpec.model_validate(
            {
                "title": title,
                "layout": family,
                "message": message,
                "stat": stat,
                "film": film,
                "visual": visual,
                "colors": palette,
                "formats": _campaign_formats(campaign, formats),
                # What else the template shows: the film's first press quote, the first data file.
                "quote": 0 if "quote" in wanted and m.films[film].quotes else None,
                "data": f"data/{data[0].name}" if data else None,
            }
        )
        key_lines = {
            key: lines[(table, ref)]
            for key, table, ref in (("message", "messages", message), ("stat", "stats", stat), ("film", "films", film))
            if (table, ref) in lines
        }
        out.append(Poster(prefix + family, spec, "messages.yaml", key_lines))
    return out
