"""`poster build [OPTIONS]` → "0 built, N up to date, …" when the last build's stamp still holds.

The options are read here as click reads them, for the plain forms only (`-p X`, `--poster X`,
`--poster=X`, repeated or not); any other word — `--force`, `--data`, `--scheduler`, `--help`, a
value glued to a short option or starting with '-', an argument — and the typer app answers.
What the options select is compared with the stamps batch/stamp.py keeps; on a match every stat
it recorded is looked at, and only if all hold is the summary printed, as the full build prints it.
"""

from __future__ import annotations

import sys
import time

from poster_engine.batch import stamp

# option → the build parameter it sets (commands.py `build`): the ones that choose or shape outputs,
# and --jobs, which does not.
OPTIONS = {
    "-p": "posters",
    "--poster": "posters",
    "-f": "formats",
    "--format": "formats",
    "-l": "langs",
    "--lang": "langs",
    "--image-format": "image_format",
    "-o": "out",
    "--out": "out",
    "-j": "jobs",
    "--jobs": "jobs",
    "--shard": "shard",
    "-P": "print_profile",
    "--print-profile": "print_profile",
    "-C": "project",
    "--project": "project",
}
REPEATED = ("posters", "formats", "langs")
MAX_JOBS = 1024  # commands.py: --jobs max


def summary(built: int, up_to_date: int, failed: int, rejected: int, seconds: float, out_dir: object) -> str:
    """The closing line of a build (its numbers are read by scripts and benchmarks)."""
    return f"{built} built, {up_to_date} up to date, {failed} failed, {rejected} rejected, {seconds:.2f} s → {out_dir}"


def parse(argv: list[str]) -> dict | None:
    """`build` and its options → their values as typer passes them; None for anything else."""
    if not argv or argv[0] != "build":
        return None
    values: dict = {"posters": [], "formats": [], "langs": [], "image_format": None, "out": "build", "jobs": "0"}
    values.update(shard=None, print_profile="fogra39", project=".")
    words = iter(argv[1:])
    for word in words:
        name, glued, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if name not in OPTIONS:
            return None
        if not glued:
            value = next(words, "")
        if not value or value.startswith("-"):
            return None
        if OPTIONS[name] in REPEATED:
            values[OPTIONS[name]].append(value)
        else:
            values[OPTIONS[name]] = value
    if not (values["jobs"].isascii() and values["jobs"].isdigit() and int(values["jobs"]) <= MAX_JOBS):
        return None
    return values


def serve(argv: list[str]) -> bool:
    """Print the summary of a build with nothing to do and return True, or return False."""
    started = time.perf_counter()
    values = parse(argv)
    out = sys.stdout
    if values is None or out is None or (out.encoding or "").lower().replace("-", "") != "utf8":
        return False
    from pathlib import Path

    if not values["project"].isprintable():
        return False
    root = Path(values["project"]).resolve()
    given = Path(values["out"])
    out_dir = given if given.is_absolute() else root / given
    chosen = stamp.selection(
        str(root),
        str(out_dir),
        values["posters"],
        values["formats"],
        values["langs"],
        values["image_format"],
        values["shard"],
        values["print_profile"],
    )
    count = stamp.check(chosen)
    if count is None:
        return False
    out.write(summary(0, count, 0, 0, time.perf_counter() - started, out_dir) + "\n")
    out.flush()
    return True
