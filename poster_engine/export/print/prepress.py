"""Cairo's RGB PDF → print PDF/X-4: CMYK everywhere it paints, page boxes, crop marks, output intent.

Cairo writes RGB only (`rg`/`RG`, Flate RGB images, RGB shadings, RGB transparency groups; see
docs/print.md §7). Every content stream (page, forms, tiling patterns, soft masks, Type 3 glyphs) is
read and its colours rewritten by `colors.ColorConverter`; any colour construct the converter does
not handle is an error, never RGB passed through. Fill sizes are measured in device space (the CTM
is tracked) so a black that is text or a thin rule stays 100 % K while a large black area gets the
rich black.

Content streams are read in one of two ways, with the same meaning:
- the fast path, one regex pass over cairo's plain syntax (numbers, names, simple strings, flat
  arrays, known operators), edits applied as byte slices;
- for anything else it meets (comments, nested or escaped-newline strings, dictionaries, inline
  images, exponent numbers, unknown operators...), the whole stream goes through qpdf's own lexer
  (pikepdf `TokenFilter`), never through a guess. Edits are byte slices in both cases: whatever is
  not a colour stays byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from poster_engine.core.color import to_hex
from poster_engine.core.diagnostics import PosterError, fail
from poster_engine.core.geometry import PT_PER_MM
from poster_engine.export.print import content, flatten
from poster_engine.export.print.colors import K_ONLY, ColorConverter, converter_for
from poster_engine.export.print.ctm import Matrix, concat
from poster_engine.export.print.outline import ARITY, box_of, steps, subpaths
from poster_engine.project.print_profiles import PrintSettings
from poster_engine.project.workcache import cached, source_digest

# A fill counts as a large area when one of its subpaths is at least this wide and tall (both). Per
# subpath, not per path: cairo draws a text run (several lines of glyphs) or a QR code (one subpath
# per run of modules) as one path, whose overall box is large while every shape in it is small.
LARGE_AREA_PT = 25 * PT_PER_MM
SLUG_MM = 10.0  # room beyond the bleed for crop marks
LARGE_FORMAT_MM = 594.0  # from A2 up (long side), flattened pieces are rasterised at `min_ppi_large`
MARK_OFFSET_MM, MARK_LENGTH_MM = 2.0, 6.0  # marks start 2 mm beyond the bleed, 6 mm long
SHADING_SAMPLES = 64
# CMYK JPEG has no chroma subsampling: an A3-wide photo at 300 ppi is 1.7 MB at q75 (mean error
# 1.2/255), 2.4 MB at q85. YCCK with subsampled CMY (libjpeg-turbo) saved nothing on our photo.
JPEG_QUALITY = 75
# JPEG ringing adds ink at edges (measured on the demo photo at q75: up to 321.6 % per pixel where the
# converted image had 298 %). After encoding, the decoded image is read back and the 8 × 8 blocks
# that go over the limit have their C, M and Y lowered and are encoded again (blocks are encoded
# independently: the rest of the image does not change), until no pixel is over `limit - margin`.
# The margin leaves room for other JPEG decoders (IDCT rounding: ±1 per plate).
JPEG_INK_MARGIN = 4  # 1/255ths of total ink (1.6 %)
JPEG_INK_ROUNDS = 8
# Black overprint (docs/print.md §6a): 100 % K fills that are not large areas (text, QR codes, small
# shapes) and 100 % K strokes at most this wide in device space overprint, with OPM 1.
OVERPRINT_STROKE_PT = 2.0
OVERPRINT_GS = b"/PEop"  # the ExtGState resource that turns overprint on (fill and stroke, OPM 1)

PATH_NAMES = {op.encode(): op for op in ARITY}  # a path operator's bytes → its name in ARITY
PATH_OPS = set(PATH_NAMES)
PAINT_OPS = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"n"}
FILL_OPS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
STROKE_OPS = {b"S", b"s", b"B", b"B*", b"b", b"b*"}
SET_COLOR_OPS = {b"sc", b"scn", b"SC", b"SCN"}
# Colour spaces, as `cs` names them, whose colours are printed as they are.
PASS_SPACES = {b"/DeviceGray", b"/DeviceCMYK", b"/Pattern"}
RGB = b"rgb"  # the state's colour space after `/DeviceRGB cs` (rewritten to CMYK or grey, values converted)
INHERITED = b"?"  # a form's or pattern's initial colour space: whatever its caller has set

_OP_RE = content.SIMPLE  # the fast path's grammar: cairo's syntax, edited in byte slices
# Seen in the wild, not PDF: a number in exponent form. qpdf reads it as an operator; it is read here
# as the number it spells (as Ghostscript does) where a colour or a size depends on it, else kept as is.
_EXPONENT = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+")

IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)
_Edit = tuple[int, int, bytes]  # (start, end, replacement) in a stream's bytes; start == end inserts
_Use = tuple[bytes, str, Matrix]  # a resource painted: operator (Do, sh, gs), its name, the CTM there


def _width(st: _State) -> float:
    """The line width in device space (points): the user-space width scaled by the CTM's mean scale."""
    a, b, c, d = st.ctm[:4]
    return st.line_width * abs(a * d - b * c) ** 0.5


def _rgb8(values: list[float]) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(v * 255))) for v in values)  # type: ignore[return-value]


def _fmt(v: float) -> bytes:
    """A colour component as PDF writes it: 0.15 → b'0.15', 1.0 → b'1'."""
    return (b"%.4f" % v).rstrip(b"0").rstrip(b".") or b"0"


@dataclass
class _State:
    """The part of the graphics state the rewriter needs (saved by `q`, restored by `Q`)."""

    ctm: Matrix = IDENTITY
    fill: tuple[int, int, int] | None = None  # the fill colour when it was given in RGB (large-area rule)
    fill_space: bytes = b"/DeviceGray"
    stroke_space: bytes = b"/DeviceGray"
    fill_cmyk: tuple[float, ...] | None = None  # the CMYK painted by fills / strokes, when known (overprint)
    stroke_cmyk: tuple[float, ...] | None = None
    line_width: float = 1.0

    def copy(self) -> _State:
        return _State(*(getattr(self, f) for f in self.__dataclass_fields__))


def _free_name(resources, want: bytes) -> bytes:
    """`want`, or `want` with a number appended, that no ExtGState of `resources` already uses."""
    taken = set(map(str, (resources.get("/ExtGState") or {}).keys())) if resources is not None else set()
    name, n = want, 1
    while name.decode() in taken:
        name, n = want + str(n).encode(), n + 1
    return name


class _NotUnderstood(Exception):
    """The fast path met syntax outside its grammar: the stream is read again by the tokenizer."""


@dataclass(eq=False)
class _Instr:
    """One operator and its operands, read through the interface of a regular expression's match
    (group 1: the operands' bytes, group 2: the operator; byte offsets in the stream)."""

    args: bytes
    op: bytes
    first: int  # offset of the first operand (of the operator when it has none)
    stop: int  # offset just after the operator
    operands: list[bytes] = field(default_factory=list)  # each operand's bytes (from the tokenizer only)

    def group(self, i: int) -> bytes:
        return self.args if i == 1 else self.op

    def start(self, i: int = 1) -> int:
        return self.first

    def end(self, i: int = 2) -> int:
        return self.stop


@dataclass
class _Cut:
    """A content stream cut into instructions, as parallel lists: operators, operand bytes, where
    each instruction's operands begin and where it ends (byte offsets)."""

    codes: list[bytes]
    args: list[bytes]
    starts: list[int]
    ends: list[int]
    instrs: list[_Instr] | None = None  # the tokenizer's, with each operand

    @classmethod
    def of(cls, plain: content.Plain) -> _Cut:
        starts, ends = plain.spans
        return cls(plain.codes, plain.arguments, starts, ends)

    @classmethod
    def tokens(cls, instrs: list[_Instr]) -> _Cut:
        return cls(
            [i.op for i in instrs],
            [i.args for i in instrs],
            [i.first for i in instrs],
            [i.stop for i in instrs],
            instrs,
        )

    def at(self, k: int) -> _Instr:
        if self.instrs is not None:
            return self.instrs[k]
        return _Instr(self.args[k], self.codes[k], self.starts[k], self.ends[k])


class _Lexer:
    """qpdf's content-stream lexer, run over any bytes: (token type, raw bytes) in order."""

    def __init__(self) -> None:
        import pikepdf

        class Recorder(pikepdf.TokenFilter):
            def __init__(self) -> None:
                super().__init__()
                self.tokens: list[tuple[Any, bytes]] = []

            def handle_token(self, token):
                self.tokens.append((token.type_, bytes(token.raw_value)))
                return None

        self._recorder = Recorder
        self._scratch = pikepdf.new()
        self._page = self._scratch.add_blank_page()

    def tokens(self, data: bytes) -> list[tuple[Any, bytes]]:
        # qpdf runs token filters over a page's contents only: a scratch page carries the bytes.
        self._page.obj.Contents = self._scratch.make_stream(data)
        recorder = self._recorder()
        self._page.get_filtered_contents(recorder)
        return recorder.tokens


class _Rewriter:
    """Rewrites every painted colour of a document to DeviceCMYK (or DeviceGray inside luminosity masks)."""

    def __init__(self, doc, conv: ColorConverter, shown: str, single_ink: frozenset[str] = frozenset()):
        self.doc, self.conv, self.shown = doc, conv, shown
        self.single_ink = single_ink  # '#RRGGBB' whose large areas print as their small-area colour (§6c)
        self.done: set[tuple[int, int]] = set()
        self._lexer: _Lexer | None = None
        self.separations: dict[str, Any] = {}  # spot ink name → its Separation colour space

    def spot_name(self, ink: tuple[str, tuple[float, ...]]) -> bytes:
        """The ColorSpace resource name of a spot ink in the stream being rewritten."""
        for key, known in self.spots_here.items():
            if known[0] == ink[0]:
                return key
        key = b"/PEspot%d" % len(self.spots_here)
        self.spots_here[key] = ink
        return key

    def separation(self, ink: str, alternate: tuple[float, ...]):
        """`[/Separation /NAME /DeviceCMYK tint→CMYK]`, one object per ink for the whole document."""
        import pikepdf

        if ink not in self.separations:
            self.separations[ink] = self.doc.make_indirect(
                pikepdf.Array(
                    [
                        pikepdf.Name.Separation,
                        pikepdf.Name("/" + ink),
                        pikepdf.Name.DeviceCMYK,
                        pikepdf.Dictionary(
                            FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[round(v, 4) for v in alternate], N=1
                        ),
                    ]
                )
            )
        return self.separations[ink]

    def error(self, what: str, where: str) -> PosterError:
        """`where`: the stream and, for content, the byte offset in its decoded data (e.g. 'page 1, content
        byte 42'), so that a developer can find the construct in cairo's PDF."""
        return fail(
            f"prepress: {where}: {what} is not supported by the CMYK converter; the file was not written", self.shown
        )

    def _once(self, obj) -> bool:
        key = obj.objgen
        if key == (0, 0):
            return True  # direct object: cannot be shared, always process
        if key in self.done:
            return False
        self.done.add(key)
        return True

    # --- content streams ---------------------------------------------------------------------------
    def stream(
        self, owner, ctm: Matrix, gray: bool = False, where: str = "page 1", resources=None, glyph: bool = False
    ) -> None:
        """Rewrite `owner`'s content (a page, a form, a pattern, a glyph) and everything it uses.

        `ctm`: the transformation to device space (points) where `owner` is painted; `gray`: inside a
        luminosity mask; `where`: how errors name this stream; `glyph`: a Type 3 glyph (text: never a
        large area). The fast path has no object per operand (pikepdf's parse/unparse cost 3x more on
        glyph-heavy pages, see README performance); the tokenizer runs only where it must.
        """
        import pikepdf

        if resources is None:
            resources = owner.get("/Resources")
        is_page = owner.get("/Type") == pikepdf.Name.Page
        data = content.data_of(owner)
        space = b"/DeviceGray" if is_page else INHERITED
        self.overprinted = False
        self.overprint_name = _free_name(resources, OVERPRINT_GS)
        self.spots_here: dict[bytes, tuple[str, tuple[float, ...]]] = {}
        plain = content.Plain.read(data, _OP_RE)
        try:
            if plain is None:
                raise _NotUnderstood()
            edits, uses = self._interpret(_Cut.of(plain), resources, ctm, gray, glyph, space, where, fast=True)
        except _NotUnderstood:
            self.overprinted = False
            self.spots_here = {}
            cut = _Cut.tokens(self._instructions(data, where))
            edits, uses = self._interpret(cut, resources, ctm, gray, glyph, space, where, fast=False)
        if self.spots_here:
            if resources is None:
                resources = owner.Resources = pikepdf.Dictionary()
            if "/ColorSpace" not in resources:
                resources.ColorSpace = pikepdf.Dictionary()
            for key, (ink, alternate) in self.spots_here.items():
                resources.ColorSpace[key.decode()] = self.separation(ink, alternate)
        if self.overprinted:
            if resources is None:
                resources = owner.Resources = pikepdf.Dictionary()
            if "/ExtGState" not in resources:
                resources.ExtGState = pikepdf.Dictionary()
            resources.ExtGState[self.overprint_name.decode()] = pikepdf.Dictionary(
                Type=pikepdf.Name.ExtGState, OP=True, op=True, OPM=1
            )
        if edits:
            out, last = [], 0
            for start, end, repl in sorted(edits, key=lambda e: (e[0], e[1])):
                out += [data[last:start], repl]
                last = end
            out.append(data[last:])
            content.write(self.doc, owner, b"".join(out))
        for kind, name, at in uses:
            if kind == b"Do":
                self.xobject(resources, name, at, gray, where)
            elif kind == b"sh":
                self.shading(resources["/Shading"][pikepdf.Name(name)], f"shading {name} in {where}")
            else:
                self.extgstate(resources["/ExtGState"][pikepdf.Name(name)], at, f"graphics state {name} in {where}")
        if resources is not None:
            for name, pattern in (resources.get("/Pattern") or {}).items():
                self.pattern(pattern, ctm, f"pattern {name} in {where}")
            for name, shading in (resources.get("/Shading") or {}).items():
                self.shading(shading, f"shading {name} in {where}")
            for name, font in (resources.get("/Font") or {}).items():
                self.font(font, resources, gray, f"font {name} in {where}")
        self.group(owner, gray)

    def _interpret(
        self,
        cut: _Cut,
        resources,
        ctm: Matrix,
        gray: bool,
        glyph: bool,
        space: bytes,
        where: str,
        fast: bool,
    ) -> tuple[list[_Edit], list[_Use]]:
        """What one content stream paints, in one pass: the byte edits that make its colours CMYK, and
        the resources it uses (operator, name, CTM there), processed once the stream is understood.

        `cut`: the fast path's reading of cairo's syntax (`content.SIMPLE`; anything it does not
        handle raises `_NotUnderstood`) or the tokenizer's (anything unsupported is a located error).
        A run of path operators is read at once; every other instruction through `cut.at`.
        """
        edits: list[_Edit] = []
        uses: list[_Use] = []
        stack: list[_State] = []
        st = _State(ctm, None, space, space)
        path_start: int | None = None
        clipped = False  # the current path is also a clipping path (W, W*): it cannot be wrapped in q … Q
        in_text = False  # between BT and ET, where q and Q are not allowed
        box = [0.0, 0.0, 0.0, 0.0]  # device-space box of the current subpath (points)
        large = False  # a finished subpath of the current path was a large area
        tracking = False  # measure the path only when its colour differs for large areas
        inf = float("inf")
        conv = self.conv

        def refuse(what: str, m) -> Exception:
            # The fast path never reports: it hands the stream to the tokenizer, which locates the problem.
            return _NotUnderstood() if fast else self.error(what, f"{where}, content byte {m.first}")

        def numbers(m, count: int | None) -> list[float]:
            try:
                values = [float(v) for v in m.group(1).split()]
            except ValueError:
                values = []
                count = -1
            if count is not None and len(values) != count:
                raise refuse(
                    f"the operator '{m.group(2).decode()}' with operands "
                    f"'{m.group(1).strip().decode(errors='replace')}'",
                    m,
                )
            return values

        def name(m) -> str:
            args = m.group(1).split()
            if len(args) != 1 or not args[0].startswith(b"/"):
                raise refuse(
                    f"the operator '{m.group(2).decode()}' with operands "
                    f"'{m.group(1).strip().decode(errors='replace')}'",
                    m,
                )
            return args[0].decode()

        def color_bytes(rgb, op: bytes, large: bool = False) -> bytes:
            """`op` is the operator to write: k/K for rg/RG, or the sc/scn family itself (its space was
            rewritten to DeviceCMYK or DeviceGray)."""
            if gray:  # luminosity mask: the colour's luminance is the mask value
                r, g, b = (v / 255 for v in rgb)
                op = {b"k": b"g", b"K": b"G"}.get(op, op)
                return b"%s %s" % (_fmt(0.2126 * r + 0.7152 * g + 0.0722 * b), op)
            ink = conv.spot(rgb) if op in (b"k", b"K") else None
            if ink is not None:  # a brand spot ink: its own plate (docs/print.md §6, rule 1)
                name = self.spot_name(ink)
                return b"%s %s 1 %s" % (name, b"cs" if op == b"k" else b"CS", b"scn" if op == b"k" else b"SCN")
            return b" ".join(_fmt(v) for v in conv.convert(rgb, large)) + b" " + op

        codes = cut.codes
        for k, after_run in steps(codes, PATH_OPS):
            op = codes[k]
            if op in PATH_OPS:  # a run of path operators, read at once
                if path_start is None:
                    path_start, large, clipped = cut.starts[k], False, False
                    tracking = (
                        not gray
                        and not glyph
                        and ((st.fill is not None and conv.has_large_variant(st.fill)) or st.fill_cmyk == K_ONLY)
                    )
                    box = [inf, inf, -inf, -inf]
                if tracking:  # the device-space box of each subpath, the whole run at once
                    ops = list(map(PATH_NAMES.__getitem__, codes[k:after_run]))  # ARITY's keys
                    try:
                        values = list(map(float, b" ".join(cut.args[k:after_run]).split()))
                    except ValueError:
                        values = []
                    if len(values) != sum(map(ARITY.__getitem__, ops)):
                        for j, o in enumerate(ops, k):  # refuses the first operator whose operands are not its numbers
                            numbers(cut.at(j), ARITY[o])
                    for n, (xs, ys) in enumerate(subpaths(ops, values)):
                        if n:  # a new subpath: judge the one before
                            large = large or (box[2] - box[0] >= LARGE_AREA_PT and box[3] - box[1] >= LARGE_AREA_PT)
                            box = [inf, inf, -inf, -inf]
                        if xs:
                            x0, y0, x1, y1 = box_of(st.ctm, xs, ys)
                            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
                continue
            m = cut.at(k)
            if op in PAINT_OPS:
                is_large = (
                    tracking
                    and op in FILL_OPS
                    and path_start is not None
                    and (large or box[2] - box[0] >= LARGE_AREA_PT and box[3] - box[1] >= LARGE_AREA_PT)
                )
                if (
                    is_large
                    and path_start is not None
                    and st.fill is not None
                    and conv.has_large_variant(st.fill)
                    and to_hex(st.fill) not in self.single_ink
                ):
                    # Colour may not change inside a path: set the large-area colour before it, restore after.
                    edits.append((path_start, path_start, color_bytes(st.fill, b"k", large=True) + b"\n"))
                    edits.append((m.end(2), m.end(2), b"\n" + color_bytes(st.fill, b"k")))
                elif (
                    path_start is not None
                    and not is_large
                    and not (gray or glyph or clipped or in_text)
                    and op != b"n"
                    and (op not in FILL_OPS or st.fill_cmyk == K_ONLY)
                    and (op not in STROKE_OPS or (st.stroke_cmyk == K_ONLY and _width(st) <= OVERPRINT_STROKE_PT))
                ):
                    # 100 % K text and thin rules overprint (docs/print.md §6a); q … Q keeps it to this path.
                    edits.append((path_start, path_start, b"q " + self.overprint_name + b" gs\n"))
                    edits.append((m.end(2), m.end(2), b"\nQ"))
                    self.overprinted = True
                path_start, tracking = None, False
            elif op == b"W" or op == b"W*":
                clipped = True
            elif op == b"w":
                (st.line_width,) = numbers(m, 1)
            elif op == b"BT" or op == b"ET":
                in_text = op == b"BT"
            elif op == b"rg" or op == b"RG":
                rgb = _rgb8(numbers(m, 3))
                cmyk = None if gray else conv.convert(rgb)
                if op == b"rg":
                    st.fill, st.fill_space, st.fill_cmyk = rgb, RGB, cmyk
                else:
                    st.stroke_space, st.stroke_cmyk = RGB, cmyk
                edits.append((m.start(1), m.end(2), color_bytes(rgb, b"k" if op == b"rg" else b"K")))
            elif op == b"q":
                stack.append(st.copy())
            elif op == b"Q":
                st = stack.pop() if stack else _State(ctm, None, space, space)
            elif op == b"cm":
                st.ctm = concat(tuple(numbers(m, 6)), st.ctm)  # type: ignore[arg-type]
            elif op == b"g" or op == b"k":
                st.fill, st.fill_space = None, b"/DeviceGray" if op == b"g" else b"/DeviceCMYK"
                st.fill_cmyk = tuple(numbers(m, 4)) if op == b"k" else None
            elif op == b"G" or op == b"K":
                st.stroke_space = b"/DeviceGray" if op == b"G" else b"/DeviceCMYK"
                st.stroke_cmyk = tuple(numbers(m, 4)) if op == b"K" else None
            elif op == b"cs" or op == b"CS":
                cs = self._space(name(m).encode(), resources, m, refuse)
                if cs == RGB:  # the values that follow are converted: say which space they are in now
                    edits.append((m.start(1), m.end(2), b"/DeviceGray " + op if gray else b"/DeviceCMYK " + op))
                if op == b"cs":
                    # A new space's initial colour: black in DeviceRGB (rewritten as K-only black, the
                    # initial colour of DeviceCMYK), none that the large-area rule knows otherwise.
                    st.fill, st.fill_space, st.fill_cmyk = ((0, 0, 0) if cs == RGB else None), cs, None
                else:
                    st.stroke_space, st.stroke_cmyk = cs, None
            elif op in SET_COLOR_OPS:
                stroke = op == b"SC" or op == b"SCN"
                cs = st.stroke_space if stroke else st.fill_space
                if cs == RGB:
                    rgb = _rgb8(numbers(m, 3))
                    cmyk = None if gray else conv.convert(rgb)
                    if not stroke:
                        st.fill, st.fill_cmyk = rgb, cmyk
                    else:
                        st.stroke_cmyk = cmyk
                    edits.append((m.start(1), m.end(2), color_bytes(rgb, op)))
                elif not stroke:
                    st.fill, st.fill_cmyk = None, None
                else:
                    st.stroke_cmyk = None
                if cs == INHERITED and not m.group(1).strip().startswith(b"/"):
                    raise refuse(
                        f"the colour operator '{op.decode()}' in a colour space set outside its content stream", m
                    )
            elif op == b"Do" or op == b"sh" or op == b"gs":
                uses.append((op, name(m), st.ctm))
            elif op == b"BI":
                if fast:
                    raise _NotUnderstood()
                self._inline_image(m, refuse)
        return edits, uses

    def _space(self, cs: bytes, resources, m, refuse) -> bytes:
        """The colour space `cs` names (a device space, or a resource naming one), as the state keeps it.

        Other spaces (ICC-based, calibrated, Lab, indexed, separations...) are refused: their values
        are not sRGB, and converting them as if they were would be a guess.
        """
        import pikepdf

        entry = None
        if cs not in PASS_SPACES and cs != b"/DeviceRGB" and resources is not None:
            entry = (resources.get("/ColorSpace") or {}).get(cs.decode(errors="replace"))
            if isinstance(entry, pikepdf.Name):
                cs = bytes(str(entry), "ascii")  # a resource naming a device space: that space
        if cs in PASS_SPACES:
            return cs
        if cs == b"/DeviceRGB":
            return RGB
        shown = cs.decode(errors="replace")
        if isinstance(entry, pikepdf.Array) and len(entry) and isinstance(entry[0], pikepdf.Name):
            family = str(entry[0])[1:]
            if family == "ICCBased" and len(entry) > 1:
                shown += f" (ICCBased, {entry[1].get('/N')} components)"
            else:
                shown += f" ({family})"
        raise refuse(f"the colour space {shown}", m)

    def _inline_image(self, m: _Instr, refuse) -> None:
        """Inline images pass when they print as they are (grey, CMYK, stencil masks); RGB is refused."""
        ops = m.operands
        entries = dict(zip(ops[0::2], ops[1::2]))
        mask = entries.get(b"/IM", entries.get(b"/ImageMask"))
        cs = entries.get(b"/CS", entries.get(b"/ColorSpace"))
        if mask == b"true" or cs in (b"/G", b"/DeviceGray", b"/CMYK", b"/DeviceCMYK"):
            return
        shown = "none" if cs is None else " ".join(cs.decode(errors="replace").split())[:40]
        raise refuse(f"an inline image in colour space {shown}", m)

    def _instructions(self, data: bytes, where: str) -> list[_Instr]:
        """`data` cut into instructions by qpdf's lexer; syntax it flags as bad is a located error."""
        import pikepdf

        if self._lexer is None:
            self._lexer = _Lexer()
        T = pikepdf.TokenType
        instrs: list[_Instr] = []
        operands: list[tuple[int, int]] = []  # byte spans of the operands read since the last operator
        nesting: list[Any] = []  # open arrays and dictionaries
        composite_start = 0
        image_start: int | None = None  # inside BI … ID … EI
        image_data = False  # its ID seen: the data token and EI follow
        offset = 0
        opens = {T.array_open: T.array_close, T.dict_open: T.dict_close}

        def bad(raw: bytes, at: int) -> PosterError:
            return fail(
                f"prepress: {where}, content byte {at}: {raw[:20]!r} is not PDF syntax; the file was not written",
                self.shown,
            )

        for kind, raw in self._lexer.tokens(data):
            at = offset
            offset += len(raw)
            if kind == T.bad or kind == T.brace_open or kind == T.brace_close:
                raise bad(raw, at)
            if kind in opens:
                if not nesting:
                    composite_start = at
                nesting.append(opens[kind])
            elif kind == T.array_close or kind == T.dict_close:
                if not nesting or nesting.pop() != kind:
                    raise bad(raw, at)
                if not nesting:
                    operands.append((composite_start, offset))
            elif nesting or kind in (T.space, T.comment, T.eof):
                continue  # inside an array or a dictionary: part of that operand
            elif kind == T.inline_image:
                if not image_data:
                    raise bad(raw, at)
            elif kind == T.word and not _EXPONENT.fullmatch(raw):
                if image_start is not None and raw not in (b"ID", b"EI"):
                    raise bad(raw, at)
                if raw == b"BI":
                    image_start, operands = at, []
                    continue
                if raw == b"ID" and image_start is not None:
                    if image_data:
                        raise bad(raw, at)
                    image_data = True  # the image's dictionary is complete; its data token follows
                    continue
                first = operands[0][0] if operands else at
                if raw == b"EI" and image_start is not None:
                    if not image_data:
                        raise bad(raw, at)
                    raw, first, image_start, image_data = b"BI", image_start, None, False
                spans = [data[s:e] for s, e in operands]
                instrs.append(_Instr(b" ".join(spans), raw, first, offset, spans))
                operands = []
            else:
                operands.append((at, offset))  # a number, name, string, boolean, null, or exponent number
        if nesting or image_start is not None:
            opened = composite_start if nesting else image_start  # never closed: say where it opened
            assert opened is not None
            raise bad(data[opened:], opened)
        return instrs

    def font(self, font, resources, gray: bool, where: str) -> None:
        """Type 3 glyphs are content streams too (`d0` glyphs set their own colours). A font without
        resources of its own uses those of the stream that shows it (ISO 32000-1 §9.6.5)."""
        if font.get("/Subtype") != "/Type3" or not self._once(font):
            return
        own = font.get("/Resources")
        for name, proc in font.CharProcs.items():
            if self._once(proc):
                self.stream(
                    proc, IDENTITY, gray, f"glyph {name} of {where}", own if own is not None else resources, glyph=True
                )

    def group(self, owner, gray: bool) -> None:
        import pikepdf

        grp = owner.get("/Group")
        if grp is not None and grp.get("/CS") == pikepdf.Name.DeviceRGB:
            grp.CS = pikepdf.Name.DeviceGray if gray else pikepdf.Name.DeviceCMYK

    def xobject(self, resources, name: str, ctm: Matrix, gray: bool, where: str) -> None:
        import pikepdf

        xobj = resources["/XObject"][pikepdf.Name(name)]
        if xobj.Subtype == "/Form":
            if self._once(xobj):
                matrix = tuple(float(v) for v in xobj.get("/Matrix", IDENTITY))
                self.stream(xobj, concat(matrix, ctm), gray, f"form {name} in {where}")  # type: ignore[arg-type]
        elif xobj.Subtype == "/Image" and self._once(xobj):
            self.image(xobj, f"image {name} in {where}")

    def extgstate(self, gs, ctm: Matrix, where: str) -> None:
        smask = gs.get("/SMask")
        if smask is None or not hasattr(smask, "get"):
            return  # /None or absent
        form = smask.get("/G")
        if form is not None and self._once(form):
            # Luminosity masks are computed in their group's colour space: keep them grey, never CMYK.
            self.stream(form, ctm, gray=smask.get("/S") == "/Luminosity", where=f"soft mask of {where}")

    def pattern(self, pattern, ctm: Matrix, where: str) -> None:
        if not self._once(pattern):
            return
        if pattern.get("/PatternType") == 1:
            self.stream(pattern, ctm, where=where)
        elif pattern.get("/PatternType") == 2:
            self.shading(pattern.Shading, where)

    # --- images and shadings -----------------------------------------------------------------------
    def image(self, xobj, where: str) -> None:
        import pikepdf

        cs = xobj.get("/ColorSpace")
        if cs in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceCMYK) or xobj.get("/ImageMask"):
            return
        if cs != pikepdf.Name.DeviceRGB or xobj.get("/BitsPerComponent") != 8:
            raise self.error(f"an image in colour space {cs} ({xobj.get('/BitsPerComponent')} bits)", where)
        jpeg = _cmyk_jpeg(self.conv, xobj)
        # Pillow writes Adobe-inverted CMYK JPEG, hence the Decode array.
        xobj.write(jpeg, filter=pikepdf.Name.DCTDecode)
        xobj.ColorSpace = pikepdf.Name.DeviceCMYK
        xobj.Decode = pikepdf.Array([1, 0, 1, 0, 1, 0, 1, 0])
        for key in ("/DecodeParms",):
            if key in xobj:
                del xobj[key]

    def shading(self, shading, where: str) -> None:
        import pikepdf

        if not self._once(shading) or shading.get("/ColorSpace") != pikepdf.Name.DeviceRGB:
            if shading.get("/ColorSpace") not in (
                pikepdf.Name.DeviceRGB,
                pikepdf.Name.DeviceCMYK,
                pikepdf.Name.DeviceGray,
                None,
            ):
                raise self.error(f"a shading in colour space {shading.get('/ColorSpace')}", where)
            return
        if shading.get("/ShadingType") not in (2, 3):
            raise self.error(f"shading type {shading.get('/ShadingType')}", where)
        t0, t1 = (float(v) for v in shading.get("/Domain", [0, 1]))
        fn = shading.Function
        samples = bytearray()
        for i in range(SHADING_SAMPLES):
            t = t0 + (t1 - t0) * i / (SHADING_SAMPLES - 1)
            rgb = tuple(max(0, min(255, round(v * 255))) for v in _eval_function(fn, t))
            samples.extend(round(v * 255) for v in self.conv.convert_tone(rgb))  # type: ignore[arg-type]
        # Sampled colorimetrically through the profile, not interpolated between two CMYK ends.
        sampled = pikepdf.Stream(
            self.doc,
            bytes(samples),
            FunctionType=0,
            Domain=[t0, t1],
            Size=[SHADING_SAMPLES],
            BitsPerSample=8,
            Range=[0, 1, 0, 1, 0, 1, 0, 1],
        )
        shading.Function = sampled
        shading.ColorSpace = pikepdf.Name.DeviceCMYK


_CMYK_JPEGS: dict[tuple[bytes, int], bytes] = {}  # (sha256 of the image and mask streams, converter id) → JPEG
JPEG_BLOCK = 8  # pixels: a CMYK JPEG's blocks, with no chroma subsampling, each coded on its own


def _cmyk_jpeg(conv: ColorConverter, xobj) -> bytes:
    """An RGB image XObject → CMYK JPEG bytes, memoised on the image's bytes: the same photo crop
    in another language or a rebuild is converted once per process (pure function of its input).
    An image with a soft mask (a transparent PNG visual) keeps its /SMask as cairo wrote it; only
    its hidden colour is filled first (`_fill_hidden`)."""
    import pikepdf

    smask = xobj.get("/SMask")
    digest = hashlib.sha256(xobj.read_raw_bytes())
    if smask is not None:
        digest.update(smask.read_raw_bytes())
    key = (digest.digest(), id(conv))
    jpeg = _CMYK_JPEGS.get(key)
    if jpeg is None:

        def convert() -> bytes:
            rgb = pikepdf.PdfImage(xobj).as_pil_image(apply_mask=False).convert("RGB")
            if smask is not None:
                rgb = _fill_hidden(rgb, pikepdf.PdfImage(smask).as_pil_image().convert("L"))
            return jpeg_within_limit(conv.convert_image(rgb), conv.limit)

        # On disk too, for other processes and runs: keyed by the image, the profile, its settings,
        # and the code and Pillow that convert (project/workcache.py).
        jpeg = cached("cmyk-jpeg", (digest.hexdigest(), *_converter_key(conv)), convert)
        if len(_CMYK_JPEGS) >= 16:
            _CMYK_JPEGS.pop(next(iter(_CMYK_JPEGS)))
        _CMYK_JPEGS[key] = jpeg
    return jpeg


@lru_cache(maxsize=4)
def _converter_key(conv: ColorConverter) -> tuple[str, ...]:
    import PIL
    from PIL import ImageCms

    from poster_engine.export.print import colors

    return (
        hashlib.sha256(conv.icc_bytes).hexdigest(),
        repr(conv.profile),
        PIL.__version__,
        ImageCms.core.littlecms_version or "",
        source_digest(__file__, colors.__file__),
    )


def _fill_hidden(rgb, alpha):
    """The colour of fully transparent pixels → the mean colour of the visible pixels of their JPEG
    block. Cairo stores black under alpha 0; a block that holds a mask edge would otherwise ring
    between that black and the visible colour, a dark halo inside the edge (measured on a yellow disc:
    up to 15 % K on visible pixels). Only blocks with both kinds of pixels change: no visible pixel
    depends on a block with nothing visible, and a block with nothing hidden has nothing to fill."""
    import numpy as np
    from PIL import Image

    if alpha.size != rgb.size:
        return rgb
    n = JPEG_BLOCK
    w, h = rgb.size
    pw, ph = -w % n, -h % n  # pad to whole blocks
    seen = np.pad(np.asarray(alpha) > 0, ((0, ph), (0, pw)))
    grid = (seen.shape[0] // n, n, seen.shape[1] // n, n)
    count = seen.reshape(grid).sum(axis=(1, 3))
    by, bx = np.nonzero((count > 0) & (count < n * n))
    if not len(by):
        return rgb
    pixels = np.pad(np.asarray(rgb), ((0, ph), (0, pw), (0, 0)))
    blocks = pixels.reshape(*grid, 3).transpose(0, 2, 1, 3, 4)  # (rows, columns, n, n, RGB), a view
    visible = seen.reshape(grid).transpose(0, 2, 1, 3)[by, bx][..., None]
    mixed = blocks[by, bx].astype(np.uint32)
    mean = (mixed * visible).sum(axis=(1, 2)) // count[by, bx][:, None]
    blocks[by, bx] = np.where(visible, mixed, mean[:, None, None, :]).astype(np.uint8)
    return Image.fromarray(pixels[:h, :w], "RGB")


def jpeg_within_limit(cmyk, limit: float, quality: int = JPEG_QUALITY) -> bytes:
    """A CMYK Pillow image → JPEG bytes whose decoded pixels keep C+M+Y+K ≤ `limit` (fraction) less
    `JPEG_INK_MARGIN`: the blocks that ringing pushes over are lowered in C, M and Y and encoded again.
    Memory: one decoded copy and one 16-bit total at a time (an A0 photo poster stays under 500 MB)."""
    import numpy as np
    from PIL import Image

    w, h = cmyk.size
    ceiling = round(limit * 255) - JPEG_INK_MARGIN
    source, pixels = cmyk, None
    for round_ in range(JPEG_INK_ROUNDS + 1):
        buf = io.BytesIO()
        source.save(buf, "JPEG", quality=quality)
        with Image.open(io.BytesIO(buf.getvalue())) as decoded:  # Pillow undoes its Adobe inversion
            plates = np.frombuffer(decoded.tobytes(), np.uint8).reshape(h, w, 4)
        # channel by channel, in place: numpy's sum over the last axis is several times slower
        over = plates[..., 0].astype(np.int16)
        for plate in (1, 2, 3):
            over += plates[..., plate]
        over -= ceiling
        del plates
        if over.max() <= 0:
            return buf.getvalue()
        if round_ == JPEG_INK_ROUNDS:
            break
        if pixels is None:
            pixels = np.array(cmyk)  # uint8, H × W × 4: the copy the corrections are made in
        # The largest overshoot of each 8 × 8 block, spread over the block's pixels as ink to remove
        # (more each round: quantisation does not scale exactly with the content).
        padded = np.pad(over, ((0, -h % 8), (0, -w % 8)), constant_values=-1)
        del over
        worst = padded.reshape(padded.shape[0] // 8, 8, padded.shape[1] // 8, 8).max(axis=(1, 3))
        del padded
        rows, cols = np.nonzero(worst > 0)
        for r, c in zip(rows.tolist(), cols.tolist()):
            block = pixels[8 * r : 8 * r + 8, 8 * c : 8 * c + 8]
            cmy = block[..., :3].astype(np.float32)
            drop = (int(worst[r, c]) + 2) * (1 + round_ / 2)
            keep = np.clip(1 - drop / np.maximum(cmy.sum(axis=2), 1), 0, 1)
            block[..., :3] = np.floor(cmy * keep[..., None]).astype(np.uint8)
        source = Image.fromarray(pixels, "CMYK")
    raise fail(
        f"prepress: a photo stays over the {limit * 100:g} % ink limit after JPEG encoding; the file was not written"
    )


def _eval_function(fn, t: float) -> list[float]:
    """Evaluate the PDF function types cairo writes for gradients (2: exponential, 3: stitching)."""
    kind = int(fn.FunctionType)
    if kind == 2:
        c0 = [float(v) for v in fn.get("/C0", [0])]
        c1 = [float(v) for v in fn.get("/C1", [1])]
        n = float(fn.get("/N", 1))
        x = max(0.0, t) ** n
        return [a + x * (b - a) for a, b in zip(c0, c1)]
    if kind == 3:
        d0, d1 = (float(v) for v in fn.Domain)
        t = min(max(t, d0), d1)
        bounds = [float(v) for v in fn.Bounds]
        encode = [float(v) for v in fn.Encode]
        i = next((k for k, b in enumerate(bounds) if t < b), len(bounds))
        lo = d0 if i == 0 else bounds[i - 1]
        hi = d1 if i == len(bounds) else bounds[i]
        e0, e1 = encode[2 * i], encode[2 * i + 1]
        u = e0 if hi == lo else e0 + (t - lo) * (e1 - e0) / (hi - lo)
        return _eval_function(fn.Functions[i], u)
    raise fail(f"prepress: PDF function type {kind} in a gradient is not supported")


def _deisolate(doc) -> None:
    """Transparency groups made non-isolated and non-knockout, so that black overprints what lies
    outside them (docs/print.md §6a): an isolated group composites its content over nothing first,
    and its black then knocks out the plates beneath. With only the Normal blend mode in the file,
    isolation changes nothing else (ISO 32000-1 §11.4.7); a file with other blend modes is left alone."""
    import pikepdf

    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/ExtGState":
            mode = obj.get("/BM")
            modes = list(mode) if isinstance(mode, pikepdf.Array) else [mode]
            if any(m is not None and m not in ("/Normal", "/Compatible") for m in modes):
                return
    for obj in doc.objects:
        group = obj.get("/Group") if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) else None
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            for key in ("/I", "/K"):
                if key in group:
                    del group[key]
    for page in doc.pages:
        group = page.obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            for key in ("/I", "/K"):
                if key in group:
                    del group[key]


def _crop_marks(doc, page, trim: list[float], bleed_pt: float) -> None:
    """Crop marks in the registration colour (all plates), outside the bleed, in a slug around it."""
    import pikepdf

    x0, y0, x1, y1 = trim
    start, length = bleed_pt + MARK_OFFSET_MM * PT_PER_MM, MARK_LENGTH_MM * PT_PER_MM
    lines = []
    for x in (x0, x1):
        for y, sign in ((y0, -1), (y1, 1)):
            lines.append(f"{x:.3f} {y + sign * start:.3f} m {x:.3f} {y + sign * (start + length):.3f} l S")
    for y in (y0, y1):
        for x, sign in ((x0, -1), (x1, 1)):
            lines.append(f"{x + sign * start:.3f} {y:.3f} m {x + sign * (start + length):.3f} {y:.3f} l S")
    all_cs = pikepdf.Array(
        [
            pikepdf.Name.Separation,
            pikepdf.Name.All,
            pikepdf.Name.DeviceCMYK,
            pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1),
        ]
    )
    resources = page.obj.Resources
    if "/ColorSpace" not in resources:
        resources.ColorSpace = pikepdf.Dictionary()
    resources.ColorSpace.CSReg = all_cs
    # The marks are drawn in the page's default space and graphics state: whatever the page's content
    # leaves set at its end (cairo leaves its y-flip `cm`; a dash, an opacity...) is saved before it
    # and restored after it.
    page.contents_add(doc.make_stream(b"q\n"), prepend=True)
    marks = "Q q /CSReg CS 1 SCN 0.25 w 0 J " + " ".join(lines) + " Q"
    page.contents_add(doc.make_stream(marks.encode()), prepend=False)


def _metadata(doc, title: str, timestamp: datetime, flavour: str) -> None:
    """Info and XMP in sync, dates fixed for reproducible files. PDF/X-4 is identified in XMP (the
    `pdfxid` namespace); X-1a:2003 and X-3:2003 in Info (GTS_PDFXVersion, and GTS_PDFXConformance for
    X-1a), repeated in XMP's Adobe `pdfx` namespace as Acrobat writes it."""
    import pikepdf

    date = timestamp.strftime("D:%Y%m%d%H%M%SZ")
    iso = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    doc_id = uuid.UUID(bytes=hashlib.sha256(f"{title}|{iso}".encode()).digest()[:16], version=4)
    with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta.register_xml_namespace("http://www.npes.org/pdfx/ns/id/", "pdfxid")
        meta["dc:title"] = title
        meta["pdf:Producer"] = "poster-engine"
        meta["xmp:CreatorTool"] = "poster-engine"
        meta["pdf:Trapped"] = "False"
        meta["xmp:CreateDate"] = iso
        meta["xmp:ModifyDate"] = iso
        meta["xmp:MetadataDate"] = iso
        meta["xmpMM:DocumentID"] = f"uuid:{doc_id}"
        meta["xmpMM:InstanceID"] = f"uuid:{doc_id}"
        meta["xmpMM:VersionID"] = "1"
        meta["xmpMM:RenditionClass"] = "default"
        if flavour == "PDF/X-4":
            meta["{http://www.npes.org/pdfx/ns/id/}GTS_PDFXVersion"] = flavour
        else:
            meta.register_xml_namespace("http://ns.adobe.com/pdfx/1.3/", "pdfx")
            meta["{http://ns.adobe.com/pdfx/1.3/}GTS_PDFXVersion"] = flavour
            if flavour.startswith("PDF/X-1a"):
                meta["{http://ns.adobe.com/pdfx/1.3/}GTS_PDFXConformance"] = flavour
    info = doc.docinfo
    info.Title = title
    info.Producer = "poster-engine"
    info.Creator = "poster-engine"
    info.CreationDate = date
    info.ModDate = date
    info.Trapped = pikepdf.Name("/False")
    info.GTS_PDFXVersion = flavour
    if flavour.startswith("PDF/X-1a"):
        info.GTS_PDFXConformance = flavour


def _output_intent(doc, conv: ColorConverter) -> None:
    import pikepdf

    p = conv.profile
    icc = pikepdf.Stream(doc, b"")
    # Compressed once per process: recompressing the 1 MB profile was a third of the post-processing.
    icc.write(_compressed(conv.icc_bytes), filter=pikepdf.Name.FlateDecode)
    icc.N = 4
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=p.output_condition_identifier,
        OutputCondition=p.output_condition,
        RegistryName="http://www.color.org",
        Info=_icc_description(conv.icc_bytes),
        DestOutputProfile=icc,
    )
    doc.Root.OutputIntents = pikepdf.Array([intent])


# zlib's level for the OutputIntent's profile: its default, as qpdf compresses every other stream.
# Level 9 made the demo's 1 MB profile 4.6 KB smaller (0.2 % of an A3 photo PDF) in 205 ms
# instead of 41, in every cold process's serial start (docs/performance.md §21).
ICC_FLATE_LEVEL = 6


@lru_cache(maxsize=4)
def _compressed(data: bytes) -> bytes:
    """The ICC profile Flate-compressed for the OutputIntent, made once across processes and runs
    through the work cache, keyed by the profile's bytes, zlib's version and the level (the same
    input and version give the same bytes). An entry that does not inflate back to the profile is
    made again."""
    import hashlib

    from poster_engine.project.workcache import cached

    key = (hashlib.sha256(data).hexdigest(), zlib.ZLIB_RUNTIME_VERSION, ICC_FLATE_LEVEL)
    flate = cached("icc-flate", key, lambda: zlib.compress(data, ICC_FLATE_LEVEL))
    try:
        if zlib.decompress(flate) == data:
            return flate
    except zlib.error:
        pass
    return zlib.compress(data, ICC_FLATE_LEVEL)


@lru_cache(maxsize=4)
def _icc_description(icc: bytes) -> str:
    from PIL import ImageCms

    return (ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.profile_description or "").strip()


def make_print_pdf(
    pdf: bytes,
    trim_mm: tuple[float, float],
    bleed_mm: float,
    title: str,
    timestamp: datetime,
    settings: PrintSettings,
    shown: str = "",
    single_ink: frozenset[str] = frozenset(),
) -> bytes:
    """Cairo's PDF (page = trim + bleed) → PDF/X-4 in CMYK for `settings`' profile."""
    import pikepdf

    conv = converter_for(settings)
    profile = settings.profile
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        flatten.composite_flat(doc)  # constant opacity over flat colour → opaque colour (§3a)
        rewriter = _Rewriter(doc, conv, shown, single_ink)
        b = bleed_mm * PT_PER_MM
        w, h = trim_mm[0] * PT_PER_MM, trim_mm[1] * PT_PER_MM
        for number, page in enumerate(doc.pages, 1):
            rewriter.stream(page.obj, IDENTITY, where=f"page {number}")
            trim = [b, b, w + b, h + b]
            slug = SLUG_MM * PT_PER_MM if settings.profile.crop_marks else 0.0
            page.obj.MediaBox = pikepdf.Array([-slug, -slug, w + 2 * b + slug, h + 2 * b + slug])
            page.obj.BleedBox = pikepdf.Array([0, 0, w + 2 * b, h + 2 * b])
            page.obj.TrimBox = pikepdf.Array(trim)
            for key in ("/CropBox", "/ArtBox"):
                if key in page.obj:
                    del page.obj[key]
            if settings.profile.crop_marks:
                _crop_marks(doc, page, trim, b)
        if profile.pdfx == "4":
            _deisolate(doc)
        else:  # PDF/X-1a, X-3: no transparency at all (§3a)
            flatten.rasterise_rest(doc, profile.min_ppi_for(max(trim_mm) >= LARGE_FORMAT_MM), shown)
        _output_intent(doc, conv)
        _metadata(doc, title, timestamp, profile.pdf_flavour)
        out = io.BytesIO()
        doc.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            # X-4 is based on PDF 1.6; X-1a:2003 and X-3:2003 on PDF 1.4, which has no object streams.
            force_version="1.6" if profile.pdfx == "4" else "1.4",
            object_stream_mode=pikepdf.ObjectStreamMode.generate
            if profile.pdfx == "4"
            else pikepdf.ObjectStreamMode.disable,
        )
        return out.getvalue()


def warm_up(settings: PrintSettings) -> None:
    """What every print job of `settings` builds first and then shares: pikepdf, the ICC transform,
    the photo lookup table and the profile compressed for the OutputIntent. Called before a pool is
    forked, so workers inherit them (render/job.py, warm_up)."""
    import pikepdf  # noqa: F401

    conv = converter_for(settings)
    conv.warm_up()
    _compressed(conv.icc_bytes)
