"""One job + what it read → where its content comes from: the statistics' sources and years, the
visual's credit and licence, the fonts' licences. Carried into the alt text, the manifest, the gallery
and social captions, so a poster never travels without its credits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poster_engine.compose.fields import credit_line
from poster_engine.core.languages import language
from poster_engine.plan import Job
from poster_engine.project.content import Credit
from poster_engine.project.files import Reads
from poster_engine.project.fonts import FONT_SUFFIXES, FontLicence, font_licence
from poster_engine.project.loader import Project

# The messages.yaml `labels` that override a language's words for sources, visual and fonts
# (Language.credits, in that order): a language the engine derives has English ones until they are given.
CREDIT_LABELS = ("sources", "visual", "fonts")


@dataclass(frozen=True)
class Provenance:
    sources: tuple[str, ...]  # "Amnesty International, 2016": one per statistic shown
    visual: str | None  # the visual's path as the poster names it
    credit: Credit | None  # its entry in messages.yaml `credits`
    fonts: tuple[FontLicence, ...]  # each family drawn, with its licence

    def as_dict(self) -> dict[str, Any]:
        """For manifest.json."""
        out: dict[str, Any] = {"sources": list(self.sources)}
        if self.visual:
            out["visual"] = {"file": self.visual, **(self.credit.model_dump(exclude_none=True) if self.credit else {})}
        out["fonts"] = [{"family": f.family, "licence": f.licence} for f in self.fonts]
        return out

    def sentences(self, lang: str, words: tuple[str, str, str] | None = None) -> list[str]:
        """'Sources : X, 2016 ; Y, 2023.', 'Visuel : A · CC0-1.0 (source).', 'Polices : Inter (SIL …).';
        `words`, the campaign's own for sources, visual and fonts (`labels`), else the language's."""
        rules = language(lang)
        sources_word, visual_word, fonts_word = words or rules.credits
        out = []
        if self.sources:
            out.append(f"{sources_word} : {' ; '.join(self.sources)}.")
        if self.visual and self.credit:
            line = credit_line(self.credit)
            extra = ", ".join(str(x) for x in (self.credit.source, self.credit.year) if x)
            out.append(f"{visual_word} : {line}{f' ({extra})' if extra else ''}.")
        by_licence: dict[str, list[str]] = {}
        for font in self.fonts:
            by_licence.setdefault(font.licence or "?", []).append(font.family)
        if by_licence:
            parts = [f"{', '.join(families)} ({licence})" for licence, families in by_licence.items()]
            out.append(f"{fonts_word} : {' ; '.join(parts)}.")
        return [rules.prose(s) for s in out]


def stats_shown(project: Project, job: Job, reads: Reads) -> list[str]:
    """The ids of the statistics whose texts the job showed (its own `stat`, a list's items), in
    messages.yaml's order."""
    spec = project.campaign.posters[job.poster_id].spec
    ids: set[str] = set()
    for name in reads.fields:
        parts = name.split(".")
        sid = spec.stat if parts[0] == "stat" else parts[1] if parts[0] == "stats" and len(parts) > 2 else None
        if sid:
            ids.add(sid)
    return [sid for sid in project.campaign.messages.stats if sid in ids]


def provenance(project: Project, job: Job, reads: Reads) -> Provenance:
    campaign = project.campaign
    m = campaign.messages
    spec = campaign.posters[job.poster_id].spec
    sources = []
    for sid in stats_shown(project, job, reads):
        stat = m.stats[sid]
        text = stat.source.get(job.lang) or stat.source.shown(campaign.lang)
        sources.append(f"{text}, {stat.year}" if stat.year else text)
    fonts_dir = (project.root / "fonts").resolve()
    families: dict[str, FontLicence] = {}
    for file in sorted(reads.files):
        path = Path(file)
        if path.suffix.lower() in FONT_SUFFIXES and path.resolve().is_relative_to(fonts_dir):
            found = font_licence(path)
            families.setdefault(found.family, found)
    return Provenance(
        tuple(dict.fromkeys(sources)),
        spec.visual,
        m.credits.get(spec.visual) if spec.visual else None,
        tuple(families[k] for k in sorted(families)),
    )
