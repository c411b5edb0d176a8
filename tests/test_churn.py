"""predict_churn on a shop with a known structure: loyal customers who keep buying, leavers who stop."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tools.base import RetryableToolError, ToolError
from tools.churn import HIGH_RISK, MEDIUM_RISK, PredictChurn

START = date(2020, 1, 1)
LAST_DAY = 399  # the table's last date is START + 399 days
LOYAL, LEAVERS = 150, 150


def shop_lines(loyal: int = LOYAL, leavers: int = LEAVERS, seed: int = 0) -> pd.DataFrame:
    """Loyal customers buy about every 15 days from the start to the end; leaver i buys about every 20
    days until day ``stop_day(i)`` and never again. Every tenth order has a cancelled line beside it."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(1, loyal + leavers + 1):
        is_loyal = customer <= loyal
        stop = LAST_DAY if is_loyal else stop_day(customer - loyal)
        day = int(rng.integers(0, 15 if is_loyal else max(stop - 60, 1)))
        while day <= stop:
            rows.append(_line(len(rows), customer, day, cancelled=False))
            if len(rows) % 10 == 0:
                rows.append(_line(len(rows), customer, day, cancelled=True))
            day += int(rng.integers(12, 19) if is_loyal else rng.integers(15, 26))
    rows.append(_line(len(rows), 1, LAST_DAY, cancelled=False))  # the table ends on a known day
    return pd.DataFrame(rows)


def stop_day(leaver: int) -> int:
    """Leavers stop on days spread evenly over 60..380."""
    return 60 + (leaver * 320) // LEAVERS


def _line(n: int, customer: int, day: int, cancelled: bool) -> dict:
    return {
        "InvoiceNo": f"C{90000 + n}" if cancelled else str(10000 + n),
        "InvoiceDate": pd.Timestamp(START + timedelta(days=day)) + pd.Timedelta(hours=10),
        "CustomerID": customer,
        "Description": "RED MUG" if customer % 2 else "TEA TOWEL",
        "Quantity": -1 if cancelled else 2,
        "UnitPrice": 4.5,
    }


@pytest.fixture
def shop(ws):
    ws.save_table("shop", shop_lines(), source="test")
    return ws


def test_split_dates_are_the_two_windows_before_the_end(shop):
    result = PredictChurn(shop)(table="shop", days=60)
    end = START + timedelta(days=LAST_DAY)
    assert result.fact("data_end") == end.isoformat()
    assert result.fact("validation_cutoff") == (end - timedelta(days=60)).isoformat()
    assert result.fact("training_cutoff") == (end - timedelta(days=120)).isoformat()
    assert result.fact("days") == 60
    assert str(end - timedelta(days=120)) in result.text and str(end) in result.text


def test_backtest_separates_leavers_and_is_no_worse_than_recency(shop):
    result = PredictChurn(shop)(table="shop", days=60)
    backtest = result.tables[1].df.set_index("scorer")
    assert result.tables[1].name == "churn_backtest"
    assert "recency baseline" in backtest.index
    assert result.fact("auc") > 0.8
    assert result.fact("auc") >= result.fact("baseline_auc") - 0.05
    assert result.fact("top_decile_lift") > 1.0
    assert f"{result.fact('auc'):.3f}" in result.text


def test_prediction_ranks_those_who_stopped_above_loyal_customers(shop):
    PredictChurn(shop)(table="shop", days=60)
    risk = shop.query("SELECT * FROM customer_churn_risk", max_rows=None)
    loyal = risk[risk["CustomerID"] <= LOYAL]["churn_probability"]
    gone = risk[(risk["CustomerID"] > LOYAL) & (risk["recency_days"] > 60)]["churn_probability"]
    assert len(gone) > 50
    assert gone.min() > loyal.max()


def test_saved_table_has_one_row_per_customer_and_joins_back(shop):
    result = PredictChurn(shop)(table="shop", days=60, top=5)
    counts = shop.query(
        "SELECT count(*) AS n, count(DISTINCT r.CustomerID) AS customers, "
        "count(*) FILTER (WHERE s.CustomerID IS NULL) AS unmatched FROM customer_churn_risk r "
        "LEFT JOIN (SELECT DISTINCT CustomerID FROM shop) s USING (CustomerID)"
    ).iloc[0]
    assert counts["n"] == counts["customers"] == LOYAL + LEAVERS == result.fact("customers_scored")
    assert counts["unmatched"] == 0
    saved = shop.query("SELECT * FROM customer_churn_risk", max_rows=None)
    assert list(saved.columns) == [
        "CustomerID",
        "churn_probability",
        "risk_band",
        "recency_days",
        "frequency",
        "monetary",
        "segment",
    ]
    bands = np.where(
        saved["churn_probability"] >= HIGH_RISK,
        "high",
        np.where(saved["churn_probability"] >= MEDIUM_RISK, "medium", "low"),
    )
    assert (saved["risk_band"] == bands).all()
    assert result.fact("high_risk_customers") == (saved["risk_band"] == "high").sum()
    top = result.tables[0]
    assert top.name == "churn_risk" and len(top.df) == 5
    assert top.df["churn_probability"].is_monotonic_decreasing


def test_runs_are_deterministic(shop):
    first = PredictChurn(shop)(table="shop", days=60)
    saved = shop.query("SELECT * FROM customer_churn_risk", max_rows=None)
    second = PredictChurn(shop)(table="shop", days=60)
    assert [f.to_dict() for f in first.facts] == [f.to_dict() for f in second.facts]
    pd.testing.assert_frame_equal(saved, shop.query("SELECT * FROM customer_churn_risk", max_rows=None))


def test_refuses_a_history_shorter_than_three_windows(ws):
    with pytest.raises(ToolError, match=r"covers 149 days .* needs at least 270"):
        PredictChurn(ws)(table="sales", days=90)


def test_refuses_too_few_customers(ws):
    with pytest.raises(ToolError, match=r"has 5 customers with orders; at least 50 are needed"):
        PredictChurn(ws)(table="sales", days=7)


def test_refuses_when_nobody_churns(ws):
    ws.save_table("loyal_shop", shop_lines(leavers=0), source="test")
    with pytest.raises(ToolError, match="bought again within the next 60 days"):
        PredictChurn(ws)(table="loyal_shop", days=60)


def test_arguments_are_checked(shop):
    tool = PredictChurn(shop)
    with pytest.raises(RetryableToolError, match="days"):
        tool(table="shop", days=3)
    with pytest.raises(RetryableToolError, match="must differ"):
        tool(table="shop", save_as="shop")
    schema = tool.json_schema()["properties"]
    assert set(schema) == {"days", "table", "top", "save_as"}
    assert all(field.get("description") for field in schema.values())


@pytest.mark.slow
def test_online_retail(demo_ws):
    result = PredictChurn(demo_ws)(table="online_retail", days=90)
    assert [t.name for t in result.tables] == ["churn_risk", "churn_backtest"]
    assert 0.5 < result.fact("auc") < 1
    assert 0.5 < result.fact("baseline_auc") < 1
    assert result.fact("customers_scored") > 4000
    assert result.chart is not None and result.sql
    assert result.currency == "GBP"
    high = result.fact("high_risk_customers")
    assert result.headline.startswith(
        f"{high:,} of {result.fact('customers_scored'):,} customers are at high risk"
    )


def test_the_window_the_question_states_is_read_by_code(demo_ws):
    from types import SimpleNamespace

    from tools.clv import CustomerLifetimeValue

    ask = SimpleNamespace
    assert (
        PredictChurn(demo_ws).refine_args({}, ask(question="who will churn in the next 60 days"))["days"]
        == 60
    )
    assert (
        PredictChurn(demo_ws).refine_args({"days": 30}, ask(question="who will churn next quarter"))["days"]
        == 91
    )
    clv = CustomerLifetimeValue(demo_ws).refine_args(
        {}, ask(question="what are customers worth over the next 2 years")
    )
    assert clv["horizon_months"] == 24


def test_a_horizon_over_a_count_of_years_is_read_for_lifetime_value(demo_ws):
    from types import SimpleNamespace

    from tools.clv import CustomerLifetimeValue
    from tools.periods import future_span

    question = SimpleNamespace(question="What is the lifetime value of our customers over 2 years?")
    assert CustomerLifetimeValue(demo_ws).refine_args({}, question)["horizon_months"] == 24
    assert future_span("revenue over the year") is None  # no count: no span
    assert future_span("orders within 60 days") == (60, "day")
