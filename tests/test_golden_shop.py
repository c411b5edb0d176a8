"""The shop golden set (benchmarks/golden_shop.jsonl) fits a user's own file as martmind loads it.

The file is a garden & home shop's order-line export (benchmarks/make_shop_data.py); these tests load it the
way ``martmind load`` does, check the roles the metric layer will use, run every gold SQL and compare it with
the metric layer wherever the layer can express the question.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import load_golden
from benchmarks import make_shop_data
from tests.golden_checks import check_against_the_layer, check_gold_sql, check_set_shape, where

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
    # No negative quantities and no C-prefixed order numbers: the Order Status column marks cancellation, and
    # of its values (Completed, Cancelled, Refunded) Cancelled and Refunded orders did not stand.
    assert roles.cancelled == "lower(trim(\"order_status\")) IN ('cancelled', 'refunded')"
    # The file's line 100054,06/02/2022 11:06,...,"£1,249.00": day first, pounds with a thousands separator.
    row = shop_ws.query(
        "SELECT order_date, unit_price FROM shop_orders WHERE order_number = 100054 "
        "AND product_name = 'Rattan Corner Sofa Set'"
    ).iloc[0]
    assert str(row["order_date"]) == "2022-02-06 11:06:00" and row["unit_price"] == 1249.0


def test_golden_set_shape():
    items = load_golden(GOLDEN)
    assert len(items) >= 32 and all(i.sql and i.table == "shop_orders" for i in items)
    check_set_shape(items)


def test_every_gold_sql_runs_and_names_only_real_columns(shop_ws):
    check_gold_sql(shop_ws, GOLDEN)


# Gold SQL states what a shop manager means (revenue, units, orders, aov and repeat rate without Cancelled and
# Refunded orders) and agrees with martmind's metric definitions on this table; each item the layer can
# express is checked against it.


METRIC_CALLS = {
    "shop_revenue_2023": {"metrics": ["revenue"], "date_range": "2023"},
    "shop_revenue_2022": {"metrics": ["revenue"], "date_range": "2022"},
    "shop_revenue_all": {"metrics": ["revenue"]},
    "shop_revenue_mar2023": {"metrics": ["revenue"], "date_range": "2023-03"},
    "shop_revenue_dec2022": {"metrics": ["revenue"], "date_range": "2022-12"},
    "shop_revenue_q4_2023": {"metrics": ["revenue"], "date_range": "2023-Q4"},
    "shop_revenue_since_jun2023": {"metrics": ["revenue"], "date_range": "since 2023-06"},
    "shop_revenue_h1_2024": {"metrics": ["revenue"], "date_range": "2024-01-01..2024-06-30"},
    "shop_revenue_completed_2023": {
        "metrics": ["revenue"],
        "date_range": "2023",
        "filters": [where("order_status", "Completed")],
    },
    "shop_orders_all": {"metrics": ["orders"]},
    "shop_orders_2023": {"metrics": ["orders"], "date_range": "2023"},
    # cancelled_orders counts Cancelled and Refunded orders; "cancelled" alone needs the status filter.
    "shop_cancelled_orders": {
        "metrics": ["cancelled_orders"],
        "filters": [where("order_status", "Cancelled")],
    },
    "shop_cancelled_orders_2023": {"metrics": ["cancelled_orders"], "date_range": "2023"},
    "shop_refunded_orders": {
        "metrics": ["cancelled_orders"],
        "filters": [where("order_status", "Refunded")],
    },
    "shop_customers_all": {"metrics": ["customers"]},
    "shop_customers_2024": {"metrics": ["customers"], "date_range": "2024"},
    "shop_units_2023": {"metrics": ["units"], "date_range": "2023"},
    "shop_units_all": {"metrics": ["units"]},
    # No "is not null" filter: the four stored codes.
    "shop_discount_orders": {
        "metrics": ["orders"],
        "filters": [where("discount_code", ["WELCOME10", "SUMMER20", "XMAS10", "SPRING15"], "in")],
    },
    "shop_aov_all": {"metrics": ["aov"]},
    "shop_aov_2023": {"metrics": ["aov"], "date_range": "2023"},
    "shop_aov_marketplace": {"metrics": ["aov"], "filters": [where("sales_channel", "Marketplace")]},
    "shop_cancellation_rate": {"metrics": ["cancellation_rate"]},
    "shop_repeat_rate": {"metrics": ["repeat_customer_rate"]},
    "shop_revenue_by_region": {"metrics": ["revenue"], "by": ["customer_region"]},
    "shop_revenue_by_channel": {"metrics": ["revenue"], "by": ["sales_channel"]},
    "shop_revenue_by_category_2023": {
        "metrics": ["revenue"],
        "by": ["product_category"],
        "date_range": "2023",
    },
    "shop_orders_by_channel": {"metrics": ["orders"], "by": ["sales_channel"]},
    "shop_channel_region": {"metrics": ["revenue"], "by": ["sales_channel", "customer_region"]},
    "shop_london_revenue_2023": {
        "metrics": ["revenue"],
        "date_range": "2023",
        "filters": [where("customer_region", "London")],
    },
    "shop_scotland_orders": {"metrics": ["orders"], "filters": [where("customer_region", "Scotland")]},
    "shop_app_revenue_2024": {
        "metrics": ["revenue"],
        "date_range": "2024",
        "filters": [where("sales_channel", "App")],
    },
    "shop_furniture_revenue_2023": {
        "metrics": ["revenue"],
        "date_range": "2023",
        "filters": [where("product_category", "Outdoor Furniture")],
    },
    "shop_sofa_revenue": {
        "metrics": ["revenue"],
        "filters": [where("product_name", "Rattan Corner Sofa Set")],
    },
    "shop_top5_products_revenue": {"metrics": ["revenue"], "by": ["product"], "top": 5},
    "shop_top3_products_units_2023": {
        "metrics": ["units"],
        "by": ["product"],
        "top": 3,
        "date_range": "2023",
    },
    "shop_top_region_orders": {"metrics": ["orders"], "by": ["customer_region"], "top": 1},
    "shop_top_category_units": {"metrics": ["units"], "by": ["product_category"], "top": 1},
    "shop_top_customer": {"metrics": ["revenue"], "by": ["customer"], "top": 1},
    "shop_best_month": {"metrics": ["revenue"], "by": ["month"], "top": 1},
    "shop_monthly_revenue_2023": {"metrics": ["revenue"], "grain": "month", "date_range": "2023"},
    "shop_quarterly_revenue_2023": {"metrics": ["revenue"], "grain": "quarter", "date_range": "2023"},
    "shop_yearly_revenue": {"metrics": ["revenue"], "grain": "year"},
    "shop_monthly_orders_2024": {"metrics": ["orders"], "grain": "month", "date_range": "2024"},
}
# Items the metric layer cannot express: it has a repeat-customer rate but no count of repeat customers.
NOT_IN_THE_LAYER = {"shop_repeat_customers"}


def test_every_item_is_checked_against_the_layer_or_said_not_to_fit():
    ids = {i.id for i in load_golden(GOLDEN)}
    assert set(METRIC_CALLS) | NOT_IN_THE_LAYER == ids and not set(METRIC_CALLS) & NOT_IN_THE_LAYER


def test_gold_sql_agrees_with_the_metric_layer(shop_ws):
    check_against_the_layer(shop_ws, GOLDEN, "shop_orders", METRIC_CALLS)


def test_the_csv_is_what_the_generator_writes():
    assert make_shop_data.render() == DATA.read_text(encoding="utf-8")
    assert DATA.stat().st_size < 1_500_000
