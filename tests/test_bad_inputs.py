"""The bad-input corpus: every way an author can break a project gives one located line, exit 2,
no traceback and nothing in build/. Each case is an edit of a scratch copy of the demo, a command,
and the exact line expected (`{line:TEXT}` stands for the line of TEXT in the edited file)."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import main_exit_code

CMD = ("render", "choc-cobalt", "-f", "instagram")


@dataclass(frozen=True)
class Case:
    id: str
    edit: Callable[[Path], None]
    expected: str
    args: tuple[str, ...] = CMD


def replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / file
        text = path.read_text(encoding="utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def write(file: str, data: str | bytes) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return edit


def web_font_bomb(file: str, flavor: str) -> Callable[[Path], None]:
    """`file` (an .otf) replaced by a web font of it whose packed data unpacks to 100 MB, far more
    than its directory declares: WOFF2's one Brotli stream, or the last table of a WOFF (zlib)."""

    def edit(project: Path) -> None:
        import io

        import brotli
        from fontTools.ttLib import TTFont

        source = project / file
        font = TTFont(source)
        font.flavor = flavor
        packed = io.BytesIO()
        font.save(packed)
        data = bytearray(packed.getvalue())
        if flavor == "woff2":  # the stream ends the file: find where it starts by reading it
            length = struct.unpack_from(">I", data, 20)[0]
            start = next(a for a in range(len(data) - length, 47, -1) if _brotli_reads(bytes(data[a : a + length])))
            bomb = brotli.compress(bytes(100_000_000), quality=5)
            data = data[:start] + bomb
            struct.pack_into(">I", data, 20, len(bomb))
        else:  # the entry whose data comes last: its data replaced, its declared size kept
            count = struct.unpack_from(">H", data, 12)[0]
            last = max(range(count), key=lambda i: struct.unpack_from(">I", data, 44 + 20 * i + 4)[0])
            offset = struct.unpack_from(">I", data, 44 + 20 * last + 4)[0]
            bomb = zlib.compress(bytes(100_000_000), 9)
            data = data[:offset] + bomb
            # Declared: packed smaller than unpacked, as fontTools requires, and far below 100 MB.
            struct.pack_into(">II", data, 44 + 20 * last + 8, len(bomb), 2 * len(bomb))
        struct.pack_into(">I", data, 8, len(data))
        source.unlink()
        source.with_suffix("." + flavor).write_bytes(bytes(data))

    return edit


def _brotli_reads(data: bytes) -> bool:
    import brotli

    try:
        brotli.decompress(data)
        return True
    except brotli.error:
        return False


def garble_table(file: str, tag: str) -> Callable[[Path], None]:
    """Overwrite one table of a font file with 0xFF bytes, its table directory left intact."""

    def edit(project: Path) -> None:
        from fontTools.ttLib import TTFont

        path = project / file
        data = bytearray(path.read_bytes())
        entry = TTFont(path, lazy=True).reader.tables[tag]
        data[entry.offset : entry.offset + entry.length] = b"\xff" * entry.length
        path.write_bytes(bytes(data))

    return edit


def delete(file: str) -> Callable[[Path], None]:
    return lambda project: (project / file).unlink()


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels: Pillow must refuse it before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


CHOC = "posters/choc-cobalt.yaml"
FILM = ("render", "film-sang-et-boue", "-f", "instagram")
MINIMAL_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 297 420">{}</svg>'
SLOT = '<rect id="{}" x="0" y="0" width="10" height="10" data-slot="text" data-text="x" data-size-min="1"/>'

CASES = [
    # --- YAML syntax and encoding
    Case(
        "malformed-yaml",
        replace(CHOC, "stat: enfants-cobalt", "stat: [enfants-cobalt"),
        "error: posters/choc-cobalt.yaml:5: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence on line 4)",
    ),
    Case(
        "tab-indentation",
        replace("messages.yaml", "  name:", "\tname:"),
        "error: messages.yaml:{line:messages.yaml:name: Numérique en lumière}: invalid YAML: found character '\\t' that cannot start any token",
    ),
    Case(
        "unquoted-yes-as-a-title",  # YAML 1.1's "Norway problem": no, yes, on, off are booleans
        replace("messages.yaml", "title: The Cleaners", "title: no"),
        "error: messages.yaml:56: 'films.the-cleaners.title': must be a text, or one text per language such as "
        "{fr: …, en: …}; YAML reads an unquoted yes, no, on, off, true or false as true/false: put the text in quotes",
    ),
    Case(
        "unquoted-number-as-a-title",
        replace("messages.yaml", "title: The Cleaners", "title: 1984"),
        "error: messages.yaml:56: 'films.the-cleaners.title': must be a text, or one text per language such as "
        '{fr: …, en: …}; YAML read 1984 as a number: put the text in quotes ("1984")',
    ),
    Case(
        "top-level-list",
        write(CHOC, "- layout: choc\n"),
        "error: posters/choc-cobalt.yaml:1: expected a mapping of keys (key: value) at the top level",
    ),
    Case(
        "empty-poster-file",
        write(CHOC, ""),
        "error: posters/choc-cobalt.yaml:1: expected a mapping of keys (key: value) at the top level",
    ),
    Case(
        "non-utf8-messages",
        lambda p: (p / "messages.yaml").write_bytes(
            (p / "messages.yaml").read_bytes().replace(b"  name:", b"  name: caf\xe9 #", 1)
        ),
        "error: messages.yaml:{line:messages.yaml:name: caf� # Numérique en lumière}: not valid UTF-8 text; save the file as UTF-8",
    ),
    Case(
        "missing-messages",
        delete("messages.yaml"),
        "error: {project}/messages.yaml: not found; run from a project folder or pass --project",
    ),
    Case(
        "duplicate-key",
        replace(CHOC, "layout: choc", "layout: choc\nlayout: stat"),
        "error: posters/choc-cobalt.yaml:3: key 'layout' is given twice (also on line 2); keep one",
    ),
    Case(  # two spellings of one language code: the dictionary kept the last text without a word
        "one-language-spelled-twice",
        replace(CHOC, "title: {fr:", 'title: {pt_BR: "O cobalto", pt-BR: "O cobalto!", fr:'),
        "error: posters/choc-cobalt.yaml:1: 'title': keys 'pt_BR' and 'pt-BR' name the same language (pt-BR), so one "
        "of the two texts would be lost; keep one",
    ),
    # --- wrong types and values
    Case(
        "layout-not-a-name",
        replace(CHOC, "layout: choc", "layout: 42"),
        "error: posters/choc-cobalt.yaml:2: 'layout': must be a text; YAML read 42 as a number: put the text in quotes "
        '("42")',
    ),
    Case(
        "unknown-layout-family",
        replace(CHOC, "layout: choc", "layout: choque"),
        "error: posters/choc-cobalt.yaml:2: unknown layout 'choque' (did you mean 'choc'?); a layout is a file layouts/<name>.svg",
    ),
    Case(
        "focus-not-numbers",
        replace(CHOC, "focus: [0.5, 0.75]", "focus: center"),
        "error: posters/choc-cobalt.yaml:12: 'focus': must be a list, e.g. [a, b]",
    ),
    Case(
        "focus-out-of-range",
        replace(CHOC, "focus: [0.5, 0.75]", "focus: [2, 0.5]"),
        "error: posters/choc-cobalt.yaml:12: focus must be two numbers between 0 and 1 (x, y of the point to keep in view)",
    ),
    Case(
        "formats-not-a-list",
        replace(CHOC, "formats: [a3, instagram]", "formats: {a3: yes}"),
        "error: posters/choc-cobalt.yaml:11: 'formats': must be a list, e.g. [a, b]",
    ),
    Case(
        "stat-value-text",
        replace("messages.yaml", "    value: 40000", "    value: beaucoup"),
        "error: messages.yaml:{line:messages.yaml:value: beaucoup}: 'stats.enfants-cobalt.value': must be a whole number",
    ),
    Case(
        "quote-out-of-range",
        replace("posters/film-ma-femme-a-du-credit.yaml", "quote: 8", "quote: 80"),
        "error: posters/film-ma-femme-a-du-credit.yaml:5: quote 80 does not exist: film 'ma-femme-a-du-credit' has 10 quote(s)",
        ("render", "film-ma-femme-a-du-credit", "-f", "instagram"),
    ),
    Case(
        "bad-colour-hex",
        replace(CHOC, '"#111418"', '"#11141"'),
        "error: posters/choc-cobalt.yaml:8: 'colors.background': must be a colour like '#1A2B3C'",
    ),
    Case(
        "bad-colour-name",
        replace(CHOC, 'text: "#FFFFFF"', "text: white"),
        "error: posters/choc-cobalt.yaml:9: 'colors.text': must be a colour like '#1A2B3C'",
    ),
    Case(
        "empty-message",
        replace("messages.yaml", '"Le cobalt de nos batteries passe par des *mains d\'enfants*."', '""'),
        "error: messages.yaml:{line:messages.yaml:fr: \"\"}: 'messages.cobalt-enfance.text.fr': must not be empty",
    ),
    Case(
        "blank-message",
        replace("messages.yaml", '"Le cobalt de nos batteries passe par des *mains d\'enfants*."', '"   "'),
        "error: messages.yaml:{line:messages.yaml:fr: \"   \"}: 'messages.cobalt-enfance.text.fr': must not be empty",
    ),
    Case(
        "10000-character-message",
        replace("messages.yaml", "passe par des *mains d'enfants*.", "ab " * 3333 + "c"),
        "error: posters/choc-cobalt.yaml:3: text \"Le cobalt de nos batteries ab ab ab ab…\" does not fit slot 'message' of layouts/choc.svg at format instagram, even at the minimum size 10: needs 176 lines, 4 allowed; shorten the text or lower the slot's data-size-min",
    ),
    Case(
        "unclosed-markup",
        replace("messages.yaml", "*mains d'enfants*.", "*mains d'enfants."),
        "error: messages.yaml:{line:messages.yaml:fr: \"Le cobalt de nos batteries passe par des *mains d'enfants.\"}: 'messages.cobalt-enfance.text.fr': '*' opened and never closed; close it, or type \\* for an asterisk",
    ),
    # --- unknown keys, with a suggestion
    Case(
        "unknown-poster-key",
        replace(CHOC, "visual:", "visuel:"),
        "error: posters/choc-cobalt.yaml:6: unknown key 'visuel' (did you mean 'visual'?)",
    ),
    Case(
        "unknown-colour-key",
        replace(CHOC, "background:", "backgroud:"),
        "error: posters/choc-cobalt.yaml:8: unknown key 'backgroud' (did you mean 'background'?)",
    ),
    Case(
        "unknown-film-key",
        replace("messages.yaml", "    synopsis:", "    synopsys:"),
        "error: messages.yaml:{line:messages.yaml:synopsys:}: unknown key 'synopsys' (did you mean 'synopsis'?)",
    ),
    Case("missing-key", replace(CHOC, "layout: choc\n", ""), "error: posters/choc-cobalt.yaml:1: missing key 'layout'"),
    Case(
        "family-needs-a-key",
        replace(CHOC, "stat: enfants-cobalt\n", ""),
        "error: posters/choc-cobalt.yaml:2: layout 'choc' shows {stat.value} in slot 'stat-value' (layouts/choc.svg:39), so this poster needs a 'stat' key; add it, or make the slot optional in the layout",
    ),
    # --- unknown ids and names
    Case(
        "unknown-stat",
        replace(CHOC, "stat: enfants-cobalt", "stat: enfant-cobalt"),
        "error: posters/choc-cobalt.yaml:4: stat 'enfant-cobalt' is not defined in messages.yaml (did you mean 'enfants-cobalt'?)",
    ),
    Case(
        "unknown-film",
        replace(CHOC, "film: sang-et-boue", "film: sang-boue"),
        "error: posters/choc-cobalt.yaml:5: film 'sang-boue' is not defined in messages.yaml (did you mean 'sang-et-boue'?)",
    ),
    Case(
        "unknown-poster",
        lambda p: None,
        "error: unknown poster 'choc-coblat' (did you mean 'choc-cobalt'?)",
        ("render", "choc-coblat"),
    ),
    Case(
        "unknown-format-option",
        lambda p: None,
        "error: unknown format 'a5' (known: 120x176, 40x60, 60x80, a0, a1, a2, a3, a4, …)",
        ("render", "choc-cobalt", "-f", "a5"),
    ),
    Case(
        "unknown-format-in-file",
        replace(CHOC, "formats: [a3, instagram]", "formats: [a3, instagarm]"),
        "error: posters/choc-cobalt.yaml:11: unknown format 'instagarm' (did you mean 'instagram'?)",
    ),
    Case(
        "unknown-print-profile",
        lambda p: None,
        "error: unknown print profile 'fogra93' (did you mean 'fogra39'?)",
        ("render", "choc-cobalt", "-P", "fogra93"),
    ),
    Case(
        "unknown-language",
        lambda p: None,
        "error: --lang xx: unknown language 'xx'; any CLDR language code works (e.g. pl, sv, cs, el, pt-BR), and fr, en, de, es, it, nl, pt have house rules",
        CMD + ("--lang", "xx"),
    ),
    Case(
        "unknown-label",
        replace("layouts/choc.svg", "{label.see_film}", "{label.see_movie}"),
        "error: layouts/choc.svg:54: slot 'qr-caption': {label.see_movie} is not in messages.yaml's labels (did you mean 'label.see_film'?); add it under labels:",
        ("render", "choc-cobalt", "-f", "a3"),
    ),  # the QR caption is drawn where links are codes
    # --- poster ids: the file name is the id
    Case(
        "upper-case-poster-id",
        lambda p: (p / CHOC).rename(p / "posters" / "Choc-Cobalt.yaml"),
        "error: posters/Choc-Cobalt.yaml: poster file names must be lower-case letters, digits and '-' (the name is the poster's id); rename the file",
        ("check",),
    ),
    Case(
        "yml-twin-of-a-poster",
        lambda p: shutil.copy(p / CHOC, p / "posters" / "choc-cobalt.yml"),
        "error: posters/choc-cobalt.yml: poster files end in .yaml; rename it to choc-cobalt.yaml (that name is taken: merge the two)",
        ("check",),
    ),
    # --- files
    Case(
        "missing-visual",
        replace(CHOC, "visuals/mine.svg", "visuals/mines.svg"),
        "error: posters/choc-cobalt.yaml:6: visual file 'visuals/mines.svg' not found",
    ),
    Case(
        "visual-wrong-type",
        lambda p: (write("visuals/mine.gif", b"GIF89a")(p), replace(CHOC, "visuals/mine.svg", "visuals/mine.gif")(p)),
        "error: posters/choc-cobalt.yaml:6: visual 'visuals/mine.gif' must be .svg, .png, .jpg, .webp or .tif",
    ),
    Case(
        "missing-layout",
        delete("layouts/choc.svg"),
        "error: posters/choc-cobalt.yaml:2: layout 'choc' has variants but no layouts/choc.svg; every layout needs its portrait template layouts/<name>.svg",
    ),
    Case(
        "zero-byte-font",
        lambda p: (delete("fonts/inter/Inter-Black.otf")(p), write("fonts/inter/Inter-Black.ttf", b"")(p)),
        "error: fonts/inter/Inter-Black.ttf: font file is not a usable OpenType font (empty file); replace it",
    ),
    Case(
        "font-outlines-garbled",  # header and character map intact: the outlines are read when first drawn
        garble_table("fonts/inter/InterDisplay-Black.otf", "CFF "),
        "error: fonts/inter/InterDisplay-Black.otf: font file is not a usable OpenType font (Invalid CFF 'major' version: expected 1, found 255); replace it",
    ),
    Case(
        "web-font-claiming-gigabytes",  # the size a WOFF2 declares is read before anything is unpacked
        lambda p: (
            delete("fonts/inter/Inter-Black.otf")(p),
            write("fonts/inter/Inter-Black.woff2", b"wOF2OTTO" + bytes(8) + (2**31).to_bytes(4, "big") + bytes(28))(p),
        ),
        "error: fonts/inter/Inter-Black.woff2: web font unpacks to 2,147,483,648 bytes, more than the 64 MiB allowed for a font (README, Limits); use a subset of the family",
    ),
    Case(
        "woff2-unpacking-to-100-mb",  # stopped at the 64 MiB a font may have, not unpacked whole first
        web_font_bomb("fonts/inter/Inter-Black.otf", "woff2"),
        "error: fonts/inter/Inter-Black.woff2: font file is not a usable OpenType font (unpacks to more than the 64 MiB allowed for a font); replace it",
    ),
    Case(
        "woff-table-unpacking-to-100-mb",
        web_font_bomb("fonts/inter/Inter-Black.otf", "woff"),
        "error: fonts/inter/Inter-Black.woff: font file is not a usable OpenType font (a table unpacks to more than the size it declares); replace it",
    ),
    Case(
        "font-cmap-garbled",
        garble_table("fonts/inter/Inter-Black.otf", "cmap"),
        "error: fonts/inter/Inter-Black.otf: font file is not a usable OpenType font (no Unicode character map); replace it",
    ),
    Case(
        "inkscape-0.92-flowed-text",
        replace(
            "layouts/choc.svg",
            "</svg>",
            "<flowRoot><flowRegion><rect width='100' height='50'/></flowRegion><flowPara>Voir le film</flowPara></flowRoot>\n</svg>",
        ),
        "error: layouts/choc.svg:{line:layouts/choc.svg:<flowRoot}: <flowRoot> (flowed text from Inkscape 0.92) is drawn by no SVG renderer, so its text would be missing; in Inkscape select it and choose Text > Convert to Text",
    ),
    Case(
        "designers-text-in-a-family-fonts-lacks",  # text in a family of fonts/ is drawn (test_designer_text.py)
        replace(
            "layouts/choc.svg",
            "</svg>",
            "<text x='20' y='30' style='font-family:Futura, sans-serif'>Mon logo</text>\n</svg>",
        ),
        "error: layouts/choc.svg:{line:layouts/choc.svg:<text x='20'}: <text> “Mon logo” asks for font family Futura, sans-serif, which fonts/ does not have (it has: Bebas Neue, Inter, Inter Display, League Spartan); add the font file to fonts/, or convert the text to paths in the editor (Inkscape: Path > Object to Path; Illustrator: Type > Create Outlines; Figma: Outline stroke, or export with Outline text)",
    ),
    Case(  # a collection from a Mac's font folder, put in fonts/ for this very family: said why it is not used
        "designers-text-in-a-family-only-a-collection-has",
        lambda project: (
            write("fonts/Futura.ttc", b"ttcf\x00\x01\x00\x00")(project),
            replace(
                "layouts/choc.svg", "</svg>", "<text x='20' y='30' style='font-family:Futura'>Mon logo</text>\n</svg>"
            )(project),
        ),
        "error: layouts/choc.svg:{line:layouts/choc.svg:<text x='20'}: <text> “Mon logo” asks for font family Futura, which fonts/ does not have (it has: Bebas Neue, Inter, Inter Display, League Spartan); fonts/Futura.ttc is a font collection, which the engine does not read: export its fonts as .otf or .ttf files; add the font file to fonts/, or convert the text to paths in the editor (Inkscape: Path > Object to Path; Illustrator: Type > Create Outlines; Figma: Outline stroke, or export with Outline text)",
    ),
    Case(
        "unknown-font",
        replace("layouts/choc.svg", 'data-font="Inter-Black"', 'data-font="Inter-Blak"'),
        "error: layouts/choc.svg:32: font 'Inter-Blak' is not in fonts/ (did you mean 'Inter-Black'?); add the font file or fix the name",
    ),
    Case(
        "corrupt-image",
        write("visuals/minerai.jpg", b"\xff\xd8\xff\xe0 not a jpeg at all"),
        "error: visuals/minerai.jpg: cannot read image (Truncated File Read); use a valid JPEG or PNG",
        FILM,
    ),
    Case(
        "decompression-bomb",
        lambda p: (
            write("visuals/bomb.png", _png_header(100_000, 100_000))(p),
            replace("posters/film-sang-et-boue.yaml", "visuals/minerai.jpg", "visuals/bomb.png")(p),
        ),
        "error: visuals/bomb.png: image refused: Image size (10000000000 pixels) exceeds limit of 178956970 pixels (a decompression bomb?); use a JPEG or PNG of normal size",
        FILM,
    ),
    Case(
        "invalid-visual-svg",
        write("visuals/mine.svg", "<svg><g></svg>"),
        "error: visuals/mine.svg:1: invalid SVG/XML: mismatched tag: line 1, column 10",
    ),
    Case(  # a drop shadow as Figma exports it: cairosvg would move the shape and drop the shadow
        "visual-figma-drop-shadow",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300">\n'
            '<g filter="url(#filter0_d_1_2)"><rect x="100" y="80" width="200" height="120" fill="#D7263D"/></g>\n'
            '<defs><filter id="filter0_d_1_2" x="80" y="64" width="240" height="160" filterUnits="userSpaceOnUse">'
            '<feFlood flood-opacity="0" result="BackgroundImageFix"/><feOffset dy="4"/><feGaussianBlur stdDeviation="10"/>'
            '<feBlend mode="normal" in="SourceGraphic" in2="effect1_dropShadow_1_2" result="shape"/></filter></defs>\n</svg>',
        ),
        "error: visuals/mine.svg:2: <g> (no id) uses filter 'filter0_d_1_2' (feOffset, feGaussianBlur), which the renderer does not draw (a shadow or blur would be missing or misplaced); flatten the effect into a PNG, or remove it",
    ),
    Case(  # a fade as Inkscape makes one: a white-to-black gradient in a (luminance) mask
        "visual-luminance-mask-fade",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"><defs>\n'
            '<linearGradient id="fade"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#000000"/></linearGradient>\n'
            '<mask id="m" maskUnits="userSpaceOnUse" x="0" y="0" width="300" height="150">\n'
            '<rect width="300" height="150" fill="url(#fade)"/></mask></defs>\n'
            '<rect width="300" height="150" fill="#D7263D" mask="url(#m)"/>\n</svg>',
        ),
        "error: visuals/mine.svg:4: mask 'm' is a luminance mask (SVG's default) and its <rect> (no id) is not white: the renderer masks by opacity only, so its fade or cut-out would be lost; paint the mask white and fade it with opacity, or set mask-type: alpha (a Figma stroke aligned outside is drawn so: align it to the centre, or Outline stroke)",
    ),
    Case(  # Inkscape's own form: the mask's gradient names the one holding the stops
        "visual-luminance-mask-fade-inkscape",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 300 150"><defs>\n'
            '<linearGradient id="linearGradient1"><stop offset="0" style="stop-color:#ffffff;stop-opacity:1"/>'
            '<stop offset="1" style="stop-color:#000000;stop-opacity:1"/></linearGradient>\n'
            '<linearGradient xlink:href="#linearGradient1" id="linearGradient2" x1="0" y1="0" x2="300" y2="0" gradientUnits="userSpaceOnUse"/>\n'
            '<mask maskUnits="userSpaceOnUse" id="mask1">\n<rect width="300" height="150" style="fill:url(#linearGradient2)"/></mask></defs>\n'
            '<rect width="300" height="150" fill="#D7263D" mask="url(#mask1)"/>\n</svg>',
        ),
        "error: visuals/mine.svg:5: mask 'mask1' is a luminance mask (SVG's default) and its <rect> (no id) is not white: the renderer masks by opacity only, so its fade or cut-out would be lost; paint the mask white and fade it with opacity, or set mask-type: alpha (a Figma stroke aligned outside is drawn so: align it to the centre, or Outline stroke)",
    ),
    Case(  # Figma's stroke aligned outside: a black cut-out in a luminance mask, which cairosvg would not cut
        "visual-figma-outside-stroke",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">\n'
            '<mask id="path-1-outside-1" maskUnits="userSpaceOnUse" x="12" y="2" width="176" height="96" fill="black">\n'
            '<rect fill="white" x="12" y="2" width="176" height="96"/>\n<rect x="20" y="10" width="160" height="80"/>\n</mask>\n'
            '<rect x="20" y="10" width="160" height="80" stroke="#1B1B3A" stroke-width="16" mask="url(#path-1-outside-1)"/>\n</svg>',
        ),
        "error: visuals/mine.svg:4: mask 'path-1-outside-1' is a luminance mask (SVG's default) and its <rect> (no id) is not white: the renderer masks by opacity only, so its fade or cut-out would be lost; paint the mask white and fade it with opacity, or set mask-type: alpha (a Figma stroke aligned outside is drawn so: align it to the centre, or Outline stroke)",
    ),
    Case(  # Illustrator writes blend modes as classes
        "layout-blend-mode-in-css",
        replace(
            "layouts/choc.svg",
            "</svg>",
            '<style>\n.st3{mix-blend-mode:multiply;}\n</style>\n<rect class="st3" width="9" height="9"/>\n</svg>',
        ),
        "error: layouts/choc.svg:{line:layouts/choc.svg:class=\"st3\"}: <rect> (no id) has mix-blend-mode 'multiply', which the renderer does not draw (the colours would differ from the design); set it to normal, or flatten the blend into a PNG",
    ),
    Case(  # cairosvg ignores a text's fixed length: the text would be narrower or wider than designed
        "visual-text-length",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">\n<text x="10" y="80" font-size="30" textLength="280" lengthAdjust="spacingAndGlyphs">Voir</text>\n</svg>',
        ),
        "error: visuals/mine.svg:2: <text> (no id) has textLength (its text stretched to a fixed length), which the renderer ignores, so the text would be narrower or wider than designed; remove the fixed length, or convert the text to paths (Inkscape: Path > Object to Path, Illustrator: Type > Create Outlines)",
    ),
    Case(
        "visual-mask-content-units",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">\n<defs><mask id="half" maskContentUnits="objectBoundingBox">\n<rect width="0.5" height="1" fill="white"/></mask></defs>\n'
            '<rect width="300" height="150" fill="#D7263D" mask="url(#half)"/>\n</svg>',
        ),
        "error: visuals/mine.svg:2: mask 'half' has maskContentUnits=\"objectBoundingBox\", which the renderer ignores (the mask would be drawn at the wrong size and place); release the mask and mask again in the editor, or flatten it into a PNG",
    ),
    Case(  # cairosvg reads the fractions as user units: a 1×1 region, the element cut away
        "visual-mask-region-in-fractions",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">\n<defs>\n<mask id="inner" x="0.1" y="0.1" width="0.8" height="0.8">'
            '<rect width="300" height="150" fill="white"/></mask></defs>\n<rect width="300" height="150" fill="#D7263D" mask="url(#inner)"/>\n</svg>',
        ),
        "error: visuals/mine.svg:3: mask 'inner' sets its region in fractions of the masked element (maskUnits objectBoundingBox with x, y, width or height), which the renderer reads as plain units (the element would be cut away); release the mask and mask again in Inkscape or Illustrator, which write maskUnits=\"userSpaceOnUse\", or remove the region",
    ),
    Case(  # a ring cut by the even-odd rule: cairosvg would clip to the whole disc
        "visual-evenodd-clip-hole",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">\n<clipPath id="ring" clip-rule="evenodd">\n'
            '<path id="ring-path" d="M 50,75 a 40,40 0 1 0 80,0 a 40,40 0 1 0 -80,0 z M 70,75 a 20,20 0 1 0 40,0 a 20,20 0 1 0 -40,0 z"/>'
            '</clipPath>\n<rect width="300" height="150" fill="#D7263D" clip-path="url(#ring)"/>\n</svg>',
        ),
        "error: visuals/mine.svg:3: <path id='ring-path'> cuts a hole in clip path 'ring' by the even-odd rule (clip-rule), which the renderer ignores (the hole would be filled); release the clip and cut the shape itself (Inkscape: Path > Difference, Illustrator: Pathfinder)",
    ),
    Case(
        "visual-css-transform",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">\n<g>\n<rect id="tilted" x="100" y="50" width="100" height="50" style="fill:#D7263D;transform:rotate(8deg)"/></g>\n</svg>',
        ),
        "error: visuals/mine.svg:3: <rect id='tilted'> is transformed in its style (CSS transform), which the renderer ignores (it would be drawn unmoved); write it as the element's transform attribute, or save as plain SVG from the editor",
    ),
    Case(  # no stroke width in the element's own units draws a stroke kept even under a stretch
        "visual-non-scaling-stroke-stretched",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">\n<g transform="scale(4,1)">\n<path id="icon" d="M 10,20 H 60" stroke="#000" stroke-width="2" vector-effect="non-scaling-stroke"/></g>\n</svg>',
        ),
        "error: visuals/mine.svg:3: <path id='icon'> has a non-scaling stroke (vector-effect) under a transform that stretches it unevenly, which the renderer would draw scaled; outline the strokes (Inkscape: Path > Stroke to Path, Illustrator: Object > Expand, Figma: Outline stroke)",
    ),
    Case(  # the line's colour is the palette's, known only when a poster is drawn: not written into the arrowhead
        "layout-context-stroke-palette-class",
        replace(
            "layouts/choc.svg",
            "</svg>",
            '<defs><marker id="Arrow2" orient="auto" viewBox="0 0 8 6" markerWidth="8" markerHeight="6">\n'
            '<path id="arrowhead" d="M 0,0 8,3 0,6 z" style="fill:context-stroke"/></marker></defs>\n'
            '<path class="stroke-accent" d="M 20,230 H 120" style="marker-end:url(#Arrow2)"/>\n</svg>',
        ),
        "error: layouts/choc.svg:{line:layouts/choc.svg:id=\"arrowhead\"}: <path id='arrowhead'> is painted with the colour of what uses it (context-stroke, SVG 2), which the renderer paints black; give it a colour of its own, or turn the line and its arrowheads into shapes (Inkscape: Path > Stroke to Path)",
    ),
    Case(  # one arrowhead on a red and a blue line: no one colour can be written into it
        "visual-context-stroke-two-colours",
        write(
            "visuals/mine.svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">\n<defs><marker id="Arrow1" orient="auto" style="overflow:visible">\n'
            '<path id="head" d="M 0,-3 6,0 0,3 z" style="fill:context-stroke"/></marker></defs>\n'
            '<path d="M 10,20 H 200" style="stroke:#D7263D;marker-end:url(#Arrow1)"/>\n'
            '<path d="M 10,60 H 200" style="stroke:#1B1B3A;marker-end:url(#Arrow1)"/>\n</svg>',
        ),
        "error: visuals/mine.svg:3: <path id='head'> is painted with the colour of what uses it (context-stroke, SVG 2), which the renderer paints black; give it a colour of its own, or turn the line and its arrowheads into shapes (Inkscape: Path > Stroke to Path)",
    ),
    # --- layouts
    Case(
        "layout-no-slots",
        write("layouts/choc.svg", MINIMAL_SVG.format('<rect width="1" height="1"/>')),
        "error: layouts/choc.svg: the layout has no slots (elements named {field} or slot:name, or with data-slot); see README 'Adding or editing a layout'",
    ),
    Case(
        "layout-duplicate-slot",
        write("layouts/choc.svg", MINIMAL_SVG.format(SLOT.format("a") + SLOT.format("a"))),
        "error: layouts/choc.svg:1: slot name 'a' is used twice (also on line 1); slot names must be unique",
    ),
    Case(
        "layout-not-svg",
        write("layouts/choc.svg", '<html xmlns="http://www.w3.org/1999/xhtml"/>'),
        "error: layouts/choc.svg:1: the root element must be <svg> in the SVG namespace",
    ),
    Case(
        "layout-no-viewbox",
        write("layouts/choc.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>'),
        "error: layouts/choc.svg:1: the <svg> root needs a viewBox='0 0 W H' (the reference size, e.g. 297 420 for A3 in mm)",
    ),
    Case(
        "layout-unknown-attribute",
        replace("layouts/choc.svg", 'data-max-lines="4"', 'data-max-line="4"'),
        "error: layouts/choc.svg:32: slot 'message': unknown attribute 'data-max-line' (did you mean 'max-lines'?)",
    ),
    Case(
        "layout-bad-number",
        replace("layouts/choc.svg", 'data-size-min="10"', 'data-size-min="ten"'),
        "error: layouts/choc.svg:32: slot 'message': data-size-min must be a number, not 'ten'",
    ),
    # --- project.yaml
    Case(
        "bad-cmyk",
        write("project.yaml", 'brand_colors:\n  "#FFD400": [0, 15, 100]\n'),
        "error: project.yaml:2: brand colour #FFD400: CMYK must be four percentages, e.g. [0, 100, 100, 0]",
    ),
    Case(
        "cmyk-over-100",
        write("project.yaml", 'brand_colors:\n  "#FFD400": [0, 15, 180, 0]\n'),
        "error: project.yaml:2: brand colour #FFD400: CMYK must be four percentages, e.g. [0, 100, 100, 0]",
    ),
    Case(
        "project-unknown-key",
        write("project.yaml", "print_profile:\n  x: {}\n"),
        "error: project.yaml:1: unknown key 'print_profile' (did you mean 'print_profiles'?)",
    ),
    Case(
        "profile-unknown-key",
        write("project.yaml", "print_profiles:\n  mine:\n    bleed: 5\n"),
        "error: project.yaml:3: print profile 'mine': unknown key 'bleed' (did you mean 'bleed_mm'?)",
    ),
    # --- links
    Case(
        "javascript-url",
        replace("messages.yaml", "https://example.org/films/sang-et-boue", "javascript:alert(1)"),
        "error: messages.yaml:{line:messages.yaml:url: javascript:alert(1)}: 'films.sang-et-boue.link.url': must be an http:// or https:// address",
    ),
    Case(
        "file-url",
        replace("messages.yaml", "https://example.org/films/sang-et-boue", "file:///etc/passwd"),
        "error: messages.yaml:{line:messages.yaml:url: file:///etc/passwd}: 'films.sang-et-boue.link.url': must be an http:// or https:// address",
    ),
    Case(
        "ftp-url",
        replace("messages.yaml", "https://example.org/films/sang-et-boue", "ftp://films.org/x"),
        "error: messages.yaml:{line:messages.yaml:url: ftp://films.org/x}: 'films.sang-et-boue.link.url': must be an http:// or https:// address",
    ),
    Case(
        "url-without-host",
        replace("messages.yaml", "https://example.org/films/sang-et-boue", "https://"),
        "error: messages.yaml:131: 'films.sang-et-boue.link.url': must be an http:// or https:// address",
    ),
]


def run_inprocess(args: tuple[str, ...], project: Path, capsys) -> tuple[int, str]:
    """The real `poster` entry point (main(), with its last-resort handler) in this process: the
    corpus is large, and a subprocess per case would cost a second each."""
    code = main_exit_code(*args, project=project)
    return code, capsys.readouterr().err


def _expand_lines(expected: str, project: Path) -> str:
    """`{line:file:TEXT}` → the line of TEXT in the edited file."""

    def line(m: re.Match[str]) -> str:
        file, text = m.group(1), m.group(2)
        lines = (project / file).read_text(encoding="utf-8", errors="replace").splitlines()
        return str(next(i for i, l in enumerate(lines, 1) if text in l))

    return re.sub(r"\{line:([^:]+):([^}]+)\}", line, expected)


def test_corpus_is_large_enough():
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, scratch, capsys):
    case.edit(scratch)
    code, err = run_inprocess(case.args, scratch, capsys)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, err
    expected = _expand_lines(case.expected, scratch).replace("{project}", str(scratch))
    assert expected in err.splitlines(), err
    assert not (scratch / "build").exists()
