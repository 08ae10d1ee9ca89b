"""The format registry: named output sizes (print in mm, social in px), groups, and what each needs.

One registry: the built-in formats below plus a project's own from project.yaml `formats:`.
A print format says from how far it is read (the QR code's printed size follows it); a social
format says which UI zones the platform covers, its file-size limit, how a link is shown (a code
cannot be scanned from the screen it is on) and its image type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

MM_PER_INCH = 25.4
MB = 1_000_000
# A QR code is scanned reliably from up to ~20 times its side with a current phone camera (the
# often-quoted 10:1 is for old cameras); never under 15 mm, the size a phone focuses on close up.
QR_DISTANCE_RATIO = 20.0
QR_FLOOR_MM = 15.0
IMAGE_FORMATS = ("png", "jpeg", "webp")
GROUPS = ("print", "social")


@dataclass(frozen=True)
class Format:
    """An output size. Print formats are in mm (trim size) with bleed; social formats in px."""

    name: str
    medium: Literal["print", "social"]
    width: float  # mm (print) or px (social)
    height: float
    label: str
    bleed_mm: float = 0.0
    safe_mm: float = 0.0  # print: no text closer than this to the trim edge
    safe_px: float = 0.0  # social: same, in px
    viewing_m: float = 1.0  # print: distance the poster is read and scanned from
    ui_top_px: float = 0.0  # social: band the platform's UI covers (stories: profile, progress bar)
    ui_bottom_px: float = 0.0  # social: same at the bottom (reply field, buttons)
    max_bytes: int | None = None  # social: the platform's upload limit
    qr: Literal["code", "text"] = "code"  # a scannable code, or the short link as text
    image_format: str = "png"  # social: png, jpeg or webp

    @property
    def unit(self) -> str:
        return "mm" if self.medium == "print" else "px"

    @property
    def extension(self) -> str:
        if self.medium == "print":
            return "pdf"
        return "jpg" if self.image_format == "jpeg" else self.image_format

    @property
    def bleed(self) -> float:
        """Bleed in the format's own unit."""
        return self.bleed_mm if self.medium == "print" else 0.0

    @property
    def safe(self) -> float:
        return self.safe_mm if self.medium == "print" else self.safe_px

    @property
    def safe_edges(self) -> tuple[float, float, float, float]:
        """Margins left, top, right, bottom (format units) that text and QR codes stay out of."""
        s = self.safe
        return s, max(s, self.ui_top_px), s, max(s, self.ui_bottom_px)

    @property
    def page(self) -> tuple[float, float]:
        """The whole document, trim + bleed on every side, in the format's own unit."""
        return self.width + 2 * self.bleed, self.height + 2 * self.bleed

    @property
    def qr_min_mm(self) -> float:
        """Print: the smallest QR side (quiet zone included) scannable from the viewing distance."""
        return max(QR_FLOOR_MM, self.viewing_m * 1000 / QR_DISTANCE_RATIO)


def _print(name: str, w: float, h: float, label: str, viewing_m: float) -> Format:
    return Format(name, "print", w, h, f"{label}, {w:g} × {h:g} mm, read from {viewing_m:g} m",
                  bleed_mm=3, safe_mm=5, viewing_m=viewing_m)


def _social(name: str, w: int, h: int, label: str, max_mb: float, **kw) -> Format:
    # Social images are seen on the screen they would have to be scanned from: the link as text.
    return Format(name, "social", w, h, f"{label}, {w} × {h} px, ≤ {max_mb:g} MB", safe_px=40,
                  max_bytes=int(max_mb * MB), qr="text", **kw)


BUILTIN: dict[str, Format] = {
    f.name: f
    for f in (
        _print("a4", 210, 297, "A4 portrait", 0.4),
        _print("a3", 297, 420, "A3 portrait", 0.6),
        _print("a2", 420, 594, "A2 portrait", 1.0),
        _print("a1", 594, 841, "A1 portrait", 1.5),
        _print("a0", 841, 1189, "A0 portrait", 2.0),
        _print("40x60", 400, 600, "Poster 40 × 60 cm", 1.0),
        _print("60x80", 600, 800, "Poster 60 × 80 cm", 1.5),
        _print("120x176", 1200, 1760, "Bus shelter 120 × 176 cm", 3.0),
        _social("instagram", 1080, 1350, "Instagram portrait", 8),
        _social("instagram-square", 1080, 1080, "Instagram square", 8),
        # Stories/reels: the top ~250 px (profile, progress bar) and bottom ~340 px (reply field) are UI.
        _social("story", 1080, 1920, "Story / reel", 8, ui_top_px=250, ui_bottom_px=340),
        _social("link-preview", 1200, 630, "Link preview (Open Graph)", 5),
        _social("x", 1600, 900, "X (Twitter) post", 5),
        _social("linkedin", 1200, 627, "LinkedIn post", 5),
    )
}
FORMATS = BUILTIN  # the built-in registry; `registry(root)` adds the project's own


_cache: dict[Path, tuple[int, dict[str, Format]]] = {}


def registry(root: Path | None) -> dict[str, Format]:
    """Built-in formats plus project.yaml `formats:` (re-read when project.yaml changes)."""
    if root is None:
        return BUILTIN
    path = Path(root) / "project.yaml"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return BUILTIN
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, _with_project_formats(path))
        _cache[path] = cached
    return cached[1]


def _with_project_formats(path: Path) -> dict[str, Format]:
    """project.yaml `formats:` → Format objects. Print formats in mm, social in px:
    `{medium: print, width_mm: 500, height_mm: 700, viewing_m: 2}` or
    `{medium: social, width_px: 1080, height_px: 1080, max_mb: 8, qr: text, image_format: jpeg}`;
    `based_on: NAME` copies a format and changes only what is given."""
    from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean
    from poster_engine.project.sources import load_yaml

    src = load_yaml(path, "project.yaml")
    specs = (src.data or {}).get("formats") or {}
    formats = dict(BUILTIN)
    keys = {"based_on", "medium", "label", "width_mm", "height_mm", "width_px", "height_px", "viewing_m",
            "bleed_mm", "safe_mm", "safe_px", "ui_top_px", "ui_bottom_px", "max_mb", "qr", "image_format"}
    for name, spec in specs.items():
        where = ("formats", name)

        def bad(message: str, key: str | None = None) -> PosterError:
            return PosterError(Diagnostic(f"format '{name}': {message}", "project.yaml",
                                          src.line_of(where + ((key,) if key else ()))))

        if not isinstance(spec, dict):
            raise bad("must be a mapping, e.g. {medium: print, width_mm: 500, height_mm: 700, viewing_m: 2}")
        if str(name) in GROUPS:
            raise bad("is a group name (print, social); choose another name")
        for key in spec:
            if key not in keys:
                raise bad(f"unknown key '{key}'{did_you_mean(str(key), keys)}", key)
        base_name = spec.get("based_on")
        if base_name is not None and base_name not in formats:
            raise bad(f"based_on: unknown format '{base_name}'{did_you_mean(str(base_name), formats)}", "based_on")
        medium = spec.get("medium", formats[base_name].medium if base_name else None)
        if medium not in GROUPS:
            raise bad("needs medium: print or social (or based_on: a format)", "medium")
        unit = "mm" if medium == "print" else "px"
        base = formats[base_name] if base_name else (_print if medium == "print" else _social)(
            str(name), 1, 1, "", *((1.0,) if medium == "print" else (5,)))
        values: dict = {}
        for dim in ("width", "height"):
            raw = spec.get(f"{dim}_{unit}", getattr(base, dim) if base_name else None)
            if not isinstance(raw, (int, float)) or raw <= 0:
                raise bad(f"needs a positive {dim}_{unit} ({medium} formats are in {unit})", f"{dim}_{unit}")
            values[dim] = float(raw)
        for key in ("viewing_m", "bleed_mm", "safe_mm", "safe_px", "ui_top_px", "ui_bottom_px"):
            if key in spec:
                if not isinstance(spec[key], (int, float)) or spec[key] < 0:
                    raise bad(f"{key} must be a number ≥ 0", key)
                values[key] = float(spec[key])
        if "max_mb" in spec:
            values["max_bytes"] = int(float(spec["max_mb"]) * MB)
        if "qr" in spec:
            if spec["qr"] not in ("code", "text"):
                raise bad("qr must be 'code' (a QR code) or 'text' (the short link written out)", "qr")
            values["qr"] = spec["qr"]
        if "image_format" in spec:
            if spec["image_format"] not in IMAGE_FORMATS:
                raise bad(f"image_format must be one of {', '.join(IMAGE_FORMATS)}", "image_format")
            values["image_format"] = spec["image_format"]
        size = f"{values['width']:g} × {values['height']:g} {unit}"
        values["label"] = str(spec.get("label", f"{name}, {size} (project.yaml)"))
        formats[str(name)] = replace(base, name=str(name), medium=medium, **values)
    return formats


def expand(names: list[str] | tuple[str, ...], known: dict[str, Format]) -> list[str]:
    """Format names and groups (`print`, `social`) → format names, in the given order, once each."""
    out: list[str] = []
    for name in names:
        out += [f for f in known if known[f].medium == name] if name in GROUPS else [name]
    return list(dict.fromkeys(out))


def get_format(name: str, known: dict[str, Format] | None = None) -> Format:
    from poster_engine.core.diagnostics import did_you_mean, fail

    known = known or BUILTIN
    if name not in known:
        raise fail(f"unknown format '{name}'{did_you_mean(name, known)}; see `poster list`")
    return known[name]
