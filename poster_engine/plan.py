"""`Campaign` + a selection → the list of `Job`s (poster × format × language) to render."""

from __future__ import annotations

from dataclasses import dataclass

from .content import Campaign
from .errors import Diagnostic, PosterError, did_you_mean
from .formats import FORMATS, Format
from .typography import DEFAULT_LANG, LANGUAGES


@dataclass(frozen=True)
class Job:
    poster_id: str
    format: Format
    lang: str = DEFAULT_LANG

    @property
    def output(self) -> str:
        """Path of the output inside the build folder: `choc-cobalt/a3.pdf` in the campaign's
        language, `choc-cobalt/a3-en.pdf` in another, so a poster's files sit side by side."""
        suffix = "" if self.lang == DEFAULT_LANG else f"-{self.lang}"
        return f"{self.poster_id}/{self.format.name}{suffix}.{self.format.extension}"


def plan_jobs(campaign: Campaign, posters: list[str] | None = None, formats: list[str] | None = None,
              langs: list[str] | None = None) -> list[Job]:
    """Jobs in a stable order. Without `formats`, each poster's own formats; without `langs`, the
    campaign's language; unknown names are errors."""
    problems = [Diagnostic(f"unknown poster '{p}'{did_you_mean(p, campaign.posters)}")
                for p in posters or [] if p not in campaign.posters]
    problems += [Diagnostic(f"unknown format '{f}'{did_you_mean(f, FORMATS)}")
                 for f in formats or [] if f not in FORMATS]
    problems += [Diagnostic(f"unknown language '{lang}'{did_you_mean(lang, LANGUAGES)}")
                 for lang in langs or [] if lang not in LANGUAGES]
    if problems:
        raise PosterError(problems)
    selected = posters or sorted(campaign.posters)
    jobs = []
    for lang in dict.fromkeys(langs or [DEFAULT_LANG]):
        for pid in selected:
            names = formats or campaign.posters[pid].spec.formats
            jobs.extend(Job(pid, FORMATS[name], lang) for name in names)
    return jobs
