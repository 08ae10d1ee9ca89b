"""What cairosvg would draw unlike the designer's editor (project/drawable.py) is rewritten so the
engine draws it as rsvg-convert does (or Chromium, for what rsvg-convert 2.54 ignores too): each case
is drawn three ways and the pixels compared. cairosvg alone must differ (else the rewrite guards
nothing), the engine's drawing must not. What cannot be rewritten is refused: test_bad_inputs.py.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import cairosvg
import numpy as np
import pytest
from PIL import Image

from poster_engine.project.designer_svg import parse_svg_tree

HEAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100" '
    'viewBox="0 0 200 100"><rect width="200" height="100" fill="#fff"/>'
)
needs_rsvg = pytest.mark.skipif(
    shutil.which("rsvg-convert") is None, reason="scripts/install-system-deps.sh installs librsvg2-bin"
)


def svg(body: str) -> bytes:
    return (HEAD + body + "</svg>").encode()


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB").resize((200, 100))).astype(int)


def differing(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels whose colour differs by more than antialiasing does (48 of 255 in some channel)."""
    return int((np.abs(a - b).max(axis=2) > 48).sum())


def rsvg(raw: bytes) -> np.ndarray:
    return pixels(
        subprocess.run(["rsvg-convert", "-w", "200", "-h", "100"], input=raw, capture_output=True, check=True).stdout
    )


def cairo_alone(raw: bytes) -> np.ndarray:
    try:
        return pixels(cairosvg.svg2png(bytestring=raw, output_width=200, output_height=100))
    except ValueError:  # CSS 4's rgb(0 128 0): cairosvg fails on it
        return np.zeros((100, 200, 3), int)


def engine(raw: bytes) -> np.ndarray:
    """The engine's path: the file parsed (and rewritten) as a visual, drawn by cairosvg."""
    tree = parse_svg_tree(raw, "visuals/x.svg", "a visual")
    return pixels(cairosvg.svg2png(bytestring=ET.tostring(tree.root), output_width=200, output_height=100))


ARROW = (  # Inkscape 1.x's stock arrowhead (share/inkscape/markers/markers.svg): it takes its line's colour
    '<defs><marker style="overflow:visible" id="Arrow2" refX="0" refY="0" orient="auto-start-reverse" '
    'markerWidth="7.7" markerHeight="5.6" viewBox="0 0 7.7 5.6" preserveAspectRatio="xMidYMid">'
    '<path transform="scale(0.7)" d="M -2,-4 9,0 -2,4 c 2,-2.33 2,-5.66 0,-8 z" '
    'style="fill:context-stroke;fill-rule:evenodd;stroke:none"/></marker></defs>'
)
SQUARE = '<rect x="20" y="20" width="60" height="60" '
CIRCLE_MASK = '<defs><mask id="m" fill="white"><circle cx="100" cy="50" r="35"/></mask></defs>'
REWRITTEN = {
    "hsl": SQUARE + 'fill="hsl(120, 100%, 25%)"/>',
    "hsla-in-style": SQUARE + 'style="fill:hsla(120,100%,25%,.5);stroke:hsl(0 100% 50%);stroke-width:10"/>',
    "hsl-in-a-class": '<style>.a{fill:hsl(120deg 100% 25%)}</style><rect class="a" x="20" y="20" width="60" height="60"/>',
    "rrggbbaa": SQUARE + 'fill="#00800080"/>',
    "rgba-short": SQUARE + 'fill="#0808"/>',
    "rrggbbaa-stop": '<defs><linearGradient id="g"><stop offset="0" stop-color="#ff000080"/>'
    '<stop offset="1" stop-color="#0000ff"/></linearGradient></defs><rect width="200" height="100" fill="url(#g)"/>',
    "rgb-css4": SQUARE + 'fill="rgb(0 128 0 / 50%)"/>',
    "opacity-on-a-clone": '<defs><rect id="a" width="60" height="60" fill="blue"/></defs>'
    '<use xlink:href="#a" x="30" y="20" style="opacity:0.4"/>',
    "opacity-fill-and-stroke": SQUARE + 'fill="red" stroke="blue" stroke-width="20" opacity="0.5"/>',
    "inkscape-arrow-context-stroke": ARROW
    + '<path d="M20,50 L170,50" style="fill:none;stroke:#0000ff;stroke-width:4;marker-end:url(#Arrow2)"/>',
    "figma-stroke-inside": '<mask id="path-1-inside-1" fill="white"><rect x="20" y="10" width="160" height="80"/></mask>'
    '<rect x="20" y="10" width="160" height="80" fill="#eee" stroke="#1B1B3A" stroke-width="16" '
    'mask="url(#path-1-inside-1)"/>',
    "mask-on-a-moved-rect": CIRCLE_MASK
    + '<rect x="20" y="10" width="160" height="80" style="fill:#D7263D;mask:url(#m)" transform="translate(10,5) scale(0.8)"/>',
    "mask-on-a-placed-clone": CIRCLE_MASK
    + '<defs><rect id="r" width="160" height="80" fill="#1B1B3A"/></defs><use xlink:href="#r" x="20" y="10" mask="url(#m)"/>',
    "inkscape-0.92-arrow": '<defs><marker inkscape:stockid="Arrow1Lend" orient="auto" refY="0.0" refX="0.0" '
    'id="Arrow1Lend" style="overflow:visible;" inkscape:isstock="true" '
    'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"><path transform="scale(0.8) rotate(180) '
    'translate(12.5,0)" style="fill-rule:evenodd;stroke:#000000;stroke-width:1pt;stroke-opacity:1;fill:#000000;'
    'fill-opacity:1" d="M 0.0,0.0 L 5.0,-5.0 L -12.5,0.0 L 5.0,5.0 L 0.0,0.0 z "/></marker></defs>'
    '<path d="M20,50 L160,50" style="fill:none;stroke:#000000;stroke-width:2;marker-end:url(#Arrow1Lend)"/>',
    "marker-dots-without-viewbox": '<defs><marker id="dot" markerWidth="10" markerHeight="10" refX="5" refY="5">'
    '<circle cx="5" cy="5" r="4" fill="red"/></marker></defs><path d="M20,50 L100,20 L180,50" fill="none" '
    'stroke="black" stroke-width="2" style="marker:url(#dot)"/>',
    "illustrator-classes": '<style type="text/css">.st0{opacity:0.5;fill:#D7263D;stroke:#1B1B3A;stroke-width:20;}'
    ".st1{opacity:0.4;}</style>"
    + SQUARE.replace("<rect", '<rect class="st0"')
    + '/><defs><rect id="a" width="50" height="50" fill="blue"/></defs><use xlink:href="#a" x="120" y="25" class="st1"/>',
    "context-stroke-in-a-class": '<style>.head{fill:context-stroke}</style><defs><marker id="m" viewBox="0 0 10 10" '
    'markerWidth="10" markerHeight="10" refX="5" refY="5" orient="auto"><path class="head" d="M0,0 L10,5 L0,10z"/>'
    '</marker></defs><path d="M20,50 L180,50" stroke="red" stroke-width="2" marker-end="url(#m)"/>',
    "paint-order-in-a-switch": '<switch><rect x="30" y="20" width="80" height="60" style="fill:red;stroke:black;'
    'stroke-width:20;paint-order:stroke"/><rect x="120" y="20" width="60" height="60" fill="blue"/></switch>',
    "opacity-in-a-switch": '<defs><rect id="a" width="60" height="60" fill="blue"/></defs><switch>'
    '<use xlink:href="#a" x="30" y="20" opacity="0.4"/><rect x="120" y="20" width="60" height="60" fill="green"/></switch>',
    "paint-order-in-a-class": '<style>.p{paint-order:stroke}</style><rect class="p" x="30" y="20" width="80" height="60" '
    'fill="red" stroke="black" stroke-width="20"/>',
    "opacity-and-stroke-below-fill": SQUARE
    + 'style="fill:#D7263D;stroke:#1B1B3A;stroke-width:20;paint-order:stroke;opacity:0.6"/>',
}


@needs_rsvg
@pytest.mark.parametrize("body", REWRITTEN.values(), ids=REWRITTEN.keys())
def test_what_cairosvg_draws_otherwise_is_rewritten_to_draw_as_rsvg_does(body):
    raw = svg(body)
    reference = rsvg(raw)
    assert differing(cairo_alone(raw), reference) > 200  # what cairosvg alone draws
    assert differing(engine(raw), reference) <= 30


# A file's <style> sheets are written into its elements' style="" (stylesheets.py): the cascade as
# every renderer reads it, drawn alike with and without the sheet.
CLASS_A = SQUARE.replace("<rect", '<rect class="a"')
CASCADE = {
    "important-beats-own-style": "<style>.a{fill:green !important}</style>" + CLASS_A + 'style="fill:red"/>',
    "own-important-beats-sheet-important": "<style>.a{fill:red !important}</style>"
    + CLASS_A
    + 'style="fill:green !important"/>',
    "id-beats-class-beats-type": "<style>#x{fill:green} .a{fill:red} rect{fill:blue}</style>"
    + SQUARE.replace("<rect", '<rect id="x" class="a"')
    + "/>",
    "own-style-beats-sheet": "<style>rect{fill:red;stroke:green;stroke-width:10}</style>"
    + SQUARE
    + 'style="fill:blue"/>',
    "sheet-beats-attribute": "<style>.a{fill:green}</style>" + CLASS_A + 'fill="red"/>',
    "later-rule-wins": "<style>.a{fill:red}</style><style>.a{fill:green}</style>" + CLASS_A + "/>",
    "list-and-not": '<style>g > rect:not(.b), circle{fill:green}</style><g><rect class="c" x="20" y="20" width="60" '
    'height="60"/><rect class="b" x="110" y="20" width="60" height="60" fill="blue"/></g>',
    "inherited-from-a-group": '<style>g.t{fill:green}</style><g class="t">' + SQUARE + "/></g>",
    "bad-selector-drops-its-rule": "<style>rect, :unknown-pseudo(1){fill:red}</style>" + SQUARE + 'fill="green"/>',
}


@needs_rsvg
@pytest.mark.parametrize("body", CASCADE.values(), ids=CASCADE.keys())
def test_a_sheet_written_into_its_elements_keeps_the_cascade(body):
    raw = svg(body)
    assert differing(engine(raw), rsvg(raw)) <= 30
    root = parse_svg_tree(raw, "visuals/x.svg", "a visual").root
    assert not [el.text for el in root.iter() if el.tag.endswith("style") and "{" in (el.text or "")]


NON_SCALING = {
    "uniform-scale": '<g transform="scale(4)"><rect x="10" y="5" width="20" height="15" fill="none" stroke="black" '
    'stroke-width="2" vector-effect="non-scaling-stroke"/></g>',
    "in-a-class": '<style>.ns{vector-effect:non-scaling-stroke;stroke-width:2}</style><g transform="scale(4)">'
    '<rect class="ns" x="10" y="5" width="20" height="15" fill="none" stroke="black"/></g>',
    "rotated-scaled-dashed": '<g transform="translate(100,50) rotate(30) scale(3)"><rect x="-15" y="-8" width="30" '
    'height="16" style="fill:none;stroke:#1B1B3A;stroke-width:3;stroke-dasharray:6 3;'
    'vector-effect:non-scaling-stroke"/></g>',
}


@pytest.mark.parametrize("body", NON_SCALING.values(), ids=NON_SCALING.keys())
def test_a_non_scaling_stroke_is_drawn_as_chromium_draws_it(browser, body):
    """Figma's and Inkscape's icons keep a stroke's width however the icon is scaled; rsvg-convert
    2.54 ignores that as cairosvg does, so Chromium is the reference here."""
    raw = svg(body)
    page = browser.new_page(viewport={"width": 200, "height": 100})
    page.set_content(
        '<body style="margin:0"><img style="display:block" width="200" height="100" '
        f'src="data:image/svg+xml;base64,{base64.b64encode(raw).decode()}"></body>'
    )
    reference = pixels(page.screenshot())
    page.close()
    assert differing(cairo_alone(raw), reference) > 500
    assert differing(engine(raw), reference) <= 30


KEPT = {  # drawn alike by cairosvg, rsvg-convert and Chromium: neither rewritten nor refused
    "evenodd-clip-of-one-subpath": '<defs><clipPath id="c"><path d="M20,10 h80 v80 h-80z" clip-rule="evenodd"/>'
    '</clipPath></defs><rect width="200" height="100" fill="black" clip-path="url(#c)"/>',
    "non-scaling-unscaled": SQUARE + 'fill="none" stroke="black" stroke-width="3" vector-effect="non-scaling-stroke"/>',
    "affinity-evenodd-clip-without-a-hole": '<g style="clip-rule:evenodd"><clipPath id="ring"><path d="M 50,50 '
    'a 40,40 0 1 0 80,0 a 40,40 0 1 0 -80,0 z M 70,50 a 20,20 0 1 1 40,0 a 20,20 0 1 1 -40,0 z"/></clipPath>'
    '<rect width="200" height="100" fill="black" clip-path="url(#ring)"/></g>',
    "mask-on-a-circle": CIRCLE_MASK + '<circle cx="100" cy="50" r="48" fill="#D7263D" mask="url(#m)"/>',
    "opacity-fill-only": SQUARE + 'fill="green" opacity="0.5"/>',
    "id-that-looks-like-a-colour": '<defs><linearGradient id="cafe"><stop offset="0" stop-color="green"/>'
    "</linearGradient></defs><style>#beef{fill:url(#cafe)}</style>" + SQUARE.replace("<rect", '<rect id="beef"') + "/>",
}


@needs_rsvg
@pytest.mark.parametrize("body", KEPT.values(), ids=KEPT.keys())
def test_what_draws_alike_is_kept(body):
    raw = svg(body)
    tree = parse_svg_tree(raw, "visuals/x.svg", "a visual")
    assert differing(engine(raw), rsvg(raw)) <= 30
    assert len(list(tree.root.iter())) == len(list(ET.fromstring(raw).iter()))  # no group added, none removed


@needs_rsvg
@pytest.mark.skipif(shutil.which("inkscape") is None, reason="scripts/install-system-deps.sh installs Inkscape")
def test_a_clone_and_an_arrow_saved_by_inkscape_draw_as_rsvg_draws_them(tmp_path):
    """Inkscape itself clones a square (Edit > Clone) and sets the clone's opacity, and saves the file
    with its own stock arrowhead on a line: both drawn by the engine as rsvg-convert draws them."""
    stock = Path("/usr/share/inkscape/markers/markers.svg")
    if not stock.is_file():
        pytest.skip("Inkscape's stock markers are not installed")
    marker = re.search(r'<marker\s[^>]*id="Arrow2".*?</marker>', stock.read_text(encoding="utf-8"), re.DOTALL)
    assert marker is not None
    source = tmp_path / "drawn.svg"
    source.write_text(
        HEAD.replace(
            "<svg",
            '<svg xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
            'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"',
            1,
        )
        + f"<defs>{marker.group(0)}</defs>"
        + '<rect id="dot" x="10" y="10" width="60" height="60" style="fill:#1b1b3a;stroke:#d7263d;stroke-width:12"/>'
        + '<path id="line" d="M 20,88 H 180" style="fill:none;stroke:#d7263d;stroke-width:3;marker-end:url(#Arrow2)"/>'
        + "</svg>",
        encoding="utf-8",
    )
    saved = tmp_path / "saved.svg"
    subprocess.run(
        [
            "inkscape",
            str(source),
            "--actions=select-by-id:dot;clone;object-set-attribute:opacity,0.5;"
            f"transform-translate:100,0;export-filename:{saved};export-plain-svg;export-do",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    raw = saved.read_bytes()
    assert re.search(rb"<use[^>]*opacity=\"0.5\"", raw) and b"context-stroke" in raw  # Inkscape's own forms
    reference = rsvg(raw)
    assert differing(cairo_alone(raw), reference) > 1000
    assert differing(engine(raw), reference) <= 30


@needs_rsvg
@pytest.mark.parametrize("where", ['font-size="300%"', 'style="font-size:300%"', 'class="big"'])
def test_a_font_size_in_percent_is_one_of_the_parents(where):
    """cairosvg reads 300 % as a percentage of the drawing (one black square); the engine writes it
    in em: a shape measured in em (text is refused: _check_text) is as tall as rsvg-convert draws it."""
    raw = svg(
        '<style>.big{font-size:300%}</style><g font-size="12"><rect x="10" y="10" width="2em" height="1em" '
        f"{where}/></g>"
    )

    def ink_height(rgb: np.ndarray) -> int:
        rows = np.nonzero((rgb.max(axis=2) < 128).any(axis=1))[0]
        return int(rows[-1] - rows[0] + 1) if len(rows) else 0

    reference = ink_height(rsvg(raw))
    assert ink_height(cairo_alone(raw)) > 2 * reference
    assert ink_height(engine(raw)) == pytest.approx(reference, abs=2)


def test_a_visual_and_a_layout_from_illustrator_keep_their_own_ids_and_classes(project):
    """Illustrator names every file's gradients SVGID_1_… and its classes st0…; nested in one poster,
    cairosvg would take the first gradient of that name and apply every sheet to every element. The
    visual's names are its own: each of the four shapes keeps its colour."""
    from conftest import run_cli

    def illustrator(path: Path, before: str, st0: str, start: str, end: str, shapes: str) -> None:
        """Inserted before `before`: a class st0 and a gradient SVGID_1_, as every Illustrator file names them."""
        names = (
            f'<style>.st0{{fill:{st0}}}</style><defs><linearGradient id="SVGID_1_"><stop offset="0" stop-color="{start}"/>'
            f'<stop offset="1" stop-color="{end}"/></linearGradient></defs>'
        )
        path.write_text(path.read_text(encoding="utf-8").replace(before, names + shapes + before, 1), encoding="utf-8")

    illustrator(
        project / "layouts" / "choc.svg",
        '<rect id="rule"',
        "#FF0000",
        "#00FFFF",
        "#0000FF",
        '<rect class="st0" x="200" y="240" width="80" height="30"/>'
        '<rect x="100" y="240" width="80" height="30" fill="url(#SVGID_1_)"/>',
    )
    illustrator(
        project / "visuals" / "mine.svg",
        "</svg>",
        "#00FF00",
        "#FFFF00",
        "#FF00FF",
        '<rect class="st0" x="20" y="300" width="200" height="180"/>'
        '<rect x="580" y="300" width="200" height="180" fill="url(#SVGID_1_)"/>',
    )
    result = run_cli("build", "-p", "choc-cobalt", "-f", "instagram", "-j", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    rgb = np.asarray(Image.open(project / "build" / "choc-cobalt" / "instagram.png").convert("RGB")).astype(int)

    def painted(colour: tuple[int, int, int]) -> int:
        return int((np.abs(rgb - colour).max(axis=2) < 24).sum())

    for colour in [(255, 0, 0), (0, 255, 255), (0, 255, 0), (255, 255, 0)]:  # the layout's two, the visual's two
        assert painted(colour) > 300, colour


def test_a_layouts_sheet_paints_the_layouts_own_elements_only(project):
    """cairosvg applies a <style> sheet to the whole document it draws. A layout's type selectors
    (`rect{…}`, `path{…}`) reached the QR code the engine draws into it (modules and quiet zone
    recoloured) and the shapes of the visual nested beside it. The sheet is written into the
    layout's own elements (project/stylesheets.py, inline_sheets): the code still scans, the visual
    keeps its colours, the layout's shapes take the rule, and a palette class still wins over a
    rule no more specific than it."""
    import zxingcpp
    from conftest import run_cli

    with open(project / "project.yaml", "a", encoding="utf-8") as f:
        f.write("\nformats:\n  ecran:\n    based_on: instagram\n    qr: code\n")

    def build() -> np.ndarray:
        result = run_cli("build", "--force", "-p", "choc-cobalt", "-f", "ecran", "-j", "1", cwd=project)
        assert result.returncode == 0, result.stderr
        return np.asarray(Image.open(project / "build" / "choc-cobalt" / "ecran.png").convert("RGB")).astype(int)

    def painted(rgb: np.ndarray, colour: tuple[int, int, int]) -> int:
        return int((np.abs(rgb - colour).max(axis=2) < 24).sum())

    def scanned(rgb: np.ndarray) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(Image.fromarray(rgb.astype(np.uint8)))]

    orange, green, magenta = (0xF0, 0xA2, 0x02), (0, 255, 0), (255, 0, 255)  # orange: the visual's own
    before = build()
    layout, visual = project / "layouts" / "choc.svg", project / "visuals" / "mine.svg"
    layout.write_text(
        layout.read_text(encoding="utf-8").replace(
            '<rect id="rule"',
            "<style>rect{fill:#00FF00} path{fill:#FF0000;stroke:#FF0000;stroke-width:4}</style>"
            '<rect id="deco" x="200" y="100" width="60" height="20"/><rect id="rule"',
            1,
        ),
        encoding="utf-8",
    )
    visual.write_text(
        visual.read_text(encoding="utf-8").replace("</svg>", "<style>circle{fill:#FF00FF}</style></svg>"),
        encoding="utf-8",
    )
    after = build()
    assert scanned(before) and scanned(after) == scanned(before)
    # The background is a <rect class="fill-background">: the poster's palette, not the rule's green.
    colours, counts = np.unique(before.reshape(-1, 3), axis=0, return_counts=True)
    background = tuple(int(c) for c in colours[counts.argmax()])
    assert painted(after, background) == pytest.approx(painted(before, background), rel=0.05)
    assert painted(before, orange) > 1000
    assert painted(after, orange) == pytest.approx(painted(before, orange), rel=0.02)
    assert painted(after, green) > 1000 and painted(after, magenta) > 100


@needs_rsvg
@pytest.mark.parametrize(
    "size", ["10cm 5cm", "100mm 50mm", "4in 2in", "288pt 144pt", "24pc 12pc", "380px 190px", "380 190"]
)
def test_a_file_sized_in_absolute_units_without_a_viewbox_is_that_many_css_pixels(size):
    """Without a viewBox, an SVG's user unit is the CSS pixel (96 per inch): a visual 10cm wide is
    377.95 units wide, as rsvg-convert sizes it. It was refused for want of a viewBox."""
    from poster_engine.project.svg import view_box

    width, height = size.split()
    raw = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"><rect width="50" height="50"/></svg>'
    drawn = Image.open(
        io.BytesIO(subprocess.run(["rsvg-convert"], input=raw.encode(), capture_output=True, check=True).stdout)
    )
    found = view_box(ET.fromstring(raw))
    assert found is not None
    assert (round(found[2]), round(found[3])) == drawn.size


@needs_rsvg
def test_a_hyperlink_is_drawn_as_the_group_it_is_and_its_link_goes():
    """Charts made for the web link their source (`<a href="https://…">`): the file was refused as
    an external reference, though no renderer fetches a link. It draws as rsvg-convert draws it,
    and nothing outside the file is named in what the engine keeps; an external image still is
    refused (test_bad_inputs.py)."""
    body = (
        '<a href="https://example.org/source" target="_blank"><rect x="20" y="20" width="60" height="60" '
        'fill="#D7263D"/></a><a xlink:href="https://example.org/b"><circle cx="140" cy="50" r="30" fill="#1B1B3A"/></a>'
    )
    raw = svg(body)
    assert differing(engine(raw), rsvg(raw)) <= 30
    kept = ET.tostring(parse_svg_tree(raw, "visuals/x.svg", "a visual").root, encoding="unicode")
    assert "example.org" not in kept and "<a" not in kept
