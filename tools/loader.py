"""Loading a user's file as a workspace table: read, name, type, then one atomic save.

Everything is parsed and typed in pandas before the workspace is touched, and the table is written with one
``ws.save_table`` (a single transaction), so a failure at any step leaves the previous table as it was.
Names that are not plain SQL identifiers are sanitised (``Review Text`` -> ``review_text``; names that
already are, like ``InvoiceNo``, stay exactly as they are) and the user's own names are recorded with the
table so the schema card and results can show them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tools.base import ToolError
from tools.formats import currency_in_name
from tools.infer import Inferred, infer_column
from tools.readers import RawTable, read_raw

if TYPE_CHECKING:
    from tools.workspace import Workspace

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_PREFIX = "_martmind"


@dataclass
class LoadReport:
    """What a load did: the table, its shape and types, what was renamed, and what to double-check."""

    table: str
    path: str
    format: str
    rows: int
    columns: list[dict[str, Any]]  # name, type, original, inferred (how it was read), currency (numbers)
    renames: dict[str, str] = field(default_factory=dict)  # the file's name -> the column's name
    warnings: list[str] = field(default_factory=list)
    sheet: str | None = None
    encoding: str | None = None
    replaced_rows: int | None = None  # rows of the table this load replaced
    sales_table: bool = False  # it became the workspace's current sales table
    currency: str | None = None  # the currency its amounts carried (ISO code), None when none was seen

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "path": self.path,
            "format": self.format,
            "sheet": self.sheet,
            "encoding": self.encoding,
            "rows": self.rows,
            "columns": self.columns,
            "renames": self.renames,
            "warnings": self.warnings,
            "replaced_rows": self.replaced_rows,
            "sales_table": self.sales_table,
            "currency": self.currency,
        }

    def __str__(self) -> str:
        lines = [
            f"Loaded {Path(self.path).name} into table {self.table}: {_count(self.rows, 'row')}, "
            f"{_count(len(self.columns), 'column')}."
        ]
        if self.replaced_rows is not None:
            lines.append(
                f"It replaced the previous table {self.table} ({_count(self.replaced_rows, 'row')})."
            )
        width = max(len(c["name"]) for c in self.columns)
        type_width = max(len(c["type"]) for c in self.columns)
        for c in self.columns:
            how = [c["inferred"]] if c["inferred"] else []
            if c["original"] != c["name"]:
                how.insert(0, f"from {c['original']!r}")
            lines.append(f"  {c['name']:<{width}}  {c['type']:<{type_width}}  {'; '.join(how)}".rstrip())
        if self.currency:
            lines.append(
                f"Amounts are in {self.currency} (change it in roles.yaml: {self.table}: {{currency: ...}})."
            )
        lines += [f"Warning: {w}" for w in self.warnings]
        if self.sales_table:
            lines.append(
                f"{self.table} is now the current sales table: questions that name no table are about it."
            )
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def load_file(
    ws: Workspace, path: str | Path, table: str | None = None, sheet: str | None = None
) -> LoadReport:
    """Load a CSV/TSV/Parquet/Excel/JSON/NDJSON file as table ``table`` (default: from the file name).

    Raises:
        ToolError: one sentence naming the problem (missing, empty, binary or malformed file, bad sheet or
            table name); the workspace is unchanged.
    """
    path = Path(path).expanduser()
    raw = read_raw(path, sheet)
    warnings = list(raw.warnings)
    name = table_name(
        table if table is not None else path.stem, ws.tables(), warnings, explicit=table is not None
    )
    df, columns, renames = build_frame(raw, warnings)
    if df.empty:
        raise ToolError(f"{path.name} has column names but no rows of data.")
    replaced = _row_count(ws, name)
    original_names = {c["name"]: c["original"] for c in columns}
    note = raw.format + (f", sheet {raw.sheet!r}" if raw.sheet else "")
    currency = table_currency(columns, warnings) or currency_column(df)
    _save(ws, name, df, path, note, original_names, currency)
    types = dict(ws.columns(name))
    for c in columns:
        c["type"] = types.get(c["name"], "?")
    report = LoadReport(
        name, str(path), raw.format, len(df), columns, renames, warnings, raw.sheet, raw.encoding, replaced
    )
    report.currency = currency
    if ws.roles(name).is_sales():  # the person's own sales data is what their next questions are about
        ws.set_sales_table(name)
        report.sales_table = True
    return report


def table_currency(columns: list[dict[str, Any]], warnings: list[str]) -> str | None:
    """The currency of a file's amounts: the one its number columns carry (symbols or names), else None."""
    found = sorted({c["currency"] for c in columns if c.get("currency")})
    if len(found) > 1:
        warnings.append(
            f"Amounts are in several currencies ({', '.join(found)}); figures are shown without a "
            "currency (name one in roles.yaml: <table>: {currency: ...})."
        )
    return found[0] if len(found) == 1 else None


def currency_column(df: pd.DataFrame) -> str | None:
    """The one ISO code a ``Currency`` column holds on every row (exports that write amounts as plain
    numbers beside it, as Shopify's do), else None."""
    for name in df.columns:
        if re.sub(r"[^a-z]", "", str(name).lower()) in ("currency", "currencycode"):
            codes = {str(v).strip().upper() for v in df[name].dropna()}
            if len(codes) == 1 and re.fullmatch(r"[A-Z]{3}", next(iter(codes))):
                return next(iter(codes))
    return None


def _save(
    ws: Workspace,
    name: str,
    df: pd.DataFrame,
    path: Path,
    note: str,
    originals: dict[str, str],
    currency: str | None,
) -> None:
    import duckdb

    try:
        ws.save_table(
            name,
            df,
            source=f"file:{path.resolve()}",
            note=note,
            original_names=originals,
            currency=currency,
        )
    except duckdb.Error as e:
        first = str(e).splitlines()[0]
        raise ToolError(
            f"{path.name} could not be saved as table {name} ({first}); nothing was changed."
        ) from None


def _row_count(ws: Workspace, name: str) -> int | None:
    from tools.workspace import quote_ident

    if name not in ws.tables():
        return None
    return int(ws.query(f"SELECT count(*) AS n FROM {quote_ident(name)}")["n"][0])


# -- names ---------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def sql_keywords() -> frozenset[str]:
    """DuckDB keywords that cannot stand unquoted as a table or column name (select, order, group, left...)."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT keyword_name FROM duckdb_keywords() "
            "WHERE keyword_category IN ('reserved', 'type_function')"
        ).fetchall()
    finally:
        con.close()
    return frozenset(r[0].lower() for r in rows)


def is_identifier(name: str) -> bool:
    """A name usable unquoted in SQL: letters, digits and underscores, not a reserved keyword."""
    return bool(_IDENTIFIER.match(name)) and name.lower() not in sql_keywords()


def sanitise(name: str, fallback: str, keyword_suffix: str = "col") -> str:
    """A plain identifier for ``name``: ``Review Text`` -> ``review_text``, ``2019 Sales`` -> ``col_2019_sales``.

    Valid identifiers come back unchanged; an SQL keyword gets a suffix (``order`` -> ``order_col``).
    """
    if is_identifier(name):
        return name
    if _IDENTIFIER.match(name):  # a keyword, spelled as the user wrote it otherwise
        return f"{name}_{keyword_suffix}"
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)  # camelCase inside a messy name: keep the word break
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    if not text:
        return fallback
    if text[0].isdigit():
        text = f"col_{text}"
    return text if is_identifier(text) else f"{text}_{keyword_suffix}"


def table_name(wanted: str, existing: list[str], warnings: list[str], explicit: bool) -> str:
    """The table's name: sanitised, never a martmind metadata table, spelled like an existing table it replaces."""
    wanted = wanted.strip()
    name = sanitise(wanted, fallback="data", keyword_suffix="table")
    if name.lower().startswith(_RESERVED_PREFIX):
        raise ToolError(
            f"Table names starting with {_RESERVED_PREFIX} are reserved for martmind; pick another "
            "with --table."
        )
    if name != wanted:
        why = "is an SQL keyword" if _IDENTIFIER.match(wanted) else "is not a plain SQL name"
        source = "The table name" if explicit else "The file name"
        warnings.append(f"{source} {wanted!r} {why}; the table is named {name}.")
    # DuckDB names are case-insensitive: replacing 'Orders' with 'orders' must keep one table, one name.
    same = next((t for t in existing if t.lower() == name.lower()), None)
    return same or name


def column_names(header: list[Any], warnings: list[str]) -> list[str]:
    """Sanitised, unique column names (case-insensitively, as DuckDB compares them) for a header."""
    names: list[str] = []
    seen: set[str] = set()
    repeats: dict[str, list[str]] = {}  # lower-case name -> [first spelling, renamed copies...]
    for i, original in enumerate(header):
        base = sanitise(header_text(original), fallback=f"column_{i + 1}")
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{base}_{n}"
        if n > 1:
            repeats.setdefault(base.lower(), [base]).append(name)
        seen.add(name.lower())
        names.append(name)
    for first, *copies in repeats.values():
        warnings.append(
            f"Column name {first!r} appears {len(copies) + 1} times; the repeats are named "
            f"{', '.join(copies)}."
        )
    return names


def header_text(value: Any) -> str:
    """A header cell as text (Excel headers can be numbers or dates)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- frame -----------------------------------------------------------------------------------------------------
def build_frame(
    raw: RawTable, warnings: list[str]
) -> tuple[pd.DataFrame, list[dict[str, Any]], dict[str, str]]:
    """Name and type every column; returns the frame, per-column descriptions and the renames."""
    df = raw.df
    keep = [i for i, h in enumerate(raw.header) if header_text(h) or df[i].notna().any()]
    if len(keep) < len(raw.header):
        warnings.append(f"Dropped {len(raw.header) - len(keep)} empty column(s) without a name.")
    header = [raw.header[i] for i in keep]
    df = df[keep]
    empty = df.isna().all(axis=1)
    if empty.any() and not empty.all():
        warnings.append(f"Skipped {int(empty.sum()):,} empty row(s).")
        df = df[~empty]
    names = column_names(header, warnings)
    typed: dict[str, pd.Series] = {}
    columns, renames = [], {}
    for position, name, original in zip(df.columns, names, header, strict=True):
        original_text = header_text(original) or name
        result = _type(df[position], original_text, raw)
        if result.warning:
            warnings.append(result.warning)
        typed[name] = result.values.reset_index(drop=True)
        column: dict[str, Any] = {
            "name": name,
            "original": original_text,
            "type": "",
            "inferred": _describe(result, raw),
        }
        if pd.api.types.is_numeric_dtype(result.values) and not pd.api.types.is_bool_dtype(result.values):
            column["currency"] = result.currency or currency_in_name(original_text)
        columns.append(column)
        if original_text != name:
            renames[original_text if original_text not in renames else f"{original_text} ({name})"] = name
    return pd.DataFrame(typed), columns, renames


def _type(series: pd.Series, name: str, raw: RawTable) -> Inferred:
    if raw.format == "parquet":  # a Parquet file's own types are the author's choice
        return Inferred(series, "native")
    return infer_column(series, name, decimal_comma=raw.delimiter == ";")


def _describe(result: Inferred, raw: RawTable) -> str:
    """How a column was read, for the report (empty when it was plain text, or typed by the file itself)."""
    if result.kind in ("native", "text") or (raw.format != "csv" and raw.format != "tsv" and not result.note):
        return result.note
    return f"{result.kind} ({result.note})" if result.note else result.kind
