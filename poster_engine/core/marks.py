"""The engine's mark on the paths it writes itself: the contract between compose (writer) and export (reader).

compose writes glyph runs (`document.draw_text`) and QR codes (`document._Composer.qr`) as path data
in a small grammar of its own; `export/glyphs.py` draws those through a fast path and gives every
other path to cairosvg untouched. What selects the fast path is this attribute on the `<path>`
element, never the look of its data: valid SVG written by a designer can look like ours
(`M10 10l80 0 0 80z`, implicit repeats) and means something else (docs/performance.md §5).

Why an attribute and not a class: a class is a styling hook that designers and their tools use
freely (Illustrator exports `class="cls-1"`, CSS selectors match it), and our text paths already
carry the palette's `class="fill-text"`; a `data-*` attribute has no meaning to any SVG renderer,
is read by the exporter from the element itself (not through CSS, not inherited from a group), and
names what follows: which grammar the data is in.

Every attribute starting with `data-pe-` is reserved for the engine: `strip_reserved` removes them
from templates and visuals when they are parsed, so an author's file cannot opt in, even by pasting
elements copied from a composed SVG.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

RESERVED_PREFIX = "data-pe-"
PATH_MARK = "data-pe-path"  # on a <path> the engine wrote: which of its grammars the `d` is in
GLYPHS = "glyphs"  # "M x y" + a glyph outline in relative m l c q z, repeated (compose.document.draw_text)
QR = "qr"  # "M x yh{n}v1h-{n}z" per run of dark modules, integers (compose.qr.make_qr)


def strip_reserved(root: ET.Element) -> None:
    """Remove every engine-reserved attribute (`data-pe-*`) from an author's SVG tree, in place."""
    for node in root.iter():
        reserved = [key for key in node.attrib if key.startswith(RESERVED_PREFIX)]
        for key in reserved:
            del node.attrib[key]
