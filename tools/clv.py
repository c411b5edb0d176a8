"""Probabilistic customer lifetime value from a transaction table: BG/NBD purchases x Gamma-Gamma spend.

Steps (the conventions of the BG/NBD papers, so the CDNOW sample reproduces the published fit):
1. One purchase occasion per customer and day: same-day purchases are combined (net of same-day
   cancellations); a day with only cancelled lines is no purchase.
2. Per customer, in weeks: ``x`` repeat purchases (the first purchase is not a repeat), ``t_x`` time from
   the first to the last purchase, ``T`` time from the first purchase to the end of the calibration period;
   ``m`` the mean value of the repeat purchases.
3. Fit BG/NBD on (x, t_x, T) and Gamma-Gamma on (x, m) of customers with repeat purchases of positive value.
4. CLV over a horizon: expected purchases month by month x expected spend per purchase x gross margin,
   discounted monthly. Without a margin the result is *revenue* CLV, and says so.

Assumptions (stated in every result): customers buy at a steady, Poisson rate while active; after any
purchase a customer may drop out for good with a fixed probability; rates and dropout probabilities vary
across customers (gamma and beta); spend per purchase varies around a customer's own mean, independent of
how often they buy; no new customers are counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools import clv_models as m
from tools.arg_types import TableName, TopN
from tools.base import Fact, Table, Tool, ToolError, ToolResult
from tools.inputs import DEFAULT, InputLog, from_data, notes_table
from tools.periods import future_span, span_in
from tools.workspace import Workspace, quote_ident

WEEKS_PER_MONTH = 365.25 / 12 / 7
DEFAULT_HORIZON_MONTHS = 12
DEFAULT_ANNUAL_DISCOUNT_RATE = 0.10

ASSUMPTIONS = (
    "BG/NBD + Gamma-Gamma assume: a steady (Poisson) purchase rate while a customer is active; after each "
    "purchase a fixed chance of leaving for good; rates and chances vary across customers; spend per purchase "
    "varies around each customer's own mean, independent of purchase frequency; no new customers."
)


@dataclass
class Histories:
    """Per-customer purchase histories (weeks) and the query that built them."""

    frame: pd.DataFrame  # customer, x, t_x, T, m, holdout_x
    sql: str
    calibration_end: date
    holdout_end: date | None


def purchase_histories(ws: Workspace, table: str, calibration_end: date | None = None) -> Histories:
    """x, t_x, T (weeks), mean repeat value m, and repeat purchases after ``calibration_end`` per customer.

    Customers are those with a first purchase on or before the calibration end. Without ``calibration_end``
    the whole table is the calibration period (no holdout).
    """
    days_sql, table_end = _purchase_days_sql(ws, table)
    end = calibration_end or table_end
    if calibration_end and calibration_end >= table_end:
        raise ToolError(
            f"The calibration end {calibration_end} leaves no later data in {table} "
            f"(last purchase {table_end}); choose an earlier date or leave it out."
        )
    e = f"DATE '{end.isoformat()}'"
    sql = (
        f"WITH days AS ({days_sql}), "
        "ranked AS (SELECT *, row_number() OVER (PARTITION BY customer ORDER BY day) AS k FROM days) "
        f"SELECT customer, count(*) FILTER (WHERE day <= {e}) - 1 AS x, "
        f"date_diff('day', min(day), max(day) FILTER (WHERE day <= {e})) / 7.0 AS t_x, "
        f"date_diff('day', min(day), {e}) / 7.0 AS T, "
        f"avg(value) FILTER (WHERE k > 1 AND day <= {e}) AS m, "
        f"count(*) FILTER (WHERE day > {e}) AS holdout_x "
        f"FROM ranked GROUP BY customer HAVING min(day) <= {e} ORDER BY customer"
    )
    frame = ws.query(sql)
    if frame.empty:
        raise ToolError(f"Table {table!r} has no purchases with a customer id on or before {end}.")
    return Histories(frame, sql, end, table_end if calibration_end else None)


def _purchase_days_sql(ws: Workspace, table: str) -> tuple[str, date]:
    """The SELECT giving one row per customer and purchase day (customer, day, value), and the last day."""
    roles = ws.roles(table)
    cols = roles.require("customer_id", "timestamp", purpose="customer lifetime value")
    value = value_expression(roles, purpose="customer lifetime value")
    customer, ts = quote_ident(cols["customer_id"]), quote_ident(cols["timestamp"])
    sql = (
        f"SELECT CAST({customer} AS VARCHAR) AS customer, CAST({ts} AS DATE) AS day, sum({value}) AS value "
        f"FROM {quote_ident(table)} WHERE {customer} IS NOT NULL AND {ts} IS NOT NULL "
        f"GROUP BY 1, 2 HAVING bool_or(NOT ({roles.cancelled}))"
    )
    last = ws.query(f"SELECT max(day) AS last FROM ({sql})")["last"][0]
    if last is None or pd.isna(last):
        raise ToolError(f"Table {table!r} has no purchases with a customer id and a date.")
    return sql, pd.Timestamp(last).date()


def value_expression(roles, purpose: str) -> str:
    """The SQL for the money value of a line: the amount column, else quantity x unit price."""
    if roles["amount"]:
        return quote_ident(roles["amount"])
    if roles["quantity"] and roles["unit_price"]:
        return f"{quote_ident(roles['quantity'])} * {quote_ident(roles['unit_price'])}"
    roles.require("amount", purpose=f"{purpose} (the money value of each purchase)")
    raise AssertionError("unreachable")


def probabilistic_clv(
    ws: Workspace,
    table: str,
    *,
    horizon_months: int | None = None,
    annual_discount_rate: float | None = None,
    margin: float | None = None,
    calibration_end: date | None = None,
    top: int = 20,
) -> ToolResult:
    """Fit BG/NBD + Gamma-Gamma on ``table`` and value every customer over the horizon.

    Args:
        ws: the workspace.
        table: a transaction table with customer id, timestamp and amount (or quantity and unit price) roles.
        horizon_months: months ahead to value (default 12, shown as a default).
        annual_discount_rate: yearly discount rate for future margin (default 0.10, shown as a default).
        margin: gross margin 0..1; without it the result is revenue CLV.
        calibration_end: fit on purchases up to this date and compare the forecast with what happened after.
        top: customers listed in the result text.
    """
    inputs = InputLog()
    inputs.stated("table", table)
    _validate(horizon_months, annual_discount_rate, margin)
    if horizon_months is None:
        horizon = inputs.add("horizon_months", DEFAULT_HORIZON_MONTHS, DEFAULT, "months valued")
    else:
        horizon = inputs.stated("horizon_months", horizon_months)
    if annual_discount_rate is None:
        rate = inputs.add(
            "annual_discount_rate", DEFAULT_ANNUAL_DISCOUNT_RATE, DEFAULT, "yearly, applied monthly"
        )
    else:
        rate = inputs.stated("annual_discount_rate", annual_discount_rate)
    if margin is None:
        inputs.add("gross_margin", "not given", DEFAULT, "revenue CLV: no margin deducted")
    else:
        inputs.stated("gross_margin", margin)
    hist = purchase_histories(ws, table, calibration_end)
    inputs.add(
        "purchase_histories",
        f"{len(hist.frame):,} customers",
        from_data(hist.sql),
        f"calibration period ends {hist.calibration_end}",
    )
    df = hist.frame
    bg = m.fit_bgnbd(df["x"], df["t_x"], df["T"])
    spenders = df[(df["x"] > 0) & (df["m"] > 0)]
    gg = m.fit_gamma_gamma(spenders["x"], spenders["m"])
    customers = _value_customers(df, bg, gg, horizon, rate, margin, with_holdout=hist.holdout_end is not None)
    return _result(customers, hist, bg, gg, inputs, horizon, margin, top)


def _validate(horizon_months: int | None, annual_discount_rate: float | None, margin: float | None) -> None:
    if horizon_months is not None and not 1 <= horizon_months <= 240:
        raise ToolError(f"The horizon must be 1 to 240 months (got {horizon_months}).")
    if annual_discount_rate is not None and not 0 <= annual_discount_rate < 1:
        raise ToolError(
            f"The annual discount rate is a fraction from 0 to 1, e.g. 0.1 for 10% "
            f"(got {annual_discount_rate})."
        )
    if margin is not None and not 0 <= margin <= 1:
        raise ToolError(f"The gross margin is a fraction from 0 to 1, e.g. 0.4 for 40% (got {margin}).")


def _value_customers(
    df: pd.DataFrame,
    bg: m.BgNbdParams,
    gg: m.GammaGammaParams,
    horizon: int,
    annual_rate: float,
    margin: float | None,
    with_holdout: bool,
) -> pd.DataFrame:
    x, t_x, T = df["x"].to_numpy(float), df["t_x"].to_numpy(float), df["T"].to_numpy(float)
    own_x = np.where(df["m"].fillna(0).to_numpy() > 0, x, 0.0)  # no positive repeat spend: population mean
    spend = m.gamma_gamma_expected_spend(gg, own_x, df["m"].fillna(1.0).to_numpy(float))
    months = np.arange(1, horizon + 1)
    cumulative = np.column_stack(
        [np.zeros_like(x)]
        + [m.bgnbd_conditional_purchases(bg, k * WEEKS_PER_MONTH, x, t_x, T) for k in months]
    )
    per_month = np.diff(cumulative, axis=1)
    discount = (1 + annual_rate) ** (-months / 12)
    value = (per_month * discount).sum(axis=1) * spend * (margin if margin is not None else 1.0)
    out = pd.DataFrame(
        {
            "customer": df["customer"],
            "repeat_purchases": df["x"].astype(int),
            "weeks_since_first": df["T"],
            "p_alive": m.bgnbd_probability_alive(bg, x, t_x, T),
            "expected_purchases": cumulative[:, -1],
            "expected_spend_per_purchase": spend,
            "clv": value,
        }
    )
    if with_holdout:
        out["holdout_purchases"] = df["holdout_x"].astype(int)
    return out.sort_values("clv", ascending=False, ignore_index=True)


def _result(
    customers: pd.DataFrame,
    hist: Histories,
    bg: m.BgNbdParams,
    gg: m.GammaGammaParams,
    inputs: InputLog,
    horizon: int,
    margin: float | None,
    top: int,
) -> ToolResult:
    kind = "CLV (gross margin)" if margin is not None else "revenue CLV (no margin given)"
    src = f"BG/NBD + Gamma-Gamma fit on {hist.sql}"
    n = len(customers)
    facts = [
        Fact("customers", n, src),
        Fact("bgnbd.r", bg.r, src),
        Fact("bgnbd.alpha", bg.alpha, src, "weeks"),
        Fact("bgnbd.a", bg.a, src),
        Fact("bgnbd.b", bg.b, src),
        Fact("bgnbd.log_likelihood", bg.log_likelihood, src),
        Fact("gamma_gamma.p", gg.p, src),
        Fact("gamma_gamma.q", gg.q, src),
        Fact("gamma_gamma.gamma", gg.gamma, src),
        Fact("clv_total", float(customers["clv"].sum()), src),
        Fact("clv_mean", float(customers["clv"].mean()), src),
        Fact("expected_purchases_total", float(customers["expected_purchases"].sum()), src),
        Fact("horizon_months", horizon, "input", "months"),
    ]
    summary = pd.DataFrame([(f.name, f.value, f.unit) for f in facts], columns=["measure", "value", "unit"])
    lines = [
        f"{kind} over {horizon} months: {customers['clv'].sum():,.2f} in total for {n:,} customers of "
        f"{inputs.rows[0][1]} (calibration period to {hist.calibration_end}, weekly units).",
        f"BG/NBD: r={bg.r:.3f}, alpha={bg.alpha:.3f}, a={bg.a:.3f}, b={bg.b:.3f}; "
        f"Gamma-Gamma: p={gg.p:.3f}, q={gg.q:.3f}, gamma={gg.gamma:.3f}.",
        f"Total {customers['clv'].sum():,.2f}, mean {customers['clv'].mean():,.2f} per customer; "
        f"{customers['expected_purchases'].sum():,.1f} purchases expected.",
    ]
    notes: list[str] = []
    if "holdout_purchases" in customers:
        facts += _holdout_facts(customers, hist, bg, src, notes)
    notes.append(ASSUMPTIONS)
    lines += notes
    lines.append(
        "Top customers:\n"
        + customers.head(top)[["customer", "p_alive", "expected_purchases", "clv"]].to_string(
            index=False, float_format=lambda v: f"{v:,.2f}"
        )
    )
    return ToolResult(
        text="\n".join(lines),
        tables=[
            Table("customer_value", customers),
            Table("model", summary),
            Table("inputs", inputs.frame()),
            *notes_table(notes),
        ],
        chart=_decile_chart(customers, kind),
        facts=facts,
        sql=[hist.sql],
    )


def _holdout_facts(
    customers: pd.DataFrame, hist: Histories, bg: m.BgNbdParams, src: str, lines: list[str]
) -> list[Fact]:
    """Forecast vs actual repeat purchases after the calibration end: the model's out-of-sample check."""
    hist_df = hist.frame
    weeks = (pd.Timestamp(hist.holdout_end) - pd.Timestamp(hist.calibration_end)).days / 7
    predicted = float(
        m.bgnbd_conditional_purchases(bg, weeks, hist_df["x"], hist_df["t_x"], hist_df["T"]).sum()
    )
    actual = int(customers["holdout_purchases"].sum())
    lines.append(
        f"Holdout check ({weeks:.1f} weeks after {hist.calibration_end}): forecast {predicted:,.1f} "
        f"repeat purchases, actual {actual:,} ({(predicted - actual) / max(actual, 1):+.1%})."
    )
    return [
        Fact("holdout.weeks", weeks, src, "weeks"),
        Fact("holdout.forecast_purchases", predicted, src),
        Fact("holdout.actual_purchases", actual, src),
    ]


def _decile_chart(customers: pd.DataFrame, kind: str):
    import plotly.express as px

    ranked = customers.reset_index(drop=True)
    decile = (np.arange(len(ranked)) * 10 // max(len(ranked), 1)) + 1
    by_decile = ranked.groupby(decile)["clv"].mean().reset_index()
    by_decile.columns = ["decile (1 = most valuable)", "mean CLV"]
    return px.bar(by_decile, x="decile (1 = most valuable)", y="mean CLV", title=f"{kind} by customer decile")


class ClvArgs(BaseModel):
    table: TableName = Field(
        None,
        description="Transaction table with customer, date and amount columns (default: the current sales "
        "table).",
    )
    horizon_months: int | None = Field(
        None, ge=1, le=240, description="Months ahead to value; null uses 12 (shown as a default)."
    )
    annual_discount_rate: float | None = Field(
        None, ge=0, lt=1, description="Yearly discount rate; null uses 0.10 (shown as a default)."
    )
    margin: float | None = Field(
        None, ge=0, le=1, description="Gross margin 0..1 as stated; null gives revenue CLV."
    )
    calibration_end: date | None = Field(
        None,
        description="Fit on purchases up to this date and check the forecast on later ones; null fits on "
        "all data.",
    )
    top: TopN = Field(None, ge=1, le=1000, description="Customers listed in the summary (default 20).")


# Lifetime value is asked for in its words ("lifetime", "CLV", "worth", "expected purchases"); "what share of
# customers came back" is a repeat rate.
LIFETIME_WORDS = re.compile(
    r"\b(?:lifetime|clv|ltv|worth|bg/?nbd|expect\w*|alive|still\s+(?:be\s+)?active|"
    r"future|long[- ]term|valuable|predict\w*|will\s+(?:bring|spend|buy|purchase|order|be\s+worth))\b",
    re.IGNORECASE,
)


class CustomerLifetimeValue(Tool):
    name = "customer_lifetime_value"
    description = (
        "Customer lifetime value from the purchase history (BG/NBD + Gamma-Gamma): each customer's "
        "expected purchases, chance of still being active and value over the coming months."
    )
    Args = ClvArgs
    cue = LIFETIME_WORDS
    cue_claims = False

    def refine_args(self, args: dict, reading, follow_up: bool = False) -> dict:
        """The horizon the question states ("over the next 2 years"), in months, read by code."""
        span = future_span(reading.question)
        return {**args, "horizon_months": span_in(span, "month")} if span else dict(args)

    def run(self, args: ClvArgs) -> ToolResult:
        return probabilistic_clv(
            self.ws,
            args.table or self.ws.sales_table(),
            horizon_months=args.horizon_months,
            annual_discount_rate=args.annual_discount_rate,
            margin=args.margin,
            calibration_end=args.calibration_end,
            top=args.top or 20,
        )
