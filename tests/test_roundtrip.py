"""Edits written back into a campaign's YAML keep the author's file (project/roundtrip.py): only the
edited value's text changes, every other byte stays; nothing changed → nothing written."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
import yaml

from poster_engine.core.diagnostics import PosterError
from poster_engine.project.roundtrip import load_for_edit, set_value, set_values

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = """\
# A header comment
campaign:
  name: Plain words   # trailing comment
  single: 'it''s single'
  double: "double « quoted »"
  missing: null   # not given

  literal: |
    line one
    line two
  folded: >-
    folded text
  langs: {fr: "Bonjour", en: 'Hello'}
  block:
    fr: "Texte"
list:
  - first
  - "second"
"""


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "messages.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "keys, value, expected",
    [
        (
            ("campaign", "name"),
            "Other words",
            ["-  name: Plain words   # trailing comment", "+  name: Other words   # trailing comment"],
        ),
        (
            ("campaign", "name"),
            "Needs: quotes",
            ["-  name: Plain words   # trailing comment", '+  name: "Needs: quotes"   # trailing comment'],
        ),
        (("campaign", "single"), "l'autre", ["-  single: 'it''s single'", "+  single: 'l''autre'"]),
        (("campaign", "double"), 'a "b"', ['-  double: "double « quoted »"', '+  double: "a \\"b\\""']),
        (
            ("campaign", "missing"),
            "now given",
            ["-  missing: null   # not given", "+  missing: now given   # not given"],
        ),
        (("campaign", "literal"), "line one\nline two\nline three\n", ["+    line three"]),
        (("campaign", "folded"), "other text", ["-    folded text", "+    other text"]),
        (
            ("campaign", "langs", "en"),
            "Hi",
            ["-  langs: {fr: \"Bonjour\", en: 'Hello'}", "+  langs: {fr: \"Bonjour\", en: 'Hi'}"],
        ),
        (
            ("campaign", "langs", "de"),
            "Hallo",
            ["-  langs: {fr: \"Bonjour\", en: 'Hello'}", "+  langs: {fr: \"Bonjour\", en: 'Hello', de: Hallo}"],
        ),
        (("campaign", "block", "en"), "Text", ['+    en: "Text"']),
        (("list", 1), "deux", ['-  - "second"', '+  - "deux"']),
    ],
)
def test_one_edit_changes_only_its_value_in_its_own_quoting(sample, keys, value, expected):
    assert set_value(sample, keys, value, "messages.yaml", create=True) is True
    after = sample.read_text(encoding="utf-8")
    assert _changed_lines(SAMPLE, after) == expected
    data = yaml.safe_load(after)
    node = data
    for key in keys:
        node = node[key]
    assert node == value
    # everything else reads back the same
    node_before = yaml.safe_load(SAMPLE)
    parent = node_before
    for key in keys[:-1]:
        parent = parent[key]
    parent[keys[-1]] = value
    assert data == node_before


def test_setting_the_same_values_writes_nothing(sample):
    mtime = sample.stat().st_mtime_ns
    assert set_values(sample, [(("campaign", "name"), "Plain words"), (("list", 0), "first")]) is False
    assert sample.read_bytes() == SAMPLE.encode()
    assert sample.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    "campaign", ["messages.yaml", "examples/repair-cafe/messages.yaml", "posters/choc-cobalt.yaml"]
)
def test_campaign_files_round_trip_byte_for_byte(tmp_path, campaign):
    """Every value set to itself (a full walk of the file) leaves it identical, byte for byte."""
    path = tmp_path / "f.yaml"
    shutil.copy(ROOT / campaign, path)
    doc = load_for_edit(path)

    def walk(data, keys):
        if isinstance(data, dict):
            for k, v in data.items():
                yield from walk(v, keys + (k,))
        elif isinstance(data, list):
            for i, v in enumerate(data):
                yield from walk(v, keys + (i,))
        elif isinstance(data, str):
            yield keys, data

    edits = list(walk(yaml.safe_load((ROOT / campaign).read_text(encoding="utf-8")), ()))
    assert len(edits) > 5
    for keys, value in edits:
        assert doc.set(keys, value) is False
    assert doc.save() is False
    assert path.read_bytes() == (ROOT / campaign).read_bytes()


def test_a_real_edit_in_the_demo_messages_changes_one_line(tmp_path):
    path = tmp_path / "messages.yaml"
    shutil.copy(ROOT / "messages.yaml", path)
    before = path.read_text(encoding="utf-8")
    set_value(path, ("campaign", "dates", "en"), "26–27 November 2025")
    assert _changed_lines(before, path.read_text(encoding="utf-8")) == [
        '-    en: "26 & 27 November 2025 – 9 am to 6 pm"',
        '+    en: "26–27 November 2025"',
    ]


def test_a_text_becomes_one_per_language(sample):
    doc = load_for_edit(sample)
    doc.set_mapping(("campaign", "double"), {"fr": "double « quoted »", "en": "double “quoted”"})
    doc.save()
    assert _changed_lines(SAMPLE, sample.read_text()) == [
        '-  double: "double « quoted »"',
        '+  double: {fr: "double « quoted »", en: "double “quoted”"}',
    ]


@pytest.mark.parametrize(
    "keys, message",
    [
        (("campaign", "nmae"), "messages.yaml:2: 'nmae' is not a key of 'campaign' (did you mean 'name'?)"),
        (("campaing", "name"), "messages.yaml:2: 'campaing' is not a key of '(document)' (did you mean 'campaign'?)"),
        (
            ("campaign", "block"),
            "messages.yaml:14: campaign.block is a mapping, not a text; give the path of one of its texts",
        ),
        (
            ("campaign", "name", "fr"),
            "messages.yaml:3: cannot follow 'fr' in campaign.name.fr: 'campaign.name' is a text",
        ),
    ],
)
def test_a_bad_key_path_is_one_located_line_and_nothing_is_written(sample, keys, message):
    with pytest.raises(PosterError) as err:
        set_value(sample, keys, "x", "messages.yaml")
    assert str(err.value) == message
    assert sample.read_text() == SAMPLE


def test_broken_yaml_is_a_located_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(PosterError) as err:
        load_for_edit(path, "bad.yaml")
    assert str(err.value).startswith("bad.yaml:")
