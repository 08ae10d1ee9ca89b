"""Provenance travels with the poster: the statistics' sources and years, the visual's credit and
licence and the fonts' licences reach every output's alt text, its manifest entry and the gallery;
`poster check` stops a visual without a licence and warns about one without an author."""

from __future__ import annotations

import json
import re

import pytest

from poster_engine.batch.build import build
from poster_engine.compose.fields import poster_fields
from poster_engine.core.diagnostics import PosterError
from poster_engine.plan import plan_jobs
from poster_engine.project.loader import open_project
from poster_engine.qa.check import _content_findings
from poster_engine.render.provenance import Provenance


@pytest.fixture(scope="module")
def small_build(tmp_path_factory, demo):
    out = tmp_path_factory.mktemp("prov")
    jobs = plan_jobs(demo, posters=["choc-cobalt", "information"], formats=["instagram", "a3"], langs=["fr", "en"])
    report = build(demo, jobs, out, contact=False)
    assert not report.errors
    return out


def test_alt_text_lists_sources_visual_credit_and_font_licences(small_build):
    fr = (small_build / "choc-cobalt" / "instagram.png.alt.txt").read_text()
    en = (small_build / "choc-cobalt" / "instagram-en.png.alt.txt").read_text()
    assert "Sources\u00a0: UNICEF, 2014." in fr
    assert (
        "Visuel\u00a0: poster-engine contributors\u00a0· CC0-1.0 (drawn for this campaign, see visuals/LICENSE.md, 2026)."
        in fr
    )
    assert "Polices\u00a0: Inter, Inter Display (SIL Open Font License 1.1)." in fr
    assert "Sources: UNICEF, 2014. Visual: poster-engine contributors\u00a0· CC0-1.0" in en
    assert "Fonts: Inter, Inter Display (SIL Open Font License 1.1)." in en


def test_manifest_entry_carries_provenance_of_what_the_output_shows(small_build, demo):
    entries = {e["file"]: e for e in json.loads((small_build / "manifest.json").read_text())["outputs"]}
    choc = entries["choc-cobalt/a3.pdf"]["provenance"]
    assert choc == {
        "sources": ["UNICEF, 2014"],
        "visual": {
            "file": "visuals/mine.svg",
            "author": "poster-engine contributors",
            "licence": "CC0-1.0",
            "source": "drawn for this campaign, see visuals/LICENSE.md",
            "year": 2026,
        },
        "fonts": [
            {"family": "Inter", "licence": "SIL Open Font License 1.1"},
            {"family": "Inter Display", "licence": "SIL Open Font License 1.1"},
        ],
    }
    # The information poster shows a list of statistics: each one's source, in messages.yaml's order.
    info = entries["information/a3.pdf"]
    m = demo.campaign.messages
    shown = [
        sid
        for sid in m.stats
        if sid
        in (
            info["reads"]["fields"]
            and {f.split(".")[1] for f in info["reads"]["fields"] if f.startswith("stats.") and f.count(".") > 1}
        )
    ]
    assert len(shown) >= 3
    expected = list(
        dict.fromkeys(
            f"{m.stats[s].source.get('fr')}, {m.stats[s].year}" if m.stats[s].year else m.stats[s].source.get("fr")
            for s in shown
        )
    )
    assert info["provenance"]["sources"] == expected
    assert "visual" not in info["provenance"]
    for source in expected:
        assert source.replace("'", "’") in info["alt"].replace("\u00a0", " ").replace("\u202f", " ")


def test_gallery_shows_each_posters_sources_and_credits(small_build):
    html = (small_build / "index.html").read_text()
    block = re.search(r"<h2>choc-cobalt</h2><p class=\"credits\">(.*?)</p>", html)
    assert block, html[:2000]
    assert "<b>Sources:</b> UNICEF, 2014" in block.group(1)
    assert "visuals/mine.svg: poster-engine contributors · CC0-1.0" in block.group(1)
    assert "Inter (SIL Open Font License 1.1)" in block.group(1)


def test_visual_credit_is_a_field_layouts_can_show(demo):
    campaign = demo.campaign
    fields = poster_fields(campaign, campaign.posters["choc-cobalt"], "fr")
    assert fields["visual.credit"] == "poster-engine contributors\u00a0· CC0-1.0"
    assert fields["visual.licence"] == "CC0-1.0"


def test_a_visual_without_credits_fails_only_where_its_credit_is_shown(scratch):
    text = (scratch / "messages.yaml").read_text()
    (scratch / "messages.yaml").write_text(re.sub(r"  visuals/mine\.svg: \{.*\}\n", "", text))
    campaign = open_project(scratch).campaign
    fields = poster_fields(campaign, campaign.posters["choc-cobalt"], "fr")
    with pytest.raises(PosterError) as err:
        fields["visual.credit"]
    assert str(err.value).startswith(
        "messages.yaml: visual 'visuals/mine.svg' has no credit in messages.yaml; add credits:"
    )


def _credit_findings(root):
    return [str(d) for d in _content_findings(open_project(root).campaign) if d.check == "credits"]


def test_check_demo_and_example_declare_every_visual(demo):
    assert [d for d in _content_findings(demo.campaign) if d.check == "credits"] == []
    example = open_project(demo.root / "examples" / "repair-cafe").campaign
    assert [d for d in _content_findings(example) if d.check == "credits"] == []


def test_check_no_licence_is_an_error_no_author_a_warning(scratch):
    path = scratch / "messages.yaml"
    text = path.read_text()
    text = text.replace(
        "visuals/mine.svg: {author: poster-engine contributors, licence: CC0-1.0,",
        "visuals/mine.svg: {licence: CC0-1.0,",
    )
    text = text.replace(
        "visuals/telephone.svg: {author: poster-engine contributors, licence: CC0-1.0, ",
        "visuals/telephone.svg: {author: A. Person, ",
    )
    text = re.sub(r"  visuals/dechets\.svg: \{.*\}\n", "", text)
    path.write_text(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "visuals/mine.svg:" in s)
    tel = next(i for i, s in enumerate(text.splitlines(), 1) if "visuals/telephone.svg:" in s)
    poster_line = next(
        i
        for i, s in enumerate((scratch / "posters/choc-dechets.yaml").read_text().splitlines(), 1)
        if s.startswith("visual:")
    )
    found = _credit_findings(scratch)
    assert sorted(found) == sorted(
        [
            f"messages.yaml:{line}: warning: visual 'visuals/mine.svg' has no author; the credit line will name none; add author:",
            f"messages.yaml:{tel}: visual 'visuals/telephone.svg' has no licence: nobody may print it until its licence is known; add licence: (an SPDX id such as CC-BY-4.0, or the licence's words)",
            f"posters/choc-dechets.yaml:{poster_line}: visual 'visuals/dechets.svg' has no licence: nobody may print it until its licence is known; add credits: {{visuals/dechets.svg: {{author: …, licence: …, source: …}}}} to messages.yaml",
        ]
    )
    severities = {d.severity for d in _content_findings(open_project(scratch).campaign) if d.check == "credits"}
    assert severities == {"error", "warning"}


def test_provenance_sentences_group_fonts_by_licence():
    from poster_engine.project.fonts import FontLicence

    p = Provenance(
        ("A, 2020", "B"), None, None, (FontLicence("Inter", "OFL"), FontLicence("X", "Apache"), FontLicence("Y", "OFL"))
    )
    assert p.sentences("en") == ["Sources: A, 2020; B.", "Fonts: Inter, Y (OFL); X (Apache)."]
