"""Edits written back into a campaign's YAML (messages.yaml, posters/*.yaml), keeping the author's file.

Comments, key order, blank lines, indentation and each value's quoting stay as they were: the file is
parsed with ruamel.yaml (a round-trip YAML library) only to find *where* each value sits and how it is
written (plain, 'single', "double", | literal, > folded); an edit then replaces that span of text and
nothing else. Dumping the whole document again would not do: ruamel rewrites `null` as an empty value
and a comment-only file as `null`, and one indentation setting cannot reproduce every hand-written file.

Every edit is checked by parsing the new text: its data must be the old data with exactly the edited
values changed, else the value is written "double-quoted" instead (and if even that fails, an error).
A save that changes nothing writes nothing: the file stays the same byte for byte, mtime included.

API (kept stable; add, don't change):
- `load_for_edit(path, shown_as)` → `EditableYaml`: `.data` (plain data), `.get(keys)`,
  `.set(keys, value, create=False)`, `.set_mapping(keys, {k: v})`, `.text`, `.changed`, `.save()`;
- `set_value(path, keys, value)` / `set_values(path, edits)`: load, set, save in one call.
Keys are a path of mapping keys and sequence indexes, e.g. `("stats", "cobalt", "label", "en")`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from poster_engine.core.diagnostics import did_you_mean, fail
from poster_engine.project.atomic import write_atomic

Keys = tuple[str | int, ...]

# A key written without quotes when it is a plain word (ids, language codes).
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# A plain scalar that could be read as something else than a string, or that YAML forbids unquoted.
_PLAIN_UNSAFE = re.compile(r"(^[\s\-?:,\[\]{}#&*!|>'\"%@`])|(:\s)|(\s#)|(\s$)|(:$)|[\n\r\t]")


def _yaml() -> YAML:
    y = YAML(typ="rt", pure=True)
    y.preserve_quotes = True
    return y


def _shown(keys: Keys) -> str:
    return ".".join(str(k) for k in keys) or "(document)"


class EditableYaml:
    """One YAML file opened for editing: its text, and edits applied to that text in place."""

    def __init__(self, path: Path, shown_as: str | None = None):
        self.path = path
        self.shown_as = shown_as or str(path)
        try:
            self.original: bytes = path.read_bytes()
        except FileNotFoundError:
            raise fail("file not found", self.shown_as) from None
        except OSError as exc:
            raise fail(f"cannot read file ({exc.strerror})", self.shown_as) from None
        try:
            self.text: str = self.original.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = self.original[: exc.start].count(b"\n") + 1
            raise fail("not valid UTF-8 text; save the file as UTF-8", self.shown_as, line) from None
        self.newline = "\r\n" if "\r\n" in self.text else "\n"
        self._root, self.data = self._parse(self.text)

    # -- reading ---------------------------------------------------------------------------------

    def _parse(self, text: str) -> tuple[Node | None, Any]:
        try:
            root = _yaml().compose(text)
            data = _yaml().load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise fail(
                f"invalid YAML: {(exc.problem or exc.context or 'invalid').strip()}",
                self.shown_as,
                mark.line + 1 if mark else None,
            ) from None
        except YAMLError as exc:
            raise fail(f"invalid YAML: {exc}", self.shown_as) from None
        return root, data

    def _line(self, node: Node | None) -> int | None:
        return node.start_mark.line + 1 if node is not None else None

    def _child(self, node: Node, key: str | int, keys: Keys, i: int) -> tuple[Node | None, Node | None]:
        """(key node, value node) of `key` under `node`; (None, None) when the mapping lacks it."""
        if isinstance(node, MappingNode) and isinstance(key, str):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and k.value == key:
                    return k, v
            return None, None
        if isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            return None, node.value[key]
        kinds = {SequenceNode: "a list", MappingNode: "a mapping"}
        what = next((name for kind, name in kinds.items() if isinstance(node, kind)), "a text")
        raise fail(
            f"cannot follow '{key}' in {_shown(keys)}: '{_shown(keys[:i]) if i else '(document)'}' is {what}",
            self.shown_as,
            self._line(node),
        )

    def _node(self, keys: Keys) -> Node:
        node = self._root
        if node is None:
            raise fail(f"cannot set {_shown(keys)}: the file holds no YAML document", self.shown_as)
        at: Node = node  # where errors point: the key line of the deepest node found
        for i, key in enumerate(keys):
            key_node, child = self._child(node, key, keys, i)
            if child is None:
                known = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
                raise fail(
                    f"'{key}' is not a key of '{_shown(keys[:i])}'{did_you_mean(str(key), known)}",
                    self.shown_as,
                    self._line(at),
                )
            node, at = child, key_node or child
        return node

    def get(self, keys: Keys) -> Any:
        """The plain value at `keys` (a located error when the path does not exist)."""
        self._node(keys)
        value = self.data
        for key in keys:
            value = value[key]
        return value

    @property
    def changed(self) -> bool:
        return self.text.encode("utf-8") != self.original

    # -- writing ---------------------------------------------------------------------------------

    def set(self, keys: Keys, value: str, *, create: bool = False) -> bool:
        """Set the text at `keys`, in the quoting it had; with `create`, a missing last key is added to
        its mapping (else it is an error, so a misspelt key is never added silently).

        Returns whether the text changed (setting a value to what it already is changes nothing).
        """
        if not keys:
            raise fail("cannot replace the whole document; give a key path", self.shown_as)
        parent = self._node(keys[:-1])
        key_node, node = self._child(parent, keys[-1], keys, len(keys) - 1)
        if node is None:
            if not create:
                self._node(keys)  # raises the located "not a key" error
            return self._insert(parent, keys, value)
        if not isinstance(node, ScalarNode):
            raise fail(
                f"{_shown(keys)} is a {'list' if isinstance(node, SequenceNode) else 'mapping'}, not a text; "
                "give the path of one of its texts",
                self.shown_as,
                self._line(key_node or node),
            )
        if isinstance(self._value_at(keys), str) and self._value_at(keys) == value:
            return False
        start, end = node.start_mark.index, node.end_mark.index
        lead = " " if start == end and not self.text[start - 1 : start].isspace() else ""
        if node.style in ("|", ">"):
            # Keep the block's trailing line breaks and blank lines outside the edit.
            span = self.text[start:end]
            end = start + len(span.rstrip(" \r\n"))
        styles = [node.style, '"'] if node.style != '"' else ['"']
        for style in styles:
            rendered = self._render(value, style, self._block_indent(node))
            if rendered is not None and self._try(self.text[:start] + lead + rendered + self.text[end:], {keys: value}):
                return True
        raise fail(f"cannot write {_shown(keys)} back into the file", self.shown_as, self._line(node))

    def set_mapping(self, keys: Keys, values: Mapping[str, str]) -> bool:
        """Replace the text at `keys` by a flow mapping `{k: "v", …}` (e.g. one text → one per language)."""
        node = self._node(keys)
        if not isinstance(node, ScalarNode):
            raise fail(f"{_shown(keys)} is not a text", self.shown_as, self._line(node))
        style = node.style if node.style in (None, "'", '"') else '"'
        items = []
        for k, v in values.items():
            rendered = self._render(v, style, 0) or self._render(v, '"', 0)
            items.append(f"{self._key(k)}: {rendered}")
        start, end = node.start_mark.index, node.end_mark.index
        expected = {keys + (k,): v for k, v in values.items()}
        if self._try(self.text[:start] + "{" + ", ".join(items) + "}" + self.text[end:], expected, replaced=keys):
            return True
        raise fail(f"cannot write {_shown(keys)} back into the file", self.shown_as, self._line(node))

    def save(self) -> bool:
        """Write the edited text atomically; nothing is written when nothing changed. Returns whether written."""
        if not self.changed:
            return False
        write_atomic(self.path, self.text.encode("utf-8"))
        self.original = self.text.encode("utf-8")
        return True

    # -- helpers ---------------------------------------------------------------------------------

    def _value_at(self, keys: Keys) -> Any:
        value = self.data
        for key in keys:
            value = value[key]
        return value

    def _insert(self, parent: Node, keys: Keys, value: str) -> bool:
        key = keys[-1]
        if not isinstance(parent, MappingNode) or not isinstance(key, str):
            raise fail(f"'{key}' is not in '{_shown(keys[:-1])}'", self.shown_as, self._line(parent))
        if parent.flow_style or not parent.value:
            # `{fr: "…"}` → `{fr: "…", en: "…"}`: insert before the closing brace.
            close = parent.end_mark.index - 1
            if self.text[close : close + 1] != "}":
                raise fail(f"cannot add '{key}' to '{_shown(keys[:-1])}'", self.shown_as, self._line(parent))
            before = self.text[:close].rstrip(" ")
            sep = ", " if parent.value else ""
            for style in (None, '"'):
                rendered = self._render(value, style, 0)
                if rendered is None:
                    continue
                text = before + f"{sep}{self._key(key)}: {rendered}" + self.text[close:]
                if self._try(text, {keys: value}):
                    return True
        else:
            # A block mapping: a new line after its last entry (after that entry's trailing comment).
            indent = parent.value[0][0].start_mark.column
            last = parent.value[-1][1]
            while isinstance(last, MappingNode | SequenceNode) and not last.flow_style and last.value:
                last = last.value[-1][1] if isinstance(last, MappingNode) else last.value[-1]
            pos = last.start_mark.index + len(self.text[last.start_mark.index : last.end_mark.index].rstrip(" \r\n"))
            eol = self.text.find("\n", pos)
            at = len(self.text) if eol < 0 else eol + 1
            head = self.text[:at] if eol >= 0 else self.text + self.newline
            # A new entry is quoted like the one before it (`en: "…"` after `fr: "…"`).
            sibling = parent.value[-1][1]
            first = sibling.style if isinstance(sibling, ScalarNode) and sibling.style in ("'", '"') else None
            for style in (first, '"'):
                rendered = self._render(value, style, indent + 2)
                if rendered is None:
                    continue
                line = " " * indent + f"{self._key(key)}: {rendered}" + self.newline
                if self._try(head + line + self.text[at:], {keys: value}):
                    return True
        raise fail(f"cannot add '{key}' to '{_shown(keys[:-1])}'", self.shown_as, self._line(parent))

    def _try(self, text: str, expected: dict[Keys, str], replaced: Keys | None = None) -> bool:
        """Adopt `text` if it parses to the current data with exactly `expected` changed."""
        try:
            root, data = self._parse(text)
        except Exception:
            return False
        want = _plain(self.data)
        if replaced is not None:
            _assign(want, replaced, {})
        for k, v in expected.items():
            _assign(want, k, v)
        if _plain(data) != want:
            return False
        self.text, self._root, self.data = text, root, data
        return True

    def _key(self, key: str) -> str:
        reserved = ("null", "true", "false", "yes", "no", "on", "off")
        return key if _PLAIN_KEY.match(key) and key.lower() not in reserved else json.dumps(key)

    def _block_indent(self, node: ScalarNode) -> int:
        """Indentation of a block scalar's lines (from its first content line), else its column + 2."""
        if node.style in ("|", ">"):
            body = self.text[node.start_mark.index : node.end_mark.index].split("\n")[1:]
            for line in body:
                if line.strip():
                    return len(line) - len(line.lstrip(" "))
        return node.start_mark.column + 2

    def _render(self, value: str, style: str | None, indent: int) -> str | None:
        """`value` written in `style`, or None when that style cannot hold it."""
        if style == '"':
            return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
        if style == "'":
            return None if "\n" in value else "'" + value.replace("'", "''") + "'"
        if style in ("|", ">"):
            if style == ">" and "\n" in value.rstrip("\n"):
                style = "|"  # folding would join the lines: a literal block keeps them
            body = value.rstrip("\n")
            trailing = len(value) - len(body)
            chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
            if not body or body[0] == " ":
                return None
            pad = " " * indent
            lines = [(pad + line) if line else "" for line in body.split("\n")]
            return style + chomp + self.newline + self.newline.join(lines)
        # plain
        if not value or _PLAIN_UNSAFE.search(value):
            return None
        return value


def _plain(data: Any) -> Any:
    """ruamel's round-trip containers → plain dicts, lists and strs (for comparing two parses)."""
    if isinstance(data, Mapping):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, str):
        return str(data)
    return data


def _assign(data: Any, keys: Keys, value: Any) -> None:
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def load_for_edit(path: Path, shown_as: str | None = None) -> EditableYaml:
    """Open a YAML file for editing (a located PosterError when it cannot be read or parsed)."""
    return EditableYaml(path, shown_as)


def set_values(
    path: Path, edits: Iterable[tuple[Keys, str]], shown_as: str | None = None, *, create: bool = False
) -> bool:
    """Set several texts in one file and save once (all or nothing); returns whether the file was written."""
    doc = load_for_edit(path, shown_as)
    for keys, value in edits:
        doc.set(keys, value, create=create)
    return doc.save()


def set_value(path: Path, keys: Keys, value: str, shown_as: str | None = None, *, create: bool = False) -> bool:
    """Set one text at `keys` in `path`, keeping comments, order and quoting; written atomically.

    Returns whether the file was written (False when the value was already that: the file is untouched).
    """
    return set_values(path, [(keys, value)], shown_as, create=create)
