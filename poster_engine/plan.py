"""`Campaign` + a selection → the list of `Job`s (poster × format) to render."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .content import Campaign
from .errors import Diagnostic, PosterError, did_you_mean
from .formats import FORMATS, Format
from .print_profiles import PrintProfile


@dataclass(frozen=True)
class Job:
    poster_id: str
    format: Format

    @property
    def output(self) -> str:
        """Path of the output inside the build folder."""
        return f"{self.poster_id}/{self.format.name}.{self.format.extension}"


def plan_jobs(campaign: Campaign, posters: list[str] | None = None, formats: list[str] | None = None,
              print_profile: PrintProfile | None = None) -> list[Job]:
    """Jobs in a stable order. Without `formats`, each poster's own formats; unknown names are errors.

    Print formats take their bleed and safe margin from the chosen print profile.
    """
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
        for name in names:
            fmt = FORMATS[name]
            if fmt.medium == "print" and print_profile is not None:
                fmt = replace(fmt, bleed_mm=print_profile.bleed_mm, safe_mm=print_profile.safe_mm)
            jobs.append(Job(pid, fmt))
    return jobs
