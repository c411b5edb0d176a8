"""``metric_query``: the retail semantic layer. Metric(s) x dimensions x filters x time grain -> one SQL statement.

Metrics are defined in YAML over column roles (``tools/metrics.yaml``, extended by ``<home>/metrics.yaml``), so
they run on any sales table; the compiler (``tools/metric_sql.py``) turns a request into one deterministic
SELECT, which runs on the workspace's read-only connection and is returned with the result.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, create_model

from tools import formats
from tools.arg_types import ComparedPeriod, PeriodText, TableName, TopN
from tools.base import Fact, RetryableToolError, Table, Tool, ToolResult
from tools.charts import add_line
from tools.metric_compare import compare_results
from tools.metric_defs import Catalog, MetricDef, builtin_definitions, load_catalog
from tools.metric_filters import date_range_condition, filter_condition
from tools.metric_reading import asks_for_a_metric, names_metric_in_full, refine_metric_args
from tools.metric_sql import (
    TIME_GRAINS,
    Condition,
    Dimension,
    TableContext,
    compile_sql,
    order_terms,
)
from tools.periods import FUTURE_PERIOD, Period, partial_rows
from tools.roles import status_condition
from tools.sqlguard import check_sql
from tools.workspace import quote_ident

FilterOp = Literal[
    "=", "!=", "in", "not in", ">", ">=", "<", "<=", "between", "contains", "present", "absent"
]
_SHOWN_ROWS = 20
_FACT_ROWS = 100


class MetricFilter(BaseModel):
    column: str = Field(
        description="Dimension or column to filter on, e.g. country, product, customer, "
        "month, Quantity, UnitPrice."
    )
    op: FilterOp = Field(
        "=",
        description="Comparison: = (default), !=, in, not in, >, >=, <, <=, between, contains; present or "
        "absent (no value: the column is filled or empty, e.g. orders with a discount code).",
    )
    value: str | bool | float | None = Field(
        None, description="The value for =, !=, >, >=, <, <= and contains, e.g. Germany, 10, 2011-05, true."
    )
    values: list[str | float] | None = Field(
        None, description="The values for in / not in, or [low, high] for between."
    )


_Grain: Any = Literal["day", "week", "month", "quarter", "year"]
_Direction: Any = Literal["desc", "asc"]
_BY = (
    "Dimensions to group by: country, product, stock_code, customer, category, day, week, month, quarter, year, "
    "weekday, hour, or a column name. Empty for one total."
)
_DATE_RANGE = (
    'Only dates in this range, e.g. "2011-Q3", "2011-05", "2011", "2011-01-01..2011-03-31", '
    '"last 3 months of the data". Null for all dates.'
)

_SHARE = (
    "Also show each figure as a share of the total over the date range without the filters and groupings "
    '(e.g. "what share of 2024 revenue came from Germany"). Counts and amounts only.'
)


_COMPARE_TO = (
    'An earlier period to compare the date_range with, in the same forms ("how did Q4 2024 compare with Q4 '
    '2023": date_range 2024-Q4, compare_to 2023-Q4): each figure for both periods and the change.'
)


def build_args_model(metric_names: list[str]) -> type[BaseModel]:
    """The argument model, with the workspace's metric names as an enum (user metrics extend it)."""
    name: Any = Literal[tuple(metric_names)]  # type: ignore[valid-type]
    optional_name: Any = name | None
    fields: dict[str, Any] = {
        "metrics": (list[name], Field(min_length=1, description="The metric(s) to compute.")),
        "by": (list[str], Field(default_factory=list, description=_BY)),
        "filters": (
            list[MetricFilter],
            Field(default_factory=list, description="Conditions rows must meet."),
        ),
        "date_range": (PeriodText, Field(None, description=_DATE_RANGE)),
        "grain": (
            _Grain | None,
            Field(None, description="Time grain of a trend (adds that time dimension)."),
        ),
        "top": (
            TopN,
            Field(None, ge=1, le=1000, description="Keep the first N rows after sorting."),
        ),
        "sort_by": (optional_name, Field(None, description="Metric to sort by; null for the first metric.")),
        "sort": (
            _Direction | None,
            Field(None, description="Sort direction; null for the default (largest first, time in order)."),
        ),
        "share": (
            bool,
            Field(False, description=_SHARE),
        ),
        "compare_to": (
            ComparedPeriod,
            Field(None, description=_COMPARE_TO),
        ),
        "table": (
            TableName,
            Field(None, description="Sales table; null for the workspace's current sales table."),
        ),
    }
    return create_model("MetricQueryArgs", **fields)


def _builtin_names() -> list[str]:
    return list(builtin_definitions()["metrics"])


class MetricQuery(Tool):
    name = "metric_query"
    figures_only = True
    description = (
        "Retail metrics (revenue, orders, customers, units, aov, cancellation_rate, "
        "repeat_customer_rate, ...) by dimensions (country, product, month, ...) with filters, date "
        "ranges, top-k and sorting; compiled to one SQL statement."
    )
    Args = build_args_model(_builtin_names())

    def __init__(self, workspace):
        super().__init__(workspace)
        self.catalog: Catalog = load_catalog(workspace.home)
        self.Args = build_args_model(self.catalog.names())  # type: ignore[misc]

    def parse_args(self, raw: dict[str, Any]) -> BaseModel:
        """Accept metric aliases and any case ("Sales" -> revenue); unknown names list the known ones."""
        raw = dict(raw)
        for key in ("metrics", "by"):
            if isinstance(raw.get(key), str):
                raw[key] = [raw[key]]
        if isinstance(raw.get("metrics"), list):
            raw["metrics"] = [
                self.catalog.resolve(m).name if isinstance(m, str) else m for m in raw["metrics"]
            ]
        if isinstance(raw.get("sort_by"), str):
            raw["sort_by"] = self.catalog.resolve(raw["sort_by"]).name
        return super().parse_args(raw)

    def claims(self, reading: Any) -> bool:
        """A question naming a metric in full, or asking for one figure of a metric it names ("how much
        did London customers spend"), is this tool's (agent.loop routes it here), unless it asks about a
        period after the data."""
        question = reading.question
        if FUTURE_PERIOD.search(question):  # the data is history: "next month" is a forecast's
            return False
        if names_metric_in_full(self.catalog, question):
            return True
        return bool(getattr(reading, "one_figure", False) and asks_for_a_metric(self.catalog, question))

    def refine_args(self, args: dict[str, Any], reading: Any, follow_up: bool = False) -> dict[str, Any]:
        """The call made to agree with what the question states (see tools.metric_reading)."""
        return refine_metric_args(self.catalog, self._context, args, reading, follow_up)

    def _context(self, table: str | None) -> TableContext:
        return TableContext(self.ws, table or self.catalog.default_table or self.ws.sales_table())

    def run(self, args: Any) -> ToolResult:
        if args.compare_to and args.compare_to.strip():
            return self._compared(args)
        ctx = self._context(args.table)
        metrics = [self.catalog.metrics[name] for name in _metric_names(args)]
        args, narrowed = _narrow_cancellation(ctx, args, metrics)
        dims = self._dimensions(ctx, args)
        conditions, periods = self._conditions(ctx, args, dims)
        order = order_terms(dims, metrics, args.sort_by, args.sort, args.top)
        sql = compile_sql(self.catalog, ctx, metrics, dims, conditions, order, args.top)
        df = self._query(sql, metrics)
        sqls = [sql]
        if args.share:
            total_sql, totals = self._totals(ctx, args, metrics)
            df, metrics = _with_shares(df, metrics, totals)
            sqls.append(total_sql)
        for d in dims:
            if d.kind in TIME_GRAINS:
                df[d.name] = pd.to_datetime(df[d.name])  # DATE columns arrive as datetime.date objects
        time = _time_dimension(dims)
        partial = ctx.partial_periods(df[time.name], time.kind) if time else {}
        text = self._text(ctx, args, metrics, dims, conditions, periods, df, partial) + narrowed
        kinds = {m.name: m.format for m in metrics} | {d.name: d.kind for d in dims if d.kind in TIME_GRAINS}
        notes = partial_rows(df[time.name], partial) if time else {}
        return ToolResult(
            text=text,
            tables=[Table("metrics", df, kinds, ctx.roles.currency, notes)],
            chart=_chart(df, dims, metrics, partial),
            facts=_facts(df, dims, metrics, "\n;\n".join(sqls)),
            sql=sqls,
        )

    def _compared(self, args: Any) -> ToolResult:
        """Each figure for the date range and for the period compared with, and the change between them
        ("web revenue in Q4 2024 against Q4 2023": 51,200 against 44,900, +14.0%)."""
        if not (args.date_range and args.date_range.strip()):
            raise RetryableToolError("compare_to compares the date_range with an earlier period: give both.")
        now = self.run(args.model_copy(update={"compare_to": None, "share": False}))
        then = self.run(
            args.model_copy(update={"date_range": args.compare_to, "compare_to": None, "share": False})
        )
        return compare_results(
            now, then, _metric_names(args), (args.date_range.strip(), args.compare_to.strip())
        )

    def _query(self, sql: str, metrics: list[MetricDef]) -> pd.DataFrame:
        check_sql(sql, self.ws.tables())  # defence in depth: user metric SQL passes the same guard
        df = self.ws.query(sql, max_rows=self.ws.max_rows)
        for m in metrics:
            df[m.name] = pd.to_numeric(df[m.name], errors="coerce")  # DECIMAL columns arrive as objects
        return df

    def _totals(self, ctx: TableContext, args: Any, metrics: list[MetricDef]) -> tuple[str, pd.Series]:
        """The metrics over the date range alone (no filters, no groupings): the whole a share is of."""
        quotients = [m.name for m in metrics if m.quotient]
        if quotients:
            raise RetryableToolError(
                f"A share is of a count or an amount; {', '.join(quotients)} is already a ratio. "
                "Leave share out, or ask for revenue, orders, units or customers."
            )
        whole = args.model_copy(update={"filters": [], "by": [], "grain": None, "top": None})
        conditions, _ = self._conditions(ctx, whole, [])
        sql = compile_sql(self.catalog, ctx, metrics, [], conditions, [], None)
        return sql, self._query(sql, metrics).iloc[0]

    def tables_read(self, args: Any) -> list[str]:
        return [self._context(args.table).table]

    def _dimensions(self, ctx: TableContext, args: Any) -> list[Dimension]:
        names = ([args.grain] if args.grain and args.grain not in args.by else []) + list(args.by)
        dims: dict[str, Dimension] = {}
        for name in names:
            dim = ctx.dimension(name)
            if dim.name in self.catalog.metrics:
                raise RetryableToolError(
                    f"The dimension {dim.name!r} has the name of a metric; group by another."
                )
            dims.setdefault(dim.name, dim)
        return list(dims.values())

    def _conditions(
        self, ctx: TableContext, args: Any, dims: list[Dimension]
    ) -> tuple[list[Condition], list[Period]]:
        conditions, periods = [], []
        for d in dims:
            # lines without a customer id are guests, not one "customer"; a ranking ranks values, and a row
            # without one is none of them ("the most used discount code")
            if d.label == ctx.roles["customer_id"] or (args.top and d.kind == "value"):
                conditions.append(Condition(f"{d.sql} IS NOT NULL", f"{d.label} is not null"))
        if args.date_range and args.date_range.strip():
            condition, period = date_range_condition(ctx, args.date_range)
            conditions.append(condition)
            periods.append(period)
        for f in args.filters:
            values = list(f.values) if f.values else ([f.value] if f.value is not None else [])
            condition, used = filter_condition(ctx, f.column, f.op, values)
            conditions.append(condition)
            periods += used
        return conditions, periods

    def _text(
        self,
        ctx: TableContext,
        args: Any,
        metrics: list[MetricDef],
        dims: list[Dimension],
        conditions: list[Condition],
        periods: list[Period],
        df: pd.DataFrame,
        partial: dict[date, str],
    ) -> str:
        names = ", ".join(m.name for m in metrics)
        head = f"{names}{' by ' + ', '.join(d.name for d in dims) if dims else ''} from {ctx.table}"
        for lookup in dict.fromkeys(lk for lk, _ in ctx.joined.values()):
            head += f" (joined with {lookup.table} on {lookup.key})"
        if args.top:
            head += f", top {args.top} by {args.sort_by or metrics[0].name}"
        filters = "; ".join(c.label for c in conditions) if conditions else "none (all rows)"
        lines = [f"{head}; filters: {filters}."]
        if df.empty:
            lines = [f"The result is empty: {self._why_empty(ctx, conditions)}"]
        elif not dims:
            currency = ctx.roles.currency
            lines += [f"{m.name} = {_format(df[m.name].iloc[0], m.format, currency)}" for m in metrics]
        else:
            lines.append(_table_text(df, dims, metrics, ctx.roles.currency))
        if any(p.relative for p in periods):
            lines.append(
                f"Relative dates count back from the last date in the data, {ctx.last_date().isoformat()} "
                "(the data is historical), not from today."
            )
        time = _time_dimension(dims)
        lines += [
            f"Partial period: {_label(pd.Timestamp(start), time)} {covers} (the data starts or ends "
            "inside it), so its figures are not comparable with a whole period's."
            for start, covers in sorted(partial.items())
            if time is not None
        ]
        if df.attrs.get("truncated"):
            lines.append(f"Only the first {len(df):,} rows were kept; add filters or top.")
        lines.append("Definitions: " + " ".join(f"{m.name}: {m.description}" for m in metrics))
        return "\n".join(lines)

    def _why_empty(self, ctx: TableContext, conditions: list[Condition]) -> str:
        """Which filters leave nothing: each filter's matching line count on its own."""
        if not conditions:
            return f"table {ctx.table} has no lines."
        counts = ", ".join(f"count(*) FILTER (WHERE {c.sql}) AS f{i}" for i, c in enumerate(conditions))
        row = self.ws.query(f"SELECT {counts} FROM {ctx.ref}").iloc[0]
        alone = [f"{c.label} matches {int(row[f'f{i}']):,} lines" for i, c in enumerate(conditions)]
        empty = [c.label for i, c in enumerate(conditions) if int(row[f"f{i}"]) == 0]
        cause = (
            f"{'; '.join(empty)} {'matches' if len(empty) == 1 else 'match'} no lines"
            if empty
            else "each filter matches lines, but no line matches them all"
        )
        return f"no lines of {ctx.table} match the filters ({cause}). On its own: {'; '.join(alone)}."


def _metric_names(args: Any) -> list[str]:
    """The metrics a call computes: those asked for, and the one it sorts by (sorting by a metric shows it)."""
    return list(dict.fromkeys([*args.metrics, *([args.sort_by] if args.sort_by else [])]))


def _narrow_cancellation(ctx: TableContext, args: Any, metrics: list[MetricDef]) -> tuple[Any, str]:
    """For metrics about cancellations, a filter naming some of a status column's cancelling values
    narrows what counts as cancelled instead of keeping only those lines: "what proportion of orders get
    refunded", where voided orders cancel too, is refunded orders over all orders (a filter would leave
    only refunded orders, a rate of 1). Returns the arguments without that filter, and a note."""
    status = ctx.roles.cancel_status
    if status is None or not all(
        "{cancelled}" in m.sql and "NOT ({cancelled})" not in m.sql for m in metrics
    ):
        return args, ""
    column, cancelling = status
    keep, named = [], []
    for f in args.filters:
        values = [str(v).strip().lower() for v in (f.values or [f.value])]
        if str(f.column).lower() == column.lower() and f.op in ("=", "in") and set(values) <= set(cancelling):
            named += values
        else:
            keep.append(f)
    if not named:
        return args, ""
    named = list(dict.fromkeys(named))
    ctx.roles = replace(ctx.roles, cancelled=status_condition(quote_ident(column), tuple(named)))
    return args.model_copy(update={"filters": keep}), f"\nCancelled here: {column} is {' or '.join(named)}."


def _with_shares(
    df: pd.DataFrame, metrics: list[MetricDef], totals: pd.Series
) -> tuple[pd.DataFrame, list[MetricDef]]:
    """Each metric's total and its share of it, as columns and metrics beside it."""
    shown = list(metrics)
    for m in metrics:
        total = MetricDef(
            f"total_{m.name}", "", f"{m.name} over the date range, no filters or groupings.", m.format
        )
        share = MetricDef(f"share_of_{m.name}", "", f"{m.name} / total_{m.name}.", "ratio")
        df[total.name] = totals[m.name]
        df[share.name] = df[m.name] / totals[m.name] if totals[m.name] else float("nan")
        shown += [total, share]
    return df, shown


# -- presentation ----------------------------------------------------------------------------------------


def _format(value: Any, fmt: str, currency: str | None) -> str:
    return "n/a" if value is None or pd.isna(value) else formats.number(float(value), fmt, currency)


def _fact_value(value: Any, fmt: str) -> float | int:
    """Counts as integers; other values unrounded, so a write-up's rounding always traces back."""
    return int(round(value)) if fmt == "count" else float(value)


def _label(value: Any, dim: Dimension) -> str:
    """A group's name in facts and text: 2011-03 for a month, 2011-W14 for a week, the value otherwise."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(none)"
    if isinstance(value, pd.Timestamp):
        return formats.period(value, dim.kind if dim.kind in TIME_GRAINS else "time")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _row_label(row: pd.Series, dims: list[Dimension]) -> str:
    return " | ".join(_label(row[d.name], d) for d in dims)


def _facts(df: pd.DataFrame, dims: list[Dimension], metrics: list[MetricDef], sql: str) -> list[Fact]:
    source = f"sql: {sql}"
    unit = {"money": "currency", "ratio": "ratio", "count": "count"}
    facts = []
    for _, row in df.head(_FACT_ROWS).iterrows():
        prefix = _row_label(row, dims) + "." if dims else ""
        for m in metrics:
            if not pd.isna(row[m.name]):
                facts.append(
                    Fact(prefix + m.name, _fact_value(row[m.name], m.format), source, unit.get(m.format, ""))
                )
    return facts


def _table_text(
    df: pd.DataFrame, dims: list[Dimension], metrics: list[MetricDef], currency: str | None
) -> str:
    shown = pd.DataFrame({d.name: [_label(v, d) for v in df[d.name].head(_SHOWN_ROWS)] for d in dims})
    for m in metrics:
        shown[m.name] = [_format(v, m.format, currency) for v in df[m.name].head(_SHOWN_ROWS)]
    text = shown.to_string(index=False, max_colwidth=40)
    if len(df) > _SHOWN_ROWS:
        text += f"\n... {len(df) - _SHOWN_ROWS:,} more rows ({len(df):,} in all)"
    return text


def _time_dimension(dims: list[Dimension]) -> Dimension | None:
    """The dimension that buckets time (month, quarter, ...), if any."""
    return next((d for d in dims if d.kind in TIME_GRAINS), None)


def _chart(
    df: pd.DataFrame, dims: list[Dimension], metrics: list[MetricDef], partial: dict[date, str]
) -> Any | None:
    """A line chart over time, a bar chart over categories (one trace per value of a second dimension);
    a partial first or last period is drawn dotted, with an open marker."""
    if df.empty or not dims or len(df) > 500:
        return None
    import plotly.graph_objects as go  # graph_objects, not express: several times faster to build

    x, metric = dims[0].name, metrics[0].name
    line = dims[0].kind in TIME_GRAINS
    frame = df if line else df.head(50)
    if len(dims) > 1:
        series = [
            (_label(key, dims[1]), part, metric) for key, part in frame.groupby(dims[1].name, sort=False)
        ]
    else:
        series = [(m.name, frame, m.name) for m in (metrics if line else metrics[:1])]
    fig = go.Figure()
    for name, part, column in series:
        if line:
            flags = [pd.notna(v) and pd.Timestamp(v).date() in partial for v in part[x]]
            add_line(fig, list(part[x]), list(part[column]), name, flags)
        else:
            fig.add_trace(go.Bar(x=[_label(v, dims[0]) for v in part[x]], y=part[column], name=name))
    fig.update_layout(
        title=f"{metric} by {', '.join(d.name for d in dims)}",
        xaxis_title=x,
        yaxis_title=metric if len(series) == 1 or len(dims) > 1 else None,
    )
    return fig
