"""segment_customers: exact RFM on the tiny table, named segments, the saved assignment, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tools.base import ToolError
from tools.segments import ARCHETYPES, SegmentCustomers, name_segments


def test_rfm_values_and_saved_assignment(ws):
    result = SegmentCustomers(ws)(table="sales", k=2)
    saved = ws.query("SELECT * FROM customer_segments ORDER BY CustomerID").set_index("CustomerID")
    # Snapshot 2011-06-02 (last date + 1 day); customer 2's cancellation lowers revenue, not orders.
    assert saved["recency_days"].to_dict() == {1: 1, 2: 92, 3: 31, 4: 13, 5: 52}
    assert saved["frequency"].to_dict() == {1: 3, 2: 2, 3: 2, 4: 2, 5: 1}
    assert saved["monetary"].to_dict() == pytest.approx({1: 40.5, 2: 53.0, 3: 31.0, 4: 37.5, 5: 18.0})
    profile = result.table
    assert len(profile) == 2 and profile["customers"].sum() == 5
    assert profile["share_revenue"].sum() == pytest.approx(1.0, abs=1e-3)
    assert set(profile["segment"]) <= set(ARCHETYPES)
    assert result.fact("segments") == 2
    # The assignment joins back to the sales lines.
    joined = ws.query(
        "SELECT segment, sum(Quantity * UnitPrice) AS revenue FROM sales "
        "JOIN customer_segments USING (CustomerID) GROUP BY segment"
    )
    assert joined["revenue"].sum() == pytest.approx(180.0)


def test_k_is_chosen_by_silhouette_and_deterministic(ws):
    first = SegmentCustomers(ws)(table="sales")
    second = SegmentCustomers(ws)(table="sales")
    assert 2 <= first.fact("segments") <= 3  # 5 customers: k must stay below the number of profiles
    pd.testing.assert_frame_equal(first.table, second.table)


def test_names_follow_the_profile():
    centres = np.array([[1.2, 1.6, 1.4], [-1.3, -0.8, -0.7], [-0.9, 0.9, 0.8]])
    assert name_segments(centres) == ["champions", "hibernating", "at risk"]


def test_no_customer_column_is_a_clear_error(ws):
    ws.save_table(
        "anonymous",
        pd.DataFrame(
            {
                "InvoiceNo": ["1"],
                "InvoiceDate": [pd.Timestamp("2011-01-01")],
                "Quantity": [1],
                "UnitPrice": [2.0],
            }
        ),
        source="test",
    )
    with pytest.raises(ToolError, match="customer id"):
        SegmentCustomers(ws)(table="anonymous")


def test_save_as_cannot_overwrite_the_source(ws):
    with pytest.raises(ToolError, match="differ"):
        SegmentCustomers(ws)(table="sales", save_as="sales")
    assert len(ws.query("SELECT * FROM sales")) == 20
