"""A designer's SVG `<text>` (a title typed in Inkscape, Illustrator, Figma…) → glyph outlines drawn
with the project's fonts/, where the editor placed them; or a refusal with its line.

cairosvg would draw such text with the machine's fonts ("Inter" became DejaVu Sans in a PDF), in
two weights and without kerning. Here each text is laid out as a browser lays out SVG 1.1 text,
given fonts/ as its only fonts: the computed style of every character (`font-family` list,
`font-weight`, `font-style`, `font-size`, `letter-spacing`, `word-spacing`, `text-anchor`, from
presentation attributes, `style=""`, `<style>` sheets and the ancestors), the white space as SVG
collapses it, the text chunks that `x`/`y` start (Inkscape's lines are `<tspan sodipodi:role="line">`
each with its own x and y), `dx`/`dy`; HarfBuzz shapes each run (kerning, ligatures) and the
glyph outlines become `<path>`s. The `<text>` and its `<tspan>`s become `<g>`s keeping every other
attribute (id, class, style, transform, fill, stroke, opacity…), so paint reaches the outlines by
inheritance as it reached the glyphs: a layout's palette classes keep working. Everything after
(cairosvg, the PDF, prepress, PNG) sees paths: no font is embedded for them.

Refused, with the line and the fix: a family fonts/ does not have (generic families name none),
italic text whose family has no italic (no slanted upright is made up), a character no family of
its list has (each character takes the first family listed that fonts/ has and that has it),
and what this layout does not draw faithfully: `<textPath>`, per-glyph positions (several values
in x, y, dx, dy; `rotate`), vertical writing, right-to-left text, `baseline-shift`, text
decorations, `font-variant` and `font-feature-settings` other than normal, the `font` shorthand,
positions in percent. `textLength` and `<flowRoot>` are refused by drawable.check, before.
Kept as they are: slot samples (`data-placeholder`), hidden layers, empty text, and a slot drawn
as a `<text>` (the layout's own check says it).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

from poster_engine.core.diagnostics import PosterError, fail
from poster_engine.core.geometry import Matrix
from poster_engine.core.limits import MAX_SVG_COORDINATE, MAX_SVG_TEXT_CHARS
from poster_engine.project.fonts import FaceNames, Font, FontLibrary, clusters
from poster_engine.project.stylesheets import Css, declared
from poster_engine.project.svg import (
    INKSCAPE_NS,
    PX_PER_UNIT,
    SVG_NS,
    XML_NS,
    Lines,
    TypedText,
    hidden,
    tag,
    transform_of,
    usable,
)

CONVERT = (
    "or convert the text to paths in the editor (Inkscape: Path > Object to Path; Illustrator: Type > "
    "Create Outlines; Figma: Outline stroke, or export with Outline text)"
)
_SLOT_LABEL = re.compile(r"^\s*(\{|slot:)")
_GENERIC = frozenset(
    ("serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-serif", "ui-sans-serif")
    + ("ui-monospace", "ui-rounded", "math", "emoji", "fangsong")
)
# CSS absolute sizes (CSS Fonts 4 §2.5, medium = 16px) and user units per CSS unit (1px = 1 unit).
_SIZE_KEYWORDS = {"xx-small": 9, "x-small": 10, "small": 13, "medium": 16, "large": 18, "x-large": 24, "xx-large": 32}
_LENGTH = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*([a-z%]*)", re.IGNORECASE)
_WEIGHTS = {"normal": 400, "bold": 700}
_POSITIONS = ("x", "y", "dx", "dy")
_CONTENT = frozenset(("tspan", "a"))  # what holds characters inside a <text>, drawn as a group
_UNDRAWN = frozenset(("title", "desc", "metadata"))


@dataclass(frozen=True)
class _Style:
    """What a character's drawing depends on, computed (inherited values resolved)."""

    families: tuple[str, ...] = ()
    size: float = 16.0  # CSS `medium`
    weight: int = 400
    italic: bool = False
    letter_spacing: float = 0.0
    word_spacing: float = 0.0
    anchor: str = "start"
    preserve: bool = False  # xml:space="preserve" or white-space: pre…
    case: str = "none"  # text-transform: none, uppercase or lowercase
    kerning: bool = True  # font-kerning: auto and normal kern, none does not


def outline_texts(
    root: ET.Element, lines: Lines, text: str, shown: str, fonts: FontLibrary | None
) -> tuple[tuple[Path, ...], tuple[TypedText, ...]]:
    """Every drawn, non-empty `<text>` of the tree replaced by its outlines; the font files they
    were drawn with (a change to one must redraw what uses the file: the caller records them), and
    the texts drawn on the page as `poster check` measures them.
    Styles are computed along the ancestors of such texts only: a 20 000-shape drawing with one
    title pays for one branch, one without (its slots' samples aside) for one pass over the tree."""
    if "text" not in text:  # the file's own text: no <text> element
        return (), ()
    candidates = [
        el for el in root.iter(f"{{{SVG_NS}}}text") if el.get("data-placeholder") is None and _drawn_words(el)
    ]
    if not candidates:
        return (), ()
    from poster_engine.project.stylesheets import sheet_declarations

    count = 0
    for el in candidates:
        count += len("".join(el.itertext()))
        if count > MAX_SVG_TEXT_CHARS:
            raise fail(
                f"its <text> elements hold more than {MAX_SVG_TEXT_CHARS:,} characters, more than the engine "
                "draws as outlines (README, Limits); keep the words of the design, or convert them to paths",
                shown,
                lines.get(el),
            )
    parents = {child: parent for parent in root.iter() for child in parent}
    css = sheet_declarations(root)
    styles: dict[ET.Element, _Style] = {}
    used: dict[Path, None] = {}
    typed: list[TypedText] = []
    for el in candidates:
        chain = [el]
        while chain[-1] in parents:
            chain.append(parents[chain[-1]])
        if any(a.get("data-placeholder") is not None or hidden(a) for a in chain):
            continue  # a slot's sample, a hidden layer: not drawn
        label = el.get(f"{{{INKSCAPE_NS}}}label", "")
        if _SLOT_LABEL.match(label) or el.get("data-slot") is not None:
            continue  # a slot set as a <text>: refused by the layout's check, with its own fix
        style = _Style()
        for node in reversed(chain):
            if node not in styles:
                styles[node] = _computed(node, style, css, shown, lines)
            style = styles[node]
        layout = _Layout(el, css, lines, shown, fonts)
        outlined = layout.outlined(style, clip=any(tag(a) == "clipPath" for a in chain))
        parent = parents[el]
        parent[list(parent).index(el)] = outlined
        used.update(dict.fromkeys(layout.used))
        if layout.x_height < float("inf") and not any(tag(a) in _NOT_ON_THE_PAGE for a in chain):
            frame = Matrix()
            for node in reversed(chain):
                frame = frame @ transform_of(node)
            typed.append(TypedText(lines.get(el), layout.words[:40], layout.x_height * frame.line_scale))
    return tuple(used), tuple(typed)


# Where a text is no text on the page (a shape, a mask, a fill), drawn at a size of another's.
_NOT_ON_THE_PAGE = frozenset({"clipPath", "mask", "pattern", "marker", "symbol", "defs"})


def _drawn_words(el: ET.Element) -> bool:
    """Whether a <text> draws a character: its own and its shown tspans' text, spaces aside."""
    if (el.text or "").strip():
        return True
    for child in el:
        if isinstance(child.tag, str) and not hidden(child) and tag(child) not in _UNDRAWN and _drawn_words(child):
            return True
        if (child.tail or "").strip():
            return True
    return False


def _words(el: ET.Element) -> str:
    return " ".join("".join(el.itertext()).split())


# CSS properties SVG has no presentation attribute for: an attribute of that name sets nothing.
_CSS_ONLY = frozenset({"text-transform", "font-kerning"})


def _declared(el: ET.Element, name: str, css: Css) -> str | None:
    value = declared(el, name, css, attribute=name not in _CSS_ONLY)
    return None if value is None or value.lower() in ("inherit", "") else value


def _length(raw: str, em: float, el: ET.Element, what: str, shown: str, lines: Lines) -> float:
    """A CSS length in user units (px, pt, mm…, em and ex of `em`); percentages are refused."""
    found = _LENGTH.fullmatch(raw.strip())
    unit = found.group(2).lower() if found else "?"
    if found is None or (unit not in PX_PER_UNIT and unit not in ("em", "ex", "rem")):
        raise fail(
            f"<text> “{_words(el)[:40]}”: {what} '{raw[:40]}' is not a length the engine can place the text by "
            f"(a number, px, pt, mm, cm, in or em); write it in user units, {CONVERT}",
            shown,
            lines.get(el),
        )
    value = float(found.group(1))
    if unit in ("em", "rem", "ex"):
        value *= {"em": em, "rem": 16.0, "ex": em / 2}[unit]
    else:
        value *= PX_PER_UNIT[unit]
    if not usable(value):
        raise fail(
            f"<text> “{_words(el)[:40]}”: {what} '{raw[:40]}' is beyond ±{MAX_SVG_COORDINATE:,} user units; "
            "reset it in the editor",
            shown,
            lines.get(el),
        )
    return value


def _families(raw: str) -> tuple[str, ...]:
    """A `font-family` list: quoted names as written, unquoted ones with their spaces collapsed."""
    found = re.findall(r"\s*(?:'([^']*)'|\"([^\"]*)\"|([^,]+))\s*(?:,|$)", raw)
    return tuple(n for a, b, c in found if (n := (a or b or " ".join(c.split())).strip()))


def _bolder(inherited: int, step: str) -> int:
    """CSS Fonts 4 §2.2's table for `bolder` and `lighter`."""
    if step == "bolder":
        return 400 if inherited < 350 else 700 if inherited < 550 else 900
    return 100 if inherited < 550 else 400 if inherited < 750 else 700


def _computed(el: ET.Element, inherited: _Style, css: Css, shown: str, lines: Lines) -> _Style:
    """The element's style: its own declarations over what it inherits."""
    style = inherited
    family = _declared(el, "font-family", css)
    if family is not None:
        style = replace(style, families=_families(family))
    size = _declared(el, "font-size", css)
    if size is not None:
        key = size.lower()
        if key in _SIZE_KEYWORDS:
            computed = float(_SIZE_KEYWORDS[key])
        elif key in ("smaller", "larger"):
            computed = inherited.size * (1.2 if key == "larger" else 1 / 1.2)
        elif key.endswith("%"):
            computed = inherited.size * float(key[:-1]) / 100
        else:
            computed = _length(size, inherited.size, el, "font-size", shown, lines)
        if computed >= 0:  # a negative size is invalid CSS: the declaration is ignored
            style = replace(style, size=computed)
    weight = (_declared(el, "font-weight", css) or "").lower()
    if weight:
        if weight in ("bolder", "lighter"):
            style = replace(style, weight=_bolder(inherited.weight, weight))
        elif weight in _WEIGHTS or weight.isdigit():
            style = replace(style, weight=_WEIGHTS.get(weight) or max(1, min(1000, int(weight))))
    italic = (_declared(el, "font-style", css) or "").lower()
    if italic:
        style = replace(style, italic=italic.startswith(("italic", "oblique")))
    spacings = {}
    for name in ("letter-spacing", "word-spacing"):
        value = _declared(el, name, css)
        if value is not None:  # an em is the element's own size
            spacings[name] = 0.0 if value.lower() == "normal" else _length(value, style.size, el, name, shown, lines)
    if spacings:
        style = replace(
            style,
            letter_spacing=spacings.get("letter-spacing", style.letter_spacing),
            word_spacing=spacings.get("word-spacing", style.word_spacing),
        )
    case = (_declared(el, "text-transform", css) or "").lower()
    if case in ("none", "uppercase", "lowercase"):
        style = replace(style, case=case)
    kerning = (_declared(el, "font-kerning", css) or "").lower()
    if kerning in ("auto", "normal", "none"):
        style = replace(style, kerning=kerning != "none")
    anchor = (_declared(el, "text-anchor", css) or "").lower()
    if anchor in ("start", "middle", "end"):
        style = replace(style, anchor=anchor)
    space = el.get(f"{{{XML_NS}}}space")
    white = (_declared(el, "white-space", css) or "").lower()
    if white:
        style = replace(style, preserve=white in ("pre", "pre-wrap", "break-spaces"))
    elif space in ("preserve", "default"):
        style = replace(style, preserve=space == "preserve")
    return style


# Properties whose values other than these the outlines would not draw as a browser does.
_REFUSED = {
    "writing-mode": ("lr", "lr-tb", "horizontal-tb"),
    "font-stretch": ("normal", "100%"),
    "glyph-orientation-vertical": ("auto",),
    "direction": ("ltr",),
    "baseline-shift": ("baseline", "0", "0px"),
    "text-decoration": ("none",),
    "text-decoration-line": ("none",),
    "font-variant": ("normal",),
    "font-variant-caps": ("normal",),
    "font-variant-ligatures": ("normal",),
    "font-variant-numeric": ("normal",),
    "font-variant-position": ("normal",),
    "font-variant-east-asian": ("normal",),
    "font-variant-alternates": ("normal",),
    "font-feature-settings": ("normal",),
    "dominant-baseline": ("auto", "alphabetic"),
    "alignment-baseline": ("auto", "baseline", "alphabetic"),
    # Drawn: none, uppercase, lowercase (the characters are changed as a browser changes them).
    # Capitalize's word boundaries and full-width forms are not.
    "text-transform": ("none", "uppercase", "lowercase"),
}


@dataclass
class _Chunk:
    """A text chunk (SVG 1.1 §10.5): what one absolute position starts, anchored as a whole."""

    anchor: str
    start: float  # the x it starts at
    end: float = 0.0  # the pen's x after its last character
    glyphs: list[tuple[ET.Element, float, float, tuple[float, float, str]]] = field(default_factory=list)


@dataclass(frozen=True)
class _Move:
    """Where the next character goes: an absolute position (a new chunk) or a shift (dx, dy)."""

    x: float | None
    y: float | None
    dx: float
    dy: float
    anchor: str


class _Layout:
    """One <text>: its characters read with their styles, placed chunk by chunk, written as outlines."""

    def __init__(self, text: ET.Element, css: Css, lines: Lines, shown: str, fonts: FontLibrary | None):
        self.text, self.css, self.lines, self.shown, self.fonts = text, css, lines, shown, fonts
        self.words = _words(text)
        self.used: list[Path] = []
        self.items: list[_Move | tuple[str, _Style, ET.Element]] = []
        self.last_space = True  # collapsing white space: the text starts as after a space
        self.groups: dict[ET.Element, ET.Element] = {}
        self.x_height = float("inf")  # the smallest of its runs (user units, its own frame)

    def error(self, what: str, el: ET.Element, fix: str | None = None) -> PosterError:
        return fail(
            f"<text> “{self.words[:40]}” {what}; {fix + ', ' if fix else ''}{CONVERT}",
            self.shown,
            self.lines.get(el, self.lines.get(self.text)),
        )

    def outlined(self, style: _Style, clip: bool = False) -> ET.Element:
        """The <g> replacing the text: its tspans' groups, each with the outlines of its characters.
        In a <clipPath>, which holds shapes and no group, one <path> with the text's attributes."""
        group = self._group(self.text, None)
        self.items.append(_Move(0.0, 0.0, 0.0, 0.0, style.anchor))
        self._element(self.text, style)
        if not style.preserve:  # the space ending the text is collapsed away (CSS Text 3 §4.1.2)
            last = next((k for k in range(len(self.items) - 1, -1, -1) if not isinstance(self.items[k], _Move)), None)
            if last is not None:
                item = self.items[last]
                if isinstance(item, tuple) and item[0] == " " and not item[1].preserve:
                    del self.items[last]
        segments: list[tuple[ET.Element, list[str]]] = []
        for chunk in self._chunks():
            width = chunk.end - chunk.start
            shift = {"start": 0.0, "middle": -width / 2, "end": -width}[chunk.anchor]
            for owner, x, y, (dx, dy, rest) in chunk.glyphs:
                piece = f"M{x + shift + dx:.3f} {y + dy:.3f}{rest}"
                if segments and segments[-1][0] is owner:
                    segments[-1][1].append(piece)
                else:
                    segments.append((owner, [piece]))
        if clip:
            self.groups = {}
            outline = "".join(piece for _, pieces in segments for piece in pieces)
            return ET.Element(f"{{{SVG_NS}}}path", {**group.attrib, "d": outline})
        for owner, pieces in segments:  # one path per run of one tspan, in document order
            ET.SubElement(self.groups[owner], f"{{{SVG_NS}}}path", {"style": "fill-rule:nonzero", "d": "".join(pieces)})
        return group

    # --- reading the characters -----------------------------------------------------------------

    def _group(self, el: ET.Element, parent: ET.Element | None) -> ET.Element:
        """The <g> standing for `el`: every attribute but those that placed or measured its text (and
        a tspan's transform, which SVG 1.1 ignores and a group would apply)."""
        dropped = ("x", "y", "dx", "dy", "rotate", "textLength", "lengthAdjust") + (("transform",) if parent else ())
        group = ET.Element(f"{{{SVG_NS}}}g", {k: v for k, v in el.attrib.items() if k not in dropped})
        if parent is not None:
            parent.append(group)
        self.groups[el] = group
        return group

    def _element(self, el: ET.Element, style: _Style) -> None:
        for name, allowed in _REFUSED.items():
            value = _declared(el, name, self.css)
            if value is not None and value.lower().replace(" ", "") not in allowed:
                raise self.error(f"has {name}: {value[:40]}, which the engine does not draw", el)
        if re.search(r"(?:^|;)\s*font\s*:", el.get("style", "") + ";" + self.css.get(el, "")) or "font" in el.attrib:
            raise self.error(
                "sets its font with the `font` shorthand", el, "write font-family, font-size and font-weight apart"
            )
        if "rotate" in el.attrib:
            raise self.error("turns each glyph (rotate)", el, "remove the rotation of the characters")
        placed = {}
        for key in _POSITIONS:
            raw = el.get(key)
            if raw is None or not raw.strip():
                continue
            values = [v for v in re.split(r"[\s,]+", raw.strip()) if v]
            if len(values) > 1:
                raise self.error(
                    f'places its characters one by one ({key}="{raw[:40]}", as when kerned by hand in Inkscape)',
                    el,
                    "remove the manual kerning (Inkscape: Text > Remove Manual Kerns)",
                )
            if values[0].endswith("%"):
                raise self.error(f'is placed in percent ({key}="{raw[:40]}")', el, "place it in user units")
            placed[key] = _length(values[0], style.size, el, key, self.shown, self.lines)
        if placed:
            self.items.append(
                _Move(placed.get("x"), placed.get("y"), placed.get("dx", 0.0), placed.get("dy", 0.0), style.anchor)
            )
        self._characters(el.text, style, el)
        for child in el:
            if isinstance(child.tag, str) and not hidden(child) and child.get("data-placeholder") is None:
                name = tag(child)
                if name in _CONTENT:
                    self._group(child, self.groups[el])
                    self._element(child, _computed(child, style, self.css, self.shown, self.lines))
                elif name == "textPath" and _drawn_words(child):
                    raise self.error("is set along a path (<textPath>), which the engine does not draw", child)
                elif name not in _UNDRAWN and _drawn_words(child):
                    raise self.error(f"holds a <{name}>, which the engine does not draw", child)
            self._characters(child.tail, style, el)

    def _characters(self, raw: str | None, style: _Style, owner: ET.Element) -> None:
        """Characters with white space as SVG 2 (CSS) says: newlines and tabs are spaces; unless
        preserved, a space after a space, or at the start, is dropped (and the one ending the text)."""
        if not raw:
            return
        raw = raw.upper() if style.case == "uppercase" else raw.lower() if style.case == "lowercase" else raw
        # NFC: an 'é' typed as 'e' + U+0301 is the one character the fonts draw (as in slots).
        for char in unicodedata.normalize("NFC", raw.replace("\r\n", " ").translate(_SPACES)):
            if char == " " and not style.preserve:
                if self.last_space:
                    continue
                self.last_space = True
            else:
                self.last_space = False
            self.items.append((char, style, owner))

    # --- placing --------------------------------------------------------------------------------

    def _chunks(self) -> list[_Chunk]:
        """The characters in chunks, shaped in runs of one font, size and spacing, and placed."""
        chunks: list[_Chunk] = []
        x = y = 0.0
        run: list[tuple[str, _Style, ET.Element]] = []
        for item in [*self.items, _Move(None, None, 0.0, 0.0, "start")]:
            if isinstance(item, tuple) and (not run or _same_run(run[0][1], item[1])):
                run.append(item)
                continue
            if run:
                x = self._place(run, chunks[-1], x, y)
                chunks[-1].end = x
                run = []
            if isinstance(item, tuple):
                run.append(item)
                continue
            if item.x is not None or item.y is not None:
                x, y = item.x if item.x is not None else x, item.y if item.y is not None else y
                chunks.append(_Chunk(item.anchor, x, x))
            x, y = x + item.dx, y + item.dy
            if chunks:
                chunks[-1].end = x
        return chunks

    def _place(self, chars: list[tuple[str, _Style, ET.Element]], chunk: _Chunk, x: float, y: float) -> float:
        """One run's glyphs into `chunk` from pen position (x, y); the pen's x after it. Each
        character is drawn with the first font of its `font-family` list that has it, as browsers
        fall back (a family the designer listed, never one they did not), shaped in runs of one font."""
        style, owner0 = chars[0][1], chars[0][2]
        if any(unicodedata.bidirectional(c) in ("R", "AL") for c, _, _ in chars):
            raise self.error("is written right to left, which the engine does not lay out", owner0)
        faces = self._faces(style, owner0)
        picks: list[int] = []
        # A letter and its combining marks from the first font that has them all, as browsers pick
        # a font per cluster.
        for n, end in clusters([c for c, _, _ in chars]):
            char, _, owner = chars[n]
            cluster = [c for c, _, _ in chars[n:end]]
            pick = next(
                (i for i in range(len(faces)) if all(self._font(faces[i], style, owner)[0].covers(c) for c in cluster)),
                None,
            )
            if pick is None and unicodedata.category(char) == "Cf":  # a joiner, a soft hyphen: shaped unseen
                pick = picks[-1] if picks else 0
            if pick is None:
                font, family = self._font(faces[0], style, owner)
                missing = next((c for c in cluster if not font.covers(c)), char)
                raise self.error(
                    f"has the character '{missing}' (U+{ord(missing):04X}), which {family} ({font.shown}) "
                    "does not have",
                    owner,
                    "use a font of fonts/ that has it, or add one that has it to the font-family list",
                )
            picks.extend([pick] * (end - n))
        start = 0
        while start < len(chars):
            end = start + 1
            while end < len(chars) and picks[end] == picks[start]:
                end += 1
            x = self._shaped(chars, start, end, self._font(faces[picks[start]], style, owner0)[0], chunk, x, y)
            start = end
        return x

    def _shaped(
        self,
        chars: list[tuple[str, _Style, ET.Element]],
        start: int,
        end: int,
        font: Font,
        chunk: _Chunk,
        x: float,
        y: float,
    ) -> float:
        style = chars[start][1]
        # CSS turns optional ligatures off in letter-spaced text (CSS Text 3 §8.2).
        features = ["-liga", "-clig", "-dlig"] if style.letter_spacing else []
        features += [] if style.kerning else ["-kern"]
        glyphs = font.shape("".join(c for c, _, _ in chars[start:end]), ",".join(features))
        if any(not c.isspace() for c, _, _ in chars[start:end]):
            self.x_height = min(self.x_height, style.size * font.x_height / font.upem)
        scale = style.size / font.upem
        for k, g in enumerate(glyphs):
            char, _, owner = chars[start + g.cluster]
            outline = font.glyph_outline(g.gid, scale)
            if outline is not None:
                chunk.glyphs.append((owner, x + g.x_offset * scale, y - g.y_offset * scale, outline))
            x += g.x_advance * scale
            if k + 1 == len(glyphs) or glyphs[k + 1].cluster != g.cluster:  # a character's last glyph
                x += style.letter_spacing + (style.word_spacing if char in (" ", "\u00a0") else 0.0)
        return x

    def _faces(self, style: _Style, el: ET.Element) -> list[FaceNames]:
        """The faces of fonts/ for each name of the style's `font-family` list that names one, in
        its order; refused when none does."""
        faces: list[FaceNames] = []
        for family in style.families:
            found = self.fonts.match([family], style.weight, style.italic) if self.fonts is not None else None
            if found is not None and found[1] not in faces:
                faces.append(found[1])
        if not faces:
            asked = ", ".join(style.families) or "none (the renderer's default)"
            has = ", ".join(self.fonts.families()) if self.fonts is not None else ""
            raise self.error(
                f"asks for font family {asked}, which fonts/ does not have (it has: {has or 'no fonts'})"
                f"{self.fonts.unread_note() if self.fonts is not None else ''}",
                el,
                "add the font file to fonts/",
            )
        return faces

    def _font(self, face: FaceNames, style: _Style, el: ET.Element) -> tuple[Font, str]:
        """The font of `face`, refused for italic text when it is upright (a browser would slant it)."""
        if style.italic and not face.italic:
            raise self.error(
                f"is italic, and fonts/ has no italic of {face.family} (no slanted upright is made up)",
                el,
                f"add the italic font file of {face.family} to fonts/, or set the text upright",
            )
        assert self.fonts is not None
        font = self.fonts.get(face.stem, self.shown, self.lines.get(el))
        if font.path not in self.used:
            self.used.append(font.path)
        return font, face.family


_SPACES = str.maketrans("\n\r\t", "   ")


def _same_run(a: _Style, b: _Style) -> bool:
    """Whether two characters' styles shape alike (one HarfBuzz run)."""
    shaped = ("families", "size", "weight", "italic", "letter_spacing", "word_spacing", "kerning")
    return all(getattr(a, k) == getattr(b, k) for k in shaped)
