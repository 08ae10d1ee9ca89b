"""YAML files → plain data plus the line of every key, so errors can say `file:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from poster_engine.core.diagnostics import fail

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    """Parsed YAML and where each value sits (1-based lines, keyed by the path of keys/indexes)."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """Line of `path`, or of its nearest located ancestor."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML's implicit dates: '2025-11-26' stays a string, as authors mean it."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _CLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same loader on libyaml's C parser (when PyYAML was built with it)."""


_CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_FastLoader: type[_CLoader] | None = _CLoader if getattr(yaml, "__with_libyaml__", False) else None


def _index_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], shown: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            # PyYAML keeps the last of two equal keys without a word: the author meant one of them.
            here = key_node.start_mark.line + 1
            if key in first:
                raise fail(f"key '{key}' is given twice (also on line {first[key]}); keep one", shown, here)
            first[key] = here
            _index_lines(value_node, path + (key,), lines, shown)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines, shown)


def load_yaml(path: Path, shown_as: str) -> Located:
    """Read and parse one YAML file; any problem becomes a located PosterError.

    `shown_as` is the name errors use (the path relative to the project).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("file not found", shown_as) from None
    except OSError as exc:
        raise fail(f"cannot read file ({exc.strerror})", shown_as) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(
            "not valid UTF-8 text; save the file as UTF-8", shown_as, raw[: exc.start].count(b"\n") + 1
        ) from None
    return parse_yaml(text, shown_as)


def parse_yaml(text: str, shown_as: str) -> Located:
    """Parse YAML text (a file's, or one the workbench is about to write); problems are located PosterErrors."""
    if _FastLoader is not None:
        # libyaml's parser (C) for the usual case, a valid file: 5x faster, same nodes and marks.
        # On any error the Python parser runs again for its messages, which the tests pin down.
        loader = _FastLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError:
            pass
        else:
            lines: dict[Path_, int] = {}
            if node is not None:
                _index_lines(node, (), lines, shown_as)
            return Located(data, shown_as, lines)
        finally:
            loader.dispose()
    try:
        loader = _Loader(text)  # the reader rejects control characters already here
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise fail(
            f"invalid YAML: control character U+{exc.character:04X} is not allowed; remove it", shown_as, line
        ) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        at = mark.line + 1 if mark else None
        if exc.problem and exc.context and exc.context_mark and exc.context_mark.line + 1 != at:
            # The parser notices late; say where the construct it was reading began.
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
        raise fail(f"invalid YAML: {problem}", shown_as, at) from None
    except yaml.YAMLError as exc:
        raise fail(f"invalid YAML: {exc}", shown_as) from None
    finally:
        loader.dispose()
    located: dict[Path_, int] = {}
    if node is not None:
        _index_lines(node, (), located, shown_as)
    return Located(data, shown_as, located)
