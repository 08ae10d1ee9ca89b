"""Builds on a Dask cluster whose workers share nothing with the client but the engine (docs/cluster.md).

The real processes run here: `dask scheduler` and `dask worker` started by the tests, the workers
(where the test needs it) in a private mount namespace in which the client's project folder does
not exist, and the real `poster` command line as the client. Plus the bundle itself: deterministic,
only the inputs, safe to unpack.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from poster_engine.batch.bundle import BUNDLED, BundleError, make_bundle, project_files, unpack
from poster_engine.core.diagnostics import PosterError

DASK = Path(sys.executable).with_name("dask")
TOTAL = re.compile(r"(\d+) built, (\d+) up to date, (\d+) failed")
FOOTER = "Halle Pajol, Paris"


# --- the bundle -------------------------------------------------------------------------------------


@pytest.fixture
def campaign(tmp_path) -> Path:
    """A scratch copy of every input of the demo project, its footer edited: outputs read from the
    engine's own checkout instead of this copy would differ."""
    dst = tmp_path / "project"
    dst.mkdir()
    for name in BUNDLED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            shutil.copy(src, dst / name)
    messages = dst / "messages.yaml"
    assert FOOTER in messages.read_text()
    messages.write_text(messages.read_text().replace(FOOTER, f"{FOOTER} 18e"))
    return dst


def test_the_bundle_is_deterministic_and_holds_only_the_inputs(campaign):
    first = make_bundle(campaign)
    (campaign / "build").mkdir()
    (campaign / "build" / "old.png").write_bytes(b"an output")
    (campaign / "notes.txt").write_text("not an input")
    (campaign / "visuals" / "__pycache__").mkdir()
    (campaign / "visuals" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    os.utime(campaign / "messages.yaml", (1, 1))  # dates are not content
    again = make_bundle(campaign)
    assert (again.digest, again.payload) == (first.digest, first.payload)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(first.payload))) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names) and "messages.yaml" in names and "project.yaml" in names
    assert {n.split("/")[0] for n in names} <= set(BUNDLED)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    (campaign / "layouts" / "choc.svg").write_text((campaign / "layouts" / "choc.svg").read_text() + "\n")
    assert make_bundle(campaign).digest != first.digest


def test_a_visual_named_outside_the_bundled_folders_travels_too(campaign):
    (campaign / "photos").mkdir()
    (campaign / "photos" / "x.jpg").write_bytes(b"jpeg")
    assert "photos/x.jpg" in project_files(campaign, ["photos/x.jpg"])
    assert "photos/x.jpg" not in project_files(campaign)


def test_a_symbolic_link_leaving_the_project_is_refused(campaign, tmp_path):
    outside = tmp_path / "elsewhere.svg"
    outside.write_text("<svg/>")
    (campaign / "visuals" / "inside.svg").symlink_to(campaign / "visuals" / "mine.svg")
    assert "visuals/inside.svg" in project_files(campaign)  # a link inside the project is packed
    (campaign / "visuals" / "outside.svg").symlink_to(outside)
    with pytest.raises(PosterError) as info:
        make_bundle(campaign)
    assert [str(d) for d in info.value.diagnostics] == [
        f"visuals/outside.svg: is a symbolic link to {outside}, outside the project, which cluster workers "
        "cannot see; copy the file into the project"
    ]


def _archive(members: list[tarfile.TarInfo], data: bytes = b"x") -> tuple[str, bytes]:
    import hashlib

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for m in members:
            if m.isreg():
                m.size = len(data)
            tar.addfile(m, io.BytesIO(data) if m.isreg() else None)
    return hashlib.sha256(raw.getvalue()).hexdigest(), gzip.compress(raw.getvalue())


@pytest.mark.parametrize(
    "name, kind",
    [
        ("../escape.txt", tarfile.REGTYPE),
        ("/tmp/absolute.txt", tarfile.REGTYPE),
        ("visuals/../../escape.txt", tarfile.REGTYPE),
        ("visuals/link.svg", tarfile.SYMTYPE),
        ("visuals/hard.svg", tarfile.LNKTYPE),
        ("fonts/dev", tarfile.CHRTYPE),
    ],
)
def test_unpacking_refuses_members_that_would_land_outside_or_are_not_files(tmp_path, name, kind):
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = "/etc/passwd" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
    digest, payload = _archive([tarfile.TarInfo("messages.yaml"), member])
    cache = tmp_path / "cache" / "bundles"
    with pytest.raises(BundleError):
        unpack(payload, digest, cache)
    assert list(cache.iterdir()) == []  # neither the bundle nor its temporary folder
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "cache" / "escape.txt").exists()


def test_unpacking_checks_the_hash_and_is_atomic_under_concurrent_tasks(campaign, tmp_path):
    bundle = make_bundle(campaign)
    cache = tmp_path / "cache"
    with pytest.raises(BundleError, match="does not match its hash"):
        unpack(bundle.payload, "0" * 64, cache)
    folders: list[Path] = []
    threads = [
        threading.Thread(target=lambda: folders.append(unpack(bundle.payload, bundle.digest, cache))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert folders == [cache / bundle.digest] * 4
    assert [p.name for p in cache.iterdir()] == [bundle.digest]  # the losers' temporary folders are gone
    unpacked = {str(p.relative_to(cache / bundle.digest)) for p in (cache / bundle.digest).rglob("*") if p.is_file()}
    assert unpacked == set(project_files(campaign))
