"""A build's manifest entries → a file beside the outputs → manifest.json and index.html, streamed.

A build lists every output it names in the manifest. Held in memory until the end, the entries of
a 10 000-row merge were what the parent process grew by per row, and their manifest and gallery,
made whole at the end, its peak (docs/performance.md §19.1). The ledger writes each entry, as it
is named, as one line of JSON to a temporary file in the build folder, and keeps only where it is
(output file → offset); the manifest and the gallery are then written from that file, an entry at
a time, in the order of the files.

The file has no name: on Linux it is made with O_TMPFILE, elsewhere it is unlinked as soon as it
is made (a `.manifest.json.*.tmp` for that instant, which `clean_stale_temporaries` removes after
a kill), so a build that is killed, stopped or fails leaves nothing of it behind.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from poster_engine.batch.gallery import gallery_chunks, gallery_folder
from poster_engine.batch.manifest import manifest_chunks, manifest_outputs
from poster_engine.batch.outputs import not_written, write_atomic
from poster_engine.project.loader import Project

MANIFEST = "manifest.json"
GALLERY = "index.html"
_READ = 4096  # an entry is read back in pieces of this many bytes up to its line's end


class Ledger:
    """The entries of a build's manifest by output file, on disk: `load` the previous build's,
    `add` each output as it is named (it replaces the previous entry of that file), `write` the
    manifest and the gallery of them all. A file that cannot be written (a full disk) is the
    located `PosterError` of manifest.json, like the manifest's own writing."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._spill: BinaryIO | None = None  # made by the first entry
        self._end = 0
        self._at: dict[str, int] = {}  # output file → where its line starts (~150 bytes a row in all)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._at)

    def load(self) -> None:
        """The entries of the manifest in the build folder; none if it is missing or not a whole
        manifest (every job is then rebuilt, as with `read_manifest`)."""
        try:
            for entry in manifest_outputs(self.out_dir / MANIFEST):
                self.add(entry)
        except (OSError, ValueError):  # the manifest's reading, not the ledger's (PosterError)
            self._at.clear()
            self._end = 0

    def add(self, entry: dict) -> str:
        """Record `entry` (its `file` is the key, returned: one string for the caller and the index)."""
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        try:
            spill = self._spill or self._open()
            spill.seek(self._end)
            view = memoryview(line)
            while view:
                view = view[spill.write(view) or 0 :]
        except OSError as exc:
            raise not_written(self.out_dir / MANIFEST, exc) from None
        file: str = entry["file"]
        self._at[file] = self._end
        self._end += len(line)
        return file

    def get(self, file: str) -> dict | None:
        return self._read(file) if file in self._at else None

    def entries(self) -> Iterator[dict]:
        """Every entry, in the order of their files (the manifest's)."""
        for file in sorted(self._at):
            yield self._read(file)

    def write(self, project: Project) -> None:
        """manifest.json and index.html of every entry, each written atomically, read back from
        the ledger's file a piece at a time."""
        write_atomic(self.out_dir / MANIFEST, manifest_chunks(self.entries()))
        write_atomic(self.out_dir / GALLERY, gallery_chunks(len(self), self._folders(), project.campaign))

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        self._at.clear()

    def _folders(self) -> Iterator[tuple[str, list[dict]]]:
        """The gallery's groups (a poster's or a data row's folder) in the order of their first
        file, each with its entries, read when its turn comes; only the files' names are held."""
        folders: dict[str, list[str]] = {}
        for file in sorted(self._at):
            folders.setdefault(gallery_folder(file), []).append(file)
        for folder, files in folders.items():
            yield folder, [self._read(file) for file in files]

    def _read(self, file: str) -> dict:
        assert self._spill is not None  # an entry was added
        self._spill.seek(self._at[file])
        line = b""
        while not line.endswith(b"\n"):  # an entry is ~1.5 KB, a line (no raw newline in JSON)
            more = self._spill.read(_READ)
            if not more:
                break
            line += more
            if b"\n" in more:
                line = line[: line.index(b"\n") + 1]
        return json.loads(line)

    def _open(self) -> BinaryIO:
        # Unbuffered: an entry is on the file (or its writing failed) when `add` returns.
        try:
            spill = tempfile.TemporaryFile(buffering=0, prefix=f".{MANIFEST}.", suffix=".tmp", dir=self.out_dir)
        except OSError:  # a read-only build folder with nothing to rebuild: the previous entries are read
            spill = tempfile.TemporaryFile(buffering=0, prefix=f".{MANIFEST}.", suffix=".tmp")
        self._spill = spill
        return spill
