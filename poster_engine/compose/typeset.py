"""Styled text + slot box + rules → `TextBlock`: shaped, broken, hyphenated, fitted glyphs in layout units.

Line breaking. Lines break at spaces (U+0020 only: a no-break space never breaks), at the author's
forced breaks (`\\n`, which start a new paragraph) and, where allowed, at hyphenation points
(`typography.hyphenation_points`). Every way of breaking a paragraph is ranked, by a small dynamic
programme in the spirit of Knuth & Plass, on, in this order:
  1. the number of lines, fewest first (the size and the line budget depend on it);
  2. widows: the last line of a paragraph of two lines or more holding one word or word fragment;
  3. the rag cost. Ragged text: the sum over every line but the last of (slack / measure)², so
     lines are evenly full. Balanced text (`data-fit="balance"`, like CSS `text-wrap: balance`):
     the sum over all lines of (width / measure)², which for a given text is smallest when the lines
     are of even length. Plus HYPHEN_COST per hyphenated line, FINAL_HYPHEN_COST more when the
     hyphen ends a paragraph's penultimate line (the last line would start with a word's tail), and
     SHORT_END_COST for a line ending on a word of one or two letters (French usage: 'à', 'le').
Hard rules: never two hyphenated lines in a row; a word no line can hold fails the size.

Fit rule: the largest size between the slot's min and max at which the lines fit the width, their
number is within max_lines and the glyphs' ink lies inside the box (bisection; every accepted size
is verified) — but a good rag is preferred over a slightly larger size. Rag defects are widows and,
in a balanced slot, a paragraph whose shortest line is under half its longest. When the best size
has defects, sizes down to RAG_GIVE (5 %) smaller, in RAG_STEP steps and never below the minimum,
are tried, and the largest with the fewest defects is kept.

Hyphenation: where the slot allows it, hyphenation points are break opportunities like spaces,
ranked as above. Where it does not (`hyphenate=False`, e.g. headlines), they are used only when the
text fits at no size without them.

Optical sizes: `faces` give the fonts per size range (e.g. the text cut of Inter below 7 mm, the
display cut from 7 mm up); the face is chosen for each size tried.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from poster_engine.compose.typography import HYPHEN, hyphenation_points
from poster_engine.core.geometry import Box
from poster_engine.project.fonts import Font, ShapedGlyph, clusters
from poster_engine.project.markup import Span

# A hyphen costs as much as a line 45 % short of the measure: on a poster it is worth it to save a
# line or to mend a very ragged one, not to even out a good rag.
HYPHEN_COST = 0.2
FINAL_HYPHEN_COST = 0.1
SHORT_END_COST = 0.02  # a line ending on a word of one or two letters ('à', 'le', 'of'): a tie-breaker
RAG_GIVE = 0.05  # a better rag may cost up to 5 % of the size...
RAG_STEP = 0.005  # ...tried in 0.5 % steps
BALANCE_MIN_RATIO = 0.5  # in a balanced paragraph no line is shorter than half the longest
EPS = 1e-9


@dataclass(frozen=True)
class Face:
    """The fonts a slot uses from `min_size` up (layout units)."""

    min_size: float
    fonts: tuple[Font, ...]  # fallback chain: each character uses the first font that has it
    strong: tuple[Font, ...] = ()  # the heavier chain for **strong** text; () = drawn as emphasis


@dataclass(frozen=True)
class TextRules:
    faces: tuple[Face, ...]  # by ascending min_size; the first one applies from size 0
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
    hyphenate: bool = True  # False: hyphenate only when nothing fits without (headlines)
    lang: str = "fr"  # hyphenation patterns

    def face(self, size: float) -> Face:
        return next(f for f in reversed(self.faces) if f.min_size <= size or f is self.faces[0])


@dataclass(frozen=True)
class PlacedGlyph:
    font: Font
    gid: int
    x: float  # pen position, layout units
    y: float  # baseline, layout units (y down)
    scale: float  # layout units per font unit
    emphasis: bool = False  # drawn in the slot's emphasis colour


@dataclass(frozen=True)
class TextBlock:
    text: str  # without markup
    box: Box
    size: float
    lines: tuple[str, ...]  # as set, with the hyphens added at line ends
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


@dataclass(frozen=True)
class _Word:
    pieces: tuple[Span, ...]  # the word's runs of one style (most words have one)
    text: str
    points: tuple[int, ...]  # offsets in `text` where a hyphen may break it


@dataclass(frozen=True)
class _Line:
    units: tuple[tuple[Span, ...], ...]  # words or word fragments, set with a space between
    continued: bool  # not the first line of its paragraph (takes the hanging indent)

    @property
    def text(self) -> str:
        return " ".join("".join(s.text for s in unit) for unit in self.units)


def _slice(pieces: tuple[Span, ...], start: int, end: int) -> tuple[Span, ...]:
    """The styled characters [start, end) of a word."""
    out, pos = [], 0
    for p in pieces:
        lo, hi = max(start - pos, 0), min(end - pos, len(p.text))
        if lo < hi:
            out.append(Span(p.text[lo:hi], p.strong, p.emphasis))
        pos += len(p.text)
    return tuple(out)


def _head(word: _Word, end: int) -> tuple[Span, ...]:
    """The start of `word` up to `end` as set at a line end: with a hyphen, unless it ends with its own."""
    pieces = _slice(word.pieces, 0, end)
    if word.text[end - 1] == "-":
        return pieces
    return pieces + (Span(HYPHEN, pieces[-1].strong, pieces[-1].emphasis),)


def _narrowest(word: _Word, m: _Measurer, hyphenate: bool) -> float:
    """The narrowest measure (ems) that can hold `word`: whole, or split once (a word's tail line
    cannot be hyphenated again, so no word is ever split twice)."""
    whole = m.width(word.pieces) - m.track
    if not hyphenate:
        return whole
    return min(
        [whole]
        + [max(m.width(_head(word, p)), m.width(_slice(word.pieces, p, len(word.text)))) - m.track for p in word.points]
    )


# Unicode's mandatory breaks (UAX #14 classes BK, CR, LF, NL), CR LF counting once: InDesign and
# Word paste a forced line break as U+2028, which no font has a glyph for.
FORCED_BREAK = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")


def _paragraphs(spans: Sequence[Span], rules: TextRules) -> list[list[_Word]]:
    """Split styled text into paragraphs (at '\\n') of words (at U+0020 only)."""
    paragraphs: list[list[_Word]] = [[]]
    chars: list[tuple[str, bool, bool]] = []

    def flush() -> None:
        if not chars:
            return
        pieces: list[Span] = []
        for ch, strong, emphasis in chars:
            if pieces and (pieces[-1].strong, pieces[-1].emphasis) == (strong, emphasis):
                pieces[-1] = Span(pieces[-1].text + ch, strong, emphasis)
            else:
                pieces.append(Span(ch, strong, emphasis))
        text = "".join(c for c, _, _ in chars)
        points = hyphenation_points(text, rules.lang)  # before upper-casing: 'UNICEF' vs 'Unicef'
        if rules.uppercase:
            upper = tuple(Span(p.text.upper(), p.strong, p.emphasis) for p in pieces)
            if len("".join(p.text for p in upper)) != len(text):
                points = ()  # 'ß' → 'SS' shifts offsets: do without hyphens
            pieces, text = list(upper), text.upper()
        paragraphs[-1].append(_Word(tuple(pieces), text, points))
        chars.clear()

    for span in spans:
        for ch in FORCED_BREAK.sub("\n", span.text):
            if ch == "\n":
                flush()
                paragraphs.append([])
            elif ch == " ":
                flush()
            else:
                chars.append((ch, span.strong, span.emphasis))
    flush()
    return paragraphs


class _Measurer:
    """Shaping and widths in ems (size-independent) for one face, cached per styled string."""

    def __init__(self, face: Face, rules: TextRules):
        self.face, self.rules = face, rules
        self.track = rules.tracking / 1000
        self._shaped: dict[tuple[Span, ...], list[tuple[Font, ShapedGlyph, bool]]] = {}
        self._widths: dict[tuple[Span, ...], float] = {}
        self.space = self.width((Span(" "),))

    def shaped(self, pieces: tuple[Span, ...]) -> list[tuple[Font, ShapedGlyph, bool]]:
        """Glyphs of a word with, for each, whether it is drawn in the emphasis colour."""
        out = self._shaped.get(pieces)
        if out is not None:
            return out
        out = []
        for piece in pieces:
            chain = self.face.strong if piece.strong and self.face.strong else self.face.fonts
            # Strong text without a heavier cut still has to stand out: it takes the colour.
            emphasis = piece.emphasis or (piece.strong and not self.face.strong)
            for font, run in _font_runs(piece.text, chain):
                out.extend((font, g, emphasis) for g in font.shape(run, self.rules.features))
        self._shaped[pieces] = out
        return out

    def width(self, pieces: tuple[Span, ...]) -> float:
        """Advance width in ems, tracking included after every glyph (a line drops its last one)."""
        w = self._widths.get(pieces)
        if w is None:
            glyphs = self.shaped(pieces)
            w = sum(g.x_advance / f.upem for f, g, _ in glyphs) + self.track * len(glyphs)
            self._widths[pieces] = w
        return w


def _font_runs(text: str, fonts: tuple[Font, ...]) -> list[tuple[Font, str]]:
    """Split text into runs of one font each, following the fallback chain. A letter and the
    combining marks after it (text is NFC, project/markup.py: these are marks with no precomposed
    letter) go to the first font that has them all, so an accent is never drawn in another font
    than its letter, beside it."""
    runs: list[tuple[Font, str]] = []
    for start, end in clusters(text):
        cluster = text[start:end]
        font = next((f for f in fonts if all(f.covers(c) for c in cluster)), None)
        if font is None:
            missing = next((c for c in cluster if not any(f.covers(c) for f in fonts)), cluster[0])
            raise MissingGlyph(missing, fonts)
        if runs and runs[-1][0] is font:
            runs[-1] = (font, runs[-1][1] + cluster)
        else:
            runs.append((font, cluster))
    return runs


def _break(
    words: list[_Word], first: float, rest: float, m: _Measurer, balance: bool, hyphenate: bool
) -> tuple[list[_Line], int, list[float]] | None:
    """Best breaking of one paragraph (ranked as in the module doc) for the measures of its first
    and following lines, in ems. Returns lines, widows, line widths; None if a word fits no line."""
    if not words:
        return [_Line((), False)], 0, [0.0]
    n = len(words)
    breaks: list[tuple[int, int]] = []  # (word, offset): where a line may start
    for w, word in enumerate(words):
        breaks.append((w, 0))
        if hyphenate:
            breaks.extend((w, p) for p in word.points)
    breaks.append((n, 0))
    full: list[float] = [m.width(word.pieces) for word in words]
    short_end = [len(word.text) <= 2 and word.text.isalpha() for word in words]
    prefix: list[float] = [0.0]
    for width in full:
        prefix.append(prefix[-1] + width)

    def units(i: int, j: int) -> list[tuple[Span, ...]]:
        (wi, oi), (wj, oj) = breaks[i], breaks[j]
        if wi == wj:
            return [_head(words[wi], oj)]
        out = [_slice(words[wi].pieces, oi, len(words[wi].text)) if oi else words[wi].pieces]
        out += [words[w].pieces for w in range(wi + 1, wj)]
        if oj:
            out.append(_head(words[wj], oj))
        return out

    def line_width(i: int, j: int) -> tuple[float, int]:
        """Width (ems) and unit count of units(i, j), from prefix sums: this is the hot loop."""
        (wi, oi), (wj, oj) = breaks[i], breaks[j]
        if wi == wj:
            return m.width(_head(words[wi], oj)) - m.track, 1
        count = wj - wi + (1 if oj else 0)
        width = m.width(_slice(words[wi].pieces, oi, len(words[wi].text))) if oi else full[wi]
        width += prefix[wj] - prefix[wi + 1]
        if oj:
            width += m.width(_head(words[wj], oj))
        return width + m.space * (count - 1) - m.track, count

    widest = max(first, rest)
    last = len(breaks) - 1
    # best[j]: rank (lines, widows, cost) of the best way to set the text before break j.
    best: list[tuple[tuple[int, int, float], int, float] | None] = [None] * len(breaks)
    best[0] = ((0, 0, 0.0), -1, 0.0)
    for j in range(1, len(breaks)):
        oj = breaks[j][1]
        for i in range(j - 1, -1, -1):
            oi = breaks[i][1]
            if oi and oj:
                continue  # never two hyphenated lines in a row
            width, count = line_width(i, j)
            if width > widest + EPS:
                break  # earlier starts only add text
            measure = first if i == 0 else rest
            if width > measure + EPS or best[i] is None:
                continue
            (lines, widows, cost), _, _ = best[i]  # type: ignore[misc]
            if j == last and i != 0 and count == 1:
                widows += 1
            if balance:
                cost += (width / measure) ** 2
            elif j != last:
                cost += ((measure - width) / measure) ** 2
            if oj:
                cost += HYPHEN_COST
            elif j != last and short_end[breaks[j][0] - 1]:
                cost += SHORT_END_COST
            if j == last and oi:
                cost += FINAL_HYPHEN_COST
            rank = (lines + 1, widows, cost)
            if best[j] is None or rank < best[j][0]:  # type: ignore[index]
                best[j] = (rank, i, width)
    if best[last] is None:
        return None
    spans: list[tuple[int, int, float]] = []
    j = last
    while j > 0:
        _, i, width = best[j]  # type: ignore[misc]
        spans.append((i, j, width))
        j = i
    spans.reverse()
    lines = [_Line(tuple(units(i, j)), k > 0) for k, (i, j, _) in enumerate(spans)]
    return lines, best[last][0][1], [w for _, _, w in spans]  # type: ignore[index]


def _place(lines: list[_Line], size: float, box: Box, m: _Measurer) -> tuple[list[PlacedGlyph], list[Box]] | str:
    """Position glyphs of `lines` at `size` inside `box`; a reason string if the ink overflows."""
    rules = m.rules
    x0, y0, w, h = box
    track = m.track * size
    space = m.space * size

    # Ink extents of each line, relative to its baseline and pen start.
    per_line = []
    for line in lines:
        pen, items, top, bottom, left, right = 0.0, [], 0.0, 0.0, float("inf"), float("-inf")
        for u, unit in enumerate(line.units):
            if u:
                pen += space
            for font, g, emphasis in m.shaped(unit):
                k = size / font.upem
                gx, gy = pen + g.x_offset * k, -g.y_offset * k
                items.append((font, g.gid, gx, gy, k, emphasis))
                b = font.glyph_bounds(g.gid)
                if b is not None:
                    left, right = min(left, gx + b[0] * k), max(right, gx + b[2] * k)
                    top, bottom = max(top, b[3] * k - gy), max(bottom, -b[1] * k + gy)
                pen += g.x_advance * k + track
        advance = pen - track if items else 0.0
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
    for (items, advance, _top, _bottom, left, right), line in zip(per_line, lines):
        indent = rules.hanging * size if line.continued else 0.0
        if items and right - left > w - indent + 1e-6:
            return "a line is wider than the slot"
        start = {"left": x0 + indent, "center": x0 + (w - advance) / 2, "right": x0 + w - advance}[rules.align]
        if items and right != float("-inf"):
            # Keep overhanging ink (negative side bearings, accents) inside the box.
            start += max(0.0, x0 + indent - (start + left)) - max(0.0, start + right - (x0 + w))
        for font, gid, gx, gy, k, emphasis in items:
            gx, gy = start + gx, baseline + gy
            placed.append(PlacedGlyph(font, gid, gx, gy, k, emphasis))
            b = font.glyph_bounds(gid)
            if b is not None:
                ink.append((gx + b[0] * k, gy - b[3] * k, gx + b[2] * k, gy - b[1] * k))
        baseline += step
    return placed, ink


@dataclass(frozen=True)
class _Setting:
    size: float
    lines: list[_Line]
    defects: int  # rag defects: widows, and short lines in balanced paragraphs
    glyphs: list[PlacedGlyph]
    ink: list[Box]


class _Fitter:
    def __init__(self, paragraphs: list[list[_Word]], box: Box, rules: TextRules):
        self.paragraphs, self.box, self.rules = paragraphs, box, rules
        self.measurers = {id(face): _Measurer(face, rules) for face in rules.faces}

    def attempt(self, size: float, hyphenate: bool) -> _Setting | str:
        """The best setting at `size`, or why there is none."""
        rules = self.rules
        m = self.measurers[id(rules.face(size))]
        first = self.box[2] / size
        rest = first - rules.hanging
        lines: list[_Line] = []
        defects = 0
        for words in self.paragraphs:
            result = _break(words, first, rest, m, rules.balance, hyphenate)
            if result is None:
                widest = max(words, key=lambda word: _narrowest(word, m, hyphenate))
                return f'the word "{widest.text}" is wider than the slot'
            para, widows, widths = result
            defects += widows
            if rules.balance and len(para) > 1 and min(widths) < BALANCE_MIN_RATIO * max(widths):
                defects += 1
            lines += para
        if len(lines) > rules.max_lines:
            return f"needs {len(lines)} lines, {rules.max_lines} allowed"
        placed = _place(lines, size, self.box, m)
        if isinstance(placed, str):
            return placed
        return _Setting(size, lines, defects, *placed)

    def fit(self, hyphenate: bool) -> _Setting | str:
        """The fit rule of the module doc, with or without hyphenation."""
        lo, hi = self.rules.size_min, self.rules.size_max
        best = self.attempt(hi, hyphenate)
        if isinstance(best, str):
            best = self.attempt(lo, hyphenate)
            if isinstance(best, str):
                return best
            while hi - lo > max(0.05, lo * 0.005):
                mid = (lo + hi) / 2
                trial = self.attempt(mid, hyphenate)
                if isinstance(trial, str):
                    hi = mid
                else:
                    lo, best = mid, trial
        top = best.size
        for k in range(1, round(RAG_GIVE / RAG_STEP) + 1):
            if best.defects == 0:
                break
            size = top * (1 - RAG_STEP * k)
            if size < self.rules.size_min:
                break
            trial = self.attempt(size, hyphenate)
            if not isinstance(trial, str) and trial.defects < best.defects:
                best = trial
        return best


def fit_text(text: str | Sequence[Span], box: Box, rules: TextRules) -> TextBlock:
    """Fit `text` (plain or styled) into `box`: the largest size in [size_min, size_max] that fits
    with a good rag (see module doc).

    Raises TextDoesNotFit when even size_min fails, MissingGlyph for an uncovered character.

    The result is kept per (text, box, rules): a data merge fits the texts that are the same on
    every row once, not once per row (19 % of a merged output's time, docs/performance.md §15).
    Rules hold the Font objects themselves, so a font file that changes (a new FontLibrary) is a
    new key; a TextBlock is immutable, so sharing it is safe.
    """
    return _fit_text((Span(text),) if isinstance(text, str) else tuple(text), tuple(box), rules)


@lru_cache(maxsize=512)  # texts that come back (a merge's static ones); bounded: every row brings new ones
def _fit_text(spans: tuple[Span, ...], box: Box, rules: TextRules) -> TextBlock:
    paragraphs = _paragraphs(spans, rules)
    fitter = _Fitter(paragraphs, box, rules)
    for m in fitter.measurers.values():  # surface a missing glyph before any fitting, in every face
        for words in paragraphs:
            for word in words:
                m.width(word.pieces)
    hyphenable = any(word.points for words in paragraphs for word in words)
    modes = (True,) if rules.hyphenate else ((False, True) if hyphenable else (False,))
    for hyphenate in modes:
        setting = fitter.fit(hyphenate and hyphenable)
        if not isinstance(setting, str):
            break
    if isinstance(setting, str):
        raise TextDoesNotFit(setting)
    plain = "".join(s.text for s in spans)
    return TextBlock(
        plain.upper() if rules.uppercase else plain,
        box,
        setting.size,
        tuple(line.text for line in setting.lines),
        tuple(setting.glyphs),
        tuple(setting.ink),
    )
