"""Coverage-guided fuzzing of the harness's targets (tests/fuzzing.py) with atheris (libFuzzer), for
sessions outside `make test`. Optional: `pip install 'poster-engine[fuzz]'` (atheris has wheels for
Linux x86-64).

    .venv/bin/python tests/fuzz_atheris.py csv -max_total_time=300
    .venv/bin/python tests/fuzz_atheris.py poster -max_total_time=300 tests/corpus/poster

Targets: poster, messages, project (YAML), csv. An input that breaks the contract stops the run and
is written by libFuzzer as ./crash-<sha1>; once the engine answers it properly, copy it into
tests/corpus/<target>/ so that `make test` replays it for good.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["poster_engine", "yaml"]):
    from fuzzing import Workspace, csv_target, yaml_target

    import poster_engine.project.content
    import poster_engine.project.data
    import poster_engine.project.settings  # noqa: F401 (instrumented before the targets import them)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("poster", "messages", "project", "csv"):
        sys.exit(__doc__)
    kind = sys.argv[1]
    ws = Workspace.create()

    def one(data: bytes) -> None:
        if kind == "csv":
            csv_target(ws, data)
        else:
            yaml_target(ws, kind, data)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
