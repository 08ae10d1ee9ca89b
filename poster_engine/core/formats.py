"""The format registry: named output sizes (print in mm, social in px), groups, and the facts each
size implies — read by compose, `poster check` and preflight alike, so they never disagree.

One registry: the built-in formats below, to which a project adds its own (project.yaml `formats:`,
read by project/settings.py). Every format says from how far it is seen (`viewing_m`): the QR
code's printed size and the smallest legible type follow from it. A social format also says how
wide it appears on a phone, which UI zones the platform covers, its file-size limit, how a link is
shown (a code cannot be scanned from the screen it is on) and its image type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from poster_engine.core.diagnostics import did_you_mean, fail

MB = 1_000_000
# A QR code is scanned reliably from up to ~20 times its side with a current phone camera (the
# often-quoted 10:1 is for old cameras); never under 15 mm, the size a phone focuses on close up.
QR_DISTANCE_RATIO = 20.0
QR_FLOOR_MM = 15.0
# Modules a phone resolves: 0.5 mm in print; on a screen, two whole pixels.
QR_MIN_MODULE_MM = 0.5
QR_MIN_MODULE_PX = 2
# Legible type: an x-height of 1.5 mm per metre of viewing distance (≈ 0.086° of visual angle, the
# size of 8 pt type read at 60 cm — the usual floor for print fine print).
MIN_X_HEIGHT_MM_PER_M = 1.5
# Photos: the print profile's min_ppi below this trim width, its min_ppi_large from here up (A2 and
# larger are seen from further away).
LARGE_FORMAT_MIN_WIDTH_MM = 420.0
# A social image is seen on a phone held at 30 cm, about 65 mm wide.
PHONE_VIEWING_M = 0.3
PHONE_DISPLAY_MM = 65.0
# WCAG 2 defines sizes in CSS reference pixels, a visual angle: 1 px = 0.2646 mm seen from 71 cm
# (28 inches). A poster's sizes are converted to those pixels through its viewing distance.
CSS_PX_MM = 25.4 / 96
CSS_PX_DISTANCE_M = 0.7112
IMAGE_FORMATS = ("png", "jpeg", "webp")
# What a poster's visual may be besides an SVG: each picture format Pillow reads, with its suffixes.
PICTURE_FORMATS = {"PNG": (".png",), "JPEG": (".jpg", ".jpeg"), "WEBP": (".webp",), "TIFF": (".tif", ".tiff")}
PICTURE_SUFFIXES = tuple(s for suffixes in PICTURE_FORMATS.values() for s in suffixes)
VISUAL_SUFFIXES = (".svg", *PICTURE_SUFFIXES)
PNG_ENCODERS = ("fast", "compact")  # `png:` of a social format (export/raster.py says what each is)
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
    viewing_m: float = 1.0  # distance the poster is read and scanned from (a phone's for social images)
    display_mm: float = 0.0  # social: the width the image is seen at on a phone
    ui_top_px: float = 0.0  # social: band the platform's UI covers (stories: profile, progress bar)
    ui_bottom_px: float = 0.0  # social: same at the bottom (reply field, buttons)
    ui_side_px: float = 0.0  # social: same on each side (Reels' like/comment/share column)
    max_bytes: int | None = None  # social: the platform's upload limit
    qr: Literal["code", "text"] = "code"  # a scannable code, or the short link as text
    image_format: str = "png"  # social: png, jpeg or webp
    # A layout variant drawn for this format alone (`layouts/<family>.<variant>.svg`), used when the
    # family has one; such variants are never picked by shape for other formats.
    variant: str | None = None
    # Social: the post's caption beside the image (render/caption.py): its length limit, how many
    # hashtags the platform takes, and how many characters a link counts for (X counts 23 for any).
    caption_chars: int | None = None
    caption_hashtags: int | None = None
    caption_link_chars: int | None = None
    png: str = "fast"  # social PNG encoder: fast (fpng) or compact (smallest lossless file; export/raster.py)

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
        side = max(s, self.ui_side_px)
        return side, max(s, self.ui_top_px), side, max(s, self.ui_bottom_px)

    @property
    def page(self) -> tuple[float, float]:
        """The whole document, trim + bleed on every side, in the format's own unit."""
        return self.width + 2 * self.bleed, self.height + 2 * self.bleed

    @property
    def qr_min_mm(self) -> float:
        """Print: the smallest QR side (quiet zone included) scannable from the viewing distance."""
        return max(QR_FLOOR_MM, self.viewing_m * 1000 / QR_DISTANCE_RATIO)

    @property
    def qr_min_module(self) -> float:
        """The smallest QR module a phone resolves, in the format's unit (mm or px)."""
        return QR_MIN_MODULE_MM if self.medium == "print" else QR_MIN_MODULE_PX

    @property
    def mm_per_unit(self) -> float:
        """Millimetres one format unit measures where it is seen (print: 1; social: on the phone)."""
        return 1.0 if self.medium == "print" else self.display_mm / self.width

    @property
    def css_px_mm(self) -> float:
        """A WCAG reference pixel as seen from the viewing distance, in mm where it is seen."""
        return CSS_PX_MM * self.viewing_m / CSS_PX_DISTANCE_M

    @property
    def min_x_height_mm(self) -> float:
        """The smallest x-height (as seen, mm) legible from the viewing distance."""
        return MIN_X_HEIGHT_MM_PER_M * self.viewing_m

    @property
    def large(self) -> bool:
        """A2 and larger: photos need fewer pixels per inch (seen from further away)."""
        return self.medium == "print" and is_large_print(self.width)


def is_large_print(trim_width_mm: float) -> bool:
    """Whether a print of this trim width counts as large (A2 and up, 1 mm of tolerance)."""
    return trim_width_mm >= LARGE_FORMAT_MIN_WIDTH_MM - 1


def print_format(name: str, w: float, h: float, label: str, viewing_m: float) -> Format:
    return Format(
        name,
        "print",
        w,
        h,
        f"{label}, {w:g} × {h:g} mm, read from {viewing_m:g} m",
        bleed_mm=3,
        safe_mm=5,
        viewing_m=viewing_m,
    )


def social_format(name: str, w: int, h: int, label: str, max_mb: float, **kw) -> Format:
    # Social images are seen on the screen they would have to be scanned from: the link as text.
    return Format(
        name,
        "social",
        w,
        h,
        f"{label}, {w} × {h} px, ≤ {max_mb:g} MB",
        safe_px=40,
        max_bytes=int(max_mb * MB),
        qr="text",
        viewing_m=PHONE_VIEWING_M,
        display_mm=PHONE_DISPLAY_MM,
        **kw,
    )


# Captions (docs/social-formats.md): Instagram 2,200 characters and, since December 2025, 5 hashtags;
# X 280 characters, a link counting 23 whatever its length. Stories have no caption.
INSTAGRAM_CAPTION: dict = {"caption_chars": 2200, "caption_hashtags": 5}
X_CAPTION: dict = {"caption_chars": 280, "caption_link_chars": 23}

BUILTIN: dict[str, Format] = {
    f.name: f
    for f in (
        print_format("a4", 210, 297, "A4 portrait", 0.4),
        print_format("a3", 297, 420, "A3 portrait", 0.6),
        print_format("a2", 420, 594, "A2 portrait", 1.0),
        print_format("a1", 594, 841, "A1 portrait", 1.5),
        print_format("a0", 841, 1189, "A0 portrait", 2.0),
        print_format("40x60", 400, 600, "Poster 40 × 60 cm", 1.0),
        print_format("60x80", 600, 800, "Poster 60 × 80 cm", 1.5),
        print_format("120x176", 1200, 1760, "Bus shelter 120 × 176 cm", 3.0),
        # Sizes, safe zones and limits, with their sources: docs/social-formats.md.
        social_format("instagram", 1080, 1350, "Instagram portrait", 8, **INSTAGRAM_CAPTION),
        # 3:4, the profile grid's crop since January 2025: what the grid shows is the whole image.
        social_format("instagram-3x4", 1080, 1440, "Instagram portrait 3:4 (profile grid)", 8, **INSTAGRAM_CAPTION),
        social_format("instagram-square", 1080, 1080, "Instagram square", 8, **INSTAGRAM_CAPTION),
        # Stories: Meta's 250 px at the top (profile, progress bar) and 340 px at the bottom (reply
        # field), ≈ 13 % and 18 % of the height.
        social_format("story", 1080, 1920, "Story", 8, ui_top_px=250, ui_bottom_px=340),
        # Reels: the top 14 %, the bottom 35 % (caption, audio, buttons) and 6 % a side (the button column).
        social_format(
            "reel",
            1080,
            1920,
            "Reel",
            8,
            ui_top_px=250,
            ui_bottom_px=672,
            ui_side_px=65,
            variant="reel",
            **INSTAGRAM_CAPTION,
        ),
        # A Reel's cover is shown on the profile grid cropped to its middle 3:4 (1080 × 1440): 240 px
        # off the top and bottom; the top 14 % under the Reels UI besides.
        social_format("reel-cover", 1080, 1920, "Reel cover (grid crop 3:4)", 8, ui_top_px=250, ui_bottom_px=250),
        social_format("link-preview", 1200, 630, "Link preview (Open Graph)", 5, caption_chars=63206),
        social_format("x", 1600, 900, "X (Twitter) post", 5, **X_CAPTION),
        # summary_large_image: a 2:1 image (at least 300 × 157, at most 4096 × 4096), under 5 MB.
        social_format("x-card", 1200, 600, "X card (summary large image, 2:1)", 5, **X_CAPTION),
        social_format("linkedin", 1200, 627, "LinkedIn post", 5, caption_chars=3000),
    )
}
FORMATS = BUILTIN  # the built-in registry; a project adds its own (project/settings.py)
# Variants drawn for one format only (`Format.variant`): never chosen by shape.
DEDICATED_VARIANTS = frozenset(f.variant for f in BUILTIN.values() if f.variant)


def expand(names: list[str] | tuple[str, ...], known: dict[str, Format]) -> list[str]:
    """Format names and groups (`print`, `social`) → format names, in the given order, once each."""
    out: list[str] = []
    for name in names:
        out += [f for f in known if known[f].medium == name] if name in GROUPS else [name]
    return list(dict.fromkeys(out))


def get_format(name: str, known: dict[str, Format] | None = None) -> Format:

    known = known or BUILTIN
    if name not in known:
        raise fail(f"unknown format '{name}'{did_you_mean(name, known)}; see `poster list`")
    return known[name]
