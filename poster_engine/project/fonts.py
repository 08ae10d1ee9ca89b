"""fonts/ → `Font` objects: HarfBuzz shaping, glyph outlines and ink bounds, all cached.

Fonts are loaded from the project's fonts/ folder only, never from the system, so every machine
renders identically and a printer never receives a substituted face. A variable font file is its
default instance under its file name, and each of its named instances (fvar) is a font of its own,
named as its static cut would be (`Inter-Bold`): docs/layouts.md §7.
"""

from __future__ import annotations

import io
import os
import re
import struct
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean
from poster_engine.core.limits import MAX_FONT_AXES, MAX_FONT_BYTES, MAX_FONT_INSTANCES
from poster_engine.project.files import record_file, record_listing
from poster_engine.project.paths import PathProblem, contained, project_folder, too_large

# OpenType fonts, and the web fonts that wrap one (WOFF: zlib, WOFF2: Brotli), as designers often
# take a family from a web font service.
FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")
# Font files the engine does not read, with what they are: one in fonts/ is named when a font or a
# family is not found, since the user put it there for that.
UNREAD_FONTS = {
    ".ttc": "a font collection",
    ".otc": "a font collection",
    ".dfont": "a Mac font suitcase",
    ".pfb": "a Type 1 font",
    ".pfa": "a Type 1 font",
}
_WEB_FONT_SIGNATURES = (b"wOFF", b"wOF2")
# Weight names as they end font file names (`Inter-SemiBold`), lightest first.
WEIGHTS = ("Thin", "ExtraLight", "Light", "Regular", "Medium", "SemiBold", "Bold", "ExtraBold", "Black")


@dataclass(frozen=True)
class ShapedGlyph:
    gid: int
    x_advance: float  # font units
    x_offset: float
    y_offset: float
    cluster: int = 0  # index in the shaped text of the first character this glyph draws


# Memoised shapes and outlines per font, at most this many each: a long data merge shapes each
# row's texts and draws them at sizes fitted to them, so unbounded caches grew with the batch.
SHAPES_KEPT = 1024
OUTLINES_KEPT = 2048


class Font:
    """One font file, or one instance of a variable font file at `coords` (user-space axis values,
    e.g. {"wght": 700}). Coordinates are font units (y up); callers scale by size / upem."""

    def __init__(self, name: str, path: Path, shown: str, coords: dict[str, float] | None = None):
        import uharfbuzz as hb
        from fontTools.ttLib import TTFont, TTLibError

        self.name = name
        self.path = path
        self.shown = shown
        self.coords = dict(coords or {})
        try:
            data = path.read_bytes()
            if not data:
                raise TTLibError("empty file")
            if data[:4] in _WEB_FONT_SIGNATURES:
                data = self._unwrapped(data)
            self._tt = TTFont(io.BytesIO(data), lazy=True)
            self.upem: int = self._tt["head"].unitsPerEm
            os2, hhea = self._tt["OS/2"], self._tt["hhea"]
            face = hb.Face(hb.Blob(data))
            # The characters HarfBuzz maps, the shaper's own view of the font; fontTools'
            # getBestCmap gives the same set but parses the whole cmap and CFF charset for it
            # (13 ms a font: the larger part of a build's serial start, docs/performance.md §21).
            self.cmap: frozenset[int] = frozenset(face.unicodes)
            if not self.cmap:
                raise TTLibError("no Unicode character map")
        except PosterError:
            raise
        except Exception as exc:  # fontTools raises many types for a broken file
            raise self._unusable(exc) from None
        self.cap_height: float = getattr(os2, "sCapHeight", 0) or 0.7 * self.upem
        self.x_height: float = getattr(os2, "sxHeight", 0) or 0.5 * self.upem  # `poster check`: minimum type size
        self.ascender: float = hhea.ascent
        self.descender: float = hhea.descent  # negative
        self._hb_font = hb.Font(face)
        if self.coords:
            # Shaping at the instance: advances, kerning and GPOS follow HVAR/GDEF variations; the
            # vertical metrics take their MVAR deltas (0 when the font has no MVAR), so an instance's
            # cap height and x-height are its own, not the default's. MVAR varies the ascender and
            # descender of OS/2's typo metrics ('hasc', 'hdsc'), which fonts keep equal to hhea's.
            self._hb_font.set_variations(self.coords)
            tags = hb.OTMetricsTag
            self.cap_height += self._hb_font.get_metric_variation(tags.CAP_HEIGHT)
            self.x_height += self._hb_font.get_metric_variation(tags.X_HEIGHT)
            self.ascender += self._hb_font.get_metric_variation(tags.HORIZONTAL_ASCENDER)
            self.descender += self._hb_font.get_metric_variation(tags.HORIZONTAL_DESCENDER)
        self._outline_cache: dict[tuple[int, float], tuple[float, float, str] | None] = {}
        self._bounds_cache: dict[int, tuple[float, float, float, float] | None] = {}
        self._shape_cache: dict[tuple[str, str], tuple[ShapedGlyph, ...]] = {}

    def _unwrapped(self, data: bytes) -> bytes:
        """A web font (WOFF, WOFF2) as the OpenType font it wraps, which is what HarfBuzz reads. The
        size it declares is checked before anything is unpacked (a small file could claim gigabytes)."""
        from fontTools.ttLib import TTFont, TTLibError

        declared = int.from_bytes(data[16:20], "big")
        if declared > MAX_FONT_BYTES:
            raise PosterError(
                Diagnostic(
                    f"web font unpacks to {declared:,} bytes, more than the {MAX_FONT_BYTES // 2**20} MiB allowed "
                    "for a font (README, Limits); use a subset of the family",
                    self.shown,
                )
            )
        _bound_unpacking(data)
        font = TTFont(io.BytesIO(data))
        font.flavor = None
        out = io.BytesIO()
        font.save(out)
        if out.tell() > MAX_FONT_BYTES:
            raise TTLibError(f"unpacks to more than the {MAX_FONT_BYTES // 2**20} MiB allowed for a font")
        return out.getvalue()

    def _unusable(self, exc: Exception) -> PosterError:
        return PosterError(Diagnostic(f"font file is not a usable OpenType font ({exc}); replace it", self.shown))

    @cached_property
    def _glyphs(self) -> tuple[Any, list[str]]:
        """fontTools' glyph set and glyph order, read when a glyph is first drawn or measured: the
        outlines (CFF) are most of a font file, and a font the build's layouts never draw is not parsed."""
        try:
            # An instance's outlines are the default's moved by gvar (CFF2: blend) at its user
            # coordinates, mapped through avar by fontTools as HarfBuzz maps them for shaping.
            return self._tt.getGlyphSet(location=self.coords or None), self._tt.getGlyphOrder()
        except Exception as exc:  # a broken outline table: said like any unusable font file
            raise self._unusable(exc) from None

    def _draw(self, gid: int, pen) -> None:
        glyph_set, order = self._glyphs
        try:
            glyph_set[order[gid]].draw(pen)
        except Exception as exc:  # glyf, gvar or CFF2 data broken for this glyph: read only now
            raise self._unusable(exc) from None

    def covers(self, char: str) -> bool:
        return ord(char) in self.cmap

    def shape(self, text: str, features: str = "") -> tuple[ShapedGlyph, ...]:
        """Shape `text` with HarfBuzz (kerning and ligatures on), cached per string. `features` is
        a comma-separated list of OpenType features to turn on (`tnum`), or off (`-liga`)."""
        key = (text, features)
        cached = self._shape_cache.get(key)
        if cached is not None:
            return cached
        import uharfbuzz as hb

        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        feats = {f.strip().lstrip("-"): not f.strip().startswith("-") for f in features.split(",") if f.strip()}
        hb.shape(self._hb_font, buf, feats)
        glyphs = tuple(
            ShapedGlyph(info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset, info.cluster)
            for info, pos in zip(buf.glyph_infos, buf.glyph_positions)
        )
        if len(self._shape_cache) >= SHAPES_KEPT:  # a merge's rows bring new texts without end
            self._shape_cache.clear()
        self._shape_cache[key] = glyphs
        return glyphs

    def glyph_outline(self, gid: int, scale: float) -> tuple[float, float, str] | None:
        """The outline at `scale` (y flipped to SVG's downward axis) as (dx, dy, rest): the first
        point's offset from the glyph origin, then relative path commands. Placing a glyph at (x, y)
        is then f"M{x + dx} {y + dy}{rest}": cached per size, no per-point work per placement.
        None for a glyph without ink (space)."""
        key = (gid, scale)
        if key not in self._outline_cache:
            if len(self._outline_cache) >= OUTLINES_KEPT:  # sizes fitted per row: new keys without end
                self._outline_cache.clear()
            pen = _relative_path_pen(self._glyphs[0], scale)
            self._draw(gid, pen)
            self._outline_cache[key] = pen.result()
        return self._outline_cache[key]

    def glyph_bounds(self, gid: int) -> tuple[float, float, float, float] | None:
        """Ink box (xmin, ymin, xmax, ymax) in font units, y up; None for blank glyphs (space)."""
        if gid not in self._bounds_cache:
            from fontTools.pens.boundsPen import BoundsPen

            pen = BoundsPen(self._glyphs[0])
            self._draw(gid, pen)
            self._bounds_cache[gid] = pen.bounds
        return self._bounds_cache[gid]


def _n(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") or "0"


def _relative_path_pen(glyph_set, scale: float):
    """A fontTools pen writing SVG path data in relative commands, scaled and y-flipped."""
    from fontTools.pens.basePen import BasePen

    class RelativePathPen(BasePen):
        def __init__(self) -> None:
            super().__init__(glyph_set)
            self.parts: list[str] = []
            self.first: tuple[float, float] | None = None
            self.cur = (0.0, 0.0)  # current point, scaled
            self.start = (0.0, 0.0)  # start of the current subpath, where 'z' returns

        def _step(self, p) -> tuple[float, float]:
            """Rounded offset from the current point; the current point advances by exactly that,
            so rounding never accumulates along a contour."""
            dx = round(p[0] * scale - self.cur[0], 3)
            dy = round(-p[1] * scale - self.cur[1], 3)
            return dx, dy

        def _cmd(self, op: str, *points) -> None:
            x0, y0 = self.cur
            steps = []
            for p in points:  # control points and end point are all relative to the segment start
                self.cur = (x0, y0)
                steps.append(self._step(p))
            self.cur = (x0 + steps[-1][0], y0 + steps[-1][1])
            self.parts.append(op + " ".join(f"{_n(dx)} {_n(dy)}" for dx, dy in steps))

        def _moveTo(self, p):
            if self.first is None:
                self.first = self.cur = (round(p[0] * scale, 3), round(-p[1] * scale, 3))
            else:
                self._cmd("m", p)
            self.start = self.cur

        def _lineTo(self, p):
            self._cmd("l", p)

        def _curveToOne(self, p1, p2, p3):
            self._cmd("c", p1, p2, p3)

        def _qCurveToOne(self, p1, p2):
            self._cmd("q", p1, p2)

        def _closePath(self):
            self.parts.append("z")
            self.cur = self.start

        _endPath = _closePath

        def result(self):
            if self.first is None:
                return None
            return self.first[0], self.first[1], "".join(self.parts)

    return RelativePathPen()


def clusters(chars: Sequence[str]) -> list[tuple[int, int]]:
    """Where each cluster of `chars` begins and ends: a character and the combining marks after it
    (in NFC text, marks with no precomposed letter), which one font must draw together, or the
    accent would come from another font than its letter, beside it."""
    spans: list[tuple[int, int]] = []
    for n, char in enumerate(chars):
        if spans and unicodedata.combining(char):
            spans[-1] = (spans[-1][0], n + 1)
        else:
            spans.append((n, n + 1))
    return spans


class FontLibrary:
    """The project's fonts/ folder, indexed by file name without extension (e.g. 'Inter-Bold'), and
    by the names of the named instances of its variable fonts (`instances`): a file of a name wins
    over an instance of that name (the static cut is what the designer installed).

    Only fonts that stay inside the project are listed: a font file (or a folder of fonts/) that is
    a symbolic link leading outside, a pipe in place of a font, or a file over MAX_FONT_BYTES is
    `refused` — never opened — and naming it is an error that says why.
    """

    def __init__(self, fonts_dir: Path):
        self.dir = Path(fonts_dir)
        self.files: dict[str, Path] = {}
        self.refused: dict[str, tuple[Path, PathProblem]] = {}
        root = self.dir.parent
        folder = project_folder(root, self.dir.name)
        if isinstance(folder, PathProblem):
            self.refused["*"] = (self.dir, folder)
            folder = None
        self.unread: list[Path] = []  # font files of a kind not read (UNREAD_FONTS)
        for path in sorted(_walk(self.dir)) if folder is not None else []:
            if path.suffix.lower() in UNREAD_FONTS:
                self.unread.append(path)
            if path.suffix.lower() not in FONT_SUFFIXES:
                continue
            found = contained(root, path)
            if isinstance(found, Path) and found.stat().st_size > MAX_FONT_BYTES:
                found = too_large(found.stat().st_size, MAX_FONT_BYTES)
            if isinstance(found, PathProblem):
                self.refused[path.stem] = (path, found)
            elif path.stem not in self.files or _preference(path) < _preference(self.files[path.stem]):
                self.files[path.stem] = path  # one name, several files (Inter-Bold.otf and .woff2): the first kind
        for name in self.files:
            self.refused.pop(name, None)
        self._loaded: dict[str, Font] = {}
        # Designer's text at a weight between named instances, drawn at that weight (`match`).
        self._between: dict[str, Instance] = {}

    @cached_property
    def instances(self) -> dict[str, Instance]:
        """Every named instance of the variable fonts here, under `Family-Subfamily` and under its
        PostScript name. Read when a name is not a file's (a missing heavier cut, a job's key), or a
        designer's text asks for a family: each file's table directory once per file version, 2 ms
        for the demo's 14 static fonts, which have none."""
        found: dict[str, Instance] = {}
        for path in self.files.values():
            for instance in _instances(path)[0]:
                for name in (instance.name, instance.postscript):
                    if name and name not in self.files:
                        found.setdefault(name, instance)  # two files naming one instance: the first
        return found

    def __contains__(self, name: str) -> bool:
        return name in self.files or name in self.instances

    def names(self) -> list[str]:
        """Every name `get` takes: files, then instances."""
        return [*self.files, *(n for n in self.instances if n not in self.files)]

    def get(self, name: str, used_by: str, line: int | None = None) -> Font:
        """The font called `name`; `used_by` and `line` (e.g. layouts/choc.svg, 12) locate errors."""
        # Which cuts exist decides the display cut and the heavier one: the listing is read too.
        record_listing("fonts")
        path = self.files.get(name)
        instance = (self.instances.get(name) or self._between.get(name)) if path is None else None
        if instance is not None:
            path = instance.path  # an instance is recorded as its file: a new file rebuilds its users
        if path is not None:
            record_file(path)
        font = self._loaded.get(name)
        if font is not None:
            return font
        if path is None and (name in self.refused or "*" in self.refused):
            where, problem = self.refused.get(name) or self.refused["*"]
            fix = "copy the font into fonts/" if problem.kind == "link-outside" else problem.fix
            raise problem.error(str(where.relative_to(self.dir.parent)), fix)
        if path is None:
            raise PosterError(
                Diagnostic(
                    f"font '{name}' is not in fonts/{did_you_mean(name, self.names())}{self._unlisted()}"
                    f"{self.unread_note()}; "
                    "add the font file or fix the name",
                    used_by,
                    line,
                )
            )
        coords = dict(instance.coords) if instance is not None else None
        font = Font(name, path, str(path.relative_to(self.dir.parent)), coords)
        self._loaded[name] = font
        return font

    def _unlisted(self) -> str:
        """Why a variable font's instances may be missing, for the message of a name not found."""
        said = []
        for path in self.files.values():
            problem = _instances(path)[1]
            if problem:
                said.append(f"{path.relative_to(self.dir.parent)}: {problem}")
        return f" ({'; '.join(said)})" if said else ""

    def unread_note(self) -> str:
        """The font files here of a kind the engine does not read, for the message of a font or a
        family not found: the user may expect the one they need to be among them."""
        if not self.unread:
            return ""
        kinds = "; ".join(
            f"{p.relative_to(self.dir.parent)} is {UNREAD_FONTS[p.suffix.lower()]}" for p in self.unread[:3]
        )
        more = f" (and {len(self.unread) - 3} more)" if len(self.unread) > 3 else ""
        return f"; {kinds}{more}, which the engine does not read: export its fonts as .otf or .ttf files"

    @cached_property
    def faces(self) -> tuple[FaceNames, ...]:
        """What each font file says it is (family, weight, italic, PostScript and full names), read
        from its name and OS/2 tables when a designer's text first asks for a family: the demo's
        slots name files, and never pay for it. A variable font is its default (its file) and its
        named instances, each a face with the weight and slant of its coordinates."""
        faces = [face for stem, path in self.files.items() if (face := _face_names(stem, path)) is not None]
        for instance in dict.fromkeys(self.instances.values()):  # each once, under its first name here
            name = next(n for n in (instance.name, instance.postscript) if self.instances.get(n) is instance)
            faces.append(instance.face(name))
        return tuple(faces)

    def families(self) -> list[str]:
        """The families fonts/ has, as their fonts name them (for a message)."""
        return sorted({face.family for face in self.faces}, key=str.lower)

    def match(self, families: list[str], weight: int, italic: bool) -> tuple[str, FaceNames] | None:
        """The font (its name, as `get` takes it) a browser would draw with, had it been given fonts/
        as @font-face rules: the first name of the `font-family` list that names a family here, and in
        it the face CSS Fonts 4 §5.2 picks (italic, else oblique, else upright; then the nearest
        weight). A name may also be one face's PostScript name (`Inter-Bold`, as Illustrator writes
        the family), its full name, or its file name without extension. None when no name matches:
        generic families (`sans-serif`) name no font here. An upright face is never slanted to
        stand for a missing italic: the caller decides (it refuses)."""
        for asked in families:
            key = asked.strip().lower()
            exact = [f for f in self.faces if key in (f.postscript, f.full, f.stem.lower())]
            if exact:
                return exact[0].stem, exact[0]
            members = [f for f in self.faces if key in f.families]
            if members:
                face = _nearest(members, weight, italic)
                if face.weight != weight:
                    face = self._at_weight(members, face, weight) or face
                return face.stem, face
        return None

    def _at_weight(self, members: list[FaceNames], nearest: FaceNames, weight: int) -> FaceNames | None:
        """CSS Fonts 4 §5.2: a variable face whose weight axis covers the asked weight matches it
        exactly, and browsers draw it at that weight (`font-weight: 650` → wght 650), not at the
        nearest named instance. The family's variable file of the nearest face's style, at its
        default for the other axes (a file's default before its instances: normal width, no
        optical size set), at `weight`. None when no variable face of that style covers it."""
        for face in sorted(members, key=lambda f: f.stem not in self.files):
            instance = self.instances.get(face.stem)
            path = instance.path if instance is not None else self.files.get(face.stem)
            wght = _instances(path)[2] if path is not None and face.italic == nearest.italic else None
            if path is None or wght is None or not wght[0] <= weight <= wght[1]:
                continue
            coords = {**dict(instance.coords if instance is not None else ()), "wght": float(weight)}
            name = f"{path.stem}@wght={weight}"  # a name of its own: its Font (and caches) apart
            self._between[name] = Instance(
                name, "", path, tuple(coords.items()), face.family, face.family, str(weight), weight, face.italic
            )
            return replace(face, stem=name, weight=weight, postscript="", full="")
        return None

    def chain(self, names: tuple[str, ...], used_by: str, line: int | None = None) -> tuple[Font, ...]:
        return tuple(self.get(n, used_by, line) for n in names)

    def optical_cut(self, name: str, display: bool) -> str:
        """The text or display cut of `name` if fonts/ has it, else `name` itself.

        Convention (Inter's): `Family-Weight` is the text cut, `FamilyDisplay-Weight` the display
        cut, drawn for large sizes with tighter spacing and finer details.
        """
        family, sep, weight = name.rpartition("-")
        if not sep:
            return name
        base = family.removesuffix("Display")
        candidate = f"{base}Display-{weight}" if display else f"{base}-{weight}"
        return candidate if candidate in self else name

    def heavier(self, name: str) -> str | None:
        """A cut of the same family clearly heavier than `name` (for **strong** text), or None.

        Two steps up the weight ladder (Regular → SemiBold, Medium → Bold, Bold → Black), else the
        nearest heavier cut that exists, further first: the contrast must show at poster sizes.
        """
        family, sep, weight = name.rpartition("-")
        if not sep or weight not in WEIGHTS:
            return None
        rank = WEIGHTS.index(weight)
        for step in (2, 3, 4, 5, 1):
            if rank + step < len(WEIGHTS) and f"{family}-{WEIGHTS[rank + step]}" in self:
                return f"{family}-{WEIGHTS[rank + step]}"
        return None


@dataclass(frozen=True)
class FaceNames:
    """What a font file says it is, for CSS font matching (names lowercased, as CSS compares them)."""

    stem: str  # the file name without extension: the font's name in the library
    family: str  # typographic family (name ID 16, else 1), as written: for messages
    families: frozenset[str]  # that and the legacy family (ID 1: "Inter Medium" for Inter's Medium)
    postscript: str  # name ID 6, e.g. "inter-bold"
    full: str  # name ID 4, e.g. "inter bold"
    weight: int  # OS/2 usWeightClass
    italic: bool  # OS/2 fsSelection italic or oblique, or head macStyle italic


def _face_names(stem: str, path: Path) -> FaceNames | None:
    """A font file's names and style, or None when they cannot be read (the file is then said
    unusable by `FontLibrary.get`, if anything names it)."""
    from fontTools.ttLib import TTFont

    try:
        data = path.read_bytes()
        if data[:4] in _WEB_FONT_SIGNATURES:
            _bound_unpacking(data)
        tt = TTFont(io.BytesIO(data), lazy=True)
        names = tt["name"]
        os2 = tt["OS/2"] if "OS/2" in tt else None
        family = str(names.getDebugName(16) or names.getDebugName(1) or stem)
        legacy = str(names.getDebugName(1) or family)
        italic = bool(os2 is not None and os2.fsSelection & 0b10_0000_0001) or bool(tt["head"].macStyle & 0b10)
        return FaceNames(
            stem,
            family,
            frozenset({family.lower(), legacy.lower()}),
            str(names.getDebugName(6) or "").lower(),
            str(names.getDebugName(4) or "").lower(),
            int(os2.usWeightClass) if os2 is not None else 400,
            italic,
        )
    except Exception:  # fontTools raises many types for a broken file
        return None


@dataclass(frozen=True)
class Instance:
    """One named instance of a variable font file (an fvar record), a font of the library."""

    name: str  # `Family-Subfamily`, spaces removed: the name its static cut would have
    postscript: str  # the instance's PostScript name (fvar postscriptNameID), or ""
    path: Path  # the variable font file
    coords: tuple[tuple[str, float], ...]  # user-space axis values, within the axes' ranges
    family: str  # typographic family, as written
    legacy_family: str  # name ID 1
    subfamily: str  # "SemiBold Italic", as the font names the instance
    weight: int  # the wght coordinate (else the subfamily's weight word, else 400)
    italic: bool  # ital ≥ 0.5, slnt ≠ 0, or "Italic"/"Oblique" in the subfamily

    def face(self, name: str) -> FaceNames:
        return FaceNames(
            name,
            self.family,
            frozenset({self.family.lower(), self.legacy_family.lower()}),
            self.postscript.lower(),
            f"{self.family} {self.subfamily}".lower(),
            self.weight,
            self.italic,
        )


# CSS weights of the weight words of subfamily names, for an instance without a wght axis.
_WEIGHT_VALUES = dict(zip(WEIGHTS, range(100, 1000, 100), strict=True))


@lru_cache(maxsize=256)
def _instances_of(path: Path, stamp: tuple[int, int]) -> tuple[tuple[Instance, ...], str, tuple[float, float] | None]:
    """The named instances of a font file (none for a static font), why they cannot be listed when
    its fvar or name table is broken (they are then not listed, the file's default still is), and
    the range of its weight axis (None without one)."""
    from fontTools.ttLib import TTFont, newTable

    try:
        data = path.read_bytes()
        if data[:4] in _WEB_FONT_SIGNATURES:
            _bound_unpacking(data)
        tt = TTFont(io.BytesIO(data), lazy=True)
        if "fvar" not in tt:
            return (), "", None
    except Exception:  # not a usable font at all: said by `FontLibrary.get` if a name asks for it
        return (), "", None
    try:
        # The header first: a hostile fvar (65 535 instances of thousands of axes) is refused or cut
        # to its first records before fontTools makes an object of each coordinate.
        raw = tt.reader["fvar"]
        offset, _, axis_count, axis_size, count, size = struct.unpack(">6H", raw[4:16])
        if axis_count > MAX_FONT_AXES:
            return (), f"its variable font table (fvar) has {axis_count} axes, more than the {MAX_FONT_AXES} read", None
        if count > MAX_FONT_INSTANCES:
            end = offset + axis_count * axis_size + MAX_FONT_INSTANCES * size
            raw = raw[:12] + struct.pack(">H", MAX_FONT_INSTANCES) + raw[14:end]
        fvar, names = newTable("fvar"), tt["name"]
        fvar.decompile(raw, tt)
        ranges = {axis.axisTag: (axis.minValue, axis.maxValue) for axis in fvar.axes}
        if any(not lo <= hi for lo, hi in ranges.values()):
            return (), "its variable font table (fvar) has an axis whose minimum exceeds its maximum", None
        family = str(names.getDebugName(16) or names.getDebugName(1) or path.stem)
        legacy = str(names.getDebugName(1) or family)
        found = []
        for record in fvar.instances[:MAX_FONT_INSTANCES]:
            subfamily = names.getDebugName(record.subfamilyNameID)
            if not subfamily:  # an instance the font does not name cannot be asked for
                continue
            # Coordinates outside an axis are clamped to it, as HarfBuzz and fontTools do.
            coords = tuple(
                (tag, min(max(float(value), ranges[tag][0]), ranges[tag][1]))
                for tag, value in record.coordinates.items()
                if tag in ranges
            )
            at = dict(coords)
            words = str(subfamily).replace(" ", "")
            weight = at.get("wght") or next((v for w, v in _WEIGHT_VALUES.items() if w in words), 400)
            italic = (
                at.get("ital", 0) >= 0.5 or at.get("slnt", 0) != 0 or bool(re.search(r"italic|oblique", words, re.I))
            )
            postscript = names.getDebugName(record.postscriptNameID) if record.postscriptNameID != 0xFFFF else None
            found.append(
                Instance(
                    f"{family.replace(' ', '')}-{words}",
                    str(postscript or ""),
                    path,
                    coords,
                    family,
                    legacy,
                    str(subfamily),
                    round(min(max(weight, 1), 1000)),
                    italic,
                )
            )
        more = count - MAX_FONT_INSTANCES
        said = (
            f"only its first {MAX_FONT_INSTANCES} named instances are listed, not the {more} more" if more > 0 else ""
        )
        return tuple(found), said, ranges.get("wght")
    except Exception as exc:  # fontTools raises many types for a broken file
        return (), f"its named instances cannot be read ({type(exc).__name__}: {exc})", None


def _instances(path: Path) -> tuple[tuple[Instance, ...], str, tuple[float, float] | None]:
    try:
        stat = path.stat()
    except OSError:
        return (), "", None
    return _instances_of(path, (stat.st_mtime_ns, stat.st_size))


def _nearest(faces: list[FaceNames], weight: int, italic: bool) -> FaceNames:
    """CSS Fonts 4 §5.2, step 4: the style first (italic wants italic faces, upright wants upright,
    each taking the other when the family has no such face), then the weight: the asked weight if
    a face has it; below 400, lighter faces nearest first, then heavier; above 500, heavier ones
    nearest first, then lighter; from 400 to 500, heavier ones up to 500, then lighter, then heavier."""
    same = [f for f in faces if f.italic == italic] or faces

    def rank(face: FaceNames) -> tuple[int, float]:
        w = face.weight
        if w == weight:
            return 0, 0
        if 400 <= weight <= 500:
            if weight < w <= 500:
                return 1, w - weight
            return (2, weight - w) if w < weight else (3, w - weight)
        if weight < 400:
            return (1, weight - w) if w < weight else (2, w - weight)
        return (1, w - weight) if w > weight else (2, weight - w)

    return min(same, key=rank)


def _bound_unpacking(data: bytes) -> None:
    """fontTools unpacks a web font's tables whole and only then compares their size with the one
    declared: a small hostile file could unpack to gigabytes first. A WOFF's tables (zlib, each
    with its declared size in a fixed directory) are unpacked here up to that size; WOFF2's one
    Brotli stream goes through `_BoundedBrotli`, which fontTools' WOFF2 reader is given."""
    from fontTools.ttLib import TTLibError, woff2

    woff2.brotli = _BoundedBrotli()  # idempotent: the same bound each time
    if data[:4] != b"wOFF" or len(data) < 44:
        return
    (count,) = struct.unpack_from(">H", data, 12)
    entries = [struct.unpack_from(">4sIII", data, 44 + 20 * i) for i in range(count) if 44 + 20 * (i + 1) <= len(data)]
    if sum(original for _, _, _, original in entries) > MAX_FONT_BYTES:
        raise TTLibError(f"declares more than the {MAX_FONT_BYTES // 2**20} MiB allowed for a font")
    for _, offset, packed, original in entries:
        if packed < original:
            unpacked = zlib.decompressobj().decompress(data[offset : offset + packed], original + 1)
            if len(unpacked) > original:
                raise TTLibError("a table unpacks to more than the size it declares")


class _BoundedBrotli:
    """The brotli module for fontTools' WOFF2 reader, with `decompress` stopping at MAX_FONT_BYTES."""

    def __getattr__(self, name: str) -> Any:
        import brotli

        return getattr(brotli, name)

    @staticmethod
    def decompress(data: bytes) -> bytes:
        import brotli
        from fontTools.ttLib import TTLibError

        decompressor = brotli.Decompressor()
        out = decompressor.process(data, output_buffer_limit=MAX_FONT_BYTES + 1)
        if len(out) > MAX_FONT_BYTES or not decompressor.is_finished():
            raise TTLibError(f"unpacks to more than the {MAX_FONT_BYTES // 2**20} MiB allowed for a font")
        return out


def _preference(path: Path) -> int:
    return FONT_SUFFIXES.index(path.suffix.lower())


def _walk(folder: Path) -> list[Path]:
    """Every entry under `folder`, without entering linked folders (iterative: any depth)."""
    found, todo = [], [folder]
    while todo:
        current = todo.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    path = current / entry.name
                    found.append(path)
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(path)
        except OSError:
            continue  # an unreadable folder holds no font we can use
    return found


@lru_cache(maxsize=8)
def library(fonts_dir: Path) -> FontLibrary:
    """One library per fonts folder per process: fonts are parsed once for a whole batch."""
    return FontLibrary(fonts_dir)


# Licence texts shipped beside font files, and how their first words name the licence.
_LICENCE_FILES = ("OFL.txt", "LICENSE.txt", "LICENSE", "LICENCE.txt", "UFL.txt")
_LICENCE_NAMES = (
    (re.compile(r"SIL OPEN FONT LICEN[CS]E,?\s*(?:Version\s*)?(\d+(?:\.\d+)*)?", re.I), "SIL Open Font License {}"),
    (re.compile(r"Apache License,?\s*Version\s*(\d+(?:\.\d+)*)", re.I), "Apache License {}"),
    (re.compile(r"UBUNTU FONT LICEN[CS]E\s*Version\s*(\d+(?:\.\d+)*)", re.I), "Ubuntu Font Licence {}"),
)


@dataclass(frozen=True)
class FontLicence:
    family: str  # the family's name as the font names it (name table ID 16, else 1)
    licence: str | None  # "SIL Open Font License 1.1", or None when neither the font nor a file says


def font_licence(path: Path) -> FontLicence:
    """A font file's family and licence: from the licence file beside it (OFL.txt…), else the font's
    own licence description (name ID 13). For provenance (alt text, manifest, gallery)."""
    licence, read = _font_licence(path)
    for beside in read:  # recorded on every call, cached or not: each job's key covers what it shows
        record_file(beside)
    return licence


@lru_cache(maxsize=256)
def _font_licence(path: Path) -> tuple[FontLicence, tuple[Path, ...]]:
    from fontTools.ttLib import TTFont

    tt = TTFont(path, lazy=True)
    names = tt["name"]
    family = str(names.getDebugName(16) or names.getDebugName(1) or path.stem)
    read = tuple(path.parent / name for name in _LICENCE_FILES if (path.parent / name).is_file())
    texts = [beside.read_text(encoding="utf-8", errors="replace")[:2000] for beside in read]
    texts.append(str(names.getDebugName(13) or ""))
    for text in texts:
        for pattern, shown in _LICENCE_NAMES:
            match = pattern.search(text)
            if match:
                return FontLicence(family, shown.format(match.group(1) or "").strip()), read
    url = names.getDebugName(14)
    return FontLicence(family, str(url) if url else None), read
