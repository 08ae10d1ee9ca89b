"""The bounds every input is held to, in one place: file sizes, YAML depth and expansion, CSV shape,
numbers, links and paths. README "Limits" lists them with the reasons below; the readers that
enforce them (project/sources.py, project/data.py, project/content.py, project/settings.py,
project/paths.py, project/svg.py, compose/qr.py) import them from here. No I/O.

Each bound is far above what a real campaign needs (the demo's messages.yaml is 20 KB, depth 7,
917 values; its CSV 7 rows) and low enough that the worst input within it is read in about a second
and a few hundred MB — so a hostile or broken file is refused quickly, with its line, instead of
stalling or exhausting the machine.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

# --- YAML (messages.yaml, posters/*.yaml, project.yaml) ---------------------------------------
# Measured (2 shared cores): 50 000 values take 0.4-0.6 s of CPU to parse, 100 000 take 1-1.3 s.
MAX_YAML_BYTES = 1 * MIB  # 50 times the demo's messages.yaml
# Mappings and lists inside each other. Python's own parser recurses per level and libyaml stops
# at 1000; 64 is ten times the demo's deepest key.
MAX_YAML_DEPTH = 64
# Every key, value and list item, an alias counting as a full copy of what it names: this is what
# bounds a "billion laughs" (aliases of aliases) before anything is built from it.
MAX_YAML_VALUES = 50_000
# A number literal longer than this is refused before Python converts it (an int of 4301 digits or
# more cannot even be converted); no field of a poster takes a number anywhere near this long.
MAX_NUMBER_CHARS = 40

# --- texts --------------------------------------------------------------------------------------
# One text (a YAML string or a CSV cell). The longest a poster slot can show is a few hundred
# characters; at 20 000 the fitter still answers "does not fit" in under a second (40 000: 1.3 s).
MAX_TEXT_CHARS = 20_000

# --- CSV data tables (poster `data:`, `poster build --data`) -------------------------------------
MAX_CSV_BYTES = 16 * MIB
MAX_CSV_ROWS = 10_000  # one poster per row and format: 10 000 rows are hours of rendering already
MAX_CSV_COLUMNS = 100
MAX_CSV_CELL_CHARS = MAX_TEXT_CHARS  # also given to csv.field_size_limit while a table is read

# --- SVG (layouts/*.svg, SVG visuals) ------------------------------------------------------------
# Measured (2 shared cores): cairosvg draws ~10 000 elements a second, so a file at the element
# bound takes ~5 s of CPU per output; parsing and checking it, 0.4 s. Inkscape and Illustrator
# illustrations have a few thousand; a layout a few hundred.
MAX_SVG_BYTES = 16 * MIB
MAX_SVG_ELEMENTS = 50_000  # each <use> counting as a copy of what it refers to
# Elements inside each other, and through <use>: every renderer (cairosvg, the engine's own walk of
# a layout) recurses per level; editors nest a dozen deep.
MAX_SVG_DEPTH = 100
MAX_SVG_USE_CHAIN = 20  # a <use> of an element holding a <use> of…: chains of more are refused
# A viewBox value, a slot's x, y, width or height, a transform's entry: finite and at most this big.
# cairo draws with 24.8 fixed-point device coordinates (±8 million); no real drawing comes near.
MAX_SVG_COORDINATE = 10_000_000
# Characters of a designer's <text> drawn as outlines in one file (project/svg_text.py): each
# becomes a glyph outline of ~300 bytes of path data, so a file of 16 MiB of text is not turned
# into gigabytes. A poster's words are a few hundred.
MAX_SVG_TEXT_CHARS = 20_000
# Rules of an SVG file's <style> sheets (project/drawable.py writes each into the elements it
# matches): Illustrator writes one class per paint, a few hundred in a rich drawing; each rule costs
# ~0.05 ms to read, so a 16 MiB sheet of a million would take a minute.
MAX_SVG_STYLE_RULES = 10_000
# Brackets nested in a style value or sheet: tinycss2, which cairosvg reads style with, recurses per
# level and overflows Python's stack at a few hundred; real styles nest two or three.
MAX_CSS_NESTING = 32
# An image embedded in an SVG as a data: URI: its declared width × height, read from its header
# before anything is decoded (Pillow's own warning threshold, 256 MiB of RGBA pixels).
MAX_EMBEDDED_PIXELS = 89_478_485

# --- other project files -----------------------------------------------------------------------
MAX_FONT_BYTES = 64 * MIB  # large CJK fonts are 20-30 MB
# Named instances of one variable font listed as fonts of the library (project/fonts.py); the rest
# are not listed. Google Fonts' richest families name a few dozen (Roboto Flex, Noto Sans: 9 weights
# × widths × italic); an fvar can hold 65 535, each a name, a face to match and a line of a message.
MAX_FONT_INSTANCES = 1000
# Axes of one variable font whose instances are read: Roboto Flex, among the richest, has 13. The
# fvar is cut to its first MAX_FONT_INSTANCES records before fontTools parses it, so reading a
# hostile one (65 535 instances of 64 axes, 17 MB) takes 0.4 s and 50 MB, not 4.3 s and 290 MB.
MAX_FONT_AXES = 64
MAX_PATH_CHARS = 1024  # a path written in a project file (visual:, data:, icc:)

# --- numbers ------------------------------------------------------------------------------------
# A statistic's value is written out in words from a million up ('1,4 milliard'); CLDR has words up
# to the hundreds of trillions, so values stay below 10^15 (and are finite: no .nan or .inf).
STAT_VALUE_LIMIT = 10**15
YEAR_RANGE = (1000, 9999)  # a statistic's or a film's year: four digits
DURATION_RANGE_MIN = (1, 10_000)  # a film's duration in minutes (the longest films run ~ 85 hours)
# project.yaml formats and print profiles: sizes cairo, PDF viewers and printers accept (PDF's
# page-size limit is 14 400 pt = 5 080 mm), and social images that fit in memory (36 Mpx).
PRINT_SIDE_MM = (10.0, 5000.0)
SOCIAL_SIDE_PX = (16, 6000)
VIEWING_M = (0.0, 100.0)
BLEED_MM = (0.0, 25.0)
SAFE_MM = (0.0, 500.0)
SAFE_PX = (0.0, 3000.0)
MAX_MB = (0.01, 100.0)
INK_LIMIT = (100.0, 400.0)  # total area coverage, %
PPI = (1.0, 2400.0)
MAX_LABEL_CHARS = 200  # a format's or a print profile's label, output condition

# --- links --------------------------------------------------------------------------------------
# The most a QR code holds: version 40 at error-correction level M, byte mode (ISO/IEC 18004
# Table 7). A longer link cannot be a code at any size.
MAX_QR_BYTES = 2331


def shown_range(bounds: tuple[float, float]) -> str:
    """(10.0, 5000.0) → '10 and 5000' for messages."""
    return f"{bounds[0]:g} and {bounds[1]:g}"
