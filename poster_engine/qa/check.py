"""`poster check`: lint a campaign before anyone prints it.

Every poster is composed in each of its formats, as the build composes it, and what was placed is
checked — texts against the page drawn beneath them (render/contrast.py), the only drawing check does:
statistics have a source and a year, links are not placeholders, text contrasts with its background
(WCAG AA), type is large enough for the distance the format is read from, QR codes have modules a
phone can resolve, photos have enough pixels, and every text fits its slot. Rules and the numbers
behind them are in README, "poster check".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from poster_engine.compose.document import Composition
from poster_engine.compose.layout import Slot
from poster_engine.compose.visuals import cover_crop
from poster_engine.core.color import contrast_ratio, parse_hex, to_hex  # noqa: F401  (contrast_ratio: re-exported)
from poster_engine.core.diagnostics import Diagnostic, PosterError, Severity, summary
from poster_engine.core.formats import Format
from poster_engine.core.geometry import MM_PER_INCH, bounds_of, overlaps
from poster_engine.core.languages import LanguageRefused, borrows_english_words, language
from poster_engine.plan import plan_jobs
from poster_engine.project.content import Campaign, chosen
from poster_engine.project.layouts import load_template, variant_files
from poster_engine.project.loader import Project
from poster_engine.render import contrast
from poster_engine.render.job import compose_job
from poster_engine.render.provenance import CREDIT_LABELS

# --- the rules (the format facts they read are in core/formats.py) -----------------------------

# Contrast: WCAG AA, measured on the page as drawn beneath each text (render/contrast.py).
AA_BODY, AA_LARGE = contrast.AA_BODY, contrast.AA_LARGE

EXAMPLE_HOSTS = ("example.org", "example.com", "example.net")


# --- helpers ----------------------------------------------------------------------------------


def css_px(size_mm: float, fmt: Format) -> float:
    """A size seen at the format's viewing distance, in WCAG's CSS reference pixels."""
    return size_mm / fmt.css_px_mm


@dataclass(frozen=True)
class Output:
    """The output a finding is about: a poster in a format (and language)."""

    poster: str
    format: str  # format name, `-lang` appended outside the campaign's language

    def finding(self, severity: Severity, check: str, slot: str, message: str) -> Diagnostic:
        return Diagnostic(message, severity=severity, check=check, poster=self.poster, format=self.format, slot=slot)


# --- the checks -------------------------------------------------------------------------------


def _content_findings(campaign: Campaign) -> list[Diagnostic]:
    """Statistics and links the posters use: one finding per item, however many posters use it."""
    m, out = campaign.messages, []

    def warning(path: tuple, check: str, message: str) -> Diagnostic:
        return Diagnostic(message, "messages.yaml", campaign.line_of(path), "warning", check)

    used = {p.spec.stat for p in campaign.posters.values() if p.spec.stat}
    for p in campaign.posters.values():  # the figures a poster shows through a repeating group
        if p.spec.layout in _repeating(campaign, "stats"):
            used.update(chosen(list(m.stats), p.spec.stats))
    used_stats = sorted(used)
    for sid in used_stats:
        stat = m.stats[sid]
        if stat.source_placeholder:
            out.append(
                warning(
                    ("stats", sid, "source"),
                    "source",
                    f"stat '{sid}': the source is a placeholder; give the real publication",
                )
            )
        if stat.year is None:
            out.append(
                warning(
                    ("stats", sid), "source", f"stat '{sid}' has no year; add year: to say when the figure was measured"
                )
            )
    if m.campaign.url_placeholder or _example(m.campaign.url):
        out.append(
            warning(
                ("campaign", "url"),
                "placeholder",
                f"campaign url {m.campaign.url} is a placeholder; put the real address before printing",
            )
        )
    out.extend(_credit_findings(campaign))
    for fid in sorted({p.spec.film for p in campaign.posters.values() if p.spec.film}):
        link = m.films[fid].link
        if link.placeholder or _example(link.url):
            out.append(
                warning(
                    ("films", fid, "link", "url"),
                    "placeholder",
                    f"film '{fid}': link {link.url} is a placeholder; its QR code leads nowhere",
                )
            )
    return out


def _credit_findings(campaign: Campaign) -> list[Diagnostic]:
    """Every visual a poster uses has a licence (else it may not be printed: error) and an author (warning)."""
    out = []
    fix = "add credits: {{{v}: {{author: …, licence: …, source: …}}}} to messages.yaml"
    for visual in sorted({p.spec.visual for p in campaign.posters.values() if p.spec.visual}):
        credit = campaign.messages.credits.get(visual)
        users = [p for p in campaign.posters.values() if p.spec.visual == visual]
        if credit is None:
            first = min(users, key=lambda p: p.id)
            out.append(
                Diagnostic(
                    f"visual '{visual}' has no licence: nobody may print it until its licence is known",
                    first.file,
                    first.line_of("visual"),
                    "error",
                    "credits",
                    hint=fix.format(v=visual),
                )
            )
            continue
        line = campaign.line_of(("credits", visual))
        if not credit.licence:
            out.append(
                Diagnostic(
                    f"visual '{visual}' has no licence: nobody may print it until its licence is known",
                    "messages.yaml",
                    line,
                    "error",
                    "credits",
                    hint="add licence: (an SPDX id such as CC-BY-4.0, or the licence's words)",
                )
            )
        if not credit.author:
            out.append(
                Diagnostic(
                    f"visual '{visual}' has no author; the credit line will name none",
                    "messages.yaml",
                    line,
                    "warning",
                    "credits",
                    hint="add author:",
                )
            )
    return out


def _word_findings(campaign: Campaign, langs: list[str]) -> list[Diagnostic]:
    """A language the engine derives (no house rules) writes "Poster", "Sources", "Visual", "Fonts"
    in English in alt texts and credits until messages.yaml `labels` gives its own: say so, once per
    language, at `campaign.language`."""
    out = []
    labels = campaign.messages.labels
    for code in dict.fromkeys(langs):
        try:
            rules = language(code)
        except LanguageRefused:
            continue  # plan_jobs refuses it with its own line
        if not borrows_english_words(rules.code):
            continue
        english = dict(zip(("poster", *CREDIT_LABELS), (rules.poster, *rules.credits), strict=True))
        missing = [key for key in english if not (key in labels and labels[key].get(rules.code))]
        if missing:
            out.append(
                Diagnostic(
                    f"language '{rules.code}' has no words of its own for alt texts and credits, so they are in "
                    f"English ({', '.join(english[k] for k in missing)})",
                    "messages.yaml",
                    campaign.line_of(("campaign", "language")),
                    "warning",
                    "language",
                    hint=f"add them in {rules.code} under labels: "
                    + ", ".join(f"{k}: {{{rules.code}: …}}" for k in missing),
                )
            )
    return out


def _repeating(campaign: Campaign, name: str) -> set[str]:
    """The layout families any of whose templates repeats over the list `name`."""
    out = set()
    for family in {p.spec.layout for p in campaign.posters.values()}:
        try:
            templates = [load_template(path) for path in variant_files(campaign.root, family)]
        except PosterError:
            continue  # composing its posters reports the template's error
        if any(r.list == name for t in templates for r in t.repeats):
            out.add(family)
    return out


def _example(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    return any(host == h or host.endswith("." + h) for h in EXAMPLE_HOSTS)


def _text_findings(comp: Composition, fmt: Format, out: Output) -> Iterable[Diagnostic]:
    layout = comp.layout
    # Every slot as filled: a repeated group's items each in their own place.
    slots = comp.slots or layout.slots
    unit_mm = layout.scale * fmt.mm_per_unit  # mm, as seen, per layout unit
    floor_mm = fmt.min_x_height_mm
    for slot in slots:
        block = comp.blocks.get(slot.name)
        if block is None or not block.glyphs:
            continue
        font = block.glyphs[0].font
        # Type is set in the slot's own units: its size on the page is scaled by the slot's transforms.
        size_mm = block.size * slot.matrix.line_scale * unit_mm
        x_mm = size_mm * font.x_height / font.upem
        if x_mm < floor_mm - 1e-9:
            out_size = f"{block.size * slot.matrix.line_scale * layout.scale:.1f} {fmt.unit}"
            # A print run cannot be zoomed: an error. A screen can (pinch): a warning.
            yield out.finding(
                "error" if fmt.medium == "print" else "warning",
                "type-size",
                slot.name,
                f"slot '{slot.name}' sets type at {out_size} (x-height {x_mm:.2f} mm as seen), below "
                f"{floor_mm:.2f} mm for a viewing distance of {fmt.viewing_m:g} m; "
                f"raise data-size-min in {layout.file} or shorten the text",
            )


def _typed_findings(comp: Composition, fmt: Format, out: Output) -> Iterable[Diagnostic]:
    """The words a designer typed in the layout (drawn as outlines), measured as slots are: a
    warning, not an error, since their size is the designer's to change, in the editor."""
    layout = comp.layout
    unit_mm = layout.scale * fmt.mm_per_unit
    floor_mm = fmt.min_x_height_mm
    for typed in layout.texts:
        x_mm = typed.x_height * unit_mm
        if x_mm < floor_mm - 1e-9:
            yield Diagnostic(
                f"text “{typed.words}” typed in the layout has an x-height of {x_mm:.2f} mm as seen at format "
                f"{fmt.name}, below {floor_mm:.2f} mm for a viewing distance of {fmt.viewing_m:g} m; enlarge it "
                "in the editor",
                layout.file,
                typed.line,
                "warning",
                "type-size",
                poster=out.poster,
                format=out.format,
            )


def _ink_bounds(comp: Composition, slot: Slot) -> list[tuple[float, float, float, float]]:
    boxes = contrast.glyph_boxes(comp.blocks[slot.name])
    return [bounds_of(tuple(contrast.page_polygon(comp, slot, box))) for _, box in boxes]


def _contrast_findings(comp: Composition, out: Output) -> Iterable[Diagnostic]:
    """Each text against the page drawn without it, under its glyphs (render/contrast.py): its worst glyph."""
    texts = [s for s in (comp.slots or comp.layout.slots) if s.name in comp.blocks and comp.blocks[s.name].glyphs]
    if not texts:
        return
    # One drawing without any text serves every text whose ink no other text's ink box touches
    # (the usual case); a text over another text is measured on the page without itself alone.
    shared = contrast.draw_backdrop(comp, [s.name for s in texts])
    ink = {s.name: _ink_bounds(comp, s) for s in texts}
    for slot in texts:
        others = [b for s in texts if s.name != slot.name for b in ink[s.name]]
        alone = any(overlaps(a, b) for a in ink[slot.name] for b in others)
        backdrop = contrast.draw_backdrop(comp, [slot.name]) if alone else shared
        worst = contrast.measure(contrast.patches(comp, slot, backdrop))
        limit = contrast.threshold(comp, slot, comp.blocks[slot.name])
        if worst is None or worst.ratio >= limit.need - 1e-9:
            continue
        kind = "large text" if limit.large else "body text"
        scrim = comp.scrims.get(slot.name)
        fix = (
            "even over its scrim; change the poster's colors"
            if scrim is not None and scrim.opacity >= 1
            else 'change the poster\'s colors, or give the slot a scrim (data-scrim="auto")'
        )
        yield out.finding(
            "error",
            "contrast",
            slot.name,
            f"slot '{slot.name}': {worst.color} on {worst.background} (the page beneath its worst glyph, "
            f"line {worst.line}) has contrast {worst.ratio:.2f}:1, below {limit.need:g}:1 for {kind} "
            f"(WCAG AA); {fix}",
        )


def _qr_findings(comp, fmt: Format, out: Output) -> Iterable[Diagnostic]:
    for name, qr in comp.qrs.items():
        module = qr.module * comp.layout.scale  # mm (print) or px (social), through the slot's transforms
        need = fmt.qr_min_module
        if module < need - 1e-9:
            yield out.finding(
                "error",
                "qr",
                name,
                f"QR '{name}' has {module:.2f} {fmt.unit} modules, below {need:g} {fmt.unit}: phones will "
                f"not read it; make the slot larger or the URL shorter ({len(qr.code.url)} characters)",
            )


def _resolution_findings(project: Project, comp, fmt: Format, out: Output) -> Iterable[Diagnostic]:
    from PIL import Image

    ref = comp.poster.spec.visual or ""
    if not ref or ref.lower().endswith(".svg"):
        return
    try:
        with Image.open(project.root / ref) as im:  # reads the header only
            size = im.size
            if im.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF orientations that turn it a quarter: as seen
                size = size[::-1]
    except Exception:
        return  # compose already reported an unreadable image
    for slot in comp.slots or comp.layout.slots:
        if slot.kind != "visual":
            continue
        _, _, crop_w, _ = cover_crop(*size, slot.box[2], slot.box[3], comp.poster.spec.focus)
        out_w = slot.box[2] * slot.matrix.singular_values[0] * comp.layout.scale  # mm or px, as printed
        if fmt.medium == "print":
            ppi = crop_w / (out_w / MM_PER_INCH)
            need = project.print_settings.profile.min_ppi_for(fmt.large)
            if ppi < need - 1e-9:
                yield out.finding(
                    "error",
                    "resolution",
                    slot.name,
                    f"{ref} prints at {ppi:.0f} ppi in slot '{slot.name}', below {need:g} ppi; "
                    f"use a photo of at least {need * out_w / MM_PER_INCH / crop_w * size[0]:.0f} px wide",
                )
        elif crop_w < out_w - 1:
            yield out.finding(
                "warning",
                "resolution",
                slot.name,
                f"{ref} is enlarged {out_w / crop_w:.1f}× in slot '{slot.name}' (soft on screen)",
            )


def check_campaign(
    project: Project, langs: list[str] | None = None, posters: list[str] | None = None
) -> list[Diagnostic]:
    """Every finding for the selected posters, each in its own formats and the given languages."""
    campaign = project.campaign
    findings = [d.at(check="input") for d in campaign.diagnostics]
    gamut = _Gamut(project)
    seen_colours: set[tuple[str, str]] = set()  # (poster, colour): one finding for all its print formats
    findings += _content_findings(campaign)
    findings += _word_findings(campaign, langs or [campaign.lang])
    for job in plan_jobs(project, posters, None, langs):
        fmt = job.format
        out = Output(job.poster_id, job.format_label)
        try:
            # Composed as the build composes (scrims included), photos resampled for the measuring
            # resolution: what check reads is the page a reader sees.
            comp = compose_job(project, job, contrast.backdrop_scale(fmt))
        except PosterError as exc:  # a text that does not fit, a missing glyph, a broken visual…
            findings += [d.at(poster=out.poster, format=out.format, check="compose") for d in exc.diagnostics]
            continue
        findings += _text_findings(comp, fmt, out)
        findings += _typed_findings(comp, fmt, out)
        findings += _contrast_findings(comp, out)
        findings += _qr_findings(comp, fmt, out)
        findings += _resolution_findings(project, comp, fmt, out)
        if fmt.medium == "print":
            findings += gamut.findings(comp, out, seen_colours)
            findings += _reversed_findings(project, comp, out, gamut.rules)
    return findings


def _reversed_findings(project: Project, comp, out: Output, conv) -> Iterable[Diagnostic]:
    """Small light type knocked out of a background on two inks or more (docs/print.md §6c)."""
    from poster_engine.render.reversed import REVERSED_TEXT_PT, small_reversed_text

    fixes = project.print_settings.profile.reversed_text == "single-ink"
    for r in small_reversed_text(comp, conv):
        single = conv.has_large_variant(parse_hex(r.background))
        if fixes and single:
            continue  # printed on black ink alone by this profile
        inks = "/".join(f"{v * 100:g}" for v in r.inks)
        yield out.finding(
            "warning",
            "reversed-type",
            r.slot,
            f"slot '{r.slot}': {r.size_pt:.1f} pt {r.text} type knocked out of {r.background}, printed on "
            f"{r.plates} inks ({inks}): every plate must register on its hairlines; set it at "
            f"{REVERSED_TEXT_PT:g} pt or more"
            + (
                ", or print with a profile that has reversed_text: single-ink (this ground in black ink alone)"
                if single and not fixes
                else ""
            ),
        )


# --- colours the paper cannot show (docs/print.md §6b) -------------------------------------------
GAMUT_DE = 3.0  # ΔE2000 between the screen colour and its soft proof above which `poster check` warns
_HEX = re.compile(r"#[0-9A-Fa-f]{6}\b")


class _Gamut:
    """A colour's soft proof through the print profile: the print rules (swatches, solid K, the
    profile's ICC) to CMYK, then the profile back to sRGB; and the nearest printable colour, the
    profile's own round trip (rule 5 of docs/print.md §6: relative colorimetric maps a colour outside
    the gamut to the nearest one it prints)."""

    def __init__(self, project: Project):
        from poster_engine.export.print.colors import ColorConverter

        self.settings = project.print_settings
        self.root = project.root
        self.rules = ColorConverter(self.settings)
        self._proofs: dict[tuple[str, bool, bool], str] = {}

    def proof(self, colour: str, large: bool, rules: bool = True) -> str:
        key = (colour, large, rules)
        if key not in self._proofs:
            from PIL import Image

            from poster_engine.export.print.softproof import cmyk_to_srgb

            rgb = parse_hex(colour)
            cmyk = self.rules.convert(rgb, large) if rules else self.rules.convert_icc(rgb)
            pixel = Image.frombytes("CMYK", (1, 1), bytes(round(v * 255) for v in cmyk))
            self._proofs[key] = to_hex(cmyk_to_srgb(pixel, self.settings).getpixel((0, 0)))
        return self._proofs[key]

    def colours(self, comp) -> list[tuple[str, str, bool]]:
        """(slot, colour, large) for what the poster paints: its background, each text slot's colours,
        the colours written in its SVG visual."""
        poster, layout = comp.poster, comp.layout
        used = [("background", poster.spec.colors.background.upper(), True)]
        for slot in comp.slots or layout.slots:
            block = comp.blocks.get(slot.name)
            if block is None or not block.glyphs:
                continue
            spec = slot.rules.get("color") or "text"
            names = {spec} | (
                {"text" if spec == "accent" else "accent"} if any(g.emphasis for g in block.glyphs) else set()
            )
            used += [(slot.name, contrast.palette_color(c, poster), False) for c in sorted(names)]
        ref = poster.spec.visual or ""
        if ref.lower().endswith(".svg"):
            visual = next((s.name for s in layout.slots if s.kind == "visual"), "visual")
            try:
                text = (self.root / ref).read_text(errors="replace")
            except OSError:
                text = ""
            used += [(visual, c.upper(), True) for c in dict.fromkeys(_HEX.findall(text))]
        return used

    def findings(self, comp, out: Output, seen: set) -> Iterable[Diagnostic]:
        """One warning per colour of the poster outside the profile's gamut, naming its slots."""
        from poster_engine.core.color import delta_e_2000, srgb_to_lab

        ident = self.settings.profile.output_condition_identifier
        slots: dict[str, list[str]] = {}
        large_of: dict[str, bool] = {}
        for slot, colour, large in self.colours(comp):
            if slot not in slots.setdefault(colour, []):
                slots[colour].append(slot)
            large_of[colour] = large_of.get(colour, False) or large
        for colour, names in slots.items():
            if (out.poster, colour) in seen:
                continue
            seen.add((out.poster, colour))
            nearest = self.proof(colour, large_of[colour], rules=False)
            de = delta_e_2000(srgb_to_lab(colour), srgb_to_lab(nearest))
            if de <= GAMUT_DE:
                continue
            swatch = self.settings.swatches.get(colour)
            book = ""
            if swatch is not None:
                printed = self.proof(colour, large_of[colour])
                values = "/".join(f"{v * 100:g}" for v in swatch.cmyk)
                book = (
                    f"; its brand swatch {values} prints as {printed} "
                    f"(ΔE2000 {delta_e_2000(srgb_to_lab(colour), srgb_to_lab(printed)):.1f})"
                )
            where = ", ".join(f"'{n}'" for n in names)
            yield out.finding(
                "warning",
                "gamut",
                names[0],
                f"slot{'s' if len(names) > 1 else ''} {where}: {colour} is outside {ident}'s gamut: the nearest "
                f"colour it prints is {nearest} (ΔE2000 {de:.1f} > {GAMUT_DE:g}){book}; choose a printable "
                "colour, or accept the shift (poster proof --softproof shows it)",
            )


# --- output -----------------------------------------------------------------------------------


def format_table(findings: list[Diagnostic]) -> str:
    """One line per finding, errors first, columns aligned; then the counts."""
    rows = sorted(findings, key=lambda f: (f.severity != "error", f.where, f.check or ""))
    cells = [(f.severity, f.where, f.check or "") for f in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(("SEVERITY", "WHERE", "CHECK"))]
    lines = []
    if rows:
        head = ("SEVERITY", "WHERE", "CHECK", "MESSAGE")
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths + [0])).rstrip())
        for f, row in zip(rows, cells):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + f.text)
    lines.append(summary(findings))
    return "\n".join(lines)


def to_json(findings: list[Diagnostic]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    return json.dumps(
        {"errors": errors, "warnings": len(findings) - errors, "findings": [f.to_dict() for f in findings]},
        ensure_ascii=False,
        indent=2,
    )
