"""A print PDF → how it will look on paper, in sRGB: Ghostscript's CMYK raster through the profile.

The soft proof (docs/print.md §6b) reads the finished print file, so it shows every print rule at work
(swatches, solid K, rich black, ink limit, overprint, flattening): the CMYK raster goes back to sRGB
through the print profile's ICC, relative colorimetric with black-point compensation (the inverse
of the forward transform, so an in-gamut colour comes back to itself).
"""

from __future__ import annotations

import io
from functools import lru_cache

from poster_engine.export.print.ghostscript import render_cmyk
from poster_engine.project.print_profiles import PrintSettings

PROOF_PPI = 150.0


@lru_cache(maxsize=4)
def _to_srgb(icc: bytes):
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        ImageCms.createProfile("sRGB"),
        "CMYK",
        "RGB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


def cmyk_to_srgb(image, settings: PrintSettings):
    """A CMYK Pillow image (the print profile's space) → sRGB, as the screen shows the print."""
    from PIL import ImageCms

    out = ImageCms.applyTransform(image, _to_srgb(settings.icc_path().read_bytes()))
    assert out is not None
    return out


def soft_proof(pdf: bytes, settings: PrintSettings, ppi: float = PROOF_PPI, trim: bool = True):
    """The first page of a print PDF as an sRGB Pillow image at `ppi` (the trim only, by default)."""
    (page, *_) = render_cmyk(pdf, ppi, "the soft proof", trim=trim)
    return cmyk_to_srgb(page, settings)
