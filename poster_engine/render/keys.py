"""What a job's output depends on, as one key: shared by incremental builds and the live preview.

A key changes when anything that can change the job's bytes changes (its poster file, the texts
its layout shows, the layout, the fonts it may draw, its visual, its format and print profile, its
language and data row, the engine version) and only then. Files are keyed by their content, not
their modification time, so a fresh checkout of the same project reuses a build's keys, and the
keys written in the manifest are the same on every machine.

This module stays light (no HarfBuzz, cairo or pikepdf): a no-op rebuild computes every key and
renders nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from poster_engine import __version__
from poster_engine.project.content import Poster
from poster_engine.project.files import file_digest
from poster_engine.project.loader import Project
from poster_engine.compose.fields import FIELD, poster_fields
from poster_engine.core.formats import Format
from poster_engine.core.languages import DEFAULT_LANG

def template_text(layout_file: Path) -> str:
    """A template read as text for a quick look (regexes); a missing file fails later, with its line."""
    try:
        return layout_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def layout_reads(layout_file: Path) -> tuple[set[str], set[str]]:
    """The fonts and the {fields} a template names, read from its text (no need to parse it)."""
    text = template_text(layout_file)
    fonts = {"Inter-Regular"}  # what a text slot without data-font uses
    for chain in re.findall(r'data-font="([^"]*)"', text):
        fonts.update(n.strip() for n in chain.split(",") if n.strip())
    return fonts, set(FIELD.findall(text))


def content_key(project: Project, poster: Poster, fmt: Format, lang: str = DEFAULT_LANG,
                row: dict[str, str] | None = None) -> str:
    """Everything a job's bytes depend on: its spec, the text fields its layout names, the files it reads."""
    layout_file = project.root / "layouts" / f"{poster.spec.layout}.svg"
    font_names, field_names = layout_reads(layout_file)
    # The engine may draw a named font's display or text cut (by size) and a heavier weight
    # (**emphasis**): a change to any of them can change the pixels.
    lib, used = project.fonts, set()
    for name in font_names:
        for cut in {name, lib.optical_cut(name, True), lib.optical_cut(name, False)}:
            used.add(cut)
            heavier = lib.heavier(cut)
            if heavier:
                used.update({heavier, lib.optical_cut(heavier, True), lib.optical_cut(heavier, False)})
    fonts = sorted((n, file_digest(lib.files.get(n))) for n in used)
    fields = {k: v for k, v in poster_fields(project.campaign, poster, lang, row).items() if k in field_names}
    visual = project.root / poster.spec.visual if poster.spec.visual else None
    # Print jobs also depend on the profile's ICC, ink limit, marks… and on the brand swatches.
    printing = None
    if fmt.medium == "print":
        ps = project.print_settings
        printing = [repr(ps.profile), repr(sorted(ps.swatches.items())), file_digest(ps.icc_path())]
    parts = [__version__, repr(fmt), lang, poster.spec.model_dump_json(), fields, file_digest(layout_file),
             file_digest(visual), fonts, printing, str(project.timestamp)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
