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

from tools.base import RetryableToolError, ToolError
from tools.joins import Lookup, lookups
from tools.metric_defs import Catalog, MetricDef, MissingRoles
from tools.names import closest
from tools.periods import partial_periods
from tools.roles import normalise
from tools.workspace import quote_ident

if TYPE_CHECKING:
    import pandas as pd

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
DIMENSION_ALIASES = {
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
# A text column filled on fewer rows than this is an optional detail of a row, not a property every row has.
OPTIONAL_FILLED = 0.9
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
    """One table of the workspace as the compiler sees it: columns, roles, dimensions, the data's last date.

    A column the table lacks may come from a lookup table that describes its rows (tools.joins.lookups:
    "revenue by loyalty tier" where the tier is in the customers file): the statement then reads the table
    joined with that lookup, under the table's own name.
    """

    def __init__(self, ws: Workspace, table: str):
        self.ws = ws
        self.table = table
        self.columns = dict(ws.columns(table))  # RetryableToolError for an unknown table
        self.roles = ws.roles(table)
        # a lookup table's column the statement uses -> (the lookup, the column's type)
        self.joined: dict[str, tuple[Lookup, str]] = {}
        self._described: dict[Lookup, dict[str, str]] | None = None
        self._dates: tuple[date, date] | None = None
        self._optional: list[str] | None = None

    @property
    def ref(self) -> str:
        """The table, or the table joined with the lookups whose columns the statement uses."""
        if not self.joined:
            return quote_ident(self.table)
        aliases = {lk: f"l{i}" for i, lk in enumerate(dict.fromkeys(lk for lk, _ in self.joined.values()))}
        added = [f"{aliases[lk]}.{quote_ident(c)}" for c, (lk, _) in self.joined.items()]
        joins = [
            f"LEFT JOIN {quote_ident(lk.table)} AS {a} ON t.{quote_ident(lk.key)} = {a}.{quote_ident(lk.lookup_key)}"
            for lk, a in aliases.items()
        ]
        source = f"{quote_ident(self.table)} AS t {' '.join(joins)}"
        return f"(SELECT t.*, {', '.join(added)} FROM {source}) AS {quote_ident(self.table)}"

    def described(self) -> dict[Lookup, dict[str, str]]:
        """Each lookup table of this one (tools.joins.lookups) with its columns and their types, read once."""
        if self._described is None:
            self._described = {lk: dict(self.ws.columns(lk.table)) for lk in lookups(self.ws, self.table)}
        return self._described

    def lookup_column(self, name: str) -> tuple[Lookup, str, str] | None:
        """The lookup column called ``name`` (matched as ``_find_column`` matches): (lookup, column, type)."""
        for lk, columns in self.described().items():
            column = _find_in(columns, name)
            if column is not None and column not in self.columns:
                return lk, column, columns[column]
        return None

    def flags(self) -> list[str]:
        """The yes/no columns a statement can filter on: the table's, then its lookups' ("Newsletter")."""
        own = [c for c, t in self.columns.items() if t == "BOOLEAN"]
        described = [c for cols in self.described().values() for c, t in cols.items() if t == "BOOLEAN"]
        return own + [c for c in described if c not in self.columns]

    def optional_columns(self) -> list[str]:
        """The table's text columns that some rows fill and others leave empty (a discount code, a coupon,
        a gift note): "orders that used a discount code" keeps the rows where it is filled."""
        if self._optional is None:
            # a role's column is what a row is (its customer, its product), not a detail some rows add
            roles = set(self.roles.columns.values())
            text = [c for c, t in self.columns.items() if t == "VARCHAR" and c not in roles]
            filled = ", ".join(
                f"avg(CASE WHEN trim(CAST({quote_ident(c)} AS VARCHAR)) <> '' THEN 1.0 ELSE 0.0 END) AS c{i}"
                for i, c in enumerate(text)
            )
            row = self.ws.query(f"SELECT {filled} FROM {quote_ident(self.table)}").iloc[0] if text else {}
            self._optional = [c for i, c in enumerate(text) if 0.0 < (row[f"c{i}"] or 0.0) < OPTIONAL_FILLED]
        return self._optional

    def reaches(self, table: str, column: str) -> bool:
        """Whether a column of ``table`` is one this table's statements can use (its own or a lookup's)."""
        if table == self.table:
            return True
        found = self.lookup_column(column) if column not in self.columns else None
        return found is not None and found[0].table == table and found[1] == column

    def last_date(self) -> date:
        """The last date in the data: relative ranges ("last 30 days") count back from it."""
        return self.date_range("a relative date range")[1]

    def partial_periods(self, starts: pd.Series, grain: str) -> dict[date, str]:
        """Of these bucket starts, those the data covers only in part (see tools.periods.partial_periods);
        none for a table without a timestamp."""
        if not self.roles["timestamp"] or starts.dropna().empty:
            return {}
        first, last = self.date_range("marking partial periods")
        return partial_periods(starts.dropna(), grain, first, last)

    def date_range(self, purpose: str) -> tuple[date, date]:
        """The first and last date in the data (a time series' first and last buckets may cover less)."""
        if self._dates is None:
            ts = quote_ident(self.timestamp_column(purpose))
            row = self.ws.query(
                f"SELECT CAST(min({ts}) AS DATE) AS lo, CAST(max({ts}) AS DATE) AS hi FROM {self.ref}"
            ).iloc[0]
            if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in row):
                raise RetryableToolError(f"Table {self.table!r} has no dates, so {purpose} cannot apply.")
            self._dates = (_as_date(row["lo"]), _as_date(row["hi"]))
        return self._dates

    def timestamp_column(self, purpose: str) -> str:
        return self.roles.require("timestamp", purpose=purpose)["timestamp"]

    def dimension(self, name: str) -> Dimension:
        """The dimension called ``name``: a named one (country, month, ...) or any column of the table."""
        key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
        key = DIMENSION_ALIASES.get(key, key)
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
            found = self.lookup_column(str(name))
            if found is None:
                raise RetryableToolError(self._unknown_dimension(str(name)))
            lookup, column, dtype = found
            self.joined[column] = (lookup, dtype)
        return self._column_dimension(column, column)

    def _time_dimension(self, key: str) -> Dimension:
        ts = quote_ident(self.timestamp_column(f"the {key} dimension"))
        if key in TIME_GRAINS:
            sql = f"CAST(date_trunc('{key}', {ts}) AS DATE)"
            return Dimension(key, sql, key, ts, "DATE", key)
        if key == "weekday":
            return Dimension(key, f"dayname({ts})", key, f"dayname({ts})", "VARCHAR", key)
        hour = f"hour({self._time_of_day()})"
        return Dimension(key, hour, key, hour, "BIGINT", key)

    def _time_of_day(self) -> str:
        """The SQL of each row's time of day: the timestamp's, or where the timestamp is a date, the column
        beside it that holds the time ("Placed On" and "Time")."""
        ts = self.timestamp_column("the hour dimension")
        if self.columns.get(ts, "").upper() != "DATE":
            return quote_ident(ts)
        beside = next((c for c, t in self.columns.items() if t.upper() == "TIME"), None)
        if beside is None:
            raise ToolError(
                f"{ts} holds dates without a time of day, and {self.table} has no time column: "
                "there is no hour to group or filter by."
            )
        return quote_ident(beside)

    def _column_dimension(self, column: str, name: str) -> Dimension:
        ref = quote_ident(column)
        dtype = self.columns[column] if column in self.columns else self.joined[column][1]
        kind = "day" if dtype.upper().startswith(("DATE", "TIMESTAMP")) else "value"
        return Dimension(name, ref, kind, ref, dtype, column)

    def _find_column(self, name: str) -> str | None:
        return _find_in(self.columns, name)

    def _unknown_dimension(self, name: str) -> str:
        described = {lk: [c for c in cols if c not in self.columns] for lk, cols in self.described().items()}
        options = list(NAMED_DIMENSIONS) + list(self.columns) + [c for cs in described.values() for c in cs]
        hint = closest(name, options)
        guess = f" Did you mean {hint}?" if hint else ""
        more = "".join(
            f" Columns of {lk.table} (joined on {lk.key}): {', '.join(cs)}."
            for lk, cs in described.items()
            if cs
        )
        return (
            f"Unknown dimension {name!r} for table {self.table!r}.{guess} Use one of "
            f"{', '.join(NAMED_DIMENSIONS)} or a column: {', '.join(self.columns)}.{more}"
        )


def _find_in(columns: dict[str, str], name: str) -> str | None:
    """The column called ``name`` (any case or spelling), else the one column with it as a word of its name
    ("region" -> customer_region)."""
    if name in columns:
        return name
    for column in columns:
        if column.lower() == name.lower() or normalise(column) == normalise(name):
            return column
    word = normalise(name)
    holding = [c for c in columns if word and word in _words(c)]
    return holding[0] if len(holding) == 1 else None


def _words(column: str) -> set[str]:
    """The words of a column name: ``customer_region`` and ``CustomerRegion`` -> customer, region."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", column)
    return {w.lower() for w in re.findall(r"[A-Za-z0-9]+", spaced)}


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


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value
