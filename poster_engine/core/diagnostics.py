"""Diagnostics as data: every problem the engine reports — load errors, `poster check` findings,
`poster preflight` checks — is one `Diagnostic`, located and with its fix.

Where a diagnostic points: a file and line (a YAML key, a template element), and/or an output (a
poster, a format, a slot). `check` is the stable id of the rule that produced it (`fit`,
`contrast`, `pdf-version`, …): programs sort and filter on it, never on the message's wording.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


# "info" is a passed check worth listing (preflight's PASS rows); it never fails anything.
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem: where it is, what is wrong, and what to do about it."""

    message: str  # what is wrong; may end with '; <how to fix it>' when `hint` is not given
    file: str | None = None  # shown path, relative to the project (or a PDF's path for preflight)
    line: int | None = None
    severity: Severity = "error"
    check: str | None = None  # the rule's id, e.g. "fit", "contrast", "ink-limit"
    poster: str | None = None  # the output it concerns: poster id, format name (with -lang), slot
    format: str | None = None
    slot: str | None = None
    hint: str | None = None  # how to fix it, when kept apart from the message

    def __post_init__(self) -> None:
        # One line, whatever an input put in a name it echoes (a NUL, a line break in a CSV cell, a
        # terminal escape): control characters are shown escaped, `\n` as the two characters.
        for name in ("message", "file", "hint"):
            value = getattr(self, name)
            if value is not None and _CONTROL.search(value):
                object.__setattr__(self, name, _CONTROL.sub(_escape, value))

    @property
    def location(self) -> str:
        """`file:line`, or `file`, or '' (the file part of the one-line form)."""
        if not self.file:
            return ""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    @property
    def where(self) -> str:
        """The output it concerns (`poster/format`) if any, else its file location."""
        if self.poster:
            return f"{self.poster}/{self.format}" if self.format else self.poster
        return self.location

    @property
    def text(self) -> str:
        """The message with its hint, prefixed by the file location when the output is the `where`."""
        body = f"{self.message}; {self.hint}" if self.hint else self.message
        return f"{self.location}: {body}" if self.poster and self.location else body

    @property
    def failed(self) -> bool:
        return self.severity == "error"

    def at(self, **where: Any) -> Diagnostic:
        """The same diagnostic with more of its place filled in (poster, format, slot, check…)."""
        return replace(self, **{k: v for k, v in where.items() if getattr(self, k) is None})

    def to_dict(self) -> dict[str, Any]:
        """For --json: every field, plus the `where` and the one-line `message` the table shows."""
        data = {k: v for k, v in asdict(self).items() if v is not None}
        data.update(where=self.where, message=self.text)
        return data

    def __str__(self) -> str:
        """The one-line form: `file:line: warning: message; hint`."""
        where = f"{self.location}: " if self.location else ""
        prefix = "warning: " if self.severity == "warning" else ""
        body = f"{self.message}; {self.hint}" if self.hint else self.message
        return f"{where}{prefix}{body}"


class PosterError(Exception):
    """The engine's only exception type: carries one or more diagnostics.

    The CLI prints each diagnostic on one line and never a traceback.
    """

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def fail(
    message: str,
    file: str | Path | None = None,
    line: int | None = None,
    *,
    check: str | None = None,
    slot: str | None = None,
) -> PosterError:
    """Build a single-diagnostic error (callers `raise fail(...)`)."""
    return PosterError(Diagnostic(message, str(file) if file is not None else None, line, check=check, slot=slot))


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


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    """'2 error(s), 3 warning(s)' (passed checks are not counted)."""
    items = list(diagnostics)
    errors = sum(d.severity == "error" for d in items)
    warnings = sum(d.severity == "warning" for d in items)
    return f"{errors} error(s), {warnings} warning(s)"
