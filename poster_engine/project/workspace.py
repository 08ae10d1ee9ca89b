"""The project a build works in: its root, its fonts, and the fixed timestamp outputs carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from poster_engine.project.fonts import FontLibrary, library
from poster_engine.project.print_profiles import PrintSettings, load_print_settings

# Outputs carry this date unless the caller passes another (e.g. from SOURCE_DATE_EPOCH), so two
# builds of the same inputs are byte-identical.
DEFAULT_TIMESTAMP = datetime(2025, 11, 26, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Workspace:
    root: Path
    timestamp: datetime = DEFAULT_TIMESTAMP
    print_profile: str = "fogra39"
    fonts: FontLibrary = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())
        object.__setattr__(self, "fonts", library(self.root / "fonts"))

    @cached_property
    def print_settings(self) -> PrintSettings:
        """The chosen print profile and the project's brand swatches (project.yaml)."""
        return load_print_settings(self.root, self.print_profile)

    def shown(self, path: Path) -> str:
        """A path as errors show it: relative to the project."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)
