"""sRGB colours and images → CMYK for print, following the rules printers ask for.

Order of the rules for one colour (first match wins):
1. a brand swatch declared in project.yaml → its CMYK values verbatim (its `large_area` variant on
   large fills);
2. exact black → 0/0/0/100 for text, strokes and small fills; the profile's rich black on large fills;
   a neutral near-black (`is_near_black`) → 0/0/0/100 too for text, strokes and small fills (on large
   fills it follows rules 4–5);
3. white → no ink;
4. a neutral grey (R = G = B) → black ink only, with the lightness littleCMS gives that grey;
5. anything else → littleCMS, sRGB → the profile, relative colorimetric with black-point compensation;
then total ink is limited to the profile's ink limit by lowering C, M and Y (K carries the detail).
"""

from __future__ import annotations

import io
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from poster_engine.core.color import srgb_to_lab, to_hex
from poster_engine.project.print_profiles import CMYK, PrintSettings

RGB8 = tuple[int, int, int]

# Near-black (docs/print.md §6, rule 2): CIELAB L* at most 10 and chroma C*ab at most 5. Below L* 10
# the grey rule gives a K screen of 92.5 % or more (FOGRA39), a tint that offset plates do not hold
# open: on text it prints as ragged, mottled edges while 100 % K prints within ΔE2000 6 of it.
NEAR_BLACK_L, NEAR_BLACK_CHROMA = 10.0, 5.0
K_ONLY: CMYK = (0.0, 0.0, 0.0, 1.0)


@lru_cache(maxsize=4096)
def is_near_black(rgb: RGB8) -> bool:
    """A neutral colour dark enough to print as solid black ink on text and thin rules."""
    lightness, a, b = srgb_to_lab(rgb)
    return lightness <= NEAR_BLACK_L and (a * a + b * b) ** 0.5 <= NEAR_BLACK_CHROMA


if TYPE_CHECKING:  # Pillow is imported by the methods that convert: start-up stays fast
    from PIL import Image, ImageCms


class ColorConverter:
    def __init__(self, settings: PrintSettings):
        from PIL import ImageCms

        self.settings = settings
        self.profile = settings.profile
        icc_bytes = settings.icc_path().read_bytes()
        self.icc_bytes = icc_bytes
        self._cmyk_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_bytes))
        self._srgb = ImageCms.createProfile("sRGB")
        self._transform = ImageCms.buildTransform(
            self._srgb,
            self._cmyk_profile,
            "RGB",
            "CMYK",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
        self._cache: dict[tuple[RGB8, bool], CMYK] = {}

    @property
    def limit(self) -> float:
        return self.profile.ink_limit / 100

    @cached_property
    def _gray_to_k(self) -> list[float]:
        """K (0..1) giving the same relative lightness as each sRGB grey level, via the profile."""
        from PIL import Image, ImageCms

        lab = ImageCms.createProfile("LAB")
        intent = ImageCms.Intent.RELATIVE_COLORIMETRIC
        k_ramp = Image.frombytes("CMYK", (256, 1), bytes(b for k in range(256) for b in (0, 0, 0, k)))
        k_l = list(
            _apply(
                k_ramp, ImageCms.buildTransform(self._cmyk_profile, lab, "CMYK", "LAB", renderingIntent=intent)
            ).tobytes()[0::3]
        )
        grey = Image.frombytes("RGB", (256, 1), bytes(b for v in range(256) for b in (v, v, v)))
        grey_l = list(
            _apply(grey, ImageCms.buildTransform(self._srgb, lab, "RGB", "LAB", renderingIntent=intent)).tobytes()[0::3]
        )
        darkest = k_l[255]
        table = []
        for level in grey_l:
            # Black-point compensation: sRGB black maps to the darkest K-only tone, white to paper.
            target = darkest + level / 255 * (k_l[0] - darkest)
            k = min(range(256), key=lambda i: abs(k_l[i] - target))
            table.append(k / 255)
        return table

    def _limit_ink(self, cmyk: CMYK) -> CMYK:
        c, m, y, k = cmyk
        total = c + m + y + k
        if total <= self.limit + 1e-9:
            return cmyk
        room = max(self.limit - k, 0.0)
        f = room / (c + m + y) if c + m + y else 0.0
        return (c * f, m * f, y * f, k)

    def convert(self, rgb: RGB8, large: bool = False) -> CMYK:
        """One sRGB colour (0..255) → CMYK (0..1). `large`: painted as a large area (see module doc)."""
        key = (rgb, large)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._convert(rgb, large)
        return hit

    def _convert(self, rgb: RGB8, large: bool) -> CMYK:
        swatch = self.settings.swatches.get(to_hex(rgb))
        if swatch is not None:
            return swatch.large_area if large and swatch.large_area else swatch.cmyk
        if rgb == (0, 0, 0):
            return self.profile.rich_black if large else K_ONLY
        if not large and is_near_black(rgb):
            return K_ONLY
        if rgb == (255, 255, 255):
            return (0.0, 0.0, 0.0, 0.0)
        if rgb[0] == rgb[1] == rgb[2]:
            return (0.0, 0.0, 0.0, self._gray_to_k[rgb[0]])
        return self.convert_icc(rgb)

    def convert_icc(self, rgb: RGB8) -> CMYK:
        """Rule 5 alone: the profile's own separation (the nearest colour it prints), ink-limited."""
        from PIL import Image

        c, m, y, k = _apply(Image.new("RGB", (1, 1), rgb), self._transform).tobytes()
        return self._limit_ink((c / 255, m / 255, y / 255, k / 255))

    def spot(self, rgb: RGB8) -> tuple[str, CMYK] | None:
        """The spot ink (name, CMYK alternate) a brand colour prints with, when the profile keeps spots."""
        swatch = self.settings.swatches.get(to_hex(rgb))
        if swatch is None or swatch.spot is None or self.profile.spots != "keep":
            return None
        return swatch.spot, swatch.cmyk

    def convert_tone(self, rgb: RGB8) -> CMYK:
        """A colour inside a continuous tone (a gradient's samples): a near-black is not snapped to
        solid K there, which would print as a step between its neighbours."""
        return self.convert(rgb, large=rgb != (0, 0, 0) and is_near_black(rgb))

    def has_large_variant(self, rgb: RGB8) -> bool:
        """Whether a large fill of this colour gets other values than a small one."""
        swatch = self.settings.swatches.get(to_hex(rgb))
        if swatch is not None:
            return swatch.large_area is not None
        return rgb == (0, 0, 0) or is_near_black(rgb)

    def convert_image(self, image, headroom: float = 0.0):
        """An RGB Pillow image → CMYK through the profile, ink-limited (photos: no special rules).

        `headroom` (fraction, e.g. 0.12) lowers the limit for images about to be JPEG-compressed,
        whose ringing adds a few percent of ink around edges (measured: up to 7 % at quality 92).
        """
        return image.convert("RGB").filter(self._image_lut(headroom))

    def warm_up(self) -> None:
        """Build the photo lookup table now (before a process pool forks: workers inherit it)."""
        self._image_lut(0.0)

    @lru_cache(maxsize=4)  # noqa: B019 - converters live as long as their settings (converter_for)
    def _image_lut(self, headroom: float):
        """The profile's transform with the ink limit baked in, as a 33³ RGB → CMYK lookup table.

        Applied by Pillow in C (146 ms for 5.5 Mpx, the cost of littleCMS alone; a numpy clamp pass
        after littleCMS cost 0.28 s more). Trilinear interpolation between grid points that respect
        the limit cannot exceed it (total ink is linear). Mean difference from littleCMS: 0.7/255.
        """
        import numpy as np
        from PIL import Image, ImageFilter

        n = 33
        levels = np.linspace(0, 255, n).round().astype(np.uint8)
        b, g, r = np.meshgrid(levels, levels, levels, indexing="ij")  # Color3DLUT: red varies fastest
        grid = Image.fromarray(np.stack([r, g, b], axis=-1).reshape(1, -1, 3), "RGB")
        cmyk = np.asarray(_apply(grid, self._transform), dtype=np.float32).reshape(-1, 4) / 255
        limit = self.limit - headroom
        room = np.clip(limit - cmyk[:, 3], 0, None)
        cmy = cmyk[:, :3].sum(axis=1)
        over = cmy + cmyk[:, 3] > limit
        cmyk[:, :3] *= np.where(over, room / np.maximum(cmy, 1e-6), 1.0)[:, None]
        return ImageFilter.Color3DLUT(n, cmyk.flatten().tolist(), channels=4, target_mode="CMYK")


def _apply(image: Image.Image, transform: ImageCms.ImageCmsTransform) -> Image.Image:
    """littleCMS on a Pillow image, into a new image (never in place)."""
    from PIL import ImageCms

    out = ImageCms.applyTransform(image, transform)
    assert out is not None  # only an in-place transform returns None
    return out


@lru_cache(maxsize=8)
def converter_for(settings: PrintSettings) -> ColorConverter:
    """One converter per print settings: the ICC transform and colour cache serve a whole build."""
    return ColorConverter(settings)
