"""poster-engine: campaign content → print-ready PDFs and social images."""

__version__ = "0.1.0"

# The layout families a poster can name (layouts/<family>.svg). Here, not in content.py, so that
# `poster list` does not import pydantic to print them.
LAYOUT_FAMILIES = ("choc", "stat", "film", "programme", "seance")
