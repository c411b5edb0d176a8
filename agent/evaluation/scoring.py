"""The scorer: is a predicted result the gold result? And does a query name things that do not exist?

Execution accuracy compares result sets the way text-to-SQL benchmarks do: rows form a *multiset*
(duplicates count, order ignored) unless the gold query orders its output; column order and names are
ignored (columns are matched by their values); numbers compare with a relative tolerance; NULL equals NULL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlglot
from sqlglot import exp

ABS_TOLERANCE = 1e-9
MAX_PERMUTATIONS = 5040  # 7 columns; wider results are matched greedily column by column


@dataclass
class ResultTable:
    """Rows of a result with their column names (names are informative only: they never affect a match)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> ResultTable:
        return cls([str(c) for c in df.columns], [tuple(r) for r in df.itertuples(index=False, name=None)])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResultTable:
        rows = [tuple(r) for r in data["rows"]]
        columns = data.get("columns") or [f"col{i}" for i in range(len(rows[0]) if rows else 0)]
        return cls([str(c) for c in columns], rows)

    def preview(self, limit: int = 20) -> dict[str, Any]:
        """A JSON-ready head of the table for reports."""
        return {
            "columns": self.columns,
            "rows": [[_plain(v) for v in r] for r in self.rows[:limit]],
            "total_rows": len(self.rows),
        }


@dataclass
class Match:
    ok: bool
    reason: str = ""  # why not, in a few words, for the failure report


# -- values -------------------------------------------------------------------------------------------------
def normalise(value: Any) -> Any:
    """One comparable form per value: None for every kind of null, float for every number, ISO text for times."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, bool):
        return float(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes, dt.date, dt.datetime)):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()  # numpy scalar
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, dt.date):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def values_equal(a: Any, b: Any, tolerance: float) -> bool:
    """Equality of normalised values; numbers within ``tolerance`` relative (or 1e-9 absolute)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= max(ABS_TOLERANCE, tolerance * max(abs(a), abs(b)))
    return a == b


def _sort_key(value: Any) -> tuple[int, Any]:
    # Nulls, then numbers (rounded so values within tolerance usually sort next to each other), then text.
    if value is None:
        return (0, 0)
    if isinstance(value, float):
        return (1, float(f"{value:.6g}"))
    return (2, str(value))


# -- result sets ---------------------------------------------------------------------------------------------
def compare_results(
    gold: ResultTable,
    predicted: ResultTable,
    *,
    ordered: bool = False,
    tolerance: float = 1e-6,
    allow_extra_columns: bool = False,
) -> Match:
    """Whether ``predicted`` holds the gold result.

    Args:
        gold: the gold result.
        predicted: the assistant's result.
        ordered: compare rows in order (the gold query has an ORDER BY); else as multisets.
        tolerance: relative tolerance for numbers.
        allow_extra_columns: accept a prediction with more columns than the gold (a tool's table often
            carries extra context columns); the gold columns must still all be there.
    """
    g_rows = [tuple(normalise(v) for v in r) for r in gold.rows]
    p_rows = [tuple(normalise(v) for v in r) for r in predicted.rows]
    g_width = len(gold.columns) if gold.columns else (len(g_rows[0]) if g_rows else 0)
    p_width = len(predicted.columns) if predicted.columns else (len(p_rows[0]) if p_rows else 0)
    if len(g_rows) != len(p_rows):
        return Match(False, f"{len(p_rows)} rows, gold has {len(g_rows)}")
    if p_width < g_width or (p_width > g_width and not allow_extra_columns):
        return Match(False, f"{p_width} columns, gold has {g_width}")
    if not g_rows:
        return Match(True)
    for mapping in _column_mappings(g_rows, p_rows, g_width, p_width, tolerance):
        projected = [tuple(r[i] for i in mapping) for r in p_rows]
        if _rows_equal(g_rows, projected, ordered, tolerance):
            return Match(True)
    if not ordered:
        return Match(False, "values differ")
    for mapping in _column_mappings(g_rows, p_rows, g_width, p_width, tolerance):
        projected = [tuple(r[i] for i in mapping) for r in p_rows]
        if _rows_equal(g_rows, projected, False, tolerance):
            return Match(False, "same rows, wrong order")
    return Match(False, "values differ")


def _column_mappings(g_rows, p_rows, g_width: int, p_width: int, tolerance: float):
    """Candidate assignments gold column -> predicted column, pruned by comparing each column's values."""
    candidates = []
    for g in range(g_width):
        g_col = sorted((r[g] for r in g_rows), key=_sort_key)
        fits = [
            p
            for p in range(p_width)
            if _same_values(g_col, sorted((r[p] for r in p_rows), key=_sort_key), tolerance)
        ]
        if not fits:
            return
        candidates.append(fits)
    count = 0
    for mapping in itertools.product(*candidates):
        if len(set(mapping)) != len(mapping):
            continue
        yield mapping
        count += 1
        if count >= MAX_PERMUTATIONS:
            return


def _same_values(a: list[Any], b: list[Any], tolerance: float) -> bool:
    if all(values_equal(x, y, tolerance) for x, y in zip(a, b, strict=False)):
        return True
    return _multiset_equal([(x,) for x in a], [(y,) for y in b], tolerance)


def _rows_equal(gold: Sequence[tuple], pred: Sequence[tuple], ordered: bool, tolerance: float) -> bool:
    if ordered:
        return all(_row_equal(g, p, tolerance) for g, p in zip(gold, pred, strict=False))
    return _multiset_equal(list(gold), list(pred), tolerance)


def _row_equal(a: tuple, b: tuple, tolerance: float) -> bool:
    return all(values_equal(x, y, tolerance) for x, y in zip(a, b, strict=False))


def _multiset_equal(gold: list[tuple], pred: list[tuple], tolerance: float) -> bool:
    """Multiset equality with tolerance: sort and pair up; if that fails, match row by row (small results)."""
    key = lambda row: tuple(_sort_key(v) for v in row)  # noqa: E731
    g_sorted, p_sorted = sorted(gold, key=key), sorted(pred, key=key)
    if all(_row_equal(g, p, tolerance) for g, p in zip(g_sorted, p_sorted, strict=False)):
        return True
    if len(gold) > 2000:
        return False
    # Values within tolerance can straddle a rounding boundary and sort apart: pair them explicitly.
    unused = list(p_sorted)
    for g in g_sorted:
        for i, p in enumerate(unused):
            if _row_equal(g, p, tolerance):
                del unused[i]
                break
        else:
            return False
    return True


# -- SQL analysis --------------------------------------------------------------------------------------------
def parse_sql(sql: str, dialect: str = "duckdb") -> Any:
    """The sqlglot tree (an ``exp.Expression``) of one statement, or None when it does not parse."""
    try:
        return sqlglot.parse_one(sql, read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return None


def gold_orders(sql: str, dialect: str = "duckdb") -> bool:
    """Whether the outermost query has an ORDER BY (then row order is part of the answer)."""
    tree = parse_sql(sql, dialect)
    if tree is None:
        return False
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    return tree.args.get("order") is not None


def unknown_names(sql: str, schema: dict[str, set[str]], dialect: str = "duckdb") -> list[str]:
    """Tables and columns the query names that the schema does not have (schema hallucinations).

    ``schema`` maps lower-case table names to sets of lower-case column names. Names the query itself
    defines (CTEs, aliases, lambda parameters) are not hallucinations. An unparsable query returns [].
    """
    tree = parse_sql(sql, dialect)
    if tree is None:
        return []
    defined = _defined_names(tree)
    missing: list[str] = []
    aliases: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as range(10)
        name = table.name.lower()
        if name in defined["ctes"] or (table.db and table.db.lower() in ("information_schema", "pg_catalog")):
            continue
        if name not in schema:
            missing.append(f"table {table.name}")
        aliases[(table.alias or table.name).lower()] = name
    known_columns = set().union(*(schema.get(t, set()) for t in aliases.values())) if aliases else set()
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        name, qualifier = column.name.lower(), column.table.lower()
        if name in defined["names"]:
            continue
        if qualifier and aliases.get(qualifier) in schema:
            ok = name in schema[aliases[qualifier]]
        else:
            ok = name in known_columns
        if not ok:
            missing.append(f"column {column.sql(dialect=dialect)}")
    return sorted(set(missing))


def _defined_names(tree: exp.Expression) -> dict[str, set[str]]:
    ctes = {cte.alias.lower() for cte in tree.find_all(exp.CTE) if cte.alias}
    names = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    for table_alias in tree.find_all(exp.TableAlias):
        names.add(table_alias.name.lower())
        names.update(c.name.lower() for c in table_alias.columns)
    for lam in tree.find_all(exp.Lambda):
        names.update(e.name.lower() for e in lam.expressions)
    return {"ctes": ctes, "names": names}


def _plain(value: Any) -> Any:
    value = normalise(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
