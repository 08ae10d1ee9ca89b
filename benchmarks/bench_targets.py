"""Issue 16's targets, each measured side by side in one run and printed as measured / target.

Usage: python benchmarks/bench_targets.py [--repeat N] [--rows R] [--small S]

Ratios are taken within this run (the machine is shared and noisy: read ratios, not times); every
time is a median of interleaved runs unless said. A ratio column ≤ 1.00 meets its target.
1. social PNG: the engine's export (cairo + fpng) of the composed photo poster against resvg's
   Python binding (its own renderer and encoder) on the same SVG string;
2. parallel efficiency: cold `poster build --force` of the demo, -j 1 against -j 2 (new processes,
   a fresh photo work cache each);
3. memory: peak RSS summed over the process tree of an R-row data merge (-j 2), sampled (an upper
   bound: pages the forked workers share are counted in each), and peak PSS summed (each shared
   page split between its processes: the tree's footprint);
4. merge throughput: social PNGs per second of that merge;
5. print: warm A3 photo PDF with CMYK prepress against the RGB cairo PDF of the same SVG; a cold
   render (in-memory caches emptied, the disk work cache kept, as a new process finds it) against
   the warm one;
6. start-up: `poster --help` against `python -c pass`; a no-op rebuild of the demo against
   `poster --help`;
7. scale: time per output of an R-row merge against an S-row one (same command, new processes).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_batch import ROOT, poster_cmd, scratch_project, timed_build_with_memory, write_rows  # noqa: E402

PHOTO_POSTER = "film-sang-et-boue"


def med(samples: list[float]) -> float:
    return statistics.median(samples)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(args: list[str], cwd: Path, cache: Path | None = None, pycache: Path | None = None) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POSTER_CACHE_DIR": str(cache) if cache else "off"}
    if pycache:  # modules run from their bytecode, as an installed engine does (not compiled each time)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    t0 = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def social_png(repeat: int) -> tuple[float, float, int, int]:
    import resvg_py

    from poster_engine.api import composed_svg, one_job, open_project
    from poster_engine.export.raster import encode, render_rgb

    project = open_project(ROOT)
    job = one_job(project, PHOTO_POSTER, "instagram", project.campaign.lang)
    svg = composed_svg(project, job)
    text = svg.decode()
    engine, resvg = [], []
    for _ in range(repeat):
        engine.append(timed(lambda: encode(render_rgb(svg, 1080, 1350), "png")))
        # Our text is outlines: resvg needs no system fonts (loading them costs it ~40 %).
        resvg.append(
            timed(lambda: resvg_py.svg_to_bytes(svg_string=text, skip_system_fonts=True, width=1080, height=1350))
        )
    ours = len(encode(render_rgb(svg, 1080, 1350), "png"))
    theirs = len(bytes(resvg_py.svg_to_bytes(svg_string=text, skip_system_fonts=True, width=1080, height=1350)))
    return med(engine), med(resvg), ours, theirs


def two_processes(repeat: int) -> float:
    """Target 2's ceiling on this machine: the time of two CPU-bound processes run one after the
    other over the time of the same two at once (2.00 with two free cores; less when the virtual
    cores share a physical one or a neighbour takes cycles)."""
    spin = [sys.executable, "-c", "sum(i * i for i in range(4_000_000))"]
    one, two = [], []
    for _ in range(repeat):
        one.append(timed(lambda: subprocess.run(spin, check=True)))
        two.append(timed(lambda: [p.wait() for p in [subprocess.Popen(spin), subprocess.Popen(spin)]]))
    return 2 * med(one) / med(two)


def print_pdf(repeat: int) -> tuple[float, float, float]:
    from poster_engine.api import one_job, open_project
    from poster_engine.compose import visuals
    from poster_engine.export.pdf import svg_to_pdf
    from poster_engine.export.print import prepress
    from poster_engine.render.job import compose_job, export_job

    project = open_project(ROOT)
    job = one_job(project, PHOTO_POSTER, "a3", project.campaign.lang)
    export_job(project, compose_job(project, job))
    svg = compose_job(project, job).svg
    warm, floor, cold = [], [], []
    for _ in range(repeat):
        warm.append(timed(lambda: export_job(project, compose_job(project, job))))
        floor.append(timed(lambda: svg_to_pdf(svg)))
        visuals._raster_visual.cache_clear()
        prepress._CMYK_JPEGS.clear()
        cold.append(timed(lambda: export_job(project, compose_job(project, job))))
    return med(warm), med(floor), med(cold)


class Table:
    """Targets as rows: what was measured, the figure, the target, measured / target and whether it is met."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float, str, float]] = []

    def add(self, name: str, detail: str, value: float, op: str, target: float) -> None:
        self.rows.append((name, detail, value, op, target))
        self.show(self.rows[-1])

    @staticmethod
    def line(row) -> str:
        name, detail, value, op, target = row
        met = value <= target if op == "≤" else value >= target
        return (
            f"| {name} | {detail} | {value:.2f} | {op} {target:g} | {value / target:.2f} | {'yes' if met else 'no'} |"
        )

    def show(self, row) -> None:
        print(self.line(row), flush=True)

    def markdown(self) -> str:
        head = (
            "| target | measured (medians) | figure | target | measured / target | met |\n|---|---|---:|---:|---:|---|"
        )
        return "\n".join([head, *map(self.line, self.rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--rows", type=int, default=1000, help="rows of the big merge (issue 16 says 10 000)")
    parser.add_argument("--small", type=int, default=100, help="rows of the small merge (scale)")
    args = parser.parse_args()
    import cairocffi
    import PIL

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"cairo {cairocffi.cairo_version_string()}, Pillow {PIL.__version__}; load average at start "
        f"{os.getloadavg()[0]:.1f}"
    )
    table = Table()
    os.environ["POSTER_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-cache-")

    e, r, ours, theirs = social_png(args.repeat)
    table.add(
        "1. social PNG, engine / resvg-py (same SVG)",
        f"{e * 1e3:.0f} vs {r * 1e3:.0f} ms; {ours / 1e3:.0f} vs {theirs / 1e3:.0f} KB",
        e / r,
        "≤",
        0.8,
    )
    warm, floor, cold = print_pdf(args.repeat)
    table.add(
        "5a. warm A3 photo PDF with CMYK / RGB cairo PDF",
        f"{warm * 1e3:.0f} vs {floor * 1e3:.0f} ms",
        warm / floor,
        "≤",
        1.5,
    )
    table.add("5b. cold / warm A3 photo PDF", f"{cold * 1e3:.0f} vs {warm * 1e3:.0f} ms", cold / warm, "≤", 2.0)

    with tempfile.TemporaryDirectory(prefix="bench-targets-") as tmp_name:
        tmp = Path(tmp_name)
        project = scratch_project(tmp)
        # Every process runs the engine from bytecode, as an installed engine does (a machine with
        # PYTHONDONTWRITEBYTECODE compiles the engine's modules again in every process, an install
        # does not); the first `python -c pass` and `--help` below make it.
        startup, pyc = tmp / "startup-cache", tmp / "pycache"
        run([sys.executable, "-c", "pass"], project, None, pyc)
        run(poster_cmd("--help"), project, startup, pyc)
        j1, j2 = [], []
        for i in range(3):  # interleaved; each build cold: new process, empty caches
            for j, samples in (("1", j1), ("2", j2)):
                cold = tmp / f"c{i}{j}"
                samples.append(run(poster_cmd("build", "--force", "-j", j, "-o", f"out{j}"), project, cold, pyc))
        ceiling = two_processes(args.repeat)
        table.add(
            "2. cold demo build, -j 1 / -j 2 wall",
            f"{med(j1):.1f} vs {med(j2):.1f} s; this machine's ceiling {ceiling:.2f}",
            med(j1) / med(j2),
            "≥",
            1.8,
        )
        # Start-up as a user meets it: the user cache on (where `--help`'s text and the stamps of
        # builds are kept), warmed by one help and one no-op build run the full way.
        run(poster_cmd("--help"), project, startup, pyc)
        run(poster_cmd("build", "-j", "2", "-o", "out2"), project, startup, pyc)
        bare, helps, noop = [], [], []
        for _ in range(args.repeat):
            bare.append(run([sys.executable, "-c", "pass"], project, None, pyc))
            helps.append(run(poster_cmd("--help"), project, startup, pyc))
            noop.append(run(poster_cmd("build", "-j", "2", "-o", "out2"), project, startup, pyc))
        table.add(
            "6a. `poster --help` / `python -c pass`",
            f"{med(helps) * 1e3:.0f} vs {med(bare) * 1e3:.0f} ms",
            med(helps) / med(bare),
            "≤",
            2.5,
        )
        table.add(
            "6b. no-op rebuild / `poster --help`",
            f"{med(noop) * 1e3:.0f} vs {med(helps) * 1e3:.0f} ms",
            med(noop) / med(helps),
            "≤",
            1.5,
        )
        per_output = {}
        for n in (args.small, args.rows):
            csv_file = project / f"rows{n}.csv"
            write_rows(csv_file, n)
            os.environ["POSTER_CACHE_DIR"] = str(tmp / f"merge{n}")
            wall, summary, _, tree_kb, tree_pss_kb = timed_build_with_memory(
                project, ["build", "-p", "seance", "-f", "instagram", "--data", csv_file.name, "-j", "2", "-o", f"m{n}"]
            )
            built = summary.get("built", 0)
            per_output[n] = wall / max(built, 1)
            if n == args.rows:
                table.add(
                    f"3a. peak RSS summed, process tree, {n}-row merge (MB)", f"{built} PNGs", tree_kb / 1024, "≤", 300
                )
                table.add(
                    f"3b. peak PSS summed, process tree, {n}-row merge (MB)",
                    "shared pages split",
                    tree_pss_kb / 1024,
                    "≤",
                    300,
                )
                table.add(f"4. merge throughput, {n} rows, -j 2 (PNG/s)", f"{wall:.1f} s", built / wall, "≥", 60)
        table.add(
            f"7. time per output, {args.rows}-row / {args.small}-row merge",
            f"{per_output[args.rows] * 1e3:.1f} vs {per_output[args.small] * 1e3:.1f} ms",
            per_output[args.rows] / per_output[args.small],
            "≤",
            1.1,
        )
    print("\n" + table.markdown())


if __name__ == "__main__":
    main()
