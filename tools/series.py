"""A metric as a time series: whole periods only, empty periods as zero, overall or per dimension value.

Forecasts and anomaly checks read their history here, through the metric layer (``metric_query``), so a
series means exactly what the same metric means in an answer. Two things differ from a metric table:
- A period the data covers only in part (December 2011 of a shop whose data ends on 9 December) is left
  out, and said so: as a point of history it would read as a collapse.
- A period without any sale is a zero, not a missing row: a week without orders is a week of no revenue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from tools.base import ToolError

# Metrics that add up over lines, so an empty period is a true zero (a ratio has no value there).
SeriesMetric = Literal["revenue", "orders", "units", "customers"]
SeriesGrain = Literal["day", "week", "month"]
_FREQ = {"day": "D", "week": "7D", "month": "MS"}
# One season per grain: a week within days, a year within weeks and months.
SEASON = {"day": 7, "week": 52, "month": 12}


@dataclass
class Series:
    """One history: ``values`` indexed by period start, oldest first."""

    label: str | None  # the dimension value, None for the whole table
    values: pd.Series


@dataclass
class SeriesSet:
    metric: str
    grain: str
    table: str
    by: str | None
    series: list[Series]
    sql: list[str]
    currency: str | None
    format: str  # the metric's format (money, count): how its figures are shown
    partial: list[str] = field(default_factory=list)  # sentences on the periods left out

    @property
    def season(self) -> int:
        return SEASON[self.grain]


def metric_series(
    ws, metric: str, grain: str, table: str | None = None, by: str | None = None, top: int = 5
) -> SeriesSet:
    """The metric per ``grain`` over ``table``: one series, or one per top-``top`` value of ``by`` (the
    values with the largest metric over the whole history)."""
    from tools.metrics import MetricQuery

    tool = MetricQuery(ws)
    fmt = tool.catalog.metrics[metric].format
    sql: list[str] = []
    filters = []
    if by:
        ranking = tool(metrics=[metric], by=[by], top=top, table=table)
        sql += ranking.sql
        ranked = ranking.tables[0].df
        values = [str(v) for v in ranked[ranked.columns[0]].dropna()]
        if not values:
            raise ToolError(f"{by} has no values with {metric} in {table or ws.sales_table()}.")
        filters = [{"column": by, "op": "in", "values": values}]
    result = tool(metrics=[metric], by=[by] if by else [], grain=grain, filters=filters, table=table)
    sql += result.sql
    main = result.tables[0]
    df = main.df
    time = grain  # metric_query names the time column after its grain
    partial_starts = {pd.Timestamp(df[time].iloc[i]) for i in main.notes}
    partial = sorted(
        {f"{pd.Timestamp(df[time].iloc[i]):%Y-%m-%d} ({note})" for i, note in main.notes.items()}
    )
    whole = df[~df[time].isin(partial_starts)]
    if whole.empty:
        raise ToolError(
            f"{table or ws.sales_table()} has no whole {grain} of {metric}; a finer grain may have some."
        )
    index = pd.date_range(whole[time].min(), whole[time].max(), freq=_FREQ[grain])
    groups: list[tuple[str | None, pd.DataFrame]] = [(None, whole)]
    if by:
        dim = next(c for c in df.columns if c not in (time, metric))
        groups = [(str(k), part) for k, part in whole.groupby(dim, sort=False)]
        order = {v: i for i, v in enumerate(values)}
        groups.sort(key=lambda g: order.get(str(g[0]), len(order)))
    series = [
        Series(label, part.set_index(time)[metric].astype(float).reindex(index, fill_value=0.0))
        for label, part in groups
    ]
    name = tool.tables_read(tool.parse_args({"metrics": [metric], "table": table}))[0]
    return SeriesSet(metric, grain, name, by, series, sql, main.currency, fmt, partial)
