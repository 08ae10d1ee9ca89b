"""An SVG file's <style> sheets → the style="" of the elements they match in that file, and an
element's declared properties (style="", then a sheet's rule, then the attribute, as CSS ranks them).

cairosvg applies a sheet to the whole document it draws: a layout's rules would reach what the engine
draws into it, and a visual's the layout. Written into each element's style="" (`inline_sheets`),
a rule reaches the file's own elements only, as the editor showed them; the palette classes' rules
(`.fill-accent`) stay a sheet, which the poster's palette overrides (`sheet_declarations` reads them).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from poster_engine.core.color import PALETTE_KEYS
from poster_engine.core.diagnostics import fail
from poster_engine.core.limits import MAX_SVG_STYLE_RULES
from poster_engine.project.svg import Lines, tag

Css = dict[ET.Element, str]  # an element's declarations from the <style> sheets


_PALETTE_RULE = re.compile(rf"\.(?:fill|stroke)-(?:{'|'.join(PALETTE_KEYS)})")


_ONE_CLASS = (0, 1, 0)  # a selector's specificity: ids, classes and attributes, types


def sheets_of(root: ET.Element) -> list[ET.Element]:
    """The <style> elements cairosvg applies (CSS, with text)."""
    return [el for el in root.iter() if tag(el) == "style" and el.text and el.get("type", "text/css") == "text/css"]


def _declarations(content) -> tuple[list[str], list[str]]:
    """A declaration list (a rule's body, or a style="" value) → its normal and its !important
    declarations as `name:value`, as cairosvg reads them (names starting with '-' skipped)."""
    import tinycss2

    normal: list[str] = []
    important: list[str] = []
    for d in tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True):
        if d.type == "declaration" and not d.name.startswith("-"):
            (important if d.important else normal).append(f"{d.lower_name}:{tinycss2.serialize(d.value).strip()}")
    return normal, important


def _selectors(prelude: list) -> list[str]:
    """A rule's selector list, one selector each (commas inside :not() or :is() are not splits)."""
    import tinycss2

    parts: list[list] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return [tinycss2.serialize(p).strip() for p in parts]


def inline_sheets(root: ET.Element, lines: Lines, shown: str) -> None:
    """Every rule of the file's <style> sheets written into the style="" of the elements it matches
    here, and taken out of the sheet. cairosvg applies a sheet to the whole document it draws,
    where the layout's rules would reach what the engine draws into it (`rect{fill:…}` recoloured
    the QR code's modules and quiet zone) and into the visuals nested beside it, and a visual's the
    layout. Inlined, a rule applies to the designer's own elements only, as matched in the file the
    editor showed (the composed document nests them deeper), and every renderer reads it alike.

    The cascade is kept: in style="", the sheet's declarations (by specificity, then order) come
    before the element's own, and the !important ones after both, as cairosvg ranks them. Left in
    the sheet: rules of the palette classes (fill-accent…), which the poster's palette must still
    override. At-rules (@media, @font-face), which cairosvg skips, are dropped."""
    sheets = sheets_of(root)
    if not sheets:
        return
    import cssselect2
    import tinycss2

    normal = cssselect2.Matcher()
    important = cssselect2.Matcher()
    found = any_important = False
    count = 0
    for sheet in sheets:
        kept: list[str] = []
        rules = [
            rule
            for rule in tinycss2.parse_stylesheet(sheet.text or "", skip_comments=True, skip_whitespace=True)
            if rule.type == "qualified-rule"
        ]
        count += len(rules)
        if count > MAX_SVG_STYLE_RULES:
            raise fail(
                f"its <style> sheets hold more than {MAX_SVG_STYLE_RULES:,} rules (README, Limits); export it "
                "with styles as attributes (Illustrator: CSS Properties, Presentation Attributes), or simplify it",
                shown,
                lines.get(sheet),
            )
        for rule in rules:
            try:  # each selector of the list on its own: a palette class's stays a sheet rule
                compiled = [(text, cssselect2.compile_selector_list(text)) for text in _selectors(rule.prelude)]
            except cssselect2.SelectorError:
                continue  # as CSS has it: a rule with a selector it cannot read applies nowhere
            plain, strong = _declarations(rule.content)
            for text, selectors in compiled:
                if _PALETTE_RULE.fullmatch(text):
                    kept.append(f"{text}{{{tinycss2.serialize(rule.content).strip()}}}")
                    continue
                for selector in selectors:
                    if selector.pseudo_element is None and not selector.never_matches:
                        found = True
                        if plain:
                            normal.add_selector(selector, plain)
                        if strong:
                            important.add_selector(selector, strong)
                            any_important = True
        sheet.text = "".join(kept)
    if not found:
        return
    for wrapper in cssselect2.ElementWrapper.from_xml_root(root).iter_subtree():
        el = wrapper.etree_element
        # A palette class's rule (the poster's, after every sheet) wins over this file's rules that
        # are no more specific than one class: those leave out the property it sets.
        palette = {c.split("-", 1)[0] for c in el.get("class", "").split() if _PALETTE_RULE.fullmatch("." + c)}
        first = [
            d
            for specificity, *_, declarations in normal.match(wrapper)
            for d in declarations
            if not (palette and specificity <= _ONE_CLASS and d.split(":", 1)[0] in palette)
        ]
        last = [d for *_, declarations in important.match(wrapper) for d in declarations] if any_important else []
        if not (first or last):
            continue
        own = el.get("style", "")
        if "!" in own:  # its own !important ones win over everything
            own_normal, own_strong = _declarations(own)
            last += own_strong
            own = ";".join(own_normal)
        el.set("style", ";".join(d for d in (*first, own.strip().strip(";"), *last) if d))


def sheet_declarations(root: ET.Element) -> Css:
    """Each element's declarations from what is left of the <style> sheets once inlined: the palette
    classes' rules (`.fill-accent{…}`, one class each), in the sheets' order. They must stay classes,
    for the poster's colours to win over the template's; the rewrites read them after the element's
    own style="" and before its attributes, as CSS ranks them."""
    import tinycss2

    rules: list[tuple[str, list[str]]] = []  # (class, declarations), in the sheets' order
    for sheet in sheets_of(root):
        for rule in tinycss2.parse_stylesheet(sheet.text or "", skip_comments=True, skip_whitespace=True):
            if rule.type == "qualified-rule":
                rules.append((tinycss2.serialize(rule.prelude).strip()[1:], _declarations(rule.content)[0]))
    if not rules:
        return {}
    css: Css = {}
    for el in root.iter():
        classes = el.get("class")
        if classes:
            own = classes.split()
            found = [d for name, declarations in rules if name in own for d in declarations]
            if found:
                css[el] = ";".join(found)
    return css


def declared(el: ET.Element, name: str, css: Css | None = None, attribute: bool = True) -> str | None:
    """A presentation property as the element itself sets it: in style="", else by a <style> sheet's
    rule (`css`), else as an attribute (unless `attribute` is False: a CSS property SVG has no
    attribute for, which an attribute of that name does not set), as CSS ranks them; the last of
    two declarations wins."""
    for declarations in (el.get("style", ""), (css or {}).get(el, "")):
        found = re.findall(rf"(?:^|;)\s*{name}\s*:\s*([^;]+)", declarations)
        if found:
            return str(found[-1]).strip()
    value = el.get(name) if attribute else None
    return value.strip() if value is not None else None


def mentions(el: ET.Element, name: str, css: Css) -> bool:
    """Whether `el` may set `name` at all: a quick test before `declared` reads it (20 000 shapes)."""
    return name in el.attrib or name in el.get("style", "") or name in css.get(el, "")


def property_of(el: ET.Element, name: str, css: Css | None = None) -> str | None:
    """`declared`, its spaces removed to be compared: rgb(255, 255, 255) is rgb(255,255,255)."""
    value = declared(el, name, css)
    return value.replace(" ", "") if value is not None else None
