"""Builds on a Dask cluster: the bundle, its upload, the overhead against local processes, the client's memory.

Usage: python benchmarks/bench_cluster.py [--rows R] [--small S] [--workers W]

Everything runs on a scratch copy of the demo project in a temporary folder, through the real CLI
in new processes (`python -m poster_engine build …`). The cluster is a LocalCluster's equivalent
made of separate processes — `dask scheduler` and `dask worker --nworkers W --nthreads 1` on this
machine, their bundle cache in the temporary folder (empty at the start) — so that the client's
memory can be measured alone:
1. the demo project's bundle: files, size, time to make it (median of 5);
2. a data merge of R generated rows (`-p seance -f instagram --data rows.csv`, rows as in
   bench_batch.py), locally with `-j W`, then on the W-worker cluster: wall times and their ratio
   (the cluster's overhead), the CPU time of every process (client, scheduler, workers and their
   nannies, against the local command and its pool: on a shared machine the steadier figure), the
   idle cluster's own CPU use (Dask's housekeeping), and the two manifests compared;
3. the bundle's upload in that first cluster build (to W workers with empty caches: the time of
   sending and unpacking it, from the build's own line), then in a second build (nothing sent);
4. the client's peak RSS (`/usr/bin/time -f %M`) for S and R jobs on the cluster: the executor keeps
   a bounded window of jobs in flight, so what grows is what any build keeps per job:
5. the build recipe's own memory for S and R jobs (tracemalloc), with an executor that renders
   nothing: the job list, the manifest entries and the gallery, whatever the executor.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import GNU_TIME, SUMMARY, poster_cmd, scratch_project, write_rows  # noqa: E402

DASK = Path(sys.executable).with_name("dask")
CLUSTER_LINE = re.compile(
    r"project bundle (\w+) \((\d+) files, ([\d.]+) MB\) "
    r"(sent to (\d+) workers? in ([\d.]+) s|already cached on every worker)"
)


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes and their living descendants."""
    total, stack = 0, list(pids)
    while stack:
        pid = stack.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total / TICK


def timed_build(project: Path, args: list[str], env: dict[str, str]) -> tuple[float, dict, int | None, float, str]:
    """One `poster build`: wall time, the closing line, the peak RSS (KB) of its largest process, the
    CPU seconds of the command and of the children it waited for (a local pool's workers), stdout."""
    mem = project.parent / "time.txt"
    wrap = [GNU_TIME, "-f", "%M %U %S", "-o", str(mem)] if os.access(GNU_TIME, os.X_OK) else []
    t0 = time.perf_counter()
    proc = subprocess.run([*wrap, *poster_cmd("build", *args)], cwd=project, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(
            f"`poster build {' '.join(args)}` exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    m = SUMMARY.search(proc.stdout)
    summary = {"built": int(m.group(1)), "inside_s": float(m.group(5))} if m else {}
    rss, cpu = None, float("nan")
    if wrap:
        kb, user, system = mem.read_text().split()[-3:]
        rss, cpu = int(kb), float(user) + float(system)
    return wall, summary, rss, cpu, proc.stdout


def build_memory(project: Path, rows: Path, out: Path) -> int:
    """Peak traced memory (bytes) of `build` itself over the jobs of `rows`, with an executor that
    renders nothing: what the recipe keeps per job (the job list, the manifest entries, the gallery),
    whatever the executor. Its results carry what a real one read, and 1 KB of bytes."""
    import tracemalloc

    import poster_engine.batch.build as recipe
    from poster_engine.api import open_project, plan
    from poster_engine.batch.executors import JobResult, run_job

    opened = open_project(project)
    jobs = plan(opened, ["seance"], ["instagram"], None, rows).jobs
    sample = run_job(opened, jobs[0])

    def fake(project, jobs, workers=1, start_method=None):
        return (JobResult(job, b"x" * 1000, None, sample.alt, reads=sample.reads) for job in jobs)

    real, recipe.execute = recipe.execute, fake
    tracemalloc.start()
    try:
        recipe.build(opened, jobs, out, contact=False)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        recipe.execute = real


def explain_difference(project: Path, cluster: bytes, local: bytes, rows: Path) -> None:
    """Which entries and fields differ, and for a few of them the bytes a fresh process renders."""
    import hashlib

    from poster_engine.api import open_project, plan
    from poster_engine.render.job import render_job

    a = {e["file"]: e for e in json.loads(cluster)["outputs"]}
    b = {e["file"]: e for e in json.loads(local)["outputs"]}
    differing = sorted(f for f in a.keys() | b.keys() if a.get(f) != b.get(f))
    print(f"   {len(differing)} entries differ, e.g.:")
    opened = open_project(project)
    jobs = {j.output: j for j in plan(opened, ["seance"], ["instagram"], None, rows).jobs}
    for f in differing[:3]:
        fields = sorted(k for k in {*a.get(f, {}), *b.get(f, {})} if a.get(f, {}).get(k) != b.get(f, {}).get(k))
        fresh = hashlib.sha256(render_job(opened, jobs[f])).hexdigest() if f in jobs else None
        print(
            f"   {f}: {fields}; sha256 cluster {a.get(f, {}).get('sha256', '')[:12]}, local "
            f"{b.get(f, {}).get('sha256', '')[:12]}, a fresh render {str(fresh)[:12]}"
        )


def start_cluster(tmp: Path, workers: int, env: dict[str, str]) -> tuple[str, list[subprocess.Popen]]:
    file = tmp / "scheduler.json"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": "/", "env": env}
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
        **common,
    )
    worker = subprocess.Popen(
        [str(DASK), "worker", "--scheduler-file", str(file), "--nworkers", str(workers), "--nthreads", "1"]
        + ["--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60"],
        **common,
    )
    deadline = time.monotonic() + 120
    while not (file.is_file() and file.stat().st_size):
        if time.monotonic() > deadline:
            sys.exit("the scheduler did not start")
        time.sleep(0.1)
    time.sleep(0.2)
    address = json.loads(file.read_text())["address"]
    import distributed

    with distributed.Client(address, set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, [worker, scheduler]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--small", type=int, default=200, help="the smaller build whose client memory is compared")
    parser.add_argument("--workers", "-w", type=int, default=2)
    args = parser.parse_args()
    w = str(args.workers)
    results: list[tuple[str, str]] = []

    from poster_engine.batch.bundle import make_bundle

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp_name:
        tmp = Path(tmp_name)
        project = scratch_project(tmp)

        # 1. The bundle.
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            bundle = make_bundle(project)
            times.append(time.perf_counter() - t0)
        made_ms = statistics.median(times) * 1000
        print(
            f"1. bundle of the demo project: {bundle.files} files, {len(bundle.payload) / 1e6:.2f} MB; "
            f"made in {made_ms:.0f} ms (median of 5)"
        )
        results.append(
            (
                "Project bundle of the demo (what travels)",
                f"{bundle.files} files, **{len(bundle.payload) / 1e6:.1f} MB**, made in {made_ms:.0f} ms",
            )
        )

        write_rows(project / "rows.csv", args.rows)
        write_rows(project / "small.csv", args.small)
        merge = ["-p", "seance", "-f", "instagram"]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "POSTER_BUNDLE_CACHE": str(tmp / "bundles")}

        # 2a. Locally, -j W.
        local_wall, local, local_rss, local_cpu, _ = timed_build(
            project, [*merge, "--data", "rows.csv", "-j", w, "-o", "local"], env
        )
        print(
            f"2. {args.rows}-row merge, -j {w} locally: {local_wall:.1f} s wall, {local_cpu:.0f} s CPU "
            f"(main + pool) ({local.get('built')} built)"
        )

        # 2b + 3 + 4. On the cluster.
        address, procs = start_cluster(tmp, args.workers, env)
        scheduler, workers = procs[1].pid, procs[0].pid
        try:
            time.sleep(5)  # the workers' start-up is over: what follows is Dask's housekeeping alone
            idle = [tree_cpu_s([scheduler]), tree_cpu_s([workers])]
            time.sleep(10)
            idle = [(tree_cpu_s([scheduler]) - idle[0]) / 10, (tree_cpu_s([workers]) - idle[1]) / 10]
            before = [tree_cpu_s([scheduler]), tree_cpu_s([workers])]
            wall, remote, big_rss, client_cpu, out = timed_build(
                project, [*merge, "--data", "rows.csv", "--scheduler", address, "-o", "cluster"], env
            )
            used = [tree_cpu_s([scheduler]) - before[0], tree_cpu_s([workers]) - before[1]]
            first = CLUSTER_LINE.search(out)
            small_wall, small, small_rss, _, out2 = timed_build(
                project, [*merge, "--data", "small.csv", "--scheduler", address, "-o", "small"], env
            )
            second = CLUSTER_LINE.search(out2)
        finally:
            for proc in procs:  # Dask's command lines close cleanly on SIGINT
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        ratio = wall / local_wall
        cluster_cpu = client_cpu + sum(used)
        manifests = [(project / out / "manifest.json").read_bytes() for out in ("cluster", "local")]
        same = "identical" if manifests[0] == manifests[1] else "DIFFERENT"
        if manifests[0] != manifests[1]:
            explain_difference(project, manifests[0], manifests[1], project / "rows.csv")
        print(
            f"   on {w} cluster workers: {wall:.1f} s wall ({remote.get('built')} built): ratio cluster / local "
            f"{ratio:.2f}; manifests {same}\n"
            f"   CPU: client {client_cpu:.0f} s, scheduler {used[0]:.0f} s, workers (with their nannies) "
            f"{used[1]:.0f} s: {cluster_cpu:.0f} s, {cluster_cpu / local_cpu:.2f}x the local build's\n"
            f"   Dask's housekeeping, idle cluster: scheduler {idle[0] * 100:.1f} %, workers + nannies "
            f"{idle[1] * 100:.1f} % of a core"
        )
        results.append(
            (
                f"{args.rows}-row data merge, `-j {w}` locally vs {w}-worker cluster on the same machine, wall",
                f"{local_wall:.0f} s vs {wall:.0f} s: **{ratio:.2f}×** ({args.rows / local_wall:.1f} vs "
                f"{args.rows / wall:.1f} outputs/s); manifests {same.lower()}",
            )
        )
        results.append(
            (
                "same, CPU time (user + system, every process)",
                f"{local_cpu:.0f} s vs {cluster_cpu:.0f} s: **{cluster_cpu / local_cpu:.2f}×** (client "
                f"{client_cpu:.0f} s, scheduler {used[0]:.0f} s, workers and nannies {used[1]:.0f} s); an idle "
                f"cluster's housekeeping: {idle[0] * 100:.0f} % + {idle[1] * 100:.0f} % of a core",
            )
        )
        if first and first.group(5):
            bundle_id, mb, n, took = first.group(1), first.group(3), first.group(5), first.group(6)
            print(f"3. upload: bundle {bundle_id} ({mb} MB) sent to {n} workers in {took} s (send + unpack)")
            results.append(
                (
                    "Bundle upload, first build (workers with empty caches; through the scheduler, then unpacked)",
                    f"{mb} MB to {n} workers in **{took} s**",
                )
            )
        print(f"   second build: {'nothing sent, ' + second.group(4) if second else 'no cluster line?'}")
        results.append(
            (
                "Bundle upload, next build of the same project",
                "nothing sent (already cached on every worker)" if second and not second.group(5) else "sent again?",
            )
        )
        if big_rss and small_rss:
            print(
                f"4. client peak RSS: {args.small} jobs {small_rss / 1024:.0f} MB ({small_wall:.1f} s), "
                f"{args.rows} jobs {big_rss / 1024:.0f} MB; local -j {w} largest process {local_rss / 1024:.0f} MB"
            )
            results.append(
                (
                    f"Client peak RSS on the cluster, {args.small} vs {args.rows} jobs (`/usr/bin/time`)",
                    f"{small_rss / 1024:.0f} MB vs **{big_rss / 1024:.0f} MB** "
                    f"(local `-j {w}`, largest process: {local_rss / 1024:.0f} MB)",
                )
            )

        # 5. What the build recipe itself keeps per job, whatever the executor.
        small_kept = build_memory(project, project / "small.csv", tmp / "m-small")
        big_kept = build_memory(project, project / "rows.csv", tmp / "m-big")
        per_job = (big_kept - small_kept) / (args.rows - args.small)
        print(
            f"5. the build recipe's own memory (executor rendering nothing): {args.small} jobs "
            f"{small_kept / 1e6:.1f} MB, {args.rows} jobs {big_kept / 1e6:.1f} MB: {per_job / 1e3:.1f} KB per job "
            "(job list, manifest entries, gallery)"
        )
        results.append(
            (
                "What grows with the jobs in any build (the recipe's job list and manifest; tracemalloc)",
                f"{small_kept / 1e6:.1f} MB for {args.small} jobs, {big_kept / 1e6:.1f} MB for {args.rows}: "
                f"{per_job / 1e3:.1f} KB per job",
            )
        )

    print("\nREADME table:\n| case | result |\n|---|---|")
    for case, value in results:
        print(f"| {case} | {value} |")


if __name__ == "__main__":
    main()
