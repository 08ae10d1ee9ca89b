"""Cairo's RGB PDF → print PDF/X-4: CMYK everywhere it paints, page boxes, crop marks, output intent.

Cairo writes RGB only (`rg`/`RG`, Flate RGB images, RGB shadings, RGB transparency groups; see
docs/print.md §7). Every content stream (page, forms, tiling patterns, soft masks) is parsed and its
colours rewritten by `colors.ColorConverter`; any colour construct cairo is not known to write is an
error, never RGB passed through. Fill sizes are measured in device space (the CTM is tracked) so a
black that is text or a thin rule stays 100 % K while a large black area gets the rich black.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from poster_engine.core.diagnostics import fail
from poster_engine.export.print.colors import ColorConverter, converter_for
from poster_engine.project.print_profiles import PrintSettings

PT_PER_MM = 72 / 25.4
LARGE_AREA_PT = 25 * PT_PER_MM  # a fill at least this wide and tall (both) counts as a large area
SLUG_MM = 10.0  # room beyond the bleed for crop marks
MARK_OFFSET_MM, MARK_LENGTH_MM = 2.0, 6.0  # marks start 2 mm beyond the bleed, 6 mm long
SHADING_SAMPLES = 64
# CMYK JPEG has no chroma subsampling: an A3-wide photo at 300 ppi is 1.7 MB at q75 (mean error
# 1.2/255), 2.4 MB at q85. YCCK with subsampled CMY (libjpeg-turbo) saved nothing on our photo.
JPEG_QUALITY = 75
JPEG_INK_HEADROOM = 0.12  # keep JPEG ringing under the ink limit (see ColorConverter.convert_image)

PATH_OPS = {b"m", b"l", b"c", b"v", b"y", b"re", b"h"}
PAINT_OPS = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"n"}
FILL_OPS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
FORBIDDEN_COLOR_OPS = {b"sc", b"SC"}  # device-dependent forms cairo never writes; refuse rather than guess

# One operator with its operands: numbers, names, arrays, literal and hex strings. Anything the
# pattern cannot read (dictionaries, inline image data) leaves a gap, which is reported as an error.
_OPERAND = (rb"(?:[-+]?(?:\d+\.?\d*|\.\d+)|/[^\s/\[\]()<>{}%]*|\[[^\]]*\]"
            rb"|\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>)")
_OP_RE = re.compile(rb"\s*((?:" + _OPERAND + rb"\s*)*)([A-Za-z'\"][A-Za-z0-9*'\"]*)")

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention: m × n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _rgb8(operands) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(float(v) * 255))) for v in operands)  # type: ignore[return-value]


def _fmt(v: float) -> bytes:
    """A colour component as PDF writes it: 0.15 → b'0.15', 1.0 → b'1'."""
    return (b"%.4f" % v).rstrip(b"0").rstrip(b".") or b"0"


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    fill: tuple[int, int, int] | None = None


class _Rewriter:
    """Rewrites every painted colour of a document to DeviceCMYK (or DeviceGray inside luminosity masks)."""

    def __init__(self, doc, conv: ColorConverter, shown: str):
        self.doc, self.conv, self.shown = doc, conv, shown
        self.done: set[tuple[int, int]] = set()

    def error(self, what: str):
        return fail(f"prepress: {what} is not supported by the CMYK converter; the file was not written", self.shown)

    def _once(self, obj) -> bool:
        key = obj.objgen
        if key == (0, 0):
            return True  # direct object: cannot be shared, always process
        if key in self.done:
            return False
        self.done.add(key)
        return True

    # --- content streams ---------------------------------------------------------------------------
    def stream(self, owner, ctm: Matrix, gray: bool = False) -> None:
        """Rewrite `owner`'s content (a page or a form/pattern stream) and everything it uses.

        One regex pass over the operators, edits applied as byte slices: no object per operand
        (pikepdf's parse/unparse cost 3x more on glyph-heavy pages, see README performance).
        """
        import pikepdf

        resources = owner.get("/Resources")
        is_page = owner.get("/Type") == pikepdf.Name.Page
        if is_page:
            contents = owner.Contents
            parts = contents if isinstance(contents, pikepdf.Array) else [contents]
            data = b"\n".join(part.read_bytes() for part in parts)
        else:
            data = owner.read_bytes()
        edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement); start == end inserts
        stack: list[_State] = []
        st = _State(ctm)
        path_start: int | None = None
        box = [0.0, 0.0, 0.0, 0.0]
        tracking = False  # measure the path only when its colour differs for large areas

        def color_bytes(rgb, stroke: bool, large: bool = False) -> bytes:
            if gray:  # luminosity mask: the colour's luminance is the mask value
                r, g, b = (v / 255 for v in rgb)
                return b"%s %s" % (_fmt(0.2126 * r + 0.7152 * g + 0.0722 * b), b"G" if stroke else b"g")
            values = b" ".join(_fmt(v) for v in self.conv.convert(rgb, large))
            return values + (b" K" if stroke else b" k")

        pos = 0
        for m in _OP_RE.finditer(data):
            if m.start() != pos and data[pos:m.start()].strip():
                raise self.error(f"the content {data[pos:m.start()][:30]!r}")
            pos = m.end()
            op, args = m.group(2), m.group(1)
            if op in PATH_OPS:
                if path_start is None:
                    path_start = m.start(1)
                    tracking = (not gray and st.fill is not None and self.conv.has_large_variant(st.fill))
                    box = [float("inf"), float("inf"), float("-inf"), float("-inf")]
                if tracking:
                    nums = [float(v) for v in args.split()]
                    pts = [(nums[0], nums[1]), (nums[0] + nums[2], nums[1] + nums[3])] if op == b"re" else \
                        list(zip(nums[0::2], nums[1::2]))
                    for x, y in pts:
                        dx, dy = _apply(st.ctm, x, y)
                        box = [min(box[0], dx), min(box[1], dy), max(box[2], dx), max(box[3], dy)]
            elif op in PAINT_OPS:
                if (tracking and op in FILL_OPS and path_start is not None
                        and box[2] - box[0] >= LARGE_AREA_PT and box[3] - box[1] >= LARGE_AREA_PT):
                    # Colour may not change inside a path: set the large-area colour before it, restore after.
                    edits.append((path_start, path_start, color_bytes(st.fill, False, large=True) + b"\n"))
                    edits.append((m.end(2), m.end(2), b"\n" + color_bytes(st.fill, False)))
                path_start, tracking = None, False
            elif op in (b"rg", b"RG"):
                rgb = _rgb8(args.split())
                if op == b"rg":
                    st.fill = rgb
                edits.append((m.start(1), m.end(2), color_bytes(rgb, stroke=op == b"RG")))
            elif op == b"q":
                stack.append(_State(st.ctm, st.fill))
            elif op == b"Q":
                st = stack.pop() if stack else _State(ctm)
            elif op == b"cm":
                st.ctm = _mul(tuple(float(v) for v in args.split()), st.ctm)  # type: ignore[arg-type]
            elif op in FORBIDDEN_COLOR_OPS:
                raise self.error(f"the colour operator '{op.decode()}'")
            elif op in (b"cs", b"CS") and args.strip() not in (b"/Pattern", b"/DeviceGray", b"/DeviceCMYK"):
                raise self.error(f"the colour space {args.strip().decode(errors='replace')}")
            elif op in (b"BI", b"ID", b"EI"):
                raise self.error("an inline image")
            elif op == b"Do":
                self.xobject(resources, pikepdf.Name(args.strip().decode()), st.ctm, gray)
            elif op == b"sh":
                self.shading(resources["/Shading"][pikepdf.Name(args.strip().decode())])
            elif op == b"gs":
                self.extgstate(resources["/ExtGState"][pikepdf.Name(args.strip().decode())], st.ctm)
        if data[pos:].strip():
            raise self.error(f"the content {data[pos:][:30]!r}")
        out, last = [], 0
        for start, end, repl in sorted(edits, key=lambda e: (e[0], e[1])):
            out += [data[last:start], repl]
            last = end
        out.append(data[last:])
        new = b"".join(out)
        if is_page:
            owner.Contents = self.doc.make_stream(new)
        else:
            owner.write(new)
        if resources is not None:
            for pattern in (resources.get("/Pattern") or {}).values():
                self.pattern(pattern, ctm)
            for shading in (resources.get("/Shading") or {}).values():
                self.shading(shading)
        self.group(owner, gray)

    def group(self, owner, gray: bool) -> None:
        import pikepdf

        grp = owner.get("/Group")
        if grp is not None and grp.get("/CS") == pikepdf.Name.DeviceRGB:
            grp.CS = pikepdf.Name.DeviceGray if gray else pikepdf.Name.DeviceCMYK

    def xobject(self, resources, name, ctm: Matrix, gray: bool) -> None:
        xobj = resources["/XObject"][name]
        if xobj.Subtype == "/Form":
            if self._once(xobj):
                matrix = tuple(float(v) for v in xobj.get("/Matrix", IDENTITY))
                self.stream(xobj, _mul(matrix, ctm), gray)  # type: ignore[arg-type]
        elif xobj.Subtype == "/Image" and self._once(xobj):
            self.image(xobj)

    def extgstate(self, gs, ctm: Matrix) -> None:
        smask = gs.get("/SMask")
        if smask is None or not hasattr(smask, "get"):
            return  # /None or absent
        form = smask.get("/G")
        if form is not None and self._once(form):
            # Luminosity masks are computed in their group's colour space: keep them grey, never CMYK.
            self.stream(form, ctm, gray=smask.get("/S") == "/Luminosity")

    def pattern(self, pattern, ctm: Matrix) -> None:
        if not self._once(pattern):
            return
        if pattern.get("/PatternType") == 1:
            self.stream(pattern, ctm)
        elif pattern.get("/PatternType") == 2:
            self.shading(pattern.Shading)

    # --- images and shadings -----------------------------------------------------------------------
    def image(self, xobj) -> None:
        import pikepdf

        cs = xobj.get("/ColorSpace")
        if cs in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceCMYK) or xobj.get("/ImageMask"):
            return
        if cs != pikepdf.Name.DeviceRGB or xobj.get("/BitsPerComponent") != 8:
            raise self.error(f"an image in colour space {cs} ({xobj.get('/BitsPerComponent')} bits)")
        jpeg = _cmyk_jpeg(self.conv, xobj)
        # Pillow writes Adobe-inverted CMYK JPEG, hence the Decode array.
        xobj.write(jpeg, filter=pikepdf.Name.DCTDecode)
        xobj.ColorSpace = pikepdf.Name.DeviceCMYK
        xobj.Decode = pikepdf.Array([1, 0, 1, 0, 1, 0, 1, 0])
        for key in ("/DecodeParms",):
            if key in xobj:
                del xobj[key]

    def shading(self, shading) -> None:
        import pikepdf

        if not self._once(shading) or shading.get("/ColorSpace") != pikepdf.Name.DeviceRGB:
            if shading.get("/ColorSpace") not in (pikepdf.Name.DeviceRGB, pikepdf.Name.DeviceCMYK,
                                                  pikepdf.Name.DeviceGray, None):
                raise self.error(f"a shading in colour space {shading.get('/ColorSpace')}")
            return
        if shading.get("/ShadingType") not in (2, 3):
            raise self.error(f"shading type {shading.get('/ShadingType')}")
        t0, t1 = (float(v) for v in shading.get("/Domain", [0, 1]))
        fn = shading.Function
        samples = bytearray()
        for i in range(SHADING_SAMPLES):
            t = t0 + (t1 - t0) * i / (SHADING_SAMPLES - 1)
            rgb = tuple(max(0, min(255, round(v * 255))) for v in _eval_function(fn, t))
            samples.extend(round(v * 255) for v in self.conv.convert(rgb))  # type: ignore[arg-type]
        # Sampled colorimetrically through the profile, not interpolated between two CMYK ends.
        sampled = pikepdf.Stream(self.doc, bytes(samples), FunctionType=0, Domain=[t0, t1], Size=[SHADING_SAMPLES],
                                 BitsPerSample=8, Range=[0, 1, 0, 1, 0, 1, 0, 1])
        shading.Function = sampled
        shading.ColorSpace = pikepdf.Name.DeviceCMYK


_CMYK_JPEGS: dict[tuple[bytes, int], bytes] = {}  # (sha256 of the image stream, converter id) → JPEG


def _cmyk_jpeg(conv: ColorConverter, xobj) -> bytes:
    """An RGB image XObject → CMYK JPEG bytes, memoised on the image's bytes: the same photo crop
    in another language or a rebuild is converted once per process (pure function of its input)."""
    import pikepdf

    key = (hashlib.sha256(xobj.read_raw_bytes()).digest(), id(conv))
    jpeg = _CMYK_JPEGS.get(key)
    if jpeg is None:
        cmyk = conv.convert_image(pikepdf.PdfImage(xobj).as_pil_image(), headroom=JPEG_INK_HEADROOM)
        buf = io.BytesIO()
        cmyk.save(buf, "JPEG", quality=JPEG_QUALITY)
        jpeg = buf.getvalue()
        if len(_CMYK_JPEGS) >= 16:
            _CMYK_JPEGS.pop(next(iter(_CMYK_JPEGS)))
        _CMYK_JPEGS[key] = jpeg
    return jpeg


def _eval_function(fn, t: float) -> list[float]:
    """Evaluate the PDF function types cairo writes for gradients (2: exponential, 3: stitching)."""
    kind = int(fn.FunctionType)
    if kind == 2:
        c0 = [float(v) for v in fn.get("/C0", [0])]
        c1 = [float(v) for v in fn.get("/C1", [1])]
        n = float(fn.get("/N", 1))
        x = max(0.0, t) ** n
        return [a + x * (b - a) for a, b in zip(c0, c1)]
    if kind == 3:
        d0, d1 = (float(v) for v in fn.Domain)
        t = min(max(t, d0), d1)
        bounds = [float(v) for v in fn.Bounds]
        encode = [float(v) for v in fn.Encode]
        i = next((k for k, b in enumerate(bounds) if t < b), len(bounds))
        lo = d0 if i == 0 else bounds[i - 1]
        hi = d1 if i == len(bounds) else bounds[i]
        e0, e1 = encode[2 * i], encode[2 * i + 1]
        u = e0 if hi == lo else e0 + (t - lo) * (e1 - e0) / (hi - lo)
        return _eval_function(fn.Functions[i], u)
    raise fail(f"prepress: PDF function type {kind} in a gradient is not supported")


def _crop_marks(doc, page, trim: list[float], bleed_pt: float) -> None:
    """Crop marks in the registration colour (all plates), outside the bleed, in a slug around it."""
    import pikepdf

    x0, y0, x1, y1 = trim
    start, length = bleed_pt + MARK_OFFSET_MM * PT_PER_MM, MARK_LENGTH_MM * PT_PER_MM
    lines = []
    for x in (x0, x1):
        for y, sign in ((y0, -1), (y1, 1)):
            lines.append(f"{x:.3f} {y + sign * start:.3f} m {x:.3f} {y + sign * (start + length):.3f} l S")
    for y in (y0, y1):
        for x, sign in ((x0, -1), (x1, 1)):
            lines.append(f"{x + sign * start:.3f} {y:.3f} m {x + sign * (start + length):.3f} {y:.3f} l S")
    all_cs = pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK,
                            pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1)])
    resources = page.obj.Resources
    if "/ColorSpace" not in resources:
        resources.ColorSpace = pikepdf.Dictionary()
    resources.ColorSpace.CSReg = all_cs
    marks = "q /CSReg CS 1 SCN 0.25 w 0 J " + " ".join(lines) + " Q"
    page.contents_add(doc.make_stream(marks.encode()), prepend=False)


def _metadata(doc, title: str, timestamp: datetime, flavour: str) -> None:
    """Info and XMP in sync (PDF/X-4 is identified by XMP), dates fixed for reproducible files."""
    import pikepdf

    date = timestamp.strftime("D:%Y%m%d%H%M%SZ")
    iso = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    doc_id = uuid.UUID(bytes=hashlib.sha256(f"{title}|{iso}".encode()).digest()[:16], version=4)
    with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta.register_xml_namespace("http://www.npes.org/pdfx/ns/id/", "pdfxid")
        meta["dc:title"] = title
        meta["pdf:Producer"] = "poster-engine"
        meta["xmp:CreatorTool"] = "poster-engine"
        meta["pdf:Trapped"] = "False"
        meta["xmp:CreateDate"] = iso
        meta["xmp:ModifyDate"] = iso
        meta["xmp:MetadataDate"] = iso
        meta["xmpMM:DocumentID"] = f"uuid:{doc_id}"
        meta["xmpMM:InstanceID"] = f"uuid:{doc_id}"
        meta["xmpMM:VersionID"] = "1"
        meta["xmpMM:RenditionClass"] = "default"
        meta["{http://www.npes.org/pdfx/ns/id/}GTS_PDFXVersion"] = flavour
    info = doc.docinfo
    info.Title = title
    info.Producer = "poster-engine"
    info.Creator = "poster-engine"
    info.CreationDate = date
    info.ModDate = date
    info.Trapped = pikepdf.Name("/False")
    info.GTS_PDFXVersion = flavour


def _output_intent(doc, conv: ColorConverter) -> None:
    import pikepdf

    p = conv.profile
    icc = pikepdf.Stream(doc, b"")
    # Compressed once per process: recompressing the 1 MB profile was a third of the post-processing.
    icc.write(_compressed(conv.icc_bytes), filter=pikepdf.Name.FlateDecode)
    icc.N = 4
    intent = pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
                                OutputConditionIdentifier=p.output_condition_identifier,
                                OutputCondition=p.output_condition, RegistryName="http://www.color.org",
                                Info=_icc_description(conv.icc_bytes), DestOutputProfile=icc)
    doc.Root.OutputIntents = pikepdf.Array([intent])


@lru_cache(maxsize=4)
def _compressed(data: bytes) -> bytes:
    return zlib.compress(data, 9)


@lru_cache(maxsize=4)
def _icc_description(icc: bytes) -> str:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.profile_description.strip()


def make_print_pdf(pdf: bytes, trim_mm: tuple[float, float], bleed_mm: float, title: str,
                   timestamp: datetime, settings: PrintSettings, shown: str = "") -> bytes:
    """Cairo's PDF (page = trim + bleed) → PDF/X-4 in CMYK for `settings`' profile."""
    import pikepdf

    conv = converter_for(settings)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        rewriter = _Rewriter(doc, conv, shown)
        b = bleed_mm * PT_PER_MM
        w, h = trim_mm[0] * PT_PER_MM, trim_mm[1] * PT_PER_MM
        for page in doc.pages:
            rewriter.stream(page.obj, IDENTITY)
            trim = [b, b, w + b, h + b]
            slug = SLUG_MM * PT_PER_MM if settings.profile.crop_marks else 0.0
            page.obj.MediaBox = pikepdf.Array([-slug, -slug, w + 2 * b + slug, h + 2 * b + slug])
            page.obj.BleedBox = pikepdf.Array([0, 0, w + 2 * b, h + 2 * b])
            page.obj.TrimBox = pikepdf.Array(trim)
            for key in ("/CropBox", "/ArtBox"):
                if key in page.obj:
                    del page.obj[key]
            if settings.profile.crop_marks:
                _crop_marks(doc, page, trim, b)
        _output_intent(doc, conv)
        _metadata(doc, title, timestamp, settings.profile.pdf_flavour)
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, compress_streams=True, force_version="1.6",
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
