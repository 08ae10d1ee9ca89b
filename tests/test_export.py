"""The fast export path draws what plain cairosvg draws, and big formats stay within memory."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from poster_engine.compose.document import compose
from poster_engine.export.images import stock_cairosvg
from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.raster import render_rgb
from poster_engine.plan import plan_jobs

# Tolerance between the fast path and plain cairosvg, per channel: <= 24 levels on all but 0.5 % of
# pixels and a mean under 1.0. The photo is resampled by Pillow (bilinear, at device size) instead
# of by cairo (at the JPEG's size), and glyph outlines merged into one path anti-alias their shared
# edges once instead of twice: small local differences, nothing that moves, resizes or recolours.
CASES = ["film-sang-et-boue", "programme", "choc-cobalt"]


@pytest.mark.parametrize("poster", CASES)
def test_fast_path_matches_plain_cairosvg(demo, campaign, poster):
    (job,) = plan_jobs(demo, [poster], ["instagram"])
    svg = compose(demo, campaign.posters[poster], job.format).svg
    fast = np.asarray(render_rgb(svg, 1080, 1350), dtype=np.int16)
    with stock_cairosvg():
        plain = np.asarray(render_rgb(svg, 1080, 1350), dtype=np.int16)
    diff = np.abs(fast - plain)
    assert (diff.max(axis=2) > 24).mean() <= 0.005, poster
    assert diff.mean() < 1.0, poster


def test_every_path_the_engine_writes_takes_the_fast_path(compositions):
    """Each marked path of every demo output (both languages, every format) is in the grammar its
    mark names: a writer that drifted from it would silently send text to cairosvg's parser (right
    pixels, twice the drawing time, docs/performance.md §5)."""
    import cairocffi as cairo

    from poster_engine.core.marks import PATH_MARK
    from poster_engine.export import glyphs

    ctx = cairo.Context(cairo.ImageSurface(cairo.FORMAT_A8, 1, 1))
    seen = {"glyphs": 0, "qr": 0}
    for output, comp in compositions.items():
        svg = comp.svg.decode()
        marked = re.findall(rf'<path {PATH_MARK}="(\w+)"[^>]* d="([^"]*)"', svg)
        assert len(marked) == svg.count(PATH_MARK), output  # every mark read by the pattern above
        for kind, d in marked:
            assert glyphs._DRAW[kind](ctx, d), (output, kind, d[:80])
            ctx.new_path()
            seen[kind] += 1
    assert seen["glyphs"] > 100 and seen["qr"] >= 11, seen


def test_marked_path_outside_its_grammar_is_drawn_by_cairosvg():
    """The mark selects the fast path, the grammar must still hold: anything else is cairosvg's."""
    page = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="#fff"/>'
    )
    for mark in ("glyphs", "qr", "other"):
        svg = f'{page}<path data-pe-path="{mark}" d="M10 10l80 0 0 80z"/></svg>'.encode()
        drawn = (np.asarray(render_rgb(svg, 100, 100)).max(axis=2) < 128).mean()
        assert abs(drawn - 0.32) < 0.02, (mark, drawn)  # the triangle, half of 80 × 80


def _vector_colours(pdf: bytes, tmp_path, name: str) -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    trace = subprocess.run(["mutool", "trace", str(path)], capture_output=True, text=True, check=True).stdout
    return sorted(set(re.findall(r'<fill_path[^>]*color="([^"]*)"', trace)))


def test_print_colours_unchanged_by_fast_path(demo, campaign, tmp_path):
    from poster_engine.export.print.prepress import make_print_pdf

    (job,) = plan_jobs(demo, ["film-sang-et-boue"], ["a3"])
    fmt = job.format
    svg = compose(demo, campaign.posters[job.poster_id], fmt).svg

    def finish(raw):
        return make_print_pdf(raw, (fmt.width, fmt.height), fmt.bleed_mm, "t", demo.timestamp, demo.print_settings)

    fast_raw = svg_to_pdf(svg)
    with stock_cairosvg():
        plain_raw = svg_to_pdf(svg)
    assert _vector_colours(finish(fast_raw), tmp_path, "fast") == _vector_colours(finish(plain_raw), tmp_path, "plain")
    assert len(fast_raw) < len(plain_raw) / 3  # cairo kept the photo's JPEG instead of Flate pixels


def test_a3_photo_is_dct_cmyk_at_300_ppi(demo_build):
    rows = subprocess.run(
        ["pdfimages", "-list", str(demo_build / "film-sang-et-boue" / "a3.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    (row,) = [r.split() for r in rows if r.split()[2] == "image"]
    assert (row[5], row[8]) == ("cmyk", "jpeg")
    assert abs(int(row[12]) - 300) <= 1 and abs(int(row[13]) - 300) <= 1


def test_a0_print_pdf_peak_memory_under_500_mb(tmp_path):
    """A fresh process renders the photo poster at A0 and reports its own peak resident memory."""
    script = (
        "import resource, sys; from poster_engine.cli import main; sys.argv = ['poster', 'render', "
        f"'film-sang-et-boue', '-f', 'a0', '-o', {str(tmp_path / 'a0.pdf')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (tmp_path / "a0.pdf").stat().st_size > 0, run.stderr
    peak_mb = int(run.stdout.strip().splitlines()[-1]) / 1024
    assert peak_mb <= 500, f"peak RSS {peak_mb:.0f} MB"
    info = subprocess.run(["pdfinfo", "-box", str(tmp_path / "a0.pdf")], capture_output=True, text=True).stdout
    trim = [float(v) for v in re.search(r"TrimBox:\s+(.*)", info).group(1).split()]
    assert (trim[2] - trim[0]) * 25.4 / 72 == pytest.approx(841, abs=0.1)
