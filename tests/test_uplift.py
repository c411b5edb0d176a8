"""campaign_uplift: the Hillstrom reference figures, statistics against scipy and textbook examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tools import uplift_stats as st
from tools.base import RetryableToolError, ToolError
from tools.uplift import CampaignUplift


def experiment(ws, groups: dict[str, list[float]], name: str = "exp") -> str:
    rows = [(g, v) for g, values in groups.items() for v in values]
    ws.save_table(name, pd.DataFrame(rows, columns=["arm", "y"]), source="test")
    return name


def row(result, group: str) -> dict:
    merged = result.tables[0].df
    if len(result.tables) > 1 and result.tables[1].name == "incremental_value":
        merged = merged.merge(result.tables[1].df, on="group", how="left")
    return merged.set_index("group").loc[group].to_dict()


@pytest.mark.slow
def test_hillstrom_spend_matches_the_published_figures(demo_ws):
    r = CampaignUplift(demo_ws)(
        table="hillstrom_email", group_column="segment", control="No E-Mail", outcome="spend"
    )
    mens, control = row(r, "Mens E-Mail"), row(r, "No E-Mail")
    assert mens["mean"] == pytest.approx(1.4226, abs=5e-5)
    assert control["mean"] == pytest.approx(0.6528, abs=5e-5)
    assert mens["lift"] == pytest.approx(0.77, abs=0.005)
    assert mens["incremental_revenue_per_customer"] == pytest.approx(mens["lift"])
    assert mens["incremental_revenue_total"] == pytest.approx(mens["lift"] * mens["n"])
    assert mens["lift_ci_low"] > 0 and mens["p_value"] < 0.001
    assert "p_value_holm" in mens  # both treatments against one control
    assert r.fact("Mens E-Mail.mean") == pytest.approx(1.4226, abs=5e-5)
    assert all(f.value is not None for f in r.facts)
    assert "sample-ratio" not in r.text  # 21,307 / 21,387 / 21,306 is a sound split


@pytest.mark.slow
def test_hillstrom_conversion_rates(demo_ws):
    r = CampaignUplift(demo_ws)(
        table="hillstrom_email",
        group_column="segment",
        control="no e-mail",
        treatments=["mens e-mail"],
        outcome="conversion",
        value_per_conversion=100,
    )
    mens, control = row(r, "Mens E-Mail"), row(r, "No E-Mail")
    assert round(mens["mean"] * 100, 2) == 1.25 and round(control["mean"] * 100, 2) == 0.57
    assert "two-proportion z" in r.text
    assert mens["incremental_revenue_per_customer"] == pytest.approx(mens["lift"] * 100)
    assert r.chart is not None


def test_welch_matches_scipy(ws):
    rng = np.random.default_rng(7)
    control, treat = rng.exponential(10, 80).round(2), rng.exponential(13, 60).round(2)
    name = experiment(ws, {"control": control.tolist(), "treat": treat.tolist()})
    got = row(CampaignUplift(ws)(table=name, group_column="arm", outcome="y"), "treat")
    ref = stats.ttest_ind(treat, control, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert got["lift"] == pytest.approx(treat.mean() - control.mean())
    assert got["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (got["lift_ci_low"], got["lift_ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert got["relative_lift"] == pytest.approx((treat.mean() - control.mean()) / control.mean())


def test_two_proportions_hand_calculation():
    # 120/1000 vs 100/1000: pooled rate 0.11, se = sqrt(0.11 x 0.89 x 2/1000), z = 0.02 / se.
    cmp = st.two_proportions(st.Group("t", 1000, 0.12, 0.0), st.Group("c", 1000, 0.10, 0.0))
    z = 0.02 / math.sqrt(0.11 * 0.89 * 2 / 1000)
    assert cmp.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert cmp.diff == pytest.approx(0.02)


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    cmp = st.two_proportions(st.Group("t", 70, 56 / 70, 0.0), st.Group("c", 80, 48 / 80, 0.0))
    assert cmp.low == pytest.approx(0.0524, abs=1e-4)
    assert cmp.high == pytest.approx(0.3339, abs=1e-4)


def test_wilson_interval_known_values():
    assert st.wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert st.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_holm_adjustment():
    assert st.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_incremental_roi_from_cost_per_contact(ws):
    # control mean 10, treatment mean 12 over 40 customers each: +2 per customer, +80 in total.
    name = experiment(ws, {"control": [8, 12] * 20, "email": [10, 14] * 20})
    r = CampaignUplift(ws)(table=name, group_column="arm", outcome="y", cost_per_contact=0.5, margin=0.5)
    got = row(r, "email")
    assert got["incremental_revenue_total"] == pytest.approx(80.0)
    assert got["cost"] == pytest.approx(20.0)  # 40 contacts x 0.5
    assert got["incremental_roi"] == pytest.approx((80 * 0.5 - 20) / 20)
    inputs = r.tables[2].df.set_index("input")
    assert inputs.loc["cost_per_contact", "source"] == "stated"
    assert inputs.loc["control", "note"] == "detected"  # 'control' found without being named
    assert inputs.loc["group summaries", "source"].startswith("from data: SELECT")


def test_sample_ratio_mismatch_is_flagged_against_the_planned_split(ws):
    name = experiment(ws, {"control": [0, 1] * 400, "promo": [0, 1, 1] * 400})  # 800 vs 1,200
    assert "sample-ratio mismatch" in CampaignUplift(ws)(table=name, group_column="arm", outcome="y").text
    planned = CampaignUplift(ws)(
        table=name, group_column="arm", outcome="y", expected_shares={"control": 0.4, "promo": 0.6}
    )
    assert "sample-ratio mismatch" not in planned.text


def test_tiny_samples_are_flagged(ws):
    name = experiment(ws, {"control": [0, 0, 1, 0, 1], "promo": [1, 1, 0, 1, 1]})
    r = CampaignUplift(ws)(table=name, group_column="arm", outcome="y")
    assert "WARNING small sample" in r.text
    assert "small sample" in " ".join(r.tables[-1].df["note"])


def test_where_restricts_rows(ws):
    name = experiment(ws, {"control": [1.0, 2.0, 100.0], "promo": [3.0, 4.0, 100.0]})
    r = CampaignUplift(ws)(table=name, group_column="arm", outcome="y", where="y < 50")
    assert row(r, "promo")["lift"] == pytest.approx(2.0)
    assert "y < 50" in r.sql[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"outcome": "yy"}, RetryableToolError, "Did you mean y"),
        ({"outcome": "arm"}, RetryableToolError, "not a number or 0/1"),
        ({"outcome": "y", "control": "contrl"}, RetryableToolError, "Did you mean control"),
        ({"outcome": "y", "outcome_type": "binary"}, ToolError, "not a conversion"),
        ({"outcome": "y", "where": "y > 1000"}, ToolError, "No rows"),
        ({"outcome": "y", "margin": 30}, RetryableToolError, "write 0.3"),
    ],
)
def test_bad_requests_get_clear_errors(ws, kwargs, error, message):
    name = experiment(ws, {"control": [1.0, 2.0], "promo": [3.0, 5.0]})
    with pytest.raises(error, match=message):
        CampaignUplift(ws)(table=name, group_column="arm", **kwargs)


def test_undetectable_control_is_asked_for(ws):
    name = experiment(ws, {"A": [1.0, 2.0], "B": [3.0, 5.0]})
    with pytest.raises(ToolError, match="Which value of arm is the control group"):
        CampaignUplift(ws)(table=name, group_column="arm", outcome="y")


def test_a_group_of_one_row_is_refused_with_a_sentence(ws):
    name = experiment(ws, {"control": [1.0, 2.0, 3.0], "treated": [5.0]})
    with pytest.raises(ToolError, match="'treated' has 1 row.*at least 2 rows"):
        CampaignUplift(ws)(table=name, group_column="arm", control="control", outcome="y")
    with pytest.raises(ValueError, match="at least 2 rows"):
        st.welch(st.Group("t", 1, 5.0, 0.0), st.Group("c", 3, 2.0, 1.0))
