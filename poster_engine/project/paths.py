"""A name written in a project file, or found in one of its folders → a path that stays inside the
project, or the reason it is refused.

Every file the engine reads for a project (messages.yaml, project.yaml, posters, layouts, fonts,
visuals, data tables, ICC profiles) goes through here first, the way Ghostscript's -dSAFER only
opens what it was allowed to: the name is checked as written (no control character, no URL, no `~`,
no absolute path, no `..` above the project), then resolved — symbolic links followed — and the
result must still lie inside the project. A link leading outside is refused, not followed, and the
refusal never shows what lies at the other end. Only regular files are read (a pipe would block, a
device never end) and only up to a size (core/limits.py), through `read_file`, which checks the
kind of the file it actually opened.

The one exception is a path the user types on the command line (`poster build --data FILE`,
`--project DIR`): that is their own choice, like `cat FILE`; it is still read only if it is a
regular file within the size limits.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.core.limits import MAX_PATH_CHARS, MIB

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# file:, data:, http(s):… — a link where a file name belongs; C:\x stays a (refused) absolute path.
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]+://|(?:file|data|https?|ftp|javascript):)", re.IGNORECASE)


@dataclass(frozen=True)
class PathProblem:
    """Why a path is refused, as the end of a sentence whose subject is the path."""

    # control, too-long, url, home, outside, link-outside, loop, missing, folder, special, unreadable, too-large
    kind: str
    says: str

    @property
    def fix(self) -> str:
        """What to do about it, when the caller has nothing more specific to say."""
        return _FIXES.get(self.kind, "write a path inside the project, e.g. visuals/photo.jpg")

    def diagnostic(self, shown: str, fix: str | None = None, line: int | None = None) -> Diagnostic:
        """A located problem whose subject is the file itself (`posters/x.yaml: is a folder…; fix`)."""
        return Diagnostic(f"{self.says}; {fix or self.fix}", shown, line)

    def error(self, shown: str, fix: str | None = None, line: int | None = None) -> PosterError:
        return PosterError(self.diagnostic(shown, fix, line))


_FIXES = {
    "link-outside": "copy the file into the project instead",
    "loop": "replace the links with the file itself",
    "missing": "check the name",
    "folder": "replace it with a file",
    "special": "replace it with a regular file",
    "unreadable": "check the file's permissions",
    "too-large": "make it smaller",
}


def shown_name(name: str) -> str:
    """A name as messages show it: control characters escaped, so the error stays one line."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")


def name_problem(name: str) -> PathProblem | None:
    """What is wrong with `name` as written (before the file system is asked), or None."""
    if len(name) > MAX_PATH_CHARS:
        return PathProblem("too-long", f"is longer than {MAX_PATH_CHARS} characters")
    bad = _CONTROL.search(name)
    if bad:
        return PathProblem("control", f"contains the control character U+{ord(bad.group()):04X}")
    if _URL.match(name):
        return PathProblem("url", "is a link, not a file of the project")
    if name.startswith("~"):
        return PathProblem("home", "is outside the project (~ is not expanded)")
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", name):
        return PathProblem("outside", "is outside the project")
    depth = 0
    for part in pure.parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return PathProblem("outside", "is outside the project")
    return None


def resolve_inside(root: Path, path: Path) -> Path | PathProblem:
    """`path` with its symbolic links followed, if that is still inside `root`."""
    try:
        real = path.resolve()
        inside = real.is_relative_to(_real(root) if root.is_absolute() else root.resolve())
    except RuntimeError:  # Python < 3.13 raises it for a loop of links
        return PathProblem("loop", "is a loop of symbolic links")
    except (OSError, ValueError) as exc:
        return PathProblem("unreadable", f"cannot be read ({getattr(exc, 'strerror', None) or exc})")
    if not inside:
        return PathProblem("link-outside", "is a symbolic link leading outside the project (not followed)")
    return real


@lru_cache(maxsize=32)
def _real(root: Path) -> Path:
    """An absolute project folder's real path, resolved once: every file of the project is checked
    against it (a relative one depends on the current folder, so it is resolved each time)."""
    return root.resolve()


def kind_problem(path: Path) -> PathProblem | None:
    """None for a regular file (links followed); else missing, folder, special or unreadable."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return PathProblem("missing", "not found")
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return PathProblem("loop", "is a loop of symbolic links")
        return PathProblem("unreadable", f"cannot be read ({exc.strerror})")
    except ValueError:  # embedded NUL: name_problem reports it first for names from files
        return PathProblem("control", "contains the control character U+0000")
    if stat.S_ISDIR(st.st_mode):
        return PathProblem("folder", "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        return PathProblem("special", "is not a regular file (a pipe, socket or device)")
    return None


def project_path(root: Path, name: str) -> Path | PathProblem:
    """A name written in a project file (`visual: visuals/x.svg`) → its real path inside `root`,
    whatever it is (the caller decides if it must exist), or why it is refused."""
    problem = name_problem(name)
    if problem is not None:
        return problem
    return resolve_inside(root, root / name)


def project_file(root: Path, name: str) -> Path | PathProblem:
    """A name written in a project file → the regular file it names inside `root`, or why not."""
    found = project_path(root, name)
    if isinstance(found, PathProblem):
        return found
    return kind_problem(found) or found


def contained(root: Path, path: Path) -> Path | PathProblem:
    """A path the engine built itself (`root/posters/x.yaml`, an entry of a folder listing) → its
    real path if it stays inside `root` and is a regular file, or why not."""
    real = resolve_inside(root, path)
    if isinstance(real, PathProblem):
        return real
    return kind_problem(real) or real


def project_folder(root: Path, name: str) -> Path | PathProblem | None:
    """One of the project's folders (posters, layouts, fonts, visuals, data, icc): its real path, None
    when there is no such folder, or why it is refused (a link leading outside: never listed)."""
    path = root / name
    if not path.exists() and not path.is_symlink():
        return None
    real = resolve_inside(root, path)
    if isinstance(real, PathProblem) or real.is_dir():
        return real
    return PathProblem("special", "is not a folder")


def read_file(path: Path, limit: int) -> bytes | PathProblem:
    """The bytes of a regular file of at most `limit` bytes. The kind is checked on the file
    actually opened (opened non-blocking, so a pipe put there cannot stall the build)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return PathProblem("missing", "not found")
    except IsADirectoryError:
        return PathProblem("folder", "is a folder, not a file")
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return PathProblem("loop", "is a loop of symbolic links")
        return PathProblem("unreadable", f"cannot be read ({exc.strerror})")
    except ValueError:
        return PathProblem("control", "contains the control character U+0000")
    try:
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        return PathProblem("unreadable", f"cannot be read ({exc.strerror})")
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            return PathProblem("folder", "is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            return PathProblem("special", "is not a regular file (a pipe, socket or device)")
        return too_large(st.st_size, limit)
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            return PathProblem("unreadable", f"cannot be read ({exc.strerror})")
    if len(data) > limit:  # it grew while we read it
        return too_large(len(data), limit)
    return data


def too_large(size: int, limit: int) -> PathProblem:
    return PathProblem("too-large", f"is {_size(size)}, more than the {_size(limit)} allowed (README, Limits)")


def _size(n: int) -> str:
    """'4 MiB' for a whole number of MiB (the limits), else the exact count of bytes."""
    return f"{n // MIB} MiB" if n >= MIB and n % MIB == 0 else f"{n:,} bytes".replace(",", " ")
