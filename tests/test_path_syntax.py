"""Designers' path data drawn as they wrote it: a corpus of path syntax, engine against rsvg-convert.

Each case is valid SVG path data of the kind editors and hands write (implicit repeated commands,
exponents, packed arc flags and numbers, `-` as a separator, commas and newlines…), drawn in a
100 × 100 box. It is placed twice in a small project: as a decoration of the layout (left half of
a 200 × 100 image) and inside an SVG visual (right half). The engine composes and renders the
poster to pixels; rsvg-convert renders the *author's files* (the template, the visual), so whatever
the engine does between reading them and drawing is compared too.

Tolerance: both renderers anti-alias edges (librsvg through cairo as well, with its own path
flattening), so a pixel counts as different only when a channel differs by more than 64 levels,
and at most 1 % of a cell's pixels (100 of 10 000) may differ. A shape drawn wrongly or not at all
moves hundreds to thousands of pixels; every case covers at least 5 % of its cell.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from poster_engine.compose.document import compose
from poster_engine.core.marks import PATH_MARK
from poster_engine.export.raster import render_rgb
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import open_project

CELL = 100
CHANNEL_TOLERANCE = 64  # levels of 255 before a pixel counts as different
MAX_DIFFERENT = 0.01  # of a cell's pixels
MIN_INK = 0.05  # of a cell's pixels the reference must darken: the case draws something

FILL = 'fill="#000"'
# cairosvg 2.9.1's path tokenizer splits numbers on "-" and on a second "." after digits, but not
# on "+" nor on a "." after an exponent or after a trailing dot: project/svg.py spaces the numbers
# of such path data out before cairosvg reads it (the three cases below that name those spellings).


# (name, path data, the element's other attributes). SVG 1.1 §8.3 (path data grammar: "if a
# moveto is followed by multiple pairs of coordinates, the subsequent pairs are treated as implicit
# lineto commands"; any other command may be repeated without its letter), SVG 2 §9.5.
CASES: list = [
    ("implicit-lineto-after-M", "M10 10 90 10 90 90z", FILL),
    ("implicit-lineto-after-m", "m10 10 80 0 0 80z", FILL),
    ("implicit-lineto-after-l", "M10 10l80 0 0 80z", FILL),
    ("implicit-lineto-after-L", "M10 90L50 10 90 90 50 60z", FILL),
    ("implicit-cubic-after-C", "M10 50C10 10 50 10 50 50 50 90 90 90 90 50z", FILL),
    ("implicit-cubic-after-c", "M10 50c0-40 40-40 40 0 0 40 40 40 40 0z", FILL),
    ("implicit-quadratic-after-Q", "M10 50Q30 0 50 50 70 100 90 50z", FILL),
    ("implicit-quadratic-after-q", "M10 50q20-50 40 0 20 50 40 0z", FILL),
    ("implicit-smooth-after-S", "M10 50C15 10 25 10 30 50S45 90 50 50 65 10 70 50 85 90 90 50V90H10z", FILL),
    ("implicit-smooth-after-s", "M10 50c5-40 15-40 20 0s15 40 20 0 15-40 20 0 15 40 20 0V90H10z", FILL),
    ("implicit-smooth-after-T", "M10 50Q20 10 30 50T50 50 70 50 90 50V90H10z", FILL),
    ("implicit-smooth-after-t", "M10 50q10-40 20 0t20 0 20 0 20 0V90H10z", FILL),
    ("implicit-arc-after-A", "M10 50A20 20 0 0 1 50 50 20 20 0 0 0 90 50z", FILL),
    ("implicit-arc-after-a", "M10 50a20 20 0 0 1 40 0 20 20 0 0 0 40 0z", FILL),
    ("close-then-implicit-moveto-lineto", "M10 10h30v30h-30zm40 40 40 0 0 40z", FILL),
    ("lineto-after-close", "M10 10h40v40zl40 40 40 0 0-40z", FILL),
    ("exponents", "M1e1 1E1L9e1 10 90 9.0e+1 1e1 0.9e2z", FILL),
    ("negative-exponents", "M100E-1 10l800e-1 0 0 8E1z", FILL),
    ("exponent-then-minus", "M1e1-0L9e1-0 9e1 9e1z", FILL),
    ("exponent-then-dot", "M10 50a4e1 4e1.0 0 1 80 0z", FILL),
    ("arc-flags-run-together", "M20 50a30 30 0 0160 0z", FILL),
    ("arc-flags-run-together-absolute", "M20 50A30 30 0 1080 50z", FILL),
    ("arc-with-commas", "M20,50a30,30,0,1,0,60,0z", FILL),
    ("arc-rotated-ellipse", "M20 60A40 20 30 0 1 80 40z", FILL),
    ("arc-radii-too-small", "M10 50A10 10 0 0 1 90 50z", FILL),
    ("arc-zero-radius-is-a-line", "M10 10A0 20 0 0 1 90 10L50 90z", FILL),
    ("relative-absolute-mix", "M10 10h40V50l40 0V90H10z", FILL),
    ("horizontal-vertical-absolute", "M10 10H90V90H10V10z", FILL),
    ("horizontal-vertical-relative", "M10 10h80v80h-80z", FILL),
    ("horizontal-vertical-repeated", "M10 10h20 20 40v40 40H50 10z", FILL),
    ("dot-packing", "M10 10L90 10L50 90.5.5 50z", FILL),
    ("dot-packing-relative", "M50 5l.5.5 39.5 39.5-40 40-40-40z", FILL),
    ("minus-as-separator", "M10-10l40 40-40 40-40-40z", f'{FILL} transform="translate(40 40)"'),
    ("plus-signs", "M+10+10L+90+10+90+90z", FILL),
    ("plus-signs-in-exponents-and-points", "M1e+1 1E+1L9e+1 10+90+90 10 90+10 90z", FILL),
    ("trailing-dot-numbers", "M10. 10.L90. 10. 90. 90.z", FILL),
    ("trailing-dot-then-dot", "M10 10L90 10L90..9e2z", FILL),
    ("commas-and-newlines", "M 10,10\n  L 90,10\n\t L 90,90 ,\n 10,90\r\n z", FILL),
    ("leading-and-trailing-whitespace", "  \n M10 10 L90 10 L90 90 z \n ", FILL),
    ("upper-case-close", "M10 10H90V90Z", FILL),
    ("several-subpaths", "M10 10h30v30h-30zM50 50h40v40h-40z", FILL),
    ("smooth-cubic-without-previous-curve", "M10 90S50 10 90 90z", FILL),
    ("smooth-quadratic-without-previous-curve", "M10 50T50 10 90 50 50 90z", FILL),
    ("zero-length-segments", "M10 10l0 0 80 0 0 0 0 80 0 0z", FILL),
    (
        "zero-length-subpaths-round-caps",
        "M20 20l0 0M50 50h0M80 80v0",
        'fill="none" stroke="#000" stroke-width="20" stroke-linecap="round"',
    ),
    ("stroked-implicit-lineto", "M10 10 90 10 90 90 10 90", 'fill="none" stroke="#000" stroke-width="12"'),
    ("looks-like-engine-glyph-data", "M10 10l80 0l0 80l-80 0z", FILL),
    ("looks-like-engine-qr-data", "M1 2h7v1h-7z", f'{FILL} transform="scale(10)"'),
]

POSTER = """\
title: Path syntax
layout: film
message: coltan
film: sang-et-boue
visual: visuals/corpus.svg
colors: {background: "#FFFFFF", text: "#000000", accent: "#000000"}
formats: [corpus]
"""
SETTINGS = "formats:\n  corpus: {medium: social, width_px: 200, height_px: 100, safe_px: 0}\n"


def _xml(text: str) -> str:
    """Path data as an attribute value: newlines and tabs as character references, so that the XML
    parser keeps them (attribute-value normalisation would turn them into spaces)."""
    return text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


def layout_svg(d: str, attrs: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">\n'
        '  <rect id="paper" x="0" y="0" width="200" height="100" fill="#FFFFFF"/>\n'
        f'  <path id="case" d="{_xml(d)}" {attrs}/>\n'
        '  <rect id="visual" data-slot="visual" x="100" y="0" width="100" height="100" fill="none"/>\n'
        "</svg>\n"
    )


def visual_svg(d: str, attrs: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">\n'
        f'  <g><path d="{_xml(d)}" {attrs}/></g>\n'
        "</svg>\n"
    )


@pytest.fixture(scope="module")
def corpus_project(tmp_path_factory) -> Path:
    """A project whose one poster shows the layout `layouts/film.svg` with `visuals/corpus.svg`,
    in a 200 × 100 px format; each case rewrites those two files."""
    root = tmp_path_factory.mktemp("path-syntax")
    shutil.copy(ROOT / "messages.yaml", root)
    (root / "project.yaml").write_text(SETTINGS)
    (root / "fonts").symlink_to(ROOT / "fonts")
    for folder in ("posters", "layouts", "visuals"):
        (root / folder).mkdir()
    (root / "posters" / "corpus.yaml").write_text(POSTER)
    return root


def rsvg(svg: Path, width: int, height: int) -> np.ndarray:
    png = subprocess.run(
        ["rsvg-convert", "-w", str(width), "-h", str(height), "-b", "white", str(svg)],
        capture_output=True,
        check=True,
    ).stdout
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def engine(root: Path, serial: int) -> np.ndarray:
    """The poster as the engine renders it. Each case's files get their own modification time, so
    no per-process cache (templates are cached by path and mtime) can hand back an earlier case."""
    for path in (root / "layouts" / "film.svg", root / "visuals" / "corpus.svg"):
        os.utime(path, ns=(serial, serial))
    project = open_project(root)
    (job,) = plan_jobs(project, ["corpus"], ["corpus"])
    composition = compose(project, project.campaign.posters["corpus"], job.format)
    return np.asarray(render_rgb(composition.svg, 200, 100), dtype=np.int16)


def different(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.abs(a - b).max(axis=2) > CHANNEL_TOLERANCE).mean())


NAMES = [c.values[0] if hasattr(c, "values") else c[0] for c in CASES]


@pytest.mark.parametrize("name,d,attrs", CASES, ids=NAMES)
def test_path_syntax_as_rsvg_draws_it(corpus_project, name, d, attrs):
    root = corpus_project
    layout, visual = root / "layouts" / "film.svg", root / "visuals" / "corpus.svg"
    layout.write_text(layout_svg(d, attrs))
    visual.write_text(visual_svg(d, attrs))
    ours = engine(root, 1_000_000_000 * (1 + NAMES.index(name)))
    as_decoration, in_visual = rsvg(layout, 200, 100)[:, :CELL], rsvg(visual, CELL, CELL)
    for reference in (as_decoration, in_visual):
        assert (reference.max(axis=2) < 128).mean() >= MIN_INK, f"{name}: the reference draws (almost) nothing"
    assert different(ours[:, :CELL], as_decoration) <= MAX_DIFFERENT, f"{name}: as a layout decoration"
    assert different(ours[:, CELL:], in_visual) <= MAX_DIFFERENT, f"{name}: inside an SVG visual"


def test_designers_files_cannot_carry_the_engine_mark(corpus_project):
    """A template or visual with the engine's own attribute (pasted from a composed SVG, say) loses
    it when parsed: the path is drawn by cairosvg as written, not by the fast path."""
    root = corpus_project
    d = "M10 10 90 10 90 90z"  # implicit lineto: the old fast path drew nothing
    attrs = f'{FILL} {PATH_MARK}="glyphs" data-pe-other="x"'
    (root / "layouts" / "film.svg").write_text(layout_svg(d, attrs))
    (root / "visuals" / "corpus.svg").write_text(visual_svg(d, attrs).replace("<g>", f'<g {PATH_MARK}="qr">'))
    serial = 1_000_000_000 * (len(CASES) + 1)
    for path in (root / "layouts" / "film.svg", root / "visuals" / "corpus.svg"):
        os.utime(path, ns=(serial, serial))
    project = open_project(root)
    (job,) = plan_jobs(project, ["corpus"], ["corpus"])
    svg = compose(project, project.campaign.posters["corpus"], job.format).svg.decode()
    assert "data-pe-" not in svg
    ours = np.asarray(render_rgb(svg.encode(), 200, 100), dtype=np.int16)
    reference = rsvg(root / "visuals" / "corpus.svg", CELL, CELL)
    assert different(ours[:, :CELL], reference) <= MAX_DIFFERENT
    assert different(ours[:, CELL:], reference) <= MAX_DIFFERENT


def test_point_lists_with_plus_signs_as_rsvg_draws_them(corpus_project):
    """A polygon's `points` go through the same tokenizer as path data."""
    root = corpus_project
    layout, visual = root / "layouts" / "film.svg", root / "visuals" / "corpus.svg"
    for path, svg in ((layout, layout_svg), (visual, visual_svg)):
        path.write_text(svg("+10+10 +90,+10 9e+1 9E+1", FILL).replace("<path", "<polygon").replace(" d=", " points="))
    ours = engine(root, 1_000_000_000 * (len(CASES) + 2))
    reference = rsvg(visual, CELL, CELL)
    assert (reference.max(axis=2) < 128).mean() >= MIN_INK
    assert different(ours[:, :CELL], rsvg(layout, 200, 100)[:, :CELL]) <= MAX_DIFFERENT
    assert different(ours[:, CELL:], reference) <= MAX_DIFFERENT
