"""An SVG file a designer made (a layout, a visual) → the tree the engine draws, as their editor drew it.

In order: parsed and hardened, with the line of every element (svg.py); its <style> rules written
into the elements they match (stylesheets.py, from drawable.rewrite); what cairosvg would draw
otherwise rewritten into a form it draws alike, or refused (drawable.py); the words typed as
<text> outlined with the project's fonts (svg_text.py). The lower modules know nothing of this
order: each is a step, this module the one place that runs them.
"""

from __future__ import annotations

from dataclasses import replace

from poster_engine.project import drawable, svg_text
from poster_engine.project.fonts import FontLibrary
from poster_engine.project.svg import SvgTree, parse_checked


def parse_svg_tree(raw: bytes, shown: str, what: str, fonts: FontLibrary | None = None) -> SvgTree:
    """`raw` as the engine draws it (see svg.py for what is refused at once). A designer's <text>
    is outlined with `fonts` (the project's fonts/; without it, refused)."""
    tree, ids = parse_checked(raw, shown, what)
    drawable.rewrite(tree.root, ids, tree.lines, tree.text, shown)  # adds no id (a copy's are dropped)
    drawable.check(tree.root, ids, tree.lines, tree.text, shown)
    used, typed = svg_text.outline_texts(tree.root, tree.lines, tree.text, shown, fonts)
    return replace(tree, fonts=used, texts=typed)
