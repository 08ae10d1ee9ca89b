"""A request from the browser → allowed or refused, and a name from the browser → a path inside the project.

The workbench writes the campaign's files, so a page of another site must not be able to make the
browser write them (CSRF), nor read them by resolving its own name to 127.0.0.1 (DNS rebinding).
A writing request is accepted only when all of these hold: the Host is the loopback name the
server answers to, the Origin is this server's own, and the request carries the token that was
put in the page this server served (another site's page cannot read it). Bodies are bounded
before they are read.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
TOKEN_HEADER = "X-Workbench-Token"
MAX_JSON_BYTES = 256 * 1024  # an edit, a form: far below this
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # a print photo; larger ones are refused before being read


@dataclass(frozen=True)
class Guard:
    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def host_ok(self, host: str | None) -> bool:
        name = (host or "").rsplit(":", 1)[0]
        return name in LOOPBACK_HOSTS

    def write_refusal(self, headers, length_limit: int) -> str | None:
        """Why a writing request is refused, or None when it may go on."""
        if not self.host_ok(headers.get("Host")):
            return "forbidden host"
        origin = headers.get("Origin")
        if origin not in {f"http://{h}:{self.port}" for h in LOOPBACK_HOSTS}:
            return "cross-origin request refused: the workbench only accepts edits from its own page"
        if not secrets.compare_digest((headers.get(TOKEN_HEADER) or "").encode(), self.token.encode()):
            return "missing or wrong session token: reload the workbench page"
        try:
            length = int(headers.get("Content-Length") or "-1")
        except ValueError:
            length = -1
        if length < 0:
            return "a body length is required"
        if length > length_limit:
            return f"request too large ({length} bytes; at most {length_limit // 1024} KB)"
        return None


SAFE_NAME = re.compile(r"[^a-z0-9._-]+")


def inside(root: Path, relative: str) -> Path | None:
    """`relative` (as sent by the browser) resolved inside `root`, or None when it would leave it
    (`..`, an absolute path, a symlink pointing out)."""
    if not relative or "\x00" in relative or relative.startswith(("/", "\\")):
        return None
    root = root.resolve()
    try:
        path = (root / relative).resolve()
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(root) and path != root else None


def safe_file_name(name: str, allowed_suffixes: tuple[str, ...]) -> str | None:
    """A browser's file name as a plain lower-case name in one folder (`Ma Photo.JPG` → `ma-photo.jpg`),
    or None when nothing usable is left or the suffix is not allowed."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    stem, dot, suffix = base.rpartition(".")
    stem = SAFE_NAME.sub("-", stem).strip("-.")
    if not dot or not stem or f".{suffix}" not in allowed_suffixes:
        return None
    return f"{stem[:60]}.{suffix}"
