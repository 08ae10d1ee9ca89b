"""Any PDF + a print profile → PASS/FAIL checks a printer would run (PDF/X-4, boxes, colour, ink, images).

Reads the file with pikepdf only (no rendering), so it works on designers' PDFs as well as ours.
The checklist follows docs/print.md §3 and §12.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from poster_engine.core.diagnostics import Diagnostic
from poster_engine.core.formats import is_large_print
from poster_engine.core.geometry import PT_PER_MM
from poster_engine.project.print_profiles import PrintProfile

RGB_SPACES = {"/DeviceRGB", "/CalRGB"}


def _check(name: str, ok: bool, detail: str) -> Diagnostic:
    """One preflight check: a passed one is kept as `info` (the PASS rows of the table)."""
    return Diagnostic(detail, severity="info" if ok else "error", check=name)


@dataclass
class _Scan:
    """What walking every content stream found."""

    rgb: list[str] = field(default_factory=list)
    rgb_groups: list[str] = field(default_factory=list)  # transparency groups blending in RGB
    white_overprint: list[str] = field(default_factory=list)
    spots: set[str] = field(default_factory=set)  # Separation / DeviceN colourant names
    transparency: list[str] = field(default_factory=list)  # groups, soft masks, opacity, blend modes
    max_ink: float = 0.0  # fraction, 1.0 = 100 %
    ink_where: str = ""
    images: list[tuple[str, float]] = field(default_factory=list)  # (description, effective ppi)
    problems: list[str] = field(default_factory=list)


def _space_name(cs) -> str:
    """A colour space object → a readable name ('/DeviceRGB', '/ICCBased(3)', …)."""
    import pikepdf

    if isinstance(cs, pikepdf.Name):
        return str(cs)
    if isinstance(cs, pikepdf.Array) and len(cs):
        head = str(cs[0])
        if head == "/ICCBased":
            return f"/ICCBased({int(cs[1].get('/N', 0))})"
        if head == "/Indexed":
            return f"/Indexed({_space_name(cs[1])})"
        return head
    return str(cs)


def _is_rgb(name: str) -> bool:
    return name in RGB_SPACES or name in ("/ICCBased(3)", "/Indexed(/DeviceRGB)", "/Indexed(/ICCBased(3))")


def _mul(m, n):
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


INK_AREA_PX = 4  # ink is measured over 4 × 4 pixel areas (0.34 mm at 300 ppi), not single pixels


def _image_ink(xobj) -> float:
    """Largest C+M+Y+K of a CMYK image (fraction), averaged over small areas as printers' preflight
    tools do: isolated JPEG ringing pixels are not a density a press can print."""
    import numpy as np
    import pikepdf

    # The colour image alone: with its soft mask applied, pikepdf turns a CMYK image into RGBA.
    image = pikepdf.PdfImage(xobj).as_pil_image(apply_mask=False)
    if image.mode != "CMYK":
        return 0.0
    total = np.asarray(image).sum(axis=2, dtype=np.uint16)
    decode = [float(v) for v in xobj.get("/Decode", [])]
    if decode[:2] == [1.0, 0.0] and image.info.get("adobe") is None:
        total = 4 * 255 - total  # an inverted Decode array that the decoder did not already apply
    n = INK_AREA_PX
    h, w = (total.shape[0] // n) * n, (total.shape[1] // n) * n
    if h and w:
        total = total[:h, :w].reshape(h // n, n, w // n, n).mean(axis=(1, 3))
    return float(total.max()) / 255


PAINTS = {"f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "Tj", "TJ", "'", '"', "sh", "Do"}
STROKES = {"S", "s", "B", "B*", "b", "b*"}


def _white(operands, name: str) -> bool:
    """Whether a colour operator sets white (no ink)."""
    if name not in ("k", "K", "g", "G", "rg", "RG"):
        return False  # a pattern, a Separation tint (0 would be no ink, left aside), an initial colour
    try:
        values = [float(v) for v in operands]
    except (TypeError, ValueError):
        return False
    if name in ("k", "K"):
        return len(values) == 4 and not any(values)
    if name in ("g", "G"):
        return values == [1.0]
    if name in ("rg", "RG"):
        return values == [1.0, 1.0, 1.0]
    return False


def _walk(owner, resources, ctm, scan: _Scan, seen: set, where: str) -> None:
    import pikepdf

    stack = []
    # overprint on (fill, stroke) and white colour (fill, stroke): white set to overprint disappears
    op_state = [False, False, False, False]
    for operands, op in pikepdf.parse_content_stream(owner):  # type: ignore[misc]  # (operands, operator) pairs
        name = str(op)
        if name in ("k", "g", "rg", "sc", "scn", "cs"):
            op_state[2] = _white(operands, name)
        elif name in ("K", "G", "RG", "SC", "SCN", "CS"):
            op_state[3] = _white(operands, name)
        elif name == "gs" and resources is not None:
            gs = (resources.get("/ExtGState") or {}).get(operands[0])
            if gs is not None:
                stroke = gs.get("/OP")
                fill = gs.get("/op", stroke)
                if stroke is not None:
                    op_state[1] = bool(stroke)
                if fill is not None:
                    op_state[0] = bool(fill)
        elif name in PAINTS and name not in ("sh", "Do"):
            fills = name not in ("S", "s")
            strokes = name in STROKES
            if (fills and op_state[0] and op_state[2]) or (strokes and op_state[1] and op_state[3]):
                scan.white_overprint.append(f"'{name}' in {where}")
        if name == "q":
            stack.append((ctm, list(op_state)))
        elif name == "Q":
            ctm, op_state = stack.pop() if stack else (ctm, op_state)
        elif name == "cm":
            ctm = _mul(tuple(float(v) for v in operands), ctm)
        elif name in ("rg", "RG"):
            scan.rgb.append(f"'{name}' operator in {where}")
        elif name in ("k", "K"):
            total = sum(float(v) for v in operands)
            if total > scan.max_ink:
                scan.max_ink, scan.ink_where = total, f"colour {' '.join(f'{float(v):g}' for v in operands)} in {where}"
        elif name in ("cs", "CS") and resources is not None:
            cs = operands[0]
            space = (
                cs
                if str(cs).startswith("/Device") or str(cs) == "/Pattern"
                else (resources.get("/ColorSpace") or {}).get(cs, cs)
            )
            if _is_rgb(_space_name(space)):
                scan.rgb.append(f"colour space {_space_name(space)} in {where}")
            _spots(space, scan)
        elif name == "INLINE IMAGE":
            scan.problems.append(f"inline image in {where} (cannot be checked)")
        elif name == "Do" and resources is not None:
            xobj = resources["/XObject"][operands[0]]
            if xobj.get("/Subtype") == "/Form":
                matrix = tuple(float(v) for v in xobj.get("/Matrix", (1, 0, 0, 1, 0, 0)))
                if xobj.objgen not in seen or xobj.objgen == (0, 0):
                    seen.add(xobj.objgen)
                    _walk(xobj, xobj.get("/Resources"), _mul(matrix, ctm), scan, seen, f"form {operands[0]}")
            elif xobj.get("/Subtype") == "/Image" and not xobj.get("/ImageMask"):
                space = _space_name(xobj.get("/ColorSpace"))
                label = f"image {operands[0]} ({int(xobj.Width)}×{int(xobj.Height)} px, {space})"
                if _is_rgb(space):
                    scan.rgb.append(label)
                # Placed size: the unit square through the CTM (lengths of its two edge vectors).
                w_pt = (ctm[0] ** 2 + ctm[1] ** 2) ** 0.5
                h_pt = (ctm[2] ** 2 + ctm[3] ** 2) ** 0.5
                if w_pt and h_pt:
                    scan.images.append((label, min(int(xobj.Width) / (w_pt / 72), int(xobj.Height) / (h_pt / 72))))
                if space == "/DeviceCMYK":
                    ink = _image_ink(xobj)
                    if ink > scan.max_ink:
                        scan.max_ink, scan.ink_where = ink, label
    if resources is not None:
        for key in ("/Shading",):
            for sname, sh in (resources.get(key) or {}).items():
                if _is_rgb(_space_name(sh.get("/ColorSpace"))):
                    scan.rgb.append(f"shading {sname} in {where}")
        for pname, pat in (resources.get("/Pattern") or {}).items():
            if pat.get("/PatternType") == 2 and _is_rgb(_space_name(pat.Shading.get("/ColorSpace"))):
                scan.rgb.append(f"gradient {pname} in {where}")
            elif pat.get("/PatternType") == 1 and pat.objgen not in seen:
                seen.add(pat.objgen)
                _walk(pat, pat.get("/Resources"), ctm, scan, seen, f"pattern {pname}")
        for gname, gs in (resources.get("/ExtGState") or {}).items():
            if any(k in gs and float(gs[k]) < 1 for k in ("/ca", "/CA")):
                scan.transparency.append(f"opacity in {gname} of {where}")
            if isinstance(gs.get("/SMask"), pikepdf.Dictionary):
                scan.transparency.append(f"soft mask in {gname} of {where}")
            if gs.get("/BM") not in (None, "/Normal", "/Compatible"):
                scan.transparency.append(f"blend mode {gs.get('/BM')} in {gname} of {where}")
            if "/TR" in gs or "/TR2" in gs and gs.TR2 != "/Default":
                scan.problems.append(f"transfer function in {gname} (forbidden in PDF/X)")
            smask = gs.get("/SMask")
            if hasattr(smask, "get") and smask.get("/G") is not None and smask.G.objgen not in seen:
                seen.add(smask.G.objgen)
                _walk(smask.G, smask.G.get("/Resources"), ctm, scan, seen, f"soft mask of {gname}")
        for cs in (resources.get("/ColorSpace") or {}).values():
            _spots(cs, scan)
    group = owner.get("/Group")
    if group is not None and group.get("/S") == "/Transparency":
        scan.transparency.append(f"transparency group of {where}")
    if group is not None and _is_rgb(_space_name(group.get("/CS"))):
        scan.rgb_groups.append(f"{where} ({_space_name(group.get('/CS'))})")


def _spots(space, scan: _Scan) -> None:
    """Colourant names of a Separation or DeviceN space (registration '/All' and '/None' excepted)."""
    import pikepdf

    if isinstance(space, pikepdf.Array) and len(space) > 1:
        if space[0] == "/Separation":
            names = [space[1]]
        elif space[0] == "/DeviceN":
            names = list(space[1])
        else:
            return
        scan.spots.update(
            str(n)[1:] for n in names if str(n) not in ("/All", "/None", "/Cyan", "/Magenta", "/Yellow", "/Black")
        )


def _boxes(pdf, profile: PrintProfile) -> list[Diagnostic]:
    out = []
    for i, page in enumerate(pdf.pages, 1):
        obj = page.obj
        media = [float(v) for v in obj.MediaBox]
        if "/TrimBox" not in obj:
            out.append(_check("page-boxes", False, f"page {i}: no TrimBox (the printer cannot know the trim size)"))
            continue
        if "/ArtBox" in obj:
            out.append(_check("page-boxes", False, f"page {i}: has both TrimBox and ArtBox (PDF/X allows one)"))
            continue
        trim = [float(v) for v in obj.TrimBox]
        bleed = [float(v) for v in obj.get("/BleedBox", obj.MediaBox)]

        def inside(a: list[float], b: list[float]) -> bool:
            return a[0] >= b[0] - 0.01 and a[1] >= b[1] - 0.01 and a[2] <= b[2] + 0.01 and a[3] <= b[3] + 0.01

        if not (inside(trim, bleed) and inside(bleed, media)):
            out.append(_check("page-boxes", False, f"page {i}: boxes not nested TrimBox ⊆ BleedBox ⊆ MediaBox"))
            continue
        margin = min(trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3]) / PT_PER_MM
        size = f"{(trim[2] - trim[0]) / PT_PER_MM:.1f} × {(trim[3] - trim[1]) / PT_PER_MM:.1f} mm"
        if margin + 0.05 < profile.bleed_mm:
            out.append(
                _check("bleed", False, f"page {i}: bleed {margin:.1f} mm, the profile needs {profile.bleed_mm:g} mm")
            )
        else:
            out.append(_check("bleed", True, f"page {i}: trim {size}, bleed {margin:.1f} mm"))
        out.append(_check("page-boxes", True, f"page {i}: TrimBox, BleedBox, MediaBox nested"))
    return out


def preflight(path: Path, profile: PrintProfile) -> list[Diagnostic]:
    """Every check of `path` against `profile`. Never raises for a bad PDF: that is a FAIL."""
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return [
            _check(
                "encryption",
                False,
                "encrypted with a password needed to open it: no printer can read it; send it without a password",
            )
        ]
    except (pikepdf.PdfError, OSError) as exc:
        return [_check("readable", False, f"not a readable PDF ({exc})")]
    with pdf:
        checks = [_check("readable", True, f"{len(pdf.pages)} page(s)")]
        version = pdf.pdf_version
        highest = (1, 6) if profile.pdfx == "4" else (1, 4)
        checks.append(
            _check(
                "pdf-version",
                tuple(map(int, version.split("."))) <= highest,
                f"PDF {version}"
                + (
                    ""
                    if tuple(map(int, version.split("."))) <= highest
                    else f" ({profile.pdf_flavour} is based on PDF {highest[0]}.{highest[1]})"
                ),
            )
        )
        checks.append(
            _check(
                "encryption",
                not pdf.is_encrypted,
                "none"
                if not pdf.is_encrypted
                else "encrypted (an owner password restricts it; PDF/X forbids encryption): send it unencrypted",
            )
        )
        want = profile.pdf_flavour
        if profile.pdfx == "4":  # X-4 is identified in XMP
            try:
                pdfx = pdf.open_metadata().get("{http://www.npes.org/pdfx/ns/id/}GTS_PDFXVersion", "")
            except Exception:
                pdfx = ""
            said = f"XMP says {pdfx!r}" if pdfx else f"no GTS_PDFXVersion in XMP (need {want})"
            ok = str(pdfx).startswith(want)
        else:  # X-1a and X-3 in Info (and X-1a's conformance level)
            pdfx = str(pdf.docinfo.get("/GTS_PDFXVersion", ""))
            conformance = str(pdf.docinfo.get("/GTS_PDFXConformance", ""))
            ok = pdfx == want and (profile.pdfx != "1a" or conformance == want)
            said = (
                f"Info says {pdfx!r}" + (f", conformance {conformance!r}" if profile.pdfx == "1a" else "")
                if pdfx
                else f"no GTS_PDFXVersion in Info (need {want})"
            )
        checks.append(_check("pdfx-version", ok, said))
        trapped = pdf.docinfo.get("/Trapped")
        checks.append(_check("trapped", str(trapped) in ("/True", "/False"), f"Trapped = {trapped}"))
        intents = [oi for oi in pdf.Root.get("/OutputIntents", []) if oi.get("/S") == "/GTS_PDFX"]
        if len(intents) != 1:
            checks.append(_check("output-intent", False, f"{len(intents)} GTS_PDFX output intents (need exactly 1)"))
        else:
            oi = intents[0]
            prof = oi.get("/DestOutputProfile")
            ident = str(oi.get("/OutputConditionIdentifier", ""))
            if prof is None:
                checks.append(_check("output-intent", False, "no embedded DestOutputProfile (required by PDF/X-4)"))
            else:
                head = prof.read_bytes()[:20]
                ok = int(prof.get("/N", 0)) == 4 and head[12:16] == b"prtr" and head[16:20] == b"CMYK"
                same = ident == profile.output_condition_identifier
                checks.append(
                    _check(
                        "output-intent",
                        ok and same,
                        f"{ident}, profile N={int(prof.get('/N', 0))} class {head[12:16].decode(errors='replace')}"
                        + ("" if same else f" (profile expects {profile.output_condition_identifier})"),
                    )
                )
        checks.extend(_boxes(pdf, profile))
        scan, seen = _Scan(), set[tuple[int, int]]()
        for i, page in enumerate(pdf.pages, 1):
            _walk(page.obj, page.obj.get("/Resources"), (1, 0, 0, 1, 0, 0), scan, seen, f"page {i}")
        checks.append(
            _check(
                "blend-space",
                not scan.rgb_groups,
                "no transparency group blends in RGB"
                if not scan.rgb_groups
                else f"{len(scan.rgb_groups)} transparency group(s) blend in RGB under a CMYK output intent "
                f"(colours shift when the RIP flattens them), first: {scan.rgb_groups[0]}",
            )
        )
        checks.append(
            _check(
                "no-rgb",
                not scan.rgb,
                "every painted colour is CMYK or grey"
                if not scan.rgb
                else f"{len(scan.rgb)} RGB use(s), first: {scan.rgb[0]}",
            )
        )
        limit = profile.ink_limit
        checks.append(
            _check(
                "ink-limit",
                scan.max_ink * 100 <= limit + 0.5,
                f"max {scan.max_ink * 100:.0f} % (limit {limit:g} %)"
                + (f" at {scan.ink_where}" if scan.max_ink * 100 > limit + 0.5 else ""),
            )
        )
        if profile.pdfx != "4":
            checks.append(
                _check(
                    "transparency",
                    not scan.transparency,
                    "none (flattened)"
                    if not scan.transparency
                    else f"{want} forbids transparency: {len(scan.transparency)} use(s), first: {scan.transparency[0]}",
                )
            )
        checks.append(
            _check(
                "white-overprint",
                not scan.white_overprint,
                "no white object overprints"
                if not scan.white_overprint
                else f"white set to overprint disappears on press: {scan.white_overprint[0]}",
            )
        )
        checks.extend(_actions(pdf))
        checks.extend(_annotations(pdf))
        if scan.spots:
            checks.append(_check("spot-colours", True, "spot inks: " + ", ".join(sorted(scan.spots))))
        fonts = _fonts(pdf)
        checks.append(
            _check(
                "fonts-embedded",
                not fonts,
                "all fonts embedded (or text as outlines)" if not fonts else f"not embedded: {', '.join(fonts)}",
            )
        )
        trim_w = (
            max(
                (float(p.obj.TrimBox[2]) - float(p.obj.TrimBox[0])) / PT_PER_MM
                for p in pdf.pages
                if "/TrimBox" in p.obj
            )
            if any("/TrimBox" in p.obj for p in pdf.pages)
            else 0
        )
        need = profile.min_ppi_for(is_large_print(trim_w))
        low = [(label, ppi) for label, ppi in scan.images if ppi + 0.5 < need]
        checks.append(
            _check(
                "image-resolution",
                not low,
                f"{low[0][0]} at {low[0][1]:.0f} ppi, need {need:g}"
                if low
                else f"{len(scan.images)} image(s), lowest {min(p for _, p in scan.images):.0f} ppi (need {need:g})"
                if scan.images
                else "no images",
            )
        )
        checks.append(_check("other", not scan.problems, "; ".join(scan.problems) or "no forbidden features"))
        return checks


def _fonts(pdf) -> list[str]:
    """Fonts whose glyphs are not in the file, every kind: a simple font (Type 1, TrueType, MM) or a
    CIDFont without a font program, and the standard 14 written without a descriptor (ps2pdf's
    Helvetica), which the printer's RIP would substitute. Type 3 fonts are drawn by the file itself."""
    import pikepdf

    missing: set[str] = set()
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        subtype = obj.get("/Subtype")
        if subtype in ("/Type3", "/Type0"):
            continue  # Type 0 fonts are checked through their descendant CIDFont (also a /Font)
        descriptor = obj.get("/FontDescriptor")
        embedded = isinstance(descriptor, pikepdf.Dictionary) and any(
            k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
        )
        if not embedded:
            missing.add(str(obj.get("/BaseFont", "?")).lstrip("/"))
    return sorted(missing)


ACTION_KEYS = ("/OpenAction", "/AA", "/JavaScript")


def _actions(pdf) -> list[Diagnostic]:
    """JavaScript and actions (open actions, additional actions), forbidden in PDF/X [PF][KO]."""
    import pikepdf

    found = []
    root = pdf.Root
    opening = root.get("/OpenAction")
    if isinstance(opening, pikepdf.Dictionary):  # an action; a destination array only opens a page
        running = "running JavaScript " if opening.get("/S") == "/JavaScript" else ""
        found.append(f"an open action {running}(/OpenAction)")
    if "/AA" in root:
        found.append("document actions (/AA)")
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        found.append("document JavaScript (/Names /JavaScript)")
    for i, page in enumerate(pdf.pages, 1):
        if "/AA" in page.obj:
            found.append(f"page {i} actions (/AA)")
        for annot in page.obj.get("/Annots") or []:
            action = annot.get("/A")
            if isinstance(action, pikepdf.Dictionary) and action.get("/S") == "/JavaScript" or "/AA" in annot:
                found.append(f"page {i}: an annotation with JavaScript or actions")
    if not found and any(isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/JavaScript" for o in pdf.objects):
        found.append("a JavaScript action")
    found = list(dict.fromkeys(found))
    return [
        _check(
            "actions",
            not found,
            "no JavaScript or actions" if not found else "forbidden in PDF/X: " + "; ".join(found),
        )
    ]


def _annotations(pdf) -> list[Diagnostic]:
    """Printable annotations inside the trim (the page's artwork) are forbidden in PDF/X [PF][KO];
    printer's marks (/PrinterMark) are allowed, as are annotations outside the trim."""
    out = []
    for i, page in enumerate(pdf.pages, 1):
        box = [float(v) for v in page.obj.get("/TrimBox", page.obj.MediaBox)]
        for annot in page.obj.get("/Annots") or []:
            subtype = str(annot.get("/Subtype", "?"))
            rect = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
            x0, x1 = sorted(rect[0::2])
            y0, y1 = sorted(rect[1::2])
            inside = x0 < box[2] and x1 > box[0] and y0 < box[3] and y1 > box[1]
            printable = int(annot.get("/F", 0)) & 4
            if inside and printable and subtype != "/PrinterMark":
                out.append(f"page {i}: a printable {subtype[1:]} annotation inside the trim")
    return [
        _check(
            "annotations",
            not out,
            "no printable annotation inside the trim" if not out else f"{len(out)}: {out[0]} (forbidden in PDF/X)",
        )
    ]


def format_table(path: str, checks: list[Diagnostic]) -> str:
    width = max(len(c.check or "") for c in checks)
    lines = [f"{path}"]
    lines += [f"  {c.check or '':<{width}}  {'FAIL' if c.failed else 'PASS'}  {c.message}" for c in checks]
    verdict = "FAIL" if any(c.failed for c in checks) else "PASS"
    lines.append(f"  {'result':<{width}}  {verdict}")
    return "\n".join(lines)
