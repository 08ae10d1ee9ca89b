"""The fast readers of content streams mean what pikepdf's parser means (docs/performance.md §17).

`content.Plain` (one regular expression over cairo's plain syntax) against pikepdf's parser and
unparser on the same bytes: the same instructions; written back with instructions inserted,
skipped or cut off, what pikepdf's parser reads as the instructions pikepdf writes, the untouched
ones keeping their own bytes; anything outside its grammar (inline images, comments, strings that
look like operators, arrays, other spellings of numbers) left to pikepdf. flatten's walk gives the
same painting order through either reader; `outline` boxes equal transforming every point; the
CMYK rewriter's path runs (read whole) find the same large areas as judging point by point.
"""

from __future__ import annotations

import io
import random
import subprocess

import pikepdf
import pytest
from PIL import Image

from poster_engine.export.print import content, flatten
from poster_engine.export.print.ctm import transform
from poster_engine.export.print.outline import ARITY, Outline, box_of, steps, subpaths

# Plain syntax as cairo writes it, and odd but valid variants of it.
PLAIN = [
    b"1 0 0 -1 0 1207.559055 cm\nq\nQ q\n0.956863 0.945098 0.917647 rg /a0 gs\n0 0 858.898 1207.559 re f\n",
    b"0.478431 0.121569 0.635294 rg 65.277 57.801 m 62.676 57.801 l 62.566 65.586 l 57.23 57.801\n"
    b" l 54.938 57.801 l h\n76.438 57.801 m 76.438 65.609 l 76.438 67.023 75.441 68.043 73.926 68.043\n"
    b" c 72.41 68.043 71.41 67.023 71.41 65.609 c h\n80 80 m f\n",
    b"  q\t1\r\n2 m\f3   4 l\n\n5 6 7 8 9 10 c 1 2 3 4 v 5 6 7 8 y h S Q   ",  # operators split over lines
    b"q q q 2 0 0 2 10 10 cm Q 1 0 0 1 5 5 cm Q -.5 .5 m 1. 2.50 l 0.5 -0.0 l h f* Q",  # nested q/Q, real spellings
    b"/f-0-0 12 Tf BT 1 0 0 1 10 10 Tm ET /x6 Do /Sh1 sh 0.5 w 0 J 1 j 4 M 0 0 1 RG 0 0 0 1 K 0.5 g",
    b"",
    b"q",
]
ODD = [
    b"q BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI Q 0 0 1 1 re f",  # inline image
    b"% a comment with 1 0 0 rg\n0 0 1 rg 0 0 10 10 re f",  # comment
    b"BT (1 0 0 rg 0 0 m f) Tj ET 0 0 1 rg 0 0 5 5 re f",  # a string holding operator-like text
    b"[1 2] 0 d 0 0 m 5 5 l S",  # an array
    b"+1 0 0 rg 0 0 5 5 re f",  # integers pikepdf writes another way: +1 → 1, -0 → 0, 007 → 7
    b"-0 0 m 5 5 l S",
    b"0 007 m 5 5 l S",
    b"0 0 1e-3 rg 0 0 2 2 re f",  # exponent (qpdf reads it as an operator)
    b"/Name#20x gs 0 0 2 2 re f",  # a name with an escape
    b"q\x00Q",  # NUL is PDF whitespace, not Python's
    b"0 0 1 rg/a0 gs",  # no space before a delimiter
    b"0 0 1rg",  # a number glued to its operator
    b"1 2 m 3 4 l foo",  # an unknown operator
]


def _page(data: bytes, resources: pikepdf.Dictionary | None = None) -> tuple[pikepdf.Pdf, pikepdf.Page]:
    doc = pikepdf.new()
    page = doc.add_blank_page(page_size=(600, 600))
    page.obj.Contents = doc.make_stream(data)
    if resources is not None:
        page.obj.Resources = resources
    return doc, page


@pytest.mark.parametrize("data", PLAIN)
def test_plain_streams_read_and_write_as_pikepdf_does(data):
    doc, page = _page(data)
    plain = content.Plain.read(data)
    assert plain is not None
    parsed = list(pikepdf.parse_content_stream(page))
    assert plain.ops == [str(i.operator) for i in parsed]
    reference = content.Parsed(parsed)
    for i in range(len(parsed)):
        assert plain.operands(i) == reference.operands(i)
    # untouched, the stream is written back as it was read
    assert plain.unparse() == data.rstrip(content.BLANK)
    assert _normalised(plain.unparse()) == pikepdf.unparse_content_stream(parsed)
    # instructions inserted before and after, skipped, the stream cut off with a tail: what pikepdf
    # reads as the instructions it would write; untouched instructions keep their bytes
    q = [pikepdf.ContentStreamInstruction([], pikepdf.Operator("q"))]
    rg = [pikepdf.ContentStreamInstruction([0.25, round(1 / 3, 6), 1], pikepdf.Operator("rg"))]
    n = len(parsed)
    for edit in (
        {"before": {0: q + rg}, "after": {n - 1: q}},
        {"before": {n // 2: rg}, "skip": set(range(n // 3, n // 2 + 1))},
        {"stop": n // 2, "tail": q * 2},
        {"after": {i: q for i in range(0, n, 2)}},
    ):
        written = plain.unparse(**edit)
        assert _normalised(written) == reference.unparse(**edit)
        kept_texts = [plain._found[i][1] for i in range(edit.get("stop", n)) if i not in edit.get("skip", ())]
        written_texts = iter(text for _, text, _, _ in content.EXACT.findall(written))
        assert all(text in written_texts for text in kept_texts)  # in order, each as it was spelled
        # what unparse kept of its own output is what reading it gives (the CMYK rewriter uses it)
        kept = content._READINGS.pop(written, None)
        fresh = content.Plain.read(written)
        if written:
            assert kept is not None and fresh is not None
            assert kept._found == fresh._found
            assert kept.spans == fresh.spans


def _normalised(data: bytes) -> bytes:
    """`data` as pikepdf writes what it parses in it (one instruction a line, one space between tokens)."""
    doc, page = _page(data)
    return pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))


@pytest.mark.parametrize("data", ODD)
def test_other_syntax_is_left_to_pikepdf(data):
    assert content.Plain.read(data) is None
    doc, page = _page(data)
    stream = content.read(page.obj)
    assert isinstance(stream, content.Parsed)
    assert stream.unparse() == pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))


def test_a_page_of_several_content_streams_reads_as_one():
    doc, page = _page(b"")
    page.obj.Contents = pikepdf.Array([doc.make_stream(b"q 1 0 0 rg"), doc.make_stream(b"0 0 5 5 re f Q")])
    stream = content.read(page.obj)
    assert isinstance(stream, content.Plain)
    assert _normalised(stream.unparse()) == pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))


# --- flatten's walk through either reader ---------------------------------------------------------
TRANSLUCENT = (
    b"1 0 0 -1 0 600 cm q 0.9 0.9 0.8 rg /a0 gs 0 0 600 600 re f\n"
    b"0 0 1 rg 10 10 m 50 10 l 50\n 50 l 10 50 l h 12 12 m 20 12 l 20 20 l h 30 30 m f\n"  # two subpaths, a lone m
    b"q 0.8 0.6 -0.6 0.8 300 300 cm 0 1 0 rg 0 0 40 40 re f Q\n"  # rotated
    b"q 1 0 0 rg /a1 gs 100 100 200 20 re f 0 0 1 RG 3 w 100 200 m 300 200 l S Q\n"  # translucent fill and stroke
    b"/a1 gs 0 0 0 rg 100 300 m 150 300 l 150 350 l h f q 0 0 100 100 re W n /a1 gs 1 1 0 rg 5 5 20 20 re f Q\n"
    b"/Pattern cs /P0 scn 400 400 50 50 re f Q"  # a pattern: no constant colour
)


def _resources(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
    half = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0.5, CA=0.5)
    return pikepdf.Dictionary(ExtGState=pikepdf.Dictionary(a0=pikepdf.Dictionary(ca=1, CA=1), a1=half))


def _items(painting: flatten.Painting) -> list[tuple]:
    return [
        (it.box, it.kind, it.colour, it.alpha, it.soft, it.rect, it.start, it.end, it.points, it.polygon, it.clip)
        for it in painting.items
    ]


def _pdf(data: bytes) -> bytes:
    doc = pikepdf.new()
    page = doc.add_blank_page(page_size=(600, 600))
    page.obj.Contents = doc.make_stream(data)
    page.obj.Resources = _resources(doc)
    out = io.BytesIO()
    doc.save(out, deterministic_id=True)
    return out.getvalue()


# cairo resets the dash with an empty array wherever a stroke follows a fill: still a plain reading.
DASH_RESET = TRANSLUCENT.replace(b"0 0 1 RG 3 w", b"0 0 1 RG 3 w\n1 J\n0 j\n[] 0.0 d\n4 M")


@pytest.mark.parametrize("data", [TRANSLUCENT, TRANSLUCENT.replace(b" m ", b"\n m\n"), DASH_RESET, PLAIN[1], PLAIN[3]])
def test_the_walk_and_its_edits_are_the_same_through_either_reader(data, monkeypatch):
    if data == DASH_RESET:
        assert isinstance(content.Plain.read(data), content.Plain)
    pdf = _pdf(data)
    results = []
    for force_pikepdf in (False, True):
        if force_pikepdf:
            monkeypatch.setattr(content.Plain, "read", classmethod(lambda cls, data: None))
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            page = doc.pages[0]
            assert isinstance(content.read(page.obj), content.Parsed if force_pikepdf else content.Plain)
            items = _items(flatten.paint_order(doc, page))
            count = flatten.composite_flat(doc)
            results.append((items, count, _normalised(doc.pages[0].obj.Contents.read_bytes())))
    assert results[0] == results[1]
    if data in (TRANSLUCENT, DASH_RESET):
        assert results[0][1] == 3  # the translucent shapes over flat colour were composited


def _pixel(pdf: bytes, x: int, y: int, tmp_path) -> tuple[int, ...]:
    """The colour poppler renders at the page's point (x, y) (72 dpi: a pixel a point)."""
    (tmp_path / "page.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-singlefile", "page.pdf", "page"], cwd=tmp_path, check=True)
    with Image.open(tmp_path / "page.png") as im:
        return im.convert("RGB").getpixel((x, im.height - 1 - y))


def test_a_later_subpath_drawn_from_outside_the_backdrop_is_not_composited_over_it(tmp_path):
    """A translucent shape whose second subpath starts beyond the flat backdrop and is drawn back
    over it: its box must reach that start, or flatten takes the backdrop for all that lies beneath
    and paints the part over the paper in the backdrop's composite."""
    data = (
        b"1 0 0 rg 100 100 200 200 re f\n"  # opaque red backdrop, x 100-300
        b"/a1 gs 0 0 1 rg 150 150 m 250 150 l 250 250 l h 450 200 m 260 190 l 260 210 l h f\n"
    )
    before = _pdf(data)
    with pikepdf.open(io.BytesIO(before)) as doc:
        flatten.composite_flat(doc)
        out = io.BytesIO()
        doc.save(out)
    for x, y in ((380, 200), (200, 200)):  # over the paper, over the backdrop
        assert _pixel(out.getvalue(), x, y, tmp_path) == _pixel(before, x, y, tmp_path)


# --- outline: boxes and points --------------------------------------------------------------------
def _reference_box(ctm, xs, ys):
    points = [transform(ctm, x, y) for x, y in zip(xs, ys)]
    return (min(p[0] for p in points), min(p[1] for p in points), max(p[0] for p in points), max(p[1] for p in points))


def test_boxes_are_the_extremes_of_every_transformed_point():
    rng = random.Random(16)
    matrices = [
        (1, 0, 0, -1, 0, 1207.559055),
        (-2.5, 0, 0, 0.3, 7.1, -3),
        (0.8, 0.6, -0.6, 0.8, 10, 20),
        (0, 1, -1, 0, 0, 0),
    ]
    for _ in range(300):
        ctm = rng.choice(matrices)
        n = rng.randint(1, 12)
        xs = [round(rng.uniform(-900, 900), rng.randint(0, 6)) for _ in range(n)]
        ys = [round(rng.uniform(-900, 900), rng.randint(0, 6)) for _ in range(n)]
        assert box_of(ctm, xs, ys) == _reference_box(ctm, xs, ys)


def _reference_path(ops, values, ctm):
    """The walk's path rules operator by operator, as flatten.py read them before outline.py (but
    for the start of a later subpath, which they dropped even when a segment was drawn from it)."""
    path, single_rect, polygon, moved, drawn, at = [], False, True, False, [], 0
    for k, op in enumerate(ops):
        nums = values[at : at + ARITY[op]]
        at += ARITY[op]
        if k == 0:
            single_rect = op == "re"
        elif op == "re" or op == "m" and any(o in ("l", "c", "v", "y") for o in drawn):
            single_rect, moved = False, True
        if op in ("c", "v", "y") or moved and op in ("l", "re"):
            polygon = False
        drawn.append(op)
        if op == "m" and moved and (k + 1 == len(ops) or ops[k + 1] not in ("l", "c", "v", "y")):
            continue  # a later subpath's start counts when a segment is drawn from it
        if op == "re":
            x, y, w, h = nums
            path += [
                transform(ctm, x, y),
                transform(ctm, x + w, y),
                transform(ctm, x + w, y + h),
                transform(ctm, x, y + h),
            ]
        else:
            path += [transform(ctm, x, y) for x, y in zip(nums[0::2], nums[1::2])]
    return path, single_rect, polygon


def _random_run(rng, rectangles: bool = True) -> tuple[list[str], list[float]]:
    """Path operators with their numbers; without `re`, glyph-like runs (several subpaths of pairs),
    which outline.py reads by slices rather than operator by operator."""
    kinds = ["m", "l", "l", "c", "v", "y", "h", "re"] if rectangles else ["m", "l", "l", "c", "v", "y", "h", "h"]
    ops = [rng.choice(["m", "re"] if rectangles else ["m", "l"])] + [
        rng.choice(kinds) for _ in range(rng.randint(0, 15))
    ]
    values = [round(rng.uniform(-50, 600), 3) for op in ops for _ in range(ARITY[op])]
    return ops, values


def test_outlines_place_the_points_the_walk_placed_one_by_one():
    rng = random.Random(5)
    for n in range(800):
        ops, values = _random_run(rng, rectangles=n % 2 == 0)
        ctm = rng.choice([(1, 0, 0, -1, 0, 600), (0.8, 0.6, -0.6, 0.8, 10, 20)])
        cut = rng.randint(0, len(ops))  # the path read in two runs
        outline = Outline(0, ops[0])
        first = sum(ARITY[o] for o in ops[:cut])
        outline.extend(ops[:cut], values[:first], None, ctm)
        outline.extend(ops[cut:], values[first:], None, ctm)
        points, single_rect, polygon = _reference_path(ops, values, ctm)
        assert outline.points() == points
        assert (outline.single_rect, outline.polygon, outline.size) == (single_rect, polygon, len(points))
        if points:
            assert outline.box() == _reference_box((1, 0, 0, 1, 0, 0), *zip(*points))


def test_the_rewriters_subpaths_are_those_each_operator_starts():
    rng = random.Random(9)
    for n in range(600):
        ops, values = _random_run(rng, rectangles=n % 2 == 0)
        expected, at = [([], [])], 0
        for op in ops:
            nums = values[at : at + ARITY[op]]
            at += ARITY[op]
            if op in ("m", "re"):
                expected.append(([], []))
            pts = (
                [(nums[0], nums[1]), (nums[0] + nums[2], nums[1] + nums[3])]
                if op == "re"
                else zip(nums[0::2], nums[1::2])
            )
            for x, y in pts:
                expected[-1][0].append(x)
                expected[-1][1].append(y)
        assert subpaths(ops, values) == expected


def test_walks_step_over_each_run_of_path_operators_at_once():
    rng = random.Random(20)
    kinds = ["m", "l", "c", "h", "re", "q", "Q", "cm", "rg", "f", "W", "n", "Do", "BT", "ET"]
    for _ in range(300):
        ops = [rng.choice(kinds) for _ in range(rng.randint(0, 30))]
        expected, i = [], 0
        while i < len(ops):
            end = i + 1
            if ops[i] in ARITY:
                while end < len(ops) and ops[end] in ARITY:
                    end += 1
            expected.append((i, end))
            i = end
        assert steps(ops, set(ARITY)) == expected
        assert steps([op.encode() for op in ops], {op.encode() for op in ARITY}) == expected
