"""Reading a user's file into a raw DataFrame: CSV/TSV, Parquet, spreadsheets (Excel, OpenDocument), JSON.

Readers return the header exactly as the file has it (duplicates and odd names included; ``tools.loader``
sanitises them) and, for text formats, every value as a string, so that ``tools.infer`` decides the types
once, the same way for every format. Every failure is a ``ToolError`` with one sentence naming the file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tools.base import ToolError

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xlsb": "excel",
    ".xls": "excel",
    ".ods": "excel",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
SUPPORTED = "CSV, TSV, Parquet, Excel (.xlsx, .xlsm, .xlsb, .xls), OpenDocument (.ods), JSON or NDJSON"
_SNIFF_BYTES = 64 * 1024
_HEADER_CHARS = 1024 * 1024  # a header record longer than this is not a table


@dataclass
class RawTable:
    """A file's contents before typing: header as written, values as the reader found them."""

    header: list[Any]
    df: pd.DataFrame  # columns are positions 0..n-1; names live in ``header``
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)


def read_raw(path: Path, sheet: str | None = None) -> RawTable:
    """Read ``path`` by its extension; a clear ToolError for a missing, empty or unreadable file."""
    if not path.exists():
        raise ToolError(f"File not found: {path}.")
    if path.is_dir():
        raise ToolError(f"{path} is a folder; give the path of one {SUPPORTED} file.")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ToolError(f"{path.name} is not a file type martmind reads; use {SUPPORTED}.")
    if path.stat().st_size == 0:
        raise ToolError(f"The file {path.name} is empty.")
    if sheet is not None and fmt != "excel":
        raise ToolError(f"--sheet only applies to Excel files, and {path.name} is not one.")
    if fmt in ("csv", "tsv"):
        return read_csv(path, delimiter="\t" if fmt == "tsv" else None)
    if fmt == "parquet":
        return read_parquet(path)
    if fmt == "excel":
        return read_excel(path, sheet)
    return read_json(path, ndjson=fmt == "ndjson")


# -- text ----------------------------------------------------------------------------------------------------
def decode(path: Path) -> tuple[str, str]:
    """The file's text and the encoding used: UTF-8 if valid, else Windows-1252, else Latin-1.

    Binary content (NUL bytes, or a Parquet/Excel/zip signature) is refused with a sentence saying so.
    """
    data = path.read_bytes()
    head = data[:_SNIFF_BYTES]
    kind = _binary_kind(head)
    if kind:
        raise ToolError(
            f"{path.name} is not a text file ({kind}); give a real {path.suffix.lstrip('.').upper()} "
            "file or rename it to its real extension."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _binary_kind(head: bytes) -> str | None:
    if head.startswith(b"PAR1"):
        return "it is a Parquet file"
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip archive, perhaps an Excel workbook"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 text has NUL bytes but is text
    if b"\x00" in head:
        return "it contains binary data"
    # Control characters other than tab/newline/carriage return/form feed are rare in real text files.
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.05:
        return "it contains binary data"
    return None


def read_csv(path: Path, delimiter: str | None = None) -> RawTable:
    """A delimited text file, every value as text (empty fields are null).

    A row with more or fewer fields than the header is refused, naming its line: loading it would shift
    values into the wrong columns or drop them, and a wrong number in a report is worse than no load.
    """
    import pyarrow as pa

    text, encoding = decode(path)
    if not text.strip():
        raise ToolError(f"The file {path.name} is empty.")
    delimiter = delimiter or sniff_delimiter(text)
    try:
        header, header_lines = _first_record(text[:_HEADER_CHARS], delimiter)
    except csv.Error as e:  # e.g. an opening quote never closed runs past the csv module's field limit
        raise ToolError(
            f"The first line of {path.name} could not be read as column names ({e}); check for a quote "
            "that is never closed."
        ) from None
    if not any(str(h).strip() for h in header):
        raise ToolError(f"The first line of {path.name} is empty; it should hold the column names.")
    n = len(header)
    if not re.compile(r"\S").search(text, _offset_after_lines(text, header_lines)):
        raise ToolError(f"{path.name} has column names but no rows of data.")
    # Arrow reads UTF-8: the file's own bytes when they are UTF-8, else the decoded text re-encoded.
    payload = path.read_bytes().removeprefix(b"\xef\xbb\xbf") if encoding == "utf-8-sig" else text.encode()
    try:
        table = _arrow_csv(payload, header_lines, delimiter, n)
    except pa.ArrowInvalid:
        try:  # a field longer than Arrow's 1 MB block (a huge review) reads in one block
            table = _arrow_csv(payload, header_lines, delimiter, n, block_size=len(payload) + 1)
        except pa.ArrowInvalid as e:
            raise ToolError(_ragged_message(path, text, delimiter, n, str(e))) from None
    if table.num_columns != n:  # Arrow takes the width from the first data row, not the header
        raise ToolError(_ragged_message(path, text, delimiter, n, "rows are narrower than the header"))
    df = table.to_pandas()
    df.columns = range(df.shape[1])
    warnings = []
    if encoding not in ("utf-8-sig", "utf-16"):
        label = "Windows-1252" if encoding == "cp1252" else "Latin-1"
        warnings.append(f"{path.name} is not UTF-8; read it as {label} text.")
    return RawTable(header, df, "tsv" if delimiter == "\t" else "csv", encoding, delimiter, warnings=warnings)


def _arrow_csv(payload: bytes, header_lines: int, delimiter: str, n: int, block_size: int = 1 << 20):
    """Every value as text; only empty fields are null here: "NA", "null"... become null in typed columns
    (tools.infer), while a text column keeps them verbatim ("NA" may be Namibia)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        io.BytesIO(payload),
        read_options=pacsv.ReadOptions(
            skip_rows=header_lines, autogenerate_column_names=True, block_size=block_size
        ),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(n)},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def sniff_delimiter(text: str) -> str:
    """Comma unless the first lines are clearly separated by semicolons, tabs or pipes."""
    sample = "\n".join(text[:_SNIFF_BYTES].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _first_record(text: str, delimiter: str) -> tuple[list[str], int]:
    """The header record and how many physical lines it spans (a quoted name may hold a newline)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        if row:
            return row, reader.line_num
    return [], 0


def _offset_after_lines(text: str, lines: int) -> int:
    """The character offset where physical line ``lines + 1`` starts (lines end in \\n, \\r\\n or \\r)."""
    offset = 0
    for _ in range(lines):
        found = _LINE_END.search(text, offset)
        if found is None:
            return len(text)
        offset = found.end()
    return offset


_LINE_END = re.compile(r"\r\n|\r|\n")


def _ragged_message(path: Path, text: str, delimiter: str, n: int, arrow_message: str) -> str:
    """Find the first row whose field count differs from the header's, with its line number."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    with contextlib.suppress(csv.Error):  # a field over the csv module's 128 KB limit: Arrow's words
        next(reader, None)
        for row in reader:
            if row and len(row) != n:
                more = "more" if len(row) > n else "fewer"
                return (
                    f"Line {reader.line_num} of {path.name} has {len(row)} fields but the header has {n} "
                    f"({more} than expected); fix that row (quote values that contain "
                    f"'{_show(delimiter)}') and load again."
                )
    detail = arrow_message.splitlines()[0].removeprefix("CSV parse error: ")
    return f"{path.name} could not be read as {_show(delimiter)}-separated text: {detail}."


def _show(delimiter: str) -> str:
    return {"\t": "tab", ",": ",", ";": ";", "|": "|"}.get(delimiter, delimiter)


# -- Parquet -------------------------------------------------------------------------------------------------
def read_parquet(path: Path) -> RawTable:
    """A Parquet file keeps its own column types: its author chose them."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise ToolError(f"{path.name} is not a readable Parquet file ({str(e).splitlines()[0]}).") from None
    header = list(table.column_names)
    df = table.to_pandas()
    df.columns = range(df.shape[1])
    return RawTable(header, df, "parquet")


# -- Excel ---------------------------------------------------------------------------------------------------
def read_excel(path: Path, sheet: str | None) -> RawTable:
    """One sheet of a workbook (.xlsx, .xlsm, .xlsb, .xls or .ods, read by calamine): the one named by
    ``sheet`` (a name or 1-based number), else the first. Cells hold their computed values."""
    from python_calamine import CalamineWorkbook

    kind = "spreadsheet" if path.suffix.lower() == ".ods" else "Excel workbook"
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # noqa: BLE001 - calamine raises its own errors for a broken or foreign file
        raise ToolError(f"{path.name} is not a readable {kind} ({str(e).splitlines()[0]}).") from None
    try:
        names = list(book.sheet_names)
        chosen = _pick_sheet(path, names, sheet)
        rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except ToolError:
        raise
    except Exception as e:  # noqa: BLE001 - a sheet calamine cannot decode
        raise ToolError(
            f"Sheet {chosen!r} of {path.name} cannot be read ({str(e).splitlines()[0]})."
        ) from None
    finally:
        book.close()
    cells: list[list[Any]] = [[_cell(v) for v in r] for r in rows]
    cells = [r for r in cells if any(v is not None and str(v).strip() != "" for v in r)]
    if not cells:
        raise ToolError(f"Sheet {chosen!r} of {path.name} is empty.")
    width = max(len(r) for r in cells)
    cells = [r + [None] * (width - len(r)) for r in cells]
    warnings = []
    if sheet is None and len(names) > 1:
        others = ", ".join(repr(n) for n in names[1:])
        warnings.append(
            f"{path.name} has {len(names)} sheets; loaded the first, {chosen!r} (others: {others}); "
            "use --sheet to load another."
        )
    df = pd.DataFrame(cells[1:], columns=range(width), dtype=object)
    return RawTable(cells[0], df, "excel", sheet=chosen, warnings=warnings)


def _cell(value: Any) -> Any:
    """A cell as the typing step expects it: calamine writes an empty cell as "" and every number of an
    .xlsx or .ods as a float (a whole quantity of 2 is 2, not 2.0)."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _pick_sheet(path: Path, names: list[str], sheet: str | None) -> str:
    if not names:
        raise ToolError(f"{path.name} has no sheets.")
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    lowered = {n.lower(): n for n in names}
    if sheet.lower() in lowered:
        return lowered[sheet.lower()]
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    listing = ", ".join(repr(n) for n in names)
    raise ToolError(f"{path.name} has no sheet {sheet!r}; its sheets are {listing}.")


# -- JSON ----------------------------------------------------------------------------------------------------
def read_json(path: Path, ndjson: bool) -> RawTable:
    """An array of records, an object holding one, or one record per line (NDJSON); nested objects flatten."""
    text, encoding = decode(path)
    if not text.strip():
        raise ToolError(f"The file {path.name} is empty.")
    warnings: list[str] = []
    records = _ndjson_records(path, text) if ndjson else _json_records(path, text, warnings)
    if not records:
        raise ToolError(f"{path.name} holds no records.")
    if not all(isinstance(r, dict) for r in records):
        raise ToolError(f"{path.name} must hold records (JSON objects with named fields), not bare values.")
    df = pd.json_normalize(records, sep=".")
    if df.shape[1] == 0:
        raise ToolError(f"{path.name} holds only empty records.")
    header = list(df.columns)
    df = df.astype(object)
    df.columns = range(df.shape[1])
    return RawTable(header, df, "ndjson" if ndjson else "json", encoding, warnings=warnings)


def _json_records(path: Path, text: str, warnings: list[str]) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # several documents: really NDJSON under a .json name
            return _ndjson_records(path, text)
        raise ToolError(
            f"{path.name} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}."
        ) from None
    if isinstance(data, dict):
        lists = [
            k for k, v in data.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)
        ]
        if len(lists) == 1:
            warnings.append(f"{path.name} is an object; loaded the records under its key {lists[0]!r}.")
            return data[lists[0]]
        return [data]
    if isinstance(data, list):
        return data
    raise ToolError(f"{path.name} holds a single JSON value, not records.")


def _ndjson_records(path: Path, text: str) -> list[Any]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise ToolError(f"Line {number} of {path.name} is not valid JSON ({e.msg}).") from None
    return records
