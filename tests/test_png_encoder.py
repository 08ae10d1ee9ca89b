"""Social PNGs (export/raster.py): fpng by default, Pillow level 9 for `png: compact` or over a limit.

Read back by two decoders that share no code with the writers: libpng (through cairo, which checks
every chunk's CRC and the zlib stream) and Pillow; the chunks walked by hand (order, CRCs, one
iCCP before the image data); pixels equal to what was drawn; the same bytes every time.
"""

from __future__ import annotations

import io
import struct
import zlib

import cairocffi as cairo
import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image, ImageCms

from poster_engine.export.raster import TooLarge, encode, render_rgb


@pytest.fixture(scope="module")
def frame():
    """The demo's photo poster as drawn for Instagram (photo, glyphs, flat colour)."""
    from poster_engine.api import composed_svg, one_job, open_project

    project = open_project(ROOT)
    job = one_job(project, "film-sang-et-boue", "instagram", "fr")
    return render_rgb(composed_svg(project, job), 1080, 1350)


def chunks(png: bytes) -> list[bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    names, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        names.append(kind)
        at += 12 + length
    assert at == len(png)
    return names


def libpng_pixels(png: bytes) -> np.ndarray:
    surface = cairo.ImageSurface.create_from_png(io.BytesIO(png))
    h, w, stride = surface.get_height(), surface.get_width(), surface.get_stride()
    bgrx = np.frombuffer(bytes(surface.get_data()), np.uint8).reshape(h, stride // 4, 4)[:, :w]
    return bgrx[..., 2::-1]


@pytest.mark.parametrize("png", ["fast", "compact"])
def test_png_is_valid_tagged_and_lossless(frame, png):
    data = encode(frame, "png", png=png)
    names = chunks(data)
    assert names[0] == b"IHDR" and names[-1] == b"IEND"
    assert names.count(b"iCCP") == 1 and names.index(b"iCCP") < names.index(b"IDAT")
    want = np.asarray(frame)
    assert (libpng_pixels(data) == want).all()
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "RGB" and (np.asarray(im) == want).all()
        assert "sRGB" in ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"])).profile.profile_description
    Image.open(io.BytesIO(data)).verify()
    assert encode(frame, "png", png=png) == data  # same pixels, same bytes


def test_compact_is_smaller_and_taken_over_a_limit(frame):
    fast, compact = encode(frame, "png"), encode(frame, "png", png="compact")
    assert len(compact) < len(fast)
    assert encode(frame, "png", max_bytes=len(fast) - 1) == compact  # the fast file is too large
    with pytest.raises(TooLarge):
        encode(frame, "png", max_bytes=len(compact) - 1)


def test_project_yaml_chooses_the_png_encoder(scratch, tmp_path):
    import shutil

    shutil.copytree(ROOT / "data", scratch / "data")
    with (scratch / "project.yaml").open("a") as f:
        f.write("\nformats:\n  petit:\n    based_on: instagram\n    png: compact\n")
    out = tmp_path / "out"
    args = ("-p", "film-sang-et-boue", "-f", "instagram", "-f", "petit", "-o", str(out))
    result = run_cli("build", *args, cwd=scratch)
    assert result.returncode == 0, result.stderr
    fast = (out / "film-sang-et-boue" / "instagram.png").read_bytes()
    compact = (out / "film-sang-et-boue" / "petit.png").read_bytes()
    assert len(compact) < 0.9 * len(fast)
    assert (libpng_pixels(compact) == libpng_pixels(fast)).all()


def test_unknown_png_encoder_is_one_located_line(scratch):
    with (scratch / "project.yaml").open("a") as f:
        f.write("\nformats:\n  petit:\n    based_on: instagram\n    png: tiny\n")
    result = run_cli("list", cwd=scratch)
    line = len((scratch / "project.yaml").read_text().splitlines())
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: project.yaml:{line}: format 'petit': png must be 'fast' (quick to write, ~1.3x larger) or "
        "'compact' (the smallest lossless file)"
    ]
