"""The coffee roaster golden set (benchmarks/golden_coffee.jsonl) fits a user's own files as martmind loads them.

The files are a UK speciality coffee roaster's two Excel exports (benchmarks/make_coffee_data.py), shaped
unlike the other shops' CSVs: .xlsx workbooks with typed cells (Excel dates in ``Placed On`` and ``Signed Up``,
the time of day in its own ``Time`` cell, money as numbers formatted ``£#,##0.00`` with no currency column,
Excel TRUE/FALSE in ``Marketing Opt-In``), ONE ROW PER ORDER (``Items``, ``Subtotal``, ``Discount``,
``Shipping``, ``Order Total`` and a ``Refunded`` amount instead of order lines), a Status of Completed /
Cancelled / Refunded / Partially Refunded, Web / Wholesale / Marketplace channels, marketplace orders without
a Customer Ref, coupon codes stored in lower case and mostly empty, a few very large wholesale orders, and a
second workbook of accounts (signup date, wholesale flag, current plan, business name, opt-in) joined on the
Customer Ref. These tests load both files the way ``martmind load`` does, check the types and the roles a
person reading the export would assign, run every gold SQL and compare it with the metric layer wherever the
layer can express the question. No model runs.

Role expectations are what a person would say, not what detection happens to find (the first run found
neither the date, the item count nor the account list's lack of products: tools/roles.py now does).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.evaluation import load_golden
from benchmarks import make_coffee_data
from tests.golden_checks import (
    check_against_the_layer,
    check_gold_sql,
    check_metric_items_listed,
    check_no_tie_at_the_cut,
    check_set_shape,
    where,
)

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "benchmarks" / "golden_coffee.jsonl"
ORDERS = ROOT / "benchmarks" / "data" / "coffee_orders.xlsx"
CUSTOMERS = ROOT / "benchmarks" / "data" / "coffee_customers.xlsx"
TABLE, CUSTOMER_TABLE = "coffee_orders", "coffee_customers"
ORDER_ROWS, CUSTOMER_ROWS = 4814, 1690

# The roles a person reading the orders export assigns: the order is its Order Ref, the customer the Customer
# Ref, the sale is dated by Placed On (the date; the time of day is a separate Time cell), Items is the number
# of units in the order and Order Total its amount. One row per order names no product, price or category.
HUMAN_ROLES = {
    "order_id": "order_ref",
    "customer_id": "customer_ref",
    "timestamp": "placed_on",
    "quantity": "Items",
    "amount": "order_total",
    "unit_price": None,
    "product_id": None,
    "product_name": None,
    "category": None,
}
# The account list: one row per customer, keyed by Customer Ref; a café's Business Name is no product.
HUMAN_CUSTOMER_ROLES = {
    "customer_id": "customer_ref",
    "order_id": None,
    "amount": None,
    "product_id": None,
    "product_name": None,
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A workspace without the demo data holding both workbooks, loaded as a user would load them, with
    the two load reports."""
    from tools.loader import load_file
    from tools.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("coffee"), demo=False)
    orders = load_file(workspace, ORDERS)
    assert orders.table == TABLE and not orders.warnings and orders.rows == ORDER_ROWS
    assert orders.format == "excel" and orders.sheet == "Orders"
    customers = load_file(workspace, CUSTOMERS)
    assert customers.table == CUSTOMER_TABLE and not customers.warnings and customers.rows == CUSTOMER_ROWS
    assert customers.sheet == "Customers"
    yield SimpleNamespace(ws=workspace, orders=orders, customers=customers)
    workspace.close()


@pytest.fixture(scope="module")
def coffee_ws(loaded):
    return loaded.ws


@pytest.fixture(scope="module")
def declared_ws(tmp_path_factory):
    """The same files with the orders table's roles named in roles.yaml, as the person would write them, so
    that the metric layer can be compared with the gold SQL whatever detection finds."""
    from tools.loader import load_file
    from tools.workspace import Workspace

    home = tmp_path_factory.mktemp("coffee_declared")
    declared = {k: v for k, v in HUMAN_ROLES.items() if v}
    lines = [f"{TABLE}:"] + [f"  {role}: {column}" for role, column in declared.items()]
    lines += ["  cancelled: \"Status IN ('Cancelled', 'Refunded')\"", "  currency: GBP"]
    (home / "roles.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    workspace = Workspace(home, demo=False)
    load_file(workspace, ORDERS)
    load_file(workspace, CUSTOMERS)
    yield workspace
    workspace.close()


# -- the files ------------------------------------------------------------------------------------------------
def test_the_workbooks_hold_typed_cells():
    """What the loader is given: real Excel dates, times, numbers and booleans, not text that looks like them."""
    from openpyxl import load_workbook

    orders = load_workbook(ORDERS, read_only=True)
    assert orders.sheetnames == ["Orders"]
    header, first = list(orders["Orders"].iter_rows(min_row=1, max_row=2))
    assert [c.value for c in header] == make_coffee_data.ORDER_HEADER
    cells = dict(zip(make_coffee_data.ORDER_HEADER, first, strict=True))
    assert cells["Placed On"].is_date and cells["Placed On"].number_format == "dd/mm/yyyy"
    assert isinstance(cells["Time"].value, dt.time) and cells["Time"].number_format == "hh:mm:ss"
    assert (
        isinstance(cells["Order Total"].value, float) and cells["Order Total"].number_format == '"£"#,##0.00'
    )
    assert isinstance(cells["Items"].value, int) and cells["Coupon"].value is None
    customers = load_workbook(CUSTOMERS, read_only=True)
    assert customers.sheetnames == ["Customers"]
    header, first = list(customers["Customers"].iter_rows(min_row=1, max_row=2))
    cells = dict(zip(make_coffee_data.CUSTOMER_HEADER, first, strict=True))
    assert cells["Signed Up"].is_date and isinstance(cells["Marketing Opt-In"].value, bool)


def test_the_workbooks_are_what_the_generator_writes():
    """Same seed, same workbooks: every package entry matches (compared uncompressed, so another zlib's
    compression cannot fail it)."""
    orders, customers = make_coffee_data.render()
    for data, path in ((orders, ORDERS), (customers, CUSTOMERS)):
        with zipfile.ZipFile(io.BytesIO(data)) as fresh, zipfile.ZipFile(path) as stored:
            assert fresh.namelist() == stored.namelist()
            for name in fresh.namelist():
                assert fresh.read(name) == stored.read(name), f"{path.name}: {name}"
    assert ORDERS.stat().st_size < 1_000_000 and CUSTOMERS.stat().st_size < 200_000


# -- loading --------------------------------------------------------------------------------------------------
def test_loaded_types(coffee_ws):
    types = dict(coffee_ws.columns(TABLE))
    assert list(types) == [
        "order_ref",
        "placed_on",
        "Time",
        "customer_ref",
        "Channel",
        "Status",
        "Items",
        "Subtotal",
        "Coupon",
        "Discount",
        "Shipping",
        "order_total",
        "Refunded",
        "Payment",
        "Country",
        "Subscription",
    ]
    assert types["placed_on"] == "DATE"  # an Excel date cell, no time part
    assert types["order_ref"] == "VARCHAR" and types["customer_ref"] == "VARCHAR"  # KH-20417, C86317
    assert types["Items"] == "BIGINT" and types["Subscription"] == "BOOLEAN"  # Yes / No
    for money in ("Subtotal", "Discount", "Shipping", "order_total", "Refunded"):
        assert types[money] == "DOUBLE", money
    for text in ("Channel", "Status", "Coupon", "Payment", "Country"):
        assert types[text] == "VARCHAR", text
    ctypes = dict(coffee_ws.columns(CUSTOMER_TABLE))
    assert ctypes == {
        "customer_ref": "VARCHAR",
        "signed_up": "DATE",
        "wholesale_account": "BOOLEAN",  # Yes / No
        "Plan": "VARCHAR",
        "business_name": "VARCHAR",
        "Country": "VARCHAR",
        "marketing_opt_in": "BOOLEAN",  # Excel TRUE / FALSE cells
    }


def test_time_of_day_loads_as_a_time(coffee_ws):
    assert dict(coffee_ws.columns(TABLE))["Time"] == "TIME"


def test_loaded_values(coffee_ws):
    # The sheet's row 3: KH-20418, 01/04/2023, 12:54:04, C77246, Wholesale, Completed, 8 items, £172.00.
    row = coffee_ws.query(f"SELECT * FROM {TABLE} WHERE order_ref = 'KH-20418'").iloc[0]
    assert str(row["placed_on"])[:10] == "2023-04-01" and str(row["Time"]) == "12:54:04"
    assert row["customer_ref"] == "C77246" and row["Channel"] == "Wholesale" and row["Items"] == 8
    assert row["order_total"] == 172.0 and row["Coupon"] is None and not row["Subscription"]
    values = coffee_ws.query(
        f"SELECT min(placed_on) AS lo, max(placed_on) AS hi, count(DISTINCT order_ref) AS orders, "
        f"list(DISTINCT Status ORDER BY Status) AS statuses, list(DISTINCT Channel ORDER BY Channel) AS channels, "
        f"list(DISTINCT Coupon ORDER BY Coupon) FILTER (WHERE Coupon IS NOT NULL) AS coupons, "
        f"count(*) FILTER (WHERE Coupon = '') AS empty_coupon, count(*) FILTER (WHERE Coupon IS NULL) AS no_coupon, "
        f"count(*) FILTER (WHERE (customer_ref IS NULL) <> (Channel = 'Marketplace')) AS odd_customer, "
        f"count(*) FILTER (WHERE abs(Subtotal - Discount + Shipping - order_total) > 0.005) AS bad_total, "
        f"max(order_total) AS biggest, median(order_total) AS typical FROM {TABLE}"
    ).iloc[0]
    assert str(values["lo"])[:10] == "2023-04-01" and str(values["hi"])[:10] == "2025-03-31"
    assert values["orders"] == ORDER_ROWS  # one row per order
    assert list(values["statuses"]) == ["Cancelled", "Completed", "Partially Refunded", "Refunded"]
    assert list(values["channels"]) == ["Marketplace", "Web", "Wholesale"]
    assert list(values["coupons"]) == ["blackfriday25", "brewmore15", "freeship", "welcome10", "xmas10"]
    # An empty Coupon cell loads as NULL; only marketplace orders lack a Customer Ref.
    assert values["empty_coupon"] == 0 and values["no_coupon"] > ORDER_ROWS * 0.8
    assert values["odd_customer"] == 0 and values["bad_total"] == 0
    assert values["biggest"] > 20 * values["typical"]  # a few trade orders dwarf the rest
    refunds = coffee_ws.query(
        f"SELECT count(*) FILTER (WHERE Status = 'Refunded' AND Refunded <> order_total) AS full, "
        f"count(*) FILTER (WHERE Status = 'Partially Refunded' AND NOT (Refunded > 0 AND Refunded < order_total)) "
        f"AS partial, count(*) FILTER (WHERE Status IN ('Completed', 'Cancelled') AND Refunded <> 0) AS none "
        f"FROM {TABLE}"
    ).iloc[0]
    assert refunds["full"] == 0 and refunds["partial"] == 0 and refunds["none"] == 0
    # Every Customer Ref of the orders is in the account list, once; some accounts never ordered.
    counts = coffee_ws.query(
        f"SELECT (SELECT count(*) FROM {TABLE} o WHERE o.customer_ref IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {CUSTOMER_TABLE} c WHERE c.customer_ref = o.customer_ref)) AS orphans, "
        f"(SELECT count(*) - count(DISTINCT customer_ref) FROM {CUSTOMER_TABLE}) AS repeated, "
        f"(SELECT count(*) FROM {CUSTOMER_TABLE} WHERE Plan IS NOT NULL) AS on_a_plan, "
        f"(SELECT count(*) FROM {CUSTOMER_TABLE} WHERE wholesale_account) AS trade"
    ).iloc[0]
    assert counts["orphans"] == 0 and counts["repeated"] == 0
    assert counts["on_a_plan"] > 0 and counts["trade"] == len(make_coffee_data.TRADE) + 2


# -- roles ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "column"), list(HUMAN_ROLES.items()))
def test_order_roles(coffee_ws, role, column):
    from tools.roles import detect_roles

    assert detect_roles(coffee_ws, TABLE).columns.get(role) == column


@pytest.mark.parametrize(("role", "column"), list(HUMAN_CUSTOMER_ROLES.items()))
def test_customer_roles(coffee_ws, role, column):
    from tools.roles import detect_roles

    assert detect_roles(coffee_ws, CUSTOMER_TABLE).columns.get(role) == column


def test_cancelled_orders(coffee_ws):
    """Cancelled and (fully) Refunded orders did not stand; a Partially Refunded order did."""
    from tools.roles import detect_roles

    assert detect_roles(coffee_ws, TABLE).cancelled == "lower(trim(\"Status\")) IN ('cancelled', 'refunded')"


def test_the_orders_are_the_sales_table(loaded):
    assert loaded.orders.sales_table and not loaded.customers.sales_table


@pytest.mark.xfail(strict=True, reason="the £ cell format of the money columns is not read as the currency")
def test_currency_from_the_cell_format(loaded):
    assert loaded.orders.currency == "GBP" and loaded.ws.currency(TABLE) == "GBP"


# -- the golden set -------------------------------------------------------------------------------------------
def test_golden_set_shape():
    items = load_golden(GOLDEN)
    assert len(items) == 40 and len({i.id for i in items}) == 40
    assert all(i.sql and i.table in (TABLE, CUSTOMER_TABLE) for i in items)
    check_set_shape(items)
    assert sum("join" in i.tags for i in items) >= 5 and sum("lookup" in i.tags for i in items) >= 3
    assert all(CUSTOMER_TABLE in i.sql for i in items if "join" in i.tags)
    # Relative periods depend on the data's end: the set uses absolute ones only.
    assert not any(w in i.question.lower() for i in items for w in ("last year", "this year", "last month"))
    # One revenue throughout: Order Total net of Refunded, Cancelled and Refunded orders left out, and the
    # note says so.
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if " AS revenue" in item["sql"]:
            assert "Status NOT IN ('Cancelled', 'Refunded')" in item["sql"], item["id"]
            assert "order_total - " in item["sql"] and "Refunded)" in item["sql"], item["id"]
            assert "Partially Refunded order counts net of its refund" in item["note"], item["id"]


def test_every_gold_sql_runs_and_names_only_real_columns(coffee_ws):
    check_gold_sql(coffee_ws, GOLDEN, {"breakdown", "series", "list"})


def test_rankings_have_no_tie_at_the_cut(coffee_ws):
    check_no_tie_at_the_cut(coffee_ws, GOLDEN)


# Gold SQL states what the roaster means: revenue is Order Total less Refunded over orders neither Cancelled
# nor Refunded (partial refunds netted out); orders, units, aov and repeat figures leave Cancelled and Refunded
# orders out; customers count any order placed. The metric layer nets the Refunded column out of revenue (the
# refunded role, found since the set was written: its revenue items were SQL's before); shares, growth,
# coupons, joins and lookups are SQL's. The items it can express are checked against it on a workspace where
# the person has named the roles.

METRIC_CALLS = {
    "cf_revenue_2024": {"metrics": ["revenue"], "date_range": "2024"},
    "cf_revenue_fy2324": {"metrics": ["revenue"], "date_range": "2023-04..2024-03"},
    "cf_revenue_q3_2024": {"metrics": ["revenue"], "date_range": "2024-Q3"},
    "cf_revenue_mar2025": {"metrics": ["revenue"], "date_range": "2025-03"},
    "cf_revenue_bfcm_2024": {"metrics": ["revenue"], "date_range": "2024-11-29..2024-12-02"},
    "cf_revenue_by_channel_2024": {"metrics": ["revenue"], "by": ["Channel"], "date_range": "2024"},
    "cf_monthly_revenue_fy2425": {"metrics": ["revenue"], "grain": "month", "date_range": "2024-04..2025-03"},
    "cf_revenue_by_country": {"metrics": ["revenue"], "by": ["Country"]},
    "cf_top5_customers": {"metrics": ["revenue"], "by": ["customer"], "top": 5},
    "cf_best_month": {"metrics": ["revenue"], "grain": "month", "top": 1, "sort_by": "revenue"},
    "cf_orders_2024": {"metrics": ["orders"], "date_range": "2024"},
    "cf_trade_orders_2024": {
        "metrics": ["orders"],
        "date_range": "2024",
        "filters": [where("Channel", "Wholesale")],
    },
    "cf_orders_by_channel_fy2425": {
        "metrics": ["orders"],
        "by": ["Channel"],
        "date_range": "2024-04-01..2025-03-31",
    },
    "cf_quarterly_orders": {"metrics": ["orders"], "grain": "quarter"},
    "cf_customers_all": {"metrics": ["customers"]},
    "cf_customers_ireland_2024": {
        "metrics": ["customers"],
        "date_range": "2024",
        "filters": [where("Country", "Ireland")],
    },
    "cf_units_2024": {"metrics": ["units"], "date_range": "2024"},
    "cf_items_per_web_order": {"metrics": ["units_per_order"], "filters": [where("Channel", "Web")]},
    "cf_aov_2024": {"metrics": ["aov"], "date_range": "2024"},
    "cf_aov_by_channel": {"metrics": ["aov"], "by": ["Channel"]},
    "cf_repeat_rate": {"metrics": ["repeat_customer_rate"]},
    "cf_cancelled_orders_2024": {
        "metrics": ["cancelled_orders"],
        "date_range": "2024",
        "filters": [where("Status", "Cancelled")],
    },
}


def test_every_metric_item_is_checked_against_the_layer():
    check_metric_items_listed(GOLDEN, METRIC_CALLS)


def test_gold_sql_agrees_with_the_metric_layer(declared_ws):
    check_against_the_layer(declared_ws, GOLDEN, TABLE, METRIC_CALLS)
