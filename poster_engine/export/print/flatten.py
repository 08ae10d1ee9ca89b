"""Transparency → opaque colour where it can be computed exactly, and → a raster where it cannot
(docs/print.md §3a).

Two passes over a PDF (pikepdf), one per stage of prepress:

- `composite_flat` (cairo's RGB PDF, every flavour): a shape of one colour painted with a constant
  opacity (`ca`/`CA` < 1, Normal blend, no soft mask) over a backdrop that is one flat colour (an opaque
  rectangle of one colour covering its whole box, or the paper) is replaced by the opaque colour the
  screen shows there: `a × colour + (1 − a) × backdrop` on the sRGB values, as cairo composites the social
  images. The print rules (§6) then convert that colour like any other, so the paper matches the
  screen and PDF/X-1a/X-3 files need no raster there. A group with opacity (a form drawn with `ca` < 1)
  is composited the same way when its shapes do not overlap one another.
- `rasterise_rest` (the CMYK file, PDF/X-1a and X-3 only): each top-level block of the page that still
  paints with transparency is replaced by an image of the page as it looks after that block, cut to the
  block's box, at the profile's resolution (Ghostscript, `ghostscript.render_cmyk`); what is drawn later
  stays vector. Then no transparency group, soft mask, blend mode or opacity is left.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field
from typing import Any

from poster_engine.core.diagnostics import fail
from poster_engine.export.print import content
from poster_engine.export.print.ctm import Matrix, concat, transform
from poster_engine.export.print.ghostscript import render_cmyk
from poster_engine.export.print.outline import ARITY, Outline, steps

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in device space (points)
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
PAGE: Box = (-1e9, -1e9, 1e9, 1e9)
OPAQUE_GS = "/PEopaque"
EPS = 0.01  # points: boxes that merely touch do not overlap

PATH_OPS = set(ARITY)
FILLS = {"f", "F", "f*"}
STROKES = {"S", "s"}
PAINTS = FILLS | STROKES | {"B", "B*", "b", "b*", "n"}
OPERAND_OPS = {"cm", "rg", "k", "g", "sc", "scn", "RG", "K", "G", "SC", "SCN", "cs", "CS", "w", "gs", "Do"}


def _meet(a: Box, b: Box) -> Box:
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS


def _covers(a: Box, b: Box) -> bool:
    return a[0] <= b[0] + EPS and a[1] <= b[1] + EPS and a[2] >= b[2] - EPS and a[3] >= b[3] - EPS


def _empty(a: Box) -> bool:
    return a[0] >= a[2] - EPS or a[1] >= a[3] - EPS


@dataclass
class _GState:
    ctm: Matrix = IDENTITY
    clip: Box = PAGE
    clip_rect: bool = True  # the clip is exactly `clip` (rectangles only)
    fill: tuple[float, ...] | None = (0.0, 0.0, 0.0)  # a device colour's components, None for patterns
    stroke: tuple[float, ...] | None = (0.0, 0.0, 0.0)
    ca: float = 1.0
    CA: float = 1.0
    soft: bool = False  # a soft mask or another blend mode than Normal
    width: float = 1.0

    def copy(self) -> _GState:
        return _GState(**self.__dict__)


@dataclass
class Item:
    """One painting operation: where, what colour, how transparent."""

    box: Box
    kind: str  # fill, stroke, image, shading, text, other
    colour: tuple[float, ...] | None  # constant colour (components of its space), else None
    alpha: float
    soft: bool
    rect: bool  # the painted area is exactly `box` (an axis-aligned rectangle, clipped by rectangles)
    stream: Any  # the content stream's owner (page object or form)
    start: int  # index of the first instruction of the path (or the operator) in its stream
    end: int  # index of the painting operator
    group: tuple[int, int] | None = None  # the form (a transparency group) drawn with opacity that holds it
    group_alpha: float = 1.0
    stroke: bool = False
    anchor: tuple[int, int] = (0, 0)  # the page-stream instructions that paint it (its path, or the Do)
    outline: Outline | None = None  # its path
    polygonal: bool = False  # a fill whose path is one polygon
    clip: Box = PAGE

    @property
    def opaque(self) -> bool:
        return self.alpha >= 1.0 and self.group_alpha >= 1.0 and not self.soft

    @property
    def points(self) -> list[tuple[float, float]] | None:
        """Every point of its path in device space (curve control points too)."""
        return None if self.outline is None else self.outline.points()

    @property
    def polygon(self) -> list[tuple[float, float]] | None:
        """Its outline in device space when the path is one polygon."""
        return self.points if self.polygonal else None


@dataclass
class Painting:
    """What a page paints, in order, and where each form with opacity was drawn."""

    items: list[Item] = field(default_factory=list)
    # objgen → its instructions
    streams: dict[tuple[int, int], content.Plain | content.Parsed] = field(default_factory=dict)
    groups: dict[tuple[int, int], tuple[Any, int, float, bool]] = field(default_factory=dict)
    uses: dict[tuple[int, int], int] = field(default_factory=dict)  # how often each form is drawn
    top: list[tuple[int, int, Box, bool]] = field(default_factory=list)  # page blocks: start, end, box, transparent


def _num(v) -> float:
    return float(v)


def paint_order(doc, page) -> Painting:
    """Every painting operation of `page`, forms followed, with its device box and transparency."""
    import pikepdf

    out = Painting()

    def instructions(owner) -> content.Plain | content.Parsed:
        key = owner.objgen
        if key not in out.streams or key == (0, 0):
            out.streams[key] = content.read(owner)
        return out.streams[key]

    def walk(owner, resources, state: _GState, group: Any, group_alpha: float, depth: int) -> Box | None:
        """Returns the union of what was painted (for the page's top-level blocks)."""
        stack: list[_GState] = []
        st = state.copy()
        path: Outline | None = None
        painted: Box | None = None
        block_start, block_box, block_soft, level = 0, None, False, 0
        stream = instructions(owner)
        ops = stream.ops
        ext = (resources.get("/ExtGState") if resources is not None else None) or {}
        xobjects = (resources.get("/XObject") if resources is not None else None) or {}

        def add(item: Item) -> None:
            nonlocal painted, block_box, block_soft
            item.anchor = (item.start, item.end) if depth == 0 else anchor[0]
            out.items.append(item)
            if _empty(item.box):
                return
            painted = item.box if painted is None else _union(painted, item.box)
            block_box = item.box if block_box is None else _union(block_box, item.box)
            block_soft = block_soft or not item.opaque

        for i, after_run in steps(ops, PATH_OPS):
            op = ops[i]
            if op in PATH_OPS:  # a run of path operators, read at once
                run = ops[i:after_run]
                values = stream.numbers(i, after_run)
                counts = None if len(values) == sum(map(ARITY.__getitem__, run)) else stream.counts(i, after_run)
                if path is None:
                    path = Outline(i, op)
                path.extend(run, values, counts, st.ctm)
                continue
            args = stream.operands(i) if op in OPERAND_OPS else []
            if op in ("W", "W*"):
                if path:
                    st.clip = _meet(st.clip, path.box())
                    axis = (
                        abs(st.ctm[1]) < 1e-9
                        and abs(st.ctm[2]) < 1e-9
                        or abs(st.ctm[0]) < 1e-9
                        and abs(st.ctm[3]) < 1e-9
                    )
                    st.clip_rect = st.clip_rect and path.single_rect and axis
            elif op in PAINTS:
                if op != "n" and path:
                    box = path.box()
                    stroke = op in STROKES
                    if stroke or op in ("B", "B*", "b", "b*"):
                        grow = st.width * abs(st.ctm[0] * st.ctm[3] - st.ctm[1] * st.ctm[2]) ** 0.5
                        box = (box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow)
                    axis = (
                        abs(st.ctm[1]) < 1e-9
                        and abs(st.ctm[2]) < 1e-9
                        or abs(st.ctm[0]) < 1e-9
                        and abs(st.ctm[3]) < 1e-9
                    )
                    kind = "stroke" if stroke else "fill" if op in FILLS else "other"
                    add(
                        Item(
                            _meet(box, st.clip),
                            kind,
                            st.stroke if stroke else st.fill if kind == "fill" else None,
                            st.CA if stroke else st.ca if kind == "fill" else min(st.ca, st.CA),
                            st.soft,
                            kind == "fill" and path.single_rect and axis and st.clip_rect,
                            owner,
                            path.start,
                            i,
                            group,
                            group_alpha,
                            stroke,
                            outline=path,
                            polygonal=kind == "fill" and path.polygon and path.size >= 3,
                            clip=st.clip,
                        )
                    )
                path = None
            elif op == "q":
                stack.append(st.copy())
                if depth == 0:
                    if level == 0:
                        block_start, block_box, block_soft = i, None, False
                    level += 1
            elif op == "Q":
                st = stack.pop() if stack else st
                if depth == 0 and level > 0:
                    level -= 1
                    if level == 0 and block_box is not None:
                        out.top.append((block_start, i, block_box, block_soft))
            elif op == "cm":
                st.ctm = concat(tuple(_num(a) for a in args), st.ctm)  # type: ignore[arg-type]
            elif op in ("rg", "k", "g", "sc", "scn"):
                st.fill = tuple(_num(a) for a in args) if all(not isinstance(a, str) for a in args) else None
            elif op in ("RG", "K", "G", "SC", "SCN"):
                st.stroke = tuple(_num(a) for a in args) if all(not isinstance(a, str) for a in args) else None
            elif op == "cs":
                st.fill = None if str(args[0]) == "/Pattern" else st.fill
            elif op == "CS":
                st.stroke = None if str(args[0]) == "/Pattern" else st.stroke
            elif op == "w":
                st.width = _num(args[0])
            elif op == "gs":
                gs = ext.get(args[0])
                if gs is not None:
                    if "/ca" in gs:
                        st.ca = _num(gs.ca)
                    if "/CA" in gs:
                        st.CA = _num(gs.CA)
                    smask = gs.get("/SMask")
                    if smask is not None:
                        st.soft = smask != pikepdf.Name("/None") if isinstance(smask, pikepdf.Name) else True
                    bm = gs.get("/BM")
                    if bm is not None and str(bm) not in ("/Normal", "/Compatible"):
                        st.soft = True
            elif op == "sh":
                add(Item(st.clip, "shading", None, st.ca, st.soft, False, owner, i, i, group, group_alpha))
            elif op in ("BT", "ET", "Tj", "TJ", "'", '"'):
                if op in ("Tj", "TJ", "'", '"'):
                    add(Item(st.clip, "text", None, st.ca, st.soft, False, owner, i, i, group, group_alpha))
            elif op == "BI" or op == "INLINE IMAGE":
                add(
                    Item(
                        _meet(_unit_box(st.ctm), st.clip),
                        "image",
                        None,
                        st.ca,
                        st.soft,
                        False,
                        owner,
                        i,
                        i,
                        group,
                        group_alpha,
                    )
                )
            elif op == "Do":
                xobj = xobjects.get(args[0])
                if xobj is None:
                    continue
                if xobj.get("/Subtype") == "/Image":
                    soft = st.soft or "/SMask" in xobj
                    add(
                        Item(
                            _meet(_unit_box(st.ctm), st.clip),
                            "image",
                            None,
                            st.ca,
                            soft,
                            False,
                            owner,
                            i,
                            i,
                            group,
                            group_alpha,
                        )
                    )
                elif xobj.get("/Subtype") == "/Form":
                    key = xobj.objgen
                    out.uses[key] = out.uses.get(key, 0) + 1
                    matrix = tuple(_num(v) for v in xobj.get("/Matrix", IDENTITY))
                    inner = _GState(
                        ctm=concat(matrix, st.ctm),  # type: ignore[arg-type]
                        clip=st.clip,
                        clip_rect=st.clip_rect,
                        fill=st.fill,
                        stroke=st.stroke,
                        width=st.width,
                    )
                    bbox = [_num(v) for v in xobj.get("/BBox", [0, 0, 0, 0])]
                    corners = [transform(inner.ctm, x, y) for x in bbox[0::2] for y in bbox[1::2]]
                    inner.clip = _meet(inner.clip, _bbox(corners))
                    has_group = isinstance(xobj.get("/Group"), pikepdf.Dictionary)
                    alpha = st.ca
                    first = len(out.items)
                    if depth == 0:
                        anchor[0] = (i, i)
                    if has_group:
                        # A transparency group: its content is composited first, then with the opacity
                        # and soft mask in force where it is drawn.
                        out.groups[key] = (owner, i, alpha, st.soft)
                        sub_group, sub_alpha = (key if alpha < 1 or st.soft else group), group_alpha * alpha
                        walked = walk(xobj, xobj.get("/Resources"), inner, sub_group, sub_alpha, depth + 1)
                        for item in out.items[first:]:
                            item.soft = item.soft or st.soft
                    else:
                        inner.ca, inner.CA, inner.soft = st.ca, st.CA, st.soft
                        walked = walk(xobj, xobj.get("/Resources"), inner, group, group_alpha, depth + 1)
                    if walked is not None:
                        painted = walked if painted is None else _union(painted, walked)
                        block_box = walked if block_box is None else _union(block_box, walked)
                        block_soft = block_soft or any(not it.opaque for it in out.items[first:])
        return painted

    anchor: list[tuple[int, int]] = [(0, 0)]
    walk(page.obj, page.obj.get("/Resources"), _GState(), None, 1.0, 0)
    return out


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _bbox(points: list[tuple[float, float]]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _unit_box(ctm: Matrix) -> Box:
    return _bbox([transform(ctm, x, y) for x in (0, 1) for y in (0, 1)])


# --- pass 1: constant opacity over flat colour → the opaque colour ------------------------------------
def _backdrop(items: list[Item], index: int, done: dict[int, tuple[float, ...]]) -> tuple[float, ...] | None:
    """The one flat colour under `items[index]`'s box, or None when what lies beneath is not flat."""
    target = items[index]
    for j in range(index - 1, -1, -1):
        below = items[j]
        if below.group is not None and below.group == target.group:
            continue  # the target's own group: judged together (disjoint shapes)
        if _empty(below.box) or not _overlap(below.box, target.box):
            continue
        colour = done.get(j, below.colour if below.opaque else None)
        if colour is None or len(colour) != 3:
            return None
        if below.rect and _covers(below.box, target.box):
            return colour
        if below.polygon is not None and target.kind == "fill" and _inside(target, below):
            return colour
        return None
    return (1.0, 1.0, 1.0)  # the paper (cairo's page group is composited over white)


def _inside(target: Item, below: Item) -> bool:
    """Whether the painted area of the fill `target` lies within the polygon `below` paints: its clip
    within the other's, every point of its path that is inside its clip inside the polygon (or on an
    edge), and no edge of one crossing an edge of the other."""
    if not _covers(below.clip, target.clip) or target.points is None or below.polygon is None:
        return False
    poly, clip, pts = below.polygon, target.clip, target.points
    for x, y in pts:
        inside_clip = clip[0] - EPS <= x <= clip[2] + EPS and clip[1] - EPS <= y <= clip[3] + EPS
        if inside_clip and not _in_polygon(x, y, poly):
            return False
    edges = list(zip(poly, poly[1:] + poly[:1]))
    return not any(_cross(a, b, c, d) for a, b in zip(pts, pts[1:] + pts[:1]) for c, d in edges)


def _in_polygon(x: float, y: float, poly: list[tuple[float, float]]) -> bool:
    """Even-odd point in polygon; a point on an edge (within EPS) counts as inside."""
    inside = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        if _on_segment((x, y), (x1, y1), (x2, y2)):
            return True
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _on_segment(p, a, b) -> bool:
    (px, py), (ax, ay), (bx, by) = p, a, b
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    if length < EPS:
        return abs(px - ax) < EPS and abs(py - ay) < EPS
    distance = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
    along = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length
    return distance < EPS and -EPS <= along <= length + EPS


def _cross(a, b, c, d) -> bool:
    """Whether segments ab and cd cross at a point inside both (touching or collinear is no crossing)."""

    def side(p, q, r) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2, d3, d4 = side(c, d, a), side(c, d, b), side(a, b, c), side(a, b, d)
    tol = EPS * 100
    return ((d1 > tol and d2 < -tol) or (d1 < -tol and d2 > tol)) and (
        (d3 > tol and d4 < -tol) or (d3 < -tol and d4 > tol)
    )


def composite_flat(doc) -> int:
    """Pass 1 on cairo's RGB PDF; returns how many shapes were made opaque."""

    if not _has_transparency(doc):
        return 0
    count = 0
    for page in doc.pages:
        painting = paint_order(doc, page)
        items = painting.items
        done: dict[int, tuple[float, ...]] = {}
        # Group candidates: a form with opacity, drawn once, whose shapes are all opaque fills or
        # strokes of one RGB colour that do not overlap one another.
        by_group: dict[tuple[int, int], list[int]] = {}
        for n, item in enumerate(items):
            if item.group is not None:
                by_group.setdefault(item.group, []).append(n)
        ok_groups: set[tuple[int, int]] = set()
        for key, members in by_group.items():
            owner, at, alpha, soft = painting.groups[key]
            inside = [items[n] for n in members]
            if soft or painting.uses.get(key, 0) != 1:
                continue
            # inside another translucent group, the outer opacity would apply a second time on top
            # of the composited colour (only this group's Do is made opaque): left live
            if any(abs(it.group_alpha - alpha) > 1e-9 for it in inside):
                continue
            if any(
                it.soft or it.alpha < 1 or it.kind not in ("fill", "stroke") or not _rgb(it.colour) for it in inside
            ):
                continue
            if any(_overlap(a.box, b.box) for k, a in enumerate(inside) for b in inside[k + 1 :]):
                continue
            ok_groups.add(key)
        edits: dict[tuple[int, int], list[tuple[int, int, tuple[float, ...], bool]]] = {}
        opaque_dos: set[tuple[tuple[int, int], int]] = set()
        for n, item in enumerate(items):
            if item.opaque or item.kind not in ("fill", "stroke") or not _rgb(item.colour) or item.soft:
                continue
            if item.group is not None:
                if item.group not in ok_groups:
                    continue
            elif item.group_alpha < 1:
                continue
            under = _backdrop(items, n, done)
            if under is None:
                continue
            a = item.alpha * item.group_alpha
            mixed = tuple(a * s + (1 - a) * b for s, b in zip(item.colour, under))  # type: ignore[arg-type]
            # sRGB values as 8-bit (what the screen composites and what the print rules key on)
            mixed = tuple(round(v * 255) / 255 for v in mixed)
            done[n] = mixed
            edits.setdefault(item.stream.objgen, []).append((item.start, item.end, mixed, item.stroke))
            if item.group is not None:
                owner, at, _, _ = painting.groups[item.group]
                opaque_dos.add((owner.objgen, at))
            count += 1
        if not edits:
            continue
        _apply_edits(doc, page, painting, edits, opaque_dos)
    return count


def _rgb(colour) -> bool:
    return colour is not None and len(colour) == 3


def _apply_edits(doc, page, painting: Painting, edits, opaque_dos) -> None:
    """Each composited shape drawn as `q /PEopaque gs r g b rg … f Q`; each group whose shapes were all
    composited drawn with `q /PEopaque gs … Do Q`. The ExtGState sets opacity 1 (`ca`, `CA`)."""
    import pikepdf

    owners = {page.obj.objgen: page.obj}
    for item in painting.items:
        owners[item.stream.objgen] = item.stream
    # a group may be drawn by a form that paints nothing itself (a group inside a group)
    for owner, _, _, _ in painting.groups.values():
        owners[owner.objgen] = owner
    for key in set(edits) | {k for k, _ in opaque_dos}:
        owner = owners[key]
        ins = painting.streams[key]
        before: dict[int, list] = {}
        after: dict[int, list] = {}
        for start, end, colour, stroke in edits.get(key, []):
            op = "RG" if stroke else "rg"
            before.setdefault(start, []).append(
                [
                    pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")),
                    pikepdf.ContentStreamInstruction([pikepdf.Name(OPAQUE_GS)], pikepdf.Operator("gs")),
                    pikepdf.ContentStreamInstruction([round(v, 6) for v in colour], pikepdf.Operator(op)),
                ]
            )
            after.setdefault(end, []).append([pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q"))])
        for k, at in opaque_dos:
            if k == key:
                before.setdefault(at, []).append(
                    [
                        pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")),
                        pikepdf.ContentStreamInstruction([pikepdf.Name(OPAQUE_GS)], pikepdf.Operator("gs")),
                    ]
                )
                after.setdefault(at, []).append([pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q"))])
        data = ins.unparse(
            before={i: [x for group in groups for x in group] for i, groups in before.items()},
            after={i: [x for group in groups for x in group] for i, groups in after.items()},
        )
        if owner.get("/Type") == pikepdf.Name.Page:
            owner.Contents = doc.make_stream(data)
        else:
            owner.write(data)
        resources = owner.get("/Resources")
        if resources is None:
            resources = owner.Resources = pikepdf.Dictionary()
        if "/ExtGState" not in resources:
            resources.ExtGState = pikepdf.Dictionary()
        resources.ExtGState[OPAQUE_GS] = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=1, CA=1)


def _transparent(gs) -> bool:
    """Whether a graphics state (or an image) sets an opacity below 1, a soft mask or a blend mode."""
    import pikepdf

    if any(key in gs and float(gs[key]) < 1 for key in ("/ca", "/CA")):
        return True
    smask = gs.get("/SMask")
    if smask is not None and smask != pikepdf.Name("/None"):
        return True
    mode = gs.get("/BM")
    return mode is not None and mode not in (pikepdf.Name.Normal, pikepdf.Name.Compatible)


def _has_transparency(doc) -> bool:
    """Whether any graphics state of a page or form, or any image, paints with transparency."""
    import pikepdf

    owners = [page.obj for page in doc.pages] + [o for o in doc.objects if isinstance(o, pikepdf.Stream)]
    for owner in owners:
        if owner.get("/Subtype") == "/Image" and _transparent(owner):
            return True
        resources = owner.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary):
            for gs in (resources.get("/ExtGState") or {}).values():
                if isinstance(gs, pikepdf.Dictionary) and _transparent(gs):
                    return True
    return False


# --- pass 2 (PDF/X-1a, X-3): what still paints with transparency → an image of the result ---------------
def rasterise_rest(doc, ppi: float, shown: str = "") -> int:
    """Pass 2 on the CMYK file; returns how many blocks became images. Afterwards no page or form has a
    transparency group and nothing paints with an opacity, a soft mask or a blend mode."""
    import pikepdf

    count = 0
    if _has_transparency(doc):
        for number, page in enumerate(doc.pages, 1):
            count += _rasterise_page(doc, page, ppi, f"page {number}")
    for owner in [page.obj for page in doc.pages] + [o for o in doc.objects if isinstance(o, pikepdf.Stream)]:
        if "/Group" in owner and owner.get("/Subtype") != "/Image":
            del owner["/Group"]
    for page in doc.pages:
        page.remove_unreferenced_resources()
    left = [
        f"page {n}"
        for n, page in enumerate(doc.pages, 1)
        if any(not item.opaque for item in paint_order(doc, page).items)
    ]
    if left:
        raise fail(f"prepress: transparency left on {left[0]} after flattening; the file was not written", shown)
    # No painting operation uses them any more (checked above): graphics states that still name an
    # opacity (set before a shape drawn opaque by pass 1) say 1, so the file has none left.
    for owner in [page.obj for page in doc.pages] + [o for o in doc.objects if isinstance(o, pikepdf.Stream)]:
        resources = owner.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary):
            for gs in (resources.get("/ExtGState") or {}).values():
                if isinstance(gs, pikepdf.Dictionary) and _transparent(gs):
                    for key in ("/ca", "/CA"):
                        if key in gs:
                            gs[key] = 1
                    if "/SMask" in gs:
                        gs.SMask = pikepdf.Name("/None")
                    if "/BM" in gs:
                        gs.BM = pikepdf.Name.Normal
    return count


def _units(painting: Painting, page) -> list[tuple[int, int, Box]]:
    """The pieces of the page's content stream that paint with transparency: (first, last instruction,
    device box). A piece is one painting operation of the page's stream (its path and operator), or
    the `Do` of a form that paints with transparency; pieces that overlap in the stream are merged."""
    boxes: dict[tuple[int, int], Box] = {}
    for item in painting.items:
        if not item.opaque and not _empty(item.box):
            old = boxes.get(item.anchor)
            boxes[item.anchor] = item.box if old is None else _union(old, item.box)
    units: list[tuple[int, int, Box]] = []
    for (start, end), box in sorted(boxes.items()):
        if units and start <= units[-1][1]:
            first, last, other = units.pop()
            units.append((first, max(last, end), _union(other, box)))
        else:
            units.append((start, end, box))
    return units


def _rasterise_page(doc, page, ppi: float, where: str) -> int:
    import pikepdf

    painting = paint_order(doc, page)
    units = _units(painting, page)
    if not units:
        return 0
    ins = painting.streams[page.obj.objgen]
    media = [float(v) for v in page.obj.MediaBox]
    step = 72 / ppi
    regions: list[Box] = []
    for _, _, box in units:
        x0, y0, x1, y1 = _meet(box, (media[0], media[1], media[2], media[3]))
        # On the page's pixel grid at `ppi`, outwards: neighbouring regions meet without a seam.
        snap = [
            media[0] + int((x0 - media[0]) // step) * step,
            media[1] + int((y0 - media[1]) // step) * step,
            media[0] + -int(-(x1 - media[0]) // step) * step,
            media[1] + -int(-(y1 - media[1]) // step) * step,
        ]
        regions.append((snap[0], snap[1], min(snap[2], media[2]), min(snap[3], media[3])))
    # One temporary file, one page per region: the page's content up to the end of that piece.
    scratch = pikepdf.new()
    for (_, end, _), region in zip(units, regions):
        scratch.pages.append(page)
        copy = scratch.pages[-1].obj
        depth = ins.ops[: end + 1].count("q") - ins.ops[: end + 1].count("Q")
        closing = [pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q"))] * max(depth, 0)
        copy.Contents = scratch.make_stream(ins.unparse(stop=end + 1, tail=closing))
        copy.MediaBox = pikepdf.Array([round(v, 4) for v in region])
        for key in ("/CropBox", "/TrimBox", "/BleedBox", "/ArtBox"):
            if key in copy:
                del copy[key]
    buf = io.BytesIO()
    scratch.save(buf)
    images = render_cmyk(buf.getvalue(), ppi, f"flattening the transparency of {where} (PDF/X-1a, X-3)")
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    if "/ExtGState" not in resources:
        resources.ExtGState = pikepdf.Dictionary()
    resources.ExtGState[OPAQUE_GS] = pikepdf.Dictionary(
        Type=pikepdf.Name.ExtGState, ca=1, CA=1, SMask=pikepdf.Name("/None")
    )
    replaced: dict[int, list] = {}
    skip: set[int] = set()
    for n, ((start, end, _), region, image) in enumerate(zip(units, regions, images)):
        name = f"/PEflat{n}"
        raw = image.tobytes()
        xobj = pikepdf.Stream(doc, zlib.compress(raw, 6))
        xobj.Type, xobj.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        xobj.Width, xobj.Height = image.width, image.height
        xobj.ColorSpace, xobj.BitsPerComponent = pikepdf.Name.DeviceCMYK, 8
        xobj.Filter = pikepdf.Name.FlateDecode
        resources.XObject[name] = xobj
        ctm = _depth0_ctm(ins, start)
        place = (region[2] - region[0], 0.0, 0.0, region[3] - region[1], region[0], region[1])
        matrix = concat(place, _inverse(ctm))
        replaced[start] = [
            pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")),
            # the image holds the composited result: drawn opaque, whatever opacity was set before
            pikepdf.ContentStreamInstruction([pikepdf.Name(OPAQUE_GS)], pikepdf.Operator("gs")),
            pikepdf.ContentStreamInstruction([round(v, 6) for v in matrix], pikepdf.Operator("cm")),
            pikepdf.ContentStreamInstruction([pikepdf.Name(name)], pikepdf.Operator("Do")),
            pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q")),
        ]
        skip.update(range(start, end + 1))
    content.write(doc, page.obj, ins.unparse(before=replaced, skip=skip))
    return len(units)


def _depth0_ctm(ins: content.Plain | content.Parsed, before: int) -> Matrix:
    """The transformation in force at the page's top level just before instruction `before`."""
    ctm, depth, saved = IDENTITY, 0, []
    for i, op in enumerate(ins.ops[:before]):
        if op == "q":
            saved.append(ctm)
            depth += 1
        elif op == "Q":
            ctm = saved.pop() if saved else ctm
            depth -= 1
        elif op == "cm":
            ctm = concat(tuple(_num(a) for a in ins.operands(i)), ctm)  # type: ignore[arg-type]
    return ctm


def _inverse(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(e * ia + f * ic), -(e * ib + f * id_))
