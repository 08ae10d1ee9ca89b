"""Project files → a live web page of the selected posters in every format, re-rendered on save.

`poster preview` serves one page on 127.0.0.1. A renderer thread composes every selected poster ×
format through the build's own `compose_job` and draws it as a screen-sized PNG; watcher threads
(watchfiles) wake it when a project file is saved, and it re-renders only the jobs whose inputs
changed (a content key per job), pushing each new image to the page over Server-Sent Events. A job
that fails keeps its last good image; its one-line diagnostic is shown beside it.

Nothing is served from the file system: images live in memory and every URL is matched exactly,
so no path can reach a file outside what the page shows.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from poster_engine.core.diagnostics import Diagnostic, PosterError, did_you_mean, fail
from poster_engine.core.formats import FORMATS, Format, expand
from poster_engine.core.geometry import PT_PER_MM
from poster_engine.plan import Job
from poster_engine.project.content import LAYOUT_FAMILIES, POSTER_ID, Campaign, Poster, PosterSpec
from poster_engine.project.files import Reads, recording
from poster_engine.project.fonts import library
from poster_engine.project.loader import Project, open_project
from poster_engine.project.sources import load_yaml
from poster_engine.render.job import render_screen
from poster_engine.render.keys import job_key

PREVIEW_LONG_SIDE_PX = 600  # screen size: enough to judge a layout, ~20x cheaper than print pixels
WATCHED_DIRS = ("posters", "layouts", "visuals", "fonts")
HEARTBEAT_S = 15.0  # an SSE comment this often lets the server notice a closed tab
IMAGE_URL = re.compile(r"^/img/([a-z0-9][a-z0-9:-]*)/([a-z0-9][a-z0-9_-]*)\.png$")
DEFAULT_PALETTE = {"background": "#111418", "text": "#FFFFFF", "accent": "#FFD400"}
SAMPLE_PREFIXES = ("sample:", "longest:")  # ':' can never occur in a poster id: no clash


# ---------------------------------------------------------------------------------------------
# Sample posters: a layout shown before any poster uses it


def _template_palette(layout_file: Path) -> dict[str, str]:
    """The template's own preview palette (`.fill-accent{fill:#…}`), so samples look as drawn."""
    try:
        text = layout_file.read_text(encoding="utf-8", errors="replace")
    except OSError:  # a missing template fails when it is composed, with its line
        text = ""
    found = dict(re.findall(r"\.fill-(background|text|accent)\s*\{\s*fill:\s*(#[0-9A-Fa-f]{6})", text))
    return {**DEFAULT_PALETTE, **{k: v.upper() for k, v in found.items()}}


def _sample_visual(campaign: Campaign, family: str) -> str | None:
    """A visual of a poster of this family, else the first visual of the project."""
    used = [p.spec.visual for p in campaign.posters.values() if p.spec.layout == family and p.spec.visual]
    if used:
        return sorted(used)[0]
    files = sorted(p for p in (campaign.root / "visuals").glob("*")
                   if p.suffix.lower() in (".svg", ".png", ".jpg", ".jpeg"))
    return f"visuals/{files[0].name}" if files else None


def _campaign_formats(campaign: Campaign, formats: dict[str, Format]) -> list[str]:
    """The formats the campaign's posters use, in registry order (all of them if there are no posters)."""
    used = {f for p in campaign.posters.values() for f in expand(p.spec.formats, formats)}
    return [f for f in formats if f in used] or list(formats)


def sample_posters(campaign: Campaign, family: str, formats: dict[str, Format] = FORMATS) -> list[Poster]:
    """Two posters for layout `family` from the campaign's content: its first message, stat and film,
    and its longest ones (to stress the fitting). Errors point at the text's line in messages.yaml."""

    m = campaign.messages
    if not (m.messages and m.stats and m.films):
        return []
    lines = load_yaml(campaign.root / "messages.yaml", "messages.yaml").lines
    first = (next(iter(m.messages)), next(iter(m.stats)), next(iter(m.films)))
    longest = (
        max(m.messages, key=lambda k: len(m.messages[k].text.shown(campaign.lang))),
        max(m.stats, key=lambda k: len(m.stats[k].label.shown(campaign.lang)) + len(m.stats[k].source.shown(campaign.lang))),
        max(m.films, key=lambda k: len(m.films[k].title.shown(campaign.lang)) + len(m.films[k].synopsis.shown(campaign.lang))),
    )
    palette = _template_palette(campaign.root / "layouts" / f"{family}.svg")
    visual = _sample_visual(campaign, family)
    out = []
    titles = ("Sample: the campaign's first message, stat and film",
              "Stress test: the campaign's longest message, stat and film")
    for prefix, title, (message, stat, film) in zip(SAMPLE_PREFIXES, titles, (first, longest)):
        spec = PosterSpec.model_validate({
            "title": title,
            # A template not yet registered as a family is composed all the same: its file is read by name.
            "layout": family if family in LAYOUT_FAMILIES else LAYOUT_FAMILIES[0],
            "message": message, "stat": stat, "film": film, "visual": visual,
            "colors": palette, "formats": _campaign_formats(campaign, formats),
        }).model_copy(update={"layout": family})
        key_lines = {key: lines[(table, ref)] for key, table, ref in
                     (("message", "messages", message), ("stat", "stats", stat), ("film", "films", film))
                     if (table, ref) in lines}
        out.append(Poster(prefix + family, spec, "messages.yaml", key_lines))
    return out


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
    slot boxes and names, trim, safe area, and each text slot's fitted size (pt on print, px on screen)."""
    lay = composition.layout
    fmt: Format = lay.format
    k, b = lay.scale, fmt.bleed
    slots = []
    for slot in lay.slots:
        x, y, w, h = slot.box
        item = {"name": slot.name, "kind": slot.kind, "box": [b + x * k, b + y * k, w * k, h * k]}
        block = composition.blocks.get(slot.name)
        if block is not None:
            size = block.size * k * (PT_PER_MM if fmt.medium == "print" else 1)
            size_min = float(slot.rules.get("size-min", block.size))
            max_lines = int(float(slot.rules.get("max-lines", 0)))
            item.update(size=f"{size:.1f} {'pt' if fmt.medium == 'print' else 'px'}", lines=len(block.lines),
                        max_lines=max_lines or None, at_min=block.size <= size_min + 1e-6)
        slots.append(item)
    return {"page": list(fmt.page), "trim": [b, b, fmt.width, fmt.height], "bleed": b,
            "safe": fmt.safe, "unit": fmt.unit, "slots": slots}


class Preview:
    """The selected rows and their cards, kept up to date by `refresh()` (one renderer thread)."""

    def __init__(self, root: Path, posters: Iterable[str] = (), layouts: Iterable[str] = (),
                 long_side_px: int = PREVIEW_LONG_SIDE_PX):
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
        known = {p.stem for p in (self.root / "posters").glob("*.yaml")}
        layouts = {p.stem for p in (self.root / "layouts").glob("*.svg")}
        problems = [f"unknown poster '{p}'{did_you_mean(p, known)}" for p in self.posters if p not in known]
        problems += [f"unknown layout '{name}'{did_you_mean(name, layouts)}; layouts are layouts/*.svg"
                     for name in self.layouts if name not in layouts]
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
                "formats": [{"name": f.name, "label": f.label, "medium": f.medium, "page": list(f.page)}
                            for f in self.formats.values()],
                "rows": [{
                    "id": r.id, "kind": r.kind, "title": r.title, "note": r.note, "error": r.error,
                    "cards": [{
                        "format": c.format,
                        "src": f"/img/{r.id}/{c.format}.png?v={c.version}" if c.png else None,
                        "error": c.error, "overlay": c.overlay,
                    } for c in (r.cards[f] for f in r.formats if f in r.cards)],
                } for r in self.rows],
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
        full = project.with_campaign(Campaign(
            campaign.root, campaign.messages, {**campaign.posters, **{pid: p for pid, p in selected.items() if p}},
            campaign.diagnostics, campaign.sources, campaign.message_lines))
        with self._lock:
            self.campaign_name = campaign.messages.campaign.name.shown(campaign.lang)
            self.formats = formats
            # A broken poster file is reported on its own row; on the whole-project page, a file
            # with no row (e.g. a bad file name) is reported at the top.
            self.errors = [str(d) for d in campaign.diagnostics if whole_project and d.file not in shown_files]
            self.rows = self._rows(campaign, selected, formats)
            jobs = [(row.cards[f], Job(row.id, formats[f], campaign.lang, None, campaign.lang))
                    for row in self.rows if selected.get(row.id)
                    for f in row.formats]
        todo = [(card, job) for card, job in jobs
                if card.reads is None or card.key is None or job_key(full, job, card.reads) != card.key]
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
                pid for pid in on_disk if pid not in self.posters and self.layouts and (
                    campaign.posters[pid].spec.layout in self.layouts if pid in campaign.posters else pid in shown)]
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
                note = (f"layout {s.layout} · message '{s.message}', stat '{s.stat}', film '{s.film}'"
                        + (f", visual {s.visual}" if s.visual else "") + " (from messages.yaml)")
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


# ---------------------------------------------------------------------------------------------
# Watching: which saved files matter


def is_source(path: Path, root: Path) -> bool:
    """A saved file the posters can depend on; editors' swap, backup and temporary files are not."""
    name = path.name
    if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp", ".part")):
        return False
    try:
        rel = path.resolve().relative_to(root)
    except (OSError, ValueError):
        return False
    if len(rel.parts) == 1:
        return rel.suffix in (".yaml", ".yml")
    return rel.parts[0] in WATCHED_DIRS


def _watch(paths: list[Path], recursive: bool, root: Path, out: queue.Queue, stop: threading.Event) -> None:
    import watchfiles

    # step: yield 30 ms after the last change of a burst (an editor's save is several events);
    # debounce: never hold changes longer than 300 ms.
    for changes in watchfiles.watch(*paths, recursive=recursive, stop_event=stop, debounce=300, step=30,
                                    raise_interrupt=False):
        relevant = {Path(p) for _, p in changes if is_source(Path(p), root)}
        if relevant:
            out.put(relevant)


# ---------------------------------------------------------------------------------------------
# HTTP


def _page() -> bytes:
    return resources.files("poster_engine.preview").joinpath("page.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: "_HTTPServer"
    server_version = "poster-preview"
    protocol_version = "HTTP/1.0"  # one request per connection: the event stream ends with it

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal is for diagnostics, not access logs

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            # Another site's page resolved to 127.0.0.1 (DNS rebinding) must not read the preview.
            return self._send(HTTPStatus.FORBIDDEN, b"forbidden host\n", "text/plain")
        # Routes are matched on the raw path, never decoded: '%2e%2e' stays four characters that
        # match no route. Images come from memory, so no request path is ever joined to a folder.
        path = urlsplit(self.path).path
        preview = self.server.preview
        if path in ("/", "/index.html"):
            return self._send(HTTPStatus.OK, _page(), "text/html; charset=utf-8")
        if path == "/api/state":
            body = json.dumps(preview.state(), ensure_ascii=False).encode()
            return self._send(HTTPStatus.OK, body, "application/json; charset=utf-8")
        if path == "/events":
            return self._events()
        m = IMAGE_URL.match(path)
        png = preview.image(m.group(1), m.group(2)) if m else None
        if png is None:
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        return self._send(HTTPStatus.OK, png, "image/png")

    def _send(self, status: HTTPStatus, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        """Server-Sent Events: `update` with the page version whenever it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        preview = self.server.preview
        closing = preview.closing
        seen = -1
        try:
            while not closing.is_set():
                version = preview.version if seen < 0 else preview.wait_for_change(seen, HEARTBEAT_S)
                if closing.is_set():
                    break
                self.wfile.write(f"event: update\ndata: {version}\n\n".encode() if version != seen else b": ping\n\n")
                self.wfile.flush()
                seen = version
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tab was closed or reloaded


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # event streams must not keep the process alive on Ctrl-C

    def __init__(self, address: tuple[str, int], preview: Preview):
        self.preview = preview
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError):  # a dropped connection is routine, anything else is one line
            print(f"preview: {type(exc).__name__}: {exc}", file=sys.stderr)


class PreviewServer:
    """The running preview: HTTP server, file watchers and renderer, each on its own thread."""

    def __init__(self, preview: Preview, port: int):
        try:
            self.http = _HTTPServer(("127.0.0.1", port), preview)
        except OSError as exc:
            raise fail(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
                       f"pass another --port (0 picks a free one)") from None
        self.preview = preview
        self._stop = threading.Event()
        self._changes: queue.Queue[set[Path]] = queue.Queue()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/"

    def start(self) -> "PreviewServer":
        root = self.preview.root
        watch_jobs = [([root], False)]  # messages.yaml: the folder, so an editor's rename-on-save is seen
        folders = [root / d for d in WATCHED_DIRS if (root / d).is_dir()]
        if folders:
            watch_jobs.append((folders, True))
        for paths, recursive in watch_jobs:
            self._spawn(_watch, paths, recursive, root, self._changes, self._stop)
        self._spawn(self._render_loop)
        self._spawn(self.http.serve_forever, 0.2)
        return self

    def _spawn(self, target, *args) -> None:
        t = threading.Thread(target=target, args=args, daemon=True, name=f"preview-{target.__name__}")
        t.start()
        self._threads.append(t)

    def _render_loop(self) -> None:
        self.preview.refresh()
        while not self._stop.is_set():
            try:
                changed = self._changes.get(timeout=0.2)
            except queue.Empty:
                continue
            while not self._changes.empty():  # several saves in a row: one refresh
                changed |= self._changes.get_nowait()
            self.preview.refresh(changed)

    def wait(self) -> None:
        """Block until `close()` (Ctrl-C interrupts the wait in the main thread)."""
        self._stop.wait()

    def close(self) -> None:
        self._stop.set()
        self.preview.closing.set()
        with self.preview.changed:
            self.preview.changed.notify_all()  # wake the event streams so they end
        self.http.shutdown()
        self.http.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> "PreviewServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_preview(root: Path, posters: Iterable[str] = (), layouts: Iterable[str] = (),
                  port: int = 8765) -> PreviewServer:
    """Check the selection, bind 127.0.0.1:`port` (0: any free port) and start serving."""
    return PreviewServer(Preview(root, posters, layouts), port).start()
