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
import time
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from poster_engine.core.diagnostics import PosterError, fail
from poster_engine.preview.guard import LOOPBACK_HOSTS, MAX_JSON_BYTES, MAX_UPLOAD_BYTES, Guard
from poster_engine.preview.renderer import Preview
from poster_engine.preview.watcher import WATCHED_DIRS, watch_sources
from poster_engine.preview.workbench import Refused, Workbench

CLOSE_WAIT_S = 2.0  # how long close() waits for the threads, all together
HEARTBEAT_S = 15.0  # an SSE comment this often lets the server notice a closed tab
POST_ROUTES = (
    "/api/draft",
    "/api/save",
    "/api/undo",
    "/api/redo",
    "/api/new",
    "/api/upload",
    "/api/check",
    "/api/build",
)
IMAGE_URL = re.compile(r"^/img/([a-z0-9][a-z0-9:-]*)/([a-z0-9][a-z0-9_-]*)\.png$")


# ---------------------------------------------------------------------------------------------
# HTTP


def _resource(name: str) -> bytes:
    return resources.files("poster_engine.preview").joinpath(name).read_bytes()


def _page(guard: Guard | None) -> bytes:
    """The page; in the workbench it carries the session token (only a page this server served
    can read it) and loads the editing script."""
    page = _resource("page.html")
    if guard is None:
        return page
    extra = f'<meta name="workbench-token" content="{guard.token}">\n<script src="/workbench.js" defer></script>\n'
    return page.replace(b"</head>", extra.encode() + b"</head>", 1)


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "poster-preview"
    protocol_version = "HTTP/1.0"  # one request per connection: the event stream ends with it

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal is for diagnostics, not access logs

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in LOOPBACK_HOSTS:
            # Another site's page resolved to 127.0.0.1 (DNS rebinding) must not read the preview.
            return self._send(HTTPStatus.FORBIDDEN, b"forbidden host\n", "text/plain")
        # Routes are matched on the raw path, never decoded: '%2e%2e' stays four characters that
        # match no route. Images come from memory, so no request path is ever joined to a folder.
        path = urlsplit(self.path).path
        preview = self.server.preview
        if path in ("/", "/index.html"):
            return self._send(HTTPStatus.OK, _page(self.server.guard), "text/html; charset=utf-8")
        if self.server.bench is not None and self._bench_get(path):
            return None
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

    # -- the workbench's routes ------------------------------------------------------------------

    def _bench_get(self, path: str) -> bool:
        """Answer a workbench GET; False when the path is none of its routes."""
        bench, q = self.server.bench, _query(self.path)
        assert bench is not None
        if path == "/workbench.js":
            self._send(HTTPStatus.OK, _resource("workbench.js"), "text/javascript; charset=utf-8")
        elif path == "/api/fields":
            self._answer(lambda: bench.fields(q.get("poster", ""), q.get("lang", "")))
        elif path == "/api/templates":
            self._answer(bench.templates)
        elif path == "/api/build":
            self._answer(bench.build_state)
        elif path.startswith("/dl/"):
            # The exact name of a file the last build offered, looked up in its list, then resolved
            # inside build/: nothing else of the disk can be asked for.
            file = bench.download(unquote(path.removeprefix("/dl/")))
            if file is None:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
            else:
                ctype = {".pdf": "application/pdf", ".png": "image/png", ".txt": "text/plain; charset=utf-8"}
                self._send(
                    HTTPStatus.OK,
                    file.read_bytes(),
                    ctype.get(file.suffix, "application/octet-stream"),
                    {"Content-Disposition": f'attachment; filename="{file.name}"'},
                )
        else:
            return False
        return True

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        bench, guard = self.server.bench, self.server.guard
        path = urlsplit(self.path).path
        if bench is None or guard is None or path not in POST_ROUTES:
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        limit = MAX_UPLOAD_BYTES if path == "/api/upload" else MAX_JSON_BYTES
        refusal = guard.write_refusal(self.headers, limit)
        if refusal is not None:
            self.close_connection = True  # the body, if any, is left unread
            status = (
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE if refusal.startswith("request too large") else HTTPStatus.FORBIDDEN
            )
            return self._json(status, {"error": refusal})
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if path == "/api/upload":
            return self._answer(lambda: bench.upload(_query(self.path).get("name", ""), body))
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            return self._json(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON (Content-Type: application/json)"}
            )
        try:
            req = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return self._json(HTTPStatus.BAD_REQUEST, {"error": "the body is not JSON"})
        if not isinstance(req, dict):
            return self._json(HTTPStatus.BAD_REQUEST, {"error": "the body must be a JSON object"})
        given = req.get("edits")
        edits = {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
        poster, lang = str(req.get("poster", "")), str(req.get("lang", ""))
        actions = {
            "/api/draft": lambda: bench.draft(poster, edits, lang),
            "/api/save": lambda: bench.save(poster, edits, lang, str(req.get("base", ""))),
            "/api/undo": lambda: bench.undo(),
            "/api/redo": lambda: bench.undo(redo=True),
            "/api/new": lambda: bench.new_poster(req),
            "/api/check": lambda: bench.check(poster),
            "/api/build": lambda: bench.start_build([str(p) for p in req.get("posters") or []]),
        }
        return self._answer(actions[path])

    def _answer(self, action) -> None:
        try:
            result = action()
        except Refused as exc:
            return self._json(HTTPStatus(exc.status), {"error": exc.message, **exc.extra})
        except PosterError as exc:
            return self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": "; ".join(map(str, exc.diagnostics))})
        return self._json(HTTPStatus.OK, result)

    def _json(self, status: HTTPStatus, data: dict) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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
        self.bench: Workbench | None = None  # set by the workbench, with its guard
        self.guard: Guard | None = None
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
            raise fail(
                f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); pass another --port (0 picks a free one)"
            ) from None
        self.preview = preview
        self._stop = threading.Event()
        self._changes: queue.Queue[set[Path]] = queue.Queue()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/"

    def start(self) -> PreviewServer:
        root = self.preview.root
        watch_jobs = [([root], False)]  # messages.yaml: the folder, so an editor's rename-on-save is seen
        folders = [root / d for d in WATCHED_DIRS if (root / d).is_dir()]
        if folders:
            watch_jobs.append((folders, True))
        for paths, recursive in watch_jobs:
            self._spawn(watch_sources, paths, recursive, root, self._changes, self._stop)
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
        """Block until `close()`. Ctrl-C interrupts it: the wait wakes every 0.2 s, because a blocking
        wait is interrupted only when the kernel hands SIGINT to the main thread itself; handed to
        a render or server thread, it would be seen only when the main thread next runs Python."""
        while not self._stop.wait(0.2):
            pass

    def close(self) -> None:
        self._stop.set()
        self.preview.closing.set()
        with self.preview.changed:
            self.preview.changed.notify_all()  # wake the event streams so they end
        self.http.shutdown()
        self.http.server_close()
        # One bound for all threads together: a render in progress finishes on its own (the threads
        # are daemons), and Ctrl-C must answer at once even on a machine that is busy.
        deadline = time.monotonic() + CLOSE_WAIT_S
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> PreviewServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_preview(
    root: Path, posters: Iterable[str] = (), layouts: Iterable[str] = (), port: int = 8765, edit: bool = False
) -> PreviewServer:
    """Check the selection, bind 127.0.0.1:`port` (0: any free port) and start serving; with `edit`,
    the workbench: the same page, plus editing, saving, new posters, check and build."""
    server = PreviewServer(Preview(root, posters, layouts), port)
    if edit:
        server.http.guard = Guard(server.http.server_address[1])
        server.http.bench = Workbench(server.preview.root)
    return server.start()
