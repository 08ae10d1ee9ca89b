"""poster-engine: campaign content → print-ready PDFs and social images."""

__version__ = "0.1.0"
