"""The `poster` command: argv → a quick answer when one is on disk, else the typer app.

Two answers need neither typer (~60 % of the command's own start-up) nor the engine: the text of
`--help`, cached as typer rendered it (helptext.py), and a build that has nothing to do, known from
the stamp the last build left (noop.py). Anything else, and any doubt, goes to the typer app in
commands.py, which is imported only then (docs/performance.md §16).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    argv = sys.argv[1:]
    try:
        from poster_engine.cli import helptext

        if helptext.serve(argv):
            return
        from poster_engine.cli import noop

        if noop.serve(argv):
            return
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception:  # a quick answer is only ever a shortcut: the full way says what is wrong
        if os.environ.get("POSTER_DEBUG"):
            raise
    from poster_engine.cli.commands import main as run

    run()
