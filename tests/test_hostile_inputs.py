"""The bad-input corpus, round two (issue 14): hostile inputs on the way in — paths and symbolic links
that lead out of the project, YAML bombs, encodings, numbers, links and CSV tables. Same machinery as
tests/test_bad_inputs.py: an edit of a scratch copy of the demo, a command, the exact line expected,
exit 2, no traceback, nothing written to build/. Then the inputs that must keep working (BOM, CRLF,
multi-line cells, links that stay inside), and the bounds themselves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT
from test_bad_inputs import CHOC, Case, _expand_lines, _png_header, run_inprocess, write
from test_bad_inputs import replace as _replace

from poster_engine.core import limits


def _demo_facts() -> dict[str, str]:
    """The demo's first film, which the number cases edit (so the cases follow the demo)."""
    import yaml

    films = yaml.safe_load((ROOT / "messages.yaml").read_text(encoding="utf-8"))["films"]
    first = next(iter(films))
    return {
        "first_film": first,
        "first_year": str(films[first]["year"]),
        "first_duration": str(films[first]["duration_min"]),
    }


FACTS = _demo_facts()


def _fill(text: str) -> str:
    for key, value in FACTS.items():
        text = text.replace("{" + key + "}", value)
    return text


SEANCE = ("render", "seance", "-f", "instagram")
CSV = "data/screenings.csv"
HEADER = "id,host,date,time,room,url\n"
ROW = "lilas,Médiathèque des Lilas,jeudi 4 décembre,18 h 30,Auditorium,https://example.org/seances/lilas\n"
OUTSIDE = "{outside}"  # a folder beside the project, holding files a project must never read


def _outside(project: Path) -> Path:
    folder = project.parent / "outside"
    folder.mkdir(exist_ok=True)
    (folder / "secret.csv").write_text("id,host\nSECRET-LINE,do not show\n")
    (folder / "secret.yaml").write_text("title: SECRET-LINE\n")
    return folder


def replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    """test_bad_inputs.replace, with the demo facts ({first_year}…) filled in."""
    return _replace(file, _fill(old), _fill(new))


def link(file: str, target: str) -> Callable[[Path], None]:
    """Replace `file` by a symbolic link to `target` ({outside}/… a sibling folder, an absolute path, or
    a path relative to the link's folder); a file an absolute link replaces is moved to where it
    points first, so the link leads to real content."""

    def edit(project: Path) -> None:
        outside = _outside(project)
        path = project / file
        path.parent.mkdir(parents=True, exist_ok=True)
        to = Path(target.replace(OUTSIDE, str(outside)))
        if to.is_absolute() and path.exists() and not to.exists():
            shutil.move(str(path), str(to))
        elif path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        path.symlink_to(to)

    return edit


def fifo(file: str) -> Callable[[Path], None]:
    """A named pipe in place of `file`: opening it for reading would block forever."""

    def edit(project: Path) -> None:
        path = project / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        os.mkfifo(path)

    return edit


def folder(file: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / file
        path.unlink(missing_ok=True)
        path.mkdir(parents=True)

    return edit


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    return lambda project: [e(project) for e in edits] and None


def csv(data: str | bytes) -> Callable[[Path], None]:
    return write(CSV, data)


def append(file: str, text: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / file
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return edit


LINK_OUT = "is a symbolic link leading outside the project (not followed)"
STAT_VALUE = "    value: 40000"
FILM_URL = "https://example.org/films/sang-et-boue"
CAMPAIGN_URL = "https://example.org/numerique-en-lumiere/programmation"
BOMB = "lol: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"lol{i}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)
)
LONG_TEXT = "a" * (limits.MAX_TEXT_CHARS + 1)
A3 = ("render", "choc-cobalt", "-f", "a3")

PATHS = [
    Case(
        "poster-file-links-to-etc",
        link("posters/evil.yaml", "/etc/passwd"),
        f"error: posters/evil.yaml: {LINK_OUT}; copy the file into the project instead",
        ("render", "evil", "-f", "instagram"),
    ),
    Case(
        "poster-file-links-to-a-sibling-folder",
        link(CHOC, f"{OUTSIDE}/secret.yaml"),
        f"error: posters/choc-cobalt.yaml: {LINK_OUT}; copy the file into the project instead",
    ),
    Case(
        "posters-folder-links-outside",
        link("posters", f"{OUTSIDE}/posters"),
        f"error: posters: {LINK_OUT}; make posters/ a folder of the project",
    ),
    Case(
        "messages-links-outside",
        link("messages.yaml", f"{OUTSIDE}/messages.yaml"),
        f"error: messages.yaml: {LINK_OUT}; copy the file into the project instead",
    ),
    Case(
        "project-yaml-links-outside",
        link("project.yaml", f"{OUTSIDE}/project.yaml"),
        f"error: project.yaml: {LINK_OUT}; copy the file into the project instead",
    ),
    Case(
        "layout-links-outside",
        link("layouts/choc.svg", f"{OUTSIDE}/choc.svg"),
        f"error: posters/choc-cobalt.yaml:2: layout file layouts/choc.svg {LINK_OUT}; copy the template into layouts/",
    ),
    Case(
        "layout-variant-links-to-etc",
        link("layouts/choc.evil.svg", "/etc/passwd"),
        f"error: posters/choc-cobalt.yaml:2: layout file layouts/choc.evil.svg {LINK_OUT}; copy the template into layouts/",
    ),
    Case(
        "layouts-folder-links-outside",
        link("layouts", f"{OUTSIDE}/layouts"),
        f"error: posters/choc-cobalt.yaml:2: layout folder layouts/ {LINK_OUT}; make it a folder of the project",
    ),
    Case(
        "font-links-outside",
        link("fonts/inter/Inter-Black.otf", f"{OUTSIDE}/Inter-Black.otf"),
        f"error: fonts/inter/Inter-Black.otf: {LINK_OUT}; copy the font into fonts/",
    ),
    Case(
        "fonts-folder-links-outside",
        link("fonts", f"{OUTSIDE}/fonts"),
        f"error: fonts: {LINK_OUT}; copy the font into fonts/",
    ),
    Case(
        "visual-links-outside",
        link("visuals/mine.svg", f"{OUTSIDE}/mine.svg"),
        f"error: posters/choc-cobalt.yaml:6: visual 'visuals/mine.svg' {LINK_OUT}; copy the file into visuals/",
    ),
    Case(
        "visual-link-loop",
        link("visuals/mine.svg", "mine.svg"),
        "error: posters/choc-cobalt.yaml:6: visual 'visuals/mine.svg' is a loop of symbolic links; replace the links with the file itself",
    ),
    Case(
        "visual-file-url",
        replace(CHOC, "visuals/mine.svg", "file:///etc/passwd"),
        "error: posters/choc-cobalt.yaml:6: visual 'file:///etc/passwd' is a link, not a file of the project; put it in visuals/",
    ),
    Case(
        "visual-home-folder",
        replace(CHOC, "visuals/mine.svg", "~/mine.svg"),
        "error: posters/choc-cobalt.yaml:6: visual '~/mine.svg' is outside the project (~ is not expanded); put it in visuals/",
    ),
    Case(
        "visual-is-a-folder",
        replace(CHOC, "visuals/mine.svg", "visuals"),
        "error: posters/choc-cobalt.yaml:6: visual 'visuals' is a folder, not a file; name a file inside it",
    ),
    Case(
        "visual-is-a-pipe",
        fifo("visuals/mine.svg"),
        "error: posters/choc-cobalt.yaml:6: visual 'visuals/mine.svg' is not a regular file (a pipe, socket or device); replace it with a regular file",
    ),
    Case(
        "data-parent-folder",
        replace("posters/seance.yaml", "data: data/screenings.csv", "data: ../outside/secret.csv"),
        "error: posters/seance.yaml:5: data '../outside/secret.csv' is outside the project; put it in data/",
        SEANCE,
    ),
    Case(
        "data-absolute-path",
        replace("posters/seance.yaml", "data: data/screenings.csv", "data: /etc/passwd"),
        "error: posters/seance.yaml:5: data '/etc/passwd' is outside the project; put it in data/",
        SEANCE,
    ),
    Case(
        "data-links-to-etc",
        link(CSV, "/etc/passwd"),
        f"error: posters/seance.yaml:5: data 'data/screenings.csv' {LINK_OUT}; copy the file into data/",
        SEANCE,
    ),
    Case(
        "data-links-to-a-sibling-folder",
        link(CSV, f"{OUTSIDE}/secret.csv"),
        f"error: posters/seance.yaml:5: data 'data/screenings.csv' {LINK_OUT}; copy the file into data/",
        SEANCE,
    ),
    Case(
        "data-home-folder",
        replace("posters/seance.yaml", "data: data/screenings.csv", "data: ~/rows.csv"),
        "error: posters/seance.yaml:5: data '~/rows.csv' is outside the project (~ is not expanded); put it in data/",
        SEANCE,
    ),
    Case(
        "data-file-url",
        replace("posters/seance.yaml", "data: data/screenings.csv", "data: file:///etc/passwd"),
        "error: posters/seance.yaml:5: data 'file:///etc/passwd' is a link, not a file of the project; put it in data/",
        SEANCE,
    ),
    Case(
        "data-is-a-pipe",
        fifo(CSV),
        "error: posters/seance.yaml:5: data 'data/screenings.csv' is not a regular file (a pipe, socket or device); replace it with a regular file",
        SEANCE,
    ),
    Case(
        "icc-path-climbs-out",
        write("project.yaml", "print_profiles:\n  mine:\n    icc: ../../../etc/passwd\n"),
        "error: project.yaml:3: print profile 'mine': icc must be the file name of a profile in the project's icc/ folder (e.g. printer.icc), not '../../../etc/passwd'",
    ),
    Case(
        "icc-links-outside",
        both(
            link("icc/printer.icc", "/etc/passwd"),
            write("project.yaml", "print_profiles:\n  mine:\n    icc: printer.icc\n"),
        ),
        f"error: icc/printer.icc: {LINK_OUT}; copy the profile into icc/",
        ("render", "choc-cobalt", "-f", "a3", "-P", "mine"),
    ),
    Case(
        "format-name-climbs-out",
        write("project.yaml", "formats:\n  ../../evil:\n    based_on: a3\n"),
        "error: project.yaml:2: format '../../evil': a format's name is lower-case letters, digits, '-' and '_' (at most 40: it names output files)",
    ),
    Case(
        "poster-file-is-a-folder",
        folder(CHOC),
        "error: posters/choc-cobalt.yaml: is a folder, not a file; replace it with a file",
    ),
    Case(
        "poster-file-is-a-pipe",
        fifo(CHOC),
        "error: posters/choc-cobalt.yaml: is not a regular file (a pipe, socket or device); replace it with a regular file",
    ),
    Case(
        "messages-is-a-pipe",
        fifo("messages.yaml"),
        "error: messages.yaml: is not a regular file (a pipe, socket or device); replace it with a regular file",
    ),
    Case(
        "layout-is-a-pipe",
        fifo("layouts/choc.svg"),
        "error: posters/choc-cobalt.yaml:2: layout file layouts/choc.svg is not a regular file (a pipe, socket or device); replace it with a regular file",
    ),
    Case(
        "font-is-a-pipe",
        fifo("fonts/inter/Inter-Black.otf"),
        "error: fonts/inter/Inter-Black.otf: is not a regular file (a pipe, socket or device); replace it with a regular file",
    ),
    Case(
        "data-option-is-a-folder",
        lambda p: (p / "rows").mkdir(),
        "error: rows: data file is a folder, not a file; replace it with a file",
        ("build", "-p", "seance", "--data", "{project}/rows"),
    ),
]

BOMBS = [
    Case(
        "alias-bomb-in-a-poster",
        append(CHOC, BOMB),
        "error: posters/choc-cobalt.yaml:17: alias '*d' makes the file expand to more than 50,000 values (each alias counts as a copy of what it names); write the values out or use fewer aliases",
    ),
    Case(
        "alias-bomb-in-messages",
        append("messages.yaml", BOMB),
        "error: messages.yaml:{line:messages.yaml:lol3: &e}: alias '*d' makes the file expand to more than 50,000 values (each alias counts as a copy of what it names); write the values out or use fewer aliases",
    ),
    Case(
        "alias-inside-its-own-anchor",
        append(CHOC, "loop: &r [a, *r]\n"),
        "error: posters/choc-cobalt.yaml:13: alias '*r' is inside the value it names (a loop); write the value out",
    ),
    Case(
        "nesting-5000-deep",
        append(CHOC, "x: " + "[" * 5000 + "]" * 5000 + "\n"),
        "error: posters/choc-cobalt.yaml:13: lists and mappings nested more than 64 deep; flatten the structure",
    ),
    Case(
        "nesting-5000-deep-unclosed",
        append("messages.yaml", "x: " + "{a: " * 5000 + "\n"),
        "error: messages.yaml:{line:messages.yaml:x: {a: }: lists and mappings nested more than 64 deep; flatten the structure",
    ),
    Case(
        "block-nesting-100-deep",
        append(CHOC, "".join(" " * i + f"k{i}:\n" for i in range(100))),
        "error: posters/choc-cobalt.yaml:77: lists and mappings nested more than 64 deep; flatten the structure",
    ),
    Case(
        "yaml-file-over-1-mib",
        write(CHOC, "# " + "x" * limits.MAX_YAML_BYTES + "\n"),
        "error: posters/choc-cobalt.yaml: is 1 048 579 bytes, more than the 1 MiB allowed (README, Limits); make it smaller",
    ),
    Case(
        "yaml-50001-values",
        append(CHOC, "many: [" + "1," * limits.MAX_YAML_VALUES + "1]\n"),
        "error: posters/choc-cobalt.yaml:13: more than 50,000 values in one file; split it up",
    ),
    Case(
        "text-over-20000-characters",
        replace(CHOC, "title:", f'title: "{LONG_TEXT}"\nx_title:'),
        "error: posters/choc-cobalt.yaml:1: a text of 20,001 characters is longer than the 20,000 allowed; shorten it",
    ),
    Case(
        "number-of-5000-digits",
        replace("messages.yaml", STAT_VALUE, "    value: " + "9" * 5000),
        "error: messages.yaml:{line:messages.yaml:value: 999}: a number of 5000 characters is out of range (numbers are at most 40 characters long); write a smaller number, or quote it if it is a text",
    ),
]

ENCODINGS = [
    Case(
        "utf16-poster",
        lambda p: (p / CHOC).write_bytes((p / CHOC).read_text().encode("utf-16")),
        "error: posters/choc-cobalt.yaml:1: not valid UTF-8 text; save the file as UTF-8",
    ),
    Case(
        "latin1-poster",
        lambda p: (p / CHOC).write_bytes((p / CHOC).read_text().encode("utf-8").replace(b"\xc3\xa9", b"\xe9")),
        "error: posters/choc-cobalt.yaml:1: not valid UTF-8 text; save the file as UTF-8",
    ),
    Case(
        "nul-escape-in-a-visual-path",
        replace(CHOC, "visual: visuals/mine.svg", 'visual: "visuals/mi\\0ne.svg"'),
        "error: posters/choc-cobalt.yaml:6: invalid YAML: control character U+0000 is not allowed; remove it",
    ),
    Case(
        "nul-escape-in-a-message",
        replace("messages.yaml", "passe par des *mains d'enfants*.\"", "passe par des *mains d'enfants*.\\0\""),
        "error: messages.yaml:{line:messages.yaml:passe par des *mains d'enfants*.\\0}: invalid YAML: control character U+0000 is not allowed; remove it",
    ),
    Case(
        "terminal-escape-in-a-title",
        replace(CHOC, "title:", 'title: "\\e[31mred"\nx_title:'),
        "error: posters/choc-cobalt.yaml:1: invalid YAML: control character U+001B is not allowed; remove it",
    ),
    Case(
        "lone-surrogate-escape",
        replace(CHOC, "title:", 'title: "\\ud800"\nx_title:'),
        "error: posters/choc-cobalt.yaml:1: invalid YAML: control character U+D800 is not allowed; remove it",
    ),
    Case(
        "raw-control-character",
        replace(CHOC, "layout: choc", "layout: ch\x07oc"),
        "error: posters/choc-cobalt.yaml:2: invalid YAML: control character U+0007 is not allowed; remove it",
    ),
    Case(
        "python-object-tag",
        replace(CHOC, "visual: visuals/mine.svg", "visual: !!python/object/apply:os.system [echo]"),
        "error: posters/choc-cobalt.yaml:6: tag '!!python/object/apply:os.system' is not allowed; remove it (values are plain texts, numbers, lists and mappings)",
    ),
    Case(
        "timestamp-tag",
        replace(CHOC, "visual: visuals/mine.svg", "visual: !!timestamp 2025-13-45"),
        "error: posters/choc-cobalt.yaml:6: tag '!!timestamp' is not allowed; remove it (values are plain texts, numbers, lists and mappings)",
    ),
    Case(
        "mixed-tab-indentation",
        replace(CHOC, "  background:", "\t background:"),
        "error: posters/choc-cobalt.yaml:8: invalid YAML: found character '\\t' that cannot start any token",
    ),
]

NUMBERS = [
    Case(
        "stat-value-nan",
        replace("messages.yaml", STAT_VALUE, "    value: .nan"),
        "error: messages.yaml:{line:messages.yaml:value: .nan}: 'stats.enfants-cobalt.value': must be a finite number between -10^15 and 10^15 (exclusive), not nan",
    ),
    Case(
        "stat-value-minus-infinity",
        replace("messages.yaml", STAT_VALUE, "    value: -.inf"),
        "error: messages.yaml:{line:messages.yaml:value: -.inf}: 'stats.enfants-cobalt.value': must be a finite number between -10^15 and 10^15 (exclusive), not -inf",
    ),
    Case(
        "stat-value-1e200",
        replace("messages.yaml", STAT_VALUE, "    value: 1e200"),
        "error: messages.yaml:{line:messages.yaml:value: 1e200}: 'stats.enfants-cobalt.value': must be a finite number between -10^15 and 10^15 (exclusive), not 1e+200",
    ),
    Case(
        "stat-value-30-digits",
        replace("messages.yaml", STAT_VALUE, "    value: " + "9" * 30),
        "error: messages.yaml:{line:messages.yaml:value: 999}: 'stats.enfants-cobalt.value': must be a finite number between -10^15 and 10^15 (exclusive), not "
        + "9" * 30,
    ),
    Case(
        "stat-value-boolean",
        replace("messages.yaml", STAT_VALUE, "    value: yes"),
        "error: messages.yaml:{line:messages.yaml:value: yes}: 'stats.enfants-cobalt.value': must be a number, not true",
    ),
    Case(
        "film-year-too-large",
        replace("messages.yaml", "    year: {first_year}", "    year: {first_year}0"),
        "error: messages.yaml:{line:messages.yaml:year: {first_year}0}: 'films.{first_film}.year': must be a year between 1000 and 9999, not {first_year}0",
    ),
    Case(
        "film-duration-negative",
        replace("messages.yaml", "duration_min: ", "duration_min: -"),
        "error: messages.yaml:{line:messages.yaml:duration_min: -}: 'films.{first_film}.duration_min': must be a number of minutes between 1 and 10000, not -{first_duration}",
    ),
    Case(
        "focus-with-three-numbers",
        replace(CHOC, "focus: [0.5, 0.75]", "focus: [0.5, 0.75, 1]"),
        "error: posters/choc-cobalt.yaml:12: 'focus': has 3 items, at most 2",
    ),
    Case(
        "focus-with-one-number",
        replace(CHOC, "focus: [0.5, 0.75]", "focus: [0.5]"),
        "error: posters/choc-cobalt.yaml:12: 'focus': needs more items (item 2 is missing)",
    ),
    Case(
        "quote-index-fraction",
        replace("posters/film-ma-femme-a-du-credit.yaml", "quote: 8", "quote: 1.5"),
        "error: posters/film-ma-femme-a-du-credit.yaml:5: 'quote': must be a whole number",
        ("render", "film-ma-femme-a-du-credit", "-f", "instagram"),
    ),
    Case(
        "format-width-huge",
        write("project.yaml", "formats:\n  wall:\n    medium: social\n    width_px: 100000000\n    height_px: 1000\n"),
        "error: project.yaml:4: format 'wall': width_px must be between 16 and 6000 px, not 100000000",
    ),
    Case(
        "format-width-nan",
        write("project.yaml", "formats:\n  wall:\n    medium: print\n    width_mm: .nan\n    height_mm: 100\n"),
        "error: project.yaml:4: format 'wall': width_mm must be between 10 and 5000 mm, not nan",
    ),
    Case(
        "format-viewing-infinite",
        write("project.yaml", "formats:\n  wall:\n    based_on: a3\n    viewing_m: .inf\n"),
        "error: project.yaml:4: format 'wall': viewing_m must be a number between 0 and 100, not inf",
    ),
    Case(
        "format-max-mb-text",
        write("project.yaml", "formats:\n  wall:\n    based_on: instagram\n    max_mb: lots\n"),
        "error: project.yaml:4: format 'wall': max_mb must be a number between 0.01 and 100, not lots",
    ),
    Case(
        "profile-ink-limit-huge",
        write("project.yaml", "print_profiles:\n  mine:\n    ink_limit: 1e9\n"),
        "error: project.yaml:3: print profile 'mine': ink_limit must be a number between 100 and 400, not 1e9",
    ),
    Case(
        "profile-bleed-text",
        write("project.yaml", "print_profiles:\n  mine:\n    bleed_mm: wide\n"),
        "error: project.yaml:3: print profile 'mine': bleed_mm must be a number between 0 and 25, not wide",
    ),
    Case(
        "cmyk-nan",
        write("project.yaml", 'brand_colors:\n  "#FFD400": [0, .nan, 100, 0]\n'),
        "error: project.yaml:2: brand colour #FFD400: CMYK must be four percentages, e.g. [0, 100, 100, 0]",
    ),
]

LINKS = [
    Case(
        "film-link-over-qr-capacity",
        replace("messages.yaml", FILM_URL, FILM_URL + "/" + "x" * 2400),
        "error: messages.yaml:131: 'films.sang-et-boue.link.url': the link is 2,439 bytes long, more than the 2,331 a QR code can hold (version 40, level M); use a shorter link (a redirect)",
    ),
    Case(
        "film-link-too-long-for-its-slot",
        replace("messages.yaml", FILM_URL, FILM_URL + "/" + "x" * 500),
        "error: messages.yaml:131: link 'https://example.org/films/sang-et-boue/xxxxxxxxxx…' is 539 characters long; the QR code of slot 'qr' in layouts/choc.svg holds at most 331 characters at format a3 (40 mm wide, modules of at least 0.5 mm); shorten the link (a redirect) or make the slot larger",
        A3,
    ),
    Case(
        "campaign-link-too-long-for-its-slot",
        replace("messages.yaml", CAMPAIGN_URL, CAMPAIGN_URL + "/" + "y" * 600),
        "error: messages.yaml:20: link 'https://example.org/numerique-en-lumiere/programm…' is 655 characters long; the QR code of slot 'qr' in layouts/programme.svg holds at most 331 characters at format a3 (40 mm wide, modules of at least 0.5 mm); shorten the link (a redirect) or make the slot larger",
        ("render", "programme", "-f", "a3"),
    ),
    Case(
        "row-link-over-qr-capacity",
        csv(HEADER + "a,Asso,lundi,18 h,Salle,https://example.org/" + "z" * 2400 + "\n"),
        "error: data/screenings.csv:2: row 1 column 'url': the link is 2,420 bytes long, more than the 2,331 a QR code can hold (version 40, level M); use a shorter link (a redirect)",
        SEANCE,
    ),
    Case(
        "row-link-split-over-two-lines",
        csv(HEADER + 'a,Asso,lundi,18 h,Salle,"https://example.org/\na"\n'),
        "error: data/screenings.csv:2: row 1 column 'url': 'https://example.org/\na' is not an http(s) link; write the full address, https://…".replace(
            "\n", "\\n"
        ),
        SEANCE,
    ),
]

CSVS = [
    Case(
        "csv-latin1-row",
        csv((HEADER + ROW + "b,Café,jeudi,18 h,A,https://example.org/b\n").encode("latin-1")),
        "error: data/screenings.csv:2: row 1 is not UTF-8 text (byte 0xE9; the file looks like Latin-1 or Windows-1252); save the file as UTF-8 (in a spreadsheet: export as CSV UTF-8)",
        SEANCE,
    ),
    Case(
        "csv-latin1-in-a-multi-line-cell",
        csv((HEADER + ROW + 'b,"Salle\ndes fêtes",jeudi,18 h,A,https://example.org/b\n').encode("latin-1")),
        "error: data/screenings.csv:2: row 1 is not UTF-8 text (byte 0xE9; the file looks like Latin-1 or Windows-1252); save the file as UTF-8 (in a spreadsheet: export as CSV UTF-8)",
        SEANCE,
    ),
    Case(
        "csv-latin1-header",
        csv(b"id,h\xf4te\n1,2\n"),
        "error: data/screenings.csv:1: the header row is not UTF-8 text (byte 0xF4; the file looks like Latin-1 or Windows-1252); save the file as UTF-8 (in a spreadsheet: export as CSV UTF-8)",
        SEANCE,
    ),
    Case(
        "csv-nul-byte",
        csv((HEADER + ROW + "b,Ca\0fé,jeudi,18 h,A,https://example.org/b\n").encode()),
        "error: data/screenings.csv:3: row 2 holds a NUL byte (a binary or UTF-16 file?); export it from the spreadsheet as CSV UTF-8",
        SEANCE,
    ),
    Case(
        "csv-utf16",
        csv((HEADER + ROW).encode("utf-16")),
        "error: data/screenings.csv:1: the file is UTF-16 text, not UTF-8; export it from the spreadsheet as CSV UTF-8",
        SEANCE,
    ),
    Case(
        "csv-that-is-an-xlsx-workbook",  # saved from the spreadsheet as .xlsx and named .csv
        csv(b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" + bytes(64)),
        "error: data/screenings.csv: the file is a spreadsheet workbook, not CSV text; export it from the spreadsheet as CSV UTF-8",
        SEANCE,
    ),
    Case(
        "csv-cell-over-the-limit",
        csv(HEADER + "a," + "x" * 200_000 + ",lundi,18 h,Salle,https://example.org/a\n"),
        "error: data/screenings.csv:2: row 1 has a cell longer than 20,000 characters (the limit for one text, README 'Limits'); shorten it",
        SEANCE,
    ),
    Case(
        "csv-cell-one-over-the-limit",
        csv(HEADER + "a," + "x" * (limits.MAX_CSV_CELL_CHARS + 1) + ",lundi,18 h,Salle,https://example.org/a\n"),
        "error: data/screenings.csv:2: row 1 has a cell longer than 20,000 characters (the limit for one text, README 'Limits'); shorten it",
        SEANCE,
    ),
    Case(
        "csv-quote-never-closed",
        csv(HEADER + ROW + 'b,"Café,jeudi,18 h,A,https://example.org/b\nc,d,e,f,g,https://example.org/c\n'),
        'error: data/screenings.csv:3: row 2 opens a quoted cell that is never closed; close it with " (a quote inside a cell is written "")',
        SEANCE,
    ),
    Case(
        "csv-text-after-a-closing-quote",
        csv(HEADER + ROW + 'b,"Caf"é,jeudi,18 h,A,https://example.org/b\n'),
        'error: data/screenings.csv:3: row 2 has text after the closing quote of a cell; quote the whole cell and write a quote inside it as ""',
        SEANCE,
    ),
    Case(
        "csv-10001-rows",
        csv(HEADER + "".join(f"r{i},h,d,t,r,https://example.org/{i}\n" for i in range(limits.MAX_CSV_ROWS + 1))),
        "error: data/screenings.csv:10002: more than 10,000 rows (README 'Limits'); split the file and build each part with --data",
        SEANCE,
    ),
    Case(
        "csv-101-columns",
        csv(",".join(f"c{'_' * i}" for i in range(101)).replace("c", "col") + "\n"),
        "error: data/screenings.csv:1: 101 columns, more than the 100 allowed; remove some",
        SEANCE,
    ),
    Case(
        "csv-empty-file",
        csv(""),
        "error: data/screenings.csv:1: the file is empty; its first line names the columns, e.g. id,host,date,url",
        SEANCE,
    ),
    Case(
        "csv-column-twice",
        csv("id,host,host\na,b,c\n"),
        "error: data/screenings.csv:1: column 'host' appears twice in the header; keep one",
        SEANCE,
    ),
    Case(
        "csv-control-character",
        csv(HEADER + "a,Ca\x1bfé,lundi,18 h,Salle,https://example.org/a\n"),
        "error: data/screenings.csv:2: row 1 column 'host': control character U+001B is not allowed; remove it",
        SEANCE,
    ),
    Case(
        "csv-row-id-after-a-multi-line-cell",
        csv(
            HEADER
            + 'a,"Maison\ndes\nassociations",lundi,18 h,Salle,ftp://example.org/a\nA B,x,y,z,w,https://example.org/b\n'
        ),
        "error: data/screenings.csv:5: row 2: id 'a b' must be lower-case letters, digits and '-'; fix the id column",
        SEANCE,
    ),
]

# --- SVG: size and depth bombs, references, embedded images (layouts and visuals) ----------------

SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
VISUAL = "visuals/mine.svg"
LAYOUT = "layouts/choc.svg"


def visual(body: str, view: str = 'viewBox="0 0 100 100"') -> Callable[[Path], None]:
    """The poster's SVG visual replaced: the root on line 1, `body` from line 2."""
    return write(VISUAL, f"{SVG_HEAD} {view}>\n{body}\n</svg>\n")


def in_layout(body: str) -> Callable[[Path], None]:
    """`body` added to the choc layout, just before its closing tag."""
    return replace(LAYOUT, "</svg>", body + "\n</svg>")


def layout_attr(old: str, new: str) -> Callable[[Path], None]:
    return replace(LAYOUT, old, new)


def _png(width: int, height: int) -> str:
    """A PNG whose header declares width × height, as base64 (its pixels are never there)."""
    import base64

    return base64.b64encode(_png_header(width, height)).decode()


def _use_laughs(levels: int, copies: int) -> str:
    """<use> bomb: each level a group of `copies` uses of the level below."""
    body = '<defs><rect id="l0" width="1" height="1"/>'
    for i in range(1, levels + 1):
        body += f'<g id="l{i}">' + f'<use xlink:href="#l{i - 1}"/>' * copies + "</g>"
    return body + f'</defs><use id="top" xlink:href="#l{levels}"/>'


def _use_chain(length: int) -> str:
    body = '<defs><rect id="c0" width="1" height="1"/>'
    body += "".join(f'<use id="c{i}" xlink:href="#c{i - 1}"/>' for i in range(1, length + 1))
    return body + f'</defs><use xlink:href="#c{length}"/>'


CYCLE = "which leads back to it (a cycle of references); remove the reference"
TOO_MANY = f"more than {limits.MAX_SVG_ELEMENTS:,} elements; simplify the drawing (fewer paths, or a PNG or JPEG for a picture this detailed)"
TOO_DEEP = f"elements nested more than {limits.MAX_SVG_DEPTH} deep (<g> (no id)); ungroup what the groups do not need"
BOMB_IMAGE = "the embedded image declares {n} pixels, more than the 89,478,485 allowed (a decompression bomb?); embed a smaller image"
NESTED = "<g>" * (limits.MAX_SVG_DEPTH + 1) + "</g>" * (limits.MAX_SVG_DEPTH + 1)
MANY = '<rect width="1" height="1"/>' * (limits.MAX_SVG_ELEMENTS + 1)
BIG_COMMENT = "<!--" + "x" * limits.MAX_SVG_BYTES + "-->"
BIG_SVG = SVG_HEAD + ' viewBox="0 0 100 100">\n' + BIG_COMMENT + "\n</svg>\n"  # what visual() writes
BIG_SVG_BYTES = f"{len(BIG_SVG):,}".replace(",", " ")

SVGS = [
    Case(
        "visual-use-of-its-own-group",
        visual('<g id="a"><use id="u" xlink:href="#a"/></g>'),
        f"error: visuals/mine.svg:2: <use id='u'> refers to '#a', {CYCLE}",
    ),
    Case(
        "visual-use-of-itself",
        visual('<use id="self" xlink:href="#self"/>'),
        f"error: visuals/mine.svg:2: <use id='self'> refers to '#self', {CYCLE}",
    ),
    Case(
        "visual-use-cycle-of-two",
        visual('<g id="a"><use id="ua" href="#b"/></g>\n<g id="b"><use id="ub" href="#a"/></g>'),
        f"error: visuals/mine.svg:2: <use id='ua'> refers to '#b', {CYCLE}",
    ),
    Case(
        "visual-pattern-filled-with-itself",
        visual(
            '<defs><pattern id="p" width="5" height="5">\n<rect id="tile" width="5" height="5" fill="url(#p)"/>'
            '</pattern></defs><rect width="50" height="50" fill="url(#p)"/>'
        ),
        f"error: visuals/mine.svg:3: <rect id='tile'> refers to '#p', {CYCLE}",
    ),
    Case(
        "visual-gradients-inheriting-each-other",
        visual('<linearGradient id="g1" xlink:href="#g2"/>\n<linearGradient id="g2" xlink:href="#g1"/>'),
        f"error: visuals/mine.svg:2: <linearGradient id='g1'> refers to '#g2', {CYCLE}",
    ),
    Case(
        "visual-clip-path-clipped-by-itself",
        visual('<clipPath id="c"><rect id="r" width="5" height="5" clip-path="url(#c)"/></clipPath>'),
        f"error: visuals/mine.svg:2: <rect id='r'> refers to '#c', {CYCLE}",
    ),
    Case(
        "visual-use-billion-laughs",
        visual(_use_laughs(6, 10)),
        f"error: visuals/mine.svg:2: <g id='l5'> makes the file draw more than {limits.MAX_SVG_ELEMENTS:,} elements (each <use> counts as a copy of what it refers to); use fewer copies or simplify the drawing",
    ),
    Case(
        "visual-use-chain",
        visual(_use_chain(limits.MAX_SVG_USE_CHAIN + 5)),
        f"error: visuals/mine.svg:2: <use id='c{limits.MAX_SVG_USE_CHAIN + 1}'> starts a chain of more than {limits.MAX_SVG_USE_CHAIN} <use> elements, each a copy of the next; copy the drawing itself instead",
    ),
    Case("visual-nested-too-deep", visual(NESTED), f"error: visuals/mine.svg:2: {TOO_DEEP}"),
    Case("visual-too-many-elements", visual(MANY), f"error: visuals/mine.svg:2: {TOO_MANY}"),
    Case(
        "visual-file-too-large",
        visual(BIG_COMMENT),
        f"error: visuals/mine.svg: is {BIG_SVG_BYTES} bytes, more than the 16 MiB allowed (README, Limits); simplify it, or use a PNG or JPEG",
    ),
    Case(
        "visual-embedded-png-bomb",
        visual(
            f'<image id="photo" width="100" height="100" xlink:href="data:image/png;base64,{_png(50_000, 50_000)}"/>'
        ),
        "error: visuals/mine.svg:2: <image id='photo'>: " + BOMB_IMAGE.format(n="2,500,000,000"),
    ),
    Case(
        "visual-embedded-png-one-row-over",
        visual(f'<image id="photo" width="100" height="100" xlink:href="data:image/png;base64,{_png(9460, 9459)}"/>'),
        "error: visuals/mine.svg:2: <image id='photo'>: " + BOMB_IMAGE.format(n="89,482,140"),
    ),
    Case(
        "visual-embedded-svg",
        visual('<image id="inner" width="9" height="9" xlink:href="data:image/svg+xml;base64,PHN2Zy8+"/>'),
        "error: visuals/mine.svg:2: <image id='inner'>: an SVG embedded in an SVG is not allowed (it would be read unchecked); paste its elements in instead",
    ),
    Case(
        "visual-embedded-junk",
        visual('<image id="junk" width="9" height="9" xlink:href="data:image/png;base64,aGVsbG8gd29ybGQ="/>'),
        "error: visuals/mine.svg:2: <image id='junk'>: the embedded data is not an image that can be read; embed a PNG or JPEG",
    ),
    Case(
        "visual-embedded-broken-base64",
        visual('<image id="cut" width="9" height="9" xlink:href="data:image/png;base64,iVBORw0K@@"/>'),
        "error: visuals/mine.svg:2: <image id='cut'>: the embedded image's base64 data is damaged; embed the image again",
    ),
    Case(
        "visual-embedded-without-comma",
        visual('<image width="9" height="9" xlink:href="data:image/png;base64"/>'),
        "error: visuals/mine.svg:2: <image> (no id): the data: URI has no ',' before its data; embed the image again",
    ),
    Case(
        "layout-use-of-its-own-group",
        in_layout('<g id="loop"><use id="again" href="#loop"/></g>'),
        f"error: layouts/choc.svg:{{line:layouts/choc.svg:id=\"again\"}}: <use id='again'> refers to '#loop', {CYCLE}",
    ),
    Case(
        "layout-nested-too-deep",
        in_layout(NESTED),
        f"error: layouts/choc.svg:{{line:layouts/choc.svg:<g><g>}}: {TOO_DEEP}",
    ),
    Case(
        "layout-too-many-elements",
        in_layout(MANY),
        f'error: layouts/choc.svg:{{line:layouts/choc.svg:<rect width="1"}}: {TOO_MANY}',
    ),
    Case(
        "layout-embedded-png-bomb",
        in_layout(f'<image id="texture" width="9" height="9" href="data:image/png;base64,{_png(40_000, 40_000)}"/>'),
        "error: layouts/choc.svg:{line:layouts/choc.svg:id=\"texture\"}: <image id='texture'>: "
        + BOMB_IMAGE.format(n="1,600,000,000"),
    ),
]

# --- degenerate geometry --------------------------------------------------------------------------

VIEWBOX_NEEDED = "the visual needs a viewBox of four numbers with a positive width and height, e.g. viewBox='0 0 800 600' (or a width and height in px, mm, cm, in or pt)"
LAYOUT_VIEWBOX = "the <svg> root needs a viewBox='0 0 W H' (the reference size, e.g. 297 420 for A3 in mm)"
A3_VIEWBOX = 'viewBox="0 0 297 420"'
MESSAGE_SLOT = 'id="message" class="slot-frame" x="16" y="216" width="265" height="88"'
UNUSABLE = "is not a usable transform (NaN, infinite, or beyond 10,000,000); reset it in the editor"

GEOMETRY = [
    Case(
        "visual-zero-viewbox",
        visual("<rect width='5' height='5'/>", 'viewBox="0 0 0 100"'),
        f"error: visuals/mine.svg:1: {VIEWBOX_NEEDED}",
    ),
    Case(
        "visual-nan-viewbox",
        visual("<rect width='5' height='5'/>", 'viewBox="0 0 NaN 100"'),
        f"error: visuals/mine.svg:1: {VIEWBOX_NEEDED}",
    ),
    Case(
        "visual-infinite-viewbox",
        visual("<rect width='5' height='5'/>", 'viewBox="0 0 1e999 100"'),
        f"error: visuals/mine.svg:1: {VIEWBOX_NEEDED}",
    ),
    Case(
        "visual-negative-viewbox",
        visual("<rect width='5' height='5'/>", 'viewBox="0 0 100 -100"'),
        f"error: visuals/mine.svg:1: {VIEWBOX_NEEDED}",
    ),
    Case(
        "visual-viewbox-of-words",
        visual("<rect width='5' height='5'/>", 'viewBox="a b c d"'),
        f"error: visuals/mine.svg:1: {VIEWBOX_NEEDED}",
    ),
    Case(
        "visual-huge-viewbox",
        visual("<rect width='5' height='5'/>", 'viewBox="0 0 1e300 1e300"'),
        f"error: visuals/mine.svg:1: {VIEWBOX_NEEDED}",
    ),
    Case(
        "visual-percent-size-only",
        visual("<rect width='5' height='5'/>", 'width="100%" height="100%"'),
        f"error: visuals/mine.svg:1: {VIEWBOX_NEEDED}",
    ),
    Case(  # tinycss2 and cssselect2 recurse per level: a selector nested 3 000 deep overflowed the stack
        "visual-style-nested-too-deep",
        visual("<style>" + ":not(" * 3000 + "a" + ")" * 3000 + "{fill:red}</style><rect width='5' height='5'/>"),
        "error: visuals/mine.svg:2: <style> nests brackets more than 32 deep, which no style needs and the renderer "
        "cannot read; simplify it",
    ),
    Case(  # cairosvg reads style="" with tinycss2, which recursed past the stack: an internal error
        "visual-style-attribute-nested-brackets",
        visual("<rect style='fill:" + "(" * 5000 + "' width='5' height='5'/>"),
        "error: visuals/mine.svg:2: 'style' nests brackets more than 32 deep, which no style needs and the "
        "renderer cannot read; simplify it",
    ),
    Case(  # a marker is drawn again at each vertex: 20 000 points and a 3-shape marker took 5.5 s to draw
        "visual-marker-on-every-vertex",
        visual(
            '<defs><marker id="m"><circle r="1"/><circle r="2"/><circle r="3"/></marker></defs>'
            '<style>.dots{marker-mid:url(#m)}</style><path class="dots" d="M0 0'
            + "".join(f" L{i % 100} {i // 100}" for i in range(20_000))
            + '"/>'
        ),
        "error: visuals/mine.svg:2: <path> (no id) has markers drawn at its vertices that make the file draw more "
        "than 50,000 elements (each marker counts as a copy of what it holds); use fewer points or no marker on the "
        "middle vertices",
    ),
    Case(  # each rule is read and matched: a million in 16 MiB would take a minute
        "visual-style-too-many-rules",
        visual(
            "<style>" + "".join(f".c{i}{{fill:red}}" for i in range(10_001)) + "</style><rect width='5' height='5'/>"
        ),
        "error: visuals/mine.svg:2: its <style> sheets hold more than 10,000 rules (README, Limits); export it with "
        "styles as attributes (Illustrator: CSS Properties, Presentation Attributes), or simplify it",
    ),
    Case(
        "visual-nan-transform",
        visual('<rect id="r" transform="matrix(nan 0 0 1 0 0)" width="5" height="5"/>'),
        f"error: visuals/mine.svg:2: <rect id='r'>: transform 'matrix(nan 0 0 1 0 0)' {UNUSABLE}",
    ),
    Case(
        "layout-zero-viewbox",
        layout_attr(A3_VIEWBOX, 'viewBox="0 0 0 0"'),
        f"error: layouts/choc.svg:5: {LAYOUT_VIEWBOX}",
    ),
    Case(
        "layout-nan-viewbox",
        layout_attr(A3_VIEWBOX, 'viewBox="0 0 NaN 420"'),
        f"error: layouts/choc.svg:5: {LAYOUT_VIEWBOX}",
    ),
    Case(
        "layout-huge-viewbox",
        layout_attr(A3_VIEWBOX, 'viewBox="0 0 1e300 1e300"'),
        f"error: layouts/choc.svg:5: {LAYOUT_VIEWBOX}",
    ),
    Case(
        "layout-slot-zero-width",
        layout_attr(MESSAGE_SLOT, MESSAGE_SLOT.replace('width="265"', 'width="0"')),
        "error: layouts/choc.svg:32: element 'message': 'width' must be a positive number in user units (at most 10,000,000), not '0'",
    ),
    Case(
        "layout-slot-negative-width",
        layout_attr(MESSAGE_SLOT, MESSAGE_SLOT.replace('width="265"', 'width="-265"')),
        "error: layouts/choc.svg:32: element 'message': 'width' must be a positive number in user units (at most 10,000,000), not '-265'",
    ),
    Case(
        "layout-slot-nan-height",
        layout_attr(MESSAGE_SLOT, MESSAGE_SLOT.replace('height="88"', 'height="nan"')),
        "error: layouts/choc.svg:32: element 'message': 'height' must be a positive number in user units (at most 10,000,000), not 'nan'",
    ),
    Case(
        "layout-slot-infinite-x",
        layout_attr(MESSAGE_SLOT, MESSAGE_SLOT.replace('x="16"', 'x="inf"')),
        "error: layouts/choc.svg:32: element 'message': 'x' must be a number in user units (at most 10,000,000), not 'inf'",
    ),
    Case(
        "layout-nan-transform",
        layout_attr('id="message" class', 'id="message" transform="rotate(nan)" class'),
        f"error: layouts/choc.svg:32: <rect id='message'>: transform 'rotate(nan)' {UNUSABLE}",
    ),
    Case(
        "layout-huge-scale",
        layout_attr('id="message" class', 'id="message" transform="scale(1e300)" class'),
        f"error: layouts/choc.svg:32: <rect id='message'>: transform 'scale(1e300)' {UNUSABLE}",
    ),
    Case(
        "layout-zero-scale",
        layout_attr('id="message" class', 'id="message" transform="scale(0)" class'),
        "error: layouts/choc.svg:32: slot 'message' is drawn through a transform that flattens it (zero scale) on element 'message'; reset that element's scale in the editor",
    ),
]

# --- the preview's --layout names a layout of the project, never a path -----------------------------

NOT_A_NAME = (
    "is not a layout's name (a layout is a file layouts/<name>.svg of the project); name one, e.g. --layout choc"
)

PREVIEWS = [
    Case(
        "preview-layout-parent-folder",
        lambda p: None,
        f"error: layout '../x' {NOT_A_NAME}",
        ("preview", "--layout", "../x"),
    ),
    Case(
        "preview-layout-absolute-path",
        lambda p: None,
        f"error: layout '/etc/passwd' {NOT_A_NAME}",
        ("preview", "--layout", "/etc/passwd"),
    ),
    Case(
        "preview-layout-variant",
        lambda p: None,
        f"error: layout 'choc.story' {NOT_A_NAME}",
        ("preview", "--layout", "choc.story"),
    ),
    Case(
        "preview-layout-links-outside",
        link("layouts/evil.svg", "/etc/passwd"),
        f"error: layout file layouts/evil.svg {LINK_OUT}; copy the template into layouts/",
        ("preview", "--layout", "evil"),
    ),
    Case(
        "preview-layouts-folder-links-outside",
        link("layouts", f"{OUTSIDE}/layouts"),
        f"error: layout folder layouts/ {LINK_OUT}; make it a folder of the project",
        ("preview", "--layout", "choc"),
    ),
]

CASES = PATHS + BOMBS + ENCODINGS + NUMBERS + LINKS + CSVS + SVGS + GEOMETRY + PREVIEWS


def test_corpus_grew_by_forty_cases_at_least():
    assert len(CASES) >= 120 and len({c.id for c in CASES}) == len(CASES)
    from test_bad_inputs import CASES as FIRST

    assert not {c.id for c in CASES} & {c.id for c in FIRST}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case, scratch, capsys):
    shutil.copytree(ROOT / "data", scratch / "data")  # the data poster's table, which CSV cases break
    case.edit(scratch)
    args = tuple(a.replace("{project}", str(scratch)) for a in case.args)
    code, err = run_inprocess(args, scratch, capsys)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, err
    expected = _expand_lines(_fill(case.expected), scratch).replace("{project}", str(scratch))
    assert expected in err.splitlines(), err
    assert "SECRET-LINE" not in err  # an outside file's content is never echoed
    assert not (scratch / "build").exists()


# --- what must keep working ---------------------------------------------------------------------


def test_bom_and_crlf_files_still_build(scratch, capsys):
    for name in ("messages.yaml", "project.yaml", CHOC):
        path = scratch / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    code, err = run_inprocess(("render", "choc-cobalt", "-f", "instagram"), scratch, capsys)
    assert code == 0, err
    assert (scratch / "build" / "choc-cobalt" / "instagram.png").is_file()


def test_crlf_files_keep_their_line_numbers(scratch, capsys):
    path = scratch / CHOC
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n").replace(b"stat: enfants-cobalt", b"stat: enfant-cobalt"))
    code, err = run_inprocess(("render", "choc-cobalt", "-f", "instagram"), scratch, capsys)
    assert code == 2
    assert err.splitlines() == [
        "error: posters/choc-cobalt.yaml:4: stat 'enfant-cobalt' is not defined in messages.yaml (did you mean 'enfants-cobalt'?)"
    ]


def test_links_that_stay_inside_the_project_are_followed(scratch, capsys):
    (scratch / "visuals" / "elsewhere").mkdir()
    (scratch / "visuals" / "mine.svg").rename(scratch / "visuals" / "elsewhere" / "mine.svg")
    (scratch / "visuals" / "mine.svg").symlink_to("elsewhere/mine.svg")
    (scratch / "posters" / "choc-cobalt.yaml").rename(scratch / "posters" / "real.yml.txt")
    (scratch / "posters" / "choc-cobalt.yaml").symlink_to(scratch / "posters" / "real.yml.txt")
    code, err = run_inprocess(("render", "choc-cobalt", "-f", "instagram"), scratch, capsys)
    assert code == 0, err


def test_the_data_option_may_name_a_file_outside_the_project(scratch, tmp_path, capsys):
    # `--data FILE` is the user's own argument (README, "Security"): like `cat FILE`, it may be
    # anywhere they can read. A poster's `data:` may not (the PATHS cases).
    shutil.copytree(ROOT / "data", scratch / "data")
    rows = tmp_path / "elsewhere" / "rows.csv"
    rows.parent.mkdir()
    rows.write_text(HEADER + ROW, encoding="utf-8")
    code, err = run_inprocess(
        ("build", "-p", "seance", "-f", "instagram", "--data", str(rows), "-j", "1"), scratch, capsys
    )
    assert code == 0, err
    assert (scratch / "build" / "seance" / "lilas" / "instagram.png").is_file()


def test_unreadable_poster_file(scratch, capsys):
    (scratch / CHOC).chmod(0)
    expected = ["error: posters/choc-cobalt.yaml: cannot be read (Permission denied); check the file's permissions"]
    if os.geteuid() != 0:
        code, err = run_inprocess(("render", "choc-cobalt", "-f", "instagram"), scratch, capsys)
        assert (code, err.splitlines()) == (2, expected)
        return
    # Root reads whatever the mode bits say, unless it runs without the capabilities that allow it.
    done = subprocess.run(
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "poster_engine"]
        + ["render", "choc-cobalt", "-f", "instagram"],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode, done.stderr.splitlines()) == (2, expected)


# --- CSV as written ------------------------------------------------------------------------------


def test_multi_line_cells_are_kept_as_written(tmp_path):
    from poster_engine.project.data import load_rows

    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + (
            HEADER
            + 'a,"Maison\r\ndes associations",lundi,18 h,"Salle ""A""",https://example.org/a\r\n'
            + "\r\n"
            + "b,Centre,mardi,19 h,B,https://example.org/b\r\n"
        ).encode()
    )
    rows, problems = load_rows(path, "rows.csv")
    assert problems == []
    assert [(r.id, r.line) for r in rows] == [("a", 2), ("b", 5)]
    assert rows[0].as_dict()["host"] == "Maison\ndes associations"
    assert rows[0].as_dict()["room"] == 'Salle "A"'


def test_reading_a_table_leaves_the_csv_module_as_it_was(tmp_path):
    import csv as csv_module

    from poster_engine.project.data import load_rows

    before = csv_module.field_size_limit()
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "a," + "x" * (limits.MAX_CSV_CELL_CHARS + 1) + ",d,t,r,https://example.org/a\n")
    with pytest.raises(Exception):  # noqa: B017 - the PosterError is the corpus's business
        load_rows(path, "rows.csv")
    assert csv_module.field_size_limit() == before


# --- the bounds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "lol: &a ["
        + ", ".join(["lol"] * 9)
        + "]\n"
        + "".join(f"l{i}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)),
        "x: " + "[" * 200_000 + "\n",
        "x: " + "{a: " * 100_000 + "\n",
        "- " * 50_000 + "x\n",
        "x: &a [" + ", ".join(["*a"] * 1000) + "]\n",
    ],
    ids=["billion-laughs", "200000-open-brackets", "100000-open-braces", "50000-nested-items", "self-alias"],
)
def test_yaml_bombs_fail_in_under_a_second_with_a_line(tmp_path, text):
    # In a child process with a deadline, so that a bound that stopped working fails this test
    # instead of hanging the suite; the child measures its own CPU time (the machine is shared).
    import json
    import subprocess
    import sys

    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    child = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from poster_engine.core.diagnostics import PosterError\n"
        "from poster_engine.project.sources import load_yaml\n"
        "path = Path(sys.argv[1])\n"
        "started = time.process_time()\n"
        "try:\n"
        "    load_yaml(path, 'bomb.yaml', path.parent)\n"
        "    out = None\n"
        "except PosterError as exc:\n"
        "    out = [(d.file, d.line) for d in exc.diagnostics]\n"
        "print(json.dumps([time.process_time() - started, out]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", child, str(path)], capture_output=True, text=True, timeout=30, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    cpu, diagnostics = json.loads(result.stdout)
    assert cpu < 1.0
    assert diagnostics is not None and len(diagnostics) == 1
    ((file, line),) = diagnostics
    assert file == "bomb.yaml" and line is not None


def test_the_longest_link_a_qr_slot_names_fits_and_one_more_does_not():
    from poster_engine.compose.qr import byte_capacity, largest_version, make_qr

    for version in (1, 2, 5, 9, 10, 26, 27, 40):
        room = 17 + 4 * version + 8  # modules, quiet zone included
        assert largest_version(room) == version and largest_version(room - 1) == version - 1
        n = byte_capacity(version)

        def link(size: int) -> str:
            return ("https://x.io/" + "a" * size)[:size]

        assert make_qr(link(n)).version == version
        if version < 40:
            assert make_qr(link(n + 1)).version == version + 1
    assert byte_capacity(40) == limits.MAX_QR_BYTES


def test_the_readme_states_every_limit():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Limits") :]
    section = section[: section.index("\n## ", 4)]
    for name in dir(limits):
        if name.isupper() and name not in ("KIB", "MIB"):
            assert f"`{name}`" in section, name
