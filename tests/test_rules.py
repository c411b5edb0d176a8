"""association_rules: hand-checked rules on the tiny sales table, the Groceries reference, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED
from tools.base import RetryableToolError, ToolError
from tools.itemsets import TooManyItemsets, frequent_itemsets, one_hot
from tools.rules import AssociationRules, mine_rules

GROCERIES = SHARED / "eval-data" / "groceries" / "groceries_long.parquet"


def test_tiny_rules_are_the_hand_computed_ones(ws):
    # 11 baskets (the cancelled invoice is no basket); RED MUG in 6, BLUE MUG in 5, both in 3.
    result = AssociationRules(ws)(table="sales", min_support=0.2, min_confidence=0.1)
    rules = result.table.set_index(["if_bought", "then_buy"])
    assert set(rules.index) == {("RED MUG", "BLUE MUG"), ("BLUE MUG", "RED MUG")}
    blue_red = rules.loc[("BLUE MUG", "RED MUG")]
    assert blue_red["support"] == pytest.approx(3 / 11, abs=1e-4)
    assert blue_red["confidence"] == pytest.approx(3 / 5, abs=1e-4)
    assert blue_red["lift"] == pytest.approx((3 / 5) / (6 / 11), abs=1e-3)
    assert blue_red["leverage"] == pytest.approx(3 / 11 - 6 / 11 * 5 / 11, abs=1e-4)
    assert blue_red["conviction"] == pytest.approx((1 - 6 / 11) / (1 - 3 / 5), abs=1e-3)
    assert result.fact("baskets") == 11
    assert result.fact("BLUE MUG => RED MUG.confidence") == pytest.approx(0.6)
    assert result.chart is not None


def test_country_filter_and_item_lookup(ws):
    # In Germany only: baskets 1002 {RED MUG, TEA TOWEL} and 1005 {RED MUG, BLUE MUG}: no pair in 2 baskets.
    result = AssociationRules(ws)(table="sales", country="germany", min_support=0.5)
    assert result.fact("baskets") == 2
    assert result.table.empty and "No rule passes" in result.text
    dated = AssociationRules(ws)(table="sales", start_date="2011-03-01", min_support=0.2, min_confidence=0.1)
    assert dated.fact("baskets") == 7  # 1005 .. 1012 without the cancellation
    cross = AssociationRules(ws)(table="sales", item="red mug", min_support=0.2, min_confidence=0.1)
    assert list(cross.table["if_bought"]) == ["RED MUG"]
    assert list(cross.table["then_buy"]) == ["BLUE MUG"]


def test_unknown_product_suggests_close_names(ws):
    with pytest.raises(RetryableToolError, match="BLUE MUG"):
        AssociationRules(ws)(table="sales", item="blu mugg")


def test_unknown_country_suggests(ws):
    with pytest.raises(RetryableToolError, match="Germany"):
        AssociationRules(ws)(table="sales", country="Germny")


def test_support_below_two_baskets_is_raised_and_said(ws):
    result = AssociationRules(ws)(table="sales", min_support=0.001, min_confidence=0.1)
    assert "raised" in result.text
    assert result.fact("min_support_used") == pytest.approx(2 / 11, abs=1e-6)


def test_explosive_support_is_capped_with_a_message(ws, monkeypatch):
    monkeypatch.setattr("tools.rules.ITEMSET_CAP", 3)
    matrix, _ = one_hot(pd.DataFrame({"basket_id": [1, 1, 1, 2, 2, 2], "item": list("abcabc")}))
    with pytest.raises(TooManyItemsets):
        frequent_itemsets(matrix, 1, max_len=3, cap=5)
    # 4 frequent products alone pass a cap of 3: support is raised until they fit, and the text says so.
    result = AssociationRules(ws)(table="sales", min_support=0.2, min_confidence=0.0, min_lift=0.0)
    assert "would give more than 3 frequent itemsets" in result.text
    assert result.fact("min_support_used") > 0.2


def test_table_without_order_column_is_a_clear_error(ws):
    ws.save_table("no_orders", pd.DataFrame({"Description": ["a", "b"], "Quantity": [1, 2]}), source="test")
    with pytest.raises(ToolError, match="order id"):
        AssociationRules(ws)(table="no_orders")


@pytest.mark.skipif(not GROCERIES.exists(), reason="Groceries eval data not present")
def test_groceries_reference_rule_matches_arules():
    baskets = pd.read_parquet(GROCERIES)
    rules = mine_rules(baskets, basket_col="transaction_id", min_support=0.01, min_confidence=0.5)
    rule = rules[
        (rules["antecedent"] == ("citrus fruit", "root vegetables"))
        & (rules["consequent"] == "other vegetables")
    ].iloc[0]
    assert round(rule["support"], 4) == 0.0104
    assert round(rule["confidence"], 3) == 0.586
    assert round(rule["lift"], 2) == 3.03


@pytest.mark.skipif(not GROCERIES.exists(), reason="Groceries eval data not present")
def test_bitset_engine_equals_mlxtend_fpgrowth_on_groceries():
    matrix, _ = one_hot(pd.read_parquet(GROCERIES), "transaction_id", "item")
    ours = frequent_itemsets(matrix, 20, max_len=5, engine="bitset")
    reference = frequent_itemsets(matrix, 20, max_len=5, engine="fpgrowth")
    assert len(ours.counts) > 500
    assert ours.counts == reference.counts


def test_bitset_engine_equals_brute_force_on_random_baskets():
    rng = np.random.default_rng(1)
    rows = [(b, i) for b in range(300) for i in range(12) if rng.random() < 0.35 + 0.03 * i]
    df = pd.DataFrame(rows, columns=["basket_id", "item"])
    matrix, _ = one_hot(df)
    found = frequent_itemsets(matrix, 25, max_len=4).counts
    dense = matrix.toarray()
    from itertools import combinations

    expected = {}
    for k in range(1, 5):
        for combo in combinations(range(dense.shape[1]), k):
            count = int(dense[:, combo].all(axis=1).sum())
            if count >= 25:
                expected[combo] = count
    assert found == expected
