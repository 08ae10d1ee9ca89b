"""One poster compared with its reference rendering, pixel by pixel, within a stated tolerance.

Tolerance: per-channel |difference| <= 8 on all but 0.1 % of pixels, and a mean difference
below 0.5 — enough for anti-aliasing changes between cairo builds, far too little for a moved,
resized or recoloured element. Refresh with POSTER_UPDATE_REFERENCES=1 after an intended change;
on failure the actual image and a difference image are written to tests/_artifacts/.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops

from poster_engine.plan import plan_jobs
from poster_engine.render.job import render_job

REFERENCES = Path(__file__).parent / "reference"
ARTIFACTS = Path(__file__).parent / "_artifacts"
# One poster in French and English: the references were looked at, side by side, when made.
CASES = [
    ("stat-illectronisme", "instagram", "fr"),
    ("choc-cobalt", "instagram", "fr"),
    ("choc-cobalt", "instagram", "en"),
]


def test_reference_images(demo, campaign):
    for poster, fmt, lang in CASES:
        (job,) = plan_jobs(demo, [poster], [fmt], [lang])
        actual = Image.open(io.BytesIO(render_job(demo, job))).convert("RGB")
        name = job.output.replace("/", "-").removesuffix(".png")
        ref_path = REFERENCES / f"{name}.png"
        if os.environ.get("POSTER_UPDATE_REFERENCES") or not ref_path.exists():
            REFERENCES.mkdir(exist_ok=True)
            actual.save(ref_path, optimize=True)
            assert os.environ.get("POSTER_UPDATE_REFERENCES"), f"reference {ref_path.name} was missing; written"
        expected = Image.open(ref_path).convert("RGB")
        assert actual.size == expected.size
        diff = np.abs(np.asarray(actual, dtype=np.int16) - np.asarray(expected, dtype=np.int16))
        over = (diff.max(axis=2) > 8).mean()
        if over > 0.001 or diff.mean() >= 0.5:
            ARTIFACTS.mkdir(exist_ok=True)
            actual.save(ARTIFACTS / f"{name}-actual.png")
            ImageChops.difference(actual, expected).save(ARTIFACTS / f"{name}-diff.png")
        assert over <= 0.001, f"{over:.2%} of pixels differ by more than 8"
        assert diff.mean() < 0.5
