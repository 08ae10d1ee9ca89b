"""`poster preflight` on other people's PDFs (issue 15, item 6): each file made on this machine by
another tool gets the verdict a printer's preflight would give it, by check id and message.

Tools: cairo (the engine's own svg_to_pdf, before prepress), rsvg-convert, Inkscape's PDF export,
Ghostscript's ps2pdf (Helvetica, not embedded), qpdf (encrypted copies), pikepdf (a hand-made
two-page file with JavaScript, an annotation in the trim, white set to overprint, an RGB blend space
on its second page only). LibreOffice is not installed on the project's machines (a 300 MB
dependency for one test), so it is not among them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import ROOT, run_cli

from poster_engine.project.print_profiles import PRESETS
from poster_engine.qa.preflight import preflight

PROFILE = PRESETS["fogra39"]
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm">'
    '<rect width="50" height="50" fill="#FF0000" opacity="0.5"/>'
    '<rect x="60" width="50" height="50" fill="#0000FF" opacity="0.5"/>'
    '<text x="10" y="80" font-family="DejaVu Sans" font-size="20">Text</text></svg>'
)
PS = b"%!PS\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (Hello printer) show showpage\n"


def verdicts(path: Path) -> dict[str, tuple[bool, str]]:
    """check id → (failed, message); a check that appears on several pages fails if any page fails."""
    out: dict[str, tuple[bool, str]] = {}
    for c in preflight(path, PROFILE):
        failed, message = out.get(c.check or "", (False, ""))
        out[c.check or ""] = (failed or c.failed, message if failed else c.message)
    return out


def failed(path: Path) -> set[str]:
    return {check for check, (bad, _) in verdicts(path).items() if bad}


NOT_PDFX = {"pdfx-version", "trapped", "output-intent", "page-boxes"}


@pytest.fixture(scope="module")
def ps2pdf(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ps2pdf")
    (folder / "h.ps").write_bytes(PS)
    subprocess.run(["ps2pdf", "h.ps", "h.pdf"], cwd=folder, check=True, timeout=60)
    return folder / "h.pdf"


def test_ps2pdf_helvetica_is_not_embedded(ps2pdf):
    with pikepdf.open(ps2pdf) as pdf:  # the standard-14 font as ps2pdf writes it: no descriptor
        (font,) = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"]
        assert "/FontDescriptor" not in font and font.BaseFont == "/Helvetica"
    v = verdicts(ps2pdf)
    assert v["fonts-embedded"] == (True, "not embedded: Helvetica")
    assert v["image-resolution"] == (False, "no images")  # not "0 image(s), lowest 0 ppi"
    assert failed(ps2pdf) == NOT_PDFX | {"fonts-embedded"}


def test_encrypted_files_fail_clearly(ps2pdf, tmp_path):
    user, owner = tmp_path / "user.pdf", tmp_path / "owner.pdf"
    subprocess.run(["qpdf", "--encrypt", "user", "owner", "256", "--", str(ps2pdf), str(user)], check=True)
    subprocess.run(["qpdf", "--encrypt", "", "owner", "256", "--", str(ps2pdf), str(owner)], check=True)
    assert verdicts(user) == {
        "encryption": (
            True,
            "encrypted with a password needed to open it: no printer can read it; send it without a password",
        )
    }
    assert verdicts(owner)["encryption"] == (
        True,
        "encrypted (an owner password restricts it; PDF/X forbids encryption): send it unencrypted",
    )
    result = run_cli("preflight", str(user), cwd=ROOT)  # was: internal error: PasswordError, exit 70
    assert result.returncode == 1 and "internal error" not in result.stderr
    assert result.stdout.splitlines()[1:] == [
        "  encryption  FAIL  encrypted with a password needed to open it: no printer can read it; send it "
        "without a password",
        "  result      FAIL",
    ]


@pytest.mark.parametrize("tool", ["cairo", "rsvg-convert", "inkscape"])
def test_svg_exports_fail_for_rgb_and_their_blend_space(tool, tmp_path):
    """Screen PDFs: RGB colours and RGB transparency groups (the opacity), no PDF/X identification."""
    src, pdf = tmp_path / "t.svg", tmp_path / f"{tool}.pdf"
    src.write_text(SVG)
    if tool == "cairo":
        from poster_engine.export.pdf import svg_to_pdf

        pdf.write_bytes(svg_to_pdf(SVG.encode()))
    elif tool == "rsvg-convert":
        subprocess.run(["rsvg-convert", "-f", "pdf", "-o", str(pdf), str(src)], check=True, timeout=60)
    else:
        if shutil.which("inkscape") is None:
            pytest.fail("inkscape is missing: scripts/install-system-deps.sh test installs it")
        subprocess.run(
            ["inkscape", str(src), "--export-type=pdf", f"--export-filename={pdf}"],
            check=True,
            timeout=120,
            capture_output=True,
        )
    v = verdicts(pdf)
    assert v["no-rgb"][0] and v["blend-space"][0], v
    assert "blend in RGB under a CMYK output intent" in v["blend-space"][1]
    assert failed(pdf) == NOT_PDFX | {"no-rgb", "blend-space"}  # the text's font is embedded by each


def _hand_made(path: Path) -> None:
    """Two pages. Page 1: clean CMYK. Page 2: a DeviceRGB blend space, a white square set to
    overprint, a printable text annotation inside the trim; the document opens with JavaScript."""
    pdf = pikepdf.new()
    for n in range(2):
        page = pdf.add_blank_page(page_size=(200, 200))
        page.obj.TrimBox = [10, 10, 190, 190]
        page.obj.BleedBox = [0, 0, 200, 200]
        if n == 0:
            page.obj.Contents = pdf.make_stream(b"0 0 0 1 k 20 20 50 50 re f")
            continue
        page.obj.Group = pikepdf.Dictionary(
            Type=pikepdf.Name.Group, S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB
        )
        page.obj.Resources = pikepdf.Dictionary(
            ExtGState=pikepdf.Dictionary(OP1=pikepdf.Dictionary(OP=True, op=True, OPM=1))
        )
        page.obj.Contents = pdf.make_stream(b"0.5 0 0 0 k 0 0 200 200 re f q /OP1 gs 0 0 0 0 k 50 50 40 40 re f Q")
        page.obj.Annots = pdf.make_indirect(
            pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[60, 60, 80, 80], F=4, Contents="fix"
                    ),
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.PrinterMark, Rect=[0, 0, 9, 9], F=4
                    ),
                ]
            )
        )
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert('hi')")
    pdf.save(path)


def test_every_page_and_what_pdfx_forbids(tmp_path):
    path = tmp_path / "hand.pdf"
    _hand_made(path)
    v = verdicts(path)
    assert v["blend-space"] == (
        True,
        "1 transparency group(s) blend in RGB under a CMYK output intent (colours shift when the RIP "
        "flattens them), first: page 2 (/DeviceRGB)",
    )
    assert v["white-overprint"] == (True, "white set to overprint disappears on press: 'f' in page 2")
    assert v["annotations"] == (True, "1: page 2: a printable Text annotation inside the trim (forbidden in PDF/X)")
    assert v["actions"] == (True, "forbidden in PDF/X: an open action running JavaScript (/OpenAction)")
    assert "no-rgb" not in failed(path)  # the group's space is the only RGB: reported once, as a blend space


def test_our_own_pdf_passes_every_check(demo, tmp_path):
    from poster_engine.api import render_one

    _, data = render_one(demo, "film-sang-et-boue", "a4", "fr")  # black overprint, a photo, opacity
    path = tmp_path / "ours.pdf"
    path.write_bytes(data)
    assert failed(path) == set()
    assert re.fullmatch(r"1 image\(s\), lowest \d+ ppi \(need 300\)", verdicts(path)["image-resolution"][1])
    checks = {c.check for c in preflight(path, PROFILE)}
    assert {"blend-space", "white-overprint", "actions", "annotations", "fonts-embedded"} <= checks
