"""Translations round-trip: `poster strings export` → a translator edits the PO file → `poster strings
import` writes messages.yaml (comments, order, quoting kept) → the build shows the translation; nothing
translated leaves messages.yaml the same byte for byte; a translation that does not fit is reported
with poster, format and slot; the "fits" hint is measured with the real fonts."""

from __future__ import annotations

import difflib
import io
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The repair café (English) exported for French translators, once."""
    root = tmp_path_factory.mktemp("rc") / "repair-cafe"
    shutil.copytree(ROOT / "examples" / "repair-cafe", root)
    result = run_cli("strings", "export", "--lang", "fr", "-o", "fr.po", cwd=root)
    assert result.returncode == 0, result.stderr
    return root, (root / "fr.po").read_bytes()


@pytest.fixture
def campaign(exported, tmp_path):
    root, po = exported
    dst = tmp_path / "repair-cafe"
    shutil.copytree(root, dst)
    return dst, po


def _catalog(data: bytes):
    return read_po(io.BytesIO(data))


def _write(catalog, path: Path) -> None:
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    path.write_bytes(out.getvalue())


def test_export_lists_every_shown_text_with_its_context_and_fit(exported):
    _, po = exported
    catalog = _catalog(po)
    by_ctx = {m.context: m for m in catalog if m.id}
    assert str(catalog.locale) == "fr"
    # the poster's message, the campaign's texts, a statistic's label and source, the layouts' labels
    for ctx in (
        "messages.bring-it-broken.text",
        "campaign.name",
        "campaign.dates",
        "stats.mended-2024.label",
        "stats.mended-2024.source",
        "labels.scan",
    ):
        assert ctx in by_ctx, sorted(by_ctx)
    m = by_ctx["messages.bring-it-broken.text"]
    assert m.id == "Bring it broken. *Take it home fixed.*"
    assert m.string == "Apportez-le cassé. *Repartez avec, réparé.*"  # the existing translation
    assert m.locations == [("messages.yaml", 47)]
    text = " ".join(m.auto_comments)
    assert re.search(r"fits: at most \d+ characters \(tightest: session-workbench/\w+ slot 'message'", text), text
    assert "shown in: session-workbench (a4:message, a3:message, a2:message, instagram:message)" in text
    # A name typed once for every language has no translation yet.
    assert by_ctx["campaign.name"].string == ""


def test_nothing_translated_leaves_messages_yaml_byte_for_byte(campaign):
    root, po = campaign
    before = (root / "messages.yaml").read_bytes()
    mtime = (root / "messages.yaml").stat().st_mtime_ns
    (root / "fr.po").write_bytes(po)
    result = run_cli("strings", "import", "fr.po", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "messages.yaml unchanged" in result.stderr
    assert (root / "messages.yaml").read_bytes() == before
    assert (root / "messages.yaml").stat().st_mtime_ns == mtime


def test_export_edit_import_build(campaign):
    root, po = campaign
    before = (root / "messages.yaml").read_text(encoding="utf-8")
    catalog = _catalog(po)
    for m in catalog:
        if m.context == "messages.bring-it-broken.text":
            m.string = "Apportez-le en panne. *Repartez réparé.*"
        if m.context == "campaign.venue.name":
            m.string = "Bibliothèque d'Ashworth Road"
    _write(catalog, root / "fr.po")
    result = run_cli("strings", "import", "fr.po", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    after = (root / "messages.yaml").read_text(encoding="utf-8")
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-    name: Ashworth Road Library",
        "+    name: {en: Ashworth Road Library, fr: Bibliothèque d'Ashworth Road}",
        '-      fr: "Apportez-le cassé. *Repartez avec, réparé.*"',
        '+      fr: "Apportez-le en panne. *Repartez réparé.*"',
    ], changed
    build = run_cli("build", "-p", "session-workbench", "-f", "instagram", "--lang", "fr", "--lang", "en", cwd=root)
    assert build.returncode == 0, build.stderr
    alt_fr = (root / "build" / "session-workbench" / "instagram-fr.png.alt.txt").read_text()
    alt_en = (root / "build" / "session-workbench" / "instagram.png.alt.txt").read_text()
    assert "Apportez-le en panne. Repartez réparé." in alt_fr
    assert "Bring it broken. Take it home fixed." in alt_en  # the source language is untouched


def test_the_fit_hint_is_what_fits_and_a_longer_text_is_reported(campaign):
    root, po = campaign
    catalog = _catalog(po)
    message = next(m for m in catalog if m.context == "messages.bring-it-broken.text")
    fits = int(re.search(r"at most (\d+) characters", " ".join(message.auto_comments)).group(1))
    tight = re.search(r"tightest: ([\w-]+)/(\w+) slot '([\w.]+)'", " ".join(message.auto_comments))
    # "Characters of average width": the hint counts characters of the text's own mix of glyphs and words.
    filler = (message.id.replace("*", "") + " ") * 40
    message.string = filler[:fits].rstrip()
    _write(catalog, root / "fr.po")
    ok = run_cli("strings", "import", "fr.po", cwd=root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    message.string = filler[: int(fits * 1.25)].rstrip()
    _write(catalog, root / "fr.po")
    too_long = run_cli("strings", "import", "fr.po", cwd=root)
    assert too_long.returncode == 1, too_long.stdout + too_long.stderr
    assert f"does not fit: {tight.group(1)}/{tight.group(2)}:" in too_long.stdout
    assert "does not fit slot 'message'" in too_long.stdout


def test_a_bad_catalogue_is_one_located_line_and_nothing_is_written(campaign):
    root, po = campaign
    before = (root / "messages.yaml").read_bytes()
    text = po.decode().replace('msgctxt "messages.kettle.text"', 'msgctxt "messages.kettel.text"')
    text = text.replace('msgstr "Bouilloires, lampes', 'msgstr "XBouilloires, lampes')
    (root / "fr.po").write_text(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "kettel" in s) + 1  # the entry's msgid line
    result = run_cli("strings", "import", "fr.po", cwd=root)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: fr.po:{line}: msgctxt 'messages.kettel.text' names no text of messages.yaml; keep the msgctxt lines as exported"
    ]
    assert (root / "messages.yaml").read_bytes() == before
