"""Filters of the semantic layer: text values matched to stored values, numbers, and date ranges.

Each filter becomes a ``Condition``: the SQL (values written as escaped literals, so the statement is
deterministic and shows exactly what ran) and a label saying in words what it keeps.
"""

from __future__ import annotations

import math
from typing import Any

from tools.base import RetryableToolError
from tools.metric_sql import WEEKDAYS, Condition, Dimension, TableContext, literal
from tools.names import closest_many
from tools.periods import Period, parse_period
from tools.roles import NUMERIC_TYPES
from tools.values import other_names, word_key
from tools.workspace import quote_ident

# -- values ----------------------------------------------------------------------------------------------


def match_text_value(ctx: TableContext, dim: Dimension, value: str) -> list[str]:
    """The stored values of ``dim`` that ``value`` means: exact, else case-insensitive, else another name
    of it ("Holland", "DE" for Germany: tools.values.other_names), else the same words but for their endings
    ("partial refund" for partially_refunded), else initials ("UK").

    Raises:
        RetryableToolError: nothing matches; the message names the closest stored values.
    """
    text = " ".join(str(value).split())
    expr = f"CAST({dim.column_sql} AS VARCHAR)"
    for names in ([text.lower()], sorted(other_names(text))):
        marks = ", ".join("?" for _ in names)
        found = (
            ctx.ws.query(
                f"SELECT DISTINCT {expr} AS v FROM {ctx.ref} WHERE lower(trim({expr})) IN ({marks}) ORDER BY v",
                names,
            )["v"].tolist()
            if names
            else []
        )
        if text in found:
            return [text]
        if found:
            return found
    if dim.kind == "weekday" and text.title() in WEEKDAYS:
        return [text.title()]  # a real weekday with no sales: an empty result, not an error
    stored = ctx.ws.query(
        f"SELECT DISTINCT {expr} AS v FROM {ctx.ref} WHERE {expr} IS NOT NULL ORDER BY v LIMIT 100000"
    )["v"].tolist()
    words = word_key(text)
    same_words = [s for s in stored if word_key(s) == words]  # "partial refund"
    if same_words:
        return same_words
    initials = [
        s for s in stored if len(s.split()) > 1 and "".join(w[0] for w in s.split()).lower() == text.lower()
    ]
    if len(initials) == 1:
        return initials
    close = [c for c, _ in closest_many(text, stored, limit=5)]
    hint = (
        f"Closest stored values: {', '.join(map(repr, close))}."
        if close
        else f"Some stored values: {', '.join(map(repr, stored[:8]))}."
    )
    raise RetryableToolError(f"No {dim.label} equals {text!r} in {ctx.table}. {hint}")


# -- filters ---------------------------------------------------------------------------------------------


def date_range_condition(ctx: TableContext, text: str) -> tuple[Condition, Period]:
    """The condition for a ``date_range`` argument on the table's timestamp column."""
    ts = ctx.timestamp_column("a date range")
    period = parse_period(text, ctx.last_date)
    return Condition(_period_sql(quote_ident(ts), period), f"{ts} in {period.describe()}"), period


def filter_condition(
    ctx: TableContext, column: str, op: str, values: list[Any]
) -> tuple[Condition, list[Period]]:
    """One filter as an SQL condition; text values are matched to stored values first."""
    dim = ctx.dimension(column)
    if op in ("present", "absent"):
        return _presence_filter(dim, op == "present"), []
    if not values:
        raise RetryableToolError(
            f"The filter on {column!r} has no value; give `value` (or `values` for {op})."
        )
    dtype = dim.dtype.upper()
    if dtype.startswith(("DATE", "TIMESTAMP")):
        return _time_filter(ctx, dim, op, values)
    if dtype.startswith(NUMERIC_TYPES):
        return _numeric_filter(dim, op, values, integer="INT" in dtype), []
    if dtype == "BOOLEAN":
        return _boolean_filter(dim, op, values[0]), []
    return _text_filter(ctx, dim, op, values), []


def _presence_filter(dim: Dimension, present: bool) -> Condition:
    """ "Orders with a discount code": the column is filled (an empty text is no code)."""
    filled = f"coalesce(trim(CAST({dim.column_sql} AS VARCHAR)) <> '', FALSE)"
    return Condition(
        filled if present else f"NOT {filled}", f"{dim.label} is {'present' if present else 'absent'}"
    )


_YES, _NO = {"true", "yes", "y", "t", "1", "1.0"}, {"false", "no", "n", "f", "0", "0.0"}


def _boolean_filter(dim: Dimension, op: str, value: Any) -> Condition:
    """A yes/no column ("newsletter subscribers": Newsletter = true)."""
    text = str(value).strip().lower()
    if op not in ("=", "!=") or text not in _YES | _NO:
        raise RetryableToolError(f"{dim.label} is true or false: filter it with = true or = false.")
    flag = (text in _YES) == (op == "=")
    return Condition(f"{dim.column_sql} = {str(flag).upper()}", f"{dim.label} is {str(flag).lower()}")


def _text_filter(ctx: TableContext, dim: Dimension, op: str, values: list[Any]) -> Condition:
    col = dim.column_sql
    if op == "contains":
        parts = [f"contains(lower(CAST({col} AS VARCHAR)), {literal(str(v).lower())})" for v in values]
        return Condition(
            " OR ".join(parts), f"{dim.label} contains {' or '.join(map(repr, map(str, values)))}"
        )
    if op not in ("=", "!=", "in", "not in"):
        raise RetryableToolError(f"{dim.label} holds text; use =, !=, in, not in or contains, not {op}.")
    stored: list[str] = []
    for v in values:
        stored += [s for s in match_text_value(ctx, dim, str(v)) if s not in stored]
    shown = ", ".join(map(repr, stored))
    members = ", ".join(literal(s) for s in stored)
    if op in ("=", "in"):
        sql = f"{col} = {members}" if len(stored) == 1 else f"{col} IN ({members})"
        return Condition(sql, f"{dim.label} = {shown}" if len(stored) == 1 else f"{dim.label} in ({shown})")
    return Condition(f"NOT coalesce({col} IN ({members}), FALSE)", f"{dim.label} not in ({shown})")


def _numeric_filter(dim: Dimension, op: str, values: list[Any], integer: bool) -> Condition:
    numbers = [_number(dim, v) for v in values]
    lits = [_num_literal(n, integer) for n in numbers]
    col = dim.column_sql
    if op in (">", ">=", "<", "<="):
        return Condition(f"{col} {op} {lits[0]}", f"{dim.label} {op} {lits[0]}")
    if op == "between":
        if len(lits) != 2:
            raise RetryableToolError(f"between on {dim.label} needs `values` [low, high].")
        return Condition(
            f"{col} BETWEEN {lits[0]} AND {lits[1]}", f"{dim.label} between {lits[0]} and {lits[1]}"
        )
    if op in ("=", "in"):
        sql = f"{col} = {lits[0]}" if len(lits) == 1 else f"{col} IN ({', '.join(lits)})"
        return Condition(sql, f"{dim.label} {'=' if len(lits) == 1 else 'in'} {', '.join(lits)}")
    if op in ("!=", "not in"):
        return Condition(
            f"NOT coalesce({col} IN ({', '.join(lits)}), FALSE)", f"{dim.label} not in ({', '.join(lits)})"
        )
    return Condition(
        f"contains(CAST({col} AS VARCHAR), {literal(str(values[0]))})", f"{dim.label} contains {values[0]!r}"
    )


def _time_filter(
    ctx: TableContext, dim: Dimension, op: str, values: list[Any]
) -> tuple[Condition, list[Period]]:
    col = dim.column_sql
    if op == "between" and len(values) != 2:
        # One bound is no range: reading it as that one day is how "in 2011" became 2011-01-01.
        raise RetryableToolError(
            f"between on {dim.label} needs two bounds, `values` [first, last]; for one period use the "
            f"`date_range` argument or op = with the period (e.g. 2011, 2011-05, 2011-Q3)."
        )
    periods = [parse_period(str(v), ctx.last_date) for v in values]
    first, last = periods[0], periods[-1]
    if op in ("=", "in", "!=", "not in", "contains"):
        either = (
            " OR ".join(f"({_period_sql(col, p)})" for p in periods)
            if len(periods) > 1
            else _period_sql(col, first)
        )
        described = " or ".join(p.describe() for p in periods)
        if op in ("!=", "not in"):
            return Condition(f"NOT coalesce({either}, FALSE)", f"{dim.label} not in {described}"), periods
        return Condition(either, f"{dim.label} in {described}"), periods
    bounds = {
        ">=": (first.start, None),
        ">": (first.end, None),
        "<": (None, first.start),
        "<=": (None, first.end),
        "between": (first.start, last.end),
    }
    start, end = bounds[op]
    period = Period(
        start, end, " and ".join(str(v) for v in values) if op == "between" else f"{op} {values[0]}"
    )
    return Condition(_period_sql(col, period), f"{dim.label} {period.describe()}"), periods


def _period_sql(col: str, period: Period) -> str:
    parts = []
    if period.start:
        parts.append(f"{col} >= DATE '{period.start.isoformat()}'")
    if period.end:
        parts.append(f"{col} < DATE '{period.end.isoformat()}'")
    return " AND ".join(parts) or "TRUE"


def _number(dim: Dimension, value: Any) -> float:
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        raise RetryableToolError(f"{dim.label} holds numbers; {value!r} is not a number.") from None
    if math.isnan(number) or math.isinf(number):
        raise RetryableToolError(f"{dim.label} needs a finite number, not {value!r}.")
    return number


def _num_literal(number: float, integer: bool) -> str:
    return str(int(number)) if number.is_integer() and (integer or abs(number) < 1e15) else repr(number)
