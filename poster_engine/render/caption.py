"""One social job → the caption posted with its image: the message, the figure with its source line,
the link, the project's hashtags (project.yaml `hashtags:`), in the job's language, within the
platform's caption limit (core/formats.py `caption_chars`, `caption_hashtags`, `caption_link_chars`)."""

from __future__ import annotations

import re

from poster_engine.compose.fields import poster_fields
from poster_engine.core.diagnostics import PosterError
from poster_engine.core.formats import Format
from poster_engine.plan import Job
from poster_engine.project.files import record_file
from poster_engine.project.loader import Project
from poster_engine.project.markup import parse_markup

URL = re.compile(r"https?://\S+")
ELLIPSIS = "…"


def caption_length(text: str, fmt: Format) -> int:
    """Characters as the platform counts them: on X every link counts `caption_link_chars`."""
    if fmt.caption_link_chars is None:
        return len(text)
    return len(URL.sub("", text)) + fmt.caption_link_chars * len(URL.findall(text))


def _shorten(text: str, over: int) -> str:
    """`text` less `over` characters (and the ellipsis), cut at a word boundary."""
    keep = max(0, len(text) - over - len(ELLIPSIS))
    cut = text[:keep].rsplit(" ", 1)[0] if " " in text[:keep] else text[:keep]
    return cut.rstrip(" ,;:—–-") + ELLIPSIS


def caption(project: Project, job: Job) -> str | None:
    """The caption of a social job, or None for formats without one (print, stories)."""
    fmt = job.format
    if fmt.medium != "social" or fmt.caption_chars is None:
        return None
    campaign = project.campaign
    fields = poster_fields(campaign, campaign.posters[job.poster_id], job.lang, job.row_fields)

    def plain(name: str) -> str:
        if name not in fields:
            return ""
        try:
            return "".join(s.text for s in parse_markup(fields[name]))
        except PosterError:  # a text this language lacks: the caption goes without it
            return ""

    headline = plain("message") or plain("film.title") or plain("campaign.name")
    blocks = [headline]
    if plain("stat.value"):
        source = " ".join(p for p in (plain("label.source"), plain("stat.source")) if p)
        blocks.append(f"{plain('stat.value')} {plain('stat.label')}".strip() + (f"\n{source}" if source else ""))
    if plain("film.title") and plain("message"):
        blocks.append(" — ".join(p for p in (plain("film.title"), plain("film.credits")) if p))
    link = fields["film.url"] if "film.url" in fields else fields["campaign.url"]
    blocks.append(link)
    record_file(project.root / "project.yaml")  # the hashtags: a changed list rewrites the caption
    tags = list(project.settings.hashtags_for(job.lang))
    if fmt.caption_hashtags is not None:
        tags = tags[: fmt.caption_hashtags]

    def text() -> str:
        return "\n\n".join([b for b in blocks if b] + ([" ".join(tags)] if tags else []))

    # Over the limit: hashtags go first (the last ones), then the headline is shortened.
    while caption_length(text(), fmt) > fmt.caption_chars and tags:
        tags.pop()
    over = caption_length(text(), fmt) - fmt.caption_chars
    if over > 0:
        blocks[0] = _shorten(blocks[0], over)
    return text()
