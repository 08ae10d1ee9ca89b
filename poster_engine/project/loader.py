"""A project folder + options → `Project`: the one way the CLI, preview, proof, check and every worker open a project.

A `Project` holds everything a job reads besides its own files: the validated content, the format
registry with the project's own formats, the print settings, the font library. Workers (a process
pool under fork, spawn or forkserver, Dask) receive a `ProjectSpec` — the folder and the options,
plain picklable data — and call `open_project` themselves, so they see exactly what the client saw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.core.formats import GROUPS, Format
from poster_engine.project.content import Campaign, load_campaign
from poster_engine.project.files import file_digest
from poster_engine.project.fonts import FontLibrary, library
from poster_engine.project.paths import shown_name
from poster_engine.project.print_profiles import PrintProfile, PrintSettings, select_print_settings
from poster_engine.project.settings import Settings, read_settings

# Outputs carry this date unless the caller passes another (e.g. from SOURCE_DATE_EPOCH), so two
# builds of the same inputs are byte-identical.
DEFAULT_TIMESTAMP = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class ProjectOptions:
    """What the command line chooses about a whole build."""

    print_profile: str = "fogra39"
    timestamp: datetime = DEFAULT_TIMESTAMP


@dataclass(frozen=True)
class ProjectSpec:
    """What a worker needs to open the same project: picklable, no loaded state.

    `token` changes when any content file changes, so a long-lived worker reopens after an edit.
    """

    root: str
    options: ProjectOptions
    token: str


@dataclass(frozen=True, eq=False)
class Project:
    root: Path
    options: ProjectOptions
    settings: Settings
    campaign: Campaign
    print_settings: PrintSettings
    fonts: FontLibrary = field(repr=False)

    @property
    def formats(self) -> dict[str, Format]:
        """The built-in formats and the project's own (project.yaml `formats:`)."""
        return self.settings.formats

    @property
    def print_profiles(self) -> dict[str, PrintProfile]:
        return self.settings.print_profiles

    @property
    def timestamp(self) -> datetime:
        return self.options.timestamp

    def shown(self, path: Path | str) -> str:
        """A path as errors show it: relative to the project."""
        if not Path(path).is_absolute():  # resolved against the working folder of the moment
            return _shown.__wrapped__(self.root, str(path))
        return _shown(self.root, str(path))

    def with_campaign(self, campaign: Campaign) -> Project:
        """The same project with other content (the preview adds sample posters)."""
        return replace(self, campaign=campaign)

    def spec(self) -> ProjectSpec:
        token = hashlib.sha256("".join(str(file_digest(p)) for p in self.campaign.sources).encode()).hexdigest()
        return ProjectSpec(str(self.root), self.options, token)


def open_project(root: Path | str, options: ProjectOptions = ProjectOptions()) -> Project:
    """Read and validate a project. Bad project-wide input (no or broken messages.yaml, a bad
    project.yaml, an unknown print profile) raises PosterError; a broken poster file only removes
    that poster, its diagnostics listed in `campaign.diagnostics`."""
    given = Path(root)
    if not str(given).isprintable():
        raise PosterError(
            Diagnostic(f"--project {shown_name(str(given))}: the folder's name holds a control character; rename it")
        )
    root = given.resolve()
    messages = root / "messages.yaml"
    if not messages.exists() and not messages.is_symlink():
        raise PosterError(
            Diagnostic("not found; run from a project folder or pass --project", str(given / "messages.yaml"))
        )
    settings = read_settings(root)
    print_settings = select_print_settings(root, settings.print_profiles, settings.swatches, options.print_profile)
    campaign = load_campaign(root, {*settings.formats, *GROUPS})
    return Project(root, options, settings, campaign, print_settings, library(root / "fonts"))


def open_spec(spec: ProjectSpec) -> Project:
    return open_project(spec.root, spec.options)


@lru_cache(maxsize=4096)
def _shown(root: Path, path: str) -> str:
    """Project.shown, memoised: a build's keys name the same few files for every output, and
    resolving one costs a stat per component of its path (a merge's 10 000 keys, 10 files each)."""
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return path
