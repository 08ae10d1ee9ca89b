"""Social captions: beside each social image, the post's text (message, figure and source, link,
project.yaml hashtags) in the post's language, within the platform's caption limit."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_cli

from poster_engine.core.diagnostics import PosterError
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import open_project
from poster_engine.render.caption import caption


def _x_length(text: str) -> int:
    """X's count, done independently: every link is 23 characters."""
    return len(re.sub(r"https?://\S+", "x" * 23, text))


def test_build_writes_a_caption_beside_each_social_image(project):
    (project / "project.yaml").write_text("hashtags:\n  fr: [NumeriqueEnLumiere, Cobalt]\n  en: [DigitalSobriety]\n")
    result = run_cli(
        "build",
        "-p",
        "stat-cobalt",
        "-f",
        "instagram",
        "-f",
        "x",
        "-f",
        "a3",
        "-f",
        "story",
        "--lang",
        "fr",
        "--lang",
        "en",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    out = project / "build" / "stat-cobalt"
    fr = (out / "instagram.caption.txt").read_text()
    en = (out / "x-en.caption.txt").read_text()
    assert fr.startswith("Le cobalt") or "cobalt" in fr.split("\n\n")[0].lower()
    assert "Source\u00a0: " in fr and "#NumeriqueEnLumiere #Cobalt" in fr
    assert "Source: " in en and en.rstrip().endswith("#DigitalSobriety")
    assert "https://" in fr
    # print and stories have no caption
    assert not (out / "a3.caption.txt").exists() and not (out / "story.caption.txt").exists()
    entries = {e["file"]: e for e in json.loads((project / "build" / "manifest.json").read_text())["outputs"]}
    assert entries["stat-cobalt/instagram.png"]["caption"] == "stat-cobalt/instagram.caption.txt"
    assert "caption" not in entries["stat-cobalt/a3.pdf"]


@pytest.fixture
def tagged(scratch):
    tags = ", ".join(f"Tag{i}" for i in range(12))
    text = (scratch / "project.yaml").read_text().split("\nhashtags:")[0]
    (scratch / "project.yaml").write_text(text + f"\nhashtags: [{tags}]\n")
    return scratch


def test_instagram_takes_five_hashtags_x_stays_within_280(tagged):
    demo = open_project(tagged)
    for job in plan_jobs(demo, formats=["instagram", "x", "x-card", "linkedin"], langs=["fr", "en"]):
        text = caption(demo, job)
        assert text is not None
        tags = re.findall(r"#\w+", text)
        if job.format.name == "instagram":
            assert tags == [f"#Tag{i}" for i in range(5)], job.output
        if job.format.name.startswith("x"):
            assert _x_length(text) <= 280, (job.output, _x_length(text))
        if job.format.name == "linkedin":
            assert len(tags) == 12 and len(text) <= 3000


def test_a_message_too_long_for_x_is_shortened_at_a_word(scratch):
    path = scratch / "messages.yaml"
    long = " ".join(["Le cobalt de nos batteries passe par des mains d'enfants."] * 8)
    original = "Le cobalt de nos batteries passe par des *mains d'enfants*."
    assert original in path.read_text()
    path.write_text(path.read_text().replace(original, long, 1))
    demo = open_project(scratch)
    jobs = [j for j in plan_jobs(demo, formats=["x"], langs=["fr"]) if demo.campaign.posters[j.poster_id].spec.message]
    shortened = [caption(demo, j) for j in jobs if len(long) > 280]
    assert any(t.split("\n\n")[0].endswith("…") for t in shortened)
    assert all(_x_length(t) <= 280 for t in shortened)
    assert all("https://" in t for t in shortened)  # the link is never dropped


def test_bad_hashtags_are_one_located_line(scratch):
    (scratch / "project.yaml").write_text('hashtags:\n  fr: [bon, "pas bon"]\n')
    with pytest.raises(PosterError) as err:
        open_project(scratch)
    assert (
        str(err.value)
        == "project.yaml:2: hashtags: must be a list of words (letters, digits, _), e.g. [numerique, sobriete]; no spaces"
    )
