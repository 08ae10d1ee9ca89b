"""Text + slot box + rules → `TextBlock`: shaped, broken, fitted glyphs in layout units.

Fit rule: the largest size between the slot's min and max at which every line fits the width,
the line count is within max_lines, and the glyphs' ink lies inside the box. Sizes are searched
by bisection (line breaking makes fit monotonic in practice; every accepted size is verified).
With `balance`, lines are then re-broken at the narrowest width that keeps the same line count,
like CSS `text-wrap: balance`, so headlines have lines of similar length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .fonts import Font

Box = tuple[float, float, float, float]  # x, y, width, height (layout units, y down)


@dataclass(frozen=True)
class TextRules:
    fonts: tuple[Font, ...]  # fallback chain: each character uses the first font that has it
    size_min: float
    size_max: float
    line_height: float = 1.15  # baseline-to-baseline, in multiples of the size
    align: Literal["left", "center", "right"] = "left"
    valign: Literal["top", "middle", "bottom"] = "top"
    max_lines: int = 99
    balance: bool = False
    tracking: float = 0.0  # thousandths of an em added after each glyph
    uppercase: bool = False
    features: str = ""  # HarfBuzz features, e.g. "tnum,lnum"
    hanging: float = 0.0  # ems by which a paragraph's continuation lines are indented (lists)


@dataclass(frozen=True)
class PlacedGlyph:
    font: Font
    gid: int
    x: float  # pen position, layout units
    y: float  # baseline, layout units (y down)
    scale: float  # layout units per font unit


@dataclass(frozen=True)
class TextBlock:
    text: str
    box: Box
    size: float
    lines: tuple[str, ...]
    glyphs: tuple[PlacedGlyph, ...]
    ink: tuple[Box, ...]  # one ink box per inked glyph, as (x0, y0, x1, y1)


class TextDoesNotFit(Exception):
    """Even the minimum size does not fit; `reason` says why in a few words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class MissingGlyph(Exception):
    def __init__(self, char: str, fonts: tuple[Font, ...]):
        names = ", ".join(f.name for f in fonts)
        super().__init__(f"character U+{ord(char):04X} '{char}' is in none of the slot's fonts ({names})")
        self.char = char


def _runs(text: str, fonts: tuple[Font, ...]) -> list[tuple[Font, str]]:
    """Split text into runs of one font each, following the fallback chain."""
    runs: list[tuple[Font, str]] = []
    for ch in text:
        font = next((f for f in fonts if f.covers(ch)), None)
        if font is None:
            raise MissingGlyph(ch, fonts)
        if runs and runs[-1][0] is font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


class _Measurer:
    """Widths in ems (size-independent), cached per string, so the size search is cheap."""

    def __init__(self, rules: TextRules):
        self.rules = rules
        self._widths: dict[str, float] = {}

    def shaped(self, text: str) -> list[tuple[Font, object]]:
        out = []
        for font, run in _runs(text, self.rules.fonts):
            out.extend((font, g) for g in font.shape(run, self.rules.features))
        return out

    def width(self, text: str) -> float:
        w = self._widths.get(text)
        if w is None:
            glyphs = self.shaped(text)
            w = sum(g.x_advance / f.upem for f, g in glyphs)
            w += self.rules.tracking / 1000 * max(len(glyphs) - 1, 0)
            self._widths[text] = w
        return w


Lines = list[tuple[str, bool]]  # (text, is a continuation of the paragraph's previous line)


def _break(paragraphs: list[list[str]], limit: float, m: _Measurer) -> Lines | None:
    """Greedy line breaking at spaces; None if a single word is wider than `limit` (ems).

    Continuation lines are `hanging` ems narrower (they are indented by that much).
    """
    lines: Lines = []
    narrow = limit - m.rules.hanging
    for words in paragraphs:
        start = len(lines)
        line = ""
        for word in words:
            room = limit if len(lines) == start else narrow
            candidate = f"{line} {word}" if line else word
            if m.width(candidate) <= room:
                line = candidate
            elif not line:
                return None
            else:
                lines.append((line, len(lines) > start))
                line = word
                if m.width(line) > narrow:
                    return None
        lines.append((line, len(lines) > start))
        _avoid_widow(lines, start, narrow, m)
    return lines


def _avoid_widow(lines: Lines, start: int, limit: float, m: _Measurer) -> None:
    """A paragraph never ends on one word alone: pull the previous line's last word down if it fits."""
    if len(lines) - start < 2 or " " in lines[-1][0]:
        return
    head, _, moved = lines[-2][0].rpartition(" ")
    if head and m.width(f"{moved} {lines[-1][0]}") <= limit:
        lines[-2], lines[-1] = (head, lines[-2][1]), (f"{moved} {lines[-1][0]}", True)


def _balance(paragraphs: list[list[str]], lines: Lines, limit: float, m: _Measurer) -> Lines:
    """Narrowest width that keeps the same number of lines (bisection), then break there."""
    longest_word = max((m.width(w) for words in paragraphs for w in words), default=0.0)
    lo, hi = longest_word, limit
    best = lines
    for _ in range(14):
        mid = (lo + hi) / 2
        trial = _break(paragraphs, mid, m)
        if trial is not None and len(trial) <= len(lines):
            best, hi = trial, mid
        else:
            lo = mid
    return best


def _place(lines: Lines, size: float, box: Box, m: _Measurer) -> tuple[list[PlacedGlyph], list[Box]] | str:
    """Position glyphs of `lines` at `size` inside `box`; a reason string if the ink overflows."""
    rules = m.rules
    x0, y0, w, h = box
    track = rules.tracking / 1000 * size
    shaped = [m.shaped(line) for line, _ in lines]

    # Ink extents of each line, relative to its baseline and pen start.
    per_line = []
    for glyphs in shaped:
        pen, items, top, bottom, left, right = 0.0, [], 0.0, 0.0, float("inf"), float("-inf")
        for font, g in glyphs:
            k = size / font.upem
            gx, gy = pen + g.x_offset * k, -g.y_offset * k
            items.append((font, g.gid, gx, gy, k))
            b = font.glyph_bounds(g.gid)
            if b is not None:
                left, right = min(left, gx + b[0] * k), max(right, gx + b[2] * k)
                top, bottom = max(top, b[3] * k - gy), max(bottom, -b[1] * k + gy)
            pen += g.x_advance * k + track
        advance = pen - track if glyphs else 0.0
        per_line.append((items, advance, top, bottom, left, right))

    # Vertical: the first line's ink touches the top, the last line's ink the bottom (optical).
    step = rules.line_height * size
    first_top = per_line[0][2] if per_line else 0.0
    last_bottom = per_line[-1][3] if per_line else 0.0
    height = first_top + step * (len(lines) - 1) + last_bottom
    if height > h + 1e-6:
        return f"{len(lines)} line(s) need a height of {height:.1f}, the slot has {h:.1f}"
    slack = h - height
    offset = {"top": 0.0, "middle": slack / 2, "bottom": slack}[rules.valign]
    baseline = y0 + offset + first_top

    placed: list[PlacedGlyph] = []
    ink: list[Box] = []
    for (items, advance, top, bottom, left, right), (_, continued) in zip(per_line, lines):
        indent = rules.hanging * size if continued else 0.0
        if items and right - left > w - indent + 1e-6:
            return "a line is wider than the slot"
        start = {"left": x0 + indent, "center": x0 + (w - advance) / 2,
                 "right": x0 + w - advance}[rules.align]
        if items and right != float("-inf"):
            # Keep overhanging ink (negative side bearings, accents) inside the box.
            start += max(0.0, x0 + indent - (start + left)) - max(0.0, start + right - (x0 + w))
        for font, gid, gx, gy, k in items:
            gx, gy = start + gx, baseline + gy
            placed.append(PlacedGlyph(font, gid, gx, gy, k))
            b = font.glyph_bounds(gid)
            if b is not None:
                ink.append((gx + b[0] * k, gy - b[3] * k, gx + b[2] * k, gy - b[1] * k))
        baseline += step
    return placed, ink


def fit_text(text: str, box: Box, rules: TextRules) -> TextBlock:
    """Fit `text` into `box`: the largest size in [size_min, size_max] that fits (see module doc).

    Raises TextDoesNotFit when even size_min fails, MissingGlyph for an uncovered character.
    """
    if rules.uppercase:
        text = text.upper()
    paragraphs = [[w for w in para.split(" ") if w] for para in text.split("\n")]
    m = _Measurer(rules)
    for words in paragraphs:  # surface a missing glyph before any fitting
        for word in words:
            m.width(word)

    def attempt(size: float) -> tuple[list[str], list[PlacedGlyph], list[Box]] | str:
        lines = _break(paragraphs, box[2] / size, m)
        if lines is None:
            return "a word is wider than the slot"
        if len(lines) > rules.max_lines:
            return f"needs {len(lines)} lines, {rules.max_lines} allowed"
        if rules.balance and len(lines) > 1:
            lines = _balance(paragraphs, lines, box[2] / size, m)
        placed = _place(lines, size, box, m)
        if isinstance(placed, str):
            return placed
        return [line for line, _ in lines], placed[0], placed[1]

    best = attempt(rules.size_max)
    size = rules.size_max
    if isinstance(best, str):
        low = attempt(rules.size_min)
        if isinstance(low, str):
            raise TextDoesNotFit(low)
        lo, hi, best, size = rules.size_min, rules.size_max, low, rules.size_min
        while hi - lo > max(0.05, lo * 0.005):
            mid = (lo + hi) / 2
            trial = attempt(mid)
            if isinstance(trial, str):
                hi = mid
            else:
                lo, best, size = mid, trial, mid
    lines, glyphs, ink = best
    return TextBlock(text, box, size, tuple(lines), tuple(glyphs), tuple(ink))
