"""The manifest's entries on disk during a build (batch/ledger.py): memory flat in rows, the same
manifest.json and index.html as written from entries in memory, nothing left behind."""

from __future__ import annotations

import json
import multiprocessing
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from poster_engine.api import plan
from poster_engine.batch import build as build_module
from poster_engine.batch.build import build
from poster_engine.batch.executors import run_job
from poster_engine.project import atomic
from poster_engine.project.loader import open_project

ROWS = 600
FIRST = 100  # memory is compared between this many results and all of them


def merge_rows(project: Path, n: int) -> Path:
    path = project / "rows.csv"
    lines = ["id,host,date,time,room,url"] + [
        f"r{i:04d},Médiathèque n° {i},jeudi {1 + i % 28} janvier 2026,18 h,Salle {i % 9},https://example.org/s/{i}"
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_merge_holds_no_manifest_entry_in_memory(project, tmp_path):
    """Issue 16, target 3: a merge's parent held every row's manifest entry until it wrote
    manifest.json (1 141 B a row by this measure, the entries' common parts shared; ~2.5 KB a row
    of PSS at 10 000 rows). What it still holds per row once its results are listed (the ledger's
    index, the report's names: ~275 B) is measured by tracemalloc between the 100th and the 600th
    result of a merge whose rendering is replaced by a real result's copy (each row's entry is
    made, hashed and listed as in a real build). The merge runs in a process of its own: tracemalloc
    counts every thread's allocations, and a pytest worker may still run threads other tests
    started (it measured 8 KB a row so, in the whole suite only)."""
    out = tmp_path / "merge"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        per_row, outputs = fresh.submit(_merge_held_per_row, project, out).result()
    assert per_row < 500, f"{per_row:.0f} bytes held per row"
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert [e["file"] for e in listed] == sorted(outputs)
    assert all(e["reads"] == listed[0]["reads"] and e["row"] == e["file"].split("/")[1] for e in listed)
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary, no spilled entries


def _merge_held_per_row(project: Path, out: Path) -> tuple[float, list[str]]:
    """The merge of the test above, in the spawned process: bytes held per result, and the outputs."""
    opened = open_project(project)
    jobs = plan(opened, ["seance"], ["instagram"], data=merge_rows(project, ROWS)).jobs
    assert len(jobs) == ROWS
    real = run_job(opened, jobs[0])
    assert not real.errors and real.reads is not None

    def execute(project, todo, workers, start_method):
        return (replace(real, job=job, data=f"PNG of {job.output}".encode()) for job in todo)

    # This process is the test's own: patched for good. Each result named at once, so that what the
    # parent holds is the same at every result (a batch holds up to 32 entries); the syncs are not
    # what this test is about (test_write_atomic.py).
    build_module.execute = execute
    build_module.BATCH_RESULTS = 1
    atomic._syncfs = lambda folder: True
    held: dict[int, int] = {}

    def on_done(job, error):
        held[len(held) + 1] = tracemalloc.get_traced_memory()[0] if len(held) + 1 in (FIRST, ROWS) else 0

    tracemalloc.start()
    try:
        report = build(opened, jobs, out, on_done, contact=False)
    finally:
        tracemalloc.stop()
    assert len(report.built) == ROWS and not report.failed
    return (held[ROWS] - held[FIRST]) / (ROWS - FIRST), [job.output for job in jobs]


def entry(file: str, **more) -> dict:
    poster, rest = file.split("/", 1)
    return {
        "poster": poster,
        "format": "instagram",
        "lang": "fr",
        "file": file,
        "bytes": 1000 * len(file) ** 3,
        "sha256": "0" * 64,
        "alt": f"Affiche « {file} » : 40\u202f000 <b>&",
        "provenance": {"sources": [f"source of {poster}"], "fonts": [{"family": "Inter", "licence": "OFL"}]},
        "inputs": [f"posters/{poster}.yaml"],
        "key": None,
        "reads": {"files": [], "listings": [], "fields": [], "empty": {}, "list": [1, 2.5, None, True]},
        **more,
    }


def test_the_manifest_and_gallery_are_those_of_the_entries_in_memory(demo, tmp_path):
    """Written from the ledger's file an entry at a time, manifest.json and index.html are byte for
    byte what json.dumps and the gallery make of all the entries at once (as the build did before):
    the previous manifest's entries kept, an entry added again replacing its first, folders whose
    files are not next to each other in the manifest's order (`a/b/…` between `a/a` and `a/x`)."""
    from poster_engine.batch.gallery import gallery_html
    from poster_engine.batch.ledger import Ledger

    out = tmp_path / "build"
    out.mkdir()
    before = [
        entry("a/z.png"),
        entry("old/a3.pdf", preview="_gallery/old/a3.png"),
        entry("a-b/w.png"),
        entry("a/a.png"),
    ]
    (out / "manifest.json").write_text(json.dumps({"outputs": before}, indent=2), encoding="utf-8")
    added = [entry("a/x.png"), entry("a/b/y.png", row="b"), entry("a/z.png", alt="again"), entry("a.b/v.png")]
    with Ledger(out) as ledger:
        ledger.load()
        assert ledger.get("old/a3.pdf") == before[1] and ledger.get("a/x.png") is None
        for e in added:
            assert ledger.add(e) == e["file"]
        ledger.write(demo)
    every = {e["file"]: e for e in [*before, *added]}
    outputs = [every[f] for f in sorted(every)]
    assert [e["file"] for e in outputs] == [
        *("a-b/w.png", "a.b/v.png", "a/a.png", "a/b/y.png", "a/x.png", "a/z.png", "old/a3.pdf")
    ]
    assert (out / "manifest.json").read_bytes() == (
        json.dumps({"outputs": outputs}, indent=2, ensure_ascii=False) + "\n"
    ).encode()
    assert (out / "index.html").read_bytes() == gallery_html(outputs, demo.campaign)
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "manifest.json"]  # nothing spilled is left


def test_a_manifest_that_is_not_whole_is_none(tmp_path):
    """As `read_manifest`: a manifest cut short or followed by anything is no manifest (all rebuilt)."""
    from poster_engine.batch.ledger import Ledger
    from poster_engine.batch.manifest import manifest_bytes, read_manifest

    whole = manifest_bytes({f"p/{i}.png": entry(f"p/{i}.png", alt="é" * 40_000) for i in range(20)})
    for text, kept in ((whole, 20), (whole[:-3], 0), (whole[: len(whole) // 2], 0), (whole + b"{}", 0)):
        (tmp_path / "manifest.json").write_bytes(text)
        with Ledger(tmp_path) as ledger:
            ledger.load()
            assert len(ledger) == len(read_manifest(tmp_path / "manifest.json")) == kept


def test_an_entry_that_cannot_be_kept_is_the_manifests_located_error(tmp_path, monkeypatch):
    import errno

    from poster_engine.batch.ledger import Ledger
    from poster_engine.core.diagnostics import PosterError

    with Ledger(tmp_path) as ledger:
        ledger.add(entry("p/1.png"))
        monkeypatch.setattr(ledger._spill, "write", lambda data: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
        try:
            ledger.add(entry("p/2.png"))
        except PosterError as exc:
            (d,) = exc.diagnostics
            assert d.file == str(tmp_path / "manifest.json") and d.check == "output" and "no space left" in d.message
        else:
            raise AssertionError("no error")
        assert len(ledger) == 1 and ledger.get("p/1.png") == entry("p/1.png")


def test_the_previous_manifest_is_read_an_entry_at_a_time(tmp_path):
    """A rebuild into the same folder: a 10 000-row manifest read whole was ~60 MB of objects held
    for the whole build; the ledger holds where each entry is (~130 B of it), never them all."""
    from poster_engine.batch.ledger import Ledger
    from poster_engine.batch.manifest import manifest_bytes

    n = 4000
    (tmp_path / "manifest.json").write_bytes(manifest_bytes({f"p/{i}/x.png": entry(f"p/{i}/x.png") for i in range(n)}))
    tracemalloc.start()
    try:
        with Ledger(tmp_path) as ledger:
            ledger.load()
            held, peak = tracemalloc.get_traced_memory()
            assert len(ledger) == n and ledger.get("p/7/x.png") == entry("p/7/x.png")
    finally:
        tracemalloc.stop()
    # Read whole, these 4 000 entries (3 MB of text) peak at 14 MB; a piece at a time, at ~1.6 MB.
    assert held / n < 300 and peak < 4_000_000, (held / n, peak)
