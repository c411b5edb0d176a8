"""The marketing formulas of ``roi_calculator``, as plain functions of named inputs (no workspace, no LLM).

Each result row carries the formula it used, so the person sees how a number was made. Inputs that are
missing leave their metrics out and say what would be needed, rather than guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Metric:
    name: str
    value: float
    unit: str
    formula: str


@dataclass
class Metrics:
    rows: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    derived: dict[str, tuple[float, str]] = field(default_factory=dict)  # input -> (value, formula)

    def add(self, name: str, value: float, unit: str, formula: str) -> float:
        self.rows.append(Metric(name, float(value), unit, formula))
        return value

    def get(self, name: str) -> float | None:
        return next((m.value for m in self.rows if m.name == name), None)


def compute_metrics(v: dict[str, float | None]) -> Metrics:
    """Every metric the inputs allow: ROI, ROAS, profit, break-even, CAC, payback, simple CLV.

    Args:
        v: inputs by name (spend, revenue, baseline_revenue, margin, order_value, new_customers,
            monthly_margin_per_customer, purchases_per_year, lifetime_years); None when unknown.
    """
    out = Metrics()
    _returns(v, out)
    _break_even(v, out)
    _acquisition(v, out)
    _clv(v, out)
    return out


def _returns(v: dict, out: Metrics) -> None:
    spend, revenue, baseline, margin = (
        v.get("spend"),
        v.get("revenue"),
        v.get("baseline_revenue"),
        v.get("margin"),
    )
    if spend is None or revenue is None:
        if spend is None and revenue is not None:
            out.notes.append("ROI and ROAS need the spend.")
        return
    out.add("roas", revenue / spend, "ratio", "revenue / spend")
    if baseline is not None:
        incremental = out.add(
            "incremental_revenue", revenue - baseline, "currency", "revenue - baseline_revenue"
        )
        out.add("incremental_roas", incremental / spend, "ratio", "incremental_revenue / spend")
        name = "incremental_revenue"
    else:
        incremental = revenue
        name = "revenue"
        out.notes.append(
            "All of the revenue is treated as incremental (caused by the campaign): no baseline "
            "revenue was given."
        )
    if margin is None:
        out.add("revenue_roi", (incremental - spend) / spend, "ratio", f"({name} - spend) / spend")
        out.add("revenue_minus_spend", incremental - spend, "currency", f"{name} - spend")
        out.notes.append(
            "This is revenue ROI, not profit ROI: no gross margin was given, so product costs are "
            "ignored and the return is overstated."
        )
        return
    out.add("gross_margin_earned", incremental * margin, "currency", f"{name} x margin")
    out.add("profit", incremental * margin - spend, "currency", f"{name} x margin - spend")
    out.add("roi", (incremental * margin - spend) / spend, "ratio", f"({name} x margin - spend) / spend")


def _break_even(v: dict, out: Metrics) -> None:
    spend, margin, order_value = v.get("spend"), v.get("margin"), v.get("order_value")
    if spend is None or margin is None:
        return
    if margin == 0:
        out.notes.append("With a gross margin of 0 the campaign can never break even.")
        return
    revenue = out.add("break_even_revenue", spend / margin, "currency", "spend / margin")
    out.add("break_even_roas", 1 / margin, "ratio", "1 / margin")
    if order_value is not None:
        out.add(
            "break_even_conversions",
            math.ceil(revenue / order_value - 1e-9),
            "conversions",
            "ceil(break_even_revenue / order_value)",
        )


def _acquisition(v: dict, out: Metrics) -> None:
    spend, new = v.get("spend"), v.get("new_customers")
    if spend is None or new is None:
        return
    if new == 0:
        out.notes.append("CAC is undefined: the campaign brought no new customers.")
        return
    cac = out.add("cac", spend / new, "currency per customer", "spend / new_customers")
    monthly = v.get("monthly_margin_per_customer")
    if monthly is None:
        monthly = _monthly_margin(v, out)
    if monthly is None:
        out.notes.append(
            "Payback needs the monthly gross margin per customer (or order value, purchases per "
            "year and margin)."
        )
    elif monthly <= 0:
        out.notes.append("Payback never comes: the monthly margin per customer is not positive.")
    else:
        out.add("payback_months", cac / monthly, "months", "cac / monthly_margin_per_customer")


def _monthly_margin(v: dict, out: Metrics) -> float | None:
    aov, freq, margin = v.get("order_value"), v.get("purchases_per_year"), v.get("margin")
    if aov is None or freq is None or margin is None:
        return None
    formula = "order_value x purchases_per_year / 12 x margin"
    value = aov * freq / 12 * margin
    out.derived["monthly_margin_per_customer"] = (value, formula)
    return value


def _clv(v: dict, out: Metrics) -> None:
    aov, freq, life, margin = (
        v.get(k) for k in ("order_value", "purchases_per_year", "lifetime_years", "margin")
    )
    given = [
        k
        for k, x in (("order_value", aov), ("purchases_per_year", freq), ("lifetime_years", life))
        if x is not None
    ]
    if aov is None or freq is None or life is None:
        if freq is not None or life is not None:  # an order value alone serves break-even, not CLV
            missing = sorted({"order_value", "purchases_per_year", "lifetime_years"} - set(given))
            out.notes.append(f"Simple CLV needs {', '.join(missing)} as well.")
        return
    if margin is None:
        clv = out.add(
            "revenue_clv",
            aov * freq * life,
            "currency per customer",
            "order_value x purchases_per_year x lifetime_years",
        )
        out.notes.append("CLV is revenue CLV: no gross margin was given.")
    else:
        clv = out.add(
            "clv",
            aov * freq * margin * life,
            "currency per customer",
            "order_value x purchases_per_year x margin x lifetime_years",
        )
    cac = out.get("cac")
    if cac:
        out.add("clv_to_cac", clv / cac, "ratio", f"{'clv' if margin is not None else 'revenue_clv'} / cac")


def scenario_row(
    name: str, spend: float, revenue: float, margin: float | None, new_customers: int | None
) -> dict[str, float | str | None]:
    """One campaign or channel of a side-by-side comparison."""
    basis = revenue * margin if margin is not None else revenue
    return {
        "scenario": name,
        "spend": spend,
        "revenue": revenue,
        "margin": margin,
        "roas": revenue / spend,
        "profit": basis - spend if margin is not None else None,
        "roi": (basis - spend) / spend,
        "cac": spend / new_customers if new_customers else None,
    }
