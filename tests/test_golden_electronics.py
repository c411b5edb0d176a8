"""The electronics shop golden set (benchmarks/golden_electronics.jsonl) fits a user's own files as martmind loads them.

The files are a European electronics web shop's two exports (benchmarks/make_electronics_data.py), shaped
unlike the garden shop's and the skincare store's: semicolon-delimited, decimal commas, day-first dotted dates
with a 24-hour clock, ``1.299,00 €`` amounts, numeric order and customer numbers, a Status of Completed /
Cancelled / Returned, and a second file of customers (signup date, loyalty tier, newsletter, birth year) that
questions join to the order lines. These tests load both files the way ``martmind load`` does, check the types
and the roles the metric layer will use, run every gold SQL and compare it with the metric layer wherever the
layer can express the question. No model runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import load_golden
from benchmarks import make_electronics_data
from tests.golden_checks import (
    check_against_the_layer,
    check_gold_sql,
    check_metric_items_listed,
    check_no_tie_at_the_cut,
    check_set_shape,
    where,
)

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "benchmarks" / "golden_electronics.jsonl"
ORDERS = ROOT / "benchmarks" / "data" / "electronics_orders.csv"
CUSTOMERS = ROOT / "benchmarks" / "data" / "electronics_customers.csv"
TABLE, CUSTOMER_TABLE = "electronics_orders", "electronics_customers"
# The roles the metric layer needs for revenue, orders, customers, units, aov and the time filters.
KEY_ROLES = {
    "order_id": "order_no",
    "customer_id": "customer_no",
    "timestamp": "order_date",
    "quantity": "Qty",
    "unit_price": "unit_price",
}
# What a person reading the export calls the product, its number and its category.
PRODUCT_ROLES = {"product_id": "article_no", "product_name": "Article", "category": "product_group"}


@pytest.fixture(scope="module")
def shop_ws(tmp_path_factory):
    """A workspace without the demo data holding both files, loaded as a user would load them."""
    from tools.loader import load_file
    from tools.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("electronics"), demo=False)
    report = load_file(workspace, ORDERS)
    assert report.table == TABLE and not report.warnings
    assert report.rows == 6992 and report.currency == "EUR" and report.sales_table
    report = load_file(workspace, CUSTOMERS)
    assert report.table == CUSTOMER_TABLE and not report.warnings and report.rows == 2870
    yield workspace
    workspace.close()


def test_loaded_types_and_roles(shop_ws):
    from tools.roles import detect_roles

    types = dict(shop_ws.columns(TABLE))
    assert types["order_date"] == "TIMESTAMP"  # 01.10.2023 08:10: day first, dotted, 24-hour clock
    assert types["unit_price"] == "DOUBLE"  # "1.099,00 €": thousands dot, decimal comma, euro sign after
    assert types["Qty"] == "BIGINT" and types["order_no"] == "BIGINT" and types["customer_no"] == "BIGINT"
    assert types["Article"] == "VARCHAR" and types["Status"] == "VARCHAR"
    roles = detect_roles(shop_ws, TABLE)
    assert {r: roles.columns.get(r) for r in KEY_ROLES} == KEY_ROLES
    # Status holds Completed / Cancelled / Returned: Cancelled and Returned orders did not stand.
    assert roles.cancelled == "lower(trim(\"Status\")) IN ('cancelled', 'returned')"
    assert roles.currency == "EUR"
    # The file's line 2: 400117;01.10.2023 08:10;11215;Belgium;Web;EL-14976;"LED TV 75"" 4K";TV;1;899,00 €;...
    row = shop_ws.query(
        f"SELECT order_date, Article, unit_price FROM {TABLE} WHERE order_no = 400117 AND article_no = 'EL-14976'"
    ).iloc[0]
    assert str(row["order_date"]) == "2023-10-01 08:10:00" and row["unit_price"] == 899.0
    assert row["Article"] == 'LED TV 75" 4K'  # the doubled quote inside a quoted field
    # "1.899,00 €" (thousands dot and decimal comma together) is 1899, not 1.899.
    assert shop_ws.query(f"SELECT max(unit_price) FROM {TABLE}").iloc[0, 0] == 1899.0
    span = shop_ws.query(f"SELECT min(order_date) AS lo, max(order_date) AS hi FROM {TABLE}").iloc[0]
    assert str(span["lo"])[:10] == "2023-10-01" and str(span["hi"])[:10] == "2025-09-30"

    ctypes = dict(shop_ws.columns(CUSTOMER_TABLE))
    assert ctypes["signup_date"] == "DATE"  # 28.11.2017
    assert ctypes["customer_no"] == "BIGINT" and ctypes["birth_year"] == "BIGINT"
    assert ctypes["Newsletter"] == "BOOLEAN"  # yes / no
    # Every customer of the orders file is in the customers file; empty birth years load as NULL.
    counts = shop_ws.query(
        f"SELECT (SELECT count(*) FROM {TABLE} o WHERE NOT EXISTS (SELECT 1 FROM {CUSTOMER_TABLE} c "
        f"WHERE c.customer_no = o.customer_no)) AS orphans, "
        f"(SELECT count(*) FROM {CUSTOMER_TABLE} WHERE birth_year IS NULL) AS no_birth"
    ).iloc[0]
    assert counts["orphans"] == 0 and counts["no_birth"] > 0


def test_product_roles(shop_ws):
    """Article No and Article are the product's; Product Group is the category's own name, not a longer
    name holding "product" (it was product_name before roles matched whole names first)."""
    from tools.roles import detect_roles

    roles = detect_roles(shop_ws, TABLE)
    assert {r: roles.columns.get(r) for r in PRODUCT_ROLES} == PRODUCT_ROLES


def test_golden_set_shape():
    items = load_golden(GOLDEN)
    assert len(items) >= 36 and all(i.sql and i.table in (TABLE, CUSTOMER_TABLE) for i in items)
    check_set_shape(items)
    assert sum("join" in i.tags for i in items) >= 6 and sum("lookup" in i.tags for i in items) >= 3
    # Relative periods depend on the data's end: the set uses absolute ones only.
    assert not any(w in i.question.lower() for i in items for w in ("last year", "this year", "last month"))


def test_every_gold_sql_runs_and_names_only_real_columns(shop_ws):
    check_gold_sql(shop_ws, GOLDEN, {"breakdown", "series", "list"})


def test_rankings_have_no_tie_at_the_cut(shop_ws):
    check_no_tie_at_the_cut(shop_ws, GOLDEN)


# Gold SQL states what a shop manager means (revenue, units, orders, aov and repeat figures without cancelled
# and returned orders) and agrees with martmind's documented metric definitions on this table; each item the
# layer can express is checked against it. Products and groups are named by column (Article, product_group),
# as the helper wrote them before the product roles were detected (test_product_roles).


METRIC_CALLS = {
    "el_revenue_2024": {"metrics": ["revenue"], "date_range": "2024"},
    "el_revenue_dec2024": {"metrics": ["revenue"], "date_range": "2024-12"},
    "el_revenue_q2_2025": {"metrics": ["revenue"], "date_range": "2025-Q2"},
    "el_revenue_black_week_2024": {"metrics": ["revenue"], "date_range": "2024-11-25..2024-12-02"},
    "el_revenue_since_jul2025": {"metrics": ["revenue"], "date_range": "since 2025-07"},
    "el_revenue_all": {"metrics": ["revenue"]},
    "el_orders_2024": {"metrics": ["orders"], "date_range": "2024"},
    "el_orders_de_q4_2024": {
        "metrics": ["orders"],
        "date_range": "2024-Q4",
        "filters": [where("Country", "Germany")],
    },
    "el_customers_all": {"metrics": ["customers"]},
    "el_customers_austria_2025": {
        "metrics": ["customers"],
        "date_range": "2025",
        "filters": [where("Country", "Austria")],
    },
    "el_units_2024": {"metrics": ["units"], "date_range": "2024"},
    "el_laptops_units_q3_2024": {
        "metrics": ["units"],
        "date_range": "2024-Q3",
        "filters": [where("product_group", "Laptops")],
    },
    "el_earbuds_units_2024": {
        "metrics": ["units"],
        "date_range": "2024",
        "filters": [where("Article", "Wireless Earbuds Pro")],
    },
    "el_units_per_order": {"metrics": ["units_per_order"]},
    "el_aov_2024": {"metrics": ["aov"], "date_range": "2024"},
    "el_aov_by_channel": {"metrics": ["aov"], "by": ["sales_channel"]},
    "el_top5_products": {"metrics": ["revenue"], "by": ["Article"], "top": 5},
    "el_top10_articles_units": {"metrics": ["units"], "by": ["Article"], "top": 10},
    "el_top3_groups_units_2025": {
        "metrics": ["units"],
        "by": ["product_group"],
        "top": 3,
        "date_range": "2025",
    },
    "el_top_country_2024": {"metrics": ["revenue"], "by": ["country"], "top": 1, "date_range": "2024"},
    "el_top3_customers": {"metrics": ["revenue"], "by": ["customer"], "top": 3},
    "el_best_month": {"metrics": ["revenue"], "by": ["month"], "top": 1},
    "el_best_weekday": {"metrics": ["revenue"], "by": ["weekday"], "top": 1},
    "el_monthly_revenue_2024": {"metrics": ["revenue"], "grain": "month", "date_range": "2024"},
    "el_quarterly_orders": {"metrics": ["orders"], "grain": "quarter"},
    "el_revenue_by_country": {"metrics": ["revenue"], "by": ["country"]},
    "el_orders_by_channel_2025": {"metrics": ["orders"], "by": ["sales_channel"], "date_range": "2025"},
    "el_revenue_group_country_2024": {
        "metrics": ["revenue"],
        "by": ["product_group", "country"],
        "date_range": "2024",
    },
    "el_marketplace_revenue_2024": {
        "metrics": ["revenue"],
        "date_range": "2024",
        "filters": [where("sales_channel", "Marketplace")],
    },
    "el_app_orders_q1_2025": {
        "metrics": ["orders"],
        "date_range": "2025-Q1",
        "filters": [where("sales_channel", "App")],
    },
    "el_dutch_revenue_2025": {
        "metrics": ["revenue"],
        "date_range": "2025",
        "filters": [where("Country", "Netherlands")],
    },
    "el_tv_revenue_euro2024": {
        "metrics": ["revenue"],
        "date_range": "2024-05-15..2024-07-07",
        "filters": [where("product_group", "TV")],
    },
    # cancelled_orders counts Cancelled and Returned orders; one of the two needs the Status filter.
    "el_cancelled_orders_2024": {
        "metrics": ["cancelled_orders"],
        "date_range": "2024",
        "filters": [where("Status", "Cancelled")],
    },
    "el_returned_orders": {"metrics": ["cancelled_orders"], "filters": [where("Status", "Returned")]},
    "el_cancel_or_return_rate": {"metrics": ["cancellation_rate"]},
    "el_group_most_returns": {
        "metrics": ["cancelled_orders"],
        "by": ["product_group"],
        "top": 1,
        "filters": [where("Status", "Returned")],
    },
    "el_repeat_rate": {"metrics": ["repeat_customer_rate"]},
    "el_repeat_customers": {"metrics": ["repeat_customers"]},
}


def test_every_metric_item_is_checked_against_the_layer():
    check_metric_items_listed(GOLDEN, METRIC_CALLS)


def test_gold_sql_agrees_with_the_metric_layer(shop_ws):
    check_against_the_layer(shop_ws, GOLDEN, TABLE, METRIC_CALLS)


def test_the_csvs_are_what_the_generator_writes():
    orders, customers = make_electronics_data.render()
    assert orders == ORDERS.read_text(encoding="utf-8")
    assert customers == CUSTOMERS.read_text(encoding="utf-8")
    assert ORDERS.stat().st_size < 1_000_000 and CUSTOMERS.stat().st_size < 200_000
