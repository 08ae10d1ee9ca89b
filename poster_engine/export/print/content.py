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

Both write back (`unparse`) what pikepdf's parser reads as the same instructions: `Parsed` the
bytes pikepdf's `unparse_content_stream` writes, `Plain` the bytes it read, untouched instructions
as they were and inserted ones as pikepdf writes them (tests/test_content_stream.py holds both
equal once parsed). pikepdf's parse is 10 ms on the demo's A3 photo poster (7 600 instructions)
and its operands are objects each walk converts again. Prepress reads a page twice, flatten's walk then the
rewriter: the last few EXACT readings are kept, those `unparse` writes included, so the second
reading of the same bytes is free.
"""

from __future__ import annotations

import re
import threading
import zlib
from functools import cached_property
from itertools import accumulate
from operator import add, itemgetter, sub
from typing import Any

# PDF whitespace (ISO 32000-1 §7.2.2), spelled out: Python's \s has \v, which PDF reads as a regular
# character, and lacks NUL.
WS = rb"\x00\t\n\f\r "
BLANK = b"\x00\t\n\f\r "  # the same whitespace, as bytes for strip()
ZLIB_LEVEL = 4  # the content streams prepress writes (`write`)
_OPERATOR = rb"([A-Za-z'\"][A-Za-z0-9*'\"]*)"
# Both grammars are strict subsets of PDF's; each pattern's groups are: the whitespace before an
# instruction, the instruction, its operands, its operator.
# EXACT: what pikepdf writes back unchanged — integers without sign, leading zeros or '-0' (qpdf
# rewrites those), reals as written (qpdf keeps their text; no exponent), names of regular
# characters (qpdf may spell others with '#'), the empty array, whitespace after every operand.
_NUMBER = rb"-?(?:(?:[1-9]\d*|0)\.\d*|\.\d+)|-?[1-9]\d{0,17}|0"
_NAME = rb"/[A-Za-z0-9_.\-]+"
# The empty array too: cairo resets the dash (`[] 0.0 d`) wherever a stroke follows a fill, and a
# page with strokes went to pikepdf's parser whole for it (+25 ms on the demo's illustrated A3s).
EXACT = re.compile(
    rb"([" + WS + rb"]*)(((?>(?:" + _NUMBER + rb"|" + _NAME + rb"|\[\])[" + WS + rb"]+)*)" + _OPERATOR + rb")"
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


def write(doc, owner, data: bytes) -> None:
    """`data` as the content of `owner` (a page: one stream in place of its /Contents; a form, a
    pattern or a glyph), Flate-compressed at `ZLIB_LEVEL`. qpdf would compress it at save at zlib's
    default level 6: 9 ms for the demo's A3 page (212 KB) against 2.8 ms at level 4, for 3 KB more
    (68 KB instead of 65, in a 2.7 MB file); level 1 is 1.7 ms but 13 KB more there, and 69 KB more
    on the text-only A0 (1 MB of glyphs: 5 % of its file; docs/performance.md §20)."""
    import pikepdf

    packed = zlib.compress(data, ZLIB_LEVEL)
    if owner.get("/Type") == pikepdf.Name.Page:
        owner.Contents = doc.make_stream(b"")
        owner.Contents.write(packed, filter=pikepdf.Name.FlateDecode)
    else:
        owner.write(packed, filter=pikepdf.Name.FlateDecode)


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

    def __init__(self, found: list[tuple[bytes, bytes, bytes, bytes]], grammar: re.Pattern, data: bytes) -> None:
        self._found = found  # the pattern's groups for each instruction
        self.data = data  # the bytes read (their trailing whitespace aside, what `found` covers)
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
        plain = cls(found, grammar, data)
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
        texts = list(map(itemgetter(1), self._found))
        ends = list(accumulate(map(add, map(len, map(itemgetter(0), self._found)), map(len, texts))))
        return list(map(sub, ends, map(len, texts))), ends

    def operands(self, i: int) -> list[Any]:
        """Instruction `i`'s operands: numbers as floats, names as '/Name' strings."""
        return [t.decode() if t[:1] == b"/" else [] if t == b"[]" else float(t) for t in self.arguments[i].split()]

    def numbers(self, i: int, j: int) -> list[float]:
        """The operands of instructions `i` to `j - 1` as one list of floats (a name: ValueError)."""
        return list(map(float, b" ".join(self.arguments[i:j]).split()))

    def counts(self, i: int, j: int) -> list[int]:
        """How many operands each instruction of `i` to `j - 1` has."""
        return [len(a.split()) for a in self.arguments[i:j]]

    def unparse(self, before=None, after=None, skip=(), stop: int | None = None, tail=()) -> bytes:
        """The instructions up to `stop`, with pikepdf instructions inserted `before` or `after` an
        index (index → list), those of `skip` left out, and `tail` appended. Instructions read are
        written as they were read (a run of them is one slice of the bytes read), inserted ones as
        pikepdf writes them, one a line: pikepdf's parser reads the result as the instructions
        `Parsed.unparse` writes. Normalising every instruction's whitespace as pikepdf does cost
        5 ms on the demo's A3 page for nothing the file shows (docs/performance.md §20). The
        result's reading is kept as `read` would make it."""
        assert self.grammar is EXACT, "only EXACT readings are written back in EXACT"
        before, after = before or {}, after or {}
        stop = len(self.codes) if stop is None else stop
        ends = self.spans[1]
        pieces: list[bytes] = []
        found: list[tuple[bytes, bytes, bytes, bytes]] | None = []

        def keep(i: int, j: int) -> None:
            """Instructions `i` to `j - 1` as read, with the whitespace before each."""
            nonlocal found
            if i >= j:
                return
            chunk = self.data[ends[i - 1] if i else 0 : ends[j - 1]]
            head = self._found[i]
            if pieces and not head[0]:  # only the first instruction read can have no whitespace before it
                chunk, head = b"\n" + chunk, (b"\n", *head[1:])
            pieces.append(chunk)
            if found is not None:
                found.append(head)
                found.extend(self._found[i + 1 : j])

        def insert(instructions: list) -> None:
            nonlocal found
            data = _insert(instructions)
            if not data:
                return
            inserted = EXACT.findall(data)
            if found is not None and sum(len(ws) + len(text) for ws, text, _, _ in inserted) == len(data):
                _, text, args, op = inserted[0]  # one line each, as pikepdf writes them
                found.append((b"\n" if pieces else b"", text, args, op))
                found.extend(inserted[1:])
            else:
                found = None  # not kept: `read` reads it
            pieces.append(b"\n" + data if pieces else data)

        last = 0
        for i in sorted({i for i in (*before, *after, *skip) if 0 <= i < stop}):
            keep(last, i)
            if i in before:
                insert(before[i])
            if i not in skip:
                keep(i, i + 1)
            if i in after:
                insert(after[i])
            last = i + 1
        keep(last, stop)
        if tail:
            insert(list(tail))
        out = b"".join(pieces)
        if found:
            _remember(out, Plain(found, EXACT, out))
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
