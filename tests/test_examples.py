"""Both example campaigns — the demo and examples/repair-cafe (issue 13, item 9) — as a new user
would take them: every poster in every one of its formats, both languages; glyph ink inside each
slot's transformed box; QR codes decoded by zxing-cpp from the PNGs and from the PDFs rasterised by
poppler; `poster check` clean, and its findings the very outputs the build refuses."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from poster_engine.batch.build import build
from poster_engine.compose.document import compose
from poster_engine.core.geometry import inside_convex
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import open_project

EXAMPLE = ROOT / "examples" / "repair-cafe"
EPS = 1e-6


@pytest.fixture(scope="module")
def example():
    return open_project(EXAMPLE)


@pytest.fixture(scope="module")
def example_build(tmp_path_factory, example) -> Path:
    """Every example poster in every format of its file, in English and French."""
    out = tmp_path_factory.mktemp("example-build")
    report = build(example, plan_jobs(example, langs=["en", "fr"]), out)
    assert not report.errors, [str(e) for e in report.errors]
    return out


def test_the_example_is_its_own_campaign(example):
    """Not the demo in disguise: its own layouts (saved by Inkscape), fonts, colours and visuals."""
    from PIL import Image

    assert example.campaign.lang == "en"
    assert sorted(example.campaign.posters) == ["session-threads", "session-workbench", "tally-kettle"]
    for layout in ("session", "tally"):
        svg = (EXAMPLE / "layouts" / f"{layout}.svg").read_text()
        assert f'sodipodi:docname="{layout}.svg"' in svg and "<sodipodi:namedview" in svg  # as Inkscape writes
        assert 'inkscape:groupmode="layer"' in svg and "data-slot" not in svg  # slots marked by name only
    assert 'transform="rotate(-8 238 54)"' in (EXAMPLE / "layouts" / "session.svg").read_text()
    with Image.open(EXAMPLE / "visuals" / "workbench.jpg") as im:
        assert im.getexif().get(0x0112) == 6 and im.size == (3100, 3500)
    with Image.open(EXAMPLE / "visuals" / "kettle.png") as im:
        assert im.mode == "RGBA" and im.getextrema()[3] == (0, 255)
    with Image.open(EXAMPLE / "visuals" / "threads.jpg") as im:
        assert im.mode == "CMYK" and im.info.get("icc_profile")
    for font in (EXAMPLE / "fonts").rglob("*.otf"):
        assert (font.parent / "OFL.txt").is_file()


def _all_compositions(project):
    return {
        (job.output, job.lang): compose(project, project.campaign.posters[job.poster_id], job.format, job.lang)
        for job in plan_jobs(project, langs=["fr", "en"])
    }


@pytest.mark.parametrize("which", ["demo", "example"])
def test_glyph_ink_lies_inside_each_slot_transformed_box(which, demo, example):
    """Each glyph's ink box, its four corners taken through the slot's matrix to the page, lies in
    the slot's polygon on the page: rotated, scaled and translated slots alike."""
    project = demo if which == "demo" else example
    checked = rotated = 0
    for (output, lang), comp in _all_compositions(project).items():
        # a list's items are placed copies of its model's slots: comp.slots has them all
        slots = {s.name: s for s in (comp.slots or comp.layout.slots)}
        for name, block in comp.blocks.items():
            slot = slots[name]
            polygon = slot.polygon
            assert block.ink, f"{output} {lang}: {name} drew nothing"
            for x0, y0, x1, y1 in block.ink:
                for corner in slot.matrix.corners((x0, y0, x1 - x0, y1 - y0)):
                    assert inside_convex(corner, polygon, 1e-4), f"{output} {lang}: {name} ink outside its slot"
                checked += 1
            rotated += not slot.matrix.is_axis_aligned
    assert checked > (10000 if which == "demo" else 2000)
    if which == "example":
        assert rotated  # the badge


def test_rotated_badge_ink_prints_inside_its_turned_box(example, tmp_path):
    """Read back from the print PDF: poppler's pixels that the badge's text adds lie in the badge's
    rotated polygon (computed here from the template's numbers, not the engine's matrix)."""
    import math

    import numpy as np
    from PIL import Image

    from poster_engine.render.job import compose_job, export_job

    (job,) = [j for j in plan_jobs(example, ["session-workbench"], ["a3"])]
    comp = compose_job(example, job)
    with_text = export_job(example, comp)
    without = export_job(example, replace(comp, svg=comp.document(hide_text=["badge"])))
    dpi = 40
    pages = []
    for name, pdf in (("with", with_text), ("without", without)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
            check=True,
        )
        pages.append(np.asarray(Image.open(tmp_path / f"{name}.png").convert("L"), dtype=int))
    ys, xs = np.nonzero(np.abs(pages[0] - pages[1]) > 40)
    assert len(xs) > 50
    # The badge's box: x 214..262, y 40..68 turned by -8° about (238, 54); the page adds 3 mm bleed.
    t = math.radians(-8)

    def page(x, y):
        dx, dy = x - 238, y - 54
        return 238 + dx * math.cos(t) - dy * math.sin(t) + 3, 54 + dx * math.sin(t) + dy * math.cos(t) + 3

    polygon = [page(x, y) for x, y in ((214, 40), (262, 40), (262, 68), (214, 68))]
    mm = 25.4 / dpi
    outside = [(x, y) for x, y in zip(xs, ys) if not inside_convex(((x + 0.5) * mm, (y + 0.5) * mm), polygon, mm * 1.5)]
    assert not outside, outside[:5]


def test_every_output_is_built_and_every_qr_code_decodes(example_build, example):
    import zxingcpp
    from PIL import Image

    manifest = json.loads((example_build / "manifest.json").read_text())
    outputs = {o["file"] for o in manifest["outputs"]}
    posters, formats = example.campaign.posters, {"a4", "a3", "a2", "instagram"}
    assert all(set(p.spec.formats) == formats for p in posters.values())
    assert len(outputs) == len(posters) * len(formats) * 2
    url = "https://ashworthrepaircafe.org.uk/book"
    for file in sorted(outputs):
        path = example_build / file
        if file.endswith(".pdf"):
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
            assert "PDF/X-4" in info, file
            png = path.with_suffix(".qr")
            subprocess.run(["pdftoppm", "-png", "-r", "72", "-singlefile", str(path), str(png)], check=True)
            codes = [c.text for c in zxingcpp.read_barcodes(Image.open(f"{png}.png"))]
            assert codes == [url], (file, codes)
        else:
            image = Image.open(path)
            assert image.size == (1080, 1350)
            # Social images write the link out instead of a code: there must be none to decode.
            assert zxingcpp.read_barcodes(image) == [], file


def test_the_cut_out_shows_the_poster_beneath(example_build):
    """kettle.png's transparent pixels (black where stored) must show the paper colour around the kettle."""
    import numpy as np
    from PIL import Image

    image = np.asarray(Image.open(example_build / "tally-kettle" / "instagram.png").convert("RGB"), dtype=int)
    # The visual sits at translate(86 103.5) scale(0.5) of a 250-unit square: its top-left corner
    # area (inside the slot, outside the kettle) is transparent in the PNG.
    k = 1080 / 297
    corner = image[round((103.5 + 4) * k) : round((103.5 + 12) * k), round((86 + 4) * k) : round((86 + 12) * k)]
    paper, disc = np.array([0xF2, 0xE6, 0xD0]), corner.reshape(-1, 3).mean(axis=0)
    assert np.abs(disc - paper).max() <= 40, f"alpha dropped: the transparent corner is drawn as {disc.round()}"


def test_example_check_is_clean_and_measures_text_over_photos(example):
    result = run_cli("check", "--json", "--lang", "en", "--lang", "fr", cwd=EXAMPLE)
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report == {"errors": 0, "warnings": 0, "findings": []}, report


def test_check_flags_exactly_what_the_build_refuses(tmp_path):
    """A message too long for the session layout, and a colour that loses contrast: check's `fit`
    findings are the outputs the build fails, no more, no fewer."""
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("build", "make_visuals.py"))
    messages = root / "messages.yaml"
    text = messages.read_text()
    longer = "Bring it broken, cracked, frayed, jammed, dented, dead or humming: *take it home fixed.*"
    text = text.replace('en: "Bring it broken. *Take it home fixed.*"', f'en: "{" ".join([longer] * 4)}"')
    messages.write_text(text)
    poster = root / "posters" / "tally-kettle.yaml"
    poster.write_text(poster.read_text().replace('accent: "#B8322A"', 'accent: "#E8C8A0"'))

    only = ["-p", "session-workbench", "-p", "tally-kettle"]
    checked = run_cli("check", "--json", *only, cwd=root)
    findings = json.loads(checked.stdout)["findings"]
    assert checked.returncode == 1
    flagged = {f["where"] for f in findings if f["check"] == "fit"}
    contrast = {(f["where"], f["slot"]) for f in findings if f["check"] == "contrast"}

    built = run_cli("build", "-j", "1", *only, cwd=root)
    assert built.returncode == 1
    failed = {line.split()[1].rsplit(".", 1)[0] for line in built.stdout.splitlines() if line.startswith("FAIL")}
    assert flagged == failed and flagged, (flagged, failed)
    assert all(f.startswith("session-workbench/") for f in failed)
    # Contrast is check's alone (the build prints what it is given): the pale accent on paper.
    assert ("tally-kettle/a3", "stat.value") in contrast
