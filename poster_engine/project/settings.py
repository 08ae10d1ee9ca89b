"""project.yaml → `Settings`: the project's own formats, print profiles and brand swatches, read once.

Every key is optional and the file itself may be absent (the built-in formats and print presets
then apply). Each problem is one located diagnostic: `project.yaml:LINE: what; fix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean
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
from poster_engine.project.print_profiles import CMYK, PDFX_VERSIONS, PRESETS, PrintProfile, Swatch
from poster_engine.project.sources import Located, load_yaml

SHOWN = "project.yaml"
TOP_KEYS = ("print_profiles", "brand_colors", "formats")
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
    "max_mb",
    "qr",
    "image_format",
    "png",
}


@dataclass(frozen=True)
class Settings:
    """What project.yaml adds to the engine's built-in registries."""

    formats: dict[str, Format] = field(default_factory=lambda: dict(BUILTIN))
    print_profiles: dict[str, PrintProfile] = field(default_factory=lambda: dict(PRESETS))
    swatches: dict[str, Swatch] = field(default_factory=dict)  # '#RRGGBB' (upper case) → swatch


def read_settings(root: Path) -> Settings:
    """The built-in registries extended by `root`/project.yaml (when there is one)."""
    path = Path(root) / "project.yaml"
    if not path.is_file():
        return Settings()
    src = load_yaml(path, SHOWN)
    data = src.data if src.data is not None else {}
    if not isinstance(data, dict):
        raise PosterError(Diagnostic("expected a mapping of keys (key: value) at the top level", SHOWN, 1))
    unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
    if unknown:
        raise PosterError(
            Diagnostic(
                f"unknown key '{unknown[0]}'{did_you_mean(unknown[0], TOP_KEYS)}", SHOWN, src.line_of((unknown[0],))
            )
        )
    return Settings(
        _formats(src, data.get("formats") or {}),
        _print_profiles(src, data.get("print_profiles") or {}),
        _swatches(src, data.get("brand_colors") or {}),
    )


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

        if not isinstance(spec, dict):
            raise bad("must be a mapping, e.g. {medium: print, width_mm: 500, height_mm: 700, viewing_m: 2}")
        if str(name) in GROUPS:
            raise bad("is a group name (print, social); choose another name")
        for key in spec:
            if key not in FORMAT_KEYS:
                raise bad(f"unknown key '{key}'{did_you_mean(str(key), FORMAT_KEYS)}", key)
        base_name = spec.get("based_on")
        if base_name is not None and base_name not in formats:
            raise bad(f"based_on: unknown format '{base_name}'{did_you_mean(str(base_name), formats)}", "based_on")
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
        if "png" in spec:
            if spec["png"] not in PNG_ENCODERS:
                raise bad(
                    "png must be 'fast' (quick to write, ~1.3x larger) or 'compact' (the smallest lossless file)", "png"
                )
            values["png"] = spec["png"]
        size = f"{values['width']:g} × {values['height']:g} {unit}"
        values["label"] = str(spec.get("label", f"{name}, {size} (project.yaml)"))
        formats[str(name)] = replace(base, name=str(name), medium=medium, **values)
    return formats


def _cmyk(value: Any, where: str, line: int | None) -> CMYK:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(v, (int, float)) and 0 <= v <= 100 for v in value)
    ):
        raise PosterError(Diagnostic(f"{where}: CMYK must be four percentages, e.g. [0, 100, 100, 0]", SHOWN, line))
    return (value[0] / 100, value[1] / 100, value[2] / 100, value[3] / 100)


def _print_profiles(src: Located, specs: Any) -> dict[str, PrintProfile]:
    """`print_profiles:` → the presets plus the project's own, each `based_on` a preset."""
    profiles = dict(PRESETS)
    allowed = set(PrintProfile.__dataclass_fields__) - {"name"}
    for pname, spec in specs.items():
        base = profiles.get(spec.get("based_on", "fogra39")) if isinstance(spec, dict) else None
        if base is None:
            raise PosterError(
                Diagnostic(
                    f"print profile '{pname}': 'based_on' must name a preset ({', '.join(profiles)})",
                    SHOWN,
                    src.line_of(("print_profiles", pname)),
                )
            )
        fields = {k: v for k, v in spec.items() if k != "based_on"}
        for key in fields:
            if key not in allowed:
                raise PosterError(
                    Diagnostic(
                        f"print profile '{pname}': unknown key '{key}'{did_you_mean(key, allowed)}",
                        SHOWN,
                        src.line_of(("print_profiles", pname, key)),
                    )
                )
        if "pdfx" in fields:
            fields["pdfx"] = str(fields["pdfx"]).lower()
            if fields["pdfx"] not in PDFX_VERSIONS:
                raise PosterError(
                    Diagnostic(
                        f"print profile '{pname}': pdfx must be 1a, 3 or 4 (PDF/X-1a:2003, PDF/X-3:2003, PDF/X-4)",
                        SHOWN,
                        src.line_of(("print_profiles", pname, "pdfx")),
                    )
                )
        if "spots" in fields and fields["spots"] not in ("keep", "convert"):
            raise PosterError(
                Diagnostic(
                    f"print profile '{pname}': spots must be keep (spot inks as Separations) or convert "
                    "(their CMYK values)",
                    SHOWN,
                    src.line_of(("print_profiles", pname, "spots")),
                )
            )
        if "reversed_text" in fields and fields["reversed_text"] not in ("keep", "single-ink"):
            raise PosterError(
                Diagnostic(
                    f"print profile '{pname}': reversed_text must be keep or single-ink (a rich black behind "
                    "small reversed type printed in black ink alone)",
                    SHOWN,
                    src.line_of(("print_profiles", pname, "reversed_text")),
                )
            )
        if "rich_black" in fields:
            fields["rich_black"] = _cmyk(
                fields["rich_black"], f"print profile '{pname}'", src.line_of(("print_profiles", pname, "rich_black"))
            )
        profiles[pname] = replace(base, name=pname, **fields)
    return profiles


def _swatches(src: Located, specs: Any) -> dict[str, Swatch]:
    """`brand_colors:` → '#RRGGBB' → the CMYK values the brand book gives (and a large-area variant)."""
    swatches: dict[str, Swatch] = {}
    for hexcode, spec in specs.items():
        line = src.line_of(("brand_colors", hexcode))
        spec = spec if isinstance(spec, dict) else {"cmyk": spec}
        spot = spec.get("spot")
        if spot is not None and (not isinstance(spot, str) or not spot.strip() or not spot.isprintable()):
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
