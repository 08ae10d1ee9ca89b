"""messages.yaml + posters/*.yaml → a validated `Campaign`, every error located `file:line`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean
from poster_engine.core.formats import VISUAL_SUFFIXES
from poster_engine.core.languages import DEFAULT_LANG, LANGUAGES, LanguageRefused, language
from poster_engine.core.limits import DURATION_RANGE_MIN, MAX_QR_BYTES, STAT_VALUE_LIMIT, YEAR_RANGE
from poster_engine.project.layouts import families, needs, sidecar_files, variant_files
from poster_engine.project.markup import MarkupError, parse_markup
from poster_engine.project.paths import PathProblem, contained, project_file, project_folder, shown_name
from poster_engine.project.sources import Located, load_yaml

HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
POSTER_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
        raise ValueError("must be an http:// or https:// address")
    size = len(value.encode("utf-8"))
    if size > MAX_QR_BYTES:
        raise ValueError(
            f"the link is {size:,} bytes long, more than the {MAX_QR_BYTES:,} a QR code can hold (version 40, "
            "level M); use a shorter link (a redirect)"
        )
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


# Numbers are bounded (core/limits.py): a value the engine cannot write out, or one no poster means,
# is a located error here rather than a crash when it is formatted.
def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def _stat_value(value: int | float) -> int | float:
    if not math.isfinite(value) or abs(value) >= STAT_VALUE_LIMIT:
        raise ValueError(f"must be a finite number between -10^15 and 10^15 (exclusive), not {value}")
    return value


def _whole_in(bounds: tuple[int, int], what: str) -> Any:
    def check(value: int) -> int:
        if not bounds[0] <= value <= bounds[1]:
            raise ValueError(f"must be {what} between {bounds[0]} and {bounds[1]}, not {value}")
        return value

    return AfterValidator(check)


StatValue = Annotated[int | float, BeforeValidator(_no_bool), AfterValidator(_stat_value)]
Year = Annotated[int, BeforeValidator(_no_bool), _whole_in(YEAR_RANGE, "a year")]
Minutes = Annotated[int, BeforeValidator(_no_bool), _whole_in(DURATION_RANGE_MIN, "a number of minutes")]
Index = Annotated[int, BeforeValidator(_no_bool)]


def _language_key(code: Any) -> str:
    """A text's language key → the language's code ('pt_BR' → 'pt-BR'), through the one resolver."""
    if code == EVERY_LANGUAGE:
        return code
    try:
        return language(str(code)).code
    except LanguageRefused as exc:
        raise ValueError(str(exc)) from None


def _markup(v: str) -> str:
    try:
        parse_markup(v)
    except MarkupError as exc:
        raise ValueError(str(exc)) from None
    return v


EVERY_LANGUAGE = "*"  # the key of a name given as a plain string: the same in every language


LanguageKey = Annotated[str, AfterValidator(_language_key)]
MarkedUpText = Annotated[str, Field(min_length=1), AfterValidator(_markup)]


class Text(RootModel[dict[LanguageKey, MarkedUpText]]):
    """A text shown on posters, in each language it is written in: {language code: text}, for any
    language core/languages.py resolves.

    In YAML either a string or one string per language: `text: {fr: "…", pl: "…"}`. Both may carry
    the inline markup of markup.py (`*accent*`, `**heavier**`).
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    def __hash__(self) -> int:  # frozen like every model of the campaign; a dict is not hashable itself
        return hash(tuple(self.root.items()))

    @model_validator(mode="after")
    def _some(self) -> Text:
        if not self.root:
            raise ValueError("needs a text in at least one language, e.g. {fr: …}")
        return self

    def get(self, lang: str) -> str | None:
        return self.root.get(lang) or self.root.get(EVERY_LANGUAGE)

    def shown(self, prefer: str) -> str:
        """The text in `prefer` (the campaign's language), else in any: for captions (preview, gallery)."""
        return next((text for text in (self.get(prefer), *self.root.values()) if text), "")


def _text_input(value: Any, info: ValidationInfo, every_language: bool) -> Any:
    """A plain string is the campaign's language (`campaign.language`, given in the validation
    context), or every language for names; a mapping is one text per language."""
    lang = (info.context or {}).get("lang", DEFAULT_LANG)
    if isinstance(value, str):
        return {EVERY_LANGUAGE: value} if every_language else {lang: value}
    if isinstance(value, dict):
        seen: dict[str, Any] = {}
        for key in value:
            try:
                code = _language_key(key)
            except ValueError:
                continue  # said by the key's own validation
            if code in seen:
                raise ValueError(
                    f"keys '{seen[code]}' and '{key}' name the same language ({code}), so one of the two texts "
                    "would be lost; keep one"
                )
            seen[code] = key
        return value
    if value is None:
        return value
    raise ValueError(
        f"must be a text, or one text per language such as {{{lang}: …, {next(c for c in LANGUAGES if c != lang)}: …}}"
    )


# Prose: a plain string is the campaign's language (French) only; other languages need their own
# text, and a build in a language it lacks says so. Name: a plain string (a film title, a venue,
# a source) is the same in every language; a mapping still gives per-language variants.
Prose = Annotated[Text, BeforeValidator(lambda v, info: _text_input(v, info, every_language=False))]
Name = Annotated[Text, BeforeValidator(lambda v, info: _text_input(v, info, every_language=True))]


class Link(_Model):
    label: Prose
    url: HttpUrl
    placeholder: bool = False


class Quote(_Model):
    text: Prose
    source: Name


class Film(_Model):
    title: Name
    directors: tuple[str, ...] = ()
    year: Year | None = None
    duration_min: Minutes | None = None
    duration_alt_min: Minutes | None = None
    synopsis: Prose
    link: Link
    quotes: tuple[Quote, ...] = ()


class Stat(_Model):
    value: StatValue
    unit: Name | None = None
    label: Prose
    source: Name
    source_placeholder: bool = False
    year: Year | None = None


class Definition(_Model):
    term: Prose
    text: Prose


class Action(_Model):
    """One action of a challenge, with an example of a job that does it."""

    text: Prose
    job: Prose | None = None


class Challenge(_Model):
    """A challenge of the information poster ("Les enjeux"): its title and its actions."""

    title: Prose
    actions: tuple[Action, ...] = ()


class Message(_Model):
    text: Prose
    theme: str | None = None


class Credit(_Model):
    """Where a visual comes from (messages.yaml `credits: {visuals/x.jpg: {author, licence, source}}`).

    Carried into the alt text, the manifest and the gallery, and shown by a layout's `{visual.credit}`;
    `poster check` reports a visual without a licence (error) or an author (warning)."""

    author: str | None = None
    licence: str | None = None  # an SPDX id (CC0-1.0, CC-BY-4.0) or the licence's own words
    source: str | None = None  # where it was found or made: an address, a book, "made for this campaign"
    year: int | None = None


class Venue(_Model):
    name: Name
    address: Name
    city: Name


class CampaignInfo(_Model):
    language: str = DEFAULT_LANG  # the campaign's own language: plain YAML strings are in it
    name: Name

    @field_validator("language")
    @classmethod
    def _known_language(cls, v: str) -> str:
        return _language_key(v)  # its code as the resolver writes it: 'pt_BR' → 'pt-BR'

    mission: Prose
    dates: Prose
    venue: Venue
    url: HttpUrl
    url_placeholder: bool = False
    footer: Prose


class Messages(_Model):
    """The whole of messages.yaml."""

    campaign: CampaignInfo
    films: dict[str, Film]
    stats: dict[str, Stat]
    definitions: dict[str, Definition] = {}
    challenges: dict[str, Challenge] = {}
    messages: dict[str, Message]
    labels: dict[str, Prose] = {}  # the layouts' own words ("Voir le film"), as fields {label.<id>}
    credits: dict[str, Credit] = {}  # by visual path as posters name it (visuals/mine.svg)


class Colors(_Model):
    background: str
    text: str
    accent: str

    @field_validator("background", "text", "accent")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not HEX_COLOR.match(v):
            raise ValueError("must be a colour like '#1A2B3C'")
        return v.upper()


def _selection(value: Any) -> Any:
    """A list's items a poster shows: the first N (a number), or these ids in this order."""
    if isinstance(value, bool) or not isinstance(value, int | list | tuple):
        raise ValueError("must be a number (the first N items) or a list of ids, e.g. [a, b]")
    if isinstance(value, int) and value < 1:
        raise ValueError("must be 1 or more (the first N items), or a list of ids")
    if isinstance(value, list | tuple) and not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of ids, e.g. [a, b]")
    return value


# Which of a list's items a repeating group shows (docs/layouts.md §6): omitted, all of them in
# messages.yaml's order; a number, the first N; a list of ids, those in that order.
Selection = Annotated[int | tuple[str, ...], BeforeValidator(_selection)]


def chosen(ids: list[str], choice: tuple[str, ...] | int | None) -> list[str]:
    """A poster's choice of a list's items: all (None), the first N, or these ids in this order."""
    if choice is None:
        return ids
    return ids[:choice] if isinstance(choice, int) else list(choice)


class PosterSpec(_Model):
    """One posters/<id>.yaml file."""

    title: Name  # the PDF's title; {fr: …, en: …} when it differs by language
    layout: str  # a family: layouts/<layout>.svg
    message: str | None = None
    stat: str | None = None
    film: str | None = None
    quote: Index | None = None
    visual: str | None = None
    focus: tuple[float, float] = (0.5, 0.5)
    colors: Colors
    formats: tuple[str, ...] = ("a3", "instagram")
    data: str | None = None  # a CSV in the project: one poster per row (poster build --data overrides it)
    # The items of each list a repeating group shows (project/slots.py LISTS); None: all of them.
    films: Selection | None = None
    stats: Selection | None = None
    definitions: Selection | None = None
    challenges: Selection | None = None
    messages: Selection | None = None


@dataclass(frozen=True)
class Poster:
    id: str
    spec: PosterSpec
    file: str  # shown path, e.g. posters/choc-cobalt.yaml
    key_lines: dict[str, int] = field(default_factory=dict, hash=False, compare=False)

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key)


@dataclass(frozen=True)
class Campaign:
    """Validated campaign content. Posters with errors are left out and listed in `diagnostics`."""

    root: Path
    messages: Messages
    posters: dict[str, Poster]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    sources: tuple[Path, ...] = ()  # every file read, for caches and watchers
    message_lines: dict[tuple, int] = field(default_factory=dict, hash=False, compare=False, repr=False)

    @property
    def lang(self) -> str:
        """The campaign's own language (messages.yaml `campaign.language`): outputs in it carry no suffix."""
        return self.messages.campaign.language

    def line_of(self, path: tuple) -> int | None:
        """Line in messages.yaml of the key at `path`, e.g. ('messages', 'coltan', 'text')."""
        return Located(None, "messages.yaml", self.message_lines).line_of(path)


def _printable(part: Any) -> Any:
    """A key as one line: a newline or control character in a YAML key is shown escaped."""
    if isinstance(part, str) and not part.isprintable():
        return part.encode("unicode_escape").decode("ascii")
    return part


def _describe(err: Any) -> tuple[tuple, str]:
    """Pydantic error → (path of the offending key, one-line message)."""
    # A mapping's key reports as (…, key, '[key]'): the key's own line is the place.
    loc = tuple(_printable(part) for part in err["loc"] if part != "[key]")
    kind = err["type"]
    key = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return loc, f"unknown key '{key}'"
    if kind == "missing" and isinstance(key, int):  # a list (tuple) too short, e.g. focus: [0.5]
        return loc[:-1], f"'{'.'.join(map(str, loc[:-1]))}': needs more items (item {key + 1} is missing)"
    if kind == "missing":
        return loc[:-1], f"missing key '{key}'"
    if kind == "too_long":
        ctx = err.get("ctx", {})
        return (
            loc,
            f"'{'.'.join(map(str, loc))}': has {ctx.get('actual_length')} items, at most {ctx.get('max_length')}",
        )
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return loc, f"'{'.'.join(map(str, loc))}' must be one of {expected}, not {err['input']!r}"
    # A union (int | float) reports once per member, its name appended to the path: drop it.
    while loc and loc[-1] in _UNION_MEMBERS:
        loc = loc[:-1]
    msg = _PLAIN.get(kind) or err["msg"].removeprefix("Value error, ")
    return loc, f"'{'.'.join(map(str, loc))}': {msg}"


_UNION_MEMBERS = ("int", "float", "str", "bool", "function-after[_http_url(), str]")
# Pydantic's wording is for programmers; these say what to type.
_PLAIN = {
    "tuple_type": "must be a list, e.g. [a, b]",
    "list_type": "must be a list, e.g. [a, b]",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be a text",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping (key: value)",
    "string_too_short": "must not be empty",
    "model_type": "must be a mapping (key: value)",
}


def _validation_diagnostics(exc: ValidationError, src: Located, model: type[_Model]) -> list[Diagnostic]:
    out = []
    # A misspelt key is both unknown and, under its right name, missing: say the cause first.
    for err in sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden"):
        loc, msg = _describe(err)
        if err["type"] == "extra_forbidden":
            msg += did_you_mean(str(loc[-1]), _known_keys(model, loc[:-1]))
        msg += _quote_hint(err, msg)
        out.append(Diagnostic(msg, src.file, src.line_of(loc)))
    return list(dict.fromkeys(out))  # union members repeat the same problem


def _quote_hint(err: Any, msg: str) -> str:
    """A text typed unquoted that YAML read as something else: `title: 1984`, `language: no`
    (YAML 1.1 reads yes/no/on/off as true/false, the "Norway problem")."""
    value = err.get("input")
    if "must be a text" not in msg or isinstance(value, str):
        return ""
    if isinstance(value, bool):
        return "; YAML reads an unquoted yes, no, on, off, true or false as true/false: put the text in quotes"
    if isinstance(value, int | float):
        return f'; YAML read {value!r} as a number: put the text in quotes ("{value!r}")'
    return ""


def _known_keys(model: type[_Model], parent: tuple) -> list[str]:
    """Field names of the model found at `parent` (through nested models, dict values, list items,
    Optional and Annotated types), for 'did you mean'."""
    current: Any = model
    for part in parent:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            current = info.annotation if info else None
        elif get_origin(current) is dict:
            current = get_args(current)[1]  # `part` is a key such as a film id
        elif get_origin(current) in (tuple, list):
            current = get_args(current)[0]  # `part` is an index
        else:
            return []
    current = _unwrap(current)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, …] and X | None → X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _parse(src: Located, model: type[_Model], lang: str) -> Any:
    """Validate `src` as `model`; plain strings of prose are in `lang`, the campaign's language."""
    if not isinstance(src.data, dict):
        raise PosterError(Diagnostic("expected a mapping of keys (key: value) at the top level", src.file, 1))
    try:
        return model.model_validate(src.data, context={"lang": lang})
    except ValidationError as exc:
        raise PosterError(_validation_diagnostics(exc, src, model)) from None


def _check_layout(spec: PosterSpec, src: Located, root: Path, known: list[str]) -> list[Diagnostic]:
    """The poster's layout exists, and the poster gives every key its templates show a field of
    (derived from the templates and their variants, never from a table of families)."""
    line = src.line_of(("layout",))
    if spec.layout not in known and variant_files(root, spec.layout)[1:]:
        return [
            Diagnostic(
                f"layout '{spec.layout}' has variants but no layouts/{spec.layout}.svg; every layout needs its "
                "portrait template layouts/<name>.svg",
                src.file,
                line,
            )
        ]
    if spec.layout not in known:
        return [
            Diagnostic(
                f"unknown layout '{spec.layout}'{did_you_mean(spec.layout, known)}; a layout is a file "
                "layouts/<name>.svg",
                src.file,
                line,
            )
        ]
    try:
        needed = needs(root, spec.layout)
    except PosterError:  # the template itself is broken: every job of it reports that, with its line
        return []
    return [
        Diagnostic(
            f"layout '{spec.layout}' shows {{{need.field}}} in slot '{need.slot}' ({need.file}:{need.line}), so "
            f"this poster needs a '{need.key}' key; add it, or make the slot optional in the layout",
            src.file,
            line,
        )
        for need in needed
        if getattr(spec, need.key) is None
    ]


def _check_references(
    poster_id: str,
    spec: PosterSpec,
    src: Located,
    messages: Messages,
    root: Path,
    layouts: list[str],
    layout_problems: Callable[[str], list[str]],
) -> list[Diagnostic]:
    """Cross-file checks: the layout and what it shows, ids that must exist in messages.yaml, files
    that must exist."""
    refused = layout_problems(spec.layout)
    # The layout's files are read (for the keys it shows) only once none of them leads outside.
    diags: list[Diagnostic] = [
        Diagnostic(problem, src.file, src.line_of(("layout",))) for problem in refused
    ] or _check_layout(spec, src, root, layouts)

    def bad(key: str, msg: str) -> None:
        diags.append(Diagnostic(msg, src.file, src.line_of((key,))))

    tables: dict[str, Mapping[str, object]] = {
        "message": messages.messages,
        "stat": messages.stats,
        "film": messages.films,
    }
    for key, table in tables.items():
        ref = getattr(spec, key)
        if ref is not None and ref not in table:
            bad(key, f"{key} '{ref}' is not defined in messages.yaml{did_you_mean(ref, table)}")
    lists: dict[str, Mapping[str, object]] = {
        "films": messages.films,
        "stats": messages.stats,
        "definitions": messages.definitions,
        "challenges": messages.challenges,
        "messages": messages.messages,
    }
    for key, table in lists.items():
        choice = getattr(spec, key)
        if isinstance(choice, int) and choice > len(table):
            bad(key, f"{key}: {choice} asks for more items than messages.yaml's {len(table)} {key}")
        elif isinstance(choice, tuple):
            for i, ref in enumerate(choice):
                if ref not in table:
                    diags.append(
                        Diagnostic(
                            f"{key}: '{ref}' is not defined in messages.yaml{did_you_mean(ref, table)}",
                            src.file,
                            src.line_of((key, i)),
                        )
                    )
                elif ref in choice[:i]:
                    diags.append(Diagnostic(f"{key}: '{ref}' is listed twice", src.file, src.line_of((key, i))))
    if spec.quote is not None:
        film = messages.films.get(spec.film or "")
        if film is not None and not 0 <= spec.quote < len(film.quotes):
            bad("quote", f"quote {spec.quote} does not exist: film '{spec.film}' has {len(film.quotes)} quote(s)")
    if spec.visual is not None:
        visual = project_file(root, spec.visual)
        if isinstance(visual, PathProblem):
            bad("visual", _path_message("visual", spec.visual, visual, "visuals/"))
        elif visual.suffix.lower() not in VISUAL_SUFFIXES:
            bad("visual", f"visual '{spec.visual}' must be .svg, .png, .jpg, .webp or .tif")
    if spec.data is not None:
        rows = project_file(root, spec.data)
        if isinstance(rows, PathProblem):
            bad("data", _path_message("data", spec.data, rows, "data/"))
    if not all(0 <= f <= 1 for f in spec.focus):
        bad("focus", "focus must be two numbers between 0 and 1 (x, y of the point to keep in view)")
    return diags


def _path_message(what: str, name: str, problem: PathProblem, folder: str) -> str:
    """`visual 'x' is outside the project; put it in visuals/`: a poster's file reference refused."""
    shown = shown_name(name)
    if problem.kind == "missing":
        return f"{what} file '{shown}' not found" + ("; put the CSV in data/" if what == "data" else "")
    fix = {
        "link-outside": f"copy the file into {folder}",
        "folder": "name a file inside it",
        "special": problem.fix,
        "loop": problem.fix,
        "unreadable": problem.fix,
    }.get(problem.kind, f"put it in {folder}")
    return f"{what} '{shown}' {problem.says}; {fix}"


def layout_problems(root: Path, family: str) -> list[str]:
    """Why the files of layout `family` cannot be read (a link leading outside, a folder or a pipe
    in their place), checked before any is opened. A missing layouts/<family>.svg is left to the
    composer, which says so with the file."""
    folder = project_folder(root, "layouts")
    if folder is None:
        return []
    if isinstance(folder, PathProblem):
        return [f"layout folder layouts/ {folder.says}; make it a folder of the project"]
    templates = variant_files(root, family)
    sidecars = {car for path in templates for car in sidecar_files(path)}
    problems = []
    for path in [*templates, *sorted(sidecars)]:
        found = contained(root, path)
        # A missing base template is the composer's to say; a missing sidecar is simply none.
        if isinstance(found, PathProblem) and not (found.kind == "missing" and path not in templates[1:]):
            fix = "copy the template into layouts/" if found.kind == "link-outside" else found.fix
            problems.append(f"layout file layouts/{shown_name(path.name)} {found.says}; {fix}")
    return problems


def load_campaign(root: Path, known_formats: set[str] | None = None) -> Campaign:
    """Load and validate the project's content.

    Raises PosterError if messages.yaml is unusable (every poster depends on it). A broken poster
    file only removes that poster: its diagnostics are returned with the campaign.
    """
    root = Path(root).resolve()
    messages_src = load_yaml(root / "messages.yaml", "messages.yaml", root)
    messages = parse_messages(messages_src)
    sources = [root / "messages.yaml"]
    posters: dict[str, Poster] = {}
    diags: list[Diagnostic] = []
    refused_layout = lru_cache(maxsize=None)(partial(layout_problems, root))  # once per family
    poster_dir = root / "posters"
    folder = project_folder(root, "posters")
    if isinstance(folder, PathProblem):  # a link leading outside is not even listed
        diags.append(folder.diagnostic("posters", "make posters/ a folder of the project"))
        folder = None
    listed = folder is not None
    layouts = families(root) if isinstance(project_folder(root, "layouts"), Path) else []
    # A poster's id is its file name, so ids are unique by construction; what can still collide
    # is a `.yml` twin (silently ignored otherwise) or a case variant (rejected by POSTER_ID).
    for path in sorted(poster_dir.glob("*.yml")) if listed else []:
        diags.append(
            Diagnostic(
                f"poster files end in .yaml; rename it to {path.stem}.yaml"
                + (" (that name is taken: merge the two)" if path.with_suffix(".yaml").exists() else ""),
                f"posters/{path.name}",
            )
        )
    for path in sorted(poster_dir.glob("*.yaml")) if listed else []:
        shown = f"posters/{shown_name(path.name)}"
        refused = contained(root, path)
        if isinstance(refused, PathProblem):  # never opened: not a source either
            diags.append(refused.diagnostic(shown))
            continue
        sources.append(path)
        poster_id = path.stem
        if not POSTER_ID.match(poster_id):
            diags.append(
                Diagnostic(
                    "poster file names must be lower-case letters, digits and '-' (the name is the "
                    "poster's id); rename the file",
                    shown,
                )
            )
            continue
        try:
            src = load_yaml(path, shown, root)
            posters[poster_id] = read_poster(poster_id, src, messages, root, known_formats, layouts, refused_layout)
        except PosterError as exc:
            diags.extend(exc.diagnostics)
    return Campaign(root, messages, posters, tuple(diags), tuple(sources), messages_src.lines)


def read_poster(
    poster_id: str,
    src: Located,
    messages: Messages,
    root: Path,
    known_formats: set[str] | None = None,
    layouts: list[str] | None = None,
    refused_layout: Callable[[str], list[str]] | None = None,
) -> Poster:
    """One parsed poster file → a `Poster` whose references all resolve, or a PosterError listing
    every problem (also used by the workbench before it writes a new poster file). `layouts` and
    `refused_layout` are the loader's, computed once for all posters; alone, they are computed here."""
    spec: PosterSpec = _parse(src, PosterSpec, messages.campaign.language)
    if layouts is None:
        layouts = families(root) if isinstance(project_folder(root, "layouts"), Path) else []
    refused = refused_layout or partial(layout_problems, root)
    problems = _check_references(poster_id, spec, src, messages, root, layouts, refused)
    for i, name in enumerate(spec.formats):
        if known_formats is not None and name not in known_formats:
            problems.append(
                Diagnostic(
                    f"unknown format '{name}'{did_you_mean(name, known_formats)}", src.file, src.line_of(("formats", i))
                )
            )
    if problems:
        raise PosterError(problems)
    key_lines = {str(k[0]): line for k, line in src.lines.items() if len(k) == 1}
    return Poster(poster_id, spec, src.file, key_lines)


def parse_messages(src: Located) -> Messages:
    """messages.yaml's parsed data → validated `Messages` (the workbench validates edits with it)."""
    head = src.data.get("campaign") if isinstance(src.data, dict) else None
    declared = head.get("language") if isinstance(head, dict) else None
    return _parse(src, Messages, _declared_language(declared))


def _declared_language(declared: Any) -> str:
    """The language plain strings are in while messages.yaml is validated: its `campaign.language`
    when that resolves (when it does not, validation says so at its line), else the default."""
    try:
        return language(declared).code if isinstance(declared, str) else DEFAULT_LANG
    except LanguageRefused:
        return DEFAULT_LANG
