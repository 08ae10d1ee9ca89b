"""Composed SVG → output files. The only package that touches cairosvg."""
