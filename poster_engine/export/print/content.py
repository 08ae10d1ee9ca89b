"""A content stream's bytes → its instructions, and those instructions (a few inserted, skipped or
cut off) → bytes again, for flatten.py's walks (docs/performance.md §17).

Two readers with the same result:
- `Plain`: cairo's syntax — numbers spelled as pikepdf writes them back, plain names, known
  operators, whitespace — cut by one compiled regular expression. Operands stay bytes until the
  walk asks for them; a run of path operators is converted in one go (`numbers`).
- `Parsed`: anything else (strings, arrays, dictionaries, comments, inline images, `+1` or `-0`...)
  through pikepdf's parser, never a guess.

Both write back (`unparse`) the bytes pikepdf's `unparse_content_stream` writes: one instruction
per line, operands and operator separated by one space (tests/test_content_stream.py holds them
equal). pikepdf's parse is 10 ms on the demo's A3 photo poster (7 600 instructions) and its
operands are objects each walk converts again; `Plain` cuts the same stream in about a third.
"""

from __future__ import annotations

import re
from typing import Any

# PDF whitespace (ISO 32000-1 §7.2.2), spelled out: Python's \s has \v, which PDF reads as a regular
# character, and lacks NUL.
WS = rb"\x00\t\n\f\r "
# Only spellings pikepdf writes back unchanged: integers without sign, leading zeros or '-0' (qpdf
# rewrites those), reals as written (qpdf keeps their text), no exponent.
_NUMBER = rb"-?(?:(?:[1-9]\d*|0)\.\d*|\.\d+)|-?[1-9]\d{0,17}|0"
_NAME = rb"/[A-Za-z0-9_.\-]+"  # regular characters only: qpdf may spell others with '#'
_INSTRUCTION = re.compile(  # groups: leading whitespace, the instruction (operands, operator)
    rb"([" + WS + rb"]*)(((?>(?:" + _NUMBER + rb"|" + _NAME + rb")[" + WS + rb"]+)*)([A-Za-z'\"][A-Za-z0-9*'\"]*))"
    rb"(?=[" + WS + rb"]|\Z)"
)
# ISO 32000-1 Annex A, except BI/ID/EI (an inline image's data needs a real lexer) and the text
# operators ' and " (they take a string, outside this grammar anyway).
OPERATORS = frozenset(
    "b B b* B* BDC BMC BT BX c cm CS cs d d0 d1 Do DP EMC ET EX f F f* G g gs h i j J K k l m M MP "
    "n q Q re RG rg ri s S SC sc SCN scn sh T* Tc Td TD Tf Tj TJ TL Tm Tr Ts Tw Tz v w W W* y".split()
)


def read(owner) -> Plain | Parsed:
    """`owner`'s content (a page, whose /Contents may be an array, or a form) as instructions."""
    import pikepdf

    if owner.get("/Type") == pikepdf.Name.Page:
        contents = owner.Contents
        parts = contents if isinstance(contents, pikepdf.Array) else [contents]
        data = b"\n".join(part.read_bytes() for part in parts)  # qpdf joins a page's parts the same way
    else:
        data = owner.read_bytes()
    plain = Plain.read(data)
    return plain if plain is not None else Parsed(list(pikepdf.parse_content_stream(owner)))


def _insert(instructions: list) -> bytes:
    import pikepdf

    return pikepdf.unparse_content_stream(instructions)


class Plain:
    """A stream in cairo's plain syntax: each instruction's bytes, operands and operator."""

    def __init__(self, texts: list[bytes], args: list[bytes], ops: list[str]) -> None:
        self.ops = ops
        self._texts = texts  # operands and operator as written
        self._args = args  # operand bytes, each operand followed by whitespace

    @classmethod
    def read(cls, data: bytes) -> Plain | None:
        """None when `data` is not entirely in the plain grammar (then pikepdf reads it)."""
        if b"\x00" in data or b"\x0b" in data:
            return None  # whitespace for one of PDF and Python only (bytes.split() is Python's)
        found = _INSTRUCTION.findall(data)
        # Matches are in order and do not overlap: they cover everything but the trailing whitespace
        # exactly when nothing between them was skipped.
        if sum(len(ws) + len(text) for ws, text, _, _ in found) != len(data.rstrip(b"\t\n\f\r ")):
            return None
        ops = [op.decode() for _, _, _, op in found]
        if not OPERATORS.issuperset(ops):
            return None
        return cls([text for _, text, _, _ in found], [args for _, _, args, _ in found], ops)

    def operands(self, i: int) -> list[Any]:
        """Instruction `i`'s operands: numbers as floats, names as '/Name' strings."""
        return [t.decode() if t[:1] == b"/" else float(t) for t in self._args[i].split()]

    def numbers(self, i: int, j: int) -> list[float]:
        """The operands of instructions `i` to `j - 1` as one list of floats (a name: ValueError)."""
        return list(map(float, b" ".join(self._args[i:j]).split()))

    def counts(self, i: int, j: int) -> list[int]:
        """How many operands each instruction of `i` to `j - 1` has."""
        return [len(a.split()) for a in self._args[i:j]]

    def _lines(self, i: int, j: int) -> list[bytes]:
        """Instructions `i` to `j - 1` as pikepdf writes them: one a line, tokens one space apart.
        \\x01 (never in this grammar) marks where an instruction ends while all whitespace is made one space."""
        if i >= j:
            return []
        return [b" ".join(b"\x01".join(self._texts[i:j]).split()).replace(b"\x01", b"\n")]

    def unparse(self, before=None, after=None, skip=(), stop: int | None = None, tail=()) -> bytes:
        """The instructions up to `stop`, with pikepdf instructions inserted `before` or `after` an
        index (index → list), those of `skip` left out, and `tail` appended, as pikepdf writes them."""
        before, after = before or {}, after or {}
        stop = len(self.ops) if stop is None else stop
        lines: list[bytes] = []
        last = 0
        for i in sorted({i for i in (*before, *after, *skip) if 0 <= i < stop}):
            lines += self._lines(last, i)
            if i in before:
                lines.append(_insert(before[i]))
            if i not in skip:
                lines += self._lines(i, i + 1)
            if i in after:
                lines.append(_insert(after[i]))
            last = i + 1
        lines += self._lines(last, stop)
        if tail:
            lines.append(_insert(list(tail)))
        return b"\n".join(lines)


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
