"""Template elements → slots: which elements the engine fills, what they show and how, where they sit.

An element is a slot when it has a `data-slot` attribute (the XML editor's way) or when its **name**
says so, which every editor keeps without an XML editor (docs/layouts.md §2):

- `{field}` — shows that field: `{message}`, `{stat.value}`; `{visual}` is the poster's visual,
  a field ending in `.url` (`{film.url}`) a QR code of that link; the slot is named after the field;
- `slot:name` — a slot called `name`, whose rules say what it shows;
- `repeat:list` — a group repeated once per item of a list of the content (`repeat:films`,
  `repeat:stats`; `repeat:item.actions` inside another repeat): its first drawn child is one item as
  drawn, whose slots show `{item.title}`, `{item.value}`… (docs/layouts.md §6). `data-repeat="list"`
  says the same in an XML editor (the group is then named by its id).

The name is read from, in order: Inkscape's `inkscape:label` (the Layers and Objects panel), Affinity
Designer's `serif:id` (its layer name), then the `id` — as Figma writes it (the layer name verbatim,
`_2` appended to a repeated name) or as Illustrator writes it (`_x3A_` for ':', `_x7B_`/`_x7D_` for
braces, spaces as '_', `_1_` appended to a repeated name), both undone here.

A slot's rules (font, sizes, alignment, colour…) are its `data-*` attributes or, keyed by its name
in the sidecar `layouts/<family>.yaml` (and `layouts/<family>.<variant>.yaml` for one variant), the
same keys without `data-`. A sidecar entry may also name a plain element to give it what decoration
understands (`anchor`, `bleed`, `qr`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from poster_engine.core.diagnostics import PosterError, did_you_mean, fail
from poster_engine.project.sources import load_yaml
from poster_engine.project.svg import INKSCAPE_NS, SERIF_NS

# A {field} reference in a slot's text, url or src.
FIELD = re.compile(r"\{([a-z_.]+)\}")

SlotKind = Literal["text", "qr", "visual"]
ANCHORS = ("top", "middle", "bottom", "stretch")
QR_MODES = ("code", "text")

# The rules each slot kind understands (data-<key> attributes, or <key>: in the sidecar), besides
# what any element understands (ELEMENT_RULES).
KIND_RULES: dict[str, frozenset[str]] = {
    "text": frozenset(
        {
            "text",
            "font",
            "size-min",
            "size-max",
            "line-height",
            "align",
            "valign",
            "max-lines",
            "fit",
            "color",
            "tracking",
            "case",
            "features",
            "optional",
            "indent-hanging",
            "hyphenate",
            "scrim",
        }
    ),
    "qr": frozenset({"url", "min-mm"}),
    "visual": frozenset({"src", "fit", "optional"}),
}
ELEMENT_RULES = frozenset({"anchor", "qr", "bleed"})  # any drawn element: how it adapts to a format
# A repeating group's rules (docs/layouts.md §6): which way items follow each other, how many columns
# at most, the gaps between rows and columns (one number, or "row column" as CSS writes `gap`).
REPEAT_RULES = frozenset({"repeat", "flow", "columns", "gap", "anchor"})
FLOWS = ("down", "right")
# What a slot cannot do without: the rule and what to write there.
REQUIRED_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "text": (("text", 'what it shows, e.g. "{message}"'), ("size-min", "its smallest type size, in its own units")),
    "qr": (("url", 'the link to encode, e.g. "{campaign.url}"'),),
    "visual": (),
}

# Which key of a poster file a field needs (the first match: a whole field, then its head before
# the first dot). Fields not listed come from messages.yaml or the campaign and are always there:
# {campaign.*}, {label.*}, {title}, and an item's {item.*} inside a repeated group.
FIELD_SOURCES: dict[str, str] = {
    "film.excerpt_source": "quote",  # the chosen press quote's source; a poster without a quote has none
    "message": "message",
    "stat": "stat",
    "film": "film",
    "quote": "quote",
    "row": "data",
    "visual": "visual",
}


# The lists of the content a group can repeat over (messages.yaml's tables, in their file order or as
# a poster selects them), and the lists inside an item of each (`repeat:item.actions`).
LISTS: dict[str, tuple[str, ...]] = {
    "films": ("quotes",),
    "stats": (),
    "definitions": (),
    "challenges": ("actions",),
    "messages": (),
}


def poster_key(field: str) -> str | None:
    """The poster file's key that field `field` comes from, or None when the campaign gives it."""
    return FIELD_SOURCES.get(field) or FIELD_SOURCES.get(field.split(".")[0])


# --- names -------------------------------------------------------------------------------------

_ILLUSTRATOR_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{2,4})_")
_ILLUSTRATOR_REPEAT = re.compile(r"_\d+_$")
_FIGMA_REPEAT = re.compile(r"(?<=\})_\d+$")
_FIELD_NAME = re.compile(r"^\{([a-z_.]+)\}$")
_SLOT_NAME = re.compile(r"^slot:\s*([A-Za-z0-9][A-Za-z0-9_.-]*)$")
_REPEAT_NAME = re.compile(r"^repeat:\s*([a-z_][a-z_.]*)$")


def decode_id(raw: str) -> str:
    """An id as an editor wrote it → the layer name the designer typed (see the module docstring)."""
    name = _ILLUSTRATOR_REPEAT.sub("", raw) if "_x" in raw or raw.startswith("_") else raw
    name = _ILLUSTRATOR_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), name)
    return _FIGMA_REPEAT.sub("", name)


def names_of(el: ET.Element) -> list[str]:
    """The names an editor gave an element, the one shown in its layers panel first."""
    out = [el.get(f"{{{INKSCAPE_NS}}}label"), el.get(f"{{{SERIF_NS}}}id")]
    raw = el.get("id")
    if raw is not None:
        out.append(decode_id(raw))
    return [n.strip() for n in out if n and n.strip()]


@dataclass(frozen=True)
class Mark:
    """How an element is named: its slot name if the name marks a slot, and the field it shows."""

    name: str
    slot: bool  # named `{field}` or `slot:name`
    field: str | None = None
    repeat: str | None = None  # the list a group named `repeat:list` (or with data-repeat) repeats over


def mark_of(el: ET.Element) -> Mark | None:
    """The element's name, read as a slot mark when one of its names has the slot form."""
    names = names_of(el)
    for name in names:
        if m := _FIELD_NAME.match(name):
            return Mark(m.group(1), True, m.group(1))
        if m := _SLOT_NAME.match(name):
            return Mark(m.group(1), True)
        if m := _REPEAT_NAME.match(name):
            return Mark(m.group(1), False, repeat=m.group(1))
    if el.get("data-repeat") is not None and el.get("id"):
        return Mark(el.get("id", ""), False, repeat=el.get("data-repeat", "").strip())
    if el.get("data-slot") is not None and el.get("id"):
        return Mark(el.get("id", ""), False)  # data-slot elements are named by their id, as always
    return Mark(names[0], False) if names else None


def defaults_for_field(field: str) -> dict[str, str]:
    """What a slot named `{field}` shows when its rules do not say."""
    if field == "visual":
        return {"src": "{visual}"}
    if field == "url" or field.endswith(".url"):
        return {"url": f"{{{field}}}"}
    return {"text": f"{{{field}}}"}


def infer_kind(rules: dict[str, str]) -> str:
    """A named slot's kind when no `slot:` rule gives it: a link is a QR code, a src a visual."""
    if "url" in rules:
        return "qr"
    if "src" in rules:
        return "visual"
    return "text"


# --- rules and where they were written ---------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a rule was written, and how: `data-size-min` on a line of the SVG or `size-min:` in a sidecar."""

    file: str
    line: int | None
    spelled: str


Rules = dict[str, tuple[str, Source]]  # key (without data-) → (value, where it was written)


def attribute_rules(el: ET.Element, shown: str, line: int | None) -> Rules:
    return {k[5:]: (v, Source(shown, line, k)) for k, v in el.attrib.items() if k.startswith("data-")}


@dataclass(frozen=True)
class Sidecar:
    """A sidecar file's entries: element name → its rules, each with its line."""

    file: str
    entries: dict[str, Rules]
    lines: dict[str, int | None]  # name → line of the entry


def _scalar(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)  # font: [InterDisplay-Bold, Inter-Bold], a fallback chain
    return None


def read_sidecar(path: Path, shown: str) -> Sidecar:
    """layouts/<name>.yaml → its entries (empty when there is no such file)."""
    if not path.is_file():
        return Sidecar(shown, {}, {})
    src = load_yaml(path, shown)
    if src.data is None:
        return Sidecar(shown, {}, {})
    if not isinstance(src.data, dict):
        raise fail("a layout's sidecar maps element names to their rules, e.g. 'message: {size-min: 10}'", shown, 1)
    entries: dict[str, Rules] = {}
    lines: dict[str, int | None] = {}
    for name, rules in src.data.items():
        name = str(name)
        lines[name] = src.line_of((name,))
        if not isinstance(rules, dict):
            raise fail(
                f"'{name}' must be a mapping of rules (key: value), e.g. size-min: 10", shown, src.line_of((name,))
            )
        entry: Rules = {}
        for key, value in rules.items():
            text = _scalar(value)
            where = src.line_of((name, key))
            if text is None:
                raise fail(f"'{name}.{key}' must be a text, a number, true/false or a list of texts", shown, where)
            entry[str(key)] = (text, Source(shown, where, str(key)))
        entries[name] = entry
    return Sidecar(shown, entries, lines)


def merge_rules(name: str, attributes: Rules, sidecars: list[Sidecar], element_line: int | None, file: str) -> Rules:
    """An element's rules: its attributes and its sidecar entries (a variant's own sidecar over the
    family's). The same rule both as an attribute and in a sidecar is refused: keep one."""
    rules: Rules = {}
    for sidecar in sidecars:
        rules.update(sidecar.entries.get(name, {}))
    for key, (value, source) in attributes.items():
        if key in rules and key != "slot":
            other = rules[key][1]
            raise fail(
                f"'{name}': {key} is given both as {source.spelled} ({file}:{element_line}) and in "
                f"{other.file}:{other.line}; keep one",
                other.file,
                other.line,
            )
        rules[key] = (value, source)
    return rules


def check_rules(name: str, kind: str | None, rules: Rules) -> None:
    """Every rule known to the element's kind (a slot's kind, or decoration when None)."""
    known = ELEMENT_RULES | (KIND_RULES[kind] | {"slot"} if kind else set())
    for key, (_, source) in rules.items():
        if key in known or (source.spelled.startswith("data-") and kind is None):
            continue  # a decoration's other data-* attributes are the designer's own
        what = "attribute" if source.spelled.startswith("data-") else "key"
        shown_key = source.spelled
        hint = did_you_mean(key, known)
        label = f"slot '{name}'" if kind else f"'{name}'"
        if kind is None:
            hint += "; a name that is not a slot's can only be given anchor, bleed or qr"
        raise fail(f"{label}: unknown {what} '{shown_key}'{hint}", source.file, source.line)


def require_rules(name: str, kind: str, rules: Rules, file: str, line: int | None, sidecar: str) -> None:
    """The rules a slot of this kind cannot do without, with where to write them."""
    for key, what in REQUIRED_RULES[kind]:
        if key not in rules:
            raise fail(
                f"slot '{name}' needs a {key} ({what}); add data-{key}=\"…\" to the element or "
                f"'{key}:' under '{name}:' in {sidecar}",
                file,
                line,
            )


def value_error(name: str, key: str, rules: Rules, message: str) -> PosterError:
    """A bad value of rule `key`, located where it was written and spelled as it was."""
    _, source = rules[key]
    return fail(f"slot '{name}': {source.spelled} {message}", source.file, source.line)
