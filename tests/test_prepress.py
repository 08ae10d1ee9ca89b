"""The prepress step (cairo's RGB PDF → CMYK PDF/X-4), read back by independent tools.

The content-stream rewriter meets real PDF syntax: small PDFs whose page content is written by
hand in DeviceRGB go through `make_print_pdf`; the result is re-parsed by pikepdf (operators and
operands must be those of the input, with each `rg`/`RG` replaced by the converted `k`/`K`) and
drawn by Ghostscript (the same shapes as the input, in close colours). Crop marks are read back
with mutool and Ghostscript.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pytest
from conftest import ROOT
from fontTools.ttLib import TTFont
from PIL import Image

from poster_engine.core.diagnostics import PosterError
from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.print import prepress
from poster_engine.export.print.colors import converter_for
from poster_engine.export.print.prepress import make_print_pdf
from poster_engine.project.print_profiles import PRESETS, select_print_settings

PT_PER_MM = 72 / 25.4
STAMP = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
FONT = ROOT / "fonts" / "league-spartan" / "LeagueSpartan-Bold.otf"
SETTINGS = {name: select_print_settings(ROOT, PRESETS, {}, name) for name in ("fogra39", "fogra39-marks")}
REFUSED = "is not supported by the CMYK converter; the file was not written"


# --- building and reading PDFs ---------------------------------------------------------------------
def _font(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
    """League Spartan Bold embedded as a simple font (WinAnsi, OpenType/CFF in FontFile3)."""
    font = TTFont(FONT)
    scale = 1000 / font["head"].unitsPerEm
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    widths = [round(hmtx[cmap[c]][0] * scale) if c in cmap else 0 for c in range(32, 127)]
    program = doc.make_stream(FONT.read_bytes(), Subtype=pikepdf.Name.OpenType)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/LeagueSpartan-Bold"),
        Flags=32,
        FontBBox=[-100, -300, 1200, 1000],
        ItalicAngle=0,
        Ascent=800,
        Descent=-200,
        CapHeight=700,
        StemV=120,
        FontFile3=program,
    )
    return doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name("/LeagueSpartan-Bold"),
            FirstChar=32,
            LastChar=126,
            Widths=widths,
            Encoding=pikepdf.Name.WinAnsiEncoding,
            FontDescriptor=descriptor,
        )
    )


def _rgb_pdf(
    content: bytes,
    resources: Callable[[pikepdf.Pdf], pikepdf.Dictionary] | None = None,
    size_pt: tuple[float, float] = (200, 150),
) -> bytes:
    """A one-page PDF whose content is `content`, as cairo would hand it over (no page boxes but the media box)."""
    doc = pikepdf.new()
    page = doc.add_blank_page(page_size=size_pt)
    page.obj.Contents = doc.make_stream(content)
    page.obj.Resources = resources(doc) if resources else pikepdf.Dictionary()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _to_print(pdf: bytes, profile: str = "fogra39", bleed_mm: float = 0.0) -> bytes:
    """`make_print_pdf` on a page whose size is trim + 2 × bleed (mm)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        _, _, w, h = (float(v) for v in doc.pages[0].mediabox)
    trim = (w / PT_PER_MM - 2 * bleed_mm, h / PT_PER_MM - 2 * bleed_mm)
    return make_print_pdf(pdf, trim, bleed_mm, "test", STAMP, SETTINGS[profile], "posters/test.yaml")


def _content(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        contents = doc.pages[0].obj.Contents
        parts = contents if isinstance(contents, pikepdf.Array) else [contents]
        return b"\n".join(p.read_bytes() for p in parts)


def _norm(obj: Any) -> Any:
    """pikepdf operands → plain Python values that compare by meaning (1 == 1.0, names as text)."""
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, (int, float, Decimal)):
        return float(obj)
    if isinstance(obj, pikepdf.PdfInlineImage):
        return ("inline image", dict(_norm(obj.obj)), obj.read_raw_bytes())
    if isinstance(obj, pikepdf.Name):
        return str(obj)
    if isinstance(obj, pikepdf.String):
        return bytes(obj)
    if isinstance(obj, pikepdf.Array):
        return [_norm(v) for v in obj]
    if isinstance(obj, pikepdf.Dictionary):
        return {k: _norm(v) for k, v in obj.items()}
    if isinstance(obj, pikepdf.Operator):
        return str(obj)
    raise AssertionError(f"unexpected operand {obj!r}")


def _ops(stream: pikepdf.Object) -> list[tuple[str, list]]:
    """Operators and operands of a content stream, as pikepdf's own parser reads them."""
    return [(str(i.operator), [_norm(o) for o in i.operands]) for i in pikepdf.parse_content_stream(stream)]


def _page_ops(pdf: bytes) -> list[tuple[str, list]]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return _ops(doc.pages[0])


def _merge_exponents(ops: list[tuple[str, list]]) -> list[tuple[str, list]]:
    """pikepdf reads '2e-1' as an operator; read it as the number it spells, an operand of the next one."""
    out: list[tuple[str, list]] = []
    pending: list = []
    for op, args in ops:
        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", op):
            pending += args + [float(op)]
        else:
            out.append((op, pending + args))
            pending = []
    return out


def _converted(ops: list[tuple[str, list]], profile: str = "fogra39") -> list[tuple[str, list]]:
    """What the rewriter must turn `ops` into: each rg/RG → k/K of the converter's CMYK, nothing else."""
    conv = converter_for(SETTINGS[profile])
    out = []
    for op, args in ops:
        if op in ("rg", "RG"):
            rgb = tuple(max(0, min(255, round(v * 255))) for v in args)
            out.append(("k" if op == "rg" else "K", list(conv.convert(rgb))))  # type: ignore[arg-type]
        else:
            out.append((op, args))
    return out


def _assert_same_ops(got: list[tuple[str, list]], expected: list[tuple[str, list]]) -> None:
    """Same operators and operands; numbers equal to the 4 decimals prepress writes colours with."""
    assert [op for op, _ in got] == [op for op, _ in expected]
    for (op, a), (_, b) in zip(got, expected):
        assert len(a) == len(b), op
        for x, y in zip(a, b):
            if isinstance(x, float) and isinstance(y, float):
                assert x == pytest.approx(y, abs=5e-5), op
            else:
                assert x == y, op


def _render(pdf: bytes, tmp_path: Path, name: str, dpi: int = 72, device: str = "png16m", *extra: str) -> np.ndarray:
    """Ghostscript's raster of page 1 (png16m: RGB, CMYK converted through the PDF's output intent;
    tiff32nc: CMYK plates, 0..255 each)."""
    src, out = tmp_path / f"{name}.pdf", tmp_path / f"{name}.{'tif' if device == 'tiff32nc' else 'png'}"
    src.write_bytes(pdf)
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            f"-sDEVICE={device}",
            f"-r{dpi}",
            "-dUsePDFX3Profile",
            *extra,
            "-o",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    with Image.open(out) as im:
        return np.asarray(im, dtype=np.int32)


def _assert_looks_the_same(before: np.ndarray, after: np.ndarray) -> None:
    """Same shapes (the same pixels are painted) in close colours: sRGB → FOGRA39 → sRGB moves
    in-gamut colours by a few levels, saturated ones more (a bright green by up to 80/255); a
    missing, swapped or inverted plate moves everything by far more."""
    assert before.shape == after.shape
    painted_before, painted_after = (before < 250).any(axis=2), (after < 250).any(axis=2)
    assert painted_before.sum() > 500
    assert (painted_before != painted_after).mean() < 0.002  # a pixel or two at the edges of pale fills
    diff = np.abs(before - after).max(axis=2)[painted_before]
    assert diff.mean() <= 12 and np.percentile(diff, 95) <= 45, (diff.mean(), np.percentile(diff, 95))


def _refusal(content: bytes, resources=None) -> str:
    with pytest.raises(PosterError) as exc:
        _to_print(_rgb_pdf(content, resources))
    (diagnostic,) = exc.value.diagnostics
    assert diagnostic.file == "posters/test.yaml"
    return diagnostic.message


# --- the rewriter meets real PDF syntax ------------------------------------------------------------
KITCHEN_SINK = (
    b"% a comment with an operator inside: 1 0 0 rg, and an unbalanced ( parenthesis\n"
    b"q [3 1] 0 d /Perceptual ri 1 i 2 w 1 J 1 j 4 M\n"
    b"0.2 0.4 0.6 RG 0.8 0.3 0.2 rg\n"
    b".5 0 0 .5 +10 -.5 cm 20 40 m 360 40 l 360 200 l h B\n"
    b"Q\n"
    b"/OC /oc1 BDC 0.1 0.6 0.3 rg 30 110 40 20 re f EMC\n"
    b"/Span <</MCID 0 /Alt (a ] and a \\) in a dictionary)>> BDC\n"
    b"BT /F1 16 Tf 0.5 0.2 0.7 rg 10 80 Td (a (b) c\\) d 50% 1 0 0 rg) Tj\n"
    b"18 TL [(W]) -120 (a) 80 <4C6F>] TJ (next line) ' 2 1 (quoted) \" ET\n"
    b"EMC\n"
    b"q 80 0 0 20 110 115 cm BI /W 8 /H 1 /CS /G /BPC 8 ID 1 0 0 rg EI Q\n"
    b"0.9 0.75 0.1 rg 150 20 30 30 re f\n"
)


def _sink_resources(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
    ocg = doc.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name="layer"))
    doc.Root.OCProperties = pikepdf.Dictionary(OCGs=[ocg], D=pikepdf.Dictionary(ON=[ocg]))
    return pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=_font(doc)), Properties=pikepdf.Dictionary(oc1=ocg))


def test_real_pdf_syntax_keeps_its_meaning_and_only_colours_change(tmp_path):
    """Comments (one holding an operator and a lone parenthesis), strings with balanced and escaped
    parentheses and a % that is not a comment, ] inside a TJ string, hex strings, .5/-.5/+1,
    marked content with a dictionary and with a property name, graphics-state operators, text
    operators ' and ", an inline image whose data spell '1 0 0 rg': each rg/RG becomes k/K, every
    other operator and operand is unchanged, and Ghostscript draws the same page."""
    before = _rgb_pdf(KITCHEN_SINK, _sink_resources)
    after = _to_print(before)
    ops = _page_ops(after)
    _assert_same_ops(ops, _converted(_page_ops(before)))
    assert not {"rg", "RG"} & {op for op, _ in ops}
    assert ("Tj", [b"a (b) c) d 50% 1 0 0 rg"]) in ops  # the string's bytes, not an operator
    (image,) = [args[0] for op, args in ops if op == "INLINE IMAGE"]
    assert image[2].rstrip() == b"1 0 0 rg"  # the image's data untouched (qpdf keeps the space before EI)
    # Whatever is not a colour stays byte for byte: the comment is still there, word for word.
    assert KITCHEN_SINK.splitlines()[0] in _content(after)
    _assert_looks_the_same(_render(before, tmp_path, "before"), _render(after, tmp_path, "after"))


FAST = [  # what the fast path reads by itself
    b"0.2 0.4 0.6 rg .5 0 0 -.5 +10 20 cm 0 0 m 100 0 l 100 80 l h f",
    b"BT /F1 12 Tf 0.2 0.4 0.6 rg 10 10 Td [(a] 1 0 0 rg [) -20 <4C6F>] TJ (x) ' 1 2 (y) \" ET",
    b"/OC /oc1 BDC 0.2 0.4 0.6 rg 10 10 50 50 re f EMC [3 1] 0 d /Perceptual ri 1 i 2 w 1 J 1 j 4 M",
    b"1000 0 d0 0.2 0.4 0.6 rg 0 0 500 500 re f",
    b"(50% of a \\(b\\) c) Tj 0.2 0.4 0.6 rg 10 10 50 50 re f",
    b"0.2 0.4 0.6 rg\x0010 10 50 50 re f",  # NUL is PDF whitespace
]
SLOW = [  # what it hands to the tokenizer
    b"% a comment\n0.2 0.4 0.6 rg 10 10 50 50 re f",
    b"0.2 0.4 0.6 rg (a (nested) string) Tj 10 10 50 50 re f",
    b"/Span <</MCID 0>> BDC 0.2 0.4 0.6 rg 10 10 50 50 re f EMC",
    b"0.2 0.4 0.6 rg q 60 0 0 15 70 70 cm BI /W 13 /H 1 /BPC 8 /CS /DeviceGray ID (1 0 0 rg) %\xff EI Q "
    b"0.8 0.3 0.2 rg 10 10 50 50 re f",
    b"0.2 0.4 0.6 rg BX /Foo 1 2 frob EX 10 10 50 50 re f",
    b"2e-1 0.4 0.6 rg 10 10 50 50 re f",
    b"0.2 0.4 0.6 rg\x0b10 10 50 50 re f",  # \v is no PDF whitespace: 'rg\v10' is one unknown operator
    b"0.2 0.4 0.6 rg [(a) [1 2]] TJ 10 10 50 50 re f",
    b"0.2 0.4 0.6 rg (a\\\nb) Tj 10 10 50 50 re f",
]


@pytest.mark.parametrize("content, tokenizer", [(c, False) for c in FAST] + [(c, True) for c in SLOW])
def test_fast_path_or_tokenizer_same_meaning(content, tokenizer, monkeypatch):
    """The exact boundary of the fast path, and the same result either way: every rg converted,
    every other operator and operand as pikepdf reads it in the input."""
    calls = []
    real = prepress._Rewriter._instructions

    def spy(self, data, where):
        calls.append(where)
        return real(self, data, where)

    monkeypatch.setattr(prepress._Rewriter, "_instructions", spy)
    before = _rgb_pdf(content)
    after = _to_print(before)
    assert bool(calls) == tokenizer
    _assert_same_ops(_merge_exponents(_page_ops(after)), _converted(_merge_exponents(_page_ops(before))))


def test_bracket_inside_a_string_of_a_tj_array():
    """A ']' inside a string does not close the TJ array, and an 'rg' inside a string stays text."""
    content = b"BT /F1 12 Tf 10 10 Td 0.2 0.4 0.6 rg [(a] 1 0 0 rg [) -20 (b)] TJ ET"
    after = _page_ops(
        _to_print(_rgb_pdf(content, lambda doc: pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=_font(doc)))))
    )
    assert ("TJ", [[b"a] 1 0 0 rg [", -20.0, b"b"]]) in after
    assert [op for op, _ in after].count("k") == 1


def test_numbers_in_every_spelling_pdf_allows(tmp_path):
    """'.5', '-.5', '+1', '1.' are numbers: the colours they spell are converted exactly."""
    content = b"+.2 .4 0.6 rg -.5 +1 1. -1 0 150 cm 20 20 100 40 re f 1. .0 +0 RG 2 w 20 100 m 120 100 l S"
    before = _rgb_pdf(content)
    after = _page_ops(_to_print(before))
    _assert_same_ops(after, _converted(_page_ops(before)))
    conv = converter_for(SETTINGS["fogra39"])
    k = next(args for op, args in after if op == "k")
    assert k == pytest.approx(list(conv.convert((51, 102, 153))), abs=5e-5)  # +.2 .4 0.6


def test_exponent_numbers_are_read_as_the_number_they_spell_and_kept_elsewhere(tmp_path):
    """'1e-3' is not PDF syntax (qpdf reads an operator, Ghostscript a number, mupdf and poppler drop
    the operator): as an operand of a colour it is read as the number it spells; elsewhere (a line
    width) it is left byte for byte as it was."""
    content = b"2e-1 .4e0 6E-1 rg 20 20 100 60 re f 1e-3 w 0.8 0.3 0.2 RG 20 100 m 150 100 l S"
    before = _rgb_pdf(content)
    after = _to_print(before)
    conv = converter_for(SETTINGS["fogra39"])
    k = next(args for op, args in _page_ops(after) if op == "k")
    assert k == pytest.approx(list(conv.convert((51, 102, 153))), abs=5e-5)
    assert b"1e-3 w" in _content(after)
    _assert_looks_the_same(_render(before, tmp_path, "before"), _render(after, tmp_path, "after"))


def test_type3_glyphs_d0_and_d1(tmp_path):
    """A Type 3 font: the d0 glyph sets its own colour (converted), the d1 glyph is a stencil painted
    in the text's colour (converted where the text sets it)."""

    def resources(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
        procs = pikepdf.Dictionary(
            a=doc.make_stream(b"1000 0 d0 0.8 0.3 0.2 rg 0 0 800 800 re f"),
            b=doc.make_stream(b"1000 0 0 0 800 800 d1 0 0 m 800 0 l 400 800 l h f"),
        )
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type3,
            FontBBox=[0, 0, 1000, 1000],
            FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
            CharProcs=procs,
            FirstChar=97,
            LastChar=98,
            Widths=[1000, 1000],
            Encoding=pikepdf.Dictionary(Type=pikepdf.Name.Encoding, Differences=[97, pikepdf.Name.a, pikepdf.Name.b]),
            Resources=pikepdf.Dictionary(),
        )
        return pikepdf.Dictionary(Font=pikepdf.Dictionary(T3=doc.make_indirect(font)))

    content = b"BT /T3 60 Tf 0.1 0.5 0.3 rg 20 40 Td (abab) Tj ET"
    before = _rgb_pdf(content, resources)
    after = _to_print(before)
    with pikepdf.open(io.BytesIO(after)) as doc:
        procs = doc.pages[0].Resources.Font.T3.CharProcs
        glyph_a, glyph_b = _ops(procs.a), _ops(procs.b)
    with pikepdf.open(io.BytesIO(before)) as doc:
        procs = doc.pages[0].Resources.Font.T3.CharProcs
        _assert_same_ops(glyph_a, _converted(_ops(procs.a)))
        _assert_same_ops(glyph_b, _ops(procs.b))
    assert glyph_a[0] == ("d0", [1000.0, 0.0]) and glyph_b[0][0] == "d1"
    assert [op for op, _ in glyph_a] == ["d0", "k", "re", "f"]
    _assert_looks_the_same(_render(before, tmp_path, "before"), _render(after, tmp_path, "after"))


def test_rgb_colour_space_with_sc_and_scn_is_converted(tmp_path):
    """'/DeviceRGB cs' (and a resource naming it) becomes '/DeviceCMYK cs', its sc/scn values CMYK."""
    content = (
        b"/DeviceRGB cs 0.8 0.3 0.2 sc 20 20 60 60 re f /RGB2 CS 0.2 0.4 0.6 SCN 4 w 100 20 m 180 80 l S "
        b"/DeviceRGB cs 0.1 0.6 0.3 scn 100 90 60 40 re f"
    )
    before = _rgb_pdf(
        content, lambda doc: pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(RGB2=pikepdf.Name.DeviceRGB))
    )
    after = _page_ops(_to_print(before))
    conv = converter_for(SETTINGS["fogra39"])
    assert [(op, args) for op, args in after if op in ("cs", "CS")] == [
        ("cs", ["/DeviceCMYK"]),
        ("CS", ["/DeviceCMYK"]),
        ("cs", ["/DeviceCMYK"]),
    ]
    colours = [(op, args) for op, args in after if op in ("sc", "SCN", "scn")]
    expected = [("sc", (204, 76, 51)), ("SCN", (51, 102, 153)), ("scn", (26, 153, 76))]  # round half to even
    assert [op for op, _ in colours] == [op for op, _ in expected]
    for (_, got), (_, rgb) in zip(colours, expected):
        assert got == pytest.approx(list(conv.convert(rgb)), abs=5e-5)
    _assert_looks_the_same(_render(before, tmp_path, "before"), _render(_to_print(before), tmp_path, "after"))


def test_unsupported_colour_constructs_are_refused_where_they_are():
    """Refused, never passed through as RGB, with the stream and byte offset of the construct."""
    content = b"% comment\nq 40 0 0 20 10 10 cm BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI Q"
    assert _refusal(content) == (
        f"prepress: page 1, content byte {content.index(b'BI')}: an inline image in colour space /RGB {REFUSED}"
    )

    def icc(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
        profile = doc.make_stream(b"not read", N=3)
        return pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(CS0=[pikepdf.Name.ICCBased, profile]))

    content = b"0.5 g 10 10 20 20 re f /CS0 cs 1 0 0 sc 0 0 10 10 re f"
    assert _refusal(content, icc) == (
        f"prepress: page 1, content byte {content.index(b'/CS0')}: the colour space "
        f"/CS0 (ICCBased, 3 components) {REFUSED}"
    )
    assert _refusal(b"/DeviceN cs 1 sc") == f"prepress: page 1, content byte 0: the colour space /DeviceN {REFUSED}"


def test_colour_values_from_a_form_caller_are_refused():
    """A form that sets sc values in a colour space chosen by whoever paints it cannot be converted alone."""

    def resources(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
        form = doc.make_stream(
            b"1 0 0 sc 0 0 10 10 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10]
        )
        return pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))

    assert _refusal(b"/DeviceRGB cs /Fm0 Do", resources) == (
        f"prepress: form /Fm0 in page 1, content byte 0: the colour operator 'sc' in a colour space set outside "
        f"its content stream {REFUSED}"
    )


@pytest.mark.parametrize(
    "content, at, shown",
    [
        (b"0.2 0.4 0.6 rg (never closed", 15, b"(never closed"),
        (b"0.2 0.4 0.6 rg [1 2 0 d", 15, b"[1 2 0 d"),
        (b"0 0 m ) 10 10 l S", 6, b")"),
        (b"{ 1 } 0 0 m", 0, b"{"),
    ],
)
def test_content_that_is_not_pdf_syntax_is_refused(content, at, shown):
    assert _refusal(content) == (
        f"prepress: page 1, content byte {at}: {shown!r} is not PDF syntax; the file was not written"
    )


def test_large_black_area_is_judged_per_subpath():
    """Exact black: a path of small shapes spread over the page (text lines, QR modules) stays 100 % K;
    a path with one shape of 25 × 25 mm or more (here a curved one, after a small one) gets the
    profile's rich black, set before the path and restored after it."""
    content = (
        b"0 0 0 rg 10 10 m 20 10 l 20 20 l h 150 120 m 160 120 l 160 130 l h 10 120 5 5 re f\n"
        b"10 10 5 5 re 30 20 m 30 130 l 180 130 120 20 30 20 c h f 0 0 10 10 re f"
    )
    after = _page_ops(_to_print(_rgb_pdf(content)))
    rich, black = list(PRESETS["fogra39"].rich_black), [0.0, 0.0, 0.0, 1.0]
    colours = [(op, args) for op, args in after if op in ("k", "f")]
    assert colours == [("k", black), ("f", []), ("k", rich), ("f", []), ("k", black), ("f", [])]


def test_large_areas_found_by_path_runs_are_those_judged_point_by_point():
    """The rewriter reads a run of path operators at once (docs/performance.md §17); random black
    paths (squares, curves, rectangles of every size, under cairo's y flip) get the rich black exactly
    when a subpath judged point by point, as the rewriter did before, is 25 × 25 mm or more."""
    import random

    rng = random.Random(17)
    limit, flip = prepress.LARGE_AREA_PT, (1, 0, 0, -1, 0, 150)
    paths, expected = [], []
    for _ in range(40):
        ops: list[bytes] = []
        large, box = False, None
        for _ in range(rng.randint(1, 4)):
            x, y, size = rng.uniform(0, 120), rng.uniform(0, 100), rng.choice([5, 30, 60, 75, 90])
            w, h = size * rng.uniform(0.9, 1.1), size * rng.uniform(0.9, 1.1)
            if box is not None:  # a new subpath: judge the one before
                large = large or (box[2] - box[0] >= limit and box[3] - box[1] >= limit)
            if rng.random() < 0.3:
                ops.append(b"%.3f %.3f %.3f %.3f re" % (x, y, w, h))
                points = [(x, y), (x + w, y + h)]
            else:
                ops.append(
                    b"%.3f %.3f m %.3f %.3f l %.3f %.3f %.3f %.3f %.3f %.3f c h"
                    % (x, y, x + w, y, x + w, y + h, x, y + h, x, y)
                )
                points = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
            device = [(a * flip[0] + b * flip[2] + flip[4], a * flip[1] + b * flip[3] + flip[5]) for a, b in points]
            box = (
                min(p[0] for p in device),
                min(p[1] for p in device),
                max(p[0] for p in device),
                max(p[1] for p in device),
            )
        assert box is not None
        expected.append(large or (box[2] - box[0] >= limit and box[3] - box[1] >= limit))
        paths.append(b" ".join(ops) + b" f")
    content = b"1 0 0 -1 0 150 cm 0 0 0 rg\n" + b"\n".join(paths)
    after = _page_ops(_to_print(_rgb_pdf(content)))
    rich, black = list(PRESETS["fogra39"].rich_black), [0.0, 0.0, 0.0, 1.0]
    fills, colour = [], None
    for op, args in after:
        if op == "k":
            colour = args
        elif op == "f":
            fills.append(colour)
    assert fills == [rich if large else black for large in expected]
    assert 0 < sum(expected) < len(expected)


# --- cairo's own output ----------------------------------------------------------------------------
# What else cairo writes from an SVG (the demo posters only have forms in transparency groups):
# linear and radial shadings, a tiling pattern, a luminosity soft mask, an opacity group, a dashed
# stroke, small and large black fills.
CONSTRUCTS = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="150mm" height="200mm" viewBox="0 0 150 200">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#FF5A36"/><stop offset="1" stop-color="#2B1A6E"/>'
    b'</linearGradient><radialGradient id="r"><stop offset="0" stop-color="#FFD400"/>'
    b'<stop offset="1" stop-color="#000000"/></radialGradient>'
    b'<pattern id="p" width="10" height="10" patternUnits="userSpaceOnUse"><rect width="5" height="10" fill="#2EE6A6"/>'
    b'<rect x="5" width="5" height="3" fill="#000000"/></pattern>'
    b'<mask id="m"><rect width="150" height="200" fill="url(#g)"/></mask></defs>'
    b'<rect width="150" height="200" fill="#000000"/>'
    b'<rect x="5" y="5" width="60" height="30" fill="url(#g)"/>'
    b'<circle cx="100" cy="30" r="25" fill="url(#r)"/>'
    b'<rect x="5" y="45" width="60" height="40" fill="url(#p)"/>'
    b'<g mask="url(#m)"><rect x="75" y="60" width="60" height="50" fill="#0B4F6C"/></g>'
    b'<g opacity="0.5"><rect x="10" y="100" width="50" height="25" fill="#FFFFFF"/>'
    b'<rect x="20" y="105" width="50" height="25" fill="#B3261E"/></g>'
    b'<path d="M 5 150 L 145 150" stroke="#FFD400" stroke-width="1" stroke-dasharray="4 2"/>'
    b'<path d="M 5 160 h 3 v 3 h -3 z M 100 190 h 3 v 3 h -3 z" fill="#FFFFFF"/>'
    b'<rect x="5" y="170" width="140" height="25" fill="#000000" stroke="#FFFFFF" stroke-width="0.5"/>'
    b"</svg>"
)


@pytest.fixture(scope="module")
def cairo_pdfs(demo, campaign) -> dict[str, bytes]:
    """cairo's RGB PDFs: two demo A3 posters (a dark one with a visual, a light one with rules and a
    QR code) and CONSTRUCTS."""
    from poster_engine.compose.document import compose
    from poster_engine.plan import plan_jobs

    out = {"constructs": svg_to_pdf(CONSTRUCTS)}
    for job in plan_jobs(demo, ["choc-cobalt", "stat-cobalt"], ["a3"]):
        out[job.poster_id] = svg_to_pdf(compose(demo, campaign.posters[job.poster_id], job.format).svg)
    return out


def _finish(pdf: bytes, profile: str = "fogra39") -> bytes:
    """A demo A3 (297 × 420 mm + 3 mm bleed), or any other page as it is."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        _, _, w, h = (float(v) for v in doc.pages[0].mediabox)
    return make_print_pdf(pdf, (w / PT_PER_MM - 6, h / PT_PER_MM - 6), 3.0, "test", STAMP, SETTINGS[profile])


def test_cairo_streams_never_need_the_tokenizer(cairo_pdfs, monkeypatch):
    """The fast path reads cairo's whole output by itself (its speed is the point of it)."""

    def no_tokenizer(*_args):
        raise AssertionError("the tokenizer was used on cairo's output")

    monkeypatch.setattr(prepress._Rewriter, "_instructions", no_tokenizer)
    for pdf in cairo_pdfs.values():
        assert b"0 0 0 1 k" in _content(_finish(pdf))


def test_cairo_constructs_look_the_same_in_cmyk(cairo_pdfs, tmp_path):
    """Shadings, pattern, soft mask, group, dashes, black areas: Ghostscript draws the same page."""
    before = cairo_pdfs["constructs"]
    after = _finish(before)
    assert not re.search(rb"\brg\b|\bRG\b", _content(after))
    _assert_looks_the_same(
        _render(before, tmp_path, "before", 36), _render(after, tmp_path, "after", 36, "png16m", "-dUseBleedBox")
    )


def test_tokenizer_gives_the_same_pdf_as_the_fast_path(cairo_pdfs, monkeypatch):
    """On cairo's output (forms, soft masks, shadings, large-area blacks), both readers make the same bytes."""
    fast = {name: _finish(pdf) for name, pdf in cairo_pdfs.items()}
    monkeypatch.setattr(prepress, "_OP_RE", re.compile(rb"(?!)"))  # the fast path understands nothing
    for name, pdf in cairo_pdfs.items():
        assert _finish(pdf) == fast[name], name


def test_rewritten_page_content_is_flate_at_a_fast_level(cairo_pdfs):
    """Prepress compresses the content it rewrites itself, at zlib level 4: left to qpdf's save it is
    level 6, 3 × slower on the demo's A3 page for 3 KB less (docs/performance.md §20). zlib's header
    names the kind of level (RFC 1950, FLEVEL in the top bits of its second byte: 1 for levels 2–5,
    2 for the default level 6)."""
    for name, pdf in cairo_pdfs.items():
        with pikepdf.open(io.BytesIO(_finish(pdf))) as doc:
            contents = doc.pages[0].obj.Contents
            assert contents.get("/Filter") == pikepdf.Name.FlateDecode, name
            assert contents.read_raw_bytes()[1] >> 6 == 1, name
            assert b" k" in contents.read_bytes(), name  # the rewritten page, in CMYK


def test_pattern_fill_after_black_keeps_its_pattern(tmp_path):
    """cairo sets a pattern with '/Pattern cs /p scn' after a black: the large pattern-filled area must
    keep its pattern (it was once filled with rich black, the last RGB colour set)."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100">'
        b'<pattern id="p" width="10" height="10" patternUnits="userSpaceOnUse">'
        b'<rect width="5" height="10" fill="#FF5A36"/></pattern>'
        b'<rect x="1" y="1" width="4" height="4" fill="#000000"/>'
        b'<rect x="10" y="10" width="80" height="80" fill="url(#p)"/></svg>'
    )
    after = _to_print(svg_to_pdf(svg))
    assert b"/Pattern cs" in _content(after)
    plates = _render(after, tmp_path, "p", 36, "tiff32nc")
    area = plates[20:120, 20:120]  # inside the pattern-filled square (36 dpi: 1 mm ≈ 1.4 px)
    orange, paper = area[area[..., 1] > 100], area[area.sum(axis=2) == 0]
    assert len(orange) > 2000 and len(paper) > 2000  # stripes of orange and of paper, no rich black
    assert (area[..., 3] == 0).all()


# --- crop marks ------------------------------------------------------------------------------------
def _marks(pdf: bytes, tmp_path: Path) -> list[dict]:
    """Every stroked segment mutool finds, in PDF page space, with the attributes mutool reports."""
    path = tmp_path / "marks.pdf"
    path.write_bytes(pdf)
    trace = subprocess.run(["mutool", "trace", str(path)], capture_output=True, text=True, check=True).stdout
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        media = [float(v) for v in doc.pages[0].MediaBox]
    found = []
    for m in re.finditer(
        r'<stroke_path ([^>]*)>\s*<moveto x="([^"]+)" y="([^"]+)"/>\s*'
        r'<lineto x="([^"]+)" y="([^"]+)"/>\s*</stroke_path>',
        trace,
    ):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        a, b, c, d, e, f = (float(v) for v in attrs["transform"].split())
        x0, y0, x1, y1 = (float(m.group(i)) for i in (2, 3, 4, 5))
        # The transform maps to mutool's device space: y down from the media box's top-left corner.
        points = [(a * x + c * y + e + media[0], media[3] - (b * x + d * y + f)) for x, y in ((x0, y0), (x1, y1))]
        found.append({"points": points, **attrs})
    return found


def _assert_marks_in_the_slug(pdf: bytes, tmp_path: Path, bleed_mm: float) -> None:
    """Eight strokes in the registration colour, 0.25 pt, plain (no dash, opaque), each on a trim line
    extended, from 2 mm beyond the bleed box to 6 mm further out."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        media, bleed, trim = ([float(v) for v in page.obj[box]] for box in ("/MediaBox", "/BleedBox", "/TrimBox"))
    b = bleed_mm * PT_PER_MM
    assert [t - bb for t, bb in zip(trim, bleed)] == pytest.approx([b, b, -b, -b], abs=0.01)
    assert bleed[0] - media[0] == pytest.approx(10 * PT_PER_MM, abs=0.01)  # the slug
    marks = [m for m in _marks(pdf, tmp_path) if m["colorspace"] == "Separation(DeviceCMYK,All)"]
    assert len(marks) == 8
    start, length = b + 2 * PT_PER_MM, 6 * PT_PER_MM
    sides = set()
    for mark in marks:
        assert (mark["linewidth"], mark["color"]) == (".25", "1")
        assert "dash" not in mark and "alpha" not in mark, mark
        (x0, y0), (x1, y1) = mark["points"]
        assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(length, abs=0.01)
        if abs(x1 - x0) < 1e-3:  # vertical: on a vertical trim line, above or below the bleed box
            assert min(abs(x0 - trim[0]), abs(x0 - trim[2])) < 0.01
            below = max(y0, y1) <= bleed[1] + 1e-6
            assert below or min(y0, y1) >= bleed[3] - 1e-6
            gap = trim[1] - max(y0, y1) if below else min(y0, y1) - trim[3]
            sides.add(("v", round(x0), below))
        else:  # horizontal: on a horizontal trim line, left or right of the bleed box
            assert abs(y1 - y0) < 1e-3 and min(abs(y0 - trim[1]), abs(y0 - trim[3])) < 0.01
            left = max(x0, x1) <= bleed[0] + 1e-6
            assert left or min(x0, x1) >= bleed[2] - 1e-6
            gap = trim[0] - max(x0, x1) if left else min(x0, x1) - trim[2]
            sides.add(("h", round(y0), left))
        assert gap == pytest.approx(start, abs=0.01)  # 2 mm beyond the bleed, not at the trim
    assert len(sides) == 8  # one per corner and direction


def test_crop_marks_lie_outside_the_bleed_in_the_slug(cairo_pdfs, tmp_path):
    """Read back by mutool (geometry) and by Ghostscript: no ink inside the bleed box that the same
    page without marks does not have; ink in the slug in the registration colour (C = M = Y = K)."""
    with_marks = _finish(cairo_pdfs["stat-cobalt"], "fogra39-marks")
    _assert_marks_in_the_slug(with_marks, tmp_path, 3.0)
    dpi = 72
    plates = _render(with_marks, tmp_path, "marks", dpi, "tiff32nc", "-dUseBleedBox")
    plain = _render(_finish(cairo_pdfs["stat-cobalt"], "fogra39"), tmp_path, "plain", dpi, "tiff32nc", "-dUseBleedBox")
    assert plates.shape == plain.shape
    assert (plates == plain).all()  # nothing inked inside the bleed box but the page itself
    full = _render(with_marks, tmp_path, "full", dpi, "tiff32nc")
    slug = int(round(10 / 25.4 * dpi))
    outside = full.copy()
    outside[slug:-slug, slug:-slug] = 0
    inked = outside[outside.max(axis=2) > 64]
    assert len(inked) > 40
    assert (inked.max(axis=1) - inked.min(axis=1) <= 2).all()  # C = M = Y = K: registration


def test_crop_marks_ignore_the_state_the_page_content_leaves(tmp_path):
    """A page whose content ends scaled, dashed and at 30 % opacity (no q/Q around it) still gets
    plain, opaque marks in their place."""
    content = b"[6 3] 0 d 2 0 0 2 0 0 cm /GS1 gs 0.2 0.4 0.6 rg 10 10 50 50 re f"
    pdf = _rgb_pdf(
        content,
        lambda doc: pikepdf.Dictionary(ExtGState=pikepdf.Dictionary(GS1=pikepdf.Dictionary(CA=0.3, ca=0.3))),
        size_pt=(300, 300),
    )
    _assert_marks_in_the_slug(_to_print(pdf, "fogra39-marks", 3.0), tmp_path, 3.0)
