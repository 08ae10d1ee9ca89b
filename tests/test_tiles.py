"""`poster tile`: a big poster on office sheets. Read back with poppler: the tiles' image areas,
assembled at their places, give the poster's own raster; each sheet's alignment ticks fall exactly
where its neighbour's crop marks (its cut edge) lie on the poster; a page map comes first."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pikepdf
import pytest
from conftest import ROOT, run_cli
from PIL import Image

from poster_engine.export.pdf import svg_to_pdf
from poster_engine.export.tiles import plan_grid
from poster_engine.plan import plan_jobs
from poster_engine.render.job import compose_job
from poster_engine.render.tiles import MARGIN_MM, MARK_GAP_MM, MARK_LEN_MM

PX_PER_MM = 2  # every length of the grid is a whole number of mm: tiles fall on whole pixels
DPI = 25.4 * PX_PER_MM


def _raster(pdf, page: int | None = None, crop_mm: tuple[float, float, float, float] | None = None) -> np.ndarray:
    args = ["pdftoppm", "-png", "-r", f"{DPI}", "-aa", "yes", "-aaVector", "yes"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    if crop_mm is not None:
        x, y, w, h = (round(v * PX_PER_MM) for v in crop_mm)
        args += ["-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h)]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*args, "-singlefile", str(pdf), f"{tmp}/r"], capture_output=True, check=True)
        return np.asarray(Image.open(f"{tmp}/r.png").convert("RGB")).astype(np.int16)


@pytest.fixture(scope="module")
def tiled(tmp_path_factory, demo):
    out = tmp_path_factory.mktemp("tiles")
    result = run_cli(
        "tile", "choc-cobalt", "-f", "a1", "--sheet", "a4", "--overlap", "12mm", "-o", str(out / "tiles.pdf"), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / "tiles.pdf")
    (job,) = plan_jobs(demo, ["choc-cobalt"], ["a1"], ["fr"])
    poster = out / "poster.pdf"
    poster.write_bytes(svg_to_pdf(compose_job(demo, job).svg))
    grid = plan_grid((594, 841), (210, 297), 12, MARGIN_MM)
    return out / "tiles.pdf", poster, grid


def test_the_grid_takes_the_fewest_sheets_and_the_pdf_has_a_map_then_one_page_per_tile(tiled):
    pdf, _, grid = tiled
    assert grid.sheet == (297, 210)  # landscape: 3 × 5 = 15 sheets, upright would take 4 × 4
    assert (grid.cols, grid.rows) == (3, 5)
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 1 + 15
        for page in doc.pages:
            w, h = (float(v) for v in page.mediabox[2:])
            assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (297, 210)
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert text.strip() == ""  # labels are outlines in the project's fonts, like the posters


def test_assembled_tiles_match_the_poster_raster(tiled):
    pdf, poster, grid = tiled
    bleed = 3
    reference = _raster(poster, crop_mm=(bleed, bleed, 594, 841))
    canvas = np.full_like(reference, -1)
    for n, tile in enumerate(grid.tiles, start=2):
        sheet = _raster(pdf, page=n)
        m = round(MARGIN_MM * PX_PER_MM)
        x, y = round(tile.x * PX_PER_MM), round(tile.y * PX_PER_MM)
        w, h = round(tile.w * PX_PER_MM), round(tile.h * PX_PER_MM)
        part = sheet[m : m + h, m : m + w]
        h, w = min(h, reference.shape[0] - y), min(w, reference.shape[1] - x)
        canvas[y : y + h, x : x + w] = part[:h, :w]
        # The overlap a tile shares with the previous one shows the same poster on both.
        if tile.col:
            shared = reference[y : y + h, x : x + round(grid.overlap * PX_PER_MM)]
            assert np.abs(part[:h, : shared.shape[1]] - shared).mean() < 3
    assert (canvas >= 0).all(), "some of the poster is on no sheet"
    diff = np.abs(canvas - reference)
    assert diff.mean() < 2.0, diff.mean()
    assert np.percentile(diff, 99) < 40


def _dark_columns(strip: np.ndarray) -> list[int]:
    dark = (strip.mean(axis=2) < 225).sum(axis=0)  # a 0.2 mm line is 0.4 px here: grey, not black
    return [i for i, v in enumerate(dark) if v >= strip.shape[0] * 0.5]


def test_alignment_ticks_fall_on_the_neighbours_cut_edge(tiled):
    """Tile A1's tick in its top margin marks where B1's image begins; B1's own crop mark marks its
    left edge. Read from the rasters and put into poster millimetres, the two are the same line."""
    pdf, _, grid = tiled
    m = MARGIN_MM
    band = (round((m - MARK_GAP_MM - MARK_LEN_MM + 1) * PX_PER_MM), round((m - MARK_GAP_MM - 1) * PX_PER_MM))
    for row in range(grid.rows):
        for col in range(grid.cols - 1):
            left, right = grid.tile(col, row), grid.tile(col + 1, row)
            a = _raster(pdf, page=2 + row * grid.cols + col)[band[0] : band[1]]
            b = _raster(pdf, page=2 + row * grid.cols + col + 1)[band[0] : band[1]]
            # In A's top margin: the crop mark at its image's left edge (x = m), the tick (x = m + step).
            ticks = [x / PX_PER_MM - m + left.x for x in _dark_columns(a)]
            cut = [x / PX_PER_MM - m + right.x for x in _dark_columns(b)]
            tick = [t for t in ticks if min(abs(t - left.x), abs(t - left.x - left.w)) > 2]  # not its crop marks
            edge = [c for c in cut if abs(c - right.x) < 2]  # B's crop mark at its left edge
            assert tick and edge, (row, col, ticks, cut)
            assert abs(np.mean(tick) - np.mean(edge)) <= 0.5, (row, col, tick, edge)
            assert abs(np.mean(edge) - right.x) <= 0.5


def test_cmyk_on_request_and_bad_input_is_one_line(tmp_path):
    result = run_cli(
        "tile", "choc-cobalt", "-f", "a2", "--sheet", "a3", "--cmyk", "-o", str(tmp_path / "t.pdf"), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    with pikepdf.open(tmp_path / "t.pdf") as doc:
        marks = doc.pages[1].Resources.XObject["/Marks"].read_bytes()
        assert re.search(rb"\bk\b|\bK\b", marks)  # the marks in K ink
        assert not re.search(rb"\brg\b|\bRG\b", marks)  # and no RGB in a CMYK file
    bad = run_cli("tile", "choc-cobalt", "-f", "a1", "--sheet", "a4", "--overlap", "ten", cwd=ROOT)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == ["error: --overlap ten: give a length such as 10mm or 1cm"]
    social = run_cli("tile", "choc-cobalt", "-f", "instagram", "--sheet", "a4", cwd=ROOT)
    assert social.returncode == 2
    assert social.stderr.splitlines() == [
        "error: poster tile cuts a print format onto print sheets; 'instagram' is a social format"
    ]
