"""The canvas (export/canvas.py): layers that stay the same from job to job are drawn once, and
every picture is still pixel for pixel what a drawing of the whole document on a new surface gives.

The reference is independent of the canvas: cairosvg's own PNG surface, written by cairo's PNG
writer (libpng) and read back by Pillow; the engine's PNG (fpng) is read back by Pillow too.
"""

from __future__ import annotations

import io

import cairosvg
import numpy as np
import pytest
from PIL import Image

from poster_engine.api import plan
from poster_engine.compose.document import Layers
from poster_engine.export import canvas
from poster_engine.export.raster import draw, encode
from poster_engine.render.job import compose_job, export_job

W, H = 120, 90


def reference(svg: bytes, width: int, height: int) -> np.ndarray:
    """The document drawn whole on a new surface by cairosvg, through a PNG file: RGB pixels."""
    import poster_engine.export.glyphs  # noqa: F401  (the engine's path handlers, as in a build)

    png = cairosvg.svg2png(bytestring=svg, output_width=width, output_height=height)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.fixture
def fresh_canvases(monkeypatch):
    monkeypatch.setattr(canvas._LOCAL, "canvases", {}, raising=False)
    return canvas._canvases()


def test_merge_rows_are_drawn_from_the_kept_layers_pixel_for_pixel(demo, fresh_canvases):
    jobs = [j for j in plan(demo, ["seance"], ["instagram"]).jobs if j.format.name == "instagram"]
    assert len(jobs) >= 3
    for job in jobs:
        composition = compose_job(demo, job)
        png = export_job(demo, composition)
        assert np.array_equal(pixels(png), reference(composition.svg, 1080, 1350)), job.output
    kept = fresh_canvases[(1080, 1350)].prefix
    # The background, the campaign's name and the kind of event: the layers under the first text
    # that changes from row to row. The footer, above the changing texts, is drawn every time.
    assert kept is not None and len(kept.layers) == 3 and kept.count == 3
    assert "background" in kept.layers[0]


HEAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="120" '
    'height="90" viewBox="0 0 120 90"><style>.ink{fill:#204060}</style>'
    '<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/><stop offset="1" stop-color="#00f"/>'
    "</linearGradient></defs>"
    '<g transform="translate(0 0) scale(1)">'
)
TAIL = "</g></svg>"
BACKDROP = '<rect width="120" height="90" fill="#F5E6C8"/>'
STATIC = [
    BACKDROP,
    '<g opacity="0.5"><circle cx="30" cy="30" r="25" fill="url(#g)"/><rect x="20" y="20" width="50" height="30"/></g>',
    '<path id="mark" d="M5 80 L40 60 L60 85 Z" class="ink"/>',
    '<g clip-path="url(#c)"><clipPath id="c"><circle cx="90" cy="45" r="20"/></clipPath>'
    '<rect x="60" y="20" width="60" height="60" fill="#0a0"/></g>',
]


def dynamic(i: int) -> list[str]:
    """Layers that change with `i`: overlapping the static ones, referencing their ids and defs,
    with opacity and a mask of their own."""
    return [
        f'<rect x="{10 + i}" y="{15 + i}" width="70" height="40" fill="#c03" opacity="0.6"/>',
        f'<use xlink:href="#mark" transform="translate({i * 3} -{i})" fill="#ff0"/>',
        f'<mask id="m{i}"><rect width="120" height="90" fill="#fff"/><circle cx="60" cy="45" r="{10 + i}"/></mask>'
        f'<rect x="0" y="30" width="120" height="30" fill="url(#g)" mask="url(#m{i})"/>',
    ]


@pytest.mark.parametrize(
    "cut",
    [
        "static under dynamic",
        "static above dynamic",
        "dynamic first",
        "static between",
        "prefix shrinks",
    ],
)
def test_adversarial_layouts_match_a_whole_drawing(fresh_canvases, cut):
    docs = []
    for i in range(4):
        if cut == "static under dynamic":
            body = [*STATIC, *dynamic(i)]
        elif cut == "static above dynamic":  # the static layers overlap the changing one below them
            body = [BACKDROP, *dynamic(i)[:1], *STATIC[1:]]
        elif cut == "dynamic first":
            body = [*dynamic(i), *STATIC]
        elif cut == "static between":
            body = [STATIC[0], dynamic(i)[0], *STATIC[1:], *dynamic(i)[1:]]
        else:  # rows 0 and 1 share more than rows 2 and 3 do
            body = [*STATIC, *dynamic(min(i, 1))[:1], *dynamic(i)[1:]] if i < 2 else [*STATIC[:2], *dynamic(i)]
        docs.append(Layers(HEAD, tuple(body), TAIL))
    for doc in docs:
        frame = draw(doc, W, H)
        assert np.array_equal(np.asarray(frame.rgb), reference(doc.document(), W, H)), cut
        assert np.array_equal(pixels(encode(frame)), np.asarray(frame.rgb))
    kept = fresh_canvases[(W, H)].prefix
    expected = {"static under dynamic": 4, "static above dynamic": 1, "dynamic first": 0, "static between": 1}
    assert (kept.count if kept else 0) == expected.get(cut, 2)


def test_a_body_group_with_opacity_is_never_cut(fresh_canvases):
    """CSS giving the body's group an opacity: its layers are composited as a whole, so no prefix."""
    head = HEAD.replace("<style>", "<style>g{opacity:0.7}").replace("<g ", '<rect width="120" height="90"/><g ')
    for i in range(3):
        doc = Layers(head, (*STATIC, *dynamic(i)), TAIL)
        assert np.array_equal(np.asarray(draw(doc, W, H).rgb), reference(doc.document(), W, H))
    assert fresh_canvases[(W, H)].prefix is None


def test_each_thread_draws_on_its_own_canvas(fresh_canvases):
    """The preview draws on threads: two documents drawn at once never share a surface."""
    import threading

    docs = [Layers(HEAD, (*STATIC, *dynamic(i)), TAIL) for i in range(4)]
    got: dict[int, np.ndarray] = {}

    def draw_all(k: int) -> None:
        for _ in range(3):
            got[k] = np.asarray(draw(docs[k], W, H).rgb)

    threads = [threading.Thread(target=draw_all, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(got[k], reference(docs[k].document(), W, H)) for k in range(4))
