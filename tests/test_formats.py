"""Every family adapts to every format of the registry: each demo poster composes in each format with
its texts inside their slots and inside the format's safe area (on stories, between the UI bands)."""

from __future__ import annotations

import pytest
from conftest import ROOT

from poster_engine.compose.document import compose
from poster_engine.core.formats import FORMATS
from poster_engine.plan import plan_jobs

EPS = 0.01  # layout units


def _inside(ink, box) -> bool:
    x, y, w, h = box
    x0, y0, x1, y1 = ink
    return x0 >= x - EPS and y0 >= y - EPS and x1 <= x + w + EPS and y1 <= y + h + EPS


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_poster_fits_every_format(demo, campaign, fmt, lang):
    jobs = plan_jobs(demo, formats=[fmt], langs=[lang])
    assert {j.poster_id for j in jobs} == {p for p, x in campaign.posters.items() if not x.spec.data}
    for job in jobs:
        poster = campaign.posters[job.poster_id]
        comp = compose(demo, poster, job.format, job.lang)  # raises on any error
        where = f"{job.poster_id} at {fmt} in {lang} ({comp.layout.file})"
        assert comp.layout.family == poster.spec.layout, where
        safe = comp.layout.safe_box
        assert comp.blocks, where
        matrices = {slot.name: slot.matrix for slot in comp.slots}
        for name, block in comp.blocks.items():
            for ink in block.ink:
                assert _inside(ink, block.box), f"{where}: text of slot '{name}' overflows its slot"
                # On the page: a slot in an anchored layer or a repeated item is drawn through its matrix.
                x0, y0, x1, y1 = ink
                page = matrices[name].bounds((x0, y0, x1 - x0, y1 - y0))
                on_page = (page[0], page[1], page[0] + page[2], page[1] + page[3])
                assert _inside(on_page, safe), f"{where}: text of slot '{name}' outside the safe area"
        for name, qr in comp.qrs.items():
            assert _inside((qr.box[0], qr.box[1], qr.box[0] + qr.box[2], qr.box[1] + qr.box[3]), safe), (
                f"{where}: QR '{name}' outside the safe area"
            )


def test_each_family_has_a_variant_for_each_shape(demo, campaign):
    """Landscape, square and story formats pick a variant drawn for their shape, not the portrait."""
    from poster_engine.compose.layout import load_layout

    for family in ("choc", "stat", "film", "programme", "information"):
        for fmt, variant in (
            ("link-preview", "landscape"),
            ("x", "landscape"),
            ("linkedin", "landscape"),
            ("instagram-square", "square"),
            ("story", "story"),
            ("instagram", None),
            ("a3", None),
            ("120x176", None),
        ):
            expected = f"layouts/{family}.{variant}.svg" if variant else f"layouts/{family}.svg"
            assert load_layout(demo.root, family, FORMATS[fmt]).file == expected, (family, fmt)


@pytest.mark.parametrize(
    "fmt, expected",
    [
        (
            "linkedin",
            "error: layouts/seance.svg:21: slot 'kind' leaves the page at format linkedin (1200 × 627 px); "
            "add a variant of this shape, e.g. layouts/seance.landscape.svg or .square.svg (README, 'Formats')",
        ),
        (
            "story",
            "error: layouts/seance.svg:15: slot 'brand': text outside the safe area at format story (margin, or "
            "a story's UI bands); move the slot inside it or add a variant of this shape, e.g. "
            "layouts/seance.story.svg",
        ),
    ],
)
def test_a_family_without_a_variant_for_a_shape_is_refused_not_shipped(fmt, expected):
    """seance has only its portrait template: landscape and story give a one-line error, no file."""
    from conftest import run_cli

    never = f"/dev/null/never.{FORMATS[fmt].extension}"  # a path that cannot be written, of the right kind
    result = run_cli("render", "seance", "-f", fmt, "-o", never, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [expected]


def test_link_labels_carry_each_languages_colon(demo, campaign):
    """ "Watch the film: …" in English, "Voir le film : …" (U+00A0) in French: no French space in English."""
    texts = {}
    for lang in ("fr", "en"):
        (job,) = plan_jobs(demo, ["film-sang-et-boue"], ["x"], [lang])
        comp = compose(demo, campaign.posters[job.poster_id], job.format, lang)
        texts[lang] = next(b.text for b in comp.blocks.values() if "example.org/films" in b.text)
    assert texts["en"].startswith("Watch the film: example.org/")
    assert texts["fr"].startswith("Voir le film\u00a0: example.org/")
