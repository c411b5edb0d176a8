"""``detect_anomalies``: periods whose metric leaves its expected band, and unusual transaction lines.

Periods: each history from ``tools.series.metric_series`` is split into an expected value and a residual.
With two full seasons or more (14 days, 104 weeks, 24 months) the expected value is the trend + season of a
robust STL decomposition; with less history it is a centred rolling median. The residual scale is 1.4826 x
the median absolute deviation (MAD) of the residuals: a standard deviation that the anomalies themselves
cannot inflate. A period is an anomaly when it is more than ``threshold`` such scales from its expected
value. Refinements, each measured with benchmarks/anomaly_eval.py on online_retail's daily revenue (seeds
0-4, injected spikes x2.5-4 and drops to 20%):
- The MAD is taken per side of the median residual (a "double MAD"): sales are right-skewed (one wholesale
  order lifts a day far more than anything can lower it), so spikes are judged against the upper spread
  and drops against the lower one. Drops found: 48% instead of 32% with one MAD; spikes 88% instead of
  94%; false alarms 5.3% of clean days instead of 5.9%.
- The season is smoothed over SEASONAL_SMOOTHER seasons, not STL's default 7: the smoothers follow part
  of the noise and the MAD of what is left understates it. 25 of the 374 untouched days flagged instead
  of 40 (false alarms 5.3% instead of 8.4%), for 88% of the spikes found instead of 94%, 48% of the drops
  instead of 56%.
- A position of the season without any sale in the whole history (Saturday in the demo shop) is closed:
  expected to be zero, never flagged, and left out of the MAD (its zero residuals would shrink it).

Transactions: three robust rules in one DuckDB query, on the log scale where sizes multiply:
- large quantity: a sale's quantity more than ``threshold`` robust z above its product's median (the
  table's median for products with fewer than MIN_PRODUCT_LINES sales);
- refund without a sale: a cancelled line whose customer had bought none of that product before;
- price far from usual: a sale's unit price more than ``threshold`` robust z from its product's median
  (products with MIN_PRODUCT_LINES sales or more).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools.arg_types import TableName, TopN
from tools.base import Fact, Table, Tool, ToolError, ToolResult, frame_facts
from tools.baskets import NON_PRODUCT
from tools.formats import number, period
from tools.metric_sql import literal
from tools.series import Series, SeriesGrain, SeriesMetric, SeriesSet, metric_series
from tools.workspace import Workspace, quote_ident

MIN_PERIODS = 14
DEFAULT_TOP = 5
ROLLING_WINDOW = 7  # periods in the rolling median used when the history holds under two seasons
SEASONAL_SMOOTHER = 13  # seasons: a weekly pattern that drifts over a quarter, not within a month
MAD_TO_SD = 1.4826  # MAD x this estimates the standard deviation of normal noise
# A perfectly regular series has a MAD of zero. At the default threshold a period must also be 7% of the
# mean level away from its expected value: smaller deviations are not worth a person's look.
SCALE_FLOOR_SHARE = 0.02
# The same for log sizes: a product always sold by the dozen has a MAD of zero, and 24 of it is no anomaly.
# Quantities of one product differ by a factor of ten in ordinary trade (one piece or a box of 12), prices
# by tier discounts and trade vs retail (about 2x): at the default threshold of 3.5 a quantity must be 33x
# the product's usual one, a price 5.8x (or 1/5.8 of) its usual one. On online_retail these floors flag
# 0.3% of the lines per rule; at 0.5 for quantities, 1.3% of the lines, mostly 6 pieces of a product
# usually bought singly.
QUANTITY_LOG_FLOOR = 1.0
PRICE_LOG_FLOOR = 0.5
MIN_PRODUCT_LINES = 5
MAX_LINES_PER_RULE = 50
RULES = {
    "large_quantity": "very large quantity",
    "refund_without_sale": "refund without a sale",
    "far_price": "price far from usual",
}


class AnomalyArgs(BaseModel):
    metric: SeriesMetric = Field("revenue", description="The metric whose history is checked per period.")
    grain: SeriesGrain = Field("day", description="The period of the history: day, week or month.")
    by: str | None = Field(
        None,
        description="A dimension such as country or product: check the history of each of its top values "
        "separately (default: the whole table).",
    )
    top: TopN = Field(
        None, ge=1, le=20, description="How many values of `by` to check, the largest first (default 5)."
    )
    kind: Literal["periods", "transactions", "both"] = Field(
        "both",
        description="periods: periods whose metric leaves its expected band; transactions: unusual "
        "transaction lines (huge quantities, refunds without a sale, odd prices); both.",
    )
    threshold: float = Field(
        3.5,
        ge=2,
        le=10,
        description="How unusual a period or line must be to be flagged: a robust z, in MAD-based "
        "standard deviations from the expected value.",
    )
    table: TableName = Field(None, description="Sales table to check (default: the current sales table).")


# -- periods ------------------------------------------------------------------------------------------------
@dataclass
class Band:
    """One history checked: actual and expected values, the residual scale, and how expected was found."""

    label: str | None
    actual: pd.Series
    expected: pd.Series
    lower: float  # the residual scale below expected (drops) ...
    upper: float  # ... and above it (spikes)
    method: str

    @property
    def z(self) -> pd.Series:
        residual = self.actual - self.expected
        scale = pd.Series(np.where(residual > 0, self.upper, self.lower), index=residual.index)
        return (residual / scale.where(scale > 0)).fillna(0.0)


def fit_band(series: Series, season: int, grain: str) -> Band:
    """Expected values by robust STL with two seasons of history or more, else by a rolling median; the
    residual scale per side (double MAD), closed positions of the season left out."""
    values = series.values
    n = len(values)
    if n >= 2 * season:
        expected = _seasonal_expected(values, season)
        method = f"seasonal decomposition of {n} {grain}s"
        closed = values.eq(0).groupby(np.arange(n) % season).transform("all")
    else:
        expected = values.rolling(ROLLING_WINDOW, center=True, min_periods=1).median()
        method = f"rolling median of {ROLLING_WINDOW} {grain}s over {n} {grain}s"
        closed = pd.Series(False, index=values.index)
    if (values >= 0).all():
        expected = expected.clip(lower=0)  # a metric that never goes negative is not expected to
    expected = expected.mask(closed, 0.0)
    residual = (values - expected)[~closed]
    middle = residual.median()
    floor = SCALE_FLOOR_SHARE * float(values.abs().mean())
    lower, upper = (
        max(MAD_TO_SD * float((side - middle).abs().median()), floor)
        for side in (residual[residual <= middle], residual[residual >= middle])
    )
    return Band(series.label, values, expected, lower, upper, method)


def _seasonal_expected(values: pd.Series, season: int) -> pd.Series:
    from statsmodels.tsa.seasonal import STL

    fit = STL(values, period=season, seasonal=SEASONAL_SMOOTHER, robust=True).fit()
    return fit.trend + fit.seasonal


def anomaly_rows(band: Band, found: SeriesSet, threshold: float) -> pd.DataFrame:
    """The anomalies of one band, one row each, with a reason a person can check."""
    z = band.z
    hit = z.abs() > threshold
    rows = pd.DataFrame(
        {
            "period": band.actual.index[hit],
            "actual": band.actual[hit].to_numpy(),
            "expected": band.expected[hit].to_numpy(),
            "z": z[hit].to_numpy(),
        }
    )
    rows["deviation"] = rows["actual"] - rows["expected"]
    rows["deviation_share"] = rows["deviation"] / rows["expected"].where(rows["expected"] != 0)
    rows["direction"] = np.where(rows["deviation"] > 0, "spike", "drop")
    rows["reason"] = [_period_reason(r, band, found, threshold) for r in rows.to_dict("records")]
    if found.by:
        rows.insert(1, found.by, band.label)
    figures = ["actual", "expected", "deviation", "deviation_share", "z", "direction", "reason"]
    return rows[[*rows.columns[: 2 if found.by else 1], *figures]]


def _period_reason(row: dict, band: Band, found: SeriesSet, threshold: float) -> str:
    of = f" of {band.label}" if band.label is not None else ""
    at = "on" if found.grain == "day" else "in"
    actual, expected = (number(row[k], found.format, found.currency) for k in ("actual", "expected"))
    return (
        f"{found.metric}{of} {at} {period(row['period'], found.grain)} was {actual} against an expected "
        f"{expected} ({band.method}; z = {row['z']:.1f} over the {threshold:g} threshold)"
    )


@dataclass
class PeriodCheck:
    found: SeriesSet
    bands: list[Band]
    anomalies: pd.DataFrame


def check_periods(ws: Workspace, args: AnomalyArgs, table: str) -> PeriodCheck:
    """Every series of the metric checked against its band; the anomalies, the largest |z| first."""
    top = args.top or DEFAULT_TOP
    found = metric_series(ws, args.metric, args.grain, table=table, by=args.by, top=top)
    n = len(found.series[0].values)
    if n < MIN_PERIODS:
        raise ToolError(
            f"{found.table} has only {n} whole {args.grain}s of {args.metric}; anomaly detection needs at "
            f"least {MIN_PERIODS}, so use a finer grain."
        )
    bands = [fit_band(s, found.season, args.grain) for s in found.series]
    frames = [anomaly_rows(b, found, args.threshold) for b in bands]
    anomalies = pd.concat(frames, ignore_index=True)
    order = anomalies["z"].abs().sort_values(ascending=False, kind="stable").index
    return PeriodCheck(found, bands, anomalies.loc[order].reset_index(drop=True))


# -- transactions -------------------------------------------------------------------------------------------
@dataclass
class LineCheck:
    flagged: pd.DataFrame  # at most ``per_rule`` lines per rule, the largest first
    counts: dict[str, int]  # every flagged line, per rule run
    lines: int
    skipped: dict[str, str]  # rule -> why it could not run on this table
    sql: list[str]


def _skipped_rules(roles) -> dict[str, str]:
    """The rules whose columns the table lacks, each with the reason."""
    price = roles["unit_price"] or roles["amount"]
    product = roles["product_id"] or roles["product_name"]
    needs = {
        "large_quantity": [] if roles["quantity"] else ["quantity"],
        "refund_without_sale": [
            n
            for n, ok in (
                ("quantity", roles["quantity"]),
                ("customer id", roles["customer_id"]),
                ("product", product),
                ("cancelled lines", roles.cancelled != "FALSE"),
            )
            if not ok
        ],
        "far_price": [
            n
            for n, ok in (("quantity", roles["quantity"]), ("unit price", price), ("product", product))
            if not ok
        ],
    }
    return {r: f"{RULES[r]} not checked: no {', '.join(m)} in {roles.table}" for r, m in needs.items() if m}


def _lines_cte(table: str, roles) -> str:
    """One row per line under role names; missing roles are NULL (the rules using them are skipped)."""

    def col(role: str) -> str:
        return quote_ident(roles[role]) if roles[role] else "NULL"

    qty = col("quantity")
    if roles["unit_price"]:
        price = quote_ident(roles["unit_price"])
    elif roles["amount"] and roles["quantity"]:
        price = f"{quote_ident(roles['amount'])} / nullif({qty}, 0)"
    else:
        price = "NULL"
    product = col("product_id") if roles["product_id"] else col("product_name")
    name = col("product_name") if roles["product_id"] else "NULL"
    ts = quote_ident(roles["timestamp"])
    # Postage, discounts and bank charges are no products: their "prices" and refunds are not unusual.
    services = (
        f" AND NOT coalesce(regexp_matches(trim(CAST({col('product_name')} AS VARCHAR)), "
        f"{literal(NON_PRODUCT.pattern)}, 'i'), false)"
        if roles["product_name"]
        else ""
    )
    return (
        f"lines AS (SELECT {col('order_id')} AS order_id, {ts} AS ts, {col('customer_id')} AS customer, "
        f"{product} AS product, {name} AS product_name, {qty} AS quantity, CAST({price} AS DOUBLE) "
        f"AS unit_price, ({roles.cancelled}) AS cancelled FROM {quote_ident(table)} WHERE {ts} IS NOT NULL"
        f"{services})"
    )


# Per product: median and MAD of log quantity and log price over sales (the table's for small products).
_STATS_CTES = f"""
sold AS (SELECT *, ln(quantity) AS log_q, CASE WHEN unit_price > 0 THEN ln(unit_price) END AS log_p
    FROM lines WHERE NOT cancelled AND quantity > 0),
centre AS (SELECT product, count(*) AS n, median(log_q) AS q_mid, median(log_p) AS p_mid
    FROM sold GROUP BY product),
stats AS (SELECT c.product, any_value(c.n) AS n, any_value(c.q_mid) AS q_mid, any_value(c.p_mid) AS p_mid,
    median(abs(s.log_q - c.q_mid)) AS q_mad, median(abs(s.log_p - c.p_mid)) AS p_mad
    FROM sold s JOIN centre c ON s.product IS NOT DISTINCT FROM c.product GROUP BY c.product),
whole AS (SELECT median(log_q) AS q_mid FROM sold),
whole_spread AS (SELECT any_value(w.q_mid) AS q_mid, median(abs(s.log_q - w.q_mid)) AS q_mad
    FROM sold s CROSS JOIN whole w),
scored AS (SELECT s.*, st.n,
    CASE WHEN st.n >= {MIN_PRODUCT_LINES} THEN st.q_mid ELSE w.q_mid END AS q_mid,
    greatest({MAD_TO_SD} * CASE WHEN st.n >= {MIN_PRODUCT_LINES} THEN st.q_mad ELSE w.q_mad END,
        {QUANTITY_LOG_FLOOR}) AS q_scale,
    st.p_mid, greatest({MAD_TO_SD} * st.p_mad, {PRICE_LOG_FLOOR}) AS p_scale
    FROM sold s JOIN stats st ON s.product IS NOT DISTINCT FROM st.product CROSS JOIN whole_spread w)"""

_LINE = "order_id, ts, customer, product, product_name, quantity, unit_price"
_RULE_CTES = {
    "large_quantity": f"""large_quantity AS (SELECT {_LINE}, 'large_quantity' AS rule,
    exp(q_mid) AS expected, (log_q - q_mid) / q_scale AS z, z AS size FROM scored
    WHERE (log_q - q_mid) / q_scale > {{threshold}})""",
    "far_price": f"""far_price AS (SELECT {_LINE}, 'far_price' AS rule, exp(p_mid) AS expected,
    (log_p - p_mid) / p_scale AS z, abs(z) AS size FROM scored
    WHERE n >= {MIN_PRODUCT_LINES} AND abs(log_p - p_mid) / p_scale > {{threshold}})""",
    "refund_without_sale": f"""first_sale AS (SELECT customer, product, min(ts) AS first_ts FROM sold
    WHERE customer IS NOT NULL GROUP BY customer, product),
refund_without_sale AS (SELECT {", ".join(f"l.{c.strip()}" for c in _LINE.split(","))},
    'refund_without_sale' AS rule, CAST(NULL AS DOUBLE) AS expected, CAST(NULL AS DOUBLE) AS z,
    abs(l.quantity * l.unit_price) AS size FROM lines l LEFT JOIN first_sale f
    ON l.customer = f.customer AND l.product = f.product AND f.first_ts <= l.ts
    WHERE l.cancelled AND l.customer IS NOT NULL AND f.customer IS NULL)""",
}


def line_sql(table: str, roles, rules: list[str], threshold: float, per_rule: int | None) -> str:
    """The query flagging lines by ``rules``: the largest ``per_rule`` per rule, each with its rule count."""
    ctes = [_lines_cte(table, roles), _STATS_CTES.strip()]
    ctes += [_RULE_CTES[r].format(threshold=f"{threshold:g}") for r in rules]
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {r}" for r in rules)
    ctes.append(f"flagged AS ({union})")
    keep = (
        f"QUALIFY row_number() OVER (PARTITION BY rule ORDER BY size DESC NULLS LAST, ts, order_id, "
        f"product, quantity) <= {per_rule} "
        if per_rule
        else ""
    )
    return (
        f"WITH {', '.join(ctes)} SELECT *, count(*) OVER (PARTITION BY rule) AS rule_lines FROM flagged "
        f"{keep}ORDER BY rule, size DESC NULLS LAST, ts, order_id, product, quantity"
    )


def flag_lines(
    ws: Workspace, table: str, threshold: float, per_rule: int | None = MAX_LINES_PER_RULE
) -> LineCheck:
    """Every transaction rule the table's roles allow; ``per_rule=None`` returns every flagged line."""
    roles = ws.roles(table)
    count_sql = f"SELECT count(*) AS n FROM {quote_ident(table)}"
    lines = int(ws.query(count_sql)["n"].iloc[0])
    if lines == 0:
        raise ToolError(f"{table} has no sales lines to check.")
    skipped = _skipped_rules(roles)
    rules = [r for r in RULES if r not in skipped]
    if not rules:
        return LineCheck(pd.DataFrame(), {}, lines, skipped, [count_sql])
    sql = line_sql(table, roles, rules, threshold, per_rule)
    flagged = ws.query(sql, timeout_s=max(ws.sql_timeout_s, 120), max_rows=None)
    found = flagged.groupby("rule")["rule_lines"].first()
    counts = {r: int(found.get(r, 0)) for r in rules}
    flagged = flagged.drop(columns=["size", "rule_lines"]).rename(columns={"ts": "date"})
    if not roles["product_id"] or not roles["product_name"]:
        flagged = flagged.drop(columns=["product_name"])
    currency = roles.currency
    flagged["reason"] = [_line_reason(r, threshold, currency) for r in flagged.to_dict("records")]
    return LineCheck(flagged, counts, lines, skipped, [count_sql, sql])


def _line_reason(row: dict, threshold: float, currency: str | None) -> str:
    name = f" ({row['product_name']})" if row.get("product_name") else ""
    product = f"{row['product']}{name}" if pd.notna(row["product"]) else "the item"
    on = f" on order {row['order_id']} ({period(row['date'], 'day')})"
    if pd.isna(row["order_id"]):
        on = f" on {period(row['date'], 'day')}"
    if row["rule"] == "refund_without_sale":
        return (
            f"cancellation{on} refunds {abs(row['quantity']):g} of {product} to "
            f"customer {_id(row['customer'])}, who had bought none of it before"
        )
    z = f"robust z = {row['z']:.1f} on the log scale, threshold {threshold:g}"
    if row["rule"] == "large_quantity":
        return (
            f"quantity {row['quantity']:,g} of {product}{on} is "
            f"{_times(row['quantity'] / row['expected'])} the usual {row['expected']:,.0f} ({z})"
        )
    price, usual = (number(row[k], "money", currency) for k in ("unit_price", "expected"))
    return (
        f"unit price {price} of {product}{on} is "
        f"{_times(row['unit_price'] / row['expected'])} the product's median {usual} ({z})"
    )


def _times(ratio: float) -> str:
    """How many times the usual: "45x", "8.2x", or "1/300 of" for a price far below it."""
    if ratio >= 10:
        return f"{ratio:,.0f}x"
    return f"{ratio:.1f}x" if ratio >= 1 else f"1/{1 / ratio:,.0f} of"


def _id(value) -> str:
    """A customer id as written: 12346, not 12346.0 (ids read from parquet often arrive as floats)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# -- the tool -----------------------------------------------------------------------------------------------
# A question about what is unusual: anomalies, outliers, spikes, suspicious lines.
UNUSUAL = re.compile(
    r"\b(?:anomal\w*|unusual\w*|abnormal\w*|outliers?|suspicious\w*|strange|irregular\w*|spik(?:e|es|ed)|"
    r"weird|odd-looking|out of the ordinary|unexpected\w*)\b"
    r"|\brefunds?\s+without\b|\bfar\s+(?:away\s+)?from\s+(?:the\s+|its\s+)?usual\b",
    re.IGNORECASE,
)


class DetectAnomalies(Tool):
    name = "detect_anomalies"
    description = (
        "Find anomalies: days, weeks or months whose revenue, orders, units or customers leave their "
        "expected seasonal band (spikes and drops), overall or per country or product, and unusual "
        "transaction lines (huge quantities, refunds without a sale, prices far from the usual)."
    )
    Args = AnomalyArgs
    cue = UNUSUAL

    def run(self, args: AnomalyArgs) -> ToolResult:
        table = args.table or self.ws.sales_table()
        self.ws.columns(table)  # an unknown table: the workspace's retryable error
        self.ws.roles(table).require("timestamp", purpose="anomaly detection")
        periods = check_periods(self.ws, args, table) if args.kind != "transactions" else None
        lines = flag_lines(self.ws, table, args.threshold) if args.kind != "periods" else None
        tables, facts, sql, text = [], [], [], []
        if periods is not None:
            tables.append(_period_table(periods))
            facts += _period_facts(periods, table)
            sql += periods.found.sql
            text.append(_period_text(periods, args.threshold))
        if lines is not None:
            if not lines.flagged.empty or lines.counts:
                tables.append(_line_table(lines))
            facts += _line_facts(lines, table)
            sql += lines.sql
            text.append(_line_text(lines, table, args.threshold))
        return ToolResult(
            text="\n".join(text),
            tables=tables,
            chart=_chart(periods, args.threshold) if periods is not None else None,
            facts=facts,
            sql=sql,
            headline=" ".join(
                part
                for part in (
                    _period_headline(periods) if periods is not None else "",
                    _line_headline(lines) if lines is not None else "",
                )
                if part
            ),
        )


def _period_table(check: PeriodCheck) -> Table:
    fmt = check.found.format
    kinds = {"period": check.found.grain, "deviation_share": "ratio", "z": "number"}
    kinds |= {c: fmt for c in ("actual", "expected", "deviation")}
    return Table("period_anomalies", check.anomalies, kinds, check.found.currency)


def _line_table(check: LineCheck) -> Table:
    kinds = {"date": "time", "order_id": "text", "customer": "text", "quantity": "count"}
    kinds |= {"unit_price": "money", "expected": "number", "z": "number"}
    return Table("transaction_anomalies", check.flagged, kinds)


def _period_text(check: PeriodCheck, threshold: float) -> str:
    found, rows = check.found, check.anomalies
    index = found.series[0].values.index
    what = f"{found.metric} per {found.grain} of {found.table}"
    if found.by:
        what += f" for the top {len(found.series)} values of {found.by}"
    spikes = int((rows["direction"] == "spike").sum())
    lines = [
        f"Checked {what}: {len(index)} {found.grain}s ({period(index[0], found.grain)} to "
        f"{period(index[-1], found.grain)}), expected values by {check.bands[0].method}; "
        f"an anomaly is more than {threshold:g} robust z (1.4826 x MAD of the residuals on its side) "
        "from expected. "
        f"{len(rows)} anomalous {found.grain}s: {spikes} spikes, {len(rows) - spikes} drops."
    ]
    lines += [f"- {reason}" for reason in rows["reason"].head(5)]
    if found.partial:
        lines.append(f"Left out as partial: {'; '.join(found.partial)}.")
    return "\n".join(lines)


def _line_text(check: LineCheck, table: str, threshold: float) -> str:
    counts = ", ".join(f"{n:,} {RULES[r]}" for r, n in check.counts.items())
    lines = [
        f"Checked {check.lines:,} lines of {table} with robust rules ({threshold:g} robust z on the log "
        f"scale from the product's median quantity or price; refunds against the customer's earlier "
        f"purchases): {counts or 'no rule could run'}; the table lists the {MAX_LINES_PER_RULE} largest "
        "per rule."
    ]
    lines += [f"{reason}." for reason in check.skipped.values()]
    if not check.flagged.empty:
        top = check.flagged.groupby("rule", sort=False).head(2)
        lines += [f"- {reason}" for reason in top["reason"]]
    return "\n".join(lines)


def _period_headline(check: PeriodCheck) -> str:
    found, rows = check.found, check.anomalies
    if rows.empty:
        return f"No {found.grain} of {found.metric} left its expected band."
    spikes = int((rows["direction"] == "spike").sum())
    drops = len(rows) - spikes
    return (
        f"{len(rows)} {found.grain}{'s' * (len(rows) != 1)} of {found.metric} left the expected band "
        f"({spikes} spike{'s' * (spikes != 1)}, {drops} drop{'s' * (drops != 1)}); the largest: "
        f"{rows['reason'].iloc[0]}."
    )


def _line_headline(check: LineCheck) -> str:
    if not check.counts:
        return ""
    counts = ", ".join(f"{RULES[r]} {n:,}" for r, n in check.counts.items())
    return f"Unusual lines among {check.lines:,}: {counts}."


def _period_facts(check: PeriodCheck, table: str) -> list[Fact]:
    source = f"detect_anomalies on {table} ({check.found.metric} per {check.found.grain})"
    rows = check.anomalies
    spikes = int((rows["direction"] == "spike").sum())
    facts = [
        Fact("periods_checked", len(check.found.series[0].values), source),
        Fact("series_checked", len(check.bands), source),
        Fact("period_anomalies", len(rows), source),
        Fact("spikes", spikes, source),
        Fact("drops", len(rows) - spikes, source),
    ]
    small = rows.head(10)
    labels = [period(p, check.found.grain) for p in small["period"]]
    if check.found.by:
        labels = [f"{v} {p}" for v, p in zip(small[check.found.by], labels, strict=True)]
    figures = pd.DataFrame({"anomaly": labels}).join(
        small[["actual", "expected", "deviation", "z"]].reset_index(drop=True)
    )
    return facts + frame_facts(figures, source)


def _line_facts(check: LineCheck, table: str) -> list[Fact]:
    source = f"detect_anomalies on {table} (transaction rules)"
    facts = [Fact("lines_checked", check.lines, source)]
    return facts + [Fact(f"{rule}_lines", n, source) for rule, n in check.counts.items()]


def _chart(check: PeriodCheck, threshold: float):
    """Each series with its expected band (expected ± threshold x scale) and its anomalies marked."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for band in check.bands:
        name = band.label or check.found.metric
        x = band.actual.index
        bounds = (band.expected + threshold * band.upper, band.expected - threshold * band.lower)
        for bound, fill in zip(bounds, (None, "tonexty"), strict=True):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=bound,
                    mode="lines",
                    line={"width": 0},
                    fill=fill,
                    legendgroup=name,
                    name=f"{name} expected band",
                    showlegend=fill is not None,
                    hoverinfo="skip",
                )
            )
        fig.add_trace(go.Scatter(x=x, y=band.actual, mode="lines", name=name, legendgroup=name))
        hit = band.z.abs() > threshold
        fig.add_trace(
            go.Scatter(
                x=x[hit],
                y=band.actual[hit],
                mode="markers",
                name=f"{name} anomalies",
                legendgroup=name,
                marker={"symbol": "x", "size": 10, "color": "red"},
            )
        )
    found = check.found
    return fig.update_layout(
        title=f"{found.metric} per {found.grain}: expected band and anomalies", xaxis_title=found.grain
    )
