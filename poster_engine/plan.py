"""`Project` + a selection → the list of `Job`s (poster × format × language × data row) to render."""

from __future__ import annotations

from dataclasses import dataclass, replace

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean
from poster_engine.core.formats import GROUPS, IMAGE_FORMATS, Format, expand
from poster_engine.core.languages import DEFAULT_LANG, LanguageRefused, language
from poster_engine.project.data import Row
from poster_engine.project.loader import Project


@dataclass(frozen=True)
class Job:
    poster_id: str
    format: Format
    lang: str = DEFAULT_LANG
    row: Row | None = None  # a data row (poster build --data): one poster per row
    campaign_lang: str = DEFAULT_LANG  # outputs in the campaign's own language carry no language suffix

    @property
    def format_label(self) -> str:
        """The format's name, with the language appended outside the campaign's language: `a3-en`."""
        return self.format.name if self.lang == self.campaign_lang else f"{self.format.name}-{self.lang}"

    @property
    def output(self) -> str:
        """Path of the output inside the build folder: `choc-cobalt/a3.pdf` in the campaign's
        language, `choc-cobalt/a3-en.pdf` in another, so a poster's files sit side by side; a data
        row's files in a folder of their own, `seance/003/instagram.png`."""
        folder = f"{self.poster_id}/{self.row.id}" if self.row else self.poster_id
        return f"{folder}/{self.format_label}.{self.format.extension}"

    @property
    def row_fields(self) -> dict[str, str] | None:
        return self.row.as_dict() if self.row else None


def plan_jobs(
    project: Project,
    posters: list[str] | None = None,
    formats: list[str] | None = None,
    langs: list[str] | None = None,
    rows: dict[str, list[Row]] | None = None,
    image_format: str | None = None,
) -> list[Job]:
    """Jobs in a stable order. Without `formats`, each poster's own formats; without `langs`, the
    campaign's language; unknown names are errors. Formats may be groups (`print`, `social`). Print
    formats take their bleed and safe margin from the project's print profile; `image_format` overrides
    the social formats' own image type. A poster that reads data gives one job per row of
    `rows[poster]`, none when `rows` is not given (the compositions-only callers: tests, proof).
    """
    campaign, known = project.campaign, project.formats
    print_profile = project.print_settings.profile
    problems = [
        Diagnostic(f"unknown poster '{p}'{did_you_mean(p, campaign.posters)}")
        for p in posters or []
        if p not in campaign.posters
    ]
    problems += [
        Diagnostic(f"unknown format '{f}'{did_you_mean(f, [*known, *GROUPS])}")
        for f in formats or []
        if f not in known and f not in GROUPS
    ]
    if image_format is not None and image_format not in IMAGE_FORMATS:
        problems.append(Diagnostic(f"unknown image format '{image_format}'; use one of {', '.join(IMAGE_FORMATS)}"))
    resolved = []
    for lang in langs or []:
        try:
            resolved.append(language(lang).code)  # 'pt_BR' → 'pt-BR', as texts are keyed
        except LanguageRefused as exc:
            problems.append(Diagnostic(f"--lang {lang}: {exc}"))
    langs = resolved
    if problems:
        raise PosterError(problems)
    selected = posters or sorted(campaign.posters)
    jobs: list[Job] = []
    for lang in dict.fromkeys(langs or [campaign.lang]):
        for pid in selected:
            for name in expand(formats or campaign.posters[pid].spec.formats, known):
                fmt = known[name]
                if fmt.medium == "print":
                    fmt = replace(fmt, bleed_mm=print_profile.bleed_mm, safe_mm=print_profile.safe_mm)
                if fmt.medium == "social" and image_format is not None:
                    fmt = replace(fmt, image_format=image_format)
                if campaign.posters[pid].spec.data and rows is None:
                    continue  # a poster of data rows is nothing without them: the caller loads them
                jobs.extend(Job(pid, fmt, lang, row, campaign.lang) for row in (rows or {}).get(pid, [None]))
    return jobs
