"""The texts posters show ↔ a gettext PO catalogue for translators, with how long each may be.

Export composes every selected poster in each of its formats in the campaign's language and walks
the slots as filled: each slot's fields lead to the messages.yaml texts they are made of (their key
path, the PO entry's msgctxt). For each text, its hint is the longest translation that still fits
its tightest slot at that slot's minimum size, measured by the typesetter with the real fonts on a
filler of the text's own characters (so "characters of average width" for that text).

Import writes each translation back into messages.yaml through project/roundtrip.py (comments,
order and quoting kept; nothing written when nothing changes), then composes the posters in that
language and reports every imported text that does not fit, with poster, format and slot.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from poster_engine.compose.document import Composition, text_rules
from poster_engine.compose.fields import FIELD, Fields, poster_fields
from poster_engine.compose.typeset import TextDoesNotFit, fit_text
from poster_engine.core.diagnostics import Diagnostic, PosterError, fail
from poster_engine.core.languages import LanguageRefused, is_language, key_of, language
from poster_engine.plan import plan_jobs
from poster_engine.project.atomic import write_atomic
from poster_engine.project.loader import Project, open_project
from poster_engine.project.roundtrip import load_for_edit
from poster_engine.project.sources import load_yaml
from poster_engine.render.job import compose_job

MESSAGES = "messages.yaml"
_MAX_CHARS = 4000  # no slot holds more; the search stops there


@dataclass(frozen=True)
class Use:
    """Where a text shows: a poster, a format, a slot; and the most characters it may have there."""

    poster: str
    format: str
    slot: str
    fits: int  # characters of the text's average width at the slot's minimum size


@dataclass
class Unit:
    """One text of messages.yaml that the selected posters show."""

    path: tuple[str | int, ...]
    source: str
    translation: str
    line: int | None
    uses: list[Use] = field(default_factory=list)

    @property
    def context(self) -> str:
        return ".".join(str(p) for p in self.path)

    @property
    def tightest(self) -> Use | None:
        return min(self.uses, key=lambda u: u.fits) if self.uses else None


def _raw(data: Any, path: tuple) -> Any:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _scope(comp: Composition, fields: Fields, slot_name: str) -> str | None:
    """The list item a repeated slot (`stats[2]/item.value`) belongs to (`stats.enfants-cobalt`)."""
    prefix, sep, _ = slot_name.rpartition("/")
    if not sep:
        return None
    group, _, index = prefix.rpartition("[")
    placed = next((p for p in comp.lists if p.name == group), None)
    if placed is None:
        return None
    items = fields.items_of(placed.list)
    k = int(index.rstrip("]")) - 1
    return items[k] if 0 <= k < len(items) else None


def _capacity(comp: Composition, project: Project, slot, shown: str, lang: str) -> int:
    """The most characters of `shown`'s own mix that fit `slot` at its minimum size (binary search)."""
    rules = text_rules(slot, comp.layout, project.fonts, lang)
    rules = replace(rules, size_max=rules.size_min)
    sample = (shown.replace("\n", " ").strip() or "n") + " "

    def fits(n: int) -> bool:
        filler = (sample * (n // len(sample) + 1))[:n].rstrip() or "n"
        try:
            fit_text(filler, slot.box, rules)
        except (TextDoesNotFit, PosterError):
            return False
        except Exception:  # noqa: BLE001 - a glyph the filler lacks: the text itself fitted, say so
            return False
        return True

    lo, hi = 0, max(len(shown), 16)
    while hi < _MAX_CHARS and fits(hi):
        lo, hi = hi, hi * 2
    hi = min(hi, _MAX_CHARS)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def collect(project: Project, posters: list[str] | None, lang: str) -> list[Unit]:
    """Every messages.yaml text the selected posters show, with where and how long (in `lang`'s typesetting)."""
    campaign = project.campaign
    source_lang = campaign.lang
    raw = load_yaml(project.root / MESSAGES, MESSAGES)
    units: dict[tuple, Unit] = {}
    capacities: dict[tuple, int] = {}  # posters of one layout share their slots: measured once
    for job in plan_jobs(project, posters, langs=[source_lang]):
        comp = compose_job(project, job)
        fields = poster_fields(campaign, campaign.posters[job.poster_id], source_lang, job.row_fields)
        for slot in comp.slots:
            block = comp.blocks.get(slot.name)
            if block is None:
                continue
            scope = _scope(comp, fields, slot.name)
            capacity: int | None = None
            for name in FIELD.findall(slot.rules.get("text", "")):
                full = scope + name[4:] if scope and name.startswith("item.") else name
                for path in fields.paths_of(full):
                    if path[0] == "poster":
                        continue  # a poster's title is PDF metadata, in posters/*.yaml
                    value = _raw(raw.data, path)
                    source = value.get(key_of(value, source_lang)) if isinstance(value, dict) else value
                    if not isinstance(source, str):
                        continue
                    unit = units.get(path)
                    if unit is None:
                        translation = value.get(key_of(value, lang), "") if isinstance(value, dict) else ""
                        unit = units[path] = Unit(path, source, translation or "", raw.line_of(path))
                    if capacity is None:
                        memo = (comp.layout.file, job.format.name, slot.name, slot.box, block.text)
                        if memo not in capacities:
                            capacities[memo] = _capacity(comp, project, slot, block.text, lang)
                        capacity = capacities[memo]
                    # The slot also shows other words (a label, a year): they take their room.
                    own = max(0, capacity - max(0, len(block.text) - len(source)))
                    unit.uses.append(Use(job.poster_id, job.format.name, slot.name, own))
    return sorted(units.values(), key=lambda u: (u.line or 0, u.context))


def export_po(project: Project, posters: list[str] | None, lang: str) -> bytes:
    """A PO catalogue of every text the selected posters show, for translation into `lang`."""
    try:
        lang = language(lang).code
    except LanguageRefused as exc:
        raise fail(f"--lang {lang}: {exc}") from None
    campaign = project.campaign
    name = campaign.messages.campaign.name.shown(campaign.lang)
    catalog = Catalog(locale=lang.replace("-", "_"), project=name, charset="utf-8", fuzzy=False)
    for unit in collect(project, posters, lang):
        tight = unit.tightest
        comments = []
        if tight is not None:
            comments.append(
                f"fits: at most {tight.fits} characters (tightest: {tight.poster}/{tight.format} slot "
                f"'{tight.slot}' at its minimum size; the source has {len(unit.source)})"
            )
        shown_in: dict[str, list[str]] = {}
        for use in unit.uses:
            shown_in.setdefault(use.poster, []).append(f"{use.format}:{use.slot}")
        comments.append("shown in: " + "; ".join(f"{p} ({', '.join(dict.fromkeys(s))})" for p, s in shown_in.items()))
        catalog.add(
            unit.source,
            unit.translation,
            locations=[(MESSAGES, unit.line or 0)],
            auto_comments=comments,
            context=unit.context,
        )
    out = io.BytesIO()
    write_po(out, catalog, width=0, sort_output=False, omit_header=False)
    return out.getvalue()


@dataclass(frozen=True)
class ImportReport:
    lang: str
    imported: int  # translations in the file
    changed: bool  # messages.yaml was written
    unfit: tuple[Diagnostic, ...]  # imported texts that do not fit, by poster/format/slot


def _path(context: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in context.split("."))


def import_po(project: Project, data: bytes, shown: str, lang: str | None = None) -> ImportReport:
    """Write a PO catalogue's translations into messages.yaml, then report the ones that do not fit."""
    try:
        catalog = read_po(io.BytesIO(data), abort_invalid=True)
    except Exception as exc:  # noqa: BLE001 - Babel's parse errors have several types
        raise fail(f"not a readable PO file ({exc}); export one with `poster strings export`", shown) from None
    lang = lang or (str(catalog.locale) if catalog.locale else None)
    if lang is None:
        raise fail("the catalogue names no language (its Language header); give --lang", shown)
    try:
        lang = language(lang).code
    except LanguageRefused as exc:
        raise fail(f"the catalogue's language: {exc}; give --lang", shown) from None
    campaign = project.campaign
    path = project.root / MESSAGES
    doc = load_for_edit(path, MESSAGES)
    original = doc.original
    imported = 0
    for message in catalog:
        if not message.id or not message.string or message.fuzzy or not message.context:
            continue
        keys = _path(message.context)
        value = _raw(doc.data, keys)
        where_line = message.lineno or None
        if not isinstance(value, str) and not (isinstance(value, dict) and all(map(is_language, value))):
            raise fail(
                f"msgctxt '{message.context}' names no text of messages.yaml; keep the msgctxt lines as exported",
                shown,
                where_line,
            )
        text = str(message.string)
        imported += 1
        if isinstance(value, dict):
            key = key_of(value, lang)  # 'pt_BR' stays as typed for a 'pt-BR' catalogue
            if value.get(key) != text:
                doc.set(keys + (key,), text, create=True)
        elif value != text:
            doc.set_mapping(keys, {campaign.lang: value, lang: text})
    changed = doc.save()
    if changed:
        try:
            reopened = open_project(project.root, project.options)
        except PosterError as exc:
            write_atomic(path, original)  # the catalogue broke the content: nothing stays half-imported
            raise PosterError(
                d.at(hint=f"a translation of {shown} made it so; messages.yaml is unchanged") for d in exc.diagnostics
            ) from None
    else:
        reopened = project
    return ImportReport(lang, imported, changed, tuple(unfit_texts(reopened, lang)))


def unfit_texts(project: Project, lang: str, posters: list[str] | None = None) -> list[Diagnostic]:
    """Compose every poster in `lang`: the texts that do not fit their slot (the build's own `fit` error)."""
    out: list[Diagnostic] = []
    for job in plan_jobs(project, posters, langs=[lang]):
        try:
            compose_job(project, job)
        except PosterError as exc:
            out += [d.at(poster=job.poster_id, format=job.format.name) for d in exc.diagnostics if d.check == "fit"]
    return out


def read_catalogue(path: Path, shown: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read file ({exc.strerror})", shown) from None
