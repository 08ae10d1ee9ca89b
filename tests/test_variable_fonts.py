"""A variable font in fonts/ (project/fonts.py) is its default instance under its file name, and each
of its named instances is a font of its own, named as its static cut would be: drawn and measured
at the instance's coordinates, matched by a designer's text by the instance's weight. Checked
against fontTools' instancer (the static cut it makes of the same instance) and rsvg-convert given
the variable font through fontconfig. No variable font is installed on the machine: the tests build
one with fontTools, two masters of bars whose stems differ."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import cairosvg
import numpy as np
import pytest
import uharfbuzz as hb
from conftest import run_cli
from fontTools import varLib
from fontTools.designspaceLib import AxisDescriptor, DesignSpaceDocument, InstanceDescriptor, SourceDescriptor
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from test_designer_text import HEAD, H, W, assert_same_ink, fontconfig, pixels, poster_pixels

from poster_engine.core.diagnostics import PosterError
from poster_engine.core.limits import MAX_FONT_AXES, MAX_FONT_INSTANCES
from poster_engine.project.designer_svg import parse_svg_tree
from poster_engine.project.fonts import FontLibrary

FAMILY = "Vary Sans"  # its static cuts would be VarySans-Regular, VarySans-Bold
FILE = "VarySans-VariableFont_wght.ttf"
STEMS = {400: 80, 700: 220}  # stem width per master's weight
# Every character a demo poster may hold is drawn with one of three bars-and-boxes glyphs, so a
# layout's slots can all be set in this font.
SPACES = (0x20, 0xA0, 0x2009, 0x202F, 0x200B, 0x2060, 0xFEFF)
CHARS = [
    c for r in ((0x21, 0x7F), (0xA1, 0x250), (0x2010, 0x2050), (0x20AC, 0x20AD), (0x2190, 0x2200)) for c in range(*r)
]


def _rects(*boxes: tuple[int, int, int, int], cff_width: int | None = None):
    """Rectangles as a TrueType glyph, or as a CFF charstring of `cff_width`."""
    pen = TTGlyphPen(None) if cff_width is None else T2CharStringPen(cff_width, None)
    for x0, y0, x1, y1 in boxes:
        pen.moveTo((x0, y0))
        pen.lineTo((x0, y1))
        pen.lineTo((x1, y1))
        pen.lineTo((x1, y0))
        pen.closePath()
    return pen.glyph() if cff_width is None else pen.getCharString()


def master(stem: int, cap: int = 700, cap_height: int = 700, cff: bool = False):
    fb = FontBuilder(1000, isTTF=not cff)
    order = [".notdef", "space", "I", "H", "O"]
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap({**{c: ("I", "H", "O")[c % 3] for c in CHARS}, **dict.fromkeys(SPACES, "space")})
    advances = {".notdef": 500, "space": 250, "I": 100 + stem, "H": 500 + stem, "O": 600 + stem}
    boxes = {
        ".notdef": [(50, 0, 450, cap)],
        "space": [],
        "I": [(50, 0, 50 + stem, cap)],
        "H": [(50, 0, 50 + stem, cap), (450, 0, 450 + stem, cap), (50 + stem, 300, 450, 300 + stem // 2)],
        "O": [(50, 0, 550 + stem, stem), (50, cap - stem, 550 + stem, cap), (50, stem, 50 + stem, cap - stem)],
    }
    if cff:  # PostScript outlines: varLib makes them a CFF2 table
        glyphs = {g: _rects(*b, cff_width=advances[g]) for g, b in boxes.items()}
        fb.setupCFF("VarySans-Regular", {"FullName": "Vary Sans Regular"}, glyphs, {})
    else:
        fb.setupGlyf({g: _rects(*b) for g, b in boxes.items()})
    fb.setupHorizontalMetrics({g: (advances[g], 50 if g != "space" else 0) for g in order})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": FAMILY, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200, sCapHeight=cap_height, sxHeight=500)
    fb.setupPost()
    return fb.font


def variable_font(instances=((400, "Regular"), (700, "Bold")), stems=STEMS, cap_heights=None, cff=False) -> TTFont:
    """A TrueType variable font of one axis, wght 400-700, built by fontTools' varLib from a
    designspace made here, with `instances` as its named instances (weight, subfamily), and each
    master's OS/2 cap height from `cap_heights` (700 by default: then no MVAR)."""
    doc = DesignSpaceDocument()
    axis = AxisDescriptor()
    axis.tag, axis.name, axis.minimum, axis.default, axis.maximum = "wght", "Weight", 400, 400, 700
    doc.addAxis(axis)
    for weight, stem in stems.items():
        source = SourceDescriptor()
        font = master(stem, cap_height=(cap_heights or {}).get(weight, 700), cff=cff)
        source.font, source.location, source.familyName = font, {"Weight": weight}, FAMILY
        doc.addSource(source)
    for weight, style in instances:
        instance = InstanceDescriptor()
        instance.familyName, instance.styleName, instance.location = FAMILY, style, {"Weight": weight}
        instance.postScriptFontName = f"VarySansPS-{style.replace(' ', '')}"
        doc.addInstance(instance)
    font, _, _ = varLib.build(doc)
    return font


def static_cut(variable: Path, weight: int, target: Path, style: str) -> Path:
    """fontTools' own static instance of `variable` at `weight`, named as its static cut would be."""
    cut = instancer.instantiateVariableFont(TTFont(variable), {"wght": weight}, updateFontNames=False)
    names = cut["name"]
    for record in list(names.names):
        if record.nameID in (2, 17):
            names.setName(style, record.nameID, record.platformID, record.platEncID, record.langID)
    cut["OS/2"].usWeightClass = weight
    target.parent.mkdir(parents=True, exist_ok=True)
    cut.save(target)
    return target


@pytest.fixture(scope="module")
def fonts(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fonts") / "fonts"
    (folder / "vary").mkdir(parents=True)
    variable_font().save(folder / "vary" / FILE)
    return folder


# --- the library: names, faces, matching ------------------------------------------------------


def test_each_named_instance_is_a_font_under_its_static_cuts_name_and_its_postscript_name(fonts):
    lib = FontLibrary(fonts)
    assert list(lib.files) == [FILE.removesuffix(".ttf")]  # the file alone: its default instance
    assert set(lib.names()) == {
        "VarySans-VariableFont_wght",
        "VarySans-Regular",
        "VarySans-Bold",
        "VarySansPS-Regular",
        "VarySansPS-Bold",
    }
    bold, by_postscript, default = (
        lib.get(n, "layouts/x.svg", 3) for n in ("VarySans-Bold", "VarySansPS-Bold", FILE[:-4])
    )
    assert bold.coords == by_postscript.coords == {"wght": 700.0} and default.coords == {}
    assert bold.path == default.path == fonts / "vary" / FILE
    # CSS matching (a designer's text): weights from the instances' coordinates.
    assert lib.match(["Vary Sans"], 700, False)[0] == "VarySans-Bold"
    # Between named instances, within the axis: at that very weight, as browsers draw a variable font.
    assert lib.match(["Vary Sans"], 650, False)[0] == "VarySans-VariableFont_wght@wght=650"
    assert lib.get("VarySans-VariableFont_wght@wght=650", "x").coords == {"wght": 650.0}
    assert lib.match(["Vary Sans"], 300, False)[1].weight == 400  # outside it: the nearest face (CSS)
    assert lib.match(["Vary Sans"], 900, False)[0] == "VarySans-Bold"
    assert lib.match(["varysansps-bold"], 400, False)[0] == "VarySans-Bold"  # a PostScript name
    # heavier (for **strong**) and the error for a name fonts/ lacks see the instances too.
    assert lib.heavier("VarySans-Regular") == "VarySans-Bold"
    with pytest.raises(PosterError) as said:
        lib.get("VarySans-Black", "layouts/x.svg", 3)
    assert (
        "'VarySans-Black' is not in fonts/" in str(said.value) and "layouts/x.svg:3" in said.value.diagnostics[0].where
    )


def test_a_static_file_of_an_instances_name_wins_over_the_instance(fonts, tmp_path):
    folder = tmp_path / "fonts"
    shutil.copytree(fonts, folder)
    # The static file is the Regular instance saved as VarySans-Bold: which one is drawn shows.
    static_cut(folder / "vary" / FILE, 400, folder / "static" / "VarySans-Bold.ttf", "Bold")
    lib = FontLibrary(folder)
    font = lib.get("VarySans-Bold", "x")
    assert font.path.name == "VarySans-Bold.ttf" and font.coords == {}
    assert lib.get("VarySansPS-Bold", "x").coords == {"wght": 700.0}  # the instance keeps its other name


@pytest.mark.parametrize("outlines", ["glyf", "CFF2"])
def test_an_instance_is_drawn_and_measured_as_fonttools_static_instance_of_it(outlines, fonts, tmp_path):
    """Outlines (fontTools' glyph set at the location), advances (HarfBuzz set_variations) and ink
    bounds: equal to those of the static font fontTools' instancer makes of the same instance, and
    to HarfBuzz's own extents at the coordinates. TrueType (gvar) and PostScript (CFF2) outlines."""
    if outlines == "CFF2":
        fonts = tmp_path / "fonts"
        (fonts / "vary").mkdir(parents=True)
        built = variable_font(cff=True)
        assert "CFF2" in built and "glyf" not in built
        built.save(fonts / "vary" / FILE)
    lib = FontLibrary(fonts)
    for weight, style in ((400, "Regular"), (700, "Bold"), (550, "Medium")):
        cut = static_cut(fonts / "vary" / FILE, weight, tmp_path / f"cut{weight}" / "c.ttf", style)
        theirs = FontLibrary(cut.parent).get("c", "x")
        # No Medium instance: a designer's text at 550 is drawn at wght 550.
        name = lib.match(["Vary Sans"], weight, False)[0] if style == "Medium" else f"VarySans-{style}"
        ours = lib.get(name, "x")
        assert [g.x_advance for g in ours.shape("HIO H")] == [g.x_advance for g in theirs.shape("HIO H")]
        for gid in range(1, 5):
            assert ours.glyph_outline(gid, 0.05) == theirs.glyph_outline(gid, 0.05), (style, gid)
            assert ours.glyph_bounds(gid) == theirs.glyph_bounds(gid)
        # HarfBuzz's own reading of the variations (its gvar code, not fontTools'): the same ink boxes.
        hb_font = hb.Font(hb.Face(hb.Blob((fonts / "vary" / FILE).read_bytes())))
        hb_font.set_variations({"wght": weight})
        for gid in range(2, 5):
            e = hb_font.get_glyph_extents(gid)
            box = (e.x_bearing, e.y_bearing + e.height, e.x_bearing + e.width, e.y_bearing)
            assert box == ours.glyph_bounds(gid), (style, gid)
    regular, bold = lib.get("VarySans-Regular", "x"), lib.get("VarySans-Bold", "x")
    assert regular.glyph_bounds(2)[2] + 140 == bold.glyph_bounds(2)[2]  # the stems' widths differ by 140
    assert sum(g.x_advance for g in bold.shape("HIO")) - sum(g.x_advance for g in regular.shape("HIO")) == 3 * 140


def test_an_instance_takes_its_cap_height_and_x_height_from_mvar(tmp_path):
    """An instance's vertical metrics are the default's moved by the font's MVAR (HarfBuzz reads it)."""
    doc_font = variable_font()
    assert "MVAR" not in doc_font  # same cap height in both masters: no MVAR, the default's
    folder = tmp_path / "fonts"
    folder.mkdir()
    doc_font.save(folder / FILE)
    assert FontLibrary(folder).get("VarySans-Bold", "x").cap_height == 700
    # Masters whose cap heights differ: varLib writes MVAR; the Bold instance has the Bold master's.
    built = variable_font(cap_heights={700: 740})
    assert "MVAR" in built
    built.save(folder / FILE)
    lib = FontLibrary(folder)
    assert lib.get("VarySans-Bold", "x").cap_height == pytest.approx(740)
    assert lib.get(FILE[:-4], "x").cap_height == 700


def test_an_italic_instance_and_a_web_font_wrapping_a_variable_font(tmp_path):
    folder = tmp_path / "fonts"
    folder.mkdir()
    font = variable_font(instances=((400, "Regular"), (700, "Bold"), (600, "SemiBold Italic")))
    font.flavor = "woff2"
    font.save(folder / "VarySans.woff2")
    lib = FontLibrary(folder)
    assert {"VarySans-SemiBoldItalic", "VarySansPS-SemiBoldItalic"} <= set(lib.names())
    assert lib.match(["Vary Sans"], 600, True)[0] == "VarySans-SemiBoldItalic"
    assert lib.match(["Vary Sans"], 600, False)[0] == "VarySans@wght=600"  # upright: the file's default, at 600
    semibold = lib.get("VarySans-SemiBoldItalic", "x")
    assert semibold.coords == {"wght": 600.0} and semibold.glyph_bounds(2)[2] == pytest.approx(50 + 80 + 140 * 2 / 3)


# --- a designer's text, against rsvg-convert given the variable font through fontconfig --------

TEXT = (
    '<text x="20" y="120" style="font-family:\'Vary Sans\';font-size:90px;font-weight:{};fill:#ff0000">HIOH IO</text>'
    '<text x="20" y="250" style="font-family:\'Vary Sans\';font-size:90px;fill:#0000ff">HIOH IO</text>'
)


def engine(raw: bytes, fonts: Path) -> np.ndarray:
    tree = parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(fonts))
    assert not [el for el in tree.root.iter() if el.tag.endswith("}text")]
    return pixels(cairosvg.svg2png(bytestring=ET.tostring(tree.root), output_width=W, output_height=H))


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="install-system-deps.sh installs it")
@pytest.mark.parametrize("weight", [700, 550])
def test_designer_text_is_drawn_at_its_weight_as_rsvg_convert_draws_the_variable_font(weight, fonts, tmp_path):
    """700 is the Bold instance; 550, between the named ones, is drawn at wght 550 (as rsvg-convert,
    through fontconfig and Pango, and browsers draw it)."""
    raw = (HEAD + TEXT.format(weight) + "</svg>").encode()
    used = parse_svg_tree(raw, "visuals/x.svg", "a visual", FontLibrary(fonts)).fonts
    assert list(used) == [fonts / "vary" / FILE]  # an instance is its file, for the job's key
    ours = engine(raw, fonts)
    run = subprocess.run(
        ["rsvg-convert", "-w", str(W), "-h", str(H)],
        input=raw,
        capture_output=True,
        check=True,
        env=fontconfig(tmp_path, fonts),
    )
    theirs = pixels(run.stdout)
    assert_same_ink(ours, theirs, colours=("red", "blue"), tolerance=2)
    red, blue = (ours == (255, 0, 0)).all(axis=2).sum(), (ours == (0, 0, 255)).all(axis=2).sum()
    assert red > (1.5 if weight == 700 else 1.2) * blue  # the heavier text is drawn heavier
    same = np.abs(ink_count(ours, 0) - ink_count(theirs, 0)) / ink_count(theirs, 0)
    assert same < 0.02, same  # as much ink as rsvg-convert's: the same weight, not the nearest named


def ink_count(image: np.ndarray, channel: int) -> int:
    other = 2 - channel
    return int(((image[:, :, channel] > 128) & (image[:, :, other] < 128)).sum())


# --- through the whole build: a layout slot naming an instance, and its key ---------------------


def build(project: Path, out: str = "build") -> Path:
    result = run_cli("build", "-p", "choc-cobalt", "-f", "a3", "-j", "1", "-o", out, cwd=project)
    assert result.returncode == 0, result.stderr
    return project / out / "choc-cobalt" / "a3.pdf"


def test_a_slot_naming_an_instance_prints_as_its_static_cut_and_a_new_font_file_rebuilds_it(project, tmp_path):
    """Every slot of choc.svg set in `VarySans-Bold`, with only the variable font: the PDF is the one
    printed with fontTools' static Bold cut in its place; the variable font changed, it is redrawn."""
    layout = project / "layouts" / "choc.svg"
    import re

    layout.write_text(re.sub(r'data-font="[^"]*"', 'data-font="VarySans-Bold"', layout.read_text(encoding="utf-8")))
    vary = project / "fonts" / "vary"
    vary.mkdir()
    variable_font().save(vary / FILE)
    pdf = build(project)
    drawn = poster_pixels(pdf, tmp_path)
    assert "0 built" in run_cli("build", "-p", "choc-cobalt", "-f", "a3", "-j", "1", cwd=project).stdout
    # The variable font file changes (a heavier Bold master): the poster is redrawn, with more ink.
    variable_font(stems={400: 80, 700: 300}).save(vary / FILE)
    result = run_cli("build", "-p", "choc-cobalt", "-f", "a3", "-j", "1", cwd=project)
    assert "1 built" in result.stdout + result.stderr
    heavier = poster_pixels(pdf, tmp_path)
    assert (heavier < 128).sum() != (drawn < 128).sum()
    # fontTools' static Bold cut in place of the variable font: the same poster.
    variable_font().save(tmp_path / FILE)
    (vary / FILE).unlink()
    static_cut(tmp_path / FILE, 700, vary / "VarySans-Bold.ttf", "Bold")
    static = poster_pixels(build(project, "static"), tmp_path)
    assert np.abs(static - drawn).max() <= 8, np.abs(static - drawn).max()
    # The Regular instance differs from it.
    (vary / "VarySans-Bold.ttf").unlink()
    variable_font().save(vary / FILE)
    layout.write_text(layout.read_text(encoding="utf-8").replace("VarySans-Bold", "VarySans-Regular"))
    regular = poster_pixels(build(project, "regular"), tmp_path)
    assert (np.abs(regular - drawn) > 64).sum() > 100


def test_the_fonts_listing_a_job_records_names_the_instances(project):
    """Adding a variable font that brings a cut (a heavier one for strong text) changes the listing
    every job's key holds, as adding that cut's static file does."""
    from poster_engine.project.loader import open_project
    from poster_engine.render.keys import _listing

    variable_font().save(project / "fonts" / FILE)
    listing = _listing(open_project(project), "fonts")
    assert {"VarySans-Bold", "VarySansPS-Bold", "Inter-Bold"} <= set(listing)


# --- limits and hostile files ----------------------------------------------------------------


def test_thousands_of_named_instances_are_listed_up_to_the_limit_and_the_rest_said(tmp_path):
    folder = tmp_path / "fonts"
    folder.mkdir()
    font = variable_font()
    fvar = font["fvar"]
    template = fvar.instances[1]
    for k in range(MAX_FONT_INSTANCES + 500):
        copy = type(template)()
        copy.subfamilyNameID = font["name"].addName(f"W{k}")
        copy.postscriptNameID = 0xFFFF
        copy.coordinates = {"wght": 400 + k % 300}
        copy.flags = 0
        fvar.instances.append(copy)
    font.save(folder / FILE)
    lib = FontLibrary(folder)
    assert "VarySans-W0" in lib.names() and f"VarySans-W{MAX_FONT_INSTANCES}" not in lib.names()
    with pytest.raises(PosterError) as said:
        lib.get(f"VarySans-W{MAX_FONT_INSTANCES}", "layouts/x.svg", 4)
    assert f"only its first {MAX_FONT_INSTANCES} named instances are listed" in str(said.value)


def test_a_variable_font_of_more_axes_than_read_lists_no_instance_and_says_why(tmp_path):
    from fontTools.ttLib.tables._f_v_a_r import Axis

    folder = tmp_path / "fonts"
    folder.mkdir()
    font = variable_font()
    del font["HVAR"]  # its regions name one axis: left out rather than rebuilt for the new ones
    for k in range(MAX_FONT_AXES):
        axis = Axis()
        axis.axisTag, axis.axisNameID = f"X{k:03d}", 256
        axis.minValue, axis.defaultValue, axis.maxValue = 0, 0, 1
        font["fvar"].axes.append(axis)
        for instance in font["fvar"].instances:
            instance.coordinates[axis.axisTag] = 0
    font.save(folder / FILE)
    lib = FontLibrary(folder)
    assert lib.names() == [FILE[:-4]]
    with pytest.raises(PosterError) as said:
        lib.get("VarySans-Bold", "x")
    assert f"has {MAX_FONT_AXES + 1} axes, more than the {MAX_FONT_AXES} read" in str(said.value)


def test_absurd_coordinates_are_clamped_and_an_unnamed_instance_is_not_listed(tmp_path):
    folder = tmp_path / "fonts"
    folder.mkdir()
    font = variable_font()
    fvar = font["fvar"]
    fvar.instances[1].coordinates = {"wght": 30000.0, "XXXX": 5.0}
    fvar.instances[0].subfamilyNameID = 999  # a name ID the name table lacks
    font.save(folder / FILE)
    lib = FontLibrary(folder)
    assert "VarySans-Regular" not in lib.names()
    bold = lib.get("VarySans-Bold", "x")
    assert bold.coords == {"wght": 700.0}
    assert bold.glyph_bounds(2)[2] == 50 + 220  # the 700 master's stem: the axis's maximum


@pytest.mark.parametrize("broken", ["fvar", "fvar-offset", "gvar"])
def test_a_broken_variation_table_is_a_located_error_never_a_traceback(broken, tmp_path):
    folder = tmp_path / "fonts"
    folder.mkdir()
    variable_font().save(folder / FILE)
    font = TTFont(folder / FILE)
    data = bytearray((folder / FILE).read_bytes())
    entry = font.reader.tables[broken[:4]]
    if broken == "fvar-offset":  # its axes said to start past its end
        data[entry.offset + 4 : entry.offset + 6] = b"\xff\xff"
    else:
        data[entry.offset + 4 : entry.offset + entry.length] = b"\xff" * (entry.length - 4)
    (folder / FILE).write_bytes(bytes(data))
    lib = FontLibrary(folder)
    with pytest.raises(PosterError) as said:
        font = lib.get("VarySans-Bold", "layouts/x.svg", 7)
        for gid in range(1, 5):
            font.glyph_outline(gid, 1.0)
    message = str(said.value)
    if broken.startswith("fvar"):  # the instances are not listed, and the message says why
        assert "is not in fonts/" in message and FILE in message
        assert "(fvar) has 65535 axes" in message or "named instances cannot be read" in message
    else:  # the outlines at the instance cannot be made: the file is said unusable
        assert "not a usable OpenType font" in message and FILE in said.value.diagnostics[0].where
