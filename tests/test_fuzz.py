"""Fuzzing in `make test` (tests/fuzzing.py): the YAML loader, the CSV reader, the SVG parser (layouts
and visuals) and the command line
take generated hostile inputs for a bounded time and must answer each with a result or located
one-line diagnostics, within the time bound; then every input of tests/corpus/ is replayed."""

from __future__ import annotations

import ast

import pytest
from fuzzing import (
    YAML_FILES,
    Workspace,
    cli_calls,
    cli_target,
    corpus,
    csv_tables,
    csv_target,
    profile,
    svg_documents,
    svg_target,
    yaml_documents,
    yaml_target,
)
from hypothesis import given


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    workspace = Workspace.create(tmp_path_factory.mktemp("fuzz"))
    # Once, untimed: the first load of a process pays for imports and caches, which is not the
    # input's doing (the time bound is about what an input costs)
    for which in ("messages", "project"):
        yaml_target(workspace, which, (workspace.root / YAML_FILES[which]).read_bytes())
    return workspace


@profile(60)
@given(data=yaml_documents("poster"))
def test_fuzz_poster_files(ws, data):
    yaml_target(ws, "poster", data)


@profile(40)
@given(data=yaml_documents("messages"))
def test_fuzz_messages(ws, data):
    yaml_target(ws, "messages", data)


@profile(40)
@given(data=yaml_documents("project"))
def test_fuzz_project_yaml(ws, data):
    yaml_target(ws, "project", data)


@profile(150)
@given(data=csv_tables())
def test_fuzz_csv_tables(ws, data):
    csv_target(ws, data)


@profile(15)
@given(data=svg_documents("visual"))
def test_fuzz_svg_visuals(ws, data):
    svg_target(ws, "visual", data)


@profile(15)
@given(data=svg_documents("layout"))
def test_fuzz_svg_layouts(ws, data):
    svg_target(ws, "layout", data)


@profile(12, deadline_s=120)
@given(call=cli_calls())
def test_fuzz_command_line(ws, call):
    argv, file, data = call
    cli_target(ws, argv, file, data)


# --- the corpus: inputs found by fuzzing sessions (and by hand), replayed on every run -------------

YAML_CORPUS = [(kind, p) for kind in ("poster", "messages", "project") for p in corpus(kind)]


@pytest.mark.parametrize("kind, path", YAML_CORPUS, ids=[f"{k}/{p.name}" for k, p in YAML_CORPUS])
def test_yaml_corpus(ws, kind, path):
    yaml_target(ws, kind, path.read_bytes())


@pytest.mark.parametrize("path", corpus("csv"), ids=[p.name for p in corpus("csv")])
def test_csv_corpus(ws, path):
    csv_target(ws, path.read_bytes())


SVG_CORPUS = [(kind, p) for kind in ("layout", "visual") for p in corpus(kind)]


@pytest.mark.parametrize("kind, path", SVG_CORPUS, ids=[f"{k}/{p.name}" for k, p in SVG_CORPUS])
def test_svg_corpus(ws, kind, path):
    svg_target(ws, kind, path.read_bytes())


@pytest.mark.parametrize("path", corpus("cli"), ids=[p.name for p in corpus("cli")])
def test_cli_corpus(ws, path):
    argv, file, data = ast.literal_eval(path.read_text(encoding="utf-8"))
    cli_target(ws, argv, file, data)


def test_the_corpus_is_not_empty():
    assert len(YAML_CORPUS) >= 10 and len(corpus("csv")) >= 5 and len(corpus("cli")) >= 3 and len(SVG_CORPUS) >= 10
