"""Diagnostics as data: every problem the engine reports, located and with its fix."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem: where it is (file and line, or poster/slot) and what to do about it."""

    message: str
    file: str | None = None
    line: int | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
            where += ": "
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}{prefix}{self.message}"


class PosterError(Exception):
    """The engine's only exception type: carries one or more diagnostics.

    The CLI prints each diagnostic on one line and never a traceback.
    """

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def fail(message: str, file: str | Path | None = None, line: int | None = None) -> PosterError:
    """Build a single-diagnostic error (callers `raise fail(...)`)."""
    return PosterError(Diagnostic(message, str(file) if file is not None else None, line))


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close match exists, else the known names (at most 8)."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if not known:
        return ""
    shown = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
    return f" (known: {shown})"
