"""Contrast where it is read (issue 13, item 7): `poster check` measures each text against the page
drawn without it, under its glyphs — panels and photos included — and a scrim (`data-scrim`) darkens
a photo just enough for WCAG AA. Outputs are read back with Pillow and numpy, the WCAG formula
written out here again, not taken from the engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from poster_engine.plan import plan_jobs
from poster_engine.project.loader import open_project
from poster_engine.render import contrast
from poster_engine.render.job import compose_job, render_job

POSTER = (
    "title: Contrast\nlayout: over\nmessage: cobalt-enfance\nvisual: visuals/sky.jpg\n"
    'colors: {{background: "#111418", text: "#FFFFFF", accent: "#FFD400"}}\nformats: [instagram]\n'
)
# The message sits on a cream panel or on the photo; `{scrim}` is where a test adds data-scrim.
LAYOUT = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 297 420">
  <rect id="background" class="fill-background" x="0" y="0" width="297" height="420"/>
  <rect id="{{visual}}" x="0" y="0" width="297" height="240"/>
  {panel}
  <rect id="slot:message" x="20" y="{y}" width="257" height="70" data-text="{{message}}" data-font="Inter-Black"
        data-size-min="8" data-size-max="16" data-max-lines="4" {scrim}/>
</svg>
"""
CREAM = "#F4EBD0"


def _wcag(fg: tuple[int, int, int], pixels: np.ndarray) -> np.ndarray:
    """WCAG 2 contrast of a colour against each pixel (n × 3, 0..255)."""

    def lum(rgb):
        v = np.asarray(rgb, dtype=float) / 255
        v = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
        return v @ np.array([0.2126, 0.7152, 0.0722])

    a, b = lum(fg), lum(pixels)
    return (np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05)


def _sky(path: Path) -> None:
    """A light, photo-like picture: a pale sky gradient with cloud texture (white text is lost on it)."""
    from PIL import Image

    rng = np.random.default_rng(7)
    h, w = 1400, 1000
    y = np.linspace(0, 1, h)[:, None, None]
    base = np.array([150, 190, 230]) * (1 - y) + np.array([225, 230, 235]) * y
    clouds = rng.normal(0, 1, (h // 50, w // 50))
    clouds = np.kron(clouds, np.ones((50, 50)))[..., None] * 18
    img = np.clip(base + clouds + rng.normal(0, 4, (h, w, 1)), 0, 255).astype(np.uint8)
    Image.fromarray(img, "RGB").save(path, quality=90)


@pytest.fixture
def over(project) -> Path:
    _sky(project / "visuals" / "sky.jpg")
    (project / "posters" / "over.yaml").write_text(POSTER.format(), encoding="utf-8")
    return project


def _layout(root: Path, panel: bool = False, scrim: str = "", y: float = 200) -> None:
    rect = f'<rect id="panel" x="10" y="{y - 10}" width="277" height="90" fill="{CREAM}"/>' if panel else ""
    (root / "layouts" / "over.svg").write_text(LAYOUT.format(panel=rect, scrim=scrim, y=y), encoding="utf-8")


def _contrast(root: Path) -> list[dict]:
    result = run_cli("check", "--json", "-p", "over", cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["check"] == "contrast"]


def test_white_text_on_a_cream_panel_is_flagged_by_the_colour_painted(over):
    # The poster's background is near-black (21:1 with white): the old check passed this poster.
    _layout(over, panel=True, y=260)
    found = _contrast(over)
    ratio = _wcag((255, 255, 255), np.array([[0xF4, 0xEB, 0xD0]]))[0]
    assert [f["message"] for f in found] == [
        f"slot 'message': #FFFFFF on {CREAM} (the page beneath its worst glyph, line 1) has contrast "
        f"{ratio:.2f}:1, below 3:1 for large text (WCAG AA); change the poster's colors, or give the slot "
        'a scrim (data-scrim="auto")'
    ]
    assert found[0]["where"] == "over/instagram" and found[0]["severity"] == "error"


def test_white_text_over_a_light_photo_is_flagged_and_passes_over_its_scrim(over):
    _layout(over, y=150)
    found = _contrast(over)
    # The worst glyph is an emphasised one, in the accent yellow: each glyph is measured in its colour.
    assert len(found) == 1 and found[0]["message"].startswith("slot 'message': #FFD400 on #"), found

    _layout(over, y=150, scrim='data-scrim="auto"')
    assert _contrast(over) == []

    # The output, read back: the scrim is black, and every glyph's surroundings reach 3:1 with the text.
    from PIL import Image

    project = open_project(over)
    (job,) = plan_jobs(project, ["over"])
    comp = compose_job(project, job)
    scrim = comp.scrims["message"]
    assert scrim.color == "#000000" and 0.1 < scrim.opacity < 0.9
    png = Image.open(__import__("io").BytesIO(render_job(project, job))).convert("RGB")
    pixels = np.asarray(png)
    block = comp.blocks["message"]
    x0, y0 = min(b[0] for b in block.ink), min(b[1] for b in block.ink)
    x1, y1 = max(b[2] for b in block.ink), max(b[3] for b in block.ink)
    k = comp.layout.scale  # px per layout unit (the slot is only translated)
    area = pixels[round(y0 * k) : round(y1 * k), round(x0 * k) : round(x1 * k)].astype(int)
    # The glyphs (white or yellow) and their anti-aliased edges, 3 px around them, are not background.
    glyph = (np.abs(area - (255, 255, 255)).sum(axis=2) < 150) | (np.abs(area - (255, 212, 0)).sum(axis=2) < 150)
    near = glyph.copy()
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            near |= np.roll(np.roll(glyph, dy, axis=0), dx, axis=1)
    background = area[~near]
    assert len(background) > 10000
    for text in ((255, 255, 255), (255, 212, 0)):  # the text, its emphasis
        assert np.percentile(_wcag(text, background), 5) >= 3.0


def test_the_scrim_is_just_enough(over):
    """One percent less opacity and the worst glyph falls under the threshold (+ the margin)."""
    _layout(over, y=150, scrim='data-scrim="auto"')
    project = open_project(over)
    (job,) = plan_jobs(project, ["over"])
    measured = compose_job(project, job, contrast.backdrop_scale(job.format))
    slot = next(s for s in measured.layout.slots if s.name == "message")
    backdrop = contrast.draw_backdrop(measured, ["message"], None)
    # The backdrop now includes the scrim: measure the page beneath without it.
    bare = contrast.Backdrop(
        np.asarray(
            __import__("poster_engine.export.raster", fromlist=["render_rgb"]).render_rgb(
                measured.document(hide_text=["message"], scrims={}), *backdrop.pixels.shape[1::-1]
            )
        ),
        backdrop.sx,
        backdrop.sy,
    )
    found = contrast.patches(measured, slot, bare)
    alpha = measured.scrims["message"].opacity
    need = contrast.threshold(measured, slot, measured.blocks["message"]).need + contrast.SCRIM_MARGIN
    assert contrast.measure(found, ("#000000", alpha)).ratio >= need
    assert contrast.measure(found, ("#000000", alpha - 0.01)).ratio < need


def test_a_scrim_over_a_dark_background_is_not_drawn(over):
    """Where the text already reads, the scrim's opacity is 0: nothing is drawn."""
    _layout(over, y=270, scrim='data-scrim="auto"')
    project = open_project(over)
    (job,) = plan_jobs(project, ["over"])
    comp = compose_job(project, job)
    assert comp.scrims == {} and b"fill-opacity" not in comp.svg


def test_posters_without_scrims_are_composed_once(demo, monkeypatch):
    import poster_engine.render.job as job_module

    calls = []
    real = job_module.compose
    monkeypatch.setattr(job_module, "compose", lambda *a, **k: calls.append(a) or real(*a, **k))
    for job in plan_jobs(demo, ["choc-cobalt", "film-sang-et-boue"]):
        compose_job(demo, job)
    assert len(calls) == 4


def test_a_bad_scrim_value_is_one_line(over):
    _layout(over, y=150, scrim='data-scrim="dim"')
    result = run_cli("build", "-p", "over", cwd=over)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        "error: layouts/over.svg:5: slot 'message': data-scrim must be one of none, auto, dark, light, not 'dim'"
        in (result.stderr.splitlines())
    ), result.stderr
