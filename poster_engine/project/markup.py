"""Text with `*emphasis*` and `**strong**` markup → styled `Span`s for typesetting.

The markup is what communication staff can type in messages.yaml without a manual:
- `*mot*`   emphasis: the poster's accent colour (the text colour in a slot already in the accent);
- `**mot**` strong: a heavier cut of the slot's font (the accent colour when it has none);
- `\\*`     a literal asterisk.
Markers toggle, so both combine (`***mot***` is heavier and in the accent colour). A marker left
open is an error, caught when messages.yaml is loaded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"\\\*|\*\*|\*")


@dataclass(frozen=True)
class Span:
    """A run of text in one style."""

    text: str
    strong: bool = False
    emphasis: bool = False


class MarkupError(ValueError):
    """An unclosed marker; the message says which and how to fix it."""


def parse_markup(text: str) -> tuple[Span, ...]:
    """'Le *cobalt* de nos batteries' → (Span('Le '), Span('cobalt', emphasis=True), Span(' de nos batteries')).

    The text is made NFC first: an 'é' typed or pasted as 'e' + U+0301 (macOS, some PDFs) is the one
    character the fonts draw, not a letter and an accent some fonts lack."""
    text = unicodedata.normalize("NFC", text)
    spans: list[Span] = []
    strong = emphasis = False
    pos = 0
    buf = ""
    for m in _TOKEN.finditer(text):
        buf += text[pos : m.start()]
        pos = m.end()
        if m.group() == "\\*":
            buf += "*"
            continue
        if buf:
            spans.append(Span(buf, strong, emphasis))
            buf = ""
        if m.group() == "**":
            strong = not strong
        else:
            emphasis = not emphasis
    buf += text[pos:]
    if strong or emphasis:
        marker = "**" if strong else "*"
        raise MarkupError(f"'{marker}' opened and never closed; close it, or type \\* for an asterisk")
    if buf:
        spans.append(Span(buf, strong, emphasis))
    return tuple(spans)


def plain(text: str) -> str:
    """The text without its markup, as readers see it (for error messages)."""
    return "".join(s.text for s in parse_markup(text))
