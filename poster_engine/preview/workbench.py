"""Edits typed in the browser → draft images of every format with their fit, then saved files.

The workbench (`poster workbench`) is the live preview plus editing. It never trusts what the page
sends: an edit names a field of a poster (`message.text`, `stat.value`…), not a file or a key path;
the key path in messages.yaml is looked up here from the poster's own references. A draft is
composed from messages.yaml's data with the edits applied in memory, through the build's own
rendering path, in the language being edited. A save writes only what validates and fits, only
when the file is still what the page started from, keeping comments, order and quoting
(project/roundtrip.py); each save is one undo step.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.core.formats import PICTURE_FORMATS, PICTURE_SUFFIXES, VISUAL_SUFFIXES, expand
from poster_engine.core.languages import LANGUAGES, LanguageRefused, key_of, language
from poster_engine.plan import Job, plan_jobs
from poster_engine.preview.guard import inside, safe_file_name
from poster_engine.preview.renderer import PREVIEW_LONG_SIDE_PX, overlay_data
from poster_engine.preview.samples import template_palette
from poster_engine.project.atomic import write_atomic
from poster_engine.project.content import POSTER_ID, Poster, parse_messages, read_poster
from poster_engine.project.layouts import families, load_template, needs, variant_files
from poster_engine.project.loader import Project, open_project
from poster_engine.project.slots import FIELD, poster_key
from poster_engine.project.sources import Located, parse_yaml
from poster_engine.render.job import compose_job, render_screen

MESSAGES = "messages.yaml"


@dataclass(frozen=True)
class Editable:
    """One field the page may edit: where it lives in messages.yaml and which template field shows it."""

    name: str  # what the page sends, e.g. "stat.label"
    table: str  # messages.yaml's table the poster's reference points into
    key: tuple[str, ...]  # inside the entry
    kind: str  # text (per language) | name (one text for all languages unless split) | number | year | url
    label: str
    shows: str  # the template field that draws it (its fit is that slot's)


POSTER_REFERENCES = {"message": "messages", "stat": "stats", "film": "films"}  # poster key → table
EDITABLE = (
    Editable("message.text", "messages", ("text",), "text", "Message", "message"),
    Editable("stat.value", "stats", ("value",), "number", "Figure", "stat.value"),
    Editable("stat.unit", "stats", ("unit",), "name", "Unit", "stat.value"),
    Editable("stat.label", "stats", ("label",), "text", "What it counts", "stat.label"),
    Editable("stat.source", "stats", ("source",), "name", "Source", "stat.source"),
    Editable("stat.year", "stats", ("year",), "year", "Year of the figure", "stat.source"),
    Editable("film.title", "films", ("title",), "name", "Film title", "film.title"),
    Editable("film.synopsis", "films", ("synopsis",), "text", "Synopsis", "film.excerpt"),
    Editable("film.link.label", "films", ("link", "label"), "text", "Link label", "film.link"),
    Editable("film.link.url", "films", ("link", "url"), "url", "Link (http/https, the QR code)", "film.url"),
)
BY_NAME = {e.name: e for e in EDITABLE}


class Refused(Exception):
    """A request the workbench will not carry out: its HTTP status and one line saying why and what to do."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _set(data: dict, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _typed(editable: Editable, value: str) -> Any:
    """The page's string as YAML would type it: a figure as a number, a year as a whole number.
    What does not convert stays a string, and validation says what to type."""
    text = value.strip()
    if editable.kind in ("number", "year"):
        if text == "" and editable.kind == "year":
            return None
        # Digits grouped with spaces (40 000) and a decimal comma (2,5) are how the French write them.
        digits = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
        if editable.kind == "number" and "." not in digits:
            digits = digits.replace(",", ".")
        for cast in (int, float) if editable.kind == "number" else (int,):
            try:
                return cast(digits)
            except ValueError:
                pass
    if editable.kind == "name" and text == "" and editable.key == ("unit",):
        return None
    return text


@dataclass(frozen=True)
class Write:
    """One value to write into messages.yaml: a key path and its new YAML value."""

    path: tuple
    value: Any


def edit_writes(data: dict, poster: Poster, edits: dict[str, str], lang: str, campaign_lang: str) -> list[Write]:
    """The page's edits ({field name: text} in `lang`) → the writes that make messages.yaml say them.

    A text typed once (a plain string) is the campaign's language; editing another language turns it
    into one text per language, keeping the first."""
    writes = []
    for name, value in edits.items():
        editable = BY_NAME.get(name)
        ref = getattr(poster.spec, name.split(".")[0], None) if editable else None
        if editable is None or not isinstance(ref, str):
            raise Refused(400, f"'{name}' is not a field poster '{poster.id}' can edit")
        path = (editable.table, ref, *editable.key)
        typed = _typed(editable, value)
        current = _get(data, path)
        if editable.kind in ("number", "year") and current is None and typed is not None:
            key = ".".join(map(str, path))
            raise Refused(422, f"'{key}' is not in messages.yaml yet; add it there once, then edit it here")
        if editable.kind in ("text", "name") and typed is not None:
            if isinstance(current, dict):
                path, typed = (*path, key_of(current, lang)), typed
            elif lang != campaign_lang:
                typed = {campaign_lang: current, lang: typed} if isinstance(current, str) else {lang: typed}
        writes.append(Write(path, typed))
    return writes


def write_yaml(path: Path, writes: list[Write]) -> None:
    """The writes into the file through the round-trip YAML editor (comments, order and quoting
    kept; one atomic write): a text replaced in its quoting, a text split into one per language as
    a `{fr: …, en: …}` mapping, a number written plain."""
    from poster_engine.project.roundtrip import load_for_edit

    doc = load_for_edit(path, path.name)
    for w in writes:
        if isinstance(w.value, dict):
            doc.set_mapping(w.path, w.value)
        elif isinstance(w.value, str):
            doc.set(w.path, w.value)
        else:
            doc.set_plain(w.path, w.value)
    doc.save()


def apply_writes(data: Any, writes: list[Write]) -> Any:
    out = copy.deepcopy(data)
    for w in writes:
        _set(out, w.path, w.value)
    return out


def field_value(data: dict, poster: Poster, editable: Editable, lang: str, campaign_lang: str) -> str | None:
    """The text the page shows for a field in `lang` (None when the poster has no such entry)."""
    ref = getattr(poster.spec, editable.name.split(".")[0], None)
    if not isinstance(ref, str):
        return None
    value = _get(data, (editable.table, ref, *editable.key))
    if isinstance(value, dict):
        value = value.get(key_of(value, lang))
    elif editable.kind == "text" and lang != campaign_lang:
        value = None  # a plain prose string is the campaign's language only
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# The workbench


@dataclass
class Step:
    """One save: the file's bytes before (None: it did not exist) and after."""

    file: str
    before: bytes | None
    after: bytes
    what: str


@dataclass
class BuildRun:
    posters: list[str]
    total: int = 0
    done: int = 0
    running: bool = True
    outputs: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Workbench:
    """What the page may do to the project, each method one request. Thread-safe: one save at a time."""

    def __init__(self, root: Path, writer: Callable[[Path, list[Write]], None] = write_yaml):
        self.root = Path(root).resolve()
        self.writer = writer  # round-trip YAML writes (project/roundtrip.py), atomic
        self._save = threading.Lock()
        self._draft = threading.Lock()
        self.undo_steps: list[Step] = []
        self.redo_steps: list[Step] = []
        self.build: BuildRun | None = None

    # -- reading -----------------------------------------------------------------------------------

    def _open(self) -> tuple[Project, Located, bytes]:
        raw = (self.root / MESSAGES).read_bytes()
        try:
            project = open_project(self.root)
        except PosterError as exc:
            raise Refused(409, "; ".join(str(d) for d in exc.diagnostics)) from None
        return project, parse_yaml(raw.decode("utf-8"), MESSAGES), raw

    def _poster(self, project: Project, poster_id: str) -> Poster:
        poster = project.campaign.posters.get(poster_id)
        if poster is None:
            raise Refused(404, f"no poster '{poster_id}' (or its file has an error: see its row)")
        return poster

    def fields(self, poster_id: str, lang: str) -> dict:
        """The poster's editable fields in `lang`, and the version of messages.yaml they come from."""
        project, src, raw = self._open()
        poster = self._poster(project, poster_id)
        lang = self._lang(lang, project)
        campaign_lang = project.campaign.lang
        shown = []
        for e in EDITABLE:
            value = field_value(src.data, poster, e, lang, campaign_lang)
            if value is not None:
                shown.append({"name": e.name, "label": e.label, "kind": e.kind, "value": value, "shows": e.shows})
        return {
            "poster": poster_id,
            "lang": lang,
            # Those with house rules, and the campaign's own if it is another; any other is asked for by its code.
            "languages": list(dict.fromkeys([*LANGUAGES, campaign_lang])),
            "campaign_lang": campaign_lang,
            "base": sha256(raw),
            "fields": shown,
            "undo": len(self.undo_steps),
            "redo": len(self.redo_steps),
        }

    @staticmethod
    def _lang(lang: str, project: Project) -> str:
        """The language asked for; none: the campaign's own."""
        if not lang:
            return project.campaign.lang
        try:
            return language(lang).code
        except LanguageRefused as exc:
            raise Refused(400, str(exc)) from None

    # -- drafts --------------------------------------------------------------------------------------

    def _edited(self, project: Project, src: Located, poster: Poster, edits: dict[str, str], lang: str):
        """The project with the edits applied in memory, and the writes that would save them."""
        writes = edit_writes(src.data, poster, edits, lang, project.campaign.lang)
        data = apply_writes(src.data, writes)
        messages = parse_messages(Located(data, MESSAGES, src.lines))  # PosterError: located on its line
        return project.with_campaign(replace(project.campaign, messages=messages)), writes, data

    def draft(self, poster_id: str, edits: dict[str, str], lang: str) -> dict:
        """Every format of the poster drawn with the edits, each field's fit, and what is wrong."""
        with self._draft:
            project, src, _ = self._open()
            poster = self._poster(project, poster_id)
            lang = self._lang(lang, project)
            try:
                edited, _, data = self._edited(project, src, poster, edits, lang)
            except PosterError as exc:
                return {"valid": False, "errors": self._by_field(exc.diagnostics, src, poster), "formats": []}
            return self._render_all(edited, poster, edits, lang, src, data)

    def _render_all(self, project: Project, poster: Poster, edits: dict, lang: str, src: Located, data) -> dict:
        formats: list[dict] = []
        errors: list[dict] = []
        fits: dict[str, list[dict]] = {}
        for name in expand(poster.spec.formats, project.formats):
            job = Job(poster.id, project.formats[name], lang, None, project.campaign.lang)
            try:
                comp, png = render_screen(project, job, PREVIEW_LONG_SIDE_PX)
            except PosterError as exc:
                diags = list(exc.diagnostics)
                for d in diags:
                    fit: dict[str, Any] = {"format": name, "error": str(d)}
                    target = self._field_at(d, src, poster)
                    if d.check == "fit" and target is not None and target in edits:
                        fit["remove"] = self._excess(project, src, poster, edits, lang, job, target)
                    errors.append({"field": target, **fit})
                formats.append({"format": name, "error": "\n".join(str(d) for d in diags)})
                continue
            overlay = overlay_data(comp)
            for slot in comp.slots or comp.layout.slots:
                shown = FIELD.findall(str(slot.rules.get("text", "")))
                size = next((s for s in overlay["slots"] if s["name"] == slot.name and s.get("size")), None)
                for e in EDITABLE:
                    if e.shows in shown and size:
                        lines = f"{size['lines']}/{size['max_lines']}" if size.get("max_lines") else size["lines"]
                        fits.setdefault(e.name, []).append(
                            {"format": name, "size": size["size"], "lines": lines, "at_min": size["at_min"]}
                        )
            src_png = "data:image/png;base64," + base64.b64encode(png).decode()
            formats.append({"format": name, "src": src_png, "overlay": overlay})
        return {"valid": not errors, "errors": errors, "fits": fits, "formats": formats}

    def _field_at(self, d: Diagnostic, src: Located, poster: Poster) -> str | None:
        """The editable field a diagnostic is about: the one its slot shows (a text that does not
        fit), or the one its messages.yaml line points at (a value that does not validate)."""
        if d.slot is not None:
            shown = _slot_fields(self.root, poster.spec.layout).get(d.slot, [])
            return next((e.name for e in EDITABLE if e.shows in shown and e.kind == "text"), None) or next(
                (e.name for e in EDITABLE if e.shows in shown), None
            )
        if d.file != MESSAGES or d.line is None:
            return None
        for e in EDITABLE:
            ref = getattr(poster.spec, e.name.split(".")[0], None)
            if isinstance(ref, str) and (e.table, ref, *e.key) in src.lines:
                path = (e.table, ref, *e.key)
                if src.lines[path] == d.line or any(
                    line == d.line for p, line in src.lines.items() if p[: len(path)] == path
                ):
                    return e.name
        return None

    def _by_field(self, diags, src: Located, poster: Poster) -> list[dict]:
        return [{"field": self._field_at(d, src, poster), "error": str(d)} for d in diags]

    def _excess(self, project: Project, src: Located, poster: Poster, edits: dict, lang: str, job: Job, name: str):
        """How many characters to remove from field `name` for its text to fit this format: the
        longest prefix that fits, found by bisection (markup dropped from the cut text)."""
        text = edits[name]

        def fits(n: int) -> bool:
            cut = text[:n].rstrip().replace("*", "") or "x"
            try:
                edited, _, _ = self._edited(project, src, poster, {**edits, name: cut}, lang)
                compose_job(edited, job, 0.05)  # photos at a token size: only the fit is wanted
            except PosterError as exc:
                return not any(d.check == "fit" for d in exc.diagnostics)
            return True

        lo, hi = 0, len(text)  # fits(lo) assumed, fits(hi) known false
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        return len(text) - lo

    # -- saving --------------------------------------------------------------------------------------

    def save(self, poster_id: str, edits: dict[str, str], lang: str, base: str) -> dict:
        """Write the edits to messages.yaml when they validate and fit every format of every poster
        showing them, and the file is still the one the page read (`base`, its SHA-256)."""
        with self._save:
            project, src, raw = self._open()
            if sha256(raw) != base:
                raise Refused(
                    409,
                    "messages.yaml was changed on disk since this page read it (another editor or person); "
                    "nothing was saved. Copy your text, reload the fields, and apply it again.",
                )
            poster = self._poster(project, poster_id)
            lang = self._lang(lang, project)
            try:
                edited, writes, data = self._edited(project, src, poster, edits, lang)
            except PosterError as exc:
                raise Refused(
                    422, "; ".join(str(d) for d in exc.diagnostics), errors=self._by_field(exc.diagnostics, src, poster)
                ) from None
            problems = []
            for other in self._showing(edited, poster, edits):
                result = self._render_all(edited, other, edits if other.id == poster.id else {}, lang, src, data)
                problems += [{**e, "poster": other.id} for e in result["errors"]]
            if problems:
                first = problems[0]
                where = "" if first["poster"] == poster.id else f"poster {first['poster']} shows this text too: "
                raise Refused(
                    422, f"not saved: {where}{first['error']}", errors=[p for p in problems if p["poster"] == poster.id]
                )
            path = self.root / MESSAGES
            self.writer(path, writes)
            after = path.read_bytes()
            self._step(Step(MESSAGES, raw, after, f"{poster_id}: {', '.join(edits)} ({lang})"))
            return {"saved": MESSAGES, "base": sha256(after), **self.history()}

    def _showing(self, project: Project, poster: Poster, edits: dict[str, str]) -> list[Poster]:
        """The poster edited and every other poster of the campaign that shows the same entries."""
        refs = {(name.split(".")[0], getattr(poster.spec, name.split(".")[0], None)) for name in edits}
        others = [
            p
            for p in project.campaign.posters.values()
            if p.id != poster.id and not p.spec.data and any(getattr(p.spec, k, None) == ref for k, ref in refs)
        ]
        return [poster, *others]

    def _step(self, step: Step) -> None:
        self.undo_steps.append(step)
        self.redo_steps.clear()

    def history(self) -> dict:
        return {
            "undo": len(self.undo_steps),
            "redo": len(self.redo_steps),
            "undo_what": self.undo_steps[-1].what if self.undo_steps else None,
            "redo_what": self.redo_steps[-1].what if self.redo_steps else None,
        }

    def undo(self, redo: bool = False) -> dict:
        """Put back the file as it was before the last save (or after the last undone one)."""
        with self._save:
            steps, other = (self.redo_steps, self.undo_steps) if redo else (self.undo_steps, self.redo_steps)
            if not steps:
                raise Refused(409, f"nothing to {'redo' if redo else 'undo'}")
            step = steps[-1]
            path = self.root / step.file
            expected, target = (step.before, step.after) if redo else (step.after, step.before)
            current = path.read_bytes() if path.exists() else None
            if current != expected:
                raise Refused(
                    409,
                    f"{step.file} was changed on disk after that save; {'redo' if redo else 'undo'} refused so "
                    "that the other change is not lost",
                )
            if target is None:
                path.unlink()
            else:
                write_atomic(path, target)
            other.append(steps.pop())
            return {"file": step.file, **self.history()}

    # -- new posters -----------------------------------------------------------------------------------

    def templates(self) -> dict:
        """Each layout with the poster keys its templates need (derived from the templates), and the
        choices the form offers for them."""
        project, _, _ = self._open()
        campaign, lang = project.campaign, project.campaign.lang
        m = campaign.messages
        out: list[dict[str, Any]] = []
        for family in families(self.root):
            try:
                keys = [n.key for n in needs(self.root, family)]
            except PosterError as exc:
                out.append({"name": family, "error": "; ".join(map(str, exc.diagnostics))})
                continue
            palette = template_palette(self.root / "layouts" / f"{family}.svg")
            shown = {poster_key(f) for fields in _slot_fields(self.root, family).values() for f in fields}
            optional = sorted(k for k in shown - set(keys) if k in ("message", "stat", "film", "quote", "visual"))
            out.append({"name": family, "needs": keys, "optional": optional, "colors": palette})
        return {
            "templates": out,
            "choices": {
                "message": [{"id": k, "text": v.text.shown(lang)} for k, v in m.messages.items()],
                "stat": [{"id": k, "text": f"{v.value:g} {v.label.shown(lang)}"} for k, v in m.stats.items()],
                "film": [{"id": k, "text": v.title.shown(lang)} for k, v in m.films.items()],
                "visual": self._visuals(),
                "data": sorted(f"data/{p.name}" for p in (self.root / "data").glob("*.csv")),
            },
            "formats": list(project.formats),
            "lang": lang,
        }

    def _visuals(self) -> list[str]:
        folder = self.root / "visuals"
        suffixes = VISUAL_SUFFIXES
        return sorted(f"visuals/{p.name}" for p in folder.glob("*") if p.suffix.lower() in suffixes and p.is_file())

    def new_poster(self, form: dict) -> dict:
        """Write posters/<id>.yaml from the form, once it validates as any poster file does."""
        poster_id = str(form.get("id", ""))
        if not POSTER_ID.match(poster_id) or len(poster_id) > 80:
            raise Refused(422, "the poster id must be lower-case letters, digits and '-', e.g. stat-lithium")
        rel = f"posters/{poster_id}.yaml"
        path = inside(self.root, rel)
        if path is None:
            raise Refused(400, "bad poster id")
        if path.exists():
            raise Refused(409, f"{rel} exists already; choose another id")
        visual = form.get("visual") or None
        if visual is not None and (inside(self.root / "visuals", str(visual).removeprefix("visuals/")) is None):
            raise Refused(422, f"visual '{visual}' is not a file of visuals/; pick one or upload it")
        spec: dict[str, Any] = {"title": str(form.get("title") or "").strip(), "layout": str(form.get("layout", ""))}
        for key in ("message", "stat", "film", "data"):
            if form.get(key):
                spec[key] = str(form[key])
        if form.get("quote") not in (None, ""):
            spec["quote"] = form["quote"]
        if visual:
            spec["visual"] = str(visual)
        spec["colors"] = {k: str(v) for k, v in (form.get("colors") or {}).items()}
        spec["formats"] = [str(f) for f in form.get("formats") or []]
        text = "# Written by poster workbench.\n" + yaml.safe_dump(
            spec, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
        )
        with self._save:
            project, _, _ = self._open()
            try:
                read_poster(
                    poster_id, parse_yaml(text, rel), project.campaign.messages, self.root, set(project.formats)
                )
            except PosterError as exc:
                raise Refused(422, "; ".join(str(d) for d in exc.diagnostics)) from None
            write_atomic(path, text.encode())
            self._step(Step(rel, None, text.encode(), f"new poster {poster_id}"))
        return {"created": rel, "poster": poster_id, **self.history()}

    def upload(self, name: str, data: bytes) -> dict:
        """An uploaded picture → visuals/<name>, checked as a visual is: an image Pillow reads, of a
        size memory can hold (Pillow's decompression-bomb guard), of the type its name says."""
        from PIL import Image, UnidentifiedImageError

        shown = name.replace("\\", "/").rsplit("/", 1)[-1][:80]
        clean = safe_file_name(name, PICTURE_SUFFIXES)  # an upload is a picture (SVG stays an author's file)
        if clean is None:
            raise Refused(
                415, f"upload refused: '{shown}' is not a .png, .jpg or .webp picture; upload a JPEG, PNG or WebP"
            )
        try:
            with Image.open(io.BytesIO(data)) as im:
                kind = im.format or ""
                im.verify()  # reads the whole stream: a truncated or corrupt file fails here
        except Image.DecompressionBombError:
            raise Refused(
                413, f"upload refused: '{shown}' has more pixels than memory should hold (a decompression bomb?)"
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise Refused(
                415, f"upload refused: '{shown}' is not an image Pillow can read; upload a JPEG, PNG or WebP"
            ) from None
        if kind not in PICTURE_FORMATS or not clean.endswith(PICTURE_FORMATS[kind]):
            raise Refused(
                415,
                f"upload refused: '{shown}' is a {kind or 'unknown'} image named .{clean.rsplit('.', 1)[1]}; "
                "upload a JPEG, PNG or WebP with its own extension",
            )
        stem, suffix = clean.rsplit(".", 1)
        with self._save:
            target, n = f"{stem}.{suffix}", 1
            while (self.root / "visuals" / target).exists():
                n += 1
                target = f"{stem}-{n}.{suffix}"
            path = inside(self.root, f"visuals/{target}")
            if path is None:
                raise Refused(400, "bad file name")
            write_atomic(path, data)
        return {"visual": f"visuals/{target}"}

    # -- check and build ----------------------------------------------------------------------------------

    def check(self, poster_id: str) -> dict:
        from poster_engine.qa.check import check_campaign

        project, src, _ = self._open()
        poster = self._poster(project, poster_id)
        entries = [
            (table, getattr(poster.spec, key)) for key, table in POSTER_REFERENCES.items() if getattr(poster.spec, key)
        ]
        mine = {line for path, line in src.lines.items() if path[:1] == ("campaign",) or path[:2] in entries}
        # This poster's own findings, and those on the entries of messages.yaml it shows and on the
        # campaign's own (its link, its dates): the campaign's other entries have their own posters.
        findings = [
            d
            for d in check_campaign(project, None, [poster.id])
            if d.poster == poster.id or d.file == poster.file or (d.file == MESSAGES and d.line in mine)
        ]
        return {
            "poster": poster_id,
            "findings": [
                {
                    "severity": d.severity,
                    "check": d.check,
                    "format": d.format,
                    "text": str(d),
                    "field": self._field_at(d, src, poster),
                }
                for d in findings
            ],
        }

    def start_build(self, posters: list[str]) -> dict:
        from poster_engine.batch.build import build

        with self._save:
            if self.build and self.build.running:
                raise Refused(409, "a build is running; wait for it to finish")
            project, _, _ = self._open()
            unknown = [p for p in posters if p not in project.campaign.posters]
            if unknown or not posters:
                raise Refused(422, f"pick posters to build{'; unknown: ' + ', '.join(unknown) if unknown else ''}")
            jobs = plan_jobs(project, posters)
            run = self.build = BuildRun(list(posters), total=len(jobs))
        out_dir = self.root / "build"

        def done(job: Job, error: Diagnostic | None) -> None:
            run.done += 1
            if error:
                run.errors.append(str(error))

        def work() -> None:
            try:
                report = build(project, jobs, out_dir, done, on_start=lambda todo, fresh: _count(run, fresh))
                failed = set(report.failed)
                for job in jobs:
                    if job.output in failed:
                        continue
                    alt = out_dir / f"{job.output}.alt.txt"
                    run.outputs.append(
                        {
                            "file": job.output,
                            "url": f"/dl/{job.output}",
                            "alt": alt.read_text(encoding="utf-8").strip() if alt.exists() else "",
                            "alt_url": f"/dl/{job.output}.alt.txt" if alt.exists() else None,
                        }
                    )
            except Exception as exc:  # one line on the page, the workbench lives on
                run.errors.append(f"build stopped: {type(exc).__name__}: {exc}")
            finally:
                run.running = False

        threading.Thread(target=work, daemon=True, name="workbench-build").start()
        return self.build_state()

    def build_state(self) -> dict:
        run = self.build
        if run is None:
            return {"running": False, "total": 0, "done": 0, "outputs": [], "errors": []}
        return {
            "posters": run.posters,
            "running": run.running,
            "total": run.total,
            "done": run.done,
            "outputs": list(run.outputs),
            "errors": list(run.errors),
        }

    def download(self, rel: str) -> Path | None:
        """A file of the last build the page was offered, resolved inside build/ (None otherwise)."""
        run = self.build
        offered = {o["file"] for o in run.outputs} | {f"{o['file']}.alt.txt" for o in run.outputs} if run else set()
        if rel not in offered:
            return None
        path = inside(self.root / "build", rel)
        return path if path is not None and path.is_file() else None


def _slot_fields(root: Path, family: str) -> dict[str, list[str]]:
    """Each slot of a layout (any of its variants) → the fields its text shows."""
    out: dict[str, list[str]] = {}
    for path in variant_files(root, family):
        if path.is_file():
            try:
                template = load_template(path)
            except PosterError:
                continue
            for slot in template.slots:
                out.setdefault(slot.name, FIELD.findall(slot.rules.get("text", ("", None))[0]))
    return out


def _count(run: BuildRun, up_to_date: int) -> None:
    run.done += up_to_date  # outputs already up to date count as done at once
