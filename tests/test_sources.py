"""YAML files → data + the line of every key (project/sources.py), on libyaml's C parser and on
PyYAML's Python parser: the same data, the same lines, the same located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from poster_engine.core.diagnostics import PosterError
from poster_engine.project import sources
from poster_engine.project.sources import Located, load_yaml

PARSERS = ["c", "python"]

NESTED = """\
# a comment line
campaign:
  name: Numérique en lumière   # trailing comment
  dates: 2025-11-26
  venues:
    - name: Halle Pajol
      rooms: [A, B]

    - name: "Le 104"
      note: |
        two lines
        of text
      rooms:
        - C
        - {id: D, seats: 40}
films: {sang-et-boue: {url: 'https://a.org/s'}, credit: {}}
"""

# (path, line): what an editor shows for each key and list item of NESTED.
NESTED_LINES = {
    (): 2,
    ("campaign",): 2,
    ("campaign", "name"): 3,
    ("campaign", "dates"): 4,
    ("campaign", "venues"): 5,
    ("campaign", "venues", 0): 6,
    ("campaign", "venues", 0, "name"): 6,
    ("campaign", "venues", 0, "rooms"): 7,
    ("campaign", "venues", 0, "rooms", 0): 7,
    ("campaign", "venues", 0, "rooms", 1): 7,
    ("campaign", "venues", 1): 9,
    ("campaign", "venues", 1, "name"): 9,
    ("campaign", "venues", 1, "note"): 10,
    ("campaign", "venues", 1, "rooms"): 13,
    ("campaign", "venues", 1, "rooms", 0): 14,
    ("campaign", "venues", 1, "rooms", 1): 15,
    ("campaign", "venues", 1, "rooms", 1, "id"): 15,
    ("campaign", "venues", 1, "rooms", 1, "seats"): 15,
    ("films",): 16,
    ("films", "sang-et-boue"): 16,
    ("films", "sang-et-boue", "url"): 16,
    ("films", "credit"): 16,
}


@pytest.fixture(params=PARSERS)
def parser(request, monkeypatch) -> str:
    """Run the test on libyaml's C parser (the fast path for valid files) and on the Python parser."""
    if request.param == "python":
        monkeypatch.setattr(sources, "_FastLoader", None)
    elif sources._FastLoader is None:
        pytest.skip("PyYAML was built without libyaml")
    return request.param


def _load(tmp_path: Path, content: str | bytes, name: str = "posters/x.yaml") -> Located:
    path = tmp_path / "x.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return load_yaml(path, name)


def _error(tmp_path: Path, content: str | bytes) -> tuple[str, str | None, int | None]:
    with pytest.raises(PosterError) as exc:
        _load(tmp_path, content)
    (d,) = exc.value.diagnostics
    return d.message, d.file, d.line


def test_lines_of_nested_keys_and_list_items(tmp_path, parser):
    src = _load(tmp_path, NESTED)
    assert src.lines == NESTED_LINES
    assert src.file == "posters/x.yaml"
    assert src.data["campaign"]["venues"][1]["note"] == "two lines\nof text\n"
    assert src.data["campaign"]["venues"][1]["rooms"][1] == {"id": "D", "seats": 40}


def test_windows_line_endings_give_the_same_lines(tmp_path, parser):
    assert _load(tmp_path, NESTED.replace("\n", "\r\n")).lines == NESTED_LINES


def test_line_of_is_the_nearest_located_ancestor(tmp_path, parser):
    src = _load(tmp_path, NESTED)
    assert src.line_of(("campaign", "venues", 1, "rooms", 1, "seats")) == 15
    assert src.line_of(("campaign", "venues", 1, "missing", 3)) == 9  # the list item that lacks it
    assert src.line_of(("nowhere",)) == 2  # the document
    assert src.line_of(()) == 2


def test_empty_file_is_no_data(tmp_path, parser):
    for content in ("", "# only a comment\n"):
        src = _load(tmp_path, content)
        assert (src.data, src.lines, src.line_of(("a",))) == (None, {}, None)


def test_the_c_and_python_parsers_agree_on_every_project_file(monkeypatch):
    """Same data and lines for the demo's own files (messages, project, posters) and NESTED."""
    if sources._FastLoader is None:
        pytest.skip("PyYAML was built without libyaml")
    files = [ROOT / "messages.yaml", ROOT / "project.yaml", *sorted((ROOT / "posters").glob("*.yaml"))]
    assert len(files) >= 10
    fast = [load_yaml(f, f.name) for f in files]
    monkeypatch.setattr(sources, "_FastLoader", None)
    slow = [load_yaml(f, f.name) for f in files]
    for f, a, b in zip(files, fast, slow):
        assert (a.data, a.lines) == (b.data, b.lines), f.name
        assert len(a.lines) > 3, f.name


def test_valid_files_never_reach_the_python_parser(tmp_path, monkeypatch):
    """libyaml reads valid files alone (5x faster); the Python parser is only for error messages."""
    if sources._FastLoader is None:
        pytest.skip("PyYAML was built without libyaml")

    def not_here(*_args):
        raise AssertionError("the Python parser ran on a valid file")

    monkeypatch.setattr(sources, "_Loader", not_here)
    assert _load(tmp_path, NESTED).lines == NESTED_LINES


def test_dates_stay_strings_other_scalars_keep_their_types(tmp_path, parser):
    data = _load(
        tmp_path,
        "date: 2025-11-26\nwhen: 2025-11-26 09:00:00\niso: 2025-11-26T09:00:00Z\n"
        "seats: 40\nratio: 0.5\nfree: true\nnone: null\n",
    ).data
    assert data == {
        "date": "2025-11-26",
        "when": "2025-11-26 09:00:00",
        "iso": "2025-11-26T09:00:00Z",
        "seats": 40,
        "ratio": 0.5,
        "free": True,
        "none": None,
    }
    assert sources._Loader.yaml_implicit_resolvers is not yaml.SafeLoader.yaml_implicit_resolvers
    assert yaml.safe_load("d: 2025-11-26")["d"] != "2025-11-26"  # PyYAML's own loader is left alone


def test_duplicate_keys_name_both_lines(tmp_path, parser):
    assert _error(tmp_path, "title: a\nlayout: choc\nlayout: stat\n") == (
        "key 'layout' is given twice (also on line 2); keep one",
        "posters/x.yaml",
        3,
    )
    nested = "colors:\n  text: '#FFF'\n  accent: '#000'\n\n  text: '#111'\n"
    assert _error(tmp_path, nested) == ("key 'text' is given twice (also on line 2); keep one", "posters/x.yaml", 5)
    flow = "films: [{url: a, url: b}]\n"
    assert _error(tmp_path, flow) == ("key 'url' is given twice (also on line 1); keep one", "posters/x.yaml", 1)
    # The same key in two mappings is no duplicate.
    assert _load(tmp_path, "a: {x: 1}\nb: {x: 2}\n").data == {"a": {"x": 1}, "b": {"x": 2}}


def test_invalid_utf8_names_its_line(tmp_path, parser):
    message = "not valid UTF-8 text; save the file as UTF-8"
    assert _error(tmp_path, b"title: ok\n\nname: caf\xe9\n") == (message, "posters/x.yaml", 3)  # Latin-1
    assert _error(tmp_path, b"a: 1\nb: caf\xc3") == (message, "posters/x.yaml", 2)  # cut mid-character
    assert _error(tmp_path, b"\xff\xfea\x00:\x00") == (message, "posters/x.yaml", 1)  # UTF-16
    assert _load(tmp_path, b"\xef\xbb\xbfa: caf\xc3\xa9\n").data == {"a": "café"}  # a BOM is fine


@pytest.mark.parametrize("char, line", [("\x07", 2), ("\x7f", 3), ("\ufffe", 3), ("\x1b", 1)])
def test_control_characters_are_refused_on_their_line(tmp_path, parser, char, line):
    lines = ["a: 1", "b: two", "c: three"]
    lines[line - 1] += char
    assert _error(tmp_path, "\n".join(lines) + "\n") == (
        f"invalid YAML: control character U+{ord(char):04X} is not allowed; remove it",
        "posters/x.yaml",
        line,
    )


def test_tabs_in_quoted_text_are_no_control_characters(tmp_path, parser):
    assert _load(tmp_path, 'a: "x\ty"\n').data == {"a": "x\ty"}


def test_syntax_errors_say_where_the_construct_began(tmp_path, parser):
    assert _error(tmp_path, "a: [1, 2\nb: 3\n") == (
        "invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence on line 1)",
        "posters/x.yaml",
        2,
    )
    assert _error(tmp_path, "a: 1\n b: 2\n") == (
        "invalid YAML: mapping values are not allowed here",
        "posters/x.yaml",
        2,
    )


def test_unreadable_files(tmp_path):
    with pytest.raises(PosterError) as exc:
        load_yaml(tmp_path / "missing.yaml", "posters/missing.yaml")
    assert str(exc.value) == "posters/missing.yaml: file not found"
    with pytest.raises(PosterError) as exc:
        load_yaml(tmp_path, "posters/folder.yaml")
    assert str(exc.value) == "posters/folder.yaml: is a folder, not a file; replace it with a file"
