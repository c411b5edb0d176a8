"""The semantic layer's compiler: dimensions, filters and metrics of one table -> one SQL statement.

Everything here is deterministic: the same arguments on the same table give byte-identical SQL, with values
written as escaped literals (so the statement shown to the person is exactly the one that ran).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from tools.base import RetryableToolError
from tools.metric_defs import Catalog, MetricDef, MissingRoles
from tools.names import closest, closest_many
from tools.periods import Period, parse_period
from tools.roles import normalise
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from tools.workspace import Workspace

TIME_GRAINS = ("day", "week", "month", "quarter", "year")
NAMED_DIMENSIONS = (
    "country",
    "product",
    "stock_code",
    "customer",
    "category",
    *TIME_GRAINS,
    "weekday",
    "hour",
)
_ALIASES = {
    "countries": "country",
    "market": "country",
    "nation": "country",
    "products": "product",
    "product_name": "product",
    "description": "product",
    "item": "product",
    "stockcode": "stock_code",
    "sku": "stock_code",
    "product_id": "stock_code",
    "product_code": "stock_code",
    "customers": "customer",
    "customer_id": "customer",
    "client": "customer",
    "categories": "category",
    "department": "category",
    "date": "day",
    "daily": "day",
    "days": "day",
    "weekly": "week",
    "weeks": "week",
    "monthly": "month",
    "months": "month",
    "quarterly": "quarter",
    "quarters": "quarter",
    "yearly": "year",
    "annual": "year",
    "years": "year",
    "day_of_week": "weekday",
    "dow": "weekday",
    "weekdays": "weekday",
    "hour_of_day": "hour",
    "hours": "hour",
    "hourly": "hour",
}
_COUNTRY_COLUMNS = ("country", "countryname", "countrycode", "nation", "market")
_ROLE_OF = {
    "product": "product_name",
    "stock_code": "product_id",
    "customer": "customer_id",
    "category": "category",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
    "UBIGINT",
    "UINTEGER",
    "USMALLINT",
    "UTINYINT",
)


@dataclass(frozen=True)
class Dimension:
    """A grouping: output column ``name``, its SQL, and what filters on it compare (``column_sql``)."""

    name: str
    sql: str
    kind: str  # a time grain, "weekday", "hour" or "value"
    column_sql: str
    dtype: str
    label: str  # how filters on it are described, e.g. the user's column name


@dataclass(frozen=True)
class Condition:
    sql: str
    label: str


class TableContext:
    """One table of the workspace as the compiler sees it: columns, roles, dimensions, the data's last date."""

    def __init__(self, ws: Workspace, table: str):
        self.ws = ws
        self.table = table
        self.columns = dict(ws.columns(table))  # RetryableToolError for an unknown table
        self.roles = ws.roles(table)
        self._last_date: date | None = None

    @property
    def ref(self) -> str:
        return quote_ident(self.table)

    def last_date(self) -> date:
        """The last date in the data: relative ranges ("last 30 days") count back from it."""
        if self._last_date is None:
            ts = self.timestamp_column("a relative date range")
            value = self.ws.query(f"SELECT CAST(max({quote_ident(ts)}) AS DATE) AS d FROM {self.ref}")["d"][0]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                raise RetryableToolError(
                    f"Table {self.table!r} has no dates, so a relative range cannot apply."
                )
            self._last_date = value.date() if hasattr(value, "date") else value
        return self._last_date  # type: ignore[return-value]

    def timestamp_column(self, purpose: str) -> str:
        return self.roles.require("timestamp", purpose=purpose)["timestamp"]

    def dimension(self, name: str) -> Dimension:
        """The dimension called ``name``: a named one (country, month, ...) or any column of the table."""
        key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
        key = _ALIASES.get(key, key)
        if key in TIME_GRAINS or key in ("weekday", "hour"):
            return self._time_dimension(key)
        if key in _ROLE_OF:
            role = _ROLE_OF[key]
            column = self.roles[role] or (self.roles["product_id"] if key == "product" else None)
            if column is None:
                column = self.roles.require(role, purpose=f"the {key} dimension")[role]
            return self._column_dimension(column, key)
        if key == "country":
            column = next((c for c in self.columns if normalise(c) in _COUNTRY_COLUMNS), None)
            if column is not None:
                return self._column_dimension(column, "country")
        column = self._find_column(str(name))
        if column is None:
            raise RetryableToolError(self._unknown_dimension(str(name)))
        return self._column_dimension(column, column)

    def _time_dimension(self, key: str) -> Dimension:
        ts = quote_ident(self.timestamp_column(f"the {key} dimension"))
        if key in TIME_GRAINS:
            sql = f"CAST(date_trunc('{key}', {ts}) AS DATE)"
            return Dimension(key, sql, key, ts, "DATE", key)
        if key == "weekday":
            return Dimension(key, f"dayname({ts})", key, f"dayname({ts})", "VARCHAR", key)
        return Dimension(key, f"hour({ts})", key, f"hour({ts})", "BIGINT", key)

    def _column_dimension(self, column: str, name: str) -> Dimension:
        ref = quote_ident(column)
        dtype = self.columns[column]
        kind = "day" if dtype.upper().startswith(("DATE", "TIMESTAMP")) else "value"
        return Dimension(name, ref, kind, ref, dtype, column)

    def _find_column(self, name: str) -> str | None:
        if name in self.columns:
            return name
        for column in self.columns:
            if column.lower() == name.lower() or normalise(column) == normalise(name):
                return column
        return None

    def _unknown_dimension(self, name: str) -> str:
        options = list(NAMED_DIMENSIONS) + list(self.columns)
        hint = closest(name, options)
        guess = f" Did you mean {hint}?" if hint else ""
        return (
            f"Unknown dimension {name!r} for table {self.table!r}.{guess} Use one of "
            f"{', '.join(NAMED_DIMENSIONS)} or a column: {', '.join(self.columns)}."
        )


# -- values ----------------------------------------------------------------------------------------------


def match_text_value(ctx: TableContext, dim: Dimension, value: str) -> list[str]:
    """The stored values of ``dim`` that ``value`` means: exact, else case-insensitive, else initials ("UK").

    This is the one place a richer value index (synonyms such as "Eire" or "Holland") plugs in.

    Raises:
        RetryableToolError: nothing matches; the message names the closest stored values.
    """
    text = " ".join(str(value).split())
    expr = f"CAST({dim.column_sql} AS VARCHAR)"
    found = ctx.ws.query(
        f"SELECT DISTINCT {expr} AS v FROM {ctx.ref} WHERE lower(trim({expr})) = lower(?) ORDER BY v", [text]
    )["v"].tolist()
    if text in found:
        return [text]
    if found:
        return found
    stored = ctx.ws.query(
        f"SELECT DISTINCT {expr} AS v FROM {ctx.ref} WHERE {expr} IS NOT NULL ORDER BY v LIMIT 100000"
    )["v"].tolist()
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
    if not values:
        raise RetryableToolError(
            f"The filter on {column!r} has no value; give `value` (or `values` for {op})."
        )
    dtype = dim.dtype.upper()
    if dtype.startswith(("DATE", "TIMESTAMP")):
        return _time_filter(ctx, dim, op, values)
    if dtype.startswith(_NUMERIC):
        return _numeric_filter(dim, op, values, integer="INT" in dtype), []
    return _text_filter(ctx, dim, op, values), []


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


def literal(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# -- the statement ---------------------------------------------------------------------------------------


def render_metric(catalog: Catalog, ctx: TableContext, metric: MetricDef, template: str) -> str:
    """A metric template as SQL over this table; a clear ToolError when the table lacks a role it needs."""
    try:
        return catalog.render(template, ctx.roles)
    except MissingRoles as e:
        ctx.roles.require(*e.roles, purpose=f"the metric {metric.name}")
        raise  # unreachable: require raised


def compile_sql(
    catalog: Catalog,
    ctx: TableContext,
    metrics: list[MetricDef],
    dims: list[Dimension],
    conditions: list[Condition],
    order: list[str],
    top: int | None,
) -> str:
    """One SELECT (with CTEs when a metric needs two aggregation levels)."""
    where = " AND ".join(f"({c.sql})" for c in conditions)
    simple = [m for m in metrics if not m.two_level]
    groups = [f"{d.sql} AS {quote_ident(d.name)}" for d in dims]
    select = groups + [f"{render_metric(catalog, ctx, m, m.sql)} AS {quote_ident(m.name)}" for m in simple]
    main = _select(select or ["count(*) AS lines"], ctx.ref, where, len(dims))
    tail = [f"ORDER BY {', '.join(order)}"] if order else []
    tail += [f"LIMIT {top}"] if top else []
    if len(simple) == len(metrics):
        return "\n".join([main, *tail])
    ctes = [f"main AS (\n{_indent(main)}\n)"]
    columns = [f"main.{quote_ident(d.name)}" for d in dims]
    joins = []
    for m in metrics:
        if not m.two_level:
            columns.append(f"main.{quote_ident(m.name)}")
            continue
        cte = f"m_{m.name}"
        ctes.append(f"{cte} AS (\n{_indent(_two_level(catalog, ctx, m, dims, conditions))}\n)")
        columns.append(f"{cte}.{quote_ident(m.name)}")
        on = " AND ".join(
            f"main.{quote_ident(d.name)} IS NOT DISTINCT FROM {cte}.{quote_ident(d.name)}" for d in dims
        )
        joins.append(f"LEFT JOIN {cte} ON {on}" if dims else f"CROSS JOIN {cte}")
    body = [f"WITH {', '.join(ctes)}", f"SELECT {', '.join(columns)}", "FROM main", *joins, *tail]
    return "\n".join(body)


def _two_level(
    catalog: Catalog, ctx: TableContext, m: MetricDef, dims: list[Dimension], conditions: list[Condition]
) -> str:
    """Aggregate per entity (e.g. orders per customer), then over entities within each group."""
    entity = render_metric(catalog, ctx, m, "{" + str(m.per) + "}")
    inner = render_metric(catalog, ctx, m, str(m.inner))
    extra = [Condition(render_metric(catalog, ctx, m, m.where), "")] if m.where else []
    where = " AND ".join(f"({c.sql})" for c in conditions + extra)
    groups = [f"{d.sql} AS {quote_ident(d.name)}" for d in dims]
    per_entity = _select([*groups, f"{entity} AS entity", f"{inner} AS value"], ctx.ref, where, len(dims) + 1)
    outer = [quote_ident(d.name) for d in dims] + [
        f"{render_metric(catalog, ctx, m, m.sql)} AS {quote_ident(m.name)}"
    ]
    group_by = [f"GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}"] if dims else []
    return "\n".join([f"SELECT {', '.join(outer)}", f"FROM (\n{_indent(per_entity)}\n)", *group_by])


def _select(columns: list[str], source: str, where: str, n_groups: int) -> str:
    lines = [f"SELECT {', '.join(columns)}", f"FROM {source}"]
    if where:
        lines.append(f"WHERE {where}")
    if n_groups:
        lines.append(f"GROUP BY {', '.join(str(i + 1) for i in range(n_groups))}")
    else:
        lines.append("HAVING count(*) > 0")  # no matching line -> no row, not a row of NULLs
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def order_terms(
    dims: list[Dimension], metrics: list[MetricDef], sort_by: str | None, sort: str | None, top: int | None
) -> list[str]:
    """ORDER BY terms: by a metric when asked (or for top-k), else time order, else the first metric, desc."""
    by_dims = [quote_ident(d.name) for d in dims]
    time_first = bool(dims) and dims[0].kind in (*TIME_GRAINS, "hour")
    direction = (sort or ("asc" if time_first and not (sort_by or top) else "desc")).upper()
    if sort_by or top or (dims and not time_first and dims[0].kind != "weekday"):
        key = quote_ident(sort_by or metrics[0].name)
        return [f"{key} {direction} NULLS LAST", *by_dims]
    if not dims:
        return []
    if dims[0].kind == "weekday":
        days = ", ".join(literal(d) for d in WEEKDAYS)
        return [f"list_position([{days}], {by_dims[0]}) {'DESC' if sort == 'desc' else 'ASC'}", *by_dims[1:]]
    return [f"{by_dims[0]} {direction}", *by_dims[1:]]
