"""`Campaign` + a selection → the list of `Job`s (poster × format) to render."""

from __future__ import annotations

from dataclasses import dataclass

from .content import Campaign
from .errors import Diagnostic, PosterError, did_you_mean
from .formats import FORMATS, Format


@dataclass(frozen=True)
class Job:
    poster_id: str
    format: Format

    @property
    def output(self) -> str:
        """Path of the output inside the build folder."""
        return f"{self.poster_id}/{self.format.name}.{self.format.extension}"


def plan_jobs(campaign: Campaign, posters: list[str] | None = None, formats: list[str] | None = None) -> list[Job]:
    """Jobs in a stable order. Without `formats`, each poster's own formats; unknown names are errors."""
    problems = [Diagnostic(f"unknown poster '{p}'{did_you_mean(p, campaign.posters)}")
                for p in posters or [] if p not in campaign.posters]
    problems += [Diagnostic(f"unknown format '{f}'{did_you_mean(f, FORMATS)}")
                 for f in formats or [] if f not in FORMATS]
    if problems:
        raise PosterError(problems)
    selected = posters or sorted(campaign.posters)
    jobs = []
    for pid in selected:
        names = formats or campaign.posters[pid].spec.formats
        jobs.extend(Job(pid, FORMATS[name]) for name in names)
    return jobs
