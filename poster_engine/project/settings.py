"""project.yaml → `Settings`: the project's own formats, print profiles and brand swatches, read once.

Every key is optional and the file itself may be absent (the built-in formats and print presets
then apply). Each problem is one located diagnostic: `project.yaml:LINE: what; fix`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean, fail
from poster_engine.core.formats import (
    BUILTIN,
    GROUPS,
    IMAGE_FORMATS,
    MB,
    PNG_ENCODERS,
    Format,
    print_format,
    social_format,
)
from poster_engine.core.languages import LanguageRefused, language
from poster_engine.core.limits import (
    BLEED_MM,
    INK_LIMIT,
    MAX_LABEL_CHARS,
    MAX_MB,
    PPI,
    PRINT_SIDE_MM,
    SAFE_MM,
    SAFE_PX,
    SOCIAL_SIDE_PX,
    VIEWING_M,
    shown_range,
)
from poster_engine.project.print_profiles import CMYK, PDFX_VERSIONS, PRESETS, PrintProfile, Swatch
from poster_engine.project.sources import Located, load_yaml

SHOWN = "project.yaml"
TOP_KEYS = ("print_profiles", "brand_colors", "formats", "hashtags")
HASHTAG = re.compile(r"^#?\w+$")
FORMAT_KEYS = {
    "based_on",
    "medium",
    "label",
    "width_mm",
    "height_mm",
    "width_px",
    "height_px",
    "viewing_m",
    "bleed_mm",
    "safe_mm",
    "safe_px",
    "ui_top_px",
    "ui_bottom_px",
    "ui_side_px",
    "max_mb",
    "qr",
    "image_format",
    "png",
}
# A format's name is part of output file names (build/<poster>/<format>.pdf): no '/', no '..'.
FORMAT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
# An ICC profile is a file of the project's icc/ folder (or the engine's), named without a folder.
ICC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,99}\.ic[cm]$", re.IGNORECASE)
HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
# Ranges of the numbers a format may set (core/limits.py), by key; sizes depend on the medium.
FORMAT_RANGES = {
    "viewing_m": VIEWING_M,
    "bleed_mm": BLEED_MM,
    "safe_mm": SAFE_MM,
    "safe_px": SAFE_PX,
    "ui_top_px": SAFE_PX,
    "ui_bottom_px": SAFE_PX,
    "ui_side_px": SAFE_PX,
    "max_mb": MAX_MB,
}
PROFILE_RANGES = {
    "bleed_mm": BLEED_MM,
    "safe_mm": SAFE_MM,
    "ink_limit": INK_LIMIT,
    "min_ppi": PPI,
    "min_ppi_large": PPI,
}
PROFILE_TEXTS = ("label", "output_condition_identifier", "output_condition")


def _in_range(value: Any, bounds: tuple[float, float]) -> bool:
    """A number (not a boolean, not NaN or infinite) within `bounds`."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and bounds[0] <= value <= bounds[1]
    )


def _short(value: Any) -> str:
    text = str(value) if isinstance(value, (str, int, float)) else type(value).__name__
    text = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 40 else text[:39] + "…"


def _text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_LABEL_CHARS


@dataclass(frozen=True)
class Settings:
    """What project.yaml adds to the engine's built-in registries."""

    formats: dict[str, Format] = field(default_factory=lambda: dict(BUILTIN))
    print_profiles: dict[str, PrintProfile] = field(default_factory=lambda: dict(PRESETS))
    swatches: dict[str, Swatch] = field(default_factory=dict)  # '#RRGGBB' (upper case) → swatch
    # Social captions' hashtags by language ("*": every language), each with its '#'.
    hashtags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def hashtags_for(self, lang: str) -> tuple[str, ...]:
        return self.hashtags.get(lang, self.hashtags.get("*", ()))


def read_settings(root: Path) -> Settings:
    """The built-in registries extended by `root`/project.yaml (when there is one)."""
    path = Path(root) / "project.yaml"
    if not path.exists() and not path.is_symlink():
        return Settings()
    src = load_yaml(path, SHOWN, Path(root).resolve())
    data = src.data if src.data is not None else {}
    if not isinstance(data, dict):
        raise PosterError(Diagnostic("expected a mapping of keys (key: value) at the top level", SHOWN, 1))
    unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
    if unknown:
        raise PosterError(
            Diagnostic(
                f"unknown key '{_short(unknown[0])}'{did_you_mean(unknown[0], TOP_KEYS)}",
                SHOWN,
                src.line_of((unknown[0],)),
            )
        )
    sections = {}
    for key in ("print_profiles", "brand_colors", "formats"):
        section = data.get(key) or {}
        if not isinstance(section, dict):
            raise PosterError(Diagnostic(f"'{key}' must be a mapping (name: settings)", SHOWN, src.line_of((key,))))
        sections[key] = section
    return Settings(
        _formats(src, sections["formats"]),
        _print_profiles(src, sections["print_profiles"]),
        _swatches(src, sections["brand_colors"]),
        _hashtags(src, data.get("hashtags") or {}),  # a list or a mapping by language
    )


def _hashtags(src: Located, raw: Any) -> dict[str, tuple[str, ...]]:
    """`hashtags: [a, b]` (every language) or `hashtags: {fr: [a], en: [b]}` → tags with their '#'."""
    lists = {"*": raw} if isinstance(raw, list) else raw
    if not isinstance(lists, dict):
        raise fail(
            "hashtags: must be a list, e.g. [numerique, sobriete], or one list per language",
            SHOWN,
            src.line_of(("hashtags",)),
        )
    out: dict[str, tuple[str, ...]] = {}
    for lang, tags in lists.items():
        path = ("hashtags",) if lang == "*" else ("hashtags", lang)
        if lang != "*":
            try:
                lang = language(str(lang)).code
            except LanguageRefused as exc:
                raise fail(f"hashtags: {exc}", SHOWN, src.line_of(path)) from None
        if not isinstance(tags, list) or not all(isinstance(t, str) and HASHTAG.match(t) for t in tags):
            raise fail(
                "hashtags: must be a list of words (letters, digits, _), e.g. [numerique, sobriete]; no spaces",
                SHOWN,
                src.line_of(path),
            )
        out[str(lang)] = tuple("#" + t.lstrip("#") for t in tags)
    return out


def _formats(src: Located, specs: Any) -> dict[str, Format]:
    """`formats:` → Format objects. Print formats in mm, social in px:
    `{medium: print, width_mm: 500, height_mm: 700, viewing_m: 2}` or
    `{medium: social, width_px: 1080, height_px: 1080, max_mb: 8, qr: text, image_format: jpeg}`;
    `based_on: NAME` copies a format and changes only what is given."""
    formats = dict(BUILTIN)
    for name, spec in specs.items():
        where = ("formats", name)

        def bad(message: str, key: str | None = None, name: str = str(name), where: tuple = where) -> PosterError:
            return PosterError(
                Diagnostic(f"format '{name}': {message}", SHOWN, src.line_of(where + ((key,) if key else ())))
            )

        if not isinstance(name, str) or not FORMAT_NAME.match(name):
            raise bad(
                "a format's name is lower-case letters, digits, '-' and '_' (at most 40: it names output files)",
                name=_short(name),
            )
        if not isinstance(spec, dict):
            raise bad("must be a mapping, e.g. {medium: print, width_mm: 500, height_mm: 700, viewing_m: 2}")
        if str(name) in GROUPS:
            raise bad("is a group name (print, social); choose another name")
        for key in spec:
            if key not in FORMAT_KEYS:
                raise bad(f"unknown key '{_short(key)}'{did_you_mean(str(key), FORMAT_KEYS)}", key)
        base_name = spec.get("based_on")
        if base_name is not None and (not isinstance(base_name, str) or base_name not in formats):
            raise bad(
                f"based_on: unknown format '{_short(base_name)}'{did_you_mean(str(base_name), formats)}", "based_on"
            )
        medium = spec.get("medium", formats[base_name].medium if base_name else None)
        if medium not in GROUPS:
            raise bad("needs medium: print or social (or based_on: a format)", "medium")
        unit = "mm" if medium == "print" else "px"
        base = (
            formats[base_name]
            if base_name
            else (
                print_format(str(name), 1, 1, "", 1.0) if medium == "print" else social_format(str(name), 1, 1, "", 5)
            )
        )
        values: dict[str, Any] = {}
        sides = PRINT_SIDE_MM if medium == "print" else SOCIAL_SIDE_PX
        for dim in ("width", "height"):
            raw = spec.get(f"{dim}_{unit}", getattr(base, dim) if base_name else None)
            if not isinstance(raw, (int, float)) or isinstance(raw, bool) or (math.isfinite(raw) and raw <= 0):
                raise bad(f"needs a positive {dim}_{unit} ({medium} formats are in {unit})", f"{dim}_{unit}")
            if not _in_range(raw, sides):
                raise bad(
                    f"{dim}_{unit} must be between {shown_range(sides)} {unit}, not {_short(raw)}", f"{dim}_{unit}"
                )
            values[dim] = float(raw)
        for key, bounds in FORMAT_RANGES.items():
            if key in spec:
                if not _in_range(spec[key], bounds):
                    raise bad(f"{key} must be a number between {shown_range(bounds)}, not {_short(spec[key])}", key)
                if key != "max_mb":
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
        if "png" in spec:
            if spec["png"] not in PNG_ENCODERS:
                raise bad(
                    "png must be 'fast' (quick to write, ~1.3x larger) or 'compact' (the smallest lossless file)", "png"
                )
            values["png"] = spec["png"]
        size = f"{values['width']:g} × {values['height']:g} {unit}"
        if "label" in spec and not _text(spec["label"]):
            raise bad(f"label must be a text of at most {MAX_LABEL_CHARS} characters", "label")
        values["label"] = str(spec.get("label", f"{name}, {size} (project.yaml)"))
        formats[str(name)] = replace(base, name=str(name), medium=medium, **values)
    return formats


def _cmyk(value: Any, where: str, line: int | None) -> CMYK:
    if not isinstance(value, list) or len(value) != 4 or not all(_in_range(v, (0, 100)) for v in value):
        raise PosterError(Diagnostic(f"{where}: CMYK must be four percentages, e.g. [0, 100, 100, 0]", SHOWN, line))
    return (value[0] / 100, value[1] / 100, value[2] / 100, value[3] / 100)


def _print_profiles(src: Located, specs: Any) -> dict[str, PrintProfile]:
    """`print_profiles:` → the presets plus the project's own, each `based_on` a preset."""
    profiles = dict(PRESETS)
    allowed = set(PrintProfile.__dataclass_fields__) - {"name"}
    for pname, spec in specs.items():

        def bad(message: str, key: str | None = None, pname: Any = pname) -> PosterError:
            where = ("print_profiles", pname) + ((key,) if key else ())
            return PosterError(Diagnostic(f"print profile '{_short(pname)}': {message}", SHOWN, src.line_of(where)))

        if not isinstance(pname, str) or not PROFILE_NAME.match(pname):
            raise bad("a print profile's name is letters, digits, '-', '_' and '.' (at most 40)")
        based_on = spec.get("based_on", "fogra39") if isinstance(spec, dict) else None
        base = profiles.get(based_on) if isinstance(based_on, str) else None
        if base is None or not isinstance(spec, dict):
            raise bad(f"'based_on' must name a preset ({', '.join(profiles)})")
        fields = {k: v for k, v in spec.items() if k != "based_on"}
        for key, value in fields.items():
            if key not in allowed:
                raise bad(f"unknown key '{_short(key)}'{did_you_mean(str(key), allowed)}", key)
            if key in PROFILE_RANGES and not _in_range(value, PROFILE_RANGES[key]):
                raise bad(
                    f"{key} must be a number between {shown_range(PROFILE_RANGES[key])}, not {_short(value)}", key
                )
            if key in PROFILE_TEXTS and not (_text(value) and value.strip()):
                raise bad(f"{key} must be a text of at most {MAX_LABEL_CHARS} characters", key)
            if key == "crop_marks" and not isinstance(value, bool):
                raise bad("crop_marks must be true or false", key)
            if key == "icc" and not (isinstance(value, str) and ICC_NAME.match(value)):
                raise bad(
                    f"icc must be the file name of a profile in the project's icc/ folder (e.g. printer.icc), "
                    f"not '{_short(value)}'",
                    key,
                )
        if "pdfx" in fields:
            fields["pdfx"] = str(fields["pdfx"]).lower()[:MAX_LABEL_CHARS]
            if fields["pdfx"] not in PDFX_VERSIONS:
                raise bad("pdfx must be 1a, 3 or 4 (PDF/X-1a:2003, PDF/X-3:2003, PDF/X-4)", "pdfx")
        if "spots" in fields and fields["spots"] not in ("keep", "convert"):
            raise bad("spots must be keep (spot inks as Separations) or convert (their CMYK values)", "spots")
        if "reversed_text" in fields and fields["reversed_text"] not in ("keep", "single-ink"):
            raise bad(
                "reversed_text must be keep or single-ink (a rich black behind small reversed type printed in "
                "black ink alone)",
                "reversed_text",
            )
        if "rich_black" in fields:
            fields["rich_black"] = _cmyk(
                fields["rich_black"], f"print profile '{pname}'", src.line_of(("print_profiles", pname, "rich_black"))
            )
        for key in ("bleed_mm", "safe_mm", "ink_limit", "min_ppi", "min_ppi_large"):
            if key in fields:
                fields[key] = float(fields[key])
        profiles[pname] = replace(base, name=pname, **fields)
    return profiles


def _swatches(src: Located, specs: Any) -> dict[str, Swatch]:
    """`brand_colors:` → '#RRGGBB' → the CMYK values the brand book gives (and a large-area variant)."""
    swatches: dict[str, Swatch] = {}
    for hexcode, spec in specs.items():
        line = src.line_of(("brand_colors", hexcode))
        if not isinstance(hexcode, str) or not HEX.match(hexcode):
            raise PosterError(
                Diagnostic(f"brand colour '{_short(hexcode)}': must be a colour like '#1A2B3C' (quoted)", SHOWN, line)
            )
        spec = spec if isinstance(spec, dict) else {"cmyk": spec}
        unknown = [k for k in spec if k not in ("cmyk", "large_area", "spot")]
        if unknown:
            raise PosterError(
                Diagnostic(
                    f"brand colour {hexcode}: unknown key '{_short(unknown[0])}' (known: cmyk, large_area, spot)",
                    SHOWN,
                    src.line_of(("brand_colors", hexcode, unknown[0])),
                )
            )
        spot = spec.get("spot")
        if spot is not None and not (_text(spot) and spot.strip() and spot.isprintable()):
            raise PosterError(
                Diagnostic(
                    f'brand colour {hexcode}: spot must be the ink\'s name, e.g. spot: "PANTONE 109 C"', SHOWN, line
                )
            )
        swatches[str(hexcode).upper()] = Swatch(
            _cmyk(spec.get("cmyk"), f"brand colour {hexcode}", line),
            _cmyk(spec["large_area"], f"brand colour {hexcode}", line) if "large_area" in spec else None,
            spot.strip() if spot else None,
        )
    return swatches
