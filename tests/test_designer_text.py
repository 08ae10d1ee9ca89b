"""A designer's SVG <text> (project/svg_text.py) is drawn as outlines with the project's fonts/,
where Chromium draws the same file given the same fonts as @font-face rules (and rsvg-convert
given them through fontconfig): glyph ink compared colour by colour. What cannot be drawn
faithfully is refused with its line; what is not drawn is kept; a font the text uses is part of
the job's key."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import cairosvg
import numpy as np
import pytest
from conftest import ROOT, run_cli
from PIL import Image

from poster_engine.core.diagnostics import PosterError
from poster_engine.project.designer_svg import parse_svg_tree
from poster_engine.project.fonts import FontLibrary

FONTS = ROOT / "fonts"
W, H = 600, 300
needs_inkscape = pytest.mark.skipif(shutil.which("inkscape") is None, reason="install-system-deps.sh installs it")
needs_rsvg = pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="install-system-deps.sh installs it")
SODIPODI = "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
HEAD = (
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="{SODIPODI}" width="{W}" height="{H}" '
    f'viewBox="0 0 {W} {H}"><rect width="{W}" height="{H}" fill="#fff"/>'
)
# One colour per text: each text's ink is found in both drawings by its colour.
COLOURS = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 160, 0), "magenta": (255, 0, 255)}


def fontconfig(tmp_path: Path, fonts: Path = FONTS) -> dict[str, str]:
    """An environment whose fontconfig knows fonts/ only (for rsvg-convert and Inkscape)."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / "fc"}</cachedir></fontconfig>'
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def engine(raw: bytes, fonts: Path = FONTS) -> np.ndarray:
    tree = parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(fonts))
    assert not [el for el in tree.root.iter() if el.tag.endswith("}text")]  # only outlines left
    return pixels(cairosvg.svg2png(bytestring=ET.tostring(tree.root), output_width=W, output_height=H))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB").resize((W, H))).astype(int)


def chromium(page, raw: bytes, tmp_path: Path, fonts: Path = FONTS) -> np.ndarray:
    """Chromium's drawing of the file, given every font of fonts/ as @font-face rules under its
    family, weight and style, and under its PostScript name (what Illustrator writes as family)."""
    rules = []
    said = raw.decode().lower()
    for face in FontLibrary(fonts).faces:
        names = [(n, w) for n, w in ((face.family, face.weight), (face.postscript, "1 1000")) if n.lower() in said]
        if not names:  # a family the file does not name: left out, for a lighter page
            continue
        data = base64.b64encode(next(fonts.rglob(f"{face.stem}.*tf")).read_bytes()).decode()
        style = "italic" if face.italic else "normal"
        for family, weight in names:
            rules.append(
                f"@font-face{{font-family:'{family}';src:url(data:font/otf;base64,{data});"
                f"font-weight:{weight};font-style:{style}}}"
            )
    root = ET.fromstring(raw)
    sheet = ET.Element("{http://www.w3.org/2000/svg}style")
    sheet.text = "".join(rules)
    root.insert(0, sheet)
    target = tmp_path / "chromium.svg"
    target.write_bytes(ET.tostring(root))
    page.set_viewport_size({"width": W, "height": H})
    page.goto(target.as_uri())
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_timeout(100)
    return pixels(page.screenshot())


def rsvg(raw: bytes, tmp_path: Path) -> np.ndarray:
    run = subprocess.run(
        ["rsvg-convert", "-w", str(W), "-h", str(H)],
        input=raw,
        capture_output=True,
        check=True,
        env=fontconfig(tmp_path),
    )
    return pixels(run.stdout)


def ink(image: np.ndarray, colour: str) -> np.ndarray:
    """The pixels of one text: those nearer its colour than the white ground and the other texts'
    colours (antialiased edges included)."""
    palette = np.array([(255, 255, 255), *COLOURS.values()])
    nearest = np.abs(image[:, :, None, :] - palette[None, None]).sum(axis=3).argmin(axis=2)
    return nearest == 1 + list(COLOURS).index(colour)


def box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    assert len(xs), "no ink of that colour"
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def assert_same_ink(ours: np.ndarray, theirs: np.ndarray, colours=COLOURS, tolerance: int = 2) -> None:
    for colour in colours:
        a, b = ink(ours, colour), ink(theirs, colour)
        assert np.abs(np.subtract(box(a), box(b))).max() <= tolerance, (colour, box(a), box(b))
        overlap = (a & b).sum() / max((a | b).sum(), 1)
        assert overlap > 0.8, (colour, overlap)


# Inkscape's own way of writing text: multi-line tspans (sodipodi:role="line"), each with x and y,
# styles in style="", xml:space="preserve"; one centred block, one ended, one at a weight fonts/
# has only near (Inter 650 → SemiBold 600? no: above 500, heavier first → Bold 700).
INKSCAPE_TEXT = (
    '<text xml:space="preserve" style="font-size:40px;line-height:1.25;font-family:Inter;font-weight:bold;'
    'fill:#ff0000;text-anchor:middle;text-align:center" x="300" y="60" id="title">'
    '<tspan sodipodi:role="line" x="300" y="60" id="l1">Voir le film,</tspan>'
    '<tspan sodipodi:role="line" x="300" y="110" id="l2" style="font-weight:normal">puis débattre</tspan></text>'
    '<text xml:space="preserve" style="font-size:48px;font-family:\'Bebas Neue\', sans-serif;fill:#0000ff;'
    'text-anchor:end;letter-spacing:1px" x="580" y="190" id="date"><tspan sodipodi:role="line" x="580" y="190">'
    "26 NOVEMBRE</tspan></text>"
    '<text xml:space="preserve" style="font-size:30px;font-family:Inter;font-weight:650;fill:#00a000" '
    'x="20" y="270"><tspan sodipodi:role="line" x="20" y="270">Entrée libre</tspan></text>'
    '<text xml:space="preserve" style="font-size:26px;font-family:Inter;font-style:italic;fill:#ff00ff" '
    'x="20" y="190"><tspan sodipodi:role="line" x="20" y="190">et gratuite</tspan></text>'
)


def saved_by_inkscape(svg: str, tmp_path: Path) -> bytes:
    """The file as Inkscape saves it (Inkscape SVG), Inkscape knowing fonts/ as a designer's would."""
    source, saved = tmp_path / "source.svg", tmp_path / "saved.svg"
    source.write_text(svg)
    subprocess.run(
        ["inkscape", str(source), "--export-type=svg", f"--export-filename={saved}"],
        check=True,
        capture_output=True,
        timeout=120,
        env=fontconfig(tmp_path),
    )
    return saved.read_bytes()


@needs_inkscape
def test_text_saved_by_inkscape_is_drawn_where_chromium_draws_it(page, tmp_path):
    raw = saved_by_inkscape(HEAD + INKSCAPE_TEXT + "</svg>", tmp_path)
    assert b"sodipodi:role" in raw and b"<text" in raw  # still text, as Inkscape writes it
    ours = engine(raw)
    assert_same_ink(ours, chromium(page, raw, tmp_path))
    # Weights as CSS matches them: bold → Bold, normal → Regular, 650 → Bold (above 500, heavier first).
    used = parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(FONTS)).fonts
    assert [p.stem for p in used] == ["Inter-Bold", "Inter-Regular", "BebasNeue-Regular", "Inter-Italic"]


@needs_inkscape
def test_inkscape_1s_text_flowed_in_a_shape_is_drawn_by_its_lines_as_chromium_draws_it(page, tmp_path):
    """Inkscape 1.x flows text in a shape (SVG 2's shape-inside) and saves each line it made as a
    positioned tspan, which browsers draw: so do we (the engine does not flow it again)."""
    raw = saved_by_inkscape(
        HEAD + '<defs><rect id="r" x="10" y="10" width="220" height="280"/></defs><text xml:space="preserve" '
        'style="font-size:36px;font-family:Inter;fill:#ff0000;shape-inside:url(#r);white-space:pre">'
        "Des mots qui coulent dans un cadre</text></svg>",
        tmp_path,
    )
    assert raw.count(b"<tspan") >= 3  # the lines Inkscape made
    assert_same_ink(engine(raw), chromium(page, raw, tmp_path), colours=("red",))


@needs_rsvg
def test_text_is_drawn_where_rsvg_convert_draws_it(tmp_path):
    """The same file, against another renderer given fonts/ through fontconfig."""
    raw = (HEAD + INKSCAPE_TEXT + "</svg>").encode()
    assert_same_ink(engine(raw), rsvg(raw, tmp_path), colours=("red", "green", "magenta"), tolerance=3)


def test_illustrator_classes_white_space_and_relative_sizes_are_drawn_where_chromium_draws_them(page, tmp_path):
    """Illustrator names the face by its PostScript name, in a class of its <style> sheet."""
    raw = (
        HEAD + "<style>.st0{font-family:'Inter-Black';font-size:56px;fill:#FF0000}"
        ".st1{font-family:'BebasNeueBold', 'Bebas Neue';font-size:64px;}.st2{fill:#0000FF}</style>"
        '<text transform="matrix(1 0 0 1 24 80)" class="st0">Choc</text>'
        '<text transform="translate(300 200) rotate(-5)" class="st1 st2" text-anchor="middle">Vingt ans</text>'
        # Hand-written: white space collapsed (an anchored end ignores the last space), relative sizes.
        '<text x="580" y="280" font-family="Inter" font-size="30" fill="#00a000" text-anchor="end">\n   Entrée    '
        'libre\n  <tspan font-weight="bold"> et   gratuite </tspan>  </text>'
        '<g font-size="20pt"><text x="20" y="140" font-family="Inter" font-size="150%" fill="#ff00ff" '
        'letter-spacing="0.1em">Ouvert<tspan dx="10" dy="-8" font-size="0.5em">à tous</tspan></text></g></svg>'
    ).encode()
    ours = engine(raw)
    assert_same_ink(ours, chromium(page, raw, tmp_path))


def test_a_character_the_first_family_lacks_is_drawn_with_the_next_as_chromium_does(page, tmp_path):
    """Bebas Neue has no arrow or star: they come from Inter, the family listed next."""
    raw = (
        HEAD + '<text x="300" y="150" text-anchor="middle" font-family="\'Bebas Neue\', Inter" font-size="90" '
        'fill="#ff0000">PROJECTION → DÉBAT ★</text></svg>'
    ).encode()
    assert_same_ink(engine(raw), chromium(page, raw, tmp_path), colours=("red",))
    used = parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(FONTS)).fonts
    assert [p.stem for p in used] == ["BebasNeue-Regular", "Inter-Regular"]


def test_text_transform_and_font_kerning_are_drawn_as_chromium_draws_them(page, tmp_path):
    """`text-transform: uppercase` (inherited, 'ß' becoming 'SS') and `lowercase` change the
    characters, `font-kerning: none` turns the font's kerning off: each was ignored, the text
    drawn otherwise than the browser drew it. Neither is an SVG attribute: one set as an attribute
    sets nothing, as in a browser. Capitalize is refused (its word boundaries)."""
    raw = (
        HEAD + '<g style="text-transform:uppercase"><text x="20" y="80" font-family="Inter" font-size="50" '
        'fill="#ff0000">grüße</text></g>'
        '<text x="20" y="160" font-family="Inter" font-size="50" fill="#0000ff" style="text-transform:lowercase">'
        'VOIR LE <tspan text-transform="uppercase">FILM</tspan></text>'
        '<text x="20" y="260" font-family="Inter" font-size="80" fill="#00a000" style="font-kerning:none">'
        "AVATAR WAVY</text></svg>"
    ).encode()
    assert_same_ink(engine(raw), chromium(page, raw, tmp_path), colours=("red", "blue", "green"))
    refused = '<text x="9" y="9" font-family="Inter" style="text-transform:capitalize">a</text>'
    assert "text-transform: capitalize" in parse(refused)


@needs_rsvg
def test_text_as_a_clip_path_cuts_where_chromium_cuts(page, tmp_path):
    """A clip path holds shapes, no group: the text becomes one path there."""
    raw = (
        HEAD + '<defs><clipPath id="c"><text x="300" y="200" text-anchor="middle" font-family="Inter" '
        'font-weight="900" font-size="150">CLIP</text></clipPath></defs>'
        '<rect x="0" y="0" width="600" height="300" fill="#ff0000" clip-path="url(#c)"/></svg>'
    ).encode()
    theirs = chromium(page, raw, tmp_path)
    assert_same_ink(engine(raw), theirs, colours=("red",))
    # As SVG renderers read a clip path (rsvg-convert ignores a group in one): our file cuts alike.
    ours = parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(FONTS)).root
    assert_same_ink(rsvg(ET.tostring(ours), tmp_path), theirs, colours=("red",))


def test_a_stroked_text_and_its_fill_opacity_are_painted_as_chromium_paints_them(page, tmp_path):
    """Paint reaches the outlines from the group standing for the text, as it reached the glyphs."""
    raw = (
        HEAD + '<g stroke="#0000ff" stroke-width="3"><text x="20" y="120" font-family="Inter" font-weight="800" '
        'font-size="100" fill="#ff0000" fill-opacity="0">Contour</text></g>'
        '<text x="20" y="250" font-family="Inter" font-size="90" fill="#ff00ff" stroke="none">'
        'Plein<tspan fill="#00a000"> vert</tspan></text></svg>'
    ).encode()
    ours = engine(raw)
    assert ink(ours, "red").sum() == 0  # the fill is transparent: only the stroke is drawn
    assert_same_ink(ours, chromium(page, raw, tmp_path), colours=("blue", "magenta", "green"))


def test_a_palette_class_stays_a_class_beside_a_rule_by_element_type():
    """The poster's palette replaces `.fill-text`'s colour: it must not be written into the outlines."""
    raw = (
        HEAD + "<style>.fill-text{fill:#00a000} text{font-family:Inter;fill:#ff0000;stroke:#0000ff}</style>"
        '<text class="fill-text" x="10" y="100" font-size="80">Vert</text></svg>'
    ).encode()
    group = next(
        el for el in parse_svg_tree(raw, "v.svg", "a visual", FontLibrary(FONTS)).root.iter() if el.get("class")
    )
    assert group.get("style") == "font-family:Inter;stroke:#0000ff"  # what only `text{…}` set
    ours = engine(raw)
    assert ink(ours, "green").sum() > 500 and ink(ours, "red").sum() == 0


def test_a_class_rule_by_element_type_still_paints_the_outlines():
    """`text{fill:…}` matched the <text>; the outlines keep its colour."""
    raw = (
        HEAD + "<style>text{fill:#0000ff}</style>" + '<text x="10" y="100" font-family="Inter" font-size="80">'
        "Bleu</text></svg>"
    ).encode()
    assert ink(engine(raw), "blue").sum() > 500


def test_a_rule_by_element_type_and_class_still_paints_the_outlines():
    """`text.title{fill:…}` matched the <text>, not the group that stands for it: the file's sheets
    are written into its elements before the text is outlined, so the colour stays."""
    raw = (
        HEAD + "<style>text.title{fill:#0000ff}</style>"
        '<text class="title" x="10" y="100" font-family="Inter" font-size="80">Bleu</text></svg>'
    ).encode()
    assert ink(engine(raw), "blue").sum() > 500


def test_an_accent_typed_as_a_combining_mark_is_drawn_on_its_letter():
    """'e' + U+0301 (pasted from macOS) is the 'é' Bebas Neue draws, though it has no combining
    acute; a letter and a mark with no precomposed form come from the one family that has both."""
    import unicodedata

    def paths(family: str, words: str) -> list[str]:
        raw = (HEAD + f'<text x="10" y="100" font-family="{family}" font-size="80">{words}</text></svg>').encode()
        root = parse_svg_tree(raw, "v.svg", "a visual", FontLibrary(FONTS)).root
        return [el.get("d", "") for el in root.iter() if el.tag.endswith("path")]

    assert paths("Bebas Neue", unicodedata.normalize("NFD", "Crème brûlée")) == paths("Bebas Neue", "Crème brûlée")
    assert paths("Bebas Neue, Inter", "Q\u0301") == paths("Inter", "Q\u0301")


def test_a_link_in_a_text_is_drawn_as_its_words():
    """`Source: <a href="https://…">INSEE</a>` (a chart made for the web): the link's words are drawn
    as the rest of the text, and the file is not refused as naming something outside it."""

    def paths(words: str) -> list[str]:
        raw = (HEAD + f'<text x="10" y="100" font-family="Inter" font-size="40">{words}</text></svg>').encode()
        root = parse_svg_tree(raw, "v.svg", "a visual", FontLibrary(FONTS)).root
        return [el.get("d", "") for el in root.iter() if el.tag.endswith("path")]

    assert paths('Source : <a href="https://insee.fr">INSEE</a>') == paths("Source : <tspan>INSEE</tspan>")


def parse(body: str) -> str:
    """The refusal parsing `body` gives: its one line."""
    raw = (HEAD + "\n" + body + "\n</svg>").encode()
    with pytest.raises(PosterError) as caught:
        parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(FONTS))
    return str(caught.value.diagnostics[0])


CONVERT = (
    "convert the text to paths in the editor (Inkscape: Path > Object to Path; Illustrator: Type > Create Outlines"
)


def test_a_family_fonts_lacks_is_refused_naming_it_and_what_fonts_has():
    said = parse('<text x="10" y="50" style="font-family:\'Futura PT\', Helvetica, sans-serif">Affiche</text>')
    assert said.startswith("visuals/x.svg:2: <text> “Affiche” asks for font family Futura PT, Helvetica, sans-serif")
    assert "fonts/ does not have (it has: Bebas Neue, Inter, Inter Display, League Spartan)" in said
    assert "add the font file to fonts/" in said and CONVERT in said
    assert "font family sans-serif" in parse('<text x="10" y="50" font-family="sans-serif">Affiche</text>')
    assert "font family none" in parse('<text x="10" y="50">Affiche</text>')


@pytest.mark.parametrize(
    "body, said",
    [
        (
            '<defs><path id="p" d="M0 50 Q100 0 200 50"/></defs><text font-family="Inter">'
            '<textPath href="#p">Le long</textPath></text>',
            "is set along a path (<textPath>)",
        ),
        (
            '<text x="10 30 50" y="50" font-family="Inter">Crénage</text>',
            'places its characters one by one (x="10 30 50"',
        ),
        ('<text x="10" y="50" font-family="Inter"><tspan dx="0 2 4">Crénage</tspan></text>', "one by one (dx="),
        ('<text x="10" y="50" rotate="10" font-family="Inter">Tourné</text>', "turns each glyph (rotate)"),
        ('<text x="10" y="50" font-family="Inter" writing-mode="tb">Vertical</text>', "has writing-mode: tb"),
        (
            '<text x="10" y="50" font-family="Inter" style="text-decoration:underline">Souligné</text>',
            "text-decoration",
        ),
        (
            '<text x="10" y="50" font-family="Inter">Kanji 漢</text>',
            "has the character '漢' (U+6F22), which Inter (fonts/inter/Inter-Regular.otf) does not have",
        ),
        ('<text x="10" y="50" font-family="Bebas Neue" font-style="italic">Penché</text>', "no italic of Bebas Neue"),
        ('<text x="10" y="50" font-family="Inter">שלום</text>', "right to left"),
        ('<text x="10" y="50" font-family="Inter" font-stretch="condensed">Serré</text>', "font-stretch: condensed"),
        ('<text x="10" y="50%" font-family="Inter">Moitié</text>', 'is placed in percent (y="50%")'),
    ],
)
def test_what_cannot_be_drawn_faithfully_is_refused_with_its_line(body, said):
    message = parse(body)
    assert message.startswith("visuals/x.svg:2: <text>"), message
    assert said in message and CONVERT in message, message


def test_a_file_of_more_text_than_a_poster_holds_and_sizes_no_renderer_draws_are_refused():
    words = "Lorem ipsum dolor sit amet. " * 400
    said = parse(f'<text x="10" y="50" font-family="Inter">{words}</text><text font-family="Inter">{words}</text>')
    assert said.startswith("visuals/x.svg:2: its <text> elements hold more than 20,000 characters"), said
    said = parse('<text x="10" y="50" font-family="Inter" font-size="1e300">Énorme</text>')
    assert said == (
        "visuals/x.svg:2: <text> “Énorme”: font-size '1e300' is beyond ±10,000,000 user units; reset it in the editor"
    )


def test_what_is_not_drawn_is_kept_as_it_is():
    raw = (
        HEAD + '<text data-placeholder="message" x="10" y="50" font-family="Futura">Exemple</text>'
        '<g style="display:none"><text x="10" y="50" font-family="Futura">Calque caché</text></g>'
        '<text x="10" y="50" font-family="Futura" xml:space="preserve">   </text></svg>'
    ).encode()
    tree = parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(FONTS))
    assert len([el for el in tree.root.iter() if el.tag.endswith("}text")]) == 3
    assert tree.fonts == ()


# --- through the whole build: the poster's PDF, and its key -----------------------------------


def poster_pixels(pdf: Path, tmp_path: Path) -> np.ndarray:
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", str(pdf), str(out)], check=True)
    return np.asarray(Image.open(f"{out}.png").convert("L")).astype(int)


STATIC = (
    '<text xml:space="preserve" style="font-size:24px;font-family:\'League Spartan\';font-weight:900;'
    'fill:#ffffff;text-anchor:middle" x="148.5" y="30" id="designer">'
    '<tspan sodipodi:role="line" x="148.5" y="30">NOVEMBRE</tspan></text>\n</svg>'
)


def build(project: Path) -> str:
    result = run_cli("build", "-p", "choc-cobalt", "-f", "a3", "-j", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_a_layouts_text_is_outlined_in_the_print_pdf_and_a_font_change_rebuilds_it(project, tmp_path):
    layout = project / "layouts" / "choc.svg"
    before = build(project)
    plain = poster_pixels(project / "build" / "choc-cobalt" / "a3.pdf", tmp_path)
    text = layout.read_text(encoding="utf-8")
    layout.write_text(
        text.replace(
            '<svg xmlns="http://www.w3.org/2000/svg"',
            f'<svg xmlns:sodipodi="{SODIPODI}" xmlns="http://www.w3.org/2000/svg"',
            1,
        ).replace("</svg>", STATIC)
    )
    assert "1 built" in build(project), before
    pdf = project / "build" / "choc-cobalt" / "a3.pdf"
    drawn = poster_pixels(pdf, tmp_path)
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "NOVEMBRE" not in words  # outlines, not text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Spartan" not in fonts and "DejaVu" not in fonts
    from poster_engine.project.print_profiles import PRESETS
    from poster_engine.qa.preflight import preflight

    assert not [c.message for c in preflight(pdf, PRESETS["fogra39"]) if c.failed]
    x1a = run_cli("build", "-p", "choc-cobalt", "-f", "a3", "-j", "1", "-P", "fogra39-x1a", "-o", "x1a", cwd=project)
    assert x1a.returncode == 0, x1a.stderr
    flattened = project / "x1a" / "choc-cobalt" / "a3.pdf"
    assert not [c.message for c in preflight(flattened, PRESETS["fogra39-x1a"]) if c.failed]
    changed = np.abs(drawn - plain) > 64
    ys, xs = np.nonzero(changed)
    import pikepdf

    with pikepdf.open(pdf) as doc:
        trim = [float(v) for v in doc.pages[0].obj.get("/TrimBox", doc.pages[0].mediabox)]
        top = float(doc.pages[0].mediabox[3])

    def mm(px: float, origin: float) -> float:  # a pixel (40 dpi) to mm from the trim box's edge
        return (px / 40 * 72 - origin) / 72 * 25.4

    # Centred on x = 148.5 mm of the trim box, its baseline (the capitals' foot) at y = 30 mm.
    assert mm((xs.min() + xs.max() + 1) / 2, trim[0]) == pytest.approx(148.5, abs=1.5)
    assert mm(ys.max() + 1, top - trim[3]) == pytest.approx(30, abs=1.5)
    assert "0 built" in build(project)  # nothing changed: nothing redrawn
    # The face the text is drawn with changes (another weight's outlines in its file): redrawn.
    spartan = project / "fonts" / "league-spartan"
    shutil.copy(spartan / "LeagueSpartan-Bold.otf", spartan / "LeagueSpartan-Black.otf")
    assert "1 built" in build(project)
    lighter = poster_pixels(pdf, tmp_path)
    assert (np.abs(lighter - drawn) > 64).sum() > 20
    assert (np.abs(lighter - plain) > 64).sum() < changed.sum()  # thinner strokes: less ink


def test_a_visuals_text_makes_its_job_read_the_font_files_it_is_drawn_with(tmp_path):
    """An SVG visual is read anew for each job: the fonts its text is drawn with are recorded with
    it, and fonts/'s listing (which decides the face a family and weight take)."""
    from poster_engine.compose.visuals import visual_svg
    from poster_engine.project.files import recording

    visual = tmp_path / "visuals" / "logo.svg"
    visual.parent.mkdir()
    visual.write_bytes(
        (HEAD + '<text x="10" y="100" font-family="Bebas Neue" font-size="80">Logo</text></svg>').encode()
    )
    with recording() as reads:
        placed = visual_svg(visual, "visuals/logo.svg", (0, 0, 60, 30), (0.5, 0.5), 1.0, FontLibrary(FONTS))
    assert "<text" not in placed and "<path" in placed
    assert reads.files == {str(visual), str(FONTS / "bebas-neue" / "BebasNeue-Regular.otf")}
    assert reads.listings == {"fonts"}


def test_poster_check_measures_a_designers_text_as_it_measures_slots(project):
    """Outlined, a designer's words were paths to `poster check`: a line set too small for its
    viewing distance went unsaid. It is measured as a slot's text is (x-height as seen, the
    transforms above it applied), and said as a warning with its line: the size is the designer's."""
    layout = project / "layouts" / "choc.svg"
    small = (
        '<g transform="scale(0.5)"><text x="40" y="800" font-family="Inter" font-size="3">Mentions légales</text></g>'
    )
    large = '<text x="20" y="405" font-family="Inter" font-size="6">Entrée libre</text>'
    layout.write_text(layout.read_text(encoding="utf-8").replace("</svg>", small + large + "</svg>"), encoding="utf-8")
    poster = (project / "posters" / "choc-cobalt.yaml").read_text(encoding="utf-8")
    formats = next(line for line in poster.splitlines() if line.startswith("formats:"))
    (project / "posters" / "typed.yaml").write_text(poster.replace(formats, "formats: [a3]"), encoding="utf-8")
    checked = run_cli("check", "--json", "-p", "typed", cwd=project)
    findings = [f for f in json.loads(checked.stdout)["findings"] if f["check"] == "type-size"]
    line = next(n for n, text in enumerate(layout.read_text(encoding="utf-8").splitlines(), 1) if "Mentions" in text)
    said = {(f["file"], f["line"], f["severity"], f["format"]) for f in findings if "Mentions légales" in f["message"]}
    assert ("layouts/choc.svg", line, "warning", "a3") in said, findings
    assert not [f for f in findings if "Entrée libre" in f["message"]]
