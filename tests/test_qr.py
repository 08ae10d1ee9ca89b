"""URL → QR code path (compose/qr.py), rasterised by cairo and decoded by zxing-cpp."""

from __future__ import annotations

import io
import re
import subprocess

import cairosvg
import numpy as np
import pytest
import zxingcpp
from PIL import Image

from poster_engine.compose.qr import QUIET_ZONE, QrCode, make_qr

# ISO/IEC 18004:2015 table 7: data capacity in byte mode at error correction level M.
BYTES_AT_M = {1: 14, 2: 26, 3: 42, 10: 213, 40: 2331}
URLS = {
    "short": "https://a.org",
    "usual": "https://numerique-en-lumiere.org/programme?utm_source=affiche&utm_medium=a3",
    "long": "https://numerique-en-lumiere.org/films/" + "-".join(["sang-et-boue"] * 40),
    "unicode": "https://exemple.org/événements/été-2025?lieu=Halle%20Pajol&qui=élèves&π=3",
    "maximum": "https://x.org/" + "a" * (BYTES_AT_M[40] - len("https://x.org/")),
}


def _raster(code: QrCode, px: int = 4, quiet: int = QUIET_ZONE) -> Image.Image:
    """The code's path drawn black on white by cairo (cairosvg), `px` pixels per module, with a
    light margin of `quiet` modules."""
    n = code.modules + 2 * quiet
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{n * px}" height="{n * px}" viewBox="0 0 {n} {n}">'
        f'<rect width="{n}" height="{n}" fill="#FFFFFF"/>'
        f'<path transform="translate({quiet} {quiet})" fill="#000000" d="{code.path}"/></svg>'
    )
    return Image.open(io.BytesIO(cairosvg.svg2png(bytestring=svg.encode()))).convert("L")


def _decode(image: Image.Image) -> zxingcpp.Barcode:
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found


@pytest.mark.parametrize("kind", URLS)
def test_decodes_to_its_url_at_level_m_in_the_smallest_version(kind):
    url = URLS[kind]
    code = make_qr(url)
    found = _decode(_raster(code, px=3 if kind == "maximum" else 4))
    assert found.text == url
    assert found.bytes == url.encode("utf-8")
    assert found.ec_level == "M"
    version = int(found.extra["Version"])
    assert code.modules == 17 + 4 * version  # the path has the decoded symbol's size
    assert code.total_modules == code.modules + 2 * QUIET_ZONE


@pytest.mark.parametrize("version", [1, 2, 10])
def test_version_steps_at_the_byte_capacity_of_level_m(version):
    """A URL of exactly the capacity of a version fits it; one byte more takes the next version."""
    base = "https://n.org/"
    fits = base + "x" * (BYTES_AT_M[version] - len(base))
    assert make_qr(fits).modules == 17 + 4 * version
    assert make_qr(fits + "x").modules == 17 + 4 * (version + 1)
    assert _decode(_raster(make_qr(fits + "x"))).text == fits + "x"


def test_maximum_is_version_40():
    assert make_qr(URLS["maximum"]).modules == 177


def test_path_is_one_rectangle_per_run_on_whole_modules():
    """Integer coordinates only (crisp edges at any scale), one rectangle per horizontal run: no two
    rectangles touch on the same row, and together they paint exactly what cairo rasterises."""
    code = make_qr(URLS["usual"])
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", code.path)
    assert "".join(f"M{x} {y}h{w}v1h-{w2}z" for x, y, w, w2 in runs) == code.path
    grid = np.zeros((code.modules, code.modules), dtype=bool)
    ends: dict[int, set[int]] = {}
    for x, y, w, w2 in ((int(a), int(b), int(c), int(d)) for a, b, c, d in runs):
        assert w == w2 and w > 0
        assert x not in ends.get(y, set())  # would touch the run before it on the row
        assert not grid[y, x : x + w].any()
        grid[y, x : x + w] = True
        ends.setdefault(y, set()).add(x + w)
    # Sample cairo's raster at each module's centre: the same dark modules, no more.
    px = 6
    image = np.asarray(_raster(code, px=px, quiet=0))
    centres = image[px // 2 :: px, px // 2 :: px] < 128
    assert (centres == grid).all()


def test_quiet_zone_of_four_modules_is_outside_the_path():
    """The path stays within the symbol (0..modules) and reaches its edges (finder patterns in three
    corners): the quiet zone is what the placement adds around it, 4 modules on each side."""
    assert QUIET_ZONE == 4
    for url in URLS.values():
        code = make_qr(url)
        xs, ys = set(), set()
        for x, y, w in (
            (int(a), int(b), int(c)) for a, b, c, _ in re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", code.path)
        ):
            xs |= {x, x + w}
            ys |= {y, y + 1}
        assert (min(xs), max(xs), min(ys), max(ys)) == (0, code.modules, 0, code.modules)


def test_print_pdf_leaves_four_light_modules_around_the_code(demo, tmp_path):
    """In a real A3 print PDF (Ghostscript's separations), the 4-module ring between the light square's
    edge and the symbol carries no ink, and the symbol's outer modules do."""
    from poster_engine.plan import plan_jobs
    from poster_engine.render.job import compose_job, export_job

    (job,) = plan_jobs(demo, ["stat-cobalt"], ["a3"])
    comp = compose_job(demo, job)
    pdf = tmp_path / "a3.pdf"
    pdf.write_bytes(export_job(demo, comp))
    dpi = 300
    tif = tmp_path / "a3.tif"
    x, y, side, _ = comp.qrs["qr"].box
    scale, bleed = comp.layout.scale, comp.layout.bleed * comp.layout.scale
    to_px = lambda v: (v * scale + bleed) / 25.4 * dpi  # noqa: E731 (layout unit → pixel)
    crop = [round(to_px(v)) for v in (x, y, x + side, y + side)]
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=tiff32nc",
            f"-r{dpi}",
            "-dUseBleedBox",
            "-o",
            str(tif),
            str(pdf),
        ],
        check=True,
        capture_output=True,
    )
    with Image.open(tif) as im:
        square = np.asarray(im.crop(crop), dtype=np.int32).sum(axis=2) > 0
    code = comp.qrs["qr"].code
    module = square.shape[0] / code.total_modules
    ring = round(QUIET_ZONE * module) - 1  # a pixel short of the symbol: antialiasing-free but rounded
    assert ring >= 4 * 4  # at least 4 px per module at 300 dpi, or this test proves little
    assert not square[:ring].any() and not square[-ring:].any()
    assert not square[:, :ring].any() and not square[:, -ring:].any()
    inner = round(QUIET_ZONE * module) + 1
    assert square[inner, inner:-inner].mean() > 0.3  # the finder patterns' top edge: ink


def test_a_code_in_a_group_with_a_stroke_still_scans(project):
    """Paint a layout's group sets is inherited by what the engine draws in it: a QR slot in a group
    stroked 3 units wide had every module outlined into its neighbours, and a fill-opacity greyed
    them. The code's light square and modules say their own paint: the code scans."""
    from conftest import run_cli

    with open(project / "project.yaml", "a", encoding="utf-8") as f:
        f.write("\nformats:\n  ecran:\n    based_on: instagram\n    qr: code\n")
    layout = project / "layouts" / "choc.svg"
    text, found = re.subn(
        r'(<rect id="qr"[^>]*/>)',
        r'<g style="stroke:#FF0000;stroke-width:3;fill-opacity:0.3;stroke-opacity:1">\1</g>',
        layout.read_text(encoding="utf-8"),
    )
    assert found == 1
    layout.write_text(text, encoding="utf-8")
    result = run_cli("build", "-p", "choc-cobalt", "-f", "ecran", "-j", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    image = Image.open(project / "build" / "choc-cobalt" / "ecran.png").convert("RGB")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://example.org/films/sang-et-boue"]
    red = (np.abs(np.asarray(image).astype(int) - (255, 0, 0)).max(axis=2) < 40).sum()
    assert red == 0  # no module outlined
