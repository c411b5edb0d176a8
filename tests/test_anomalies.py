"""detect_anomalies: injected spikes and drops found (and nothing else), the transaction rules on hand-built
lines, clear refusals, per-value checks, determinism, and a run on the demo's online_retail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SALES_COLUMNS
from tools.anomalies import DetectAnomalies
from tools.base import RetryableToolError, ToolError

# Revenue per weekday (Monday = 0); no trade on Saturdays, as in the demo shop.
PATTERN = {0: 100.0, 1: 120.0, 2: 110.0, 3: 130.0, 4: 150.0, 6: 60.0}
SPIKES = ["2011-02-09", "2011-03-17", "2011-04-12"]
DROP = "2011-03-04"


def usual(day: pd.Timestamp, i: int) -> float:
    """The pattern's revenue on ``day``, the ``i``-th day of the history, with a slow upward trend."""
    return PATTERN[day.weekday()] * (1 + 0.002 * i)


def daily_sales(country: str = "United Kingdom", seed: int = 0, days: int = 140) -> pd.DataFrame:
    """One line per trading day over 20 weeks: the weekly pattern with 1% noise (a deviation that small is
    under the tool's floor of materiality, so only the injected days may be flagged)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, day in enumerate(pd.date_range("2011-01-03", periods=days, freq="D")):
        if day.weekday() in PATTERN:
            price = usual(day, i) * (1 + rng.normal(0, 0.01))
            rows.append(
                (
                    f"{country[:2]}{i}",
                    "A",
                    "RED MUG",
                    1,
                    day + pd.Timedelta(hours=10),
                    price,
                    i % 7 + 1,
                    country,
                )
            )
    return pd.DataFrame(rows, columns=SALES_COLUMNS)


def inject(df: pd.DataFrame, days: list[str], factor: float) -> pd.DataFrame:
    out = df.copy()
    hit = out["InvoiceDate"].dt.normalize().isin(pd.to_datetime(days))
    out.loc[hit, "UnitPrice"] *= factor
    return out


@pytest.fixture
def daily(ws):
    ws.save_table("daily", inject(inject(daily_sales(), SPIKES, 3.0), [DROP], 0.2), source="test")
    return ws


def test_injected_spikes_and_drop_are_found_and_nothing_else(daily):
    result = DetectAnomalies(daily)(table="daily", kind="periods")
    found = result.tables[0].df
    assert [t.name for t in result.tables] == ["period_anomalies"]
    assert sorted(found["period"].dt.strftime("%Y-%m-%d")) == sorted([*SPIKES, DROP])
    directions = dict(zip(found["period"].dt.strftime("%Y-%m-%d"), found["direction"], strict=True))
    assert directions == {**dict.fromkeys(SPIKES, "spike"), DROP: "drop"}
    start = pd.Timestamp("2011-01-03")
    for row in found.itertuples():
        assert row.expected == pytest.approx(usual(row.period, (row.period - start).days), rel=0.1)
    # Saturdays are always zero: the weekly season expects that, so none is a drop.
    assert result.fact("periods_checked") == 140 and result.fact("period_anomalies") == 4
    assert "seasonal decomposition of 140 days" in found["reason"].iloc[0]
    assert "3.5 threshold" in result.text and result.chart is not None
    assert result.headline.startswith("4 days of revenue left the expected band (3 spikes, 1 drop)")


def test_transaction_rules_on_hand_built_lines(ws):
    day = pd.Timestamp("2011-03-01 10:00")
    rows = []
    for i in range(12):  # usual sales: A at 3.00 in small quantities, B at 4.00
        when = day + pd.Timedelta(days=i)
        rows.append((f"{100 + i}", "A", "RED MUG", 2 + i % 4, when, 3.0, 1 + i % 3, "UK"))
        rows.append((f"{200 + i}", "B", "BLUE MUG", 1 + i % 3, when, 4.0, 1 + i % 3, "UK"))
    rows += [
        ("300", "A", "RED MUG", 500, day + pd.Timedelta(days=20), 3.0, 2, "UK"),  # a huge quantity
        ("301", "B", "BLUE MUG", 2, day + pd.Timedelta(days=20), 80.0, 3, "UK"),  # 20x the usual price
        ("C302", "B", "BLUE MUG", -1, day + pd.Timedelta(days=21), 4.0, 9, "UK"),  # never bought B
        ("C303", "A", "RED MUG", -2, day + pd.Timedelta(days=21), 3.0, 1, "UK"),  # a normal refund
    ]
    ws.save_table("lines", pd.DataFrame(rows, columns=SALES_COLUMNS), source="test")
    result = DetectAnomalies(ws)(table="lines", kind="transactions")
    flagged = result.tables[0].df
    assert result.tables[0].name == "transaction_anomalies"
    assert dict(zip(flagged["order_id"], flagged["rule"], strict=True)) == {
        "300": "large_quantity",
        "301": "far_price",
        "C302": "refund_without_sale",
    }
    expected = dict(zip(flagged["rule"], flagged["expected"], strict=True))
    assert expected["far_price"] == pytest.approx(4.0) and 2 <= expected["large_quantity"] <= 5
    assert result.fact("large_quantity_lines") == 1 and result.fact("lines_checked") == len(rows)
    assert "who had bought none of it before" in flagged.set_index("rule")["reason"]["refund_without_sale"]


def test_too_short_history_is_refused(ws):
    with pytest.raises(ToolError, match="only 4 whole months of revenue; .* at least 14"):
        DetectAnomalies(ws)(table="sales", grain="month", kind="periods")


def test_no_timestamp_is_a_clear_error(ws):
    ws.save_table("undated", pd.DataFrame({"Quantity": [1, 2], "UnitPrice": [2.0, 3.0]}), source="test")
    with pytest.raises(ToolError, match="timestamp"):
        DetectAnomalies(ws)(table="undated")


def test_rules_without_their_columns_are_skipped_with_the_reason(ws):
    days = pd.date_range("2011-01-03", periods=30, freq="D")
    plain = pd.DataFrame({"Date": days, "Quantity": [2] * 29 + [400], "Amount": [10.0] * 30})
    ws.save_table("plain", plain, source="test")
    result = DetectAnomalies(ws)(table="plain", kind="transactions")
    assert result.tables[0].df["quantity"].tolist() == [400]  # over the whole table: no product column
    assert "refund without a sale not checked: no customer id, product in plain" in result.text
    assert "price far from usual not checked: no product" in result.text


def test_unknown_dimension_goes_back_to_the_model(ws):
    with pytest.raises(RetryableToolError):
        DetectAnomalies(ws)(table="sales", by="no_such_column", kind="periods")


def test_by_checks_each_value(ws):
    germany = inject(daily_sales("Germany", seed=1), ["2011-03-22"], 4.0)
    ws.save_table("by_country", pd.concat([daily_sales(), germany]), source="test")
    result = DetectAnomalies(ws)(table="by_country", by="country", kind="periods")
    found = result.tables[0].df
    assert result.fact("series_checked") == 2
    assert found[["country", "direction"]].values.tolist() == [["Germany", "spike"]]
    assert found["period"].iloc[0] == pd.Timestamp("2011-03-22")
    assert "revenue of Germany on 2011-03-22" in found["reason"].iloc[0]


def test_deterministic(daily):
    first = DetectAnomalies(daily)(table="daily")
    second = DetectAnomalies(daily)(table="daily")
    assert first.text == second.text
    for a, b in zip(first.tables, second.tables, strict=True):
        pd.testing.assert_frame_equal(a.df, b.df)


def test_online_retail_runs_with_both_tables(demo_ws):
    result = DetectAnomalies(demo_ws)(table="online_retail")
    names = [t.name for t in result.tables]
    assert names == ["period_anomalies", "transaction_anomalies"]
    periods = result.tables[0].df
    # No trade on Saturdays is the weekly pattern, not a drop.
    assert not (periods["period"].dt.dayofweek == 5).any()
    lines = result.tables[1].df
    assert set(lines["rule"]) == {"large_quantity", "refund_without_sale", "far_price"}
    assert lines.groupby("rule").size().max() <= 50
    assert result.fact("refund_without_sale_lines") >= (lines["rule"] == "refund_without_sale").sum()
    assert 80995 in set(lines.loc[lines["rule"] == "large_quantity", "quantity"])
