"""A CSV of data rows (`poster build --data`) → one job per row: the Data Merge / Bulk Create workflow.

Each column is a field `{row.<column>}` for the layout; columns named `url` or `…_url` are links
(verbatim, checked http(s), encoded in QR codes). Row ids name the output folders: the `id` column
when there is one, else the row's number, so `build/<poster>/<row-id>/<format>.<ext>`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from poster_engine.core.diagnostics import Diagnostic, PosterError


def is_url_column(name: str) -> bool:
    """Data columns named `url` or `…_url` are links: kept verbatim (no typography) and checked http(s)."""
    return name == "url" or name.endswith("_url")


COLUMN = re.compile(r"^[a-z_]+$")  # what a {row.<column>} field can name
ROW_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Row:
    id: str
    line: int  # line in the CSV file, for errors
    values: tuple[tuple[str, str], ...]  # (column, value) pairs: hashable, picklable, ordered

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)


def load_rows(path: Path, shown: str) -> tuple[list[Row], list[Diagnostic]]:
    """The CSV's rows, and one diagnostic per bad row (the good rows still build). A file that cannot
    be read at all raises PosterError."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets export UTF-8 with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise PosterError(
            Diagnostic(
                f"cannot read the data file ({exc.__class__.__name__}); export it from the spreadsheet as CSV UTF-8",
                shown,
            )
        ) from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    bad = [c for c in columns if not COLUMN.match(c)]
    if not columns or bad:
        raise PosterError(
            Diagnostic(
                f"column name '{bad[0] if bad else ''}' cannot be a field; name columns with "
                "lower-case letters and '_' (host, date, url…)",
                shown,
                1,
            )
        )
    rows, problems, seen = [], [], set()
    for number, record in enumerate(reader, start=1):
        line = reader.line_num
        values = {c.strip(): (v or "").strip() for c, v in record.items() if c is not None}
        if None in record:
            problems.append(
                Diagnostic(
                    f"row {number} has more cells than the header's {len(columns)} columns; "
                    "quote cells that hold commas",
                    shown,
                    line,
                )
            )
            continue
        row_id = (values.get("id") or f"{number:03d}").lower()
        problem = None
        if not ROW_ID.match(row_id):
            problem = f"row {number}: id '{row_id}' must be lower-case letters, digits and '-'; fix the id column"
        elif row_id in seen:
            problem = f"row {number}: id '{row_id}' is used by an earlier row; give each row its own id"
        for column, value in values.items():
            if problem is None and is_url_column(column):
                parts = urlsplit(value)
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    problem = (
                        f"row {number} column '{column}': '{value}' is not an http(s) link; "
                        "write the full address, https://…"
                    )
        if problem:
            problems.append(Diagnostic(problem, shown, line))
            continue
        seen.add(row_id)
        rows.append(Row(row_id, line, tuple(values.items())))
    return rows, problems
