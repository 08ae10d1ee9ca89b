"""layouts/*.svg (+ sidecars) → `Template`s: families, variants, slots in their real frames, what a poster must give.

Every `layouts/<name>.svg` is a family; `layouts/<name>.<variant>.svg` are its variants for other
shapes. A template is walked at any depth — Inkscape layers, nested groups — and each slot keeps
the element it replaces and its frame: its box in its own units and the matrix from there to the
template's page (every ancestor's transform, its own, and the viewBox origin). Decoration is kept
as drawn; what is not drawn (defs, styles, hidden layers, `data-placeholder` samples) is not walked.
A repeating group (`repeat:list`) keeps its first drawn child as the model of one item, the box of
one item and the box of the whole list (docs/layouts.md §6); its other children are previews.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from poster_engine.core.diagnostics import PosterError, did_you_mean, fail
from poster_engine.core.geometry import Box, Matrix
from poster_engine.core.limits import MAX_SVG_BYTES, MAX_SVG_COORDINATE
from poster_engine.project.designer_svg import parse_svg_tree
from poster_engine.project.files import record_file, record_listing
from poster_engine.project.fonts import FontLibrary, library
from poster_engine.project.paths import PathProblem, read_file
from poster_engine.project.slots import (
    ANCHORS,
    FIELD,
    FLOWS,
    KIND_RULES,
    LISTS,
    QR_MODES,
    REPEAT_RULES,
    Mark,
    Rules,
    Sidecar,
    SlotKind,
    Source,
    attribute_rules,
    check_rules,
    defaults_for_field,
    infer_kind,
    mark_of,
    merge_rules,
    poster_key,
    read_sidecar,
    require_rules,
)
from poster_engine.project.svg import (
    SVG_NS,
    SvgTree,
    hidden,
    is_svg,
    tag,
    transform_of,
    usable,
    view_box,
)

# Elements that draw nothing by themselves: not walked for slots, kept as they are.
NOT_DRAWN = frozenset(
    {
        "defs",
        "style",
        "title",
        "desc",
        "metadata",
        "symbol",
        "clipPath",
        "mask",
        "pattern",
        "marker",
        "linearGradient",
        "radialGradient",
        "filter",
    }
)
CONTAINERS = frozenset({"g", "a", "switch"})
BOXED = frozenset({"rect", "image", "use", "svg"})  # elements with x, y, width, height


@dataclass(frozen=True, eq=False)
class TemplateSlot:
    """A slot as drawn: its box in its own units and the matrix from there to the template's page."""

    name: str
    kind: SlotKind
    element: ET.Element  # the element the slot's content replaces
    box: Box  # in the slot's own units
    own: Matrix  # the slot element's own transform (and that of the one element it wraps, if any)
    parent: Matrix  # every ancestor's transform and the viewBox origin: parent frame → template page
    rules: Rules
    line: int | None
    repeat: str | None = None  # the innermost repeating group the slot is an item's part of

    @property
    def matrix(self) -> Matrix:
        """The slot's own units → the template's page (layout units, before any format)."""
        return self.parent @ self.own


@dataclass(frozen=True, eq=False)
class TemplateRepeat:
    """A group repeated once per item of a list (docs/layouts.md §6), as drawn."""

    name: str  # the group's name: the list it repeats over, or its id with data-repeat
    list: str  # 'films', 'stats', … or 'item.actions' (a list of the enclosing item)
    element: ET.Element  # the group
    model: ET.Element  # its first drawn child: one item, drawn where the first item goes
    cell: Box  # the model's bounds, in the group's units: one item's box
    area: Box  # the bounds of everything the group draws, previews included: the list's box
    frame: Matrix  # the group's units → the template's page
    flow: str  # 'down': columns are filled top to bottom; 'right': rows left to right
    columns: int  # how many columns: as many items as the area is wide for, or the rule's number
    gap: tuple[float, float]  # between rows, between columns (the group's units)
    rules: Rules
    line: int | None
    parent: str | None = None  # the enclosing repeat's name, for a list inside an item


@dataclass(frozen=True, eq=False)
class Template:
    """One template file, read and checked."""

    file: str  # e.g. layouts/choc.svg
    width: float  # viewBox width: the reference size in layout units
    height: float
    origin: tuple[float, float]  # viewBox x, y
    tree: SvgTree
    slots: tuple[TemplateSlot, ...]
    rules: dict[ET.Element, Rules]  # every element with data-* rules (attributes or sidecar), slots included
    repeats: tuple[TemplateRepeat, ...] = ()

    def slot_of(self, el: ET.Element) -> TemplateSlot | None:
        return self._by_element.get(el)

    def repeat_of(self, el: ET.Element) -> TemplateRepeat | None:
        return self._repeats.get(el)

    @cached_property
    def _repeats(self) -> dict[ET.Element, TemplateRepeat]:
        return {r.element: r for r in self.repeats}

    def line(self, el: ET.Element) -> int | None:
        return self.tree.line(el)

    def rule(self, el: ET.Element, key: str, default: str | None = None) -> str | None:
        value = self.rules.get(el, {}).get(key)
        return value[0] if value else default

    @cached_property
    def _by_element(self) -> dict[ET.Element, TemplateSlot]:
        return {s.element: s for s in self.slots}


# What can be a family's name: a file name without a dot (the dot starts a variant's shape), never
# a path. A name given on the command line that is not one is refused before anything is looked up.
FAMILY_NAME = re.compile(r"^[^./\\\x00-\x1f\x7f]{1,100}$")


def families(root: Path) -> list[str]:
    """Every layout family of the project: layouts/<name>.svg without a dot in <name>."""
    folder = Path(root) / "layouts"
    return sorted(p.stem for p in folder.glob("*.svg") if "." not in p.stem) if folder.is_dir() else []


def variant_files(root: Path, family: str) -> list[Path]:
    """layouts/<family>.svg and its shape variants layouts/<family>.<variant>.svg."""
    folder = Path(root) / "layouts"
    return [folder / f"{family}.svg", *sorted(folder.glob(f"{family}.*.svg"))]


def sidecar_files(svg: Path) -> list[Path]:
    """The sidecars a template reads: the family's, then the variant's own (which wins)."""
    family = svg.name.split(".")[0]
    own = svg.with_suffix(".yaml")
    return [svg.with_name(f"{family}.yaml")] + ([own] if svg.stem != family else [])


def load_template(path: Path) -> Template:
    """Read a template and its sidecars (cached by their modification times). Callers that depend
    on it record `template_files(path)` (a job: for its cache key)."""
    stamps = tuple((p, p.stat().st_mtime_ns if p.is_file() else None) for p in sidecar_files(path))
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise fail("layout file not found", f"layouts/{path.name}") from None
    # The project's fonts draw the designer's <text>: one library per process (the live preview
    # makes a new one when fonts/ changes), so a template is read again with the new fonts.
    return _load(path, mtime, stamps, library(path.parent.parent / "fonts"))


def record_template(path: Path, template: Template | None = None) -> None:
    """Record what a job read of a template: the SVG and each sidecar it looks for, found or not
    (one added later changes what the layout shows), and the font files its designer's text is
    drawn with, and fonts/'s listing (which decides which file a family and weight take)."""
    for p in (path, *sidecar_files(path)):
        record_file(p)
    if template is not None and template.tree.fonts:
        record_listing("fonts")
        for font in template.tree.fonts:
            record_file(font)


def _parse(path: Path, mtime_ns: int, fonts: FontLibrary) -> SvgTree:
    found = _parsed(path, mtime_ns, fonts)
    if isinstance(found, PosterError):
        raise PosterError(found.diagnostics)
    return found


@lru_cache(maxsize=128)
def _parsed(path: Path, mtime_ns: int, fonts: FontLibrary) -> SvgTree | PosterError:
    """The tree, or why it cannot be had: a refused file is refused once per change, not once per
    poster that uses it (a file at the element bound takes 0.4 s to refuse)."""
    try:
        return _read_and_parse(path, fonts)
    except PosterError as exc:
        return exc.with_traceback(None)  # kept without the frames that raised it


def _read_and_parse(path: Path, fonts: FontLibrary) -> SvgTree:
    raw = read_file(path, MAX_SVG_BYTES)  # never more than the bound is read
    if isinstance(raw, PathProblem):
        if raw.kind == "missing":
            raise fail("layout file not found", f"layouts/{path.name}")
        raise raw.error(f"layouts/{path.name}", "simplify it" if raw.kind == "too-large" else None)
    return parse_svg_tree(raw, f"layouts/{path.name}", "a layout", fonts)


@lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int, sidecars: tuple[tuple[Path, int | None], ...], fonts: FontLibrary) -> Template:
    shown = f"layouts/{path.name}"
    tree = _parse(path, mtime_ns, fonts)
    root = tree.root
    if root.tag != f"{{{SVG_NS}}}svg":
        raise fail("the root element must be <svg> in the SVG namespace", shown, tree.line(root))
    vx, vy, width, height = _view_box(root, shown, tree.line(root))
    cars = [read_sidecar(p, f"layouts/{p.name}") for p, _ in sidecars]
    walk = _Walk(tree, shown, cars)
    walk.walk(root, Matrix.translate(-vx, -vy) if (vx, vy) != (0.0, 0.0) else Matrix(), 0)
    if not walk.slots:
        raise fail(
            "the layout has no slots (elements named {field} or slot:name, or with data-slot); "
            "see README 'Adding or editing a layout'",
            shown,
        )
    walk.check_sidecar_names(path)
    return Template(shown, width, height, (vx, vy), tree, tuple(walk.slots), walk.rules, tuple(walk.repeats))


def _view_box(root: ET.Element, shown: str, line: int | None) -> tuple[float, float, float, float]:
    """The viewBox: the template's reference size. Without one, plain numeric width and height are
    the size in user units, as SVG says. Zero, negative, NaN or infinite sizes are refused."""
    found = view_box(root)
    if found is None:
        raise fail(
            "the <svg> root needs a viewBox='0 0 W H' (the reference size, e.g. 297 420 for A3 in mm)", shown, line
        )
    return found


class _Walk:
    """The walk of one template: slots found, rules merged, names checked."""

    def __init__(self, tree: SvgTree, shown: str, sidecars: list[Sidecar]):
        self.tree, self.shown, self.sidecars = tree, shown, sidecars
        self.slots: list[TemplateSlot] = []
        self.repeats: list[TemplateRepeat] = []
        self.rules: dict[ET.Element, Rules] = {}
        self.names: set[str] = set()
        self.seen: dict[str, int | None] = {}
        self.within: TemplateRepeat | None = None  # the repeating group whose model is being walked

    def walk(self, parent: ET.Element, frame: Matrix, depth: int) -> None:
        for el in parent:
            self.visit(el, frame, depth)

    def visit(self, el: ET.Element, frame: Matrix, depth: int) -> None:
        """One element in its parent's frame: a slot, a repeating group, a group to walk, or decoration."""
        name = tag(el)
        if not drawn(el):
            return
        line = self.tree.line(el)
        mark = mark_of(el)
        if mark:
            self.names.add(mark.name)
        rules = attribute_rules(el, self.shown, line)
        if mark:
            rules = merge_rules(mark.name, rules, self.sidecars, line, self.shown)
        own = transform_of(el)
        is_slot = "slot" in rules or (mark is not None and mark.slot)
        if is_slot and mark is None:
            kind = rules["slot"][0]
            raise fail(f"a data-slot='{kind}' element has no id; give every slot a unique id", self.shown, line)
        if "repeat" in rules and (mark is None or mark.repeat is None):
            raise fail("a data-repeat group has no id; give it one, or name it repeat:<list>", self.shown, line)
        if mark is not None and mark.repeat is not None and not is_slot:
            if rules:
                self.rules[el] = rules
            self._repeat(el, mark, rules, frame, own, line, depth)
            return
        self._check_element(el, mark, rules, is_slot, line)
        if rules:
            self.rules[el] = rules
        if is_slot:
            assert mark is not None
            self._slot(el, mark, rules, frame, own, line)
        elif name in CONTAINERS:
            self.walk(el, frame @ own, depth + 1)

    def _repeat(
        self, el: ET.Element, mark: Mark, rules: Rules, frame: Matrix, own: Matrix, line: int | None, depth: int
    ) -> None:
        """A repeating group: its rules checked, its model walked for the item's slots, its boxes measured."""
        name, shown = mark.name, self.shown
        assert mark.repeat is not None
        self._unique(name, line)
        if tag(el) not in CONTAINERS:
            raise fail(
                f"'repeat:{mark.repeat}' must be a group (a layer or a group holding one item as drawn)", shown, line
            )
        for key, (_, source) in rules.items():
            if key not in REPEAT_RULES:
                what = "attribute" if source.spelled.startswith("data-") else "key"
                raise fail(
                    f"repeating group '{name}': unknown {what} '{source.spelled}'{did_you_mean(key, REPEAT_RULES)}",
                    source.file,
                    source.line,
                )
        self._check_element(el, mark, {k: v for k, v in rules.items() if k == "anchor"}, True, line)
        parent = self.within
        listed = mark.repeat
        if parent is None and listed not in LISTS:
            raise fail(
                f"repeating group '{name}': there is no list '{listed}' to repeat over"
                f"{did_you_mean(listed, LISTS)}; lists are {', '.join(LISTS)}",
                shown,
                line,
            )
        if parent is not None:
            of = parent.list.split(".")[-1] if parent.list.startswith("item.") else parent.list
            inner = LISTS.get(of, ())
            if not listed.startswith("item.") or listed[5:] not in inner:
                known = ", ".join(f"item.{x}" for x in inner) or "none"
                raise fail(
                    f"repeating group '{name}' is inside an item of '{parent.name}', whose items have the lists: "
                    f"{known}; name it repeat:item.<list>",
                    shown,
                    line,
                )
        children = [c for c in el if drawn(c)]
        if not children:
            raise fail(
                f"repeating group '{name}' is empty; draw one item in it (a group holding the item's slots)",
                shown,
                line,
            )
        flow = rules["flow"][0] if "flow" in rules else "down"
        if flow not in FLOWS:
            _, source = rules["flow"]
            raise fail(f"repeating group '{name}': {source.spelled} must be down or right", source.file, source.line)
        inner_frame = frame @ own
        cell = _drawn_bounds(children[0], shown, name, self.tree.line(children[0]))
        if cell is None:
            raise fail(
                f"repeating group '{name}': its first item draws nothing the engine can measure; draw the "
                "item's rectangles in it",
                shown,
                self.tree.line(children[0]),
            )
        area = _union([cell, *(b for c in children[1:] if (b := _drawn_bounds(c, shown, name, line)))])
        gap = _gap(name, rules)
        fit = max(1, int((area[0] + area[2] - cell[0] + gap[1] + 1e-6) // (cell[2] + gap[1])))
        columns = fit
        if "columns" in rules:
            raw, source = rules["columns"]
            try:
                columns = int(raw)
            except ValueError:
                columns = 0
            if columns < 1:
                raise fail(
                    f"repeating group '{name}': {source.spelled} must be a whole number of columns, 1 or more",
                    source.file,
                    source.line,
                )
            if columns > fit:
                raise fail(
                    f"repeating group '{name}': {source.spelled} is {columns}, but the group is wide enough for "
                    f"{fit} item(s) of {cell[2]:g} with a gap of {gap[1]:g}; widen the group or narrow the item",
                    source.file,
                    source.line,
                )
        enclosing = parent.name if parent else None
        model = children[0]
        rep = TemplateRepeat(
            name, listed, el, model, cell, area, inner_frame, flow, columns, gap, rules, line, enclosing
        )
        self.repeats.append(rep)
        before = len(self.slots)
        self.within = rep
        try:
            self.visit(children[0], inner_frame, depth + 1)
        finally:
            self.within = parent
        if len(self.slots) == before:
            raise fail(
                f"repeating group '{name}': its first item has no slot; name the item's rectangles "
                "{item.title}, {item.value}… (or slot:name)",
                shown,
                self.tree.line(children[0]),
            )

    def _unique(self, name: str, line: int | None) -> None:
        if name in self.seen:
            raise fail(
                f"slot name '{name}' is used twice (also on line {self.seen[name]}); slot names must be unique",
                self.shown,
                line,
            )
        self.seen[name] = line

    def _check_element(self, el: ET.Element, mark: Mark | None, rules: Rules, is_slot: bool, line: int | None) -> None:
        label = mark.name if mark else tag(el)
        for key, allowed in (("qr", QR_MODES), ("anchor", ANCHORS)):
            if key in rules and rules[key][0] not in allowed:
                _, source = rules[key]
                must = "code or text" if key == "qr" else f"one of {', '.join(ANCHORS)}"
                raise fail(f"element '{label}': {source.spelled} must be {must}", source.file, source.line)
        if not is_slot:
            check_rules(label, None, rules)

    def _slot(self, el: ET.Element, mark: Mark, rules: Rules, frame: Matrix, own: Matrix, line: int | None) -> None:
        name = mark.name
        self._unique(name, line)
        if mark.field:
            for key, value in defaults_for_field(mark.field).items():
                rules.setdefault(key, (value, Source(self.shown, line, "name")))
        if self.within is None:
            for key in ("text", "url", "src"):
                value, source = rules.get(key, ("", Source(self.shown, line, "")))
                item = next((f for f in FIELD.findall(value) if f.startswith("item.")), None)
                if item:
                    raise fail(
                        f"slot '{name}' shows {{{item}}} but is in no repeating group; an item's fields are "
                        "shown by the slots of a group named repeat:<list> (docs/layouts.md §6)",
                        source.file,
                        source.line,
                    )
        kind = rules["slot"][0] if "slot" in rules else infer_kind({k: v for k, (v, _) in rules.items()})
        if kind not in KIND_RULES:
            _, source = rules["slot"]
            raise fail(
                f"slot '{name}': {source.spelled} must be text, qr or visual, not '{kind}'", source.file, source.line
            )
        if kind == "qr" and "qr" in rules:
            raise fail(f"slot '{name}': a qr slot is always data-qr='code'; remove data-qr", self.shown, line)
        check_rules(name, kind, rules)
        sidecar = self.sidecars[0].file if self.sidecars else "layouts/<family>.yaml"
        require_rules(name, kind, rules, self.shown, line, sidecar)
        box, inner = _frame_of(el, self.shown, name, line)
        own = own @ inner
        matrix = frame @ own
        if matrix.degenerate():
            culprit = next((a for a in [*self._ancestors(el), el] if transform_of(a).degenerate()), el)
            what = mark_of(culprit)
            raise fail(
                f"slot '{name}' is drawn through a transform that flattens it (zero scale) on element "
                f"'{what.name if what else tag(culprit)}'; reset that element's scale in the editor",
                self.shown,
                self.tree.line(culprit),
            )
        within = self.within.name if self.within else None
        self.slots.append(TemplateSlot(name, kind, el, box, own, frame, rules, line, within))  # type: ignore[arg-type]

    def _ancestors(self, el: ET.Element) -> list[ET.Element]:
        """el's ancestors from the root's child down (ElementTree has no parent links)."""
        path: list[ET.Element] = []

        def find(node: ET.Element) -> bool:
            for child in node:
                if child is el or find(child):
                    if child is not el:
                        path.append(child)
                    return True
            return False

        find(self.tree.root)
        return path[::-1]

    def check_sidecar_names(self, path: Path) -> None:
        """A sidecar entry must name an element of its template: the family's sidecar of the base
        template (a variant may lack some), a variant's own sidecar of that variant."""
        for i, sidecar in enumerate(self.sidecars):
            if i == 0 and len(self.sidecars) > 1:
                continue  # a variant: the family's sidecar is checked when the base template is read
            known = self.names
            for name, line in sidecar.lines.items():
                if name not in known:
                    raise fail(
                        f"no element of {self.shown} is named '{name}'{did_you_mean(name, known)}; name the "
                        "element so in the editor (its label or id) or fix the entry",
                        sidecar.file,
                        line,
                    )


def drawn(el: ET.Element) -> bool:
    """Whether an element is drawn: SVG, not a definition, not a placeholder sample, not hidden."""
    return is_svg(el) and tag(el) not in NOT_DRAWN and el.get("data-placeholder") is None and not hidden(el)


def _gap(name: str, rules: Rules) -> tuple[float, float]:
    """`gap`: one number for rows and columns, or "row column" (as CSS writes it)."""
    if "gap" not in rules:
        return 0.0, 0.0
    raw, source = rules["gap"]
    try:
        values = [float(v) for v in raw.replace(",", " ").split()]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or any(v < 0 for v in values):
        raise fail(
            f"repeating group '{name}': {source.spelled} must be one number, or two (between rows, between "
            f'columns), 0 or more, e.g. "4" or "4 8", not {raw!r}',
            source.file,
            source.line,
        )
    return values[0], values[-1]


def _union(boxes: list[Box]) -> Box:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def _drawn_bounds(el: ET.Element, shown: str, name: str, line: int | None) -> Box | None:
    """The bounds of what an element draws in its parent's units (its own transform applied), without
    placeholder samples and editors' <text> previews (their box needs the editor's fonts)."""
    import io

    from svgelements import SVG

    def copy(node: ET.Element) -> ET.Element:
        out = ET.Element(node.tag, dict(node.attrib))
        out.extend(copy(c) for c in node if drawn(c) and tag(c) not in ("text", "tspan"))
        return out

    doc = f'<svg xmlns="{SVG_NS}">{ET.tostring(copy(el), encoding="unicode")}</svg>'
    box = SVG.parse(io.StringIO(doc)).bbox()
    if box is None or box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
        return None
    return _measured(box, shown, name, line)


def _measured(box: tuple[float, float, float, float], shown: str, name: str, line: int | None) -> Box:
    """svgelements' bounds (x0, y0, x1, y1) → a Box, if a renderer can draw with its numbers."""
    x0, y0, x1, y1 = box
    if not usable(x0, y0, x1, y1):
        raise fail(
            f"slot '{name}' measures NaN, infinite, or beyond {MAX_SVG_COORDINATE:,} user units; redraw it",
            shown,
            line,
        )
    return x0, y0, x1 - x0, y1 - y0


def _frame_of(el: ET.Element, shown: str, name: str, line: int | None) -> tuple[Box, Matrix]:
    """A slot element's box in its own units, and the transform of the one element it wraps (a
    group around a rectangle, as Illustrator and Affinity write a named layer) when it wraps one."""
    kind = tag(el)
    if kind in BOXED:
        return _boxed(el, shown, name, line), Matrix()
    if kind in CONTAINERS:
        drawn = [c for c in el if is_svg(c) and tag(c) not in NOT_DRAWN and not hidden(c)]
        if len(drawn) == 1 and tag(drawn[0]) not in ("text",):
            box, inner = _frame_of(drawn[0], shown, name, line)
            return box, transform_of(drawn[0]) @ inner
    if kind in ("text", "tspan"):
        raise fail(
            f"slot '{name}' is a <text>: the engine cannot measure text an editor set; draw a rectangle "
            "where the text goes and give it the slot's name instead",
            shown,
            line,
        )
    return _bounds(el, shown, name, line), Matrix()


def _boxed(el: ET.Element, shown: str, name: str, line: int | None) -> Box:
    values = []
    for attr, default in (("x", 0.0), ("y", 0.0), ("width", None), ("height", None)):
        raw = el.get(attr)
        if raw is None:
            if default is None:
                raise fail(f"element '{name}' needs a numeric '{attr}' attribute", shown, line)
            values.append(default)
            continue
        try:
            value = float(raw.strip().removesuffix("px"))
        except ValueError:
            value = math.nan
        if not usable(value) or (default is None and value <= 0):
            kind = "a positive number" if default is None else "a number"
            raise fail(
                f"element '{name}': '{attr}' must be {kind} in user units (at most {MAX_SVG_COORDINATE:,}), "
                f"not {raw[:40]!r}",
                shown,
                line,
            )
        values.append(value)
    return values[0], values[1], values[2], values[3]


def _bounds(el: ET.Element, shown: str, name: str, line: int | None) -> Box:
    """The bounding box of what an element draws, in its own units (without its own transform):
    svgelements reads the shapes and paths and applies the transforms inside."""
    import io

    from svgelements import SVG  # shapes and paths as SVG defines them: not re-implemented here

    inner = ET.Element(el.tag, {k: v for k, v in el.attrib.items() if k != "transform"})
    inner.extend(list(el))
    doc = f'<svg xmlns="{SVG_NS}">{ET.tostring(inner, encoding="unicode")}</svg>'
    box = SVG.parse(io.StringIO(doc)).bbox()
    if box is None:
        raise fail(
            f"slot '{name}' draws nothing the engine can measure; draw a rectangle where the slot goes and name it",
            shown,
            line,
        )
    return _measured(box, shown, name, line)


# --- what a poster must give -------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """A poster key a template needs: the field that needs it and where the template shows it."""

    key: str  # the poster file's key, e.g. 'stat'
    field: str  # e.g. 'stat.value'
    slot: str
    file: str
    line: int | None


def needs(root: Path, family: str) -> list[Need]:
    """The poster keys a family needs, each once, from its base template then its variants: every
    field of a slot that is not optional. Raises the template's own error if one cannot be read."""
    found: dict[str, Need] = {}
    for path in variant_files(root, family):
        template = load_template(path)
        for slot in template.slots:
            if slot.rules.get("optional", ("false",))[0] == "true":
                continue
            for key in ("text", "url", "src"):
                value, source = slot.rules.get(key, ("", None))
                for field in FIELD.findall(value):
                    poster = poster_key(field)
                    if poster and poster not in found:
                        # Where the field is written: the element's line, or the sidecar's.
                        file, line = (source.file, source.line) if source else (template.file, slot.line)
                        found[poster] = Need(poster, field, slot.name, file, line)
    return list(found.values())
