"""A CSV of data rows (`poster build --data`) → one job per row: the Data Merge / Bulk Create workflow.

Each column is a field `{row.<column>}` for the layout; columns named `url` or `…_url` are links
(verbatim, checked http(s), encoded in QR codes). Row ids name the output folders: the `id` column
when there is one, else the row's number, so `build/<poster>/<row-id>/<format>.<ext>`.

The file is parsed by the csv module itself (RFC 4180: a quoted cell may hold commas, quotes written
`""` and line breaks, kept as written), in strict mode, within the bounds of core/limits.py: the
file's size, the number of rows and columns, and each cell's length (csv.field_size_limit is set to
it while the file is read). Every problem names its line, and its row when it has one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from poster_engine.core.diagnostics import Diagnostic, PosterError
from poster_engine.core.limits import MAX_CSV_BYTES, MAX_CSV_CELL_CHARS, MAX_CSV_COLUMNS, MAX_CSV_ROWS, MAX_QR_BYTES
from poster_engine.project.paths import PathProblem, read_file


def is_url_column(name: str) -> bool:
    """Data columns named `url` or `…_url` are links: kept verbatim (no typography) and checked http(s)."""
    return name == "url" or name.endswith("_url")


COLUMN = re.compile(r"^[a-z_]+$")  # what a {row.<column>} field can name
ROW_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Characters no poster draws: C0 and C1 controls other than tab and line break (a cell may span lines).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
EXPORT = "export it from the spreadsheet as CSV UTF-8"


@dataclass(frozen=True)
class Row:
    id: str
    line: int  # line in the CSV file where the row starts, for errors
    values: tuple[tuple[str, str], ...]  # (column, value) pairs: hashable, picklable, ordered

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """csv's cell limit (process-wide, 131 072 by default) set to ours while one file is read."""
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


_HEADER = re.compile(r"^[^\r\n]*\S[^\r\n]*", re.MULTILINE)  # the first line that is not blank


def _delimiter(text: str) -> str:
    """The column separator, told from the header line by the csv module's sniffer: a comma, or the
    semicolon spreadsheets write where the comma is the decimal mark (French Excel's "CSV"), or a
    tab. A header it cannot tell (one column) is read with commas."""
    # Found where it is, not by splitting the file: `_row_at` asks again for each bad row of a long file.
    found = _HEADER.search(text)
    header = found.group() if found else ""
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for every non-blank record; csv.Error carries on."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=_delimiter(text))
    end = 0
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvProblem(str(exc), start, reader.line_num) from None
        end = reader.line_num
        if record:
            yield start, record


class _CsvProblem(Exception):
    def __init__(self, reason: str, start: int, line: int):
        super().__init__(reason)
        self.reason, self.start, self.line = reason, start, line


def _row_at(text: str, line: int) -> int | None:
    """Which record holds `line`: 0 for the header, N for the N-th row (None if it cannot be told)."""
    number = -1
    try:
        with _field_limit(MAX_CSV_BYTES):
            reader = csv.reader(io.StringIO(text.replace("\0", " "), newline=""), delimiter=_delimiter(text))
            end = 0
            for record in reader:
                start, end = end + 1, reader.line_num
                number += bool(record)
                if start <= line <= end:
                    return number if record else number + 1
    except csv.Error:
        return None
    return number + 1


def _which(row: int | None) -> str:
    return "the file " if row is None else "the header row " if row == 0 else f"row {row} "


def _line_at(raw: bytes, offset: int) -> int:
    """The line of byte `offset`, counting line ends as the csv module does (\r\n, \n or a lone \r)."""
    return len(_LINE_END.findall(raw, 0, offset)) + 1


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _decode(raw: bytes, shown: str) -> str:
    """UTF-8 text (a BOM, as spreadsheets write it, is dropped), or the line of the first bad byte."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise PosterError(Diagnostic(f"the file is UTF-16 text, not UTF-8; {EXPORT}", shown, 1))
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # a zip (.xlsx, .ods, .numbers), OLE2 (.xls)
        raise PosterError(Diagnostic(f"the file is a spreadsheet workbook, not CSV text; {EXPORT}", shown))
    raw = raw.removeprefix(codecs.BOM_UTF8)
    loose = raw.decode("utf-8", "surrogateescape")  # bad bytes become U+DC80…U+DCFF, in place
    nul = raw.find(b"\0")
    if nul >= 0:
        line = _line_at(raw, nul)
        raise PosterError(
            Diagnostic(
                f"{_which(_row_at(loose, line))}holds a NUL byte (a binary or UTF-16 file?); {EXPORT}", shown, line
            )
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_at(raw, exc.start)
        guess = ""
        try:
            raw.decode("cp1252")
            guess = "; the file looks like Latin-1 or Windows-1252"
        except UnicodeDecodeError:
            pass
        raise PosterError(
            Diagnostic(
                f"{_which(_row_at(loose, line))}is not UTF-8 text (byte 0x{raw[exc.start]:02X}{guess}); "
                "save the file as UTF-8 (in a spreadsheet: export as CSV UTF-8)",
                shown,
                line,
            )
        ) from None


def load_rows(path: Path, shown: str) -> tuple[list[Row], list[Diagnostic]]:
    """The CSV's rows, and one diagnostic per bad row (the good rows still build). A file that cannot
    be read at all (kind, size, encoding, broken quoting, a cell or a row count over the limits)
    raises PosterError."""
    raw = read_file(path, MAX_CSV_BYTES)
    if isinstance(raw, PathProblem):
        fix = "put the CSV in data/" if raw.kind == "missing" else raw.fix
        raise PosterError(Diagnostic(f"data file {raw.says}; {fix}", shown))
    text = _decode(raw, shown)
    with _field_limit(MAX_CSV_CELL_CHARS):
        try:
            return _rows(_records(text), shown)
        except _CsvProblem as exc:
            raise PosterError(_csv_diagnostic(exc, text, shown)) from None


def _csv_diagnostic(exc: _CsvProblem, text: str, shown: str) -> Diagnostic:
    row = _which(_row_at(text, exc.start))
    if "field larger than field limit" in exc.reason:
        return Diagnostic(
            f"{row}has a cell longer than {MAX_CSV_CELL_CHARS:,} characters (the limit for one text, "
            "README 'Limits'); shorten it",
            shown,
            exc.start,
        )
    if "unexpected end of data" in exc.reason:
        return Diagnostic(
            f'{row}opens a quoted cell that is never closed; close it with " (a quote inside a cell is written "")',
            shown,
            exc.start,
        )
    if "expected after" in exc.reason:
        return Diagnostic(
            f'{row}has text after the closing quote of a cell; quote the whole cell and write a quote inside it as ""',
            shown,
            exc.line,
        )
    return Diagnostic(f"{row}cannot be read as CSV ({exc.reason}); {EXPORT}", shown, exc.line)


def _rows(records: Iterator[tuple[int, list[str]]], shown: str) -> tuple[list[Row], list[Diagnostic]]:
    first = next(records, None)
    if first is None:
        raise PosterError(
            Diagnostic("the file is empty; its first line names the columns, e.g. id,host,date,url", shown, 1)
        )
    header_line, header = first
    columns = [c.strip() for c in header]
    if len(columns) > MAX_CSV_COLUMNS:
        raise PosterError(
            Diagnostic(
                f"{len(columns)} columns, more than the {MAX_CSV_COLUMNS} allowed; remove some", shown, header_line
            )
        )
    bad = [c for c in columns if not COLUMN.match(c)]
    if bad:
        name = bad[0] if bad[0].isprintable() else bad[0].encode("unicode_escape").decode("ascii")
        raise PosterError(
            Diagnostic(
                f"column name '{name[:40]}' cannot be a field; name columns with "
                "lower-case letters and '_' (host, date, url…)",
                shown,
                header_line,
            )
        )
    twice = next((c for i, c in enumerate(columns) if c in columns[:i]), None)
    if twice:
        raise PosterError(Diagnostic(f"column '{twice}' appears twice in the header; keep one", shown, header_line))
    rows: list[Row] = []
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for number, (line, cells) in enumerate(records, start=1):
        if number > MAX_CSV_ROWS:
            raise PosterError(
                Diagnostic(
                    f"more than {MAX_CSV_ROWS:,} rows (README 'Limits'); split the file and build each part "
                    "with --data",
                    shown,
                    line,
                )
            )
        problem = _row_problem(number, columns, cells)
        if problem is None:
            values = {c: _cell(v) for c, v in zip(columns, cells)}
            values.update({c: "" for c in columns[len(cells) :]})
            row_id = (values.get("id") or f"{number:03d}").lower()
            if not ROW_ID.match(row_id):
                problem = (
                    f"row {number}: id '{row_id[:40]}' must be lower-case letters, digits and '-'; fix the id column"
                )
            elif row_id in seen:
                problem = f"row {number}: id '{row_id}' is used by an earlier row; give each row its own id"
            else:
                problem = _link_problem(number, values)
        if problem:
            problems.append(Diagnostic(problem, shown, line))
            continue
        seen.add(row_id)
        rows.append(Row(row_id, line, tuple(values.items())))
    return rows, problems


def _cell(value: str) -> str:
    """A cell as written, its line breaks as \\n (a spreadsheet writes \\r\\n inside quoted cells)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _row_problem(number: int, columns: list[str], cells: list[str]) -> str | None:
    if len(cells) > len(columns):
        return f"row {number} has more cells than the header's {len(columns)} columns; quote cells that hold commas"
    for column, value in zip(columns, cells):
        bad = _CONTROL.search(value)
        if bad:
            return (
                f"row {number} column '{column}': control character U+{ord(bad.group()):04X} is not allowed; remove it"
            )
    return None


def _link_problem(number: int, values: dict[str, str]) -> str | None:
    for column, value in values.items():
        if not is_url_column(column):
            continue
        try:
            parts = urlsplit(value)
        except ValueError:  # e.g. an unclosed '[' of an IPv6 host
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in value)
        ):
            shown = value if len(value) <= 60 else value[:59] + "…"
            return (
                f"row {number} column '{column}': '{shown}' is not an http(s) link; write the full address, https://…"
            )
        size = len(value.encode("utf-8"))
        if size > MAX_QR_BYTES:
            return (
                f"row {number} column '{column}': the link is {size:,} bytes long, more than the {MAX_QR_BYTES:,} a "
                "QR code can hold (version 40, level M); use a shorter link (a redirect)"
            )
    return None
