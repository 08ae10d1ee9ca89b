"""Hostile inputs: text is drawn literally, layouts and visuals reach nothing outside themselves,
XML cannot expand or read files, links are http(s) only. Each refusal is one located line."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_bad_inputs import run_inprocess

from poster_engine.compose.document import compose
from poster_engine.core.diagnostics import PosterError
from poster_engine.core.formats import FORMATS
from poster_engine.project.content import load_campaign
from poster_engine.project.loader import open_project

HOSTILE = "<b>&amp; ]]> \"quoted\" 'single' <!-- x --> &lt;"


def _yaml_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_hostile_text_is_drawn_literally(scratch):
    # In the poster's title (written into the SVG <title> and the PDF's metadata) and in a message
    # (drawn as glyph outlines).
    poster = scratch / "posters" / "choc-cobalt.yaml"
    lines = poster.read_text().splitlines()
    lines[0] = f"title: {_yaml_quoted(HOSTILE)}"
    poster.write_text("\n".join(lines) + "\n")
    messages = scratch / "messages.yaml"
    messages.write_text(
        messages.read_text().replace(
            '"Le cobalt de nos batteries passe par des *mains d\'enfants*."', _yaml_quoted('a < b & c ]]> "d"')
        )
    )
    opened = open_project(scratch)
    comp = compose(opened, opened.campaign.posters["choc-cobalt"], FORMATS["instagram"])
    root = ET.fromstring(comp.svg)  # still well-formed XML
    assert root.find("{http://www.w3.org/2000/svg}title").text == HOSTILE
    assert comp.blocks["message"].text == 'a < b & c ]]> "d"'  # drawn as outlines, never parsed
    assert sum(1 for _ in root.iter("{http://www.w3.org/2000/svg}script")) == 0


def test_hostile_title_reaches_the_pdf_literally(scratch, capsys):
    import pikepdf

    poster = scratch / "posters" / "stat-cobalt.yaml"
    lines = poster.read_text().splitlines()
    lines[0] = f"title: {_yaml_quoted(HOSTILE)}"
    poster.write_text("\n".join(lines) + "\n")
    code, err = run_inprocess(("render", "stat-cobalt", "-f", "a3"), scratch, capsys)
    assert code == 0, err
    with pikepdf.open(scratch / "build" / "stat-cobalt" / "a3.pdf") as pdf:
        assert str(pdf.docinfo["/Title"]) == HOSTILE
        with pdf.open_metadata() as meta:
            assert meta["dc:title"] == HOSTILE


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 297 420">'
SLOT = (
    '<rect id="message" x="10" y="10" width="200" height="50" data-slot="text" data-text="{message}" '
    'data-size-min="5" data-size-max="10"/>'
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    f"{SVG_HEAD}<text>&lol2;</text>{SLOT}</svg>"
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f"{SVG_HEAD}<text>&xxe;</text>{SLOT}</svg>"
)


def _svg(body: str) -> str:
    return f"{SVG_HEAD}\n{SLOT}\n{body}\n</svg>"


ENTITIES_REFUSED = (
    "{f}: refused SVG: EntitiesForbidden (DTDs and entities can expand or read files); "
    "remove the <!DOCTYPE> and entities"
)


def _external(ref: str) -> str:
    return f"{{f}}:3: external reference '{ref}' is not allowed in {{what}} (no files, no network); embed the content or remove it"


REFUSED_SVG = [
    ("parent-path", _svg('<image href="../secret.png" width="1" height="1"/>'), _external("../secret.png")),
    ("absolute-path", _svg('<image xlink:href="/etc/passwd" width="1" height="1"/>'), _external("/etc/passwd")),
    ("file-url", _svg('<use href="file:///etc/passwd#x"/>'), _external("file:///etc/passwd#x")),
    (
        "network",
        _svg('<image href="https://tracker.example/p.png" width="1" height="1"/>'),
        _external("https://tracker.example/p.png"),
    ),
    (
        "css-url",
        _svg('<rect width="5" height="5" style="fill:url(http://evil.example/x.svg#p)"/>'),
        "{f}:3: attribute 'style' references something outside the document ('fill:url(http://evil.example/x.svg#p)'); "
        "only url(#id) is allowed in {what}",
    ),
    (
        "css-import",
        _svg('<style>@import "https://evil.example/a.css";</style>'),
        "{f}:3: <style> references something outside the document (url(...) or @import); only url(#id) is allowed "
        "in {what}",
    ),
    ("script", _svg("<script>alert(1)</script>"), "{f}:3: <script> is not allowed in {what}; remove it"),
    (
        "foreign-object",
        _svg('<foreignObject width="9" height="9"><p>x</p></foreignObject>'),
        "{f}:3: <foreignObject> is not allowed in {what}; remove it",
    ),
    ("billion-laughs", BILLION_LAUGHS, ENTITIES_REFUSED),
    ("xxe", XXE, ENTITIES_REFUSED),
    # Plain-text entities declared in the file are read (Illustrator's namespaces), within bounds:
    (  # each reference small, but 20 000 of a 1 KB text would expand past the file-size limit
        "quadratic-blowup",
        f'<!DOCTYPE svg [<!ENTITY a "{"a" * 1024}">]>\n{SVG_HEAD}<text>{"&a;" * 20000}</text>{SLOT}</svg>',
        ENTITIES_REFUSED,
    ),
    ("parameter-entity", f'<!DOCTYPE svg [<!ENTITY % p "x">]>\n{SVG_HEAD}{SLOT}</svg>', ENTITIES_REFUSED),
    (
        "entity-with-markup",
        f"<!DOCTYPE svg [<!ENTITY m \"<image href='/etc/passwd'/>\">]>\n{SVG_HEAD}&m;{SLOT}</svg>",
        ENTITIES_REFUSED,
    ),
]


@pytest.mark.parametrize("target", ["layout", "visual"])
@pytest.mark.parametrize("case, svg, expected", REFUSED_SVG, ids=[c[0] for c in REFUSED_SVG])
def test_svg_cannot_reach_outside(scratch, capsys, target, case, svg, expected):
    (scratch / "secret.png").write_bytes(b"not for posters")
    file = "layouts/stat.svg" if target == "layout" else "visuals/mine.svg"
    (scratch / file).write_text(svg)
    poster = "stat-cobalt" if target == "layout" else "choc-cobalt"
    code, err = run_inprocess(("render", poster, "-f", "instagram"), scratch, capsys)
    assert code == 2 and "Traceback" not in err
    what = "a layout" if target == "layout" else "a visual"
    assert err.splitlines() == ["error: " + expected.format(f=file, what=what)]
    assert not (scratch / "build").exists()


def test_a_fragment_and_an_embedded_image_are_allowed(scratch, capsys):
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    body = (
        f'<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
        f'<rect width="5" height="5" style="fill:url(#g)"/><use href="#g"/>'
        f'<image href="{png}" width="1" height="1"/>'
    )
    (scratch / "visuals" / "mine.svg").write_text(_svg(body))
    code, err = run_inprocess(("render", "choc-cobalt", "-f", "instagram"), scratch, capsys)
    assert code == 0, err


@pytest.mark.parametrize(
    "visual, expected",
    [
        ("../secret.png", "visual '../secret.png' is outside the project; put it in visuals/"),
        ("/etc/passwd", "visual '/etc/passwd' is outside the project; put it in visuals/"),
        ("visuals/../../secret.png", "visual 'visuals/../../secret.png' is outside the project; put it in visuals/"),
    ],
)
def test_poster_visual_stays_inside_the_project(scratch, capsys, visual, expected):
    poster = scratch / "posters" / "choc-cobalt.yaml"
    poster.write_text(poster.read_text().replace("visuals/mine.svg", visual))
    code, err = run_inprocess(("render", "choc-cobalt", "-f", "instagram"), scratch, capsys)
    assert code == 2
    assert err.splitlines() == [f"error: posters/choc-cobalt.yaml:6: {expected}"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://films.example/x",
        "data:text/html,<script>",
        "//evil.example/x",
        "https:///nohost",
    ],
)
def test_links_are_http_only(scratch, url):
    messages = scratch / "messages.yaml"
    messages.write_text(messages.read_text().replace("https://example.org/numerique-en-lumiere/programmation", url, 1))
    with pytest.raises(PosterError) as exc:
        load_campaign(scratch)
    (diag,) = exc.value.diagnostics
    assert diag.message == "'campaign.url': must be an http:// or https:// address"
    assert diag.file == "messages.yaml" and diag.line == 20


def test_cairosvg_unsafe_mode_stays_off():
    # The export is the only code that calls cairosvg; it must never pass unsafe=True (which would
    # let cairosvg resolve external files and entities).
    export = Path(__file__).resolve().parents[1] / "poster_engine" / "export"
    sources = "".join(p.read_text() for p in export.rglob("*.py"))
    assert "unsafe=True" not in sources
