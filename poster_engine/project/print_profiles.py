"""Print profiles (bleed, marks, ink limit, ICC, PDF flavour) and brand swatches: the presets, and the
settings one build prints with (project.yaml adds profiles and swatches: project/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean
from poster_engine.project.paths import PathProblem, contained, shown_name

# The ICC profiles shipped with the engine (data beside the converter that uses them).
PACKAGE_ICC = Path(__file__).resolve().parents[1] / "export" / "print" / "icc"
CMYK = tuple[float, float, float, float]  # 0..1 each


@dataclass(frozen=True)
class PrintProfile:
    """What a printer asks for (defaults from docs/print.md §2, the consensus of European printers)."""

    name: str
    label: str
    icc: str  # file in icc/ (project's or the engine's)
    output_condition_identifier: str  # ICC registry name, e.g. FOGRA39
    output_condition: str
    bleed_mm: float = 3.0
    safe_mm: float = 5.0
    crop_marks: bool = False
    ink_limit: float = 300.0  # total area coverage, %
    rich_black: CMYK = (0.6, 0.4, 0.4, 1.0)  # 240 %, for large black areas only
    pdfx: str = "4"  # "4" (live transparency), "1a" or "3" (flattened, PDF 1.4): docs/print.md §3a
    spots: str = "keep"  # brand spot inks: "keep" (Separation colour spaces) or "convert" (their CMYK)
    # small light type knocked out of a rich black: "keep", or "single-ink" (that background on K alone)
    reversed_text: str = "keep"
    min_ppi: float = 300.0  # effective image resolution; min_ppi_large from A2 up
    min_ppi_large: float = 150.0

    @property
    def pdf_flavour(self) -> str:
        """The identification written in the file (GTS_PDFXVersion) and expected by preflight."""
        return PDFX_VERSIONS[self.pdfx]

    def min_ppi_for(self, large: bool) -> float:
        """The effective resolution photos need: `min_ppi`, or `min_ppi_large` on large formats."""
        return self.min_ppi_large if large else self.min_ppi


# `pdfx:` → the GTS_PDFXVersion of the file. X-1a and X-3 are written in their 2003 editions (ISO
# 15930-4 and -6, based on PDF 1.4); printers that ask for X-1a:2001 or X-3:2002 accept them.
PDFX_VERSIONS = {"4": "PDF/X-4", "1a": "PDF/X-1a:2003", "3": "PDF/X-3:2003"}

FOGRA39 = PrintProfile(
    name="fogra39",
    label="Coated offset (FOGRA39, ISO Coated v2 300 %), 3 mm bleed, no marks",
    icc="ISOcoated_v2_300_bas.icc",
    output_condition_identifier="FOGRA39",
    output_condition="Offset printing, according to ISO 12647-2:2004/Amd 1, paper type 1 or 2 (coated art), "
    "115 g/m2, screen ruling 60/cm",
)

PRESETS: dict[str, PrintProfile] = {
    p.name: p
    for p in (
        FOGRA39,
        replace(
            FOGRA39, name="fogra39-marks", crop_marks=True, label="Coated offset (FOGRA39), 3 mm bleed, crop marks"
        ),
        replace(
            FOGRA39,
            name="fogra39-5mm",
            bleed_mm=5.0,
            label="Coated offset (FOGRA39), 5 mm bleed, no marks (e.g. French printers asking for 5 mm)",
        ),
        replace(
            FOGRA39,
            name="fogra39-x1a",
            pdfx="1a",
            label="Coated offset (FOGRA39), PDF/X-1a:2003 (transparency flattened), for printers that require "
            "X-1a (e.g. druckscheune, bookprinteconomy, most French printers)",
        ),
        replace(
            FOGRA39,
            name="fogra39-x3",
            pdfx="3",
            label="Coated offset (FOGRA39), PDF/X-3:2003 (transparency flattened), for printers that require "
            "X-3 (e.g. europrint24, flyer.de)",
        ),
        PrintProfile(
            name="fogra29-uncoated",
            label="Uncoated offset (FOGRA29, profile built from FOGRA29L data), 3 mm bleed, 280 % ink",
            icc="FOGRA29L_uncoated_argyll.icc",
            output_condition_identifier="FOGRA29",
            output_condition="Offset printing, according to ISO 12647-2:2004/Amd 1, paper type 4 (uncoated white), "
            "120 g/m2, screen ruling 60/cm",
            ink_limit=280.0,
            rich_black=(0.5, 0.4, 0.3, 1.0),  # 220 %: uncoated paper drinks ink
        ),
    )
}


@dataclass(frozen=True)
class Swatch:
    """A brand colour with the CMYK values the brand book gives (used verbatim, no ICC conversion)."""

    cmyk: CMYK  # process values; for a spot ink, its alternate (how a process-only press fakes it)
    large_area: CMYK | None = None  # e.g. a rich black for the same colour used as a background
    spot: str | None = None  # a spot ink's name (e.g. "PANTONE 109 C"): printed as a Separation


@dataclass(frozen=True, eq=False)  # hashed by identity: one ColorConverter per loaded settings
class PrintSettings:
    profile: PrintProfile
    swatches: dict[str, Swatch] = field(default_factory=dict)  # '#RRGGBB' (upper case) → swatch
    icc_dirs: tuple[Path, ...] = (PACKAGE_ICC,)

    def icc_path(self) -> Path:
        """The profile's ICC file: the project's icc/ folder first, then the engine's. The file must
        stay inside the folder's parent (the project, for icc/): a link leading out is refused."""
        for folder in self.icc_dirs:
            path = folder / self.profile.icc
            if not path.exists() and not path.is_symlink():
                continue
            found = contained(folder.parent, path)
            if isinstance(found, PathProblem):
                fix = "copy the profile into icc/" if found.kind == "link-outside" else found.fix
                raise found.error(f"{folder.name}/{shown_name(self.profile.icc)}", fix)
            return path
        raise PosterError(
            Diagnostic(
                f"ICC profile '{self.profile.icc}' not found in icc/; add it or fix the "
                f"print profile '{self.profile.name}'",
                "project.yaml",
            )
        )


def select_print_settings(
    root: Path, profiles: dict[str, PrintProfile], swatches: dict[str, Swatch], name: str
) -> PrintSettings:
    """The named profile (presets, or project.yaml `print_profiles:`) with the project's brand swatches."""
    if name not in profiles:
        raise PosterError(Diagnostic(f"unknown print profile '{name}'{did_you_mean(name, profiles)}"))
    return PrintSettings(profiles[name], swatches, (Path(root) / "icc", PACKAGE_ICC))
