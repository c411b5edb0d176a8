"""The shop golden set (benchmarks/golden_shop.jsonl) fits a user's own file as martmind loads it.

The file is a garden & home shop's order-line export (benchmarks/make_shop_data.py); these tests load it the
way ``martmind load`` does, check the roles the metric layer will use, and run every gold SQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import load_golden
from agent.evaluation.runner import default_gold, workspace_schema
from agent.evaluation.scoring import ResultTable, compare_results, gold_orders, unknown_names
from benchmarks import make_shop_data

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "benchmarks" / "golden_shop.jsonl"
DATA = ROOT / "benchmarks" / "data" / "shop_orders.csv"
EXPECTED_ROLES = {
    "order_id": "order_number",
    "customer_id": "customer_id",
    "timestamp": "order_date",
    "quantity": "Qty",
    "unit_price": "unit_price",
    "product_name": "product_name",
    "category": "product_category",
}


@pytest.fixture(scope="module")
def shop_ws(tmp_path_factory):
    """A workspace without the demo data holding the shop file, loaded as a user would load it."""
    from tools.loader import load_file
    from tools.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("shop"), demo=False)
    report = load_file(workspace, DATA)
    assert report.table == "shop_orders" and not report.warnings
    yield workspace
    workspace.close()


def test_loaded_types_and_roles(shop_ws):
    from tools.roles import detect_roles

    types = dict(shop_ws.columns("shop_orders"))
    assert types["order_date"] == "TIMESTAMP"  # day-first 25/03/2023 14:05, settled by the data
    assert types["unit_price"] == "DOUBLE"  # "£1,249.00": pound sign and thousands separator stripped
    assert types["Qty"] == "BIGINT" and types["order_number"] == "BIGINT"
    roles = detect_roles(shop_ws, "shop_orders")
    assert {r: c for r, c in roles.columns.items() if c} == EXPECTED_ROLES
    # No negative quantities and no C-prefixed order numbers: the status column is not read as cancellation.
    assert roles.cancelled == '"Qty" < 0'
    # The file's line 100054,06/02/2022 11:06,...,"£1,249.00": day first, pounds with a thousands separator.
    row = shop_ws.query(
        "SELECT order_date, unit_price FROM shop_orders WHERE order_number = 100054 "
        "AND product_name = 'Rattan Corner Sofa Set'"
    ).iloc[0]
    assert str(row["order_date"]) == "2022-02-06 11:06:00" and row["unit_price"] == 1249.0


def test_golden_set_shape():
    items = load_golden(GOLDEN)
    assert len(items) >= 32 and all(i.sql and i.table == "shop_orders" for i in items)
    assert all(set(i.tool) <= {"metric_query", "sql_query"} for i in items)
    ordered = [i for i in items if {"topn", "series"} & set(i.tags)]
    assert ordered and all(gold_orders(i.sql) for i in ordered)


def test_every_gold_sql_runs_and_names_only_real_columns(shop_ws):
    schema = workspace_schema(shop_ws)
    for item in load_golden(GOLDEN):
        gold = default_gold(item, shop_ws)
        assert gold.rows, f"{item.id}: gold SQL returns no rows"
        assert unknown_names(item.sql, schema) == [], item.id


# Gold SQL follows martmind's metric definitions on this table; a few calls check it against the layer.
def _where(column: str, value: str) -> dict[str, str]:
    return {"column": column, "op": "=", "value": value}


METRIC_CALLS = {
    "shop_revenue_2023": {"metrics": ["revenue"], "date_range": "2023"},
    "shop_revenue_since_jun2023": {"metrics": ["revenue"], "date_range": "since 2023-06"},
    "shop_orders_all": {"metrics": ["orders"]},
    "shop_cancelled_orders": {"metrics": ["orders"], "filters": [_where("order_status", "Cancelled")]},
    "shop_aov_all": {"metrics": ["aov"]},
    "shop_repeat_rate": {"metrics": ["repeat_customer_rate"]},
    "shop_channel_region": {"metrics": ["revenue"], "by": ["sales_channel", "customer_region"]},
    "shop_top5_products_revenue": {"metrics": ["revenue"], "by": ["product"], "top": 5},
    "shop_monthly_revenue_2023": {"metrics": ["revenue"], "grain": "month", "date_range": "2023"},
}


def test_gold_sql_agrees_with_the_metric_layer(shop_ws):
    from tools.metrics import MetricQuery

    items = {i.id: i for i in load_golden(GOLDEN)}
    query = MetricQuery(shop_ws)
    for item_id, args in METRIC_CALLS.items():
        item = items[item_id]
        result = query(table="shop_orders", **args)
        match = compare_results(
            default_gold(item, shop_ws),
            ResultTable.from_frame(result.tables[0].df),
            ordered=gold_orders(item.sql),
            tolerance=item.tolerance,
            allow_extra_columns=True,
        )
        assert match.ok, f"{item_id}: {match.reason}"


def test_the_csv_is_what_the_generator_writes():
    assert make_shop_data.render() == DATA.read_text(encoding="utf-8")
    assert DATA.stat().st_size < 1_500_000
