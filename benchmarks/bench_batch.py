"""Batch builds: cold, no-op and one-message rebuilds, data-merge throughput, memory, rsvg-convert.

Usage: python benchmarks/bench_batch.py [--repeat N] [--jobs J] [--rows R]

Everything runs on a scratch copy of the demo project in a temporary folder (the repository is
never written), through the real CLI in new processes (`python -m poster_engine …`) unless said:
1. cold `poster build -j J` into a fresh output folder: wall time;
2. no-op rebuild (same folder again): wall time, median of 5;
3. one-message rebuild: the fr text of `cobalt-enfance` edited in messages.yaml, then rebuilt:
   wall time and how many outputs were rebuilt (from the CLI's closing line);
4. per-output render time by format, in this process (render_job per job, medians of N rounds);
5. data merge: R generated rows, `poster build -p seance -f instagram --data rows.csv -j J`:
   outputs per second;
6. peak memory (`/usr/bin/time -f %M`) of the cold build and of one A0 photo `poster render`,
   plus the peak summed RSS of the cold build's process tree (main + workers, sampled);
7. rsvg-convert against the engine's export (svg_to_png) on the same composed instagram SVGs.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PROJECT_FILES = ["messages.yaml", "project.yaml", "posters", "layouts", "visuals", "fonts", "data"]
PHOTO_POSTER = "film-sang-et-boue"
EDITED_MESSAGE = "cobalt-enfance"
SUMMARY = re.compile(r"(\d+) built, (\d+) up to date, (\d+) failed, (\d+) rejected, ([\d.]+) s")
GNU_TIME = "/usr/bin/time"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def scratch_project(tmp: Path) -> Path:
    project = tmp / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, project / name)
    return project


def poster_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "poster_engine", *args]


def run_cli(project: Path, *args: str, wrap: list[str] | None = None) -> tuple[float, dict, str]:
    """Run the CLI once in `project`; wall time, the parsed closing line of a build, stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([*(wrap or []), *poster_cmd(*args)], cwd=project, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0,):
        sys.exit(f"`poster {' '.join(args)}` exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    m = SUMMARY.search(proc.stdout)
    summary = (
        dict(
            zip(
                ("built", "up_to_date", "failed", "rejected", "inside_s"),
                (*map(int, m.groups()[:4]), float(m.group(5))),
            )
        )
        if m
        else {}
    )
    return wall, summary, proc.stdout


def tree_rss_kb(pid: int) -> int:
    """Summed VmRSS of a process and its descendants (shared pages counted in each: an upper bound)."""
    return tree_memory_kb(pid)[0]


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """Summed RSS and summed PSS of a process and its descendants. RSS counts the pages forked
    workers share with their parent in each of them (an upper bound); PSS (/proc/PID/smaps_rollup)
    splits each shared page between the processes sharing it: the tree's real footprint."""
    rss = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, AttributeError, ValueError):
            continue
    return rss, pss


def timed_build_with_memory(project: Path, args: list[str]) -> tuple[float, dict, int | None, int, int]:
    """A build under /usr/bin/time -f %M (if present), with the process tree's RSS and PSS sampled
    every 20 ms: wall time, the closing line, the largest process's max RSS, the peak summed RSS
    and the peak summed PSS (kB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    mem_file = project.parent / "maxrss.txt"
    wrap = [GNU_TIME, "-f", "%M", "-o", str(mem_file)] if os.access(GNU_TIME, os.X_OK) else []
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*wrap, *poster_cmd(*args)], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[:] = map(max, peak, tree_memory_kb(proc.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"`poster {' '.join(args)}` exited {proc.returncode}:\n{out[-2000:]}{err[-2000:]}")
    m = SUMMARY.search(out)
    summary = {"built": int(m.group(1)), "up_to_date": int(m.group(2))} if m else {}
    maxrss = int(mem_file.read_text().split()[-1]) if wrap and mem_file.exists() else None
    return wall, summary, maxrss, peak[0], peak[1]


def write_rows(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "host", "date", "time", "room", "url"])
        for i in range(n):
            w.writerow(
                [
                    f"r{i:04d}",
                    f"Médiathèque n° {i}",
                    f"jeudi {1 + i % 28} janvier 2026",
                    f"{17 + i % 4} h 30",
                    f"Salle {1 + i % 9}",
                    f"https://example.org/seances/r{i:04d}",
                ]
            )


def edit_message(project: Path) -> None:
    path = project / "messages.yaml"
    text = path.read_text(encoding="utf-8")
    old = "Le cobalt de nos batteries passe par des *mains d'enfants*."
    if old not in text:
        sys.exit(f"messages.yaml: the fr text of {EDITED_MESSAGE} changed; update bench_batch.py")
    path.write_text(
        text.replace(old, "Le cobalt de nos batteries passe encore par des *mains d'enfants*."), encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the in-process render loop")
    parser.add_argument("--jobs", "-j", type=int, default=2)
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args()
    j = str(args.jobs)
    results: list[tuple[str, str]] = []

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp_name:
        tmp = Path(tmp_name)
        project = scratch_project(tmp)

        # 1 + 6a. Cold build (fresh output folder), under /usr/bin/time and the tree sampler.
        cold_wall, cold, cold_rss, cold_tree, _ = timed_build_with_memory(project, ["build", "-j", j, "-o", "out"])
        n_outputs = cold.get("built", 0) + cold.get("up_to_date", 0)
        print(f"1. cold `poster build -j {j}` ({cold.get('built')} outputs built): {cold_wall:.2f} s wall")
        results.append((f"Cold `poster build -j {j}` ({cold.get('built')} outputs)", f"{cold_wall:.1f} s"))

        # 2. No-op rebuild.
        noop, noop_inside = [], []
        for _ in range(5):
            wall, summary, _ = run_cli(project, "build", "-j", j, "-o", "out")
            noop.append(wall)
            noop_inside.append(summary.get("inside_s", float("nan")))
            if summary.get("built"):
                print(f"   warning: the no-op rebuild built {summary['built']} outputs")
        verdict = "ok" if statistics.median(noop) < 0.5 else "over the 0.5 s target"
        print(
            f"2. no-op rebuild ({n_outputs} outputs up to date): {median_ms(noop):.0f} ms wall, median of 5 "
            f"({statistics.median(noop_inside) * 1000:.0f} ms inside the command) — target < 500 ms: {verdict}"
        )
        results.append(
            (
                "No-op rebuild, median of 5",
                f"{median_ms(noop):.0f} ms wall ({statistics.median(noop_inside) * 1000:.0f} ms inside the command)",
            )
        )

        # 3. One-message rebuild.
        edit_message(project)
        wall, summary, _ = run_cli(project, "build", "-j", j, "-o", "out")
        print(
            f"3. one-message rebuild (fr text of {EDITED_MESSAGE}): {wall:.2f} s wall, "
            f"{summary.get('built')} rebuilt, {summary.get('up_to_date')} up to date"
        )
        results.append(
            (
                f"One message edited (`{EDITED_MESSAGE}`, fr)",
                f"{wall:.1f} s, {summary.get('built')} of {n_outputs} rebuilt",
            )
        )

        # 5. Data merge throughput.
        rows = project / "rows.csv"
        write_rows(rows, args.rows)
        wall, summary, _ = run_cli(
            project, "build", "-p", "seance", "-f", "instagram", "--data", "rows.csv", "-j", j, "-o", "merge"
        )
        built = summary.get("built", 0)
        print(
            f"5. data merge: {args.rows} rows → {built} instagram PNGs in {wall:.1f} s wall "
            f"({summary.get('inside_s', 0):.1f} s inside): {built / wall:.1f} outputs/s"
        )
        results.append(
            (
                f"{args.rows}-row data merge (`seance`, instagram, -j {j})",
                f"{built} outputs in {wall:.1f} s: **{built / wall:.1f} outputs/s**",
            )
        )

        # 6b. Peak memory of one A0 photo render.
        a0_rss = None
        if os.access(GNU_TIME, os.X_OK):
            mem_file = tmp / "a0rss.txt"
            wall, _, _ = run_cli(
                project,
                "render",
                PHOTO_POSTER,
                "-f",
                "a0",
                "-o",
                str(tmp / "a0.pdf"),
                wrap=[GNU_TIME, "-f", "%M", "-o", str(mem_file)],
            )
            a0_rss = int(mem_file.read_text().split()[-1])
            print(
                f"6. peak memory: cold build max RSS {cold_rss / 1024:.0f} MB (GNU time: the largest single "
                f"process, main or a reaped worker); process tree summed {cold_tree / 1024:.0f} MB (sampled, "
                f"shared pages counted per process); `poster render {PHOTO_POSTER} -f a0` "
                f"{a0_rss / 1024:.0f} MB ({wall:.1f} s)"
            )
            results.append(
                (
                    "Peak memory, cold build",
                    f"{cold_rss / 1024:.0f} MB largest process; "
                    f"{cold_tree / 1024:.0f} MB summed over main + {j} workers",
                )
            )
            results.append((f"Peak memory, `poster render {PHOTO_POSTER} -f a0`", f"{a0_rss / 1024:.0f} MB"))
        else:
            print(f"6. peak memory: {GNU_TIME} absent; process tree summed {cold_tree / 1024:.0f} MB (sampled)")
            results.append(("Peak memory, cold build", f"{cold_tree / 1024:.0f} MB summed (no /usr/bin/time)"))

        # 4 + 7. In-process: per-output render time by format, and rsvg-convert vs the engine's export.
        os.chdir(project)
        from poster_engine.cli.commands import _plan
        from poster_engine.export.raster import svg_to_png
        from poster_engine.render.job import compose_job, render_job

        ws, jobs, _, _ = _plan(project, [], [], Path("out"))  # the jobs `poster build` runs
        by_format: dict[str, list[float]] = {}
        for _ in range(args.repeat):  # interleaved rounds; the first one pays the cold photo work
            for job in jobs:
                t0 = time.perf_counter()
                render_job(ws, job)
                by_format.setdefault(job.format.name, []).append(time.perf_counter() - t0)
        print(f"4. per-output render time by format, in-process ({len(jobs)} jobs x {args.repeat} rounds, medians):")
        cells = []
        for name, samples in sorted(by_format.items(), key=lambda kv: -statistics.median(kv[1])):
            n = len(samples) // args.repeat
            print(f"   {name:<18}{median_ms(samples):>7.0f} ms  ({n} outputs)")
            cells.append(f"{name} {median_ms(samples):.0f} ms")
        results.append(("Per-output render, in-process (median by format)", " · ".join(cells)))

        rsvg = shutil.which("rsvg-convert")
        if not rsvg:
            print("7. rsvg-convert: absent, skipped (apt install librsvg2-bin)")
            results.append(("rsvg-convert comparison", "skipped: rsvg-convert absent"))
        else:
            insta = [job for job in jobs if job.format.name == "instagram"]
            engine_t, rsvg_t = [], []
            for i, job in enumerate(insta):
                comp = compose_job(ws, job)
                svg_file = tmp / f"insta-{i}.svg"
                svg_file.write_bytes(comp.svg if isinstance(comp.svg, bytes) else comp.svg.encode())
                w, h = int(job.format.width), int(job.format.height)
                e, r = [], []
                for _ in range(3):
                    t0 = time.perf_counter()
                    svg_to_png(comp.svg, w, h)
                    e.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    subprocess.run(
                        [rsvg, "-w", str(w), "-h", str(h), "-o", str(tmp / f"insta-{i}.png"), str(svg_file)],
                        check=True,
                        capture_output=True,
                    )
                    r.append(time.perf_counter() - t0)
                engine_t.append(statistics.median(e))
                rsvg_t.append(statistics.median(r))
            te, tr = sum(engine_t), sum(rsvg_t)
            print(
                f"7. same {len(insta)} composed instagram SVGs (1080 x 1350), medians of 3 per file, summed: "
                f"engine svg_to_png {te * 1000:.0f} ms, rsvg-convert {tr * 1000:.0f} ms (process start "
                f"included) — rsvg/engine {tr / te:.2f}x"
            )
            results.append(
                (
                    f"{len(insta)} instagram SVGs → PNG: engine vs `rsvg-convert`",
                    f"{te * 1000:.0f} ms vs {tr * 1000:.0f} ms: rsvg-convert takes **{tr / te:.1f}×**",
                )
            )
        os.chdir(ROOT)

    print("\nREADME table:\n| case | result |\n|---|---|")
    for case, value in results:
        print(f"| {case} | {value} |")


if __name__ == "__main__":
    main()
