"""``roi_calculator``: ROI, ROAS, profit, break-even, CAC, payback, CLV and scenario comparison.

Business inputs (spend, margin, revenue, ...) are never invented: an argument the person did not state is
null, and the tool either computes it from a table (showing the SQL), applies a documented default (shown
as such), leaves the metrics that need it out and says what is missing, or asks with a ToolError.
Formulas live in ``tools.roi_math``; probabilistic CLV is its own tool (``tools.clv``).
"""

from __future__ import annotations

import re
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, field_validator

from tools.base import Fact, Table, Tool, ToolError, ToolResult
from tools.clv import value_expression
from tools.inputs import InputLog, derived, fraction_hint, from_data, notes_table
from tools.roi_math import Metrics, compute_metrics, scenario_row
from tools.workspace import quote_ident

INPUT_NAMES = (
    "spend",
    "revenue",
    "baseline_revenue",
    "margin",
    "order_value",
    "new_customers",
    "monthly_margin_per_customer",
    "purchases_per_year",
    "lifetime_years",
)


class Scenario(BaseModel):
    name: str = Field(description="The campaign or channel name, as the person called it.")
    spend: float = Field(gt=0, description="Its spend in currency units, as stated.")
    revenue: float = Field(ge=0, description="Its incremental (attributed) revenue, as stated.")
    margin: float | None = Field(
        None, ge=0, le=1, description="Its gross margin 0..1 when stated for it; null uses the shared margin."
    )
    new_customers: int | None = Field(
        None, ge=0, description="New customers it brought (for its CAC); null if not stated."
    )

    _check_margin = field_validator("margin", mode="before")(fraction_hint)


class RoiArgs(BaseModel):
    calculation: Literal["metrics", "scenarios"] | None = Field(
        None,
        description="'metrics' (ROI, ROAS, profit, break-even, CAC, payback, simple CLV from the given "
        "numbers), 'scenarios' (compare `scenarios`). Null: scenarios if given, else metrics.",
    )
    spend: float | None = Field(
        None, gt=0, description="Campaign or channel spend in currency units, as stated; null if not stated."
    )
    revenue: float | None = Field(
        None,
        ge=0,
        description="Revenue attributed to the campaign, as stated; treated "
        "as incremental unless baseline_revenue is given. Null if not stated.",
    )
    baseline_revenue: float | None = Field(
        None,
        ge=0,
        description="Revenue expected without the campaign (e.g. "
        "a control group's); incremental revenue = revenue - baseline.",
    )
    margin: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Gross margin as a fraction 0..1 (0.4 for 40%), "
        "as stated; null gives revenue ROI and revenue CLV.",
    )
    order_value: float | None = Field(
        None,
        gt=0,
        description="Average order value, as stated; null computes it from `table` when one is given.",
    )
    new_customers: int | None = Field(
        None, ge=0, description="New customers acquired by the spend (for CAC), as stated."
    )
    monthly_margin_per_customer: float | None = Field(
        None,
        ge=0,
        description="Gross margin one customer brings "
        "per month (for payback), as stated; null derives it from "
        "order value, purchases per year and margin.",
    )
    purchases_per_year: float | None = Field(
        None,
        ge=0,
        description="Purchases per customer per year, as stated; "
        "null computes it from `table` when one is given.",
    )
    lifetime_years: float | None = Field(
        None, gt=0, description="Expected customer lifetime in years (simple CLV), as stated; never assumed."
    )
    table: str | None = Field(
        None,
        description="A transaction table: source of order value and purchase frequency for simple CLV "
        "(the BG/NBD model is customer_lifetime_value).",
    )
    scenarios: list[Scenario] | None = Field(
        None, description="Several campaigns or channels to compare side by side, ranked by ROI."
    )

    _check_margin = field_validator("margin", mode="before")(fraction_hint)


# The calculator works on figures the person gives: spend, cost, margin, ROI, payback ("revenue by channel for
# 2024" gives none; it is a breakdown of the data).
MONEY_IN_OUT_WORDS = re.compile(
    r"\b(?:roi|roas|cac|clv|return\s+on|returning|break[- ]?even|payback|profit\w*|margins?|spen[dt]|paid|pay|"
    r"costs?|costing|budget\w*|invest\w*|worth\s+it|acquisition)\b",
    re.IGNORECASE,
)


class RoiCalculator(Tool):
    name = "roi_calculator"
    description = (
        "Marketing math from stated numbers or a transaction table: ROI, ROAS, profit, break-even "
        "revenue and conversions, CAC, payback, simple customer lifetime value from stated numbers, "
        "and campaigns or channels compared side by side."
    )
    Args = RoiArgs
    cue = MONEY_IN_OUT_WORDS
    cue_claims = False

    def run(self, args: RoiArgs) -> ToolResult:
        calculation = args.calculation or ("scenarios" if args.scenarios else "metrics")
        if calculation == "scenarios":
            return compare_scenarios(args.scenarios or [], args.margin)
        return self._metrics(args)

    def _metrics(self, args: RoiArgs) -> ToolResult:
        inputs = InputLog()
        for name in INPUT_NAMES:
            inputs.stated(name, getattr(args, name))
        values = {name: getattr(args, name) for name in INPUT_NAMES}
        if args.table and (args.order_value is None or args.purchases_per_year is None):
            computed = order_stats(self.ws, args.table)
            for name in ("order_value", "purchases_per_year"):
                if values[name] is None:
                    values[name] = inputs.add(
                        name, computed[name], from_data(str(computed["sql"])), f"observed in {args.table}"
                    )
        metrics = compute_metrics(values)
        for name, (value, formula) in metrics.derived.items():
            inputs.add(name, value, derived(formula))
        if not metrics.rows:
            raise ToolError(
                "Nothing to calculate: give spend and revenue (ROI, ROAS), spend and new customers "
                "(CAC), or order value, purchases per year and lifetime years (CLV). "
                + " ".join(metrics.notes)
            )
        return _metrics_result(metrics, inputs)


def order_stats(ws, table: str) -> dict[str, float | str]:
    """Average order value and orders per customer per year observed in a transaction table.

    An order is an order id when the table has one, else a customer's purchase day. Cancelled lines are left
    out (DESIGN.md: aov = revenue of non-cancelled lines / orders).
    """
    roles = ws.roles(table)
    cols = roles.require("customer_id", "timestamp", purpose="order value and purchase frequency")
    value = value_expression(roles, purpose="order value")
    customer, ts = quote_ident(cols["customer_id"]), quote_ident(cols["timestamp"])
    order = quote_ident(roles["order_id"]) if roles["order_id"] else f"({customer}, CAST({ts} AS DATE))"
    ok = f"NOT ({roles.cancelled})"
    sql = (
        f"SELECT sum({value}) FILTER (WHERE {ok}) / count(DISTINCT {order}) FILTER (WHERE {ok}) AS order_value, "
        f"count(DISTINCT {order}) FILTER (WHERE {ok} AND {customer} IS NOT NULL) / count(DISTINCT {customer}) "
        f"/ (date_diff('day', min({ts}), max({ts})) / 365.25) AS purchases_per_year FROM {quote_ident(table)}"
    )
    row = ws.query(sql).iloc[0]
    if pd.isna(row["order_value"]) or pd.isna(row["purchases_per_year"]) or row["purchases_per_year"] <= 0:
        raise ToolError(
            f"Table {table!r} has too little history (orders over more than one day) to compute "
            "order value and purchase frequency; state them instead."
        )
    return {
        "order_value": float(row["order_value"]),
        "purchases_per_year": float(row["purchases_per_year"]),
        "sql": sql,
    }


def _metrics_result(metrics: Metrics, inputs: InputLog) -> ToolResult:
    table = pd.DataFrame(
        [(m.name, m.value, m.unit, m.formula) for m in metrics.rows],
        columns=["metric", "value", "unit", "formula"],
    )
    facts = [Fact(m.name, m.value, f"roi_calculator: {m.formula}", m.unit) for m in metrics.rows]
    facts += [Fact(f"input.{n}", v, s) for n, v, s, _ in inputs.rows if isinstance(v, (int, float))]
    lines = [_headline(metrics)]
    lines += [f"{m.name} = {_fmt(m.value, m.name.endswith('roi'))}  ({m.formula})" for m in metrics.rows]
    lines += [f"Input {n} = {_fmt(v)} ({s.split(':')[0]})" for n, v, s, _ in inputs.rows]
    lines += metrics.notes
    return ToolResult(
        text="\n".join(lines),
        tables=[Table("results", table), Table("inputs", inputs.frame()), *notes_table(metrics.notes)],
        chart=_money_chart(metrics, inputs),
        facts=facts,
        sql=inputs.sql(),
    )


def compare_scenarios(scenarios: list[Scenario], shared_margin: float | None) -> ToolResult:
    """Campaigns or channels side by side, ranked by ROI (profit ROI when margins are known)."""
    if len(scenarios) < 2:
        raise ToolError("A comparison needs at least two scenarios, each with a name, spend and revenue.")
    margins = [s.margin if s.margin is not None else shared_margin for s in scenarios]
    if any(m is None for m in margins) and any(m is not None for m in margins):
        missing = [s.name for s, m in zip(scenarios, margins, strict=True) if m is None]
        raise ToolError(
            f"Give a margin for {', '.join(missing)} too (or one shared margin), so all ROIs compare "
            "the same thing."
        )
    rows = [
        scenario_row(s.name, s.spend, s.revenue, m, s.new_customers)
        for s, m in zip(scenarios, margins, strict=True)
    ]
    df = pd.DataFrame(rows).sort_values("roi", ascending=False, ignore_index=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    df = df.dropna(axis=1, how="all")
    kind = (
        "ROI = (revenue x margin - spend) / spend"
        if margins[0] is not None
        else "revenue ROI = (revenue - spend) / spend (no margin given: product costs ignored)"
    )
    facts = [
        Fact(f"{r['scenario']}.{c}", r[c], f"roi_calculator scenarios: {kind}")
        for r in df.to_dict("records")
        for c in ("rank", "roi", "roas", "profit", "cac")
        if c in r
    ]
    text = f"Ranked by {kind}:\n" + df.to_string(index=False, float_format=lambda v: f"{v:,.4g}")
    inputs = InputLog()
    for s, m in zip(scenarios, margins, strict=True):
        inputs.stated(f"{s.name}.spend", s.spend)
        inputs.stated(f"{s.name}.revenue", s.revenue)
        if m is not None:
            inputs.add(f"{s.name}.margin", m, "stated" if s.margin is not None else "stated (shared margin)")
    import plotly.express as px

    chart = px.bar(df, x="scenario", y="roi", title=kind.split(" = ")[0] + " by scenario")
    return ToolResult(
        text=text,
        tables=[Table("scenarios", df), Table("inputs", inputs.frame())],
        chart=chart,
        facts=[f for f in facts if f.value is not None and not pd.isna(f.value)],
    )


def _headline(metrics: Metrics) -> str:
    """The one line that matters most, first (terminals and previews show only the first line)."""
    order = (
        "roi",
        "revenue_roi",
        "profit",
        "roas",
        "cac",
        "payback_months",
        "clv",
        "revenue_clv",
        "break_even_revenue",
    )
    shown = [m for name in order for m in metrics.rows if m.name == name][:4]
    return "; ".join(f"{m.name} {_fmt(m.value, m.name.endswith('roi'))}" for m in shown) + "."


def _money_chart(metrics: Metrics, inputs: InputLog):
    """Spend against what it brought back, for the metrics in currency."""
    wanted = (
        "incremental_revenue",
        "gross_margin_earned",
        "profit",
        "revenue_minus_spend",
        "break_even_revenue",
    )
    bars = [(m.name, m.value) for m in metrics.rows if m.name in wanted]
    spend = next((v for n, v, _, _ in inputs.rows if n == "spend"), None)
    if not bars or spend is None:
        return None
    import plotly.express as px

    df = pd.DataFrame([("spend", spend), *bars], columns=["measure", "amount"])
    return px.bar(df, x="measure", y="amount", title="Campaign economics")


def _fmt(value: object, percent: bool = False) -> str:
    if not isinstance(value, (int, float)):
        return str(value)
    if percent:
        return f"{value:,.4f} ({value:.1%})"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
