"""A content stream's bytes → its instructions, and those instructions (a few inserted, skipped or
cut off) → bytes again, for flatten.py's walks and the CMYK rewriter of prepress.py
(docs/performance.md §17).

Two readers with the same result:
- `Plain`: cairo's syntax cut by one compiled regular expression, in one of two grammars: EXACT
  (numbers spelled as pikepdf writes them back, plain names, known operators, whitespace), which
  flatten's walks read and write back, or SIMPLE (strings, flat arrays, hex strings too), which the
  CMYK rewriter edits in byte slices. Operands stay bytes until asked for; a run of path operators
  is converted in one go (`numbers`).
- `Parsed`: anything else (comments, inline images, dictionaries, `+1` or `-0`...) through pikepdf's
  parser, never a guess.

Both write back (`unparse`) the bytes pikepdf's `unparse_content_stream` writes: one instruction
per line, operands and operator separated by one space (tests/test_content_stream.py holds them
equal). pikepdf's parse is 10 ms on the demo's A3 photo poster (7 600 instructions) and its
operands are objects each walk converts again. Prepress reads a page twice, flatten's walk then the
rewriter: the last few EXACT readings are kept, those `unparse` writes included, so the second
reading of the same bytes is free.
"""

from __future__ import annotations

import re
import threading
from functools import cached_property
from itertools import accumulate
from typing import Any

# PDF whitespace (ISO 32000-1 §7.2.2), spelled out: Python's \s has \v, which PDF reads as a regular
# character, and lacks NUL.
WS = rb"\x00\t\n\f\r "
BLANK = b"\x00\t\n\f\r "  # the same whitespace, as bytes for strip()
_OPERATOR = rb"([A-Za-z'\"][A-Za-z0-9*'\"]*)"
# Both grammars are strict subsets of PDF's; each pattern's groups are: the whitespace before an
# instruction, the instruction, its operands, its operator.
# EXACT: what pikepdf writes back unchanged — integers without sign, leading zeros or '-0' (qpdf
# rewrites those), reals as written (qpdf keeps their text; no exponent), names of regular
# characters (qpdf may spell others with '#'), whitespace after every operand.
_NUMBER = rb"-?(?:(?:[1-9]\d*|0)\.\d*|\.\d+)|-?[1-9]\d{0,17}|0"
_NAME = rb"/[A-Za-z0-9_.\-]+"
EXACT = re.compile(
    rb"([" + WS + rb"]*)(((?>(?:" + _NUMBER + rb"|" + _NAME + rb")[" + WS + rb"]+)*)" + _OPERATOR + rb")"
    rb"(?=[" + WS + rb"]|\Z)"
)
# SIMPLE: cairo's syntax as the CMYK rewriter edits it — numbers, names, simple strings, flat arrays,
# hex strings.
_END = rb"(?![^" + WS + rb"()<>\[\]{}/%])"  # a token ends at whitespace or a delimiter: '1e-3', '1rg' are no numbers
_STRING = rb"\((?:\\.|[^\\()])*\)"  # no nested parentheses, no line continuation: those go to a real lexer
_OPERAND = (
    rb"(?:[-+]?(?:\d+\.?\d*|\.\d+)" + _END + rb"|/[^" + WS + rb"/\[\]()<>{}%]*"
    rb"|\[(?:" + _STRING + rb"|[^\]()%])*\]|" + _STRING + rb"|<[0-9A-Fa-f" + WS + rb"]*>)"
)
SIMPLE = re.compile(rb"([" + WS + rb"]*)(((?:" + _OPERAND + rb"[" + WS + rb"]*)*)" + _OPERATOR + rb")" + _END)
# Every operator of ISO 32000-1 (Annex A) except BI/ID/EI: an inline image's binary data can only be
# skipped by a real lexer. An operator outside this set sends the stream to one.
OPERATORS = frozenset(
    b"b B b* B* BDC BMC BT BX c cm CS cs d d0 d1 Do DP EMC ET EX f F f* G g gs h i j J K k l m M MP "
    b"n q Q re RG rg ri s S SC sc SCN scn sh T* Tc Td TD Tf Tj TJ TL Tm Tr Ts Tw Tz v w W W* y ' \"".split()
)


def data_of(owner) -> bytes:
    """The content of a page (its /Contents parts joined as qpdf joins them), form, pattern or glyph."""
    import pikepdf

    if owner.get("/Type") == pikepdf.Name.Page:
        contents = owner.Contents
        parts = contents if isinstance(contents, pikepdf.Array) else [contents]
        return b"\n".join(part.read_bytes() for part in parts)
    return owner.read_bytes()


def read(owner) -> Plain | Parsed:
    """`owner`'s content as instructions, for flatten's walks."""
    import pikepdf

    plain = Plain.read(data_of(owner))
    return plain if plain is not None else Parsed(list(pikepdf.parse_content_stream(owner)))


def _insert(instructions: list) -> bytes:
    import pikepdf

    return pikepdf.unparse_content_stream(instructions)


_READINGS: dict[bytes, Plain] = {}  # stream bytes → its reading in EXACT (which SIMPLE contains)
_READINGS_LOCK = threading.Lock()  # the preview server renders in threads


def _remember(data: bytes, plain: Plain) -> None:
    with _READINGS_LOCK:
        while len(_READINGS) >= 4:
            del _READINGS[next(iter(_READINGS))]
        _READINGS[data] = plain


class Plain:
    """A stream in one of the grammars above: each instruction's operator, operands, and bytes."""

    def __init__(self, found: list[tuple[bytes, bytes, bytes, bytes]], grammar: re.Pattern) -> None:
        self._found = found  # the pattern's groups for each instruction
        self.grammar = grammar
        self.codes = [op for _, _, _, op in found]  # operators as bytes
        self.arguments = [args for _, _, args, _ in found]  # each instruction's operand bytes, as written

    @classmethod
    def read(cls, data: bytes, grammar: re.Pattern = EXACT) -> Plain | None:
        """None when `data` is not entirely in `grammar` (then a real lexer reads it). A kept EXACT
        reading of the same bytes serves either grammar."""
        known = _READINGS.get(data)
        if known is not None and (grammar is EXACT or grammar is SIMPLE):
            return known
        if grammar is EXACT and (b"\x0b" in data or b"\x00" in data):
            return None  # whitespace for one of PDF and Python only (bytes.split() is Python's)
        found = grammar.findall(data)
        # Matches are in order and do not overlap: they cover everything but the trailing whitespace
        # exactly when nothing between them was skipped.
        if sum(len(ws) + len(text) for ws, text, _, _ in found) != len(data.rstrip(BLANK)):
            return None
        plain = cls(found, grammar)
        if not OPERATORS.issuperset(plain.codes):
            return None
        if grammar is EXACT:
            _remember(data, plain)
        return plain

    @cached_property
    def ops(self) -> list[str]:
        return [op.decode() for op in self.codes]

    @cached_property
    def spans(self) -> tuple[list[int], list[int]]:
        """Where each instruction's operands begin (its operator, when it has none) and where it ends."""
        ends = list(accumulate(len(ws) + len(text) for ws, text, _, _ in self._found))
        starts = [end - len(text) for end, (_, text, _, _) in zip(ends, self._found)]
        return starts, ends

    def operands(self, i: int) -> list[Any]:
        """Instruction `i`'s operands: numbers as floats, names as '/Name' strings."""
        return [t.decode() if t[:1] == b"/" else float(t) for t in self.arguments[i].split()]

    def numbers(self, i: int, j: int) -> list[float]:
        """The operands of instructions `i` to `j - 1` as one list of floats (a name: ValueError)."""
        return list(map(float, b" ".join(self.arguments[i:j]).split()))

    def counts(self, i: int, j: int) -> list[int]:
        """How many operands each instruction of `i` to `j - 1` has."""
        return [len(a.split()) for a in self.arguments[i:j]]

    def _lines(self, i: int, j: int) -> list[bytes]:
        """Instructions `i` to `j - 1` as pikepdf writes them: one a line, tokens one space apart.
        Byte 1 (never in this grammar) marks where an instruction ends while all whitespace is made
        one space."""
        if i >= j:
            return []
        texts = [text for _, text, _, _ in self._found[i:j]]
        return [b" ".join(b"\x01".join(texts).split()).replace(b"\x01", b"\n")]

    def unparse(self, before=None, after=None, skip=(), stop: int | None = None, tail=()) -> bytes:
        """The instructions up to `stop`, with pikepdf instructions inserted `before` or `after` an
        index (index → list), those of `skip` left out, and `tail` appended, as pikepdf writes them.
        The result's reading is kept as `read` would make it (one instruction a line: EXACT)."""
        assert self.grammar is EXACT, "only EXACT readings are written back as pikepdf writes them"
        before, after = before or {}, after or {}
        stop = len(self.codes) if stop is None else stop
        lines: list[bytes] = []
        found: list[tuple[bytes, bytes, bytes, bytes]] | None = []

        def add(i: int, j: int) -> None:
            chunk = self._lines(i, j)
            lines.extend(chunk)
            if chunk and found is not None:
                texts, codes = chunk[0].split(b"\n"), self.codes[i:j]
                found.extend((b"\n", t, t[: len(t) - len(c)], c) for t, c in zip(texts, codes))

        def insert(instructions: list) -> None:
            nonlocal found
            data = _insert(instructions)
            lines.append(data)
            inserted = EXACT.findall(data)
            if found is not None and sum(len(ws) + len(text) for ws, text, _, _ in inserted) == len(data):
                found.extend((b"\n", text, args, op) for _, text, args, op in inserted)
            else:
                found = None  # not kept: `read` reads it

        last = 0
        for i in sorted({i for i in (*before, *after, *skip) if 0 <= i < stop}):
            add(last, i)
            if i in before:
                insert(before[i])
            if i not in skip:
                add(i, i + 1)
            if i in after:
                insert(after[i])
            last = i + 1
        add(last, stop)
        if tail:
            insert(list(tail))
        out = b"\n".join(lines)
        if found:
            found[0] = (b"", *found[0][1:])
            _remember(out, Plain(found, EXACT))
        return out


class Parsed:
    """Any stream, as pikepdf's parser reads it."""

    def __init__(self, instructions: list) -> None:
        self._instructions = instructions
        self.ops = [str(instr.operator) for instr in instructions]

    def operands(self, i: int) -> list[Any]:
        import pikepdf

        out: list[Any] = []
        for value in self._instructions[i].operands:
            if isinstance(value, pikepdf.Name):
                out.append(str(value))
            elif isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
                out.append(float(value))
            else:
                out.append(value)
        return out

    def numbers(self, i: int, j: int) -> list[float]:
        return [float(v) for k in range(i, j) for v in self._instructions[k].operands]

    def counts(self, i: int, j: int) -> list[int]:
        return [len(self._instructions[k].operands) for k in range(i, j)]

    def unparse(self, before=None, after=None, skip=(), stop: int | None = None, tail=()) -> bytes:
        before, after = before or {}, after or {}
        new: list = []
        for i, instr in enumerate(self._instructions[:stop]):
            new += before.get(i, [])
            if i not in skip:
                new.append(instr)
            new += after.get(i, [])
        return _insert(new + list(tail))
