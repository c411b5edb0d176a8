"""The computed half of a strategy: actions, their expected impact and the A/B test each needs.

The model only writes words around these. Every number here comes from a tool's facts or tables, or from
an assumption the person can change (``Assumptions``, each with a documented default, shown with the
calculation), so an expected impact is always a formula with its inputs, never a model's guess.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

import pandas as pd

from tools.base import Fact, ToolResult

MAX_BUNDLES = 3
MIN_LIFT = 2.0


@dataclass
class Assumptions:
    """Rates no data holds; defaults are deliberately modest and are printed with every calculation."""

    cross_sell_take_rate: float = 0.05  # share of baskets missing the partner item that add it
    winback_response_rate: float = 0.05  # share of lapsed customers who buy again after the offer
    winback_baseline_rate: float = 0.02  # share who would have come back anyway (the control group)
    alpha: float = 0.05
    power: float = 0.8


@dataclass
class Action:
    """One recommended action with its computed impact and its test design."""

    key: str
    kind: str  # cross_sell, win_back, retain, scale_winner, stop_loser, budget, plan
    target: str
    basis: list[str]  # names of the facts it rests on
    impact_label: str = ""
    impact_value: float | None = None
    impact_unit: str = ""
    formula: str = ""
    inputs: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] | None = None  # baseline, expected, n_per_group, alpha, power

    def facts(self) -> list[Fact]:
        """The computed numbers as facts, so the write-up may quote them and the check accepts them."""
        source = f"write_strategy calculation: {self.formula}" if self.formula else "write_strategy"
        out = [Fact(f"{self.key}.{k}", v, source) for k, v in self.inputs.items()]
        if self.impact_value is not None:
            out.append(Fact(f"{self.key}.impact", self.impact_value, source, self.impact_unit))
        for k, v in (self.test or {}).items():
            out.append(Fact(f"{self.key}.test.{k}", v, "two-proportion sample size formula"))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sample_size_two_proportions(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers needed per group to detect a change from rate ``p1`` to ``p2`` (two-sided z test).

    n = (z(1-a/2) * sqrt(2 p(1-p)) + z(power) * sqrt(p1(1-p1) + p2(1-p2)))^2 / (p1 - p2)^2, p = (p1+p2)/2.
    """
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        raise ValueError("rates must lie strictly between 0 and 1 and differ")
    z = NormalDist()
    z_a, z_b = z.inv_cdf(1 - alpha / 2), z.inv_cdf(power)
    pooled = (p1 + p2) / 2
    spread = z_a * math.sqrt(2 * pooled * (1 - pooled)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(spread**2 / (p1 - p2) ** 2)


def _test(p1: float, p2: float, a: Assumptions) -> dict[str, float]:
    n = sample_size_two_proportions(p1, p2, a.alpha, a.power)
    return {
        "baseline": round(p1, 4),
        "expected": round(p2, 4),
        "n_per_group": n,
        "alpha": a.alpha,
        "power": a.power,
    }


# -- per analysis ----------------------------------------------------------------------------------------
def plan_actions(results: dict[str, ToolResult], a: Assumptions) -> list[Action]:
    """Actions from the analyses that ran, keyed by tool name (segments, rules, uplift, ROI, churn risk,
    forecast)."""
    actions: list[Action] = []
    if "association_rules" in results:
        actions += cross_sell_actions(results["association_rules"], a)
    if "segment_customers" in results:
        actions += segment_actions(results["segment_customers"], a)
    if "campaign_uplift" in results:
        actions += uplift_actions(results["campaign_uplift"], a)
    if "roi_calculator" in results:
        actions += roi_actions(results["roi_calculator"])
    if "predict_churn" in results:
        actions += churn_actions(results["predict_churn"], a)
    if "forecast_sales" in results:
        actions += forecast_actions(results["forecast_sales"])
    return actions


def cross_sell_actions(result: ToolResult, a: Assumptions) -> list[Action]:
    """Bundles from the strongest rules (by lift, one per item pair)."""
    rules = result.table
    if rules is None or rules.empty:
        return []
    baskets = float(result.fact("baskets"))
    # The best bundle is a strong rule with room to grow: many baskets hold the first item but not the
    # partner. Among clearly associated pairs (lift >= MIN_LIFT), rank by those missing baskets.
    rules = rules.assign(missing=rules["support"] / rules["confidence"] * baskets * (1 - rules["confidence"]))
    strong = rules[rules["lift"] >= MIN_LIFT]
    ranked = (strong if not strong.empty else rules).sort_values(["missing", "lift"], ascending=False)
    seen: set[frozenset[str]] = set()
    actions: list[Action] = []
    for row in ranked.itertuples():
        pair = frozenset([str(row.if_bought), str(row.then_buy)])
        if pair in seen:
            continue
        seen.add(pair)
        rule = f"{row.if_bought} => {row.then_buy}"
        with_a = round(float(row.support) / float(row.confidence) * baskets)
        missing = round(with_a * (1 - float(row.confidence)))
        extra = round(missing * a.cross_sell_take_rate)
        key = f"bundle_{len(actions) + 1}"
        p1 = min(max(float(row.confidence), 0.001), 0.999)
        p2 = min(p1 + a.cross_sell_take_rate * (1 - p1), 0.999)
        actions.append(
            Action(
                key=key,
                kind="cross_sell",
                target=rule,
                basis=[f"{rule}.confidence", f"{rule}.lift", f"{rule}.support", "baskets"],
                impact_label="extra baskets holding the partner item",
                impact_value=extra,
                impact_unit="baskets",
                formula="baskets x support / confidence x (1 - confidence) x take rate",
                inputs={
                    "baskets": int(baskets),
                    "confidence": round(float(row.confidence), 4),
                    "lift": round(float(row.lift), 2),
                    "baskets_with_first_item": with_a,
                    "baskets_missing_partner": missing,
                    "take_rate": a.cross_sell_take_rate,
                },
                test=_test(p1, p2, a) if p2 > p1 else None,
            )
        )
        if len(actions) == MAX_BUNDLES:
            break
    return actions


def segment_actions(result: ToolResult, a: Assumptions) -> list[Action]:
    """Win back the most lapsed segment; keep the segment that brings the most revenue."""
    seg = result.table
    if seg is None or seg.empty or len(seg) < 2:
        return []
    lapsed = seg.sort_values("median_recency_days", ascending=False).iloc[0]
    top = seg.sort_values("revenue", ascending=False).iloc[0]
    customers, spend = int(lapsed["customers"]), float(lapsed["median_monetary"])
    name = str(lapsed["segment"])
    won = customers * a.winback_response_rate
    win_back = Action(
        key="win_back",
        kind="win_back",
        target=name,
        basis=[f"{name}.customers", f"{name}.median_recency_days", f"{name}.median_monetary"],
        impact_label="revenue from returning customers",
        impact_value=round(won * spend, 2),
        impact_unit="currency",
        formula="customers x response rate x median spend",
        inputs={
            "customers": customers,
            "median_recency_days": float(lapsed["median_recency_days"]),
            "median_spend": round(spend, 2),
            "response_rate": a.winback_response_rate,
            "customers_won_back": round(won),
        },
        test=_test(a.winback_baseline_rate, a.winback_response_rate, a)
        if a.winback_response_rate > a.winback_baseline_rate
        else None,
    )
    actions = [win_back]
    if str(top["segment"]) != name:
        top_name = str(top["segment"])
        actions.append(
            Action(
                key="retain",
                kind="retain",
                target=top_name,
                basis=[f"{top_name}.customers", f"{top_name}.share_revenue", f"{top_name}.median_frequency"],
                inputs={
                    "customers": int(top["customers"]),
                    "share_revenue": round(float(top["share_revenue"]), 4),
                    "median_orders": float(top["median_frequency"]),
                },
            )
        )
    return actions


def uplift_actions(result: ToolResult, a: Assumptions) -> list[Action]:
    """Scale the best significant treatment to the control group; stop treatments without a lift."""
    up = result.table
    if up is None or up.empty or "role" not in up:
        return []
    control = up[up["role"] == "control"]
    treated = up[up["role"] != "control"]
    if control.empty or treated.empty:
        return []
    base = control.iloc[0]
    actions = []
    winners = treated[(treated["p_value"] < a.alpha) & (treated["lift"] > 0)].sort_values(
        "lift", ascending=False
    )
    if not winners.empty:
        best = winners.iloc[0]
        g = str(best["group"])
        extra = float(best["lift"]) * int(base["n"])
        p1, p2 = float(base["mean"]), float(best["mean"])
        actions.append(
            Action(
                key="scale_winner",
                kind="scale_winner",
                target=g,
                basis=[f"{g}.lift", f"{g}.p_value", f"{base['group']}.n"],
                impact_label="extra conversions if the control group also receives it",
                impact_value=round(extra, 1),
                impact_unit="conversions",
                formula="lift x customers in the control group",
                inputs={"lift": round(float(best["lift"]), 4), "control_customers": int(base["n"])},
                test=_test(p1, p2, a) if 0 < p1 < 1 and 0 < p2 < 1 and p1 != p2 else None,
            )
        )
    for row in treated[(treated["p_value"] >= a.alpha) | (treated["lift"] <= 0)].itertuples():
        g = str(row.group)
        actions.append(
            Action(
                key=f"stop_{len(actions)}",
                kind="stop_loser",
                target=g,
                basis=[f"{g}.lift", f"{g}.p_value"],
                inputs={"lift": round(float(row.lift), 4), "p_value": round(float(row.p_value), 4)},
            )
        )
    return actions


def roi_actions(result: ToolResult) -> list[Action]:
    """Keep or cut a campaign by its ROI."""
    try:
        roi, profit = float(result.fact("roi")), float(result.fact("profit"))
    except KeyError:
        return []
    return [
        Action(
            key="budget",
            kind="budget",
            target="scale the campaign" if roi > 0 else "cut the campaign",
            basis=["roi", "profit"],
            impact_label="profit at the current spend",
            impact_value=round(profit, 2),
            impact_unit="currency",
            formula="revenue x margin - spend",
            inputs={"roi": round(roi, 4)},
        )
    ]


def churn_actions(result: ToolResult, a: Assumptions) -> list[Action]:
    """Win back the customers at high churn risk before they go: the audience the churn model names."""
    try:
        customers, auc = int(result.fact("high_risk_customers")), float(result.fact("auc"))
    except KeyError:
        return []
    if customers == 0:
        return []
    kept = customers * a.winback_response_rate
    return [
        Action(
            key="keep_at_risk",
            kind="win_back",
            target="customers at high churn risk",
            basis=["high_risk_customers", "high_risk_revenue", "auc", "days"],
            impact_label="customers who buy again",
            impact_value=round(kept),
            impact_unit="customers",
            formula="high-risk customers x response rate",
            inputs={
                "customers": customers,
                "response_rate": a.winback_response_rate,
                "model_auc": round(auc, 3),
            },
            test=_test(a.winback_baseline_rate, a.winback_response_rate, a)
            if a.winback_response_rate > a.winback_baseline_rate
            else None,
        )
    ]


def forecast_actions(result: ToolResult) -> list[Action]:
    """Plan stock and budget for the expected total: the forecast's figure, with how far it was right."""
    try:
        total, mase = float(result.fact("forecast_total")), float(result.fact("backtest_mase"))
    except KeyError:  # a forecast per country or product: no single outlook to plan for
        return []
    table = result.tables[0]
    grain = table.kinds.get("period", "period")
    return [
        Action(
            key="plan_for_forecast",
            kind="plan",
            target=f"the next {len(table.df)} {grain}s",
            basis=["forecast_total", "backtest_mase", "model"],
            inputs={"forecast_total": round(total, 2), "backtest_mase": round(mase, 3)},
        )
    ]


def actions_table(actions: list[Action]) -> pd.DataFrame:
    """One row per action: what, for whom, expected impact and the test size."""
    return pd.DataFrame(
        [
            {
                "action": x.kind,
                "target": x.target,
                "expected_impact": x.impact_value,
                "impact_unit": x.impact_unit,
                "calculation": x.formula,
                "test_n_per_group": (x.test or {}).get("n_per_group"),
            }
            for x in actions
        ]
    )
