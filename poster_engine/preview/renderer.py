"""The preview's state: the selected posters × formats as screen images, re-rendered when what they read changes.

A job that fails keeps its last good image; its one-line diagnostic is shown beside it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean, fail
from poster_engine.core.formats import FORMATS, Format, expand
from poster_engine.core.geometry import PT_PER_MM
from poster_engine.plan import Job
from poster_engine.preview.samples import SAMPLE_PREFIXES, sample_posters
from poster_engine.project.content import (
    POSTER_ID,
    Campaign,
    Poster,
    layout_problems,
)
from poster_engine.project.files import Reads, recording
from poster_engine.project.fonts import library
from poster_engine.project.layouts import FAMILY_NAME, families
from poster_engine.project.loader import Project, open_project
from poster_engine.project.paths import PathProblem, project_folder, shown_name
from poster_engine.project.slots import FIELD
from poster_engine.render.job import render_screen
from poster_engine.render.keys import job_key

PREVIEW_LONG_SIDE_PX = 600  # screen size: enough to judge a layout, ~20x cheaper than print pixels


# ---------------------------------------------------------------------------------------------
# The renderer: selection, content keys, last good images


@dataclass
class Card:
    """One poster × format on the page: its last good image and what is wrong now, if anything."""

    format: str
    png: bytes | None = None
    version: int = 0  # the page version at which `png` was rendered (cache-busting)
    overlay: dict | None = None
    error: str | None = None
    key: str | None = None  # cache key of the last attempt, success or failure
    reads: Reads | None = None  # what that attempt read: the key is recomputed from it on every save


@dataclass
class Row:
    id: str
    kind: str  # poster | sample | longest
    title: str
    note: str
    formats: list[str]
    error: str | None = None  # the poster file itself is broken
    cards: dict[str, Card] = field(default_factory=dict)


def overlay_data(composition) -> dict:
    """What the page draws over an image, in the units of the whole page (trim + bleed):
    slot outlines (a rotated or skewed slot's real corners) and names, trim, safe area, and each
    text slot's fitted size as printed (pt on print, px on screen)."""
    lay = composition.layout
    fmt: Format = lay.format
    k, b = lay.scale, fmt.bleed
    slots = []
    for slot in composition.slots or lay.slots:  # a repeated group's items each in their own box
        x, y, w, h = slot.bounds
        item = {
            "name": slot.name,
            "kind": slot.kind,
            "box": [b + x * k, b + y * k, w * k, h * k],  # the page's box around the slot
            "points": [[b + px * k, b + py * k] for px, py in slot.polygon],  # its real corners, rotated or not
            "fields": FIELD.findall(str(slot.rules.get("text", ""))),  # the workbench's click-to-edit
        }
        block = composition.blocks.get(slot.name)
        if block is not None:
            size = block.size * slot.matrix.line_scale * k * (PT_PER_MM if fmt.medium == "print" else 1)
            size_min = float(slot.rules.get("size-min", block.size))
            max_lines = int(float(slot.rules.get("max-lines", 0)))
            item.update(
                size=f"{size:.1f} {'pt' if fmt.medium == 'print' else 'px'}",
                lines=len(block.lines),
                max_lines=max_lines or None,
                at_min=block.size <= size_min + 1e-6,
            )
        slots.append(item)
    lists = [
        {
            "name": placed.name,
            "items": placed.items,
            "squeeze": round(placed.squeeze, 3),
            "points": [[b + px * k, b + py * k] for px, py in placed.polygon],
        }
        for placed in composition.lists
    ]
    return {
        "page": list(fmt.page),
        "trim": [b, b, fmt.width, fmt.height],
        "bleed": b,
        "safe": fmt.safe,
        "unit": fmt.unit,
        "slots": slots,
        "lists": lists,  # each repeating group's box (docs/layouts.md §6)
    }


class Preview:
    """The selected rows and their cards, kept up to date by `refresh()` (one renderer thread)."""

    def __init__(
        self,
        root: Path,
        posters: Iterable[str] = (),
        layouts: Iterable[str] = (),
        long_side_px: int = PREVIEW_LONG_SIDE_PX,
    ):
        self.root = Path(root).resolve()
        self.posters, self.layouts = list(posters), list(layouts)
        self.long_side_px = long_side_px
        self._check_selection()
        self.formats: dict[str, Format] = dict(FORMATS)  # the project's registry, once it is opened
        self.rows: list[Row] = []
        self.errors: list[str] = []  # problems that concern every row (e.g. messages.yaml)
        self.busy = False
        self.version = 0
        self.campaign_name = ""
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)
        self.closing = threading.Event()  # set on shutdown: a long refresh stops between two jobs

    def _check_selection(self) -> None:
        if not (self.root / "messages.yaml").is_file():
            raise fail("not found; run from a project folder or pass --project", self.root / "messages.yaml")
        # Folders are listed, and a layout's files read, only when they are the project's own
        # (project/paths.py): `--layout ../x` or a layout linked from elsewhere is refused like a
        # poster's `layout:` is.
        posters, layouts = project_folder(self.root, "posters"), project_folder(self.root, "layouts")
        known = {p.stem for p in (self.root / "posters").glob("*.yaml")} if isinstance(posters, Path) else set()
        families_ = set(families(self.root)) if isinstance(layouts, Path) else set()
        problems = [f"unknown poster '{p}'{did_you_mean(p, known)}" for p in self.posters if p not in known]
        for name in self.layouts:
            if isinstance(layouts, PathProblem):
                problems.append(f"layout folder layouts/ {layouts.says}; make it a folder of the project")
            elif name not in families_ and not FAMILY_NAME.match(name):
                problems.append(
                    f"layout '{shown_name(name)}' is not a layout's name (a layout is a file layouts/<name>.svg "
                    "of the project); name one, e.g. --layout " + (sorted(families_)[0] if families_ else "choc")
                )
            elif name not in families_:
                problems.append(f"unknown layout '{name}'{did_you_mean(name, families_)}; layouts are layouts/*.svg")
            else:
                problems += layout_problems(self.root, name)
        if problems:
            raise PosterError(Diagnostic(p) for p in problems)

    # -- publishing ------------------------------------------------------------------------------

    def _publish(self) -> None:
        """Caller holds the lock: a new page version, and every waiting event stream wakes up."""
        self.version += 1
        self.changed.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    def state(self) -> dict:
        """The page's data as JSON-ready dicts (the browser rebuilds the page from it)."""
        with self._lock:
            return {
                "version": self.version,
                "busy": self.busy,
                "campaign": self.campaign_name,
                "errors": list(self.errors),
                "formats": [
                    {"name": f.name, "label": f.label, "medium": f.medium, "page": list(f.page)}
                    for f in self.formats.values()
                ],
                "rows": [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "title": r.title,
                        "note": r.note,
                        "error": r.error,
                        "cards": [
                            {
                                "format": c.format,
                                "src": f"/img/{r.id}/{c.format}.png?v={c.version}" if c.png else None,
                                "error": c.error,
                                "overlay": c.overlay,
                            }
                            for c in (r.cards[f] for f in r.formats if f in r.cards)
                        ],
                    }
                    for r in self.rows
                ],
            }

    def image(self, row_id: str, fmt: str) -> bytes | None:
        with self._lock:
            row = next((r for r in self.rows if r.id == row_id), None)
            card = row.cards.get(fmt) if row else None
            return card.png if card else None

    # -- rendering -------------------------------------------------------------------------------

    def refresh(self, changed: Iterable[Path] = ()) -> None:
        """Reload the content, then re-render every job whose content key changed, publishing each."""
        if any(_under(p, self.root / "fonts") for p in changed):
            library.cache_clear()  # fonts are parsed once per process: re-read the folder
        try:
            project = open_project(self.root)
        except PosterError as exc:
            with self._lock:
                self.errors = [str(d) for d in exc.diagnostics]
                self._publish()
            return
        campaign, formats = project.campaign, project.formats
        selected = self._select(campaign, formats)
        shown_files = {f"posters/{pid}.yaml" for pid in selected}
        whole_project = not self.posters and not self.layouts
        # Samples join the campaign's posters so they take the same path as `poster build`.
        full = project.with_campaign(
            Campaign(
                campaign.root,
                campaign.messages,
                {**campaign.posters, **{pid: p for pid, p in selected.items() if p}},
                campaign.diagnostics,
                campaign.sources,
                campaign.message_lines,
            )
        )
        with self._lock:
            self.campaign_name = campaign.messages.campaign.name.shown(campaign.lang)
            self.formats = formats
            # A broken poster file is reported on its own row; on the whole-project page, a file
            # with no row (e.g. a bad file name) is reported at the top.
            self.errors = [str(d) for d in campaign.diagnostics if whole_project and d.file not in shown_files]
            self.rows = self._rows(campaign, selected, formats)
            jobs = [
                (row.cards[f], Job(row.id, formats[f], campaign.lang, None, campaign.lang))
                for row in self.rows
                if selected.get(row.id)
                for f in row.formats
            ]
        todo = [
            (card, job)
            for card, job in jobs
            if card.reads is None or card.key is None or job_key(full, job, card.reads) != card.key
        ]
        with self._lock:
            self.busy = bool(todo)
            self._publish()
        for card, job in todo:
            if self.closing.is_set():
                return
            self._render(full, card, job)
        with self._lock:
            if self.busy:
                self.busy = False
                self._publish()

    def _render(self, project: Project, card: Card, job: Job) -> None:
        """Render one card; what it read (even up to a failure) decides when it is rendered again."""

        try:
            with recording() as reads:
                composition, png = render_screen(project, job, self.long_side_px)
        except PosterError as exc:
            error = "\n".join(str(d) for d in exc.diagnostics)
        except Exception as exc:  # a bug or an unexpected file: one line, and the preview lives on
            error = f"internal error: {type(exc).__name__}: {exc}"
        else:
            overlay = overlay_data(composition)
            with self._lock:
                card.png, card.overlay, card.error = png, overlay, None
                card.reads, card.key = reads, job_key(project, job, reads)
                card.version = self.version + 1
                self._publish()
            return
        with self._lock:  # the last good image and its overlay stay
            card.error, card.reads, card.key = error, reads, job_key(project, job, reads)
            self._publish()

    def _select(self, campaign: Campaign, formats: dict[str, Format]) -> dict[str, Poster | None]:
        """The posters (and layout samples) on the page, in page order. Broken poster files are
        selected by name; their rows show the error and keep their last images."""
        on_disk = sorted(p.stem for p in campaign.sources if p.parent.name == "posters" and POSTER_ID.match(p.stem))
        if not self.posters and not self.layouts:
            # Posters of data rows need a row to draw; `poster build` renders them (one per row).
            ids = [pid for pid in on_disk if pid not in campaign.posters or not campaign.posters[pid].spec.data]
        else:
            shown = {r.id for r in self.rows}
            ids = list(self.posters) + [
                pid
                for pid in on_disk
                if pid not in self.posters
                and self.layouts
                and (campaign.posters[pid].spec.layout in self.layouts if pid in campaign.posters else pid in shown)
            ]
        selected: dict[str, Poster | None] = {pid: campaign.posters.get(pid) for pid in ids}
        for family in self.layouts:
            for sample in sample_posters(campaign, family, formats):
                selected[sample.id] = sample
        return selected

    def _rows(self, campaign: Campaign, selected: dict[str, Poster | None], registry: dict[str, Format]) -> list[Row]:
        """New rows for the selection, keeping each card (and its last good image) that still exists."""
        old = {r.id: r for r in self.rows}
        rows = []
        for pid, poster in selected.items():
            prev = old.get(pid)
            if poster is None:  # broken file: keep what was shown, say why
                problems = [str(d) for d in campaign.diagnostics if d.file == f"posters/{pid}.yaml"]
                row = prev or Row(pid, "poster", pid, f"posters/{pid}.yaml", [])
                row.error = "\n".join(problems) or f"posters/{pid}.yaml: not found"
                rows.append(row)
                continue
            kind = next((p.rstrip(":") for p in SAMPLE_PREFIXES if pid.startswith(p)), "poster")
            formats = [f for f in registry if f in expand(poster.spec.formats, registry)]
            if kind == "poster":
                note = f"{poster.file} · layout {poster.spec.layout}"
            else:
                s = poster.spec
                note = (
                    f"layout {s.layout} · message '{s.message}', stat '{s.stat}', film '{s.film}'"
                    + (f", visual {s.visual}" if s.visual else "")
                    + " (from messages.yaml)"
                )
            row = Row(pid, kind, poster.spec.title.shown(campaign.lang), note, formats)
            if prev:
                row.cards = {f: c for f, c in prev.cards.items() if f in formats}
            for f in formats:
                row.cards.setdefault(f, Card(f))
            rows.append(row)
        return rows


def _under(path: Path, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(folder.resolve())
    except OSError:
        return False
