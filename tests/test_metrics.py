"""The semantic layer (metric_query): hand-computed figures on the tiny `sales` table, the demo figures of the
issue, errors the model can fix, user metrics, a table with an amount column, and the CLI.

Hand figures for `sales` (tests/conftest.py): line revenue per invoice 1001: 10, 1002: 17, 1003: 14.5,
1004: 10, 1005: 42, C1006: -6, 1007: 25, 1008: 3, 1009: 18, 1010: 21, 1011: 12.5, 1012: 16 (sum 183).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tools.base import RetryableToolError, ToolError
from tools.metrics import MetricQuery
from tools.workspace import demo_data_path

ALL = ["revenue", "orders", "customers", "units", "aov", "cancellation_rate", "repeat_customer_rate"]


def q(ws, **kwargs):
    return MetricQuery(ws)(table=kwargs.pop("table", "sales"), **kwargs)


def test_all_seven_metrics_on_the_tiny_table(ws):
    r = q(ws, metrics=ALL)
    assert r.fact("revenue") == pytest.approx(183.0)
    assert r.fact("orders") == 11  # 12 invoices, C1006 is a cancellation
    assert r.fact("customers") == 5  # the guest line (no CustomerID) is not a customer
    assert r.fact("units") == 46  # cancellation's -2 included
    assert r.fact("aov") == pytest.approx(189 / 11)  # non-cancelled revenue / orders
    assert r.fact("cancellation_rate") == pytest.approx(1 / 12)
    assert r.fact("repeat_customer_rate") == pytest.approx(4 / 5)  # customer 5 has one order
    assert "revenue = 183.00" in r.text and "orders = 11" in r.text
    assert len(r.sql) == 1 and r.sql[0].startswith("WITH")
    assert r.facts[0].source == f"sql: {r.sql[0]}"


def test_by_country_with_two_level_metric_per_group(ws):
    r = q(
        ws,
        metrics=["revenue", "orders", "customers", "repeat_customer_rate", "cancellation_rate"],
        by=["country"],
    )
    df = r.table.set_index("country")
    assert list(df.index) == ["United Kingdom", "Germany", "France"]  # by revenue, largest first
    assert df.loc["United Kingdom", "revenue"] == pytest.approx(81.0)
    assert df.loc["Germany", "revenue"] == pytest.approx(53.0)
    assert df.loc["France", "revenue"] == pytest.approx(49.0)
    assert df["orders"].tolist() == [6, 2, 3]
    assert df["customers"].tolist() == [2, 1, 2]
    assert df["repeat_customer_rate"].tolist() == pytest.approx([1.0, 1.0, 0.5])
    assert df.loc["Germany", "cancellation_rate"] == pytest.approx(1 / 3)
    assert r.fact("United Kingdom.revenue") == pytest.approx(81.0)
    assert r.fact("France.repeat_customer_rate") == pytest.approx(0.5)
    assert r.chart is not None and r.chart.data[0].type == "bar"


def test_by_month_is_a_time_series_in_order(ws):
    r = q(ws, metrics=["revenue", "orders", "repeat_customer_rate"], grain="month")
    assert r.table["revenue"].tolist() == pytest.approx([27, 24.5, 61, 21, 33.5, 16])
    assert r.fact("2011-03.revenue") == pytest.approx(61.0)
    assert r.fact("2011-03.orders") == 2
    assert r.fact("2011-01.repeat_customer_rate") == 0  # two customers, one order each in January
    assert (
        r.chart is not None and r.chart.data[0].type == "scatter" and r.chart.data[0].mode == "lines+markers"
    )


def test_quarter_and_weekday_labels(ws):
    r = q(ws, metrics=["revenue"], grain="quarter")
    assert r.fact("2011-Q1.revenue") == pytest.approx(112.5)
    assert r.fact("2011-Q2.revenue") == pytest.approx(70.5)
    days = q(ws, metrics=["orders"], by=["weekday"]).table["weekday"].tolist()
    order = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert days == sorted(days, key=order.index)


@pytest.mark.parametrize(
    ("date_range", "revenue"),
    [
        ("2011-Q1", 112.5),
        ("2011-02", 24.5),
        ("Feb 2011", 24.5),
        ("2011", 183.0),
        ("2011-01-01..2011-03-31", 112.5),
        ("2011-03-05", -6.0),
        ("since 2011-05", 49.5),
        ("last 30 days", 28.5),  # the data ends 2011-06-01: 2011-05-03 .. 2011-06-01
        ("last 3 months of the data", 131.5),  # 2011-03-02 .. 2011-06-01
    ],
)
def test_date_ranges(ws, date_range, revenue):
    r = q(ws, metrics=["revenue"], date_range=date_range)
    assert r.fact("revenue") == pytest.approx(revenue)


def test_relative_range_says_it_counts_from_the_data(ws):
    r = q(ws, metrics=["revenue"], date_range="last 30 days")
    assert "2011-06-01" in r.text and "not from today" in r.text


def test_filters_text_numbers_and_ranges(ws):
    germany = q(ws, metrics=["revenue"], filters=[{"column": "country", "value": "germany"}])
    assert germany.fact("revenue") == pytest.approx(53.0)
    assert "Country = 'Germany'" in germany.text  # matched to the stored spelling, and said so
    uk = q(ws, metrics=["orders"], filters=[{"column": "Country", "value": "UK"}])
    assert uk.fact("orders") == 6
    big = q(ws, metrics=["revenue", "units"], filters=[{"column": "Quantity", "op": ">", "value": "2"}])
    assert big.fact("revenue") == pytest.approx(99.5) and big.fact("units") == 30
    both = q(
        ws, metrics=["revenue"], filters=[{"column": "country", "op": "in", "values": ["France", "germany"]}]
    )
    assert both.fact("revenue") == pytest.approx(102.0)
    not_uk = q(
        ws, metrics=["revenue"], filters=[{"column": "country", "op": "!=", "value": "United Kingdom"}]
    )
    assert not_uk.fact("revenue") == pytest.approx(102.0)
    mugs = q(ws, metrics=["revenue"], filters=[{"column": "product", "op": "contains", "value": "mug"}])
    assert mugs.fact("revenue") == pytest.approx(108.0)  # RED MUG 48 + BLUE MUG 60
    cheap = q(ws, metrics=["units"], filters=[{"column": "UnitPrice", "op": "between", "values": [2, 3]}])
    assert cheap.fact("units") == 26  # red mugs 16 + tea towels 10
    march = q(ws, metrics=["revenue"], filters=[{"column": "month", "value": "2011-03"}])
    assert march.fact("revenue") == pytest.approx(61.0)


def test_top_k_and_sort(ws):
    top = q(ws, metrics=["revenue"], by=["product"], top=2)
    assert top.table["product"].tolist() == ["BLUE MUG", "CAKE TIN"]
    assert top.table["revenue"].tolist() == pytest.approx([60.0, 50.0])
    bottom = q(ws, metrics=["revenue", "units"], by=["product"], top=1, sort="asc")
    assert bottom.table["product"].tolist() == ["TEA TOWEL"]
    by_units = q(ws, metrics=["revenue", "units"], by=["stock_code"], sort_by="units", top=1)
    assert by_units.table["stock_code"].tolist() == ["A"]  # 16 red mugs


def test_empty_result_names_the_filter_that_empties_it(ws):
    r = q(ws, metrics=["revenue"], filters=[{"column": "country", "value": "Germany"}], date_range="2011-06")
    assert r.table.empty and r.facts == []
    assert r.text.startswith("The result is empty")
    assert "no line matches them all" in r.text and "Country = 'Germany' matches 5 lines" in r.text
    r = q(ws, metrics=["revenue"], by=["country"], date_range="2012")
    assert "InvoiceDate in 2012 (2012-01-01 to 2012-12-31) matches no lines" in r.text


def test_errors_the_model_can_fix(ws):
    with pytest.raises(RetryableToolError, match="Known metrics: revenue, orders"):
        q(ws, metrics=["profit"])
    with pytest.raises(RetryableToolError, match="Did you mean country"):
        q(ws, metrics=["revenue"], by=["contry"])
    with pytest.raises(RetryableToolError, match="Closest stored values: 'Germany'"):
        q(ws, metrics=["revenue"], filters=[{"column": "country", "value": "Germny"}])
    with pytest.raises(RetryableToolError, match="Cannot read the date range"):
        q(ws, metrics=["revenue"], date_range="the good old days")
    with pytest.raises(RetryableToolError, match="is not a number"):
        q(ws, metrics=["revenue"], filters=[{"column": "Quantity", "op": ">", "value": "many"}])
    with pytest.raises(RetryableToolError, match="metrics"):
        q(ws, metrics=[])


def test_aliases_and_any_column_as_dimension(ws):
    r = q(ws, metrics=["Sales", "average order value"], by=["CustomerID"])
    assert list(r.table.columns) == ["CustomerID", "revenue", "aov"]
    assert r.fact("1.revenue") == pytest.approx(40.5)  # invoices 1001, 1003, 1012
    assert r.table["revenue"].sum() == pytest.approx(180.0)  # the guest line (3.0) is no customer
    assert "CustomerID is not null" in r.text


def test_same_arguments_give_byte_identical_sql(ws):
    args = dict(
        metrics=["revenue", "repeat_customer_rate"],
        by=["country", "month"],
        top=3,
        filters=[{"column": "country", "op": "in", "values": ["germany", "France"]}],
        date_range="2011-Q1",
    )
    first, second = q(ws, **args), q(ws, **args)
    assert first.sql == second.sql
    assert MetricQuery(ws)(table="sales", **args).sql == first.sql
    assert "'Germany'" in first.sql[0] and "DATE '2011-01-01'" in first.sql[0]


def test_a_user_metric_from_home_metrics_yaml(ws):
    (ws.home / "metrics.yaml").write_text(
        "default_table: sales\n"
        "metrics:\n"
        "  items_per_order:\n"
        "    description: Units per order.\n"
        "    sql: sum({quantity}) FILTER (WHERE NOT ({cancelled})) / nullif(count(DISTINCT {order_id})"
        " FILTER (WHERE NOT ({cancelled})), 0)\n"
        "  orders_per_customer:\n"
        "    per: customer_id\n"
        "    where: '{customer_id} IS NOT NULL'\n"
        "    inner: count(DISTINCT {order_id}) FILTER (WHERE NOT ({cancelled}))\n"
        "    sql: avg(value)\n"
    )
    tool = MetricQuery(ws)
    assert "items_per_order" in tool.json_schema()["properties"]["metrics"]["items"]["enum"]
    r = tool(metrics=["items_per_order", "orders_per_customer", "revenue"])  # default_table from metrics.yaml
    assert r.fact("items_per_order") == pytest.approx(48 / 11)
    assert r.fact("orders_per_customer") == pytest.approx(2.0)  # 3 + 2 + 2 + 2 + 1 orders over 5 customers
    assert r.fact("revenue") == pytest.approx(183.0)


def test_a_broken_user_metrics_file_is_one_clear_error(ws):
    (ws.home / "metrics.yaml").write_text("metrics:\n  margin:\n    sql: sum({cost})\n")
    with pytest.raises(ToolError, match=r"uses \{cost\}, which is neither a role"):
        MetricQuery(ws)


def test_revenue_from_an_amount_column(ws):
    rows = [
        ("o1", "c1", "2024-01-05", 2, 19.98),
        ("o1", "c1", "2024-01-05", 1, 5.00),
        ("o2", "c2", "2024-02-10", 1, 12.50),
        ("o3", "c1", "2024-02-20", -1, -5.00),
    ]
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "quantity", "sales_value"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    ws.save_table("shop", df, source="test")
    r = q(ws, table="shop", metrics=["revenue", "orders", "aov", "units"], by=["month"])
    assert "sales_value" in r.sql[0] and "UnitPrice" not in r.sql[0]
    assert r.fact("2024-01.revenue") == pytest.approx(24.98)
    assert r.fact("2024-02.revenue") == pytest.approx(7.50)
    assert r.fact("2024-02.orders") == 1  # o3 has a negative quantity: a cancellation on this table
    assert r.fact("2024-01.aov") == pytest.approx(24.98)


def test_revenue_of_an_order_level_export_is_net_of_what_was_refunded(ws):
    """One row per order: the Order Total, and beside it what went back (a partial refund); a fully
    refunded order has a refunded status and is no sale."""
    rows = [
        ("A1", "2024-01-05", 40.0, 0.0, "Completed"),
        ("A2", "2024-01-09", 25.0, 5.0, "Partially Refunded"),
        ("A3", "2024-02-01", 60.0, 60.0, "Refunded"),
        ("A4", "2024-02-03", 10.0, None, "Completed"),
    ]
    df = pd.DataFrame(rows, columns=["Order Ref", "Placed On", "Order Total", "Refunded", "Status"])
    df["Placed On"] = pd.to_datetime(df["Placed On"])
    ws.save_table("orders", df, source="test")
    roles = ws.roles("orders")
    assert (roles["amount"], roles["refunded"], roles["timestamp"]) == (
        "Order Total",
        "Refunded",
        "Placed On",
    )
    r = q(ws, table="orders", metrics=["revenue", "orders", "aov"])
    assert (r.fact("revenue"), r.fact("orders")) == (pytest.approx(70.0), 3)
    assert r.fact("aov") == pytest.approx(25.0)  # as placed: A2 is worth 25 though 5 went back later


def test_a_metric_needing_a_missing_role_says_which(ws):
    ws.save_table("visits", pd.DataFrame({"customer_id": [1, 2], "amount": [3.0, 4.0]}), source="test")
    with pytest.raises(ToolError, match="no column for order id"):
        q(ws, table="visits", metrics=["orders"])
    assert q(ws, table="visits", metrics=["revenue", "customers"]).fact("revenue") == pytest.approx(7.0)


def test_registered_with_a_documented_schema(ws):
    from tools.registry import default_registry

    tool = default_registry(ws).get("metric_query")
    schema = tool.json_schema()
    assert schema["properties"]["metrics"]["items"]["enum"][:2] == ["revenue", "orders"]
    assert MetricQuery.Args.model_json_schema()["properties"]["metrics"]["minItems"] == 1


# -- the demo data -------------------------------------------------------------------------------------


def test_demo_headline_figures(demo_ws):
    r = MetricQuery(demo_ws)(metrics=["revenue", "orders", "customers"])
    assert r.fact("revenue") == pytest.approx(9_747_747.93, abs=0.005)
    assert r.fact("orders") == 22_064
    assert r.fact("customers") == 4_372
    assert "9,747,747.93" in r.text and "22,064" in r.text


def test_demo_top_country_and_independent_pandas_check(demo_ws):
    top = MetricQuery(demo_ws)(metrics=["revenue"], by=["country"], top=1)
    assert top.table["country"].tolist() == ["United Kingdom"]
    raw = pd.read_parquet(demo_data_path("online_retail.parquet"))
    cancelled = raw["InvoiceNo"].astype(str).str.startswith("C")
    kept = raw[~cancelled]
    aov = (kept["Quantity"] * kept["UnitPrice"]).sum() / kept["InvoiceNo"].nunique()
    cancellation_rate = raw.loc[cancelled, "InvoiceNo"].nunique() / raw["InvoiceNo"].nunique()
    r = MetricQuery(demo_ws)(metrics=["aov", "cancellation_rate"])
    assert r.fact("aov") == pytest.approx(aov, abs=0.005)
    assert r.fact("cancellation_rate") == pytest.approx(cancellation_rate, abs=1e-6)


def test_cli_metric_command(demo_ws, capsys):
    from ui.cli import main

    home = str(demo_ws.home)
    assert main(["--home", home, "metric", "revenue", "--by", "country", "--top", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tables"][0]["rows"][0][0] == "United Kingdom" and len(out["tables"][0]["rows"]) == 3
    assert out["sql"] and out["facts"][0]["name"] == "United Kingdom.revenue"
    assert (
        main(
            [
                "--home",
                home,
                "metric",
                "orders",
                "--where",
                "Country=germany",
                "--where",
                "Quantity>10",
                "--during",
                "2011-Q3",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert "Country = 'Germany'" in out["text"] and "Quantity > 10" in out["text"]
    assert main(["--home", home, "metric", "revenue", "--where", "Country=Germny", "--json"]) == 1
    assert "Germany" in json.loads(capsys.readouterr().out)["error"]
    compared = ["metric", "orders", "--during", "2011-Q4", "--compare-to", "2010-Q4", "--json"]
    assert main(["--home", home, *compared]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tables"][0]["columns"] == ["orders 2011-Q4", "orders 2010-Q4", "orders change %"]


def test_cli_where_syntax():
    from ui.commands.metrics import parse_where

    assert parse_where("Country=Germany") == {"column": "Country", "op": "=", "value": "Germany"}
    assert parse_where("Quantity >= 10") == {"column": "Quantity", "op": ">=", "value": "10"}
    assert parse_where("Country in (France, 'Germany')") == {
        "column": "Country",
        "op": "in",
        "values": ["France", "Germany"],
    }
    assert parse_where("UnitPrice between 1 and 5")["values"] == ["1", "5"]
    assert parse_where("Description contains mug")["op"] == "contains"


def test_a_status_column_marks_cancelled_orders_and_revenue_is_net_of_them(tmp_path):
    """Exports write a cancelled order as positive lines with a status: no sale, unlike a credit note."""
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "status", demo=False)
    df = pd.DataFrame(
        {
            "order_id": [1, 1, 2, 3],
            "order_date": pd.to_datetime(["2023-01-02", "2023-01-02", "2023-01-05", "2023-02-01"]),
            "quantity": [1, 2, 5, 1],
            "unit_price": [10.0, 5.0, 4.0, 7.0],
            "Order Status": ["Completed", "Completed", "Cancelled", "Refunded"],
        }
    )
    ws.save_table("exports", df, source="test")
    assert ws.roles("exports").cancelled == "lower(trim(\"Order Status\")) IN ('cancelled', 'refunded')"
    r = MetricQuery(ws)(metrics=["revenue", "units", "orders", "cancelled_orders"], table="exports")
    assert (r.fact("revenue"), r.fact("units"), r.fact("orders"), r.fact("cancelled_orders")) == (
        20.0,
        3,
        1,
        2,
    )


@pytest.fixture
def coded(ws):
    """The tiny sales with a discount code on some invoices (blank or missing on the rest, as exports write)."""
    df = ws.query("SELECT * FROM sales")
    codes = {"1002": "SPRING10", "1005": "SPRING10", "1009": "VIP", "1010": " "}
    df["Discount Code"] = df["InvoiceNo"].map(codes)
    ws.save_table("coded", df, source="test")
    return ws


def test_a_filter_keeps_the_rows_where_a_column_is_present_or_absent(coded):
    used = q(coded, table="coded", metrics=["orders"], filters=[{"column": "discount_code", "op": "present"}])
    assert used.fact("orders") == 3 and "Discount Code is present" in used.text  # 1010's blank is no code
    unused = q(
        coded, table="coded", metrics=["orders"], filters=[{"column": "Discount Code", "op": "absent"}]
    )
    assert unused.fact("orders") == 8


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("How many orders used a discount code?", [{"column": "Discount Code", "op": "present"}]),
        ("How many orders had no discount code?", [{"column": "Discount Code", "op": "absent"}]),
        ("Orders that didn't use a discount code", [{"column": "Discount Code", "op": "absent"}]),
        ("How many orders by discount code?", []),  # a grouping, no condition
        ("How many orders in Germany?", [{"column": "Country", "op": "=", "value": "Germany"}]),
    ],
)
def test_a_question_naming_an_optional_column_keeps_the_rows_that_have_it(coded, question, filters):
    from tests.readings import read

    reading = read(coded, question)
    args = MetricQuery(coded).refine_args({"metrics": ["orders"], "table": "coded"}, reading)
    assert args.get("filters", []) == filters


def test_a_ranking_ranks_values_not_the_rows_without_one(coded):
    top = q(coded, table="coded", metrics=["orders"], by=["Discount Code"], top=1)
    assert top.table["Discount Code"].tolist() == ["SPRING10"]  # not the 7 orders without a code
    every = q(coded, table="coded", metrics=["orders"], by=["Discount Code"])
    assert every.table["Discount Code"].isna().any()  # a breakdown shows them


def test_the_money_refunded_is_a_metric_where_the_export_records_it(ws):
    from tools.metric_reading import stated_metrics

    df = pd.DataFrame(
        {
            "Order Ref": ["A1", "A2", "A3"],
            "Placed On": pd.to_datetime(["2024-01-05", "2024-01-09", "2025-02-01"]),
            "Order Total": [40.0, 25.0, 60.0],
            "Refunded": [0.0, 5.0, 60.0],
        }
    )
    ws.save_table("orders", df, source="test")
    r = q(ws, table="orders", metrics=["refunded_amount"], date_range="2024")
    assert r.fact("refunded_amount") == pytest.approx(5.0)
    catalog = MetricQuery(ws).catalog
    assert stated_metrics(catalog, "How much money did we refund in 2024?") == ["refunded_amount"]
    with pytest.raises(ToolError, match="no column for refunded"):
        q(ws, table="sales", metrics=["refunded_amount"])


def test_the_hour_comes_from_the_time_beside_a_date(ws):
    from tools.infer import infer_strings

    times = infer_strings(pd.Series(["09:15:00", "14:05:30", "14:50:00", None]), "Time")
    assert times.kind == "time"
    df = pd.DataFrame(
        {
            "Order Ref": ["A1", "A2", "A3", "A4"],
            "Placed On": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-01-06", "2024-01-07"]).date,
            "Time": times.values,
            "Order Total": [10.0, 20.0, 30.0, 40.0],
        }
    )
    ws.save_table("orders", df, source="test")
    assert dict(ws.columns("orders"))["Time"] == "TIME"
    r = q(ws, table="orders", metrics=["orders"], by=["hour"])
    hours = r.table.dropna(subset=["hour"])  # A4 has no time: a group of its own
    assert dict(zip(hours["hour"], hours["orders"], strict=True)) == {9: 1, 14: 2}
    ws.save_table("dates_only", df.drop(columns=["Time"]), source="test")
    with pytest.raises(ToolError, match="dates without a time of day"):
        q(ws, table="dates_only", metrics=["orders"], by=["hour"])


def test_two_periods_side_by_side_with_the_change(ws):
    r = q(ws, metrics=["revenue"], by=["country"], date_range="2011-03", compare_to="2011-01")
    rows = r.table.set_index("country")
    assert list(rows.columns) == ["revenue 2011-03", "revenue 2011-01", "revenue change %"]
    assert rows.loc["Germany"].tolist() == pytest.approx([36.0, 17.0, (36 - 17) / 17 * 100])
    assert "2011-03 against 2011-01" in r.text
    with pytest.raises(RetryableToolError, match="leave out the time grouping"):
        q(ws, metrics=["revenue"], by=["month"], date_range="2011-03", compare_to="2011-01")
    with pytest.raises(RetryableToolError, match="give both"):
        q(ws, metrics=["revenue"], compare_to="2011-01")


@pytest.mark.parametrize(
    ("question", "metrics", "by"),
    [
        (
            "On average, how many items are in a web order?",
            ["units_per_order"],
            [],
        ),  # "an order" in any article
        ("What percentage of our customers have come back and ordered again?", ["repeat_customer_rate"], []),
        ("avg order value per countyr?", ["aov"], ["Country"]),  # a misspelt column
    ],
)
def test_metrics_and_groupings_in_the_words_people_type(ws, question, metrics, by):
    from tests.readings import read

    args = MetricQuery(ws).refine_args({"metrics": ["units"], "table": "sales"}, read(ws, question))
    assert args["metrics"] == metrics and args.get("by", []) == by


def test_a_flag_named_in_other_forms_of_its_words_is_its_condition(ws):
    from tests.readings import read

    df = ws.query("SELECT * FROM sales")
    df["marketing_opt_in"] = df["CustomerID"].isin([1, 2])
    ws.save_table("opted", df, source="test")
    reading = read(ws, "How much revenue came from customers who opted in to marketing?")
    args = MetricQuery(ws).refine_args({"metrics": ["revenue"], "table": "opted"}, reading)
    assert args["filters"] == [{"column": "marketing_opt_in", "op": "=", "value": True}]


def test_a_date_filter_copied_from_another_table_gives_way_to_the_stated_period(coded):
    from tests.readings import read

    coded.save_table(
        "shop",
        coded.query('SELECT * EXCLUDE ("InvoiceDate"), "InvoiceDate" AS placed_on FROM coded'),
        source="t",
    )
    copied = [{"column": "InvoiceDate", "op": "between", "value": "2011-03-01"}]  # the examples' column
    reading = read(coded, "What were total sales in March 2011?")
    args = MetricQuery(coded).refine_args(
        {"metrics": ["revenue"], "table": "shop", "filters": copied}, reading
    )
    assert not args.get("filters")
