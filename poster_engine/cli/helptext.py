"""`poster [COMMAND...] --help` → the text typer printed for it last time, from the user cache.

Importing typer costs more than Python's own start-up; the help text it renders depends only on
what is in the key below, so it is rendered by typer once (on a miss, in this process, captured),
kept under the user cache directory (`help/`, project/workcache.py; `POSTER_CACHE_DIR=off` turns it
off) and printed from there afterwards, byte for byte. The key holds everything the text is made
of: the engine's version and the CLI module's bytes (its help strings), the command path, the
program name click derives from argv[0] and `__main__`, the help width click derives from the
terminal, the locale variables gettext reads, the output encoding, and the interpreter and its
installed libraries (typer's version). Anything that is not exactly a help request goes to typer.
"""

from __future__ import annotations

import os
import sys
import zlib

from poster_engine import __version__
from poster_engine.project.stamps import python_environment

COMMANDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "commands.py")  # the app and its help strings
LOCALE = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "TYPER_USE_RICH")


def requested(argv: list[str]) -> bool:
    """`--help` after at most two command names (`poster strings export --help`), nothing else."""
    words = argv[:-1]
    return bool(argv) and argv[-1] == "--help" and len(words) <= 2 and all(w.isidentifier() for w in words)


def help_width() -> int:
    """The width click formats help to: the terminal's columns as shutil.get_terminal_size finds
    them ($COLUMNS, else the terminal of stdout, else 80), at most 80, minus 2, at least 50."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, 80) - 2, 50)


def key(argv: list[str], commands: str = COMMANDS) -> str:
    """One line saying everything the help text of `argv` depends on."""
    with open(commands, "rb") as f:
        source = f.read()
    main = sys.modules.get("__main__")
    parts = {
        "engine": __version__,
        "cli": [len(source), zlib.crc32(source)],
        "argv": argv,
        "prog": [os.path.basename(sys.argv[0]), getattr(main, "__package__", None)],
        "width": help_width(),
        "env": [os.environ.get(name) for name in LOCALE],
        "encoding": [sys.stdout.encoding, sys.stdout.errors],
        "python": [sys.version, python_environment()],
    }
    return repr(parts)


def entry(argv: list[str]):
    """Where the text of `argv` is kept (one entry per command path and width), or None."""
    from poster_engine.project.workcache import cache_dir

    root = cache_dir()
    name = "-".join(["poster", *argv[:-1]]) + f".{help_width()}.txt"
    return None if root is None else root / "help" / name


def render(argv: list[str]) -> str | None:
    """The text typer prints for `argv`, when it prints help and exits 0 saying nothing else."""
    import contextlib
    import io

    from poster_engine.cli.commands import app

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            app(args=argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return out.getvalue() if code == 0 and not err.getvalue() else None


def serve(argv: list[str]) -> bool:
    """Print the help `argv` asks for and return True, or return False (typer answers)."""
    from poster_engine.project.workcache import read_entry, write_entry

    stream = sys.stdout
    if not requested(argv) or stream is None or (stream.encoding or "").lower().replace("-", "") != "utf8":
        return False
    path = entry(argv)
    if path is None:
        return False
    line = key(argv)
    cached = read_entry(path)
    head, _, text = (cached or b"").decode("utf-8", "replace").partition("\n")
    if cached is None or head != line:
        rendered = render(argv)
        if rendered is None:
            return False  # an unknown command, say: typer says so, the full way
        text = rendered
        write_entry(path, f"{line}\n{text}".encode())
    stream.write(text)
    stream.flush()
    return True
