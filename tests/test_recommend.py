"""recommend_products on the tiny table, the registry and the mining commands."""

from __future__ import annotations

import json

import pytest

from tools.base import RetryableToolError
from tools.recommend import RecommendProducts


def test_basket_recommendations_are_ranked_with_reasons(ws):
    result = RecommendProducts(ws)(table="sales", products=["red mug"], top_n=3)
    table = result.table
    # BLUE MUG: rule RED MUG => BLUE MUG (3 of 6 baskets) and 2 of 3 buyers bought it later; then by similarity.
    assert list(table["product"]) == ["BLUE MUG", "TEA TOWEL", "CAKE TIN"]
    assert table["source"].iloc[0] in ("rules", "sequences")
    assert "RED MUG" in table["reason"].iloc[0]
    assert "RED MUG" not in set(table["product"])


def test_customer_recommendations_exclude_what_they_bought(ws):
    result = RecommendProducts(ws)(table="sales", customer="5")
    assert set(result.table["product"]).isdisjoint({"BLUE MUG", "CAKE TIN"})
    assert result.fact("items_held") == 2


def test_unknown_customer_and_bad_arguments(ws):
    with pytest.raises(RetryableToolError, match="No purchases by customer"):
        RecommendProducts(ws)(table="sales", customer="999")
    with pytest.raises(RetryableToolError, match="either"):
        RecommendProducts(ws)(table="sales")


def test_registry_has_the_mining_tools(ws):
    from tools.registry import default_registry

    names = default_registry(ws).names()
    for name in ("segment_customers", "association_rules", "sequential_patterns", "recommend_products"):
        assert name in names


def test_cli_rules_and_error_json(ws, capsys):
    from ui.cli import main

    home = str(ws.home)
    ws.close()
    assert main(["--home", home, "rules", "--table", "sales", "--min-support", "0.2", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["tables"][0]["name"] == "rules"
    assert len(payload["tables"][0]["rows"]) == 2
    assert main(["--home", home, "recommend", "--table", "sales", "--customer", "999", "--json"]) == 1
    assert "No purchases by customer" in json.loads(capsys.readouterr().out)["error"]
