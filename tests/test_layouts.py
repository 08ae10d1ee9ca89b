"""Layouts as designers save them (issue 13): slots in layers and nested groups, every transform an
editor writes, slots marked by name (Inkscape labels, Figma and Illustrator ids) with a sidecar,
families that are just files, and what a poster must give derived from its template.

Geometry is checked twice: on the composition (each glyph's ink, through the slot's matrix, inside the
slot's polygon) and on the finished print PDF rasterised by poppler (every inked pixel inside the
polygon computed here, independently, with numpy)."""

from __future__ import annotations

import io
import math
import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from poster_engine.compose.document import compose
from poster_engine.core.diagnostics import PosterError
from poster_engine.core.formats import FORMATS
from poster_engine.core.geometry import Matrix, corners_inside, inside_convex
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import open_project
from poster_engine.project.slots import decode_id
from poster_engine.render.job import render_job

INKSCAPE_NS = (
    'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
    'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"'
)
MESSAGE_RULES = "message:\n  font: Inter-Black\n  size-min: 4\n  size-max: 14\n  max-lines: 5\n"
POSTER = (
    "title: Test\nlayout: {layout}\n{keys}"
    'colors: {{background: "#FFFFFF", text: "#000000", accent: "#000000"}}\nformats: [a4]\n'
)


def a4_template(body: str, head: str = "") -> str:
    """An A4 template as Inkscape saves one: mm document units, a viewBox, a namedview, a layer."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink" {INKSCAPE_NS} width="210mm" height="297mm" '
        f'viewBox="0 0 210 297">\n'
        f'<sodipodi:namedview id="namedview1" inkscape:document-units="mm"/>\n{head}\n'
        f'<g inkscape:groupmode="layer" id="layer1" inkscape:label="Layer 1">\n{body}\n</g>\n</svg>\n'
    )


def add_layout(root: Path, name: str, svg: str, sidecar: str | None = None, keys: str = "message: cobalt-enfance\n"):
    """layouts/<name>.svg (+ its sidecar) and a poster posters/<name>.yaml that uses it."""
    (root / "layouts" / f"{name}.svg").write_text(svg, encoding="utf-8")
    if sidecar is not None:
        (root / "layouts" / f"{name}.yaml").write_text(sidecar, encoding="utf-8")
    (root / "posters" / f"{name}.yaml").write_text(POSTER.format(layout=name, keys=keys), encoding="utf-8")


def composed(root: Path, poster: str, fmt: str = "a4", lang: str = "fr"):
    project = open_project(root)
    assert not project.campaign.diagnostics, [str(d) for d in project.campaign.diagnostics]
    return compose(project, project.campaign.posters[poster], FORMATS[fmt], lang)


def error_of(root: Path, poster: str, fmt: str = "a4") -> str:
    """The one-line error composing `poster` gives (a load error of the poster file first)."""
    project = open_project(root)
    if project.campaign.diagnostics:
        return str(project.campaign.diagnostics[0])
    with pytest.raises(PosterError) as caught:
        compose(project, project.campaign.posters[poster], FORMATS[fmt], "fr")
    return str(caught.value.diagnostics[0])


def line_of(root: Path, file: str, text: str) -> int:
    lines = (root / file).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# --- an independent model of SVG transforms (numpy 3x3), for the expected polygons -------------


def _m(a, b, c, d, e, f):
    return np.array([[a, c, e], [b, d, f], [0.0, 0.0, 1.0]])


def T(tx, ty=0.0):
    return _m(1, 0, 0, 1, tx, ty)


def S(sx, sy=None):
    return _m(sx, 0, 0, sx if sy is None else sy, 0, 0)


def R(deg, cx=0.0, cy=0.0):
    r = math.radians(deg)
    return T(cx, cy) @ _m(math.cos(r), math.sin(r), -math.sin(r), math.cos(r), 0, 0) @ T(-cx, -cy)


def SKX(deg):
    return _m(1, 0, math.tan(math.radians(deg)), 1, 0, 0)


def SKY(deg):
    return _m(1, math.tan(math.radians(deg)), 0, 1, 0, 0)


SLOT = (30.0, 60.0, 130.0, 60.0)  # the message slot's own x, y, width, height
TRANSFORMS = {
    "translate": ("translate(20 30)", T(20, 30)),
    "scale": ("scale(0.8 1.2)", S(0.8, 1.2)),
    "rotate": ("rotate(-8)", R(-8)),
    "rotate-about-centre": ("rotate(15 105 148)", R(15, 105, 148)),
    "skewX": ("skewX(12)", SKX(12)),
    "skewY": ("skewY(-6)", SKY(-6)),
    "matrix": ("matrix(0.9 -0.2 0.25 1.05 5 20)", _m(0.9, -0.2, 0.25, 1.05, 5, 20)),
    "list": (
        "translate(105,148) rotate(-30) scale(0.9) translate(-95,-90)",
        T(105, 148) @ R(-30) @ S(0.9) @ T(-95, -90),
    ),
}


def expected_polygon(matrix: np.ndarray) -> np.ndarray:
    x, y, w, h = SLOT
    corners = np.array([[x, y, 1], [x + w, y, 1], [x + w, y + h, 1], [x, y + h, 1]], dtype=float).T
    return (matrix @ corners)[:2].T


def inked_pixels_inside(pdf: bytes, polygon_mm: np.ndarray, tmp: Path, dpi: int = 40, tolerance_px: float = 1.5) -> int:
    """Rasterise a print PDF with poppler; every inked pixel must lie in the polygon (mm on the trim,
    turned to pixels of the page with its 3 mm bleed). Returns how many pixels are inked."""
    from PIL import Image

    (tmp / "out.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(tmp / "out.pdf"), str(tmp / "out")], check=True
    )
    gray = np.asarray(Image.open(tmp / "out.png").convert("L"), dtype=float)
    ys, xs = np.nonzero(gray < 128)
    px = (polygon_mm + 3.0) / 25.4 * dpi
    outside = [
        (x, y) for x, y in zip(xs + 0.5, ys + 0.5) if not inside_convex((x, y), tuple(map(tuple, px)), tolerance_px)
    ]
    assert not outside, f"{len(outside)} inked pixels outside the slot, e.g. {outside[:3]}"
    return len(xs)


@pytest.mark.parametrize(
    "kind, on", [(kind, "group") for kind in TRANSFORMS] + [("rotate", "slot"), ("matrix", "slot"), ("list", "slot")]
)
def test_text_is_set_along_its_slot_through_every_transform(project, tmp_path, kind, on):
    """A message slot in a nested group of an Inkscape layer, under each transform an editor
    writes, on the group or on the slot itself: the matrix is the one SVG defines, the glyphs' ink
    is inside the transformed slot on the composition, and poppler finds every inked pixel of the
    print PDF inside it too."""
    transform, matrix = TRANSFORMS[kind]
    x, y, w, h = SLOT
    group, own = (f' transform="{transform}"', "") if on == "group" else ("", f' transform="{transform}"')
    svg = a4_template(
        f'<g id="g1"{group}>\n'
        f'<rect id="rect1" inkscape:label="{{message}}" x="{x}" y="{y}" width="{w}" height="{h}"{own} '
        'style="fill:none;stroke:#ff00cc"/>\n</g>'
    )
    add_layout(project, "affiche", svg, MESSAGE_RULES)
    comp = composed(project, "affiche")
    (slot,) = comp.layout.slots
    polygon = expected_polygon(matrix)
    assert np.allclose(np.array(slot.polygon), polygon, atol=1e-6)
    block = comp.blocks["message"]
    assert block.glyphs
    for x0, y0, x1, y1 in block.ink:
        for corner in slot.matrix.corners((x0, y0, x1 - x0, y1 - y0)):
            assert inside_convex(corner, slot.polygon, 1e-6), (kind, corner)
    (job,) = plan_jobs(open_project(project), ["affiche"], ["a4"])
    assert inked_pixels_inside(render_job(open_project(project), job), polygon, tmp_path) > 50


def test_the_safe_area_check_of_a_texts_ink_is_the_check_of_every_glyph():
    """`corners_inside` tries the box around all the ink first: the same answer as every glyph's
    corners, in particular for rotated ink whose box pokes out where no glyph is (two lines, the
    second short: the box's empty corner)."""
    rng = random.Random(12)
    disagreed_with_the_box = 0
    for _ in range(3000):
        angle = math.radians(rng.choice([0, 90, -8, 30, 45, rng.uniform(-180, 180)]))
        matrix = Matrix(math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle), 50, 50)
        glyphs = []
        for line in range(rng.randint(1, 3)):
            x = 0.0
            for _ in range(rng.randint(1, 12)):
                glyphs.append((x, line * 12.0, x + rng.uniform(2, 8), line * 12.0 + rng.uniform(6, 10)))
                x = glyphs[-1][2] + rng.uniform(0, 2)
        area = (rng.uniform(-60, 40), rng.uniform(-60, 40), rng.uniform(20, 160), rng.uniform(20, 160))
        every_glyph = all(
            area[0] - 1e-6 <= x <= area[0] + area[2] + 1e-6 and area[1] - 1e-6 <= y <= area[1] + area[3] + 1e-6
            for x0, y0, x1, y1 in glyphs
            for x, y in matrix.corners((x0, y0, x1 - x0, y1 - y0))
        )
        assert corners_inside(matrix, glyphs, area) == every_glyph
        box = [
            (min(g[0] for g in glyphs), min(g[1] for g in glyphs), max(g[2] for g in glyphs), max(g[3] for g in glyphs))
        ]
        disagreed_with_the_box += every_glyph and not corners_inside(matrix, box, area)
    assert disagreed_with_the_box > 10  # the cases where the glyphs must be measured one by one occurred


def test_rotated_text_follows_its_rotation(project):
    """Along the rotated box: the first line's glyphs advance in the slot's direction on the page."""
    add_layout(
        project,
        "affiche",
        a4_template('<rect inkscape:label="{message}" x="30" y="60" width="130" height="60" transform="rotate(-8)"/>'),
        MESSAGE_RULES,
    )
    comp = composed(project, "affiche")
    (slot,) = comp.layout.slots
    block = comp.blocks["message"]
    first = [g for g in block.glyphs if g.y == block.glyphs[0].y]
    (ax, ay), (bx, by) = slot.matrix.apply(first[0].x, first[0].y), slot.matrix.apply(first[-1].x, first[-1].y)
    assert math.degrees(math.atan2(by - ay, bx - ax)) == pytest.approx(-8, abs=1e-6)
    assert '<g transform="matrix(' in comp.svg.decode()  # the content is drawn in the slot's own frame


def test_what_the_editor_wrote_is_kept_and_decoration_drawn_as_drawn(project):
    head = (
        '<defs id="defs1"><linearGradient id="base"><stop offset="0" stop-color="#ff0000"/>'
        '<stop offset="1" stop-color="#0000ff"/></linearGradient>'
        '<linearGradient id="grad" xlink:href="#base" x1="0" x2="1"/>'
        '<clipPath id="clip"><rect x="0" y="0" width="100" height="100"/></clipPath></defs>'
    )
    body = (
        '<rect id="band" inkscape:label="Band" x="0" y="0" width="210" height="40" style="fill:url(#grad)" '
        'clip-path="url(#clip)"/>\n'
        '<g inkscape:groupmode="layer" id="layer2" inkscape:label="Texts" transform="translate(0,10)">'
        '<g id="g7" transform="scale(0.5)"><rect inkscape:label="slot:headline" x="60" y="120" width="260" '
        'height="100"/></g></g>'
    )
    add_layout(
        project,
        "affiche",
        a4_template(body, head),
        "headline:\n  text: '{message}'\n  font: Inter-Black\n  size-min: 4\n  size-max: 20\n",
    )
    svg = composed(project, "affiche").svg.decode()
    for kept in ('xlink:href="#base"', 'clip-path="url(#clip)"', 'style="fill:url(#grad)"', 'transform="scale(0.5)"'):
        assert kept in svg, kept
    for dropped in ("sodipodi", "inkscape:", "namedview"):
        assert dropped not in svg, dropped
    (slot,) = composed(project, "affiche").layout.slots
    assert slot.bounds == pytest.approx((30.0, 70.0, 130.0, 50.0))


def test_a_qr_code_in_a_scaled_group_prints_at_its_real_size_and_scans(project, tmp_path):
    import zxingcpp
    from PIL import Image

    svg = a4_template(
        '<g id="codes" transform="translate(40 60) scale(0.5)"><rect id="slot:code" x="0" y="0" width="200" height="200"/></g>'
    )
    add_layout(project, "affiche", svg, "code:\n  url: '{campaign.url}'\n  min-mm: 15\n")
    opened = open_project(project)
    (job,) = plan_jobs(opened, ["affiche"], ["a4"])
    comp = compose(opened, opened.campaign.posters["affiche"], job.format, "fr")
    qr = comp.qrs["code"]
    symbol_mm = 100.0 * qr.code.modules / qr.code.total_modules  # the 200-unit box at half scale
    dpi = 150
    (tmp_path / "qr.pdf").write_bytes(render_job(opened, job))
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(tmp_path / "qr.pdf"), str(tmp_path / "qr")], check=True
    )
    image = Image.open(tmp_path / "qr.png").convert("L")
    ys, xs = np.nonzero(np.asarray(image) < 128)
    assert (xs.max() - xs.min() + 1) / dpi * 25.4 == pytest.approx(symbol_mm, abs=0.3)
    assert (xs.min() / dpi * 25.4 - 3) == pytest.approx(40 + 0.5 * 4 * 200 / qr.code.total_modules, abs=0.3)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == opened.campaign.messages.campaign.url


def test_a_qr_code_scaled_below_its_minimum_is_refused(project):
    svg = a4_template(
        '<g id="codes" transform="scale(0.1)">\n<rect id="slot:code" x="100" y="100" width="120" height="120"/></g>'
    )
    add_layout(project, "affiche", svg, "code:\n  url: '{campaign.url}'\n  min-mm: 15\n")
    line = line_of(project, "layouts/affiche.svg", 'id="slot:code"')
    assert error_of(project, "affiche") == (
        f"layouts/affiche.svg:{line}: slot 'code': the QR code would print at 12.0 mm at format a4, below the "
        "20 mm it needs to be scanned from 0.4 m; make the slot larger"
    )


# --- slots marked by name: Figma and Illustrator exports, written by hand after their documented form


FIGMA = """<svg width="1080" height="1350" viewBox="0 0 1080 1350" fill="none" xmlns="http://www.w3.org/2000/svg">
<g id="Poster" clip-path="url(#clip0_12_3)">
<rect width="1080" height="1350" fill="white"/>
<rect id="{message}" x="120" y="300" width="840" height="360" transform="rotate(-8 120 300)" fill="#D9D9D9"/>
<g id="Footer">
<rect id="slot:footer" x="120" y="1180" width="840" height="60" fill="#EEEEEE"/>
</g>
<rect id="{message}_2" x="120" y="900" width="840" height="160" fill="#D9D9D9"/>
</g>
<defs>
<clipPath id="clip0_12_3">
<rect width="1080" height="1350" fill="white"/>
</clipPath>
</defs>
</svg>
"""

ILLUSTRATOR = """<?xml version="1.0" encoding="utf-8"?>
<!-- Generator: Adobe Illustrator 27.5.0, SVG Export Plug-In . SVG Version: 6.00 Build 0)  -->
<svg version="1.1" id="Calque_1" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" x="0px" y="0px"
\t viewBox="0 0 595.28 841.89" style="enable-background:new 0 0 595.28 841.89;" xml:space="preserve">
<style type="text/css">
\t.st0{fill:#FFFFFF;}
\t.st1{fill:none;stroke:#FF00CC;stroke-miterlimit:10;}
</style>
<rect class="st0" width="595.28" height="841.89"/>
<g id="_x7B_message_x7D_">
\t<rect x="60" y="200" transform="matrix(0.9903 -0.1392 0.1392 0.9903 -35.5 13.2)" class="st1" width="470" height="200"/>
</g>
<g id="Textes">
\t<rect id="slot_x3A_source" x="60" y="700" class="st1" width="470" height="40"/>
</g>
</svg>
"""

# The Illustrator layouts' sidecar and the poster's keys.
ILLUSTRATOR_RULES = (
    "message:\n  font: Inter-Black\n  size-min: 10\n  size-max: 40\n  max-lines: 4\n"
    "source:\n  text: '{label.source} {stat.source}'\n  size-min: 6\n  size-max: 12\n  max-lines: 1\n",
    "message: cobalt-enfance\nstat: enfants-cobalt\n",
)


def test_decode_ids_as_editors_write_them():
    assert decode_id("_x7B_message_x7D_") == "{message}"  # Illustrator escapes
    assert decode_id("_x7B_message_x7D__1_") == "{message}"  # ...and numbers a repeated name
    assert decode_id("slot_x3A_source") == "slot:source"
    assert decode_id("{stat.value}_2") == "{stat.value}"  # Figma numbers a repeated name
    assert decode_id("Frame 1") == "Frame 1"


def test_a_figma_export_with_named_layers_composes(project):
    sidecar = (
        "message:\n  font: Inter-Black\n  size-min: 20\n  size-max: 80\n  max-lines: 4\n"
        "footer:\n  text: '{campaign.footer}'\n  size-min: 10\n  size-max: 20\n  max-lines: 2\n"
    )
    add_layout(project, "figma", FIGMA, sidecar)
    (project / "posters" / "figma.yaml").write_text(
        POSTER.format(layout="figma", keys="message: cobalt-enfance\n").replace("[a4]", "[instagram]"), encoding="utf-8"
    )
    line = line_of(project, "layouts/figma.svg", 'id="{message}_2"')
    assert error_of(project, "figma", "instagram") == (
        f"layouts/figma.svg:{line}: slot name 'message' is used twice (also on line 4); slot names must be unique"
    )
    (project / "layouts" / "figma.svg").write_text(FIGMA.replace('<rect id="{message}_2"', '<rect id="Note"'))
    comp = composed(project, "figma", "instagram")
    assert [s.name for s in comp.layout.slots] == ["message", "footer"]
    message = comp.layout.slots[0]
    assert math.degrees(math.atan2(message.matrix.b, message.matrix.a)) == pytest.approx(-8)
    assert "clip0_12_3" in comp.svg.decode() and comp.blocks["footer"].glyphs


def test_an_illustrator_export_with_escaped_ids_composes(project):
    add_layout(project, "illustrator", ILLUSTRATOR, *ILLUSTRATOR_RULES)
    comp = composed(project, "illustrator")
    message, source = comp.layout.slots
    assert (message.name, source.name) == ("message", "source")
    assert message.box == (60.0, 200.0, 470.0, 200.0)  # the rect the layer wraps, its matrix kept
    assert (message.own.a, message.own.b) == pytest.approx((0.9903, -0.1392))
    # The designer's classes draw the decoration: written on the element itself, and only there.
    svg = comp.svg.decode()
    assert re.search(r'<rect [^>]*class="st0" width="595.28" height="841.89" style="fill:#FFFFFF"', svg)
    assert ".st0" not in svg and ".st1" not in svg
    for x0, y0, x1, y1 in comp.blocks["message"].ink:
        for corner in message.matrix.corners((x0, y0, x1 - x0, y1 - y0)):
            assert inside_convex(corner, message.polygon, 1e-6)


# Illustrator's "Save As" SVG with "Preserve Illustrator Editing Capabilities": the namespaces as
# entities of the DOCTYPE, the drawing in a <switch> behind a <foreignObject> only Illustrator
# reads (requiredExtensions), and its private data (<i:pgf>). Written after the form it saves.
ILLUSTRATOR_EDITABLE = (
    ILLUSTRATOR.replace(
        "<svg version",
        """<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
\t<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">
\t<!ENTITY ns_ai "http://ns.adobe.com/AdobeIllustrator/10.0/">
\t<!ENTITY ns_graphs "http://ns.adobe.com/Graphs/1.0/">
\t<!ENTITY ns_vars "http://ns.adobe.com/Variables/1.0/">
]>
<svg xmlns:x="&ns_extend;" xmlns:i="&ns_ai;" xmlns:graph="&ns_graphs;" version""",
    )
    .replace(
        '<rect class="st0"',
        """<switch>
\t<foreignObject requiredExtensions="&ns_ai;" x="0" y="0" width="1" height="1">
\t\t<i:pgfRef  xlink:href="#adobe_illustrator_pgf">
\t\t</i:pgfRef>
\t</foreignObject>
\t<g i:extraneous="self">
<rect class="st0\"""",
    )
    .replace(
        "</svg>",
        """</g>
</switch>
<i:pgf  id="adobe_illustrator_pgf">
\t<![CDATA[
\teJzsvWmTHMl1IPidZvwPsR9kJq2NcsIv9wjtrpnlVWxbDhsxkQoQNGs8owMQt
\t]]>
</i:pgf>
</svg>""",
    )
)


def test_an_illustrator_file_saved_with_editing_capabilities_composes_like_its_export(project):
    """Its namespace entities (plain text, declared in the file) are read; the <foreignObject> only
    Illustrator draws is dropped, as every SVG renderer skips it; the slots are the export's."""
    add_layout(project, "illustrator", ILLUSTRATOR_EDITABLE, *ILLUSTRATOR_RULES)
    comp = composed(project, "illustrator")
    message, source = comp.layout.slots
    assert (message.name, source.name) == ("message", "source")
    assert message.box == (60.0, 200.0, 470.0, 200.0)
    svg = comp.svg.decode()
    assert "foreignObject" not in svg and "pgf" not in svg and "ENTITY" not in svg
    assert comp.blocks["message"].glyphs and comp.blocks["source"].glyphs


def test_a_visual_saved_by_illustrator_with_editing_capabilities_draws_the_same_pixels(project):
    """The demo's visual wrapped as Illustrator's "Save As" writes it (entities, a <switch> whose
    first choice is Illustrator's own <foreignObject>, its private data) draws pixel for pixel as
    the plain file does."""
    import re

    from PIL import Image, ImageChops

    from poster_engine.api import one_job

    def png() -> Image.Image:
        opened = open_project(project)
        data = render_job(opened, one_job(opened, "choc-cobalt", "instagram", "fr"))
        return Image.open(io.BytesIO(data)).convert("RGB")

    plain = png()
    visual = project / "visuals" / "mine.svg"
    text = visual.read_text(encoding="utf-8")
    head = re.search(r"<svg[^>]*>", text)
    assert head is not None
    visual.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE svg [\n<!ENTITY ns_ai "http://ns.adobe.com/AdobeIllustrator/10.0/">\n]>\n'
        + head.group(0).replace("<svg", '<svg xmlns:i="&ns_ai;"', 1)
        + '<switch><foreignObject requiredExtensions="&ns_ai;" width="1" height="1"><i:pgfRef/></foreignObject>'
        + '<g i:extraneous="self">'
        + text[head.end() : text.rindex("</svg>")]
        + '</g></switch><i:pgf id="adobe_illustrator_pgf"><![CDATA[eJzsvWmTHMl1]]></i:pgf></svg>',
        encoding="utf-8",
    )
    assert ImageChops.difference(plain, png()).getbbox() is None


def test_an_empty_flowroot_a_text_tool_click_left_is_kept(project):
    """Inkscape 0.92 leaves an empty <flowRoot> where the text tool was clicked: it draws nothing
    anywhere, so the layout is read (one with words in it is refused: test_bad_inputs)."""
    empty = '<flowRoot id="flowRoot1"><flowRegion><rect width="40" height="20"/></flowRegion><flowPara/></flowRoot>'
    slot = '<rect id="message" x="20" y="20" width="170" height="60" data-slot="text" data-text="{message}"/>'
    add_layout(project, "old", a4_template(empty + slot), MESSAGE_RULES)
    assert composed(project, "old").blocks["message"].glyphs


def test_filters_the_renderer_draws_faithfully_are_kept(project):
    """Illustrator's opacity masks go through an identity colour matrix; a transparent flood and a
    normal blend change nothing either: a layout using them is read (any other filter is refused,
    test_bad_inputs)."""
    effect = (
        '<defs><filter id="Adobe_OpacityMaskFilter" filterUnits="userSpaceOnUse" x="0" y="0" width="210" height="297">'
        '<feColorMatrix type="matrix" values="1 0 0 0 0  0 1 0 0 0  0 0 1 0 0  0 0 0 1 0"/>'
        '<feFlood flood-opacity="0"/><feBlend mode="normal"/></filter></defs>'
        '<rect x="0" y="0" width="210" height="100" fill="#123456" filter="url(#Adobe_OpacityMaskFilter)" '
        'style="mix-blend-mode:normal"/>'
    )
    slot = '<rect id="message" x="20" y="120" width="170" height="60" data-slot="text" data-text="{message}"/>'
    add_layout(project, "masked", a4_template(effect + slot), MESSAGE_RULES)
    assert composed(project, "masked").blocks["message"].glyphs


@pytest.mark.parametrize(
    "mask",
    [
        '<mask id="m" style="mask-type:alpha"><rect width="210" height="100" fill="#D9D9D9"/></mask>',  # Figma's
        '<mask id="m"><g fill="#FFFFFF"><rect width="210" height="100"/></g></mask>',  # white, inherited
        '<mask id="m"><rect width="210" height="100" fill="url(#w)"/></mask>'  # white fading by opacity
        '<linearGradient id="w"><stop offset="0" stop-color="white"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></linearGradient>',
        '<style>.w{fill:#fff}</style><mask id="m"><rect class="w" width="210" height="100"/></mask>',  # CSS: trusted
    ],
    ids=["figma-alpha", "white-group", "white-gradient", "class"],
)
def test_masks_the_renderer_draws_as_designed_are_kept(project, mask):
    """cairosvg masks by opacity: an alpha mask, or a luminance one painted white, is drawn as a
    browser draws it (a luminance mask in another colour is refused: test_bad_inputs)."""
    body = f'<defs>{mask}</defs><rect width="210" height="100" fill="#123456" mask="url(#m)"/>'
    slot = '<rect id="message" x="20" y="120" width="170" height="60" data-slot="text" data-text="{message}"/>'
    add_layout(project, "masked", a4_template(body + slot), MESSAGE_RULES)
    assert composed(project, "masked").blocks["message"].glyphs


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="scripts/install-system-deps.sh installs librsvg2-bin")
def test_stroke_below_fill_is_drawn_as_rsvg_draws_it(tmp_path):
    """Inkscape's "stroke below fill" (`paint-order: stroke`, inherited from a group or the
    element's own style): cairosvg ignores it, so the engine draws such an element as a stroke-only
    copy under itself; the stroke's visible area is then rsvg-convert's, not about twice it."""
    import xml.etree.ElementTree as ET

    import cairosvg
    from PIL import Image

    from poster_engine.project.designer_svg import parse_svg_tree

    raw = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="150" viewBox="0 0 300 150">'
        b'<rect width="300" height="150" fill="#ffffff"/><g style="paint-order:stroke fill markers">'
        b'<circle id="dot" cx="75" cy="75" r="40" fill="#D7263D" stroke="#1B1B3A" stroke-width="20"/></g>'
        b'<rect x="170" y="35" width="90" height="80" style="fill:#D7263D;stroke:#1B1B3A;stroke-width:20;paint-order:stroke"/>'
        b"</svg>"
    )

    def stroke_pixels(png: bytes) -> int:
        rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
        return int((np.abs(rgb - [0x1B, 0x1B, 0x3A]).sum(axis=2) < 60).sum())

    (tmp_path / "po.svg").write_bytes(raw)
    reference = stroke_pixels(
        subprocess.run(["rsvg-convert", str(tmp_path / "po.svg")], capture_output=True, check=True).stdout
    )
    tree = parse_svg_tree(raw, "visuals/po.svg", "a visual")
    ours = stroke_pixels(cairosvg.svg2png(bytestring=ET.tostring(tree.root)))
    assert stroke_pixels(cairosvg.svg2png(bytestring=raw)) > 1.5 * reference  # what cairosvg alone draws
    assert ours == pytest.approx(reference, rel=0.02)
    assert [el.get("id") for el in tree.root.iter() if el.get("id")] == ["dot"]  # the copy has no id


# --- files really re-saved by Inkscape


def inkscape(source: Path, target: Path, actions: str = "") -> None:
    args = ["inkscape", str(source)]
    if actions:
        args.append(f"--actions={actions};export-filename:{target};export-do")
    else:
        args += ["--export-type=svg", f"--export-filename={target}"]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    assert target.is_file()


@pytest.mark.skipif(shutil.which("inkscape") is None, reason="scripts/install-system-deps.sh installs Inkscape")
def test_a_layout_resaved_by_inkscape_composes_the_same(project, tmp_path):
    before = {fmt: composed(project, "choc-cobalt", fmt) for fmt in ("a3", "instagram")}
    inkscape(project / "layouts" / "choc.svg", tmp_path / "choc.svg")
    text = (tmp_path / "choc.svg").read_text(encoding="utf-8")
    assert "sodipodi:namedview" in text and "inkscape:" in text  # Inkscape's own file, as a designer saves it
    shutil.copy(tmp_path / "choc.svg", project / "layouts" / "choc.svg")
    for fmt, old in before.items():
        new = composed(project, "choc-cobalt", fmt)
        assert {n: b.lines for n, b in new.blocks.items()} == {n: b.lines for n, b in old.blocks.items()}
        assert {n: b.size for n, b in new.blocks.items()} == pytest.approx({n: b.size for n, b in old.blocks.items()})


@pytest.mark.skipif(shutil.which("inkscape") is None, reason="scripts/install-system-deps.sh installs Inkscape")
def test_a_slot_rotated_and_grouped_in_inkscape_is_set_along_its_rotation(project, tmp_path):
    """Inkscape rotates the message slot by -8° then the slot is grouped and the group moved:
    the engine sets the text along the rotated box at every format, anchors included."""
    inkscape(
        project / "layouts" / "choc.svg",
        tmp_path / "choc.svg",
        "select-by-id:message;transform-rotate:-8;selection-group;transform-translate:2,-3",
    )
    text = (tmp_path / "choc.svg").read_text(encoding="utf-8")
    assert 'transform="rotate(-8)"' in text or "rotate(" in text
    shutil.copy(tmp_path / "choc.svg", project / "layouts" / "choc.svg")
    for fmt in ("a3", "instagram"):
        comp = composed(project, "choc-cobalt", fmt)
        slot = next(s for s in comp.layout.slots if s.name == "message")
        assert math.degrees(math.atan2(slot.matrix.b, slot.matrix.a)) == pytest.approx(-8, abs=1e-3)
        for x0, y0, x1, y1 in comp.blocks["message"].ink:
            for corner in slot.matrix.corners((x0, y0, x1 - x0, y1 - y0)):
                assert inside_convex(corner, slot.polygon, 1e-6), fmt


# --- families are files, requirements are derived, errors are located ---------------------------


def test_a_family_no_code_names_builds_and_needs_only_what_it_shows(project, tmp_path):
    """'affiche' is named nowhere in the engine: a poster of it builds with just a message, and
    `poster list` lists it."""
    from poster_engine.batch.build import build

    add_layout(
        project,
        "affiche",
        a4_template('<rect inkscape:label="{message}" x="30" y="60" width="130" height="60"/>'),
        MESSAGE_RULES,
    )
    opened = open_project(project)
    assert not opened.campaign.diagnostics
    report = build(opened, plan_jobs(opened, ["affiche"]), tmp_path / "build")
    assert not report.errors and (tmp_path / "build" / "affiche" / "a4.pdf").is_file()
    listed = subprocess.run(
        [str(Path(__import__("sys").executable).with_name("poster")), "list", "--project", str(project)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "affiche" in listed.split("layouts:", 1)[1].splitlines()[0]


def test_a_missing_key_names_the_template_field_and_its_line(project):
    svg = a4_template(
        '<rect inkscape:label="{message}" x="30" y="60" width="130" height="60"/>\n'
        '<rect id="slot:code" x="150" y="220" width="40" height="40"/>'
    )
    add_layout(project, "affiche", svg, MESSAGE_RULES + "code:\n  url: '{film.url}'\n")
    line = line_of(project, "layouts/affiche.svg", 'id="slot:code"')
    assert error_of(project, "affiche") == (
        "posters/affiche.yaml:2: layout 'affiche' shows {film.url} in slot 'code' (layouts/affiche.yaml:7), so "
        "this poster needs a 'film' key; add it, or make the slot optional in the layout"
    )
    assert line  # the rule is located where it was written: here the sidecar's url: line
    # A visual slot the poster does not fill, marked optional in the template: nothing needed.
    svg = a4_template(
        '<rect inkscape:label="{message}" x="30" y="60" width="130" height="60"/>\n'
        '<rect inkscape:label="{visual}" data-optional="true" x="30" y="150" width="130" height="80"/>'
    )
    add_layout(project, "affiche", svg, MESSAGE_RULES)
    assert composed(project, "affiche").blocks["message"].glyphs


RECT = '<rect inkscape:label="{message}" x="30" y="60" width="130" height="60"/>'


@pytest.mark.parametrize(
    "body, sidecar, expected",
    [
        (
            RECT,
            "message:\n  font: Inter-Black\n  size-mn: 4\n",
            "layouts/affiche.yaml:3: slot 'message': unknown key 'size-mn' (did you mean 'size-min'?)",
        ),
        (
            RECT,
            MESSAGE_RULES + "mesage:\n  size-min: 4\n",
            "layouts/affiche.yaml:6: no element of layouts/affiche.svg is named 'mesage' (did you mean 'message'?); "
            "name the element so in the editor (its label or id) or fix the entry",
        ),
        (
            RECT,
            "message:\n  font: Inter-Black\n",
            "layouts/affiche.svg:{line}: slot 'message' needs a size-min (its smallest type size, in its own units); "
            "add data-size-min=\"…\" to the element or 'size-min:' under 'message:' in layouts/affiche.yaml",
        ),
        (
            RECT,
            "message:\n  font: Inter-Black\n  size-min: ten\n",
            "layouts/affiche.yaml:3: slot 'message': size-min must be a number, not 'ten'",
        ),
        (
            RECT.replace("<rect ", '<rect data-size-min="5" '),
            MESSAGE_RULES,
            "layouts/affiche.yaml:3: 'message': size-min is given both as data-size-min (layouts/affiche.svg:{line}) "
            "and in layouts/affiche.yaml:3; keep one",
        ),
        (
            f'<g id="squash" transform="scale(1 0)">{RECT}</g>',
            MESSAGE_RULES,
            "layouts/affiche.svg:{line}: slot 'message' is drawn through a transform that flattens it (zero scale) "
            "on element 'squash'; reset that element's scale in the editor",
        ),
        (
            '<text inkscape:label="{message}" x="30" y="60">Sample</text>',
            MESSAGE_RULES,
            "layouts/affiche.svg:{line}: slot 'message' is a <text>: the engine cannot measure text an editor set; "
            "draw a rectangle where the text goes and give it the slot's name instead",
        ),
        (
            RECT.replace("<rect ", '<rect data-anchor="bottum" '),
            MESSAGE_RULES,
            "layouts/affiche.svg:{line}: element 'message': data-anchor must be one of top, middle, bottom, stretch",
        ),
    ],
    ids=["unknown-key", "unknown-name", "rules-missing", "bad-number", "given-twice", "flattened", "text", "anchor"],
)
def test_layout_errors_are_one_located_line(project, body, sidecar, expected):
    add_layout(project, "affiche", a4_template(body), sidecar)
    line = line_of(project, "layouts/affiche.svg", body.split(">")[0][:20])
    assert error_of(project, "affiche") == expected.format(line=line)


def test_preview_overlay_draws_a_rotated_slot_as_its_polygon(project):
    from poster_engine.preview.renderer import overlay_data

    add_layout(
        project,
        "affiche",
        a4_template('<rect inkscape:label="{message}" x="30" y="60" width="130" height="60" transform="rotate(-8)"/>'),
        MESSAGE_RULES,
    )
    comp = composed(project, "affiche")
    (item,) = overlay_data(comp)["slots"]
    (slot,) = comp.layout.slots
    bleed, k = comp.layout.format.bleed, comp.layout.scale
    assert item["points"] == [[bleed + x * k, bleed + y * k] for x, y in slot.polygon]
    assert item["points"][1][1] < item["points"][0][1]  # the top edge rises to the right: -8°


def test_check_measures_type_as_scaled_by_its_group(project):
    """`poster check` reads type size through the slot's matrix: a group at 0.1 makes 8 mm type 0.8 mm."""
    from poster_engine.qa.check import check_campaign

    svg = a4_template(f'<g id="small" transform="translate(30 60) scale(0.1)">{RECT}</g>')
    add_layout(project, "affiche", svg, "message:\n  font: Inter-Black\n  size-min: 8\n  size-max: 8\n  max-lines: 9\n")
    findings = [f for f in check_campaign(open_project(project), ["fr"], ["affiche"]) if f.check == "type-size"]
    assert findings and "sets type at 0.8 mm" in findings[0].message
