"""One `Job` → its alternative text, for screen readers (French: "Affiche : « message » — 40 000 enfants …")."""

from __future__ import annotations

import re

from poster_engine.compose.fields import poster_fields
from poster_engine.core.diagnostics import PosterError
from poster_engine.core.languages import language
from poster_engine.plan import Job
from poster_engine.project.files import Reads
from poster_engine.project.loader import Project
from poster_engine.project.markup import parse_markup
from poster_engine.render.provenance import CREDIT_LABELS, provenance


def alt_text(project: Project, job: Job, reads: Reads | None = None) -> str:
    """What the image says: the message (or film title), the figure, the film; a data row's values;
    then, given what the job read, where it comes from (sources and years, visual credit, fonts)."""

    campaign = project.campaign
    fields = poster_fields(campaign, campaign.posters[job.poster_id], job.lang, job.row_fields)

    def plain(name: str) -> str:
        return "".join(s.text for s in parse_markup(fields[name])) if name in fields else ""

    rules = language(job.lang)
    q = rules.quotes

    def word(label: str, default: str) -> str:
        """messages.yaml `labels: {<label>: …}` in the job's language, else the language's own word."""
        try:
            return plain(f"label.{label}") or default
        except PosterError:  # the campaign's label lacks this language
            return default

    # "Affiche :" / "Poster:": the language's own word and its spacing rule before the colon.
    what = rules.prose(word("poster", rules.poster) + " :")
    parts = [f"{q[0]}{plain('message')}{q[1]}" if plain("message") else plain("film.title") or plain("campaign.name")]
    if plain("stat.value"):
        parts.append(f"{plain('stat.value')} {plain('stat.label')}".strip())
    if plain("film.title") and plain("message"):
        parts.append(plain("film.title"))
    # Collapse spaces and line breaks only: str.split() would also eat the no-break spaces (U+00A0, U+202F).
    text = (
        re.sub(r"[ \t\n\r\x0b\x0c\x85\u2028\u2029]+", " ", f"{what} {' — '.join(p for p in parts if p)}").strip() + "."
    )
    if job.row:
        text = text.rstrip(".") + " — " + " · ".join(v for k, v in job.row.values if v and k != "id") + "."
    if reads is not None:
        sources, visual, fonts = (word(label, w) for label, w in zip(CREDIT_LABELS, rules.credits, strict=True))
        credits = (sources, visual, fonts)
        text = " ".join([text, *provenance(project, job, reads).sentences(job.lang, credits)])
    return text
