"""Soft proof and gamut (issue 15, item 7; docs/print.md §6b).

The print PDF, rasterised by Ghostscript and converted back to sRGB through the profile, against the
screen rendering of the same composition (the renderer of the social PNGs): on large flat areas, every
colour the engine converts that the profile can print (round trip within 2) proofs within ΔE2000 2
(brand swatches print the brand book's values, which the soft proof shows) — semi-transparent shapes
over flat colour included, which used to blend in CMYK and proof 5.6–8.6 away. `poster check` warns,
per poster, about the colours outside the gamut, with their slots and the nearest printable colour.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from poster_engine.core.color import delta_e_2000, srgb_to_lab, to_hex
from poster_engine.export.print.softproof import cmyk_to_srgb, soft_proof


def flat_colours(demo, poster: str, fmt: str = "a4", ppi: float = 50) -> list[tuple[str, int, str, float, float]]:
    """(screen colour, pixels, proof colour, ΔE2000 screen → proof, ΔE2000 of the profile's round trip)
    for every colour covering at least 30 pixels whose 7 × 7 neighbourhood is that colour alone."""
    from poster_engine.export.print.colors import converter_for
    from poster_engine.plan import plan_jobs
    from poster_engine.render.job import render_job, render_screen

    (job,) = plan_jobs(demo, [poster], [fmt])
    proof = np.asarray(soft_proof(render_job(demo, job), demo.print_settings, ppi, trim=False), dtype=np.int32)
    _, png = render_screen(demo, job, max(proof.shape[:2]))
    screen = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int32)
    h, w = min(proof.shape[0], screen.shape[0]), min(proof.shape[1], screen.shape[1])
    proof, screen = proof[:h, :w], screen[:h, :w]
    flat = np.ones((h, w), bool)
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            flat &= (np.roll(screen, (dy, dx), (0, 1)) == screen).all(axis=2)
    flat[:3] = flat[-3:] = False
    flat[:, :3] = flat[:, -3:] = False
    conv = converter_for(demo.print_settings)
    out = []
    keys = screen[..., 0] * 65536 + screen[..., 1] * 256 + screen[..., 2]
    values, counts = np.unique(keys[flat], return_counts=True)
    for value, count in zip(values.tolist(), counts.tolist()):
        if count < 30:
            continue
        rgb = (value >> 16, (value >> 8) & 255, value & 255)
        proofed = tuple(int(v) for v in np.median(proof[flat & (keys == value)], axis=0))
        cmyk = conv.convert_icc(rgb)
        pixel = Image.frombytes("CMYK", (1, 1), bytes(round(v * 255) for v in cmyk))
        round_trip = cmyk_to_srgb(pixel, demo.print_settings).getpixel((0, 0))
        lab = srgb_to_lab(rgb)
        out.append(
            (
                to_hex(rgb),
                count,
                to_hex(proofed),
                delta_e_2000(lab, srgb_to_lab(proofed)),
                delta_e_2000(lab, srgb_to_lab(round_trip)),
            )
        )
    return out


@pytest.mark.parametrize("poster", ["choc-cobalt", "film-ma-femme-a-du-credit", "stat-cobalt"])
def test_printable_flat_colours_proof_within_2(demo, poster):
    colours = flat_colours(demo, poster)
    # Brand swatches print the brand book's values, whatever the screen shows (#111418's rich black
    # 60/40/40/100 proofs deeper than the screen's near-black, ΔE2000 4.7): the engine converts the rest.
    swatches = demo.print_settings.swatches
    printable = [c for c in colours if c[4] <= 2.0 and c[0] not in swatches]
    assert len(printable) >= 1, colours
    worst = max(printable, key=lambda c: c[3])
    assert worst[3] <= 2.0, printable
    if poster == "choc-cobalt":
        # The mine illustration: black at 28 % and 25 % over the cobalt blue (#2F5DA8) and the
        # blue shapes at 28 % over the grey sky: opaque colours composited as the screen does.
        shown = {c[0]: c for c in colours}
        for mixed in ("#224379", "#19325B", "#6684A8"):
            assert mixed in shown and shown[mixed][3] <= 1.0, shown.get(mixed)


def test_gamut_warnings_name_the_colour_the_slots_and_the_nearest_printable_colour(project):
    result = run_cli("check", "--json", "-p", "film-sang-et-boue", "-p", "stat-cobalt", cwd=project)
    found = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "gamut"]
    assert [(f["where"], f["slot"], f["severity"]) for f in found] == [("film-sang-et-boue/a3", "brand", "warning")]
    assert found[0]["message"] == (
        "slots 'brand', 'film-credits': #7A1FA2 is outside FOGRA39's gamut: the nearest colour it prints "
        "is #6B2A87 (ΔE2000 4.8 > 3); choose a printable colour, or accept the shift (poster proof "
        "--softproof shows it)"
    )
    # stat-cobalt's colours (#FFD400 yellow, #B3261E red, #111418 near-black) are all printable.


def test_softproof_proof_sheet_shows_what_the_paper_will(demo):
    """The signal green #2EE6A6 (outside FOGRA39) on screen, and as its brand swatch 60/0/50/0 prints."""
    from poster_engine.plan import plan_jobs
    from poster_engine.qa.proof import _thumbnail

    (job,) = plan_jobs(demo, ["stat-ressources"], ["a4"])
    screen = np.asarray(_thumbnail(demo, job, (200, 283)), dtype=np.int32).reshape(-1, 3)
    proof = np.asarray(_thumbnail(demo, job, (200, 283), softproof=True), dtype=np.int32).reshape(-1, 3)

    def near(pixels, colour, tolerance=4):
        return int((np.abs(pixels - np.array(colour)).max(axis=1) <= tolerance).sum())

    assert near(screen, (0x2E, 0xE6, 0xA6)) > 100 and near(proof, (0x2E, 0xE6, 0xA6)) == 0
    assert near(proof, (0x6B, 0xBE, 0x98)) > 100  # 60/0/50/0 through the profile
