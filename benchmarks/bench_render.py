"""Benchmark: where the time goes for each demo output, medians over repeated runs.

Usage: python benchmarks/bench_render.py [--repeat N] [--poster ID ...]
Prints per-stage medians (compose = layout + typesetting + QR + visuals; export = cairo;
prepress = pikepdf) for each format, and the cold whole-campaign build time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--poster", action="append")
    parser.add_argument("--lang", action="append", help="languages (default: the campaign's)")
    args = parser.parse_args()

    from poster_engine.compose.document import compose
    from poster_engine.export.pdf import svg_to_pdf
    from poster_engine.export.print.prepress import make_print_pdf
    from poster_engine.export.raster import svg_to_png
    from poster_engine.plan import plan_jobs
    from poster_engine.project.loader import open_project

    ws = open_project(ROOT)
    campaign = ws.campaign
    jobs = plan_jobs(ws, args.poster, None, args.lang)
    by_format: dict[str, dict[str, list[float]]] = {}
    sizes: dict[str, list[int]] = {}
    per_job: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.repeat):  # interleaved: every job once per round
        for job in jobs:
            poster, fmt = campaign.posters[job.poster_id], job.format
            t0 = time.perf_counter()
            comp = compose(ws, poster, fmt, job.lang)
            t1 = time.perf_counter()
            if fmt.medium == "print":
                raw = svg_to_pdf(comp.svg)
                t2 = time.perf_counter()
                data = make_print_pdf(
                    raw, (fmt.width, fmt.height), fmt.bleed_mm, comp.title, ws.timestamp, ws.print_settings
                )
            else:
                data = svg_to_png(comp.svg, int(fmt.width), int(fmt.height))
                t2 = time.perf_counter()
            t3 = time.perf_counter()
            stages = by_format.setdefault(fmt.name, {"compose": [], "export": [], "prepress": [], "total": []})
            stages["compose"].append(t1 - t0)
            stages["export"].append(t2 - t1)
            stages["prepress"].append(t3 - t2)
            stages["total"].append(t3 - t0)
            sizes.setdefault(fmt.name, []).append(len(data))
            per_job.setdefault(job.output, []).append((t2 - t1, t3 - t2))

    print(f"{len(jobs)} jobs x {args.repeat} rounds (medians per output, ms)")
    print(f"{'format':<11}{'compose':>9}{'export':>9}{'prepress':>10}{'total':>9}{'size KB':>10}")
    for name, stages in by_format.items():
        print(
            f"{name:<11}"
            + "".join(
                f"{median_ms(stages[s]):>{w}.0f}"
                for s, w in (("compose", 9), ("export", 9), ("prepress", 10), ("total", 9))
            )
            + f"{statistics.median(sizes[name]) / 1024:>10.0f}"
        )

    print("\nA3 print PDFs: SVG→PDF render vs CMYK post-processing (medians, ms)")
    for output, samples in per_job.items():
        if output.endswith(".pdf"):
            render = median_ms([a for a, _ in samples])
            post = median_ms([b for _, b in samples])
            print(f"  {output:<36}{render:>7.0f}{post:>7.0f}   post/render {post / render:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "poster_engine", "build", "-o", tmp], cwd=ROOT, check=True, capture_output=True
        )
        print(
            f"cold `poster build` of the demo campaign ({len(jobs)} outputs, new process): "
            f"{time.perf_counter() - t0:.1f} s"
        )
    for cmd in (["--help"], ["list"]):
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "poster_engine", *cmd], cwd=ROOT, check=True, capture_output=True)
            samples.append(time.perf_counter() - t0)
        print(f"`poster {' '.join(cmd)}` start-up: {median_ms(samples):.0f} ms")


if __name__ == "__main__":
    main()
