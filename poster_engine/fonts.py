"""fonts/ → `Font` objects: HarfBuzz shaping, glyph outlines and ink bounds, all cached.

Fonts are loaded from the project's fonts/ folder only, never from the system, so every machine
renders identically and a printer never receives a substituted face.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import PosterError, Diagnostic, did_you_mean

FONT_SUFFIXES = (".otf", ".ttf")
# Weight names as they end font file names (`Inter-SemiBold`), lightest first.
WEIGHTS = ("Thin", "ExtraLight", "Light", "Regular", "Medium", "SemiBold", "Bold", "ExtraBold", "Black")


@dataclass(frozen=True)
class ShapedGlyph:
    gid: int
    x_advance: float  # font units
    x_offset: float
    y_offset: float


class Font:
    """One font file. Coordinates are font units (y up); callers scale by size / upem."""

    def __init__(self, name: str, path: Path, shown: str):
        import uharfbuzz as hb
        from fontTools.ttLib import TTFont, TTLibError

        self.name = name
        self.path = path
        try:
            data = path.read_bytes()
            if not data:
                raise TTLibError("empty file")
            self._tt = TTFont(path, lazy=True)
            self.upem: int = self._tt["head"].unitsPerEm
            self.cmap: frozenset[int] = frozenset(self._tt.getBestCmap())
            os2 = self._tt["OS/2"]
        except Exception as exc:  # fontTools raises many types for a broken file
            raise PosterError(Diagnostic(f"font file is not a usable OpenType font ({exc}); replace it", shown)) from None
        self.cap_height: float = getattr(os2, "sCapHeight", 0) or 0.7 * self.upem
        self.ascender: float = self._tt["hhea"].ascent
        self.descender: float = self._tt["hhea"].descent  # negative
        self._glyph_set = self._tt.getGlyphSet()
        self._glyph_order = self._tt.getGlyphOrder()
        self._hb_font = hb.Font(hb.Face(hb.Blob(data)))
        self._path_cache: dict[int, str] = {}
        self._bounds_cache: dict[int, tuple[float, float, float, float] | None] = {}
        self._shape_cache: dict[tuple[str, str], tuple[ShapedGlyph, ...]] = {}

    def covers(self, char: str) -> bool:
        return ord(char) in self.cmap

    def shape(self, text: str, features: str = "") -> tuple[ShapedGlyph, ...]:
        """Shape `text` with HarfBuzz (kerning and ligatures on), cached per string."""
        key = (text, features)
        cached = self._shape_cache.get(key)
        if cached is not None:
            return cached
        import uharfbuzz as hb

        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        feats = {f.strip(): True for f in features.split(",") if f.strip()}
        hb.shape(self._hb_font, buf, feats)
        glyphs = tuple(
            ShapedGlyph(info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset)
            for info, pos in zip(buf.glyph_infos, buf.glyph_positions)
        )
        self._shape_cache[key] = glyphs
        return glyphs

    def glyph_path(self, gid: int) -> str:
        """SVG path data of a glyph outline, font units, y up."""
        d = self._path_cache.get(gid)
        if d is None:
            from fontTools.pens.svgPathPen import SVGPathPen

            pen = SVGPathPen(self._glyph_set, ntos=lambda v: f"{v:.1f}".rstrip("0").rstrip("."))
            self._glyph_set[self._glyph_order[gid]].draw(pen)
            d = pen.getCommands()
            self._path_cache[gid] = d
        return d

    def glyph_bounds(self, gid: int) -> tuple[float, float, float, float] | None:
        """Ink box (xmin, ymin, xmax, ymax) in font units, y up; None for blank glyphs (space)."""
        if gid not in self._bounds_cache:
            from fontTools.pens.boundsPen import BoundsPen

            pen = BoundsPen(self._glyph_set)
            self._glyph_set[self._glyph_order[gid]].draw(pen)
            self._bounds_cache[gid] = pen.bounds
        return self._bounds_cache[gid]


class FontLibrary:
    """The project's fonts/ folder, indexed by file name without extension (e.g. 'Inter-Bold')."""

    def __init__(self, fonts_dir: Path):
        self.dir = Path(fonts_dir)
        self.files: dict[str, Path] = {
            p.stem: p for p in sorted(self.dir.rglob("*")) if p.suffix.lower() in FONT_SUFFIXES
        }
        self._loaded: dict[str, Font] = {}

    def get(self, name: str, used_by: str, line: int | None = None) -> Font:
        """The font called `name`; `used_by` and `line` (e.g. layouts/choc.svg, 12) locate errors."""
        font = self._loaded.get(name)
        if font is not None:
            return font
        path = self.files.get(name)
        if path is None:
            raise PosterError(Diagnostic(
                f"font '{name}' is not in fonts/{did_you_mean(name, self.files)}; add the font file or fix the name",
                used_by, line))
        font = Font(name, path, str(path.relative_to(self.dir.parent)))
        self._loaded[name] = font
        return font

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
        return candidate if candidate in self.files else name

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
            if rank + step < len(WEIGHTS) and f"{family}-{WEIGHTS[rank + step]}" in self.files:
                return f"{family}-{WEIGHTS[rank + step]}"
        return None


@lru_cache(maxsize=8)
def library(fonts_dir: Path) -> FontLibrary:
    """One library per fonts folder per process: fonts are parsed once for a whole batch."""
    return FontLibrary(fonts_dir)
