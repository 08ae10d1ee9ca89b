"""Composed SVG → vector PDF bytes (cairo; RGB, fonts as outlines, one page)."""

from __future__ import annotations


def svg_to_pdf(svg: bytes) -> bytes:
    """Render the document at its own size (mm units are exact in cairo's PDF surface)."""
    import cairosvg

    from . import glyphs, images  # noqa: F401  (importing them installs the fast handlers, once)

    # unsafe=False (the default) keeps cairosvg from resolving external files and entities.
    return cairosvg.svg2pdf(bytestring=svg, unsafe=False)
