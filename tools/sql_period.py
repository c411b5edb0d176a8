"""The period a question states, checked in the SQL's conditions on date columns.

A small model re-typing "in 2011" writes ``InvoiceDate >= '2011-01-01' AND InvoiceDate < '2011-01-02'``
(a day), ``BETWEEN '2011-01-01' AND '2011-12-31'`` over a timestamp (the last day's hours left out), one
bound only, or a date range the question never stated. Code knows the period (agent.question reads it), so
the conditions are checked against it: the one form with a single meaning is repaired (the last day of a
timestamp range becomes ``< the next day``), anything else is refused with the conditions to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlglot import exp

from tools.periods import Period

_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "=": "="}
_OPS = {exp.GTE: ">=", exp.GT: ">", exp.LTE: "<=", exp.LT: "<", exp.EQ: "="}
_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T][\d:.]+)?$")  # a day, or a time on it


@dataclass
class DateBound:
    """One condition ``column op day`` (a BETWEEN gives two) and the node it was read from."""

    node: exp.Expr
    column: exp.Column
    op: str
    day: date


def date_bounds(tree: exp.Expression, date_columns: dict[str, str]) -> list[DateBound]:
    """The conditions comparing a date column (``date_columns``: lower-case name -> name) with a date."""
    bounds: list[DateBound] = []
    for node in tree.find_all(*_OPS):
        op = _OPS[type(node)]
        column, day = _column(node.this, date_columns), _day(node.expression)
        if column is None:
            column, day, op = _column(node.expression, date_columns), _day(node.this), _FLIP[op]
        if column is not None and day is not None:
            bounds.append(DateBound(node, column, op, day))
    for between in tree.find_all(exp.Between):
        column = _column(between.this, date_columns)
        low, high = _day(between.args.get("low")), _day(between.args.get("high"))
        if column is not None and low is not None and high is not None:
            bounds += [DateBound(between, column, ">=", low), DateBound(between, column, "<=", high)]
    return bounds


def _column(node: exp.Expression | None, date_columns: dict[str, str]) -> exp.Column | None:
    while isinstance(node, exp.Cast):
        node = node.this
    return node if isinstance(node, exp.Column) and node.name.lower() in date_columns else None


def _day(node: exp.Expression | None) -> date | None:
    while isinstance(node, exp.Cast):
        node = node.this
    if not (isinstance(node, exp.Literal) and node.is_string):
        return None
    m = _ISO_DAY.match(node.name.strip())
    try:
        return date.fromisoformat(m.group(1)) if m else None
    except ValueError:
        return None


def _fits(bound: DateBound, period: Period) -> bool:
    start, end = period.start, period.end
    if bound.op == ">=":
        return bound.day == start
    if bound.op == ">":
        return start is not None and bound.day == start - timedelta(days=1)
    if bound.op == "<":
        return bound.day == end
    if bound.op == "<=":
        return end is not None and bound.day == end - timedelta(days=1)
    return start is not None and end == start + timedelta(days=1) == bound.day + timedelta(days=1)


def _condition(column: str, period: Period) -> str:
    sides = [
        f"{column} >= '{period.start}'" if period.start else "",
        f"{column} < '{period.end}'" if period.end else "",
    ]
    return " AND ".join(s for s in sides if s)


def period_problem(tree: exp.Expression, period: Period, date_columns: dict[str, str]) -> str | None:
    """Why the SQL's date conditions do not cover exactly ``period``, or None when they do.

    A date column inside a function (``year(InvoiceDate) = 2011``) is the model's own way of writing a
    period; it is not read here, so such SQL passes.
    """
    bounds = date_bounds(tree, date_columns)
    if not bounds and (_in_function(tree, date_columns) or _year_number(tree, period)):
        return None  # the model's own way of writing the period: year(d) = 2011, or a year column
    column = bounds[0].column.sql() if bounds else _any_date_column(tree, date_columns)
    stated = f"The question states {period.describe()}"
    fix = f"Write {_condition(column, period)}."
    wrong = [b for b in bounds if not _fits(b, period)]
    if wrong:
        written = ", ".join(f"{b.column.sql()} {b.op} '{b.day}'" for b in wrong)
        return f"{stated}, but the SQL's date condition is {written}. {fix}"
    lower = any(b.op in (">=", ">", "=") for b in bounds)
    upper = any(b.op in ("<", "<=", "=") for b in bounds)
    if bounds and (lower or not period.start) and (upper or not period.end):
        return None
    return f"{stated}, but the SQL does not limit {column} to it. {fix}"


def unstated_period_problem(tree: exp.Expression, date_columns: dict[str, str]) -> str | None:
    """Why date conditions in SQL for a question that names no time are refused, or None."""
    bounds = date_bounds(tree, date_columns)
    if not bounds:
        return None
    written = ", ".join(f"{b.column.sql()} {b.op} '{b.day}'" for b in bounds)
    return f"The question states no period, but the SQL limits the dates ({written}). Leave the dates out."


def whole_last_days(tree: exp.Expression, period: Period, timestamps: dict[str, str]) -> list[str]:
    """Make ``<= last day`` over a timestamp column ``< the next day``, in place: '2011-12-31' is that
    day's midnight, so the condition leaves out the day's hours. Returns a note per change."""
    if period.end is None:
        return []
    last, notes = period.end - timedelta(days=1), []
    for bound in date_bounds(tree, timestamps):
        if bound.op != "<=" or bound.day != last:
            continue
        before_end = exp.LT(this=bound.column.copy(), expression=exp.Literal.string(period.end.isoformat()))
        if isinstance(bound.node, exp.Between):
            low = exp.GTE(this=bound.column.copy(), expression=bound.node.args["low"].copy())
            bound.node.replace(exp.paren(exp.and_(low, before_end), copy=False))
        else:
            bound.node.replace(before_end)
        notes.append(f"{bound.column.sql()} < '{period.end}' (all of {last}, not its midnight only)")
    return notes


def _any_date_column(tree: exp.Expression, date_columns: dict[str, str]) -> str:
    """The date column the query names, else the first of the tables it reads."""
    named = (c.sql() for c in tree.find_all(exp.Column) if c.name.lower() in date_columns)
    return next(named, next(iter(date_columns.values())))


def _year_number(tree: exp.Expression, period: Period) -> bool:
    """A condition compares something with the period's year as a number ("order_year = 2011")."""
    year = period.start.year if period.start else None
    return any(
        lit.is_int and int(lit.name) == year
        for where in tree.find_all(exp.Where)
        for lit in where.find_all(exp.Literal)
    )


def _in_function(tree: exp.Expression, date_columns: dict[str, str]) -> bool:
    """A date column used inside a function in a condition (``year(d) = 2011``, ``date_trunc(...)``)."""
    for where in tree.find_all(exp.Where):
        for column in where.find_all(exp.Column):
            if column.name.lower() in date_columns and isinstance(column.parent, exp.Func):
                return True
    return False
