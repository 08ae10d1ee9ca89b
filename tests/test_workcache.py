"""The photo work cache (project/workcache.py): shared by processes and runs, same bytes, bounded."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

from poster_engine.project import workcache


def _render(tmp_path, name: str, cache: str) -> bytes:
    out = tmp_path / name
    env = {**os.environ, "POSTER_CACHE_DIR": cache}
    cmd = [sys.executable, "-m", "poster_engine", "render", "film-sang-et-boue", "-f", "a4", "-o", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def test_a_cold_process_reuses_the_photo_work_of_another_with_the_same_bytes(tmp_path):
    cache = tmp_path / "cache"
    first = _render(tmp_path, "1.pdf", str(cache))
    entries = {p.relative_to(cache).parts[0]: p for p in cache.rglob("*") if p.is_file()}
    # the placed photo, its CMYK JPEG and the OutputIntent's compressed ICC profile
    assert set(entries) == {"visual", "cmyk-jpeg", "icc-flate"}
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    os.utime(entries["cmyk-jpeg"], ns=(1, 1))  # a read marks the entry as recently used
    second = _render(tmp_path, "2.pdf", str(cache))
    assert second == first
    assert {p for p in cache.rglob("*") if p.is_file()} == set(stamps)  # nothing made again
    assert entries["cmyk-jpeg"].stat().st_mtime_ns > 1
    off = _render(tmp_path, "3.pdf", "off")
    assert off == first


def test_the_cache_is_pruned_least_recently_used_first(tmp_path):
    for i in range(10):
        path = tmp_path / "k" / f"{i:02d}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(bytes(100))
        os.utime(path, (i, i))
    workcache.prune(tmp_path, limit=500)
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["06", "07", "08", "09"]


def test_an_unwritable_cache_only_means_the_work_is_done_again(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    monkeypatch.setenv("POSTER_CACHE_DIR", str(blocker / "below-a-file"))
    assert workcache.cached("k", (1,), lambda: b"made") == b"made"


def test_the_icc_profile_is_compressed_once_across_processes_and_a_bad_entry_is_made_again(tmp_path, monkeypatch):
    """The OutputIntent's profile (1 MB: ~40 ms per cold process at zlib's default level) comes from the
    work cache after the first time, with the very bytes zlib makes; an entry that does not inflate
    back to the profile is not used."""
    import zlib

    from poster_engine.export.print import prepress

    monkeypatch.setenv("POSTER_CACHE_DIR", str(tmp_path / "cache"))
    icc = (ROOT / "poster_engine" / "export" / "print" / "icc").glob("*.icc")
    profile = next(iter(sorted(icc))).read_bytes()
    want = zlib.compress(profile, prepress.ICC_FLATE_LEVEL)
    prepress._compressed.cache_clear()
    assert prepress._compressed(profile) == want
    entries = list((tmp_path / "cache" / "icc-flate").rglob("*"))
    entries = [e for e in entries if e.is_file()]
    assert len(entries) == 1 and entries[0].read_bytes() == want
    for bad in (b"not zlib at all", zlib.compress(b"another profile", 9)):
        entries[0].write_bytes(bad)
        prepress._compressed.cache_clear()
        assert prepress._compressed(profile) == want
    prepress._compressed.cache_clear()
