"""YAML files → plain data plus the line of every key, so errors can say `file:line`.

Bounded work (core/limits.py, README "Limits"): the file's size is checked before it is read, and
its event stream before anything is built from it — nesting depth, the number of values with every
alias counted as a copy of what it names (a "billion laughs" stops at the alias that crosses the
bound, in milliseconds), aliases to the value they are part of, the length of each text and number,
control characters in texts (also those written as escapes, `"\\0"`), and tags other than `!!str`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from poster_engine.core.diagnostics import fail
from poster_engine.core.limits import (
    MAX_NUMBER_CHARS,
    MAX_TEXT_CHARS,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_VALUES,
)
from poster_engine.project.paths import PathProblem, contained, read_file

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
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)


class _Resolver(yaml.resolver.Resolver):
    """What a plain scalar means (int, float, str…) with the loader's rules: numbers are recognised
    by their tag, not guessed."""


_Resolver.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_RESOLVER = _Resolver()
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# Tags a file may use: none, or !!str to keep `!!str 2025` a text. Others build Python objects the
# content never needs (!!binary, !!set, !!timestamp…) and can fail in ways with no line.
_ALLOWED_TAGS = (None, "!", "tag:yaml.org,2002:str")
# C0 and C1 controls other than tab and line feed, lone surrogates, and the non-characters U+FFFE/F:
# nothing a poster can draw, and a NUL or a surrogate breaks files further down.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


class _Bounds:
    """Checks the event stream of one document as it is read: depth, expanded size, texts, tags."""

    def __init__(self, shown: str):
        self.shown = shown
        self.values = 0  # expanded: an alias adds the size of what it names
        self.stack: list[tuple[str | None, int]] = []  # open collections: (anchor, values before it)
        self.open_anchors: set[str] = set()
        self.sizes: dict[str, int] = {}  # anchor → its expanded number of values

    def see(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.ScalarEvent):
            self._scalar(event, line)
            self._count(1, line)
            if event.anchor:
                self.sizes[event.anchor] = 1
        elif isinstance(event, _COLLECTION_START):
            self._tag(event.tag, line)
            if len(self.stack) >= MAX_YAML_DEPTH:
                raise fail(
                    f"lists and mappings nested more than {MAX_YAML_DEPTH} deep; flatten the structure",
                    self.shown,
                    line,
                )
            self._count(1, line)
            self.stack.append((event.anchor, self.values))
            if event.anchor:
                self.open_anchors.add(event.anchor)
        elif isinstance(event, _COLLECTION_END):
            anchor, before = self.stack.pop()
            if anchor:
                self.open_anchors.discard(anchor)
                self.sizes[anchor] = self.values - before + 1
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in self.open_anchors:
                raise fail(
                    f"alias '*{event.anchor}' is inside the value it names (a loop); write the value out",
                    self.shown,
                    line,
                )
            # An unknown alias is the composer's error, with its own message.
            self._count(self.sizes.get(event.anchor, 1), line, event.anchor)

    def _count(self, n: int, line: int | None, alias: str | None = None) -> None:
        self.values += n
        if self.values > MAX_YAML_VALUES:
            if alias is not None:
                raise fail(
                    f"alias '*{alias}' makes the file expand to more than {MAX_YAML_VALUES:,} values "
                    "(each alias counts as a copy of what it names); write the values out or use fewer aliases",
                    self.shown,
                    line,
                )
            raise fail(f"more than {MAX_YAML_VALUES:,} values in one file; split it up", self.shown, line)

    def _tag(self, tag: str | None, line: int | None) -> None:
        if tag not in _ALLOWED_TAGS:
            short = tag.replace("tag:yaml.org,2002:", "!!") if tag else ""
            raise fail(
                f"tag '{short[:40]}' is not allowed; remove it (values are plain texts, numbers, lists and mappings)",
                self.shown,
                line,
            )

    def _scalar(self, event: yaml.ScalarEvent, line: int | None) -> None:
        self._tag(event.tag, line)
        value = event.value
        if len(value) > MAX_TEXT_CHARS:
            raise fail(
                f"a text of {len(value):,} characters is longer than the {MAX_TEXT_CHARS:,} allowed; shorten it",
                self.shown,
                line,
            )
        bad = _CONTROL.search(value)
        if bad:
            raise fail(
                f"invalid YAML: control character U+{ord(bad.group()):04X} is not allowed; remove it",
                self.shown,
                line,
            )
        if (
            len(value) > MAX_NUMBER_CHARS
            and event.implicit[0]
            and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) in _NUMBER_TAGS
        ):
            raise fail(
                f"a number of {len(value)} characters is out of range (numbers are at most "
                f"{MAX_NUMBER_CHARS} characters long); write a smaller number, or quote it if it is a text",
                self.shown,
                line,
            )


class _CheckedLoader(_Loader):
    """The Python parser, each event checked as the composer pulls it (before it recurses deeper)."""

    def __init__(self, stream: str, shown: str):
        super().__init__(stream)
        self._bounds = _Bounds(shown)

    def get_event(self) -> yaml.Event:
        event = super().get_event()
        self._bounds.see(event)
        return event


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


def _read(path: Path, shown: str, root: Path | None) -> bytes:
    if root is not None:
        real = contained(root, path)
        if isinstance(real, PathProblem) and real.kind != "missing":
            raise real.error(shown)
    raw = read_file(path, MAX_YAML_BYTES)
    if isinstance(raw, PathProblem):
        raise fail("file not found", shown) if raw.kind == "missing" else raw.error(shown)
    return raw


def _construct(loader: Any, node: yaml.Node | None, shown: str) -> Any:
    try:
        return loader.construct_document(node) if node is not None else None
    except (ValueError, TypeError, KeyError, OverflowError) as exc:  # a value no safe constructor takes
        raise fail(f"invalid YAML value ({type(exc).__name__}); write a plain text or number", shown) from None


def load_yaml(path: Path, shown_as: str, root: Path | None = None) -> Located:
    """Read and parse one YAML file; any problem becomes a located PosterError.

    `shown_as` is the name errors use (the path relative to the project). With `root`, the file must
    resolve inside that folder (a symbolic link leading outside is refused, not followed).
    """
    raw = _read(path, shown_as, root)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(re.findall(rb"\r\n|\r|\n", raw[: exc.start])) + 1  # YAML's line ends
        raise fail("not valid UTF-8 text; save the file as UTF-8", shown_as, line) from None
    return parse_yaml(text, shown_as)


def parse_yaml(text: str, shown_as: str) -> Located:
    """Parse YAML text (a file's, or one the workbench is about to write); problems are located PosterErrors."""
    if _FastLoader is not None and _CParser is not None:
        # libyaml's parser (C) for the usual case, a valid file: 5x faster, same nodes and marks. Its
        # events are checked first (3 ms for the demo's messages.yaml), then it builds the nodes.
        # On any YAML error the Python parser runs again for its messages, which the tests pin down.
        try:
            parser = _CParser(text)
            try:
                bounds = _Bounds(shown_as)
                while parser.check_event():
                    bounds.see(parser.get_event())
            finally:
                parser.dispose()
            loader = _FastLoader(text)
            try:
                node = loader.get_single_node()
                data = _construct(loader, node, shown_as)
            finally:
                loader.dispose()
        except yaml.YAMLError:
            pass
        else:
            lines: dict[Path_, int] = {}
            if node is not None:
                _index_lines(node, (), lines, shown_as)
            return Located(data, shown_as, lines)
    try:
        checked = _CheckedLoader(text, shown_as)  # the reader rejects control characters already here
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise fail(
            f"invalid YAML: control character U+{exc.character:04X} is not allowed; remove it", shown_as, line
        ) from None
    try:
        node = checked.get_single_node()
        data = _construct(checked, node, shown_as)
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
        checked.dispose()
    located: dict[Path_, int] = {}
    if node is not None:
        _index_lines(node, (), located, shown_as)
    return Located(data, shown_as, located)
