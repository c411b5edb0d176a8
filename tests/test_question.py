"""Reading the question with code: periods, top-N, groupings, the table it is about, and how a call is made
to agree with them (agent/question.py, agent/tables.py, tools/metric_reading.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from agent.assistant import Assistant
from agent.question import read_groupings, read_period, read_top, split_requests
from agent.state import ConversationState
from agent.types import Answer, combine_answers
from tests.readings import read
from tools.base import RetryableToolError
from tools.loader import load_file
from tools.metrics import MetricQuery
from tools.periods import parse_period
from tools.registry import default_registry

SHOP_CSV = """Order Number,Order Date,Customer ID,Customer Region,Product Name,Qty,Unit Price
5001,03/01/2023 10:15,C-1,London,Garden Hose,2,£12.50
5001,03/01/2023 10:15,C-1,London,Watering Can,1,"£1,200.00"
5002,15/02/2023 09:00,C-2,Wales,Garden Hose,1,£12.50
5003,20/03/2023 14:30,C-3,Scotland,Rake,3,£8.00
5004,02/11/2023 11:45,C-1,London,Rake,1,£8.00
"""


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("What was the revenue in 2011?", "2011"),
        ("Revenue in December 2010", "december 2010"),
        ("orders in Q3 2011", "2011-Q3"),
        ("units in the third quarter of 2011", "2011-Q3"),
        ("orders in 2011-05", "2011-05"),
        ("revenue since June 2011", "since june 2011"),
        ("revenue since June", "since june"),
        ("revenue last month", "last month"),
        ("sales this year", "this year"),
        ("revenue in the last 3 months", "last 3 months"),
        ("revenue from March to June 2011", "march 2011..june 2011"),
        ("revenue between 2011-01-01 and 2011-03-31", "2011-01-01..2011-03-31"),
        ("revenue until the end of 2010", "..2010"),
        ("revenue before 2011", "before 2011"),
        ("compare 2010 and 2011", None),  # two periods are a comparison, not one period
        ("revenue by country", None),
        ("top 2011 products", "2011"),
        # a day written with its month's name is that day, never its month or year
        ("sales on 24 December 2023", "2023-12-24"),
        ("sales on December 24th, 2023", "2023-12-24"),
        ("what sold on the 1st of June 2011?", "2011-06-01"),
        ("revenue Nov 29 - Dec 2, 2024", "2024-11-29..2024-12-02"),
        ("revenue from 29 November to 2 December 2024", "2024-11-29..2024-12-02"),
        ("orders between March 3 and March 9, 2024", "2024-03-03..2024-03-09"),
        ("orders March 3-9, 2024", "2024-03-03..2024-03-09"),
        ("revenue 1 - 7 June 2011", "2011-06-01..2011-06-07"),
        ("orders since 3 March 2011", "since 2011-03-03"),
        ("sales on December 24", None),  # no year: the model decides, code does not guess one
        ("top 5 March 2011 products", "march 2011"),
        # the date of another event than a sale is a condition on its own column, not the sales' period
        ("revenue from customers born before 1970", None),
        ("how many customers who signed up in 2024 have ordered?", None),
        ("revenue in 2024 from customers who joined us in 2023", "2024"),
        # a year restated by a finer period of it is that period
        ("What did Black Week 2024 bring in? I mean 25 Nov to 2 Dec 2024.", "2024-11-25..2024-12-02"),
        ("orders in 2011, in December 2011 that is", "december 2011"),
        # a financial year: from April unless the question says when it starts; ISO year-months stay months
        ("revenue for FY 2022/23", "2022-04..2023-03"),
        ("sales in our financial year 2021-22? It runs July to June.", "2021-07..2022-06"),
        ("orders in 2020/21 by channel", "2020-04..2021-03"),
        ("top customers in FY 2022/23 (April 2022 to March 2023)", "april 2022..march 2023"),
        ("sales in 2011-12", "2011-12"),
        ("sales in 2020/22", None),  # two years that do not follow each other: no financial year
    ],
)
def test_the_period_a_question_states(question, period):
    assert read_period(question) == period


def test_every_period_read_is_one_the_period_parser_reads():
    last = lambda: date(2011, 12, 9)  # noqa: E731
    assert parse_period("last month", last).describe() == "last month (2011-11-01 to 2011-11-30)"
    assert parse_period("this year", last).start == date(2011, 1, 1)
    assert parse_period("last quarter", last).describe() == "last quarter (2011-07-01 to 2011-09-30)"
    assert parse_period("since june", last).start == date(2011, 6, 1)
    assert parse_period("december", last).describe() == "december (2011-12-01 to 2011-12-31)"
    assert parse_period("june 2011..august 2011", last).end == date(2011, 9, 1)
    assert parse_period("last 3 months", last).relative  # a count stays a rolling window


@pytest.mark.parametrize(
    ("question", "top"),
    [
        ("top 5 countries by revenue", 5),
        ("the top five products", 5),
        ("the 10 best selling products", 10),
        ("show the best 3 regions", 3),
        ("Which country had the most orders?", 1),
        ("What is the best selling product?", 1),
        ("Which products sold the most?", None),  # a ranking, not one row
        ("Who is our biggest customer by spend?", 1),
        ("revenue by country", None),
        ("revenue in 2011", None),
    ],
)
def test_the_number_of_rows_a_question_asks_for(question, top):
    assert read_top(question) == top


def test_groupings_after_by_per_each_and_time_adverbs():
    assert read_groupings("revenue by region and channel in 2023") == ["region", "channel"]
    assert read_groupings("orders per customer region for 2023") == ["customer region"]
    assert read_groupings("monthly revenue for 2011") == ["month"]
    assert read_groupings("total revenue") == []
    assert read_groupings("average spend per customer in each segment") == ["segment"]  # per = divide
    assert read_groupings("revenue per customer") == ["customer"]


def test_a_request_naming_two_analyses_in_order_is_split():
    assert split_requests("segment the customers and write a strategy for each segment") == [
        "segment the customers",
        "write a strategy for each segment",
    ]
    assert split_requests("revenue by country and month") == ["revenue by country and month"]


def test_only_parts_that_need_different_tools_become_steps(demo_ws):
    from agent.models import ScriptedModel

    assistant = Assistant(model=ScriptedModel(), workspace=demo_ws)
    assert assistant.requests("segment our customers and write a strategy for each segment") == [
        "segment our customers",
        "write a strategy for each segment",
    ]
    assert assistant.requests("show revenue by country and show revenue by month") == [
        "show revenue by country and show revenue by month"
    ]


def test_steps_combine_into_one_answer_in_order():
    first = Answer(text="Segments.", tool_calls=[{"name": "segment_customers", "args": {}}])
    second = Answer(text="Strategy.", tool_calls=[{"name": "write_strategy", "args": {}}], error=None)
    combined = combine_answers([first, second])
    assert combined.text == "Segments.\n\nStrategy." and [c["name"] for c in combined.tool_calls] == [
        "segment_customers",
        "write_strategy",
    ]


# -- the table a question is about -------------------------------------------------------------------------


@pytest.fixture
def shop(ws, tmp_path):
    path = tmp_path / "shop orders.csv"
    path.write_text(SHOP_CSV, encoding="utf-8")
    report = load_file(ws, path, table="shop")
    assert report.sales_table and "current sales table" in str(report)
    return ws


def test_a_loaded_sales_table_becomes_the_current_one(shop):
    assert shop.sales_table() == "shop"
    reading = read(shop, "How much did we sell?")
    assert (reading.sales_table, reading.table_why) == ("shop", "current")


def test_the_table_whose_columns_the_question_names_wins(shop):
    assert read(shop, "revenue by region").sales_table == "shop"
    assert read(shop, "revenue by country").sales_table == "sales"  # only `sales` has a country


def test_a_period_rules_out_a_table_whose_dates_it_misses(shop):
    reading = read(shop, "What was the revenue in 2011?")
    assert reading.sales_table == "sales"  # shop's data is from 2023


def test_the_conversation_table_is_kept_when_the_question_names_none(shop):
    state = ConversationState(active_table="sales")
    assert read(shop, "and the total?", state).sales_table == "sales"


def test_use_makes_a_table_current(shop):
    shop.set_sales_table("sales")
    assert shop.sales_table() == "sales"
    with pytest.raises(RetryableToolError):
        shop.set_sales_table("nope")


# -- making the call agree ----------------------------------------------------------------------------------


def test_the_question_overrides_what_the_model_retyped(ws):
    tool = MetricQuery(ws)
    reading = read(ws, "Revenue in Germany in 2011 by month")
    model_args = {
        "metrics": ["orders"],
        "filters": [{"column": "InvoiceDate", "op": "between", "value": "2011-01-01"}],
        "table": "online_retail",
    }
    args = reading.apply(tool, model_args, ws)
    assert args["metrics"] == ["revenue"] and args["date_range"] == "2011" and args["table"] == "sales"
    assert args["by"] == ["month"]
    assert args["filters"] == [{"column": "Country", "op": "=", "value": "Germany"}]  # no date filter
    result = tool(**args)
    assert result.table["revenue"].sum() == pytest.approx(53.0)


def test_a_metric_the_question_supports_in_words_is_kept(ws):
    tool = MetricQuery(ws)
    reading = read(ws, "How many orders were cancelled?")
    assert reading.apply(tool, {"metrics": ["cancelled_orders"]}, ws)["metrics"] == ["cancelled_orders"]
    assert tool(metrics=["cancelled_orders"]).fact("cancelled_orders") == 1


def test_top_n_stated_in_the_question_is_the_call_s(ws):
    tool = MetricQuery(ws)
    args = read(ws, "top 2 countries by revenue").apply(
        tool, {"metrics": ["revenue"], "by": ["country"], "top": 5}, ws
    )
    assert args["top"] == 2


def test_between_with_one_bound_is_an_error_not_a_day(ws):
    tool = MetricQuery(ws)
    with pytest.raises(RetryableToolError, match="two bounds"):
        tool(metrics=["revenue"], filters=[{"column": "InvoiceDate", "op": "between", "value": "2011-01-01"}])


def test_a_dimension_word_finds_the_one_column_holding_it(shop):
    result = MetricQuery(shop)(metrics=["revenue"], by=["region"], table="shop")
    assert set(result.table["customer_region"]) == {"London", "Wales", "Scotland"}


# -- whole turns with a scripted model ---------------------------------------------------------------------


@pytest.fixture
def assistant(ws):
    from agent.models import ScriptedModel

    return Assistant(model=ScriptedModel(), workspace=ws, registry=default_registry(ws), router_mode="off")


def test_a_year_the_model_turned_into_one_day_is_answered_for_the_year(assistant):
    model = assistant.model
    one_day = {
        "metrics": ["revenue"],
        "filters": [{"column": "InvoiceDate", "op": "between", "value": "2011-01-01"}],
    }
    model.enqueue({"tool": "metric_query"}, one_day, "ok")
    answer = assistant.ask("What was the revenue in 2011?")
    assert answer.tool_calls[-1]["args"]["date_range"] == "2011"
    assert answer.facts[0].value == pytest.approx(183.0)


def test_a_three_turn_follow_up_conversation(assistant):
    model = assistant.model
    model.enqueue({"tool": "metric_query"}, {"metrics": ["revenue"], "by": ["country"], "top": 5}, "ok")
    assistant.ask("Revenue by country, top 5")
    model.enqueue("ok")  # the follow-ups are made by code: the model only writes
    second = assistant.ask("now the same for 2011-03")
    assert second.tool_calls[-1]["args"] == {
        "metrics": ["revenue"],
        "by": ["country"],
        "top": 5,
        "date_range": "2011-03",
        "table": "sales",
    } or second.tool_calls[-1]["args"] == {
        "metrics": ["revenue"],
        "by": ["country"],
        "top": 5,
        "date_range": "2011-03",
    }
    model.enqueue("ok")
    third = assistant.ask("and Germany by month")
    args = third.tool_calls[-1]["args"]
    assert args["by"] == ["month"] and args["date_range"] == "2011-03" and "top" not in args
    assert args["filters"] == [{"column": "Country", "value": "Germany"}]
    assert third.tables[0].df["revenue"].tolist() == [36.0]


def test_retries_are_sampled_and_the_candidate_that_runs_wins(assistant):
    model = assistant.model
    bad = {"sql": "SELECT nope FROM sales"}
    good = {"sql": "SELECT count(*) AS n FROM sales"}
    model.enqueue({"tool": "sql_query"}, bad, bad, good, good, "ok")
    answer = assistant.ask("how many lines does the sales table have? use SQL")
    assert answer.error is None and answer.tables[0].df["n"].tolist() == [20]
    retries = [s for s in model.sent if s.get("temperature")]
    assert len(retries) == 3 and len({s["seed"] for s in retries}) == 3
    assert answer.tool_calls[-1]["args"] == good  # the call whose result is the answer comes last


def test_words_of_a_metric_name_may_stand_apart_and_a_top_n_ranks_a_named_noun(ws):
    from tools.metric_reading import stated_metrics

    tool = MetricQuery(ws)
    assert stated_metrics(tool.catalog, "How many orders were cancelled in 2011?") == ["cancelled_orders"]
    assert stated_metrics(tool.catalog, "Which 3 countries have the most orders?") == ["orders"]
    assert stated_metrics(tool.catalog, "top 5 customers by revenue") == ["revenue"]
    args = read(ws, "What were our 3 best sellers by quantity?").apply(
        tool, {"metrics": ["units"], "top": 3}, ws
    )
    assert args["by"] == ["product"] and args["top"] == 3


def test_a_fuzzy_value_match_is_a_hint_not_a_filter(ws):
    reading = read(ws, "revenue of red mugs")  # "red mugs" is close to RED MUG, not equal to it
    assert all(m.how in ("exact", "case", "synonym") for m in reading.values)


def test_a_period_the_question_never_states_is_dropped_and_a_metric_is_no_grouping(ws):
    tool = MetricQuery(ws)
    reading = read(ws, "What share of invoices were cancelled?")
    args = reading.apply(tool, {"metrics": ["cancellation_rate"], "date_range": "InvoiceDate"}, ws)
    assert "date_range" not in args
    args = read(ws, "the 2 best-selling products by units").apply(
        tool, {"metrics": ["units"], "by": ["units"]}, ws
    )
    assert list(tool(**args).table.columns) == ["product", "units"] and args["top"] == 2


def test_a_one_figure_question_gets_one_figure_not_a_row_per_customer(ws):
    tool = MetricQuery(ws)
    model_args = {"metrics": ["customers"], "by": ["customer"], "top": 10, "grain": "month"}
    args = read(ws, "How many different customers ordered in 2011?").apply(tool, model_args, ws)
    assert not args.get("by") and "top" not in args and "grain" not in args
    assert tool(**args).fact("customers") == 5
    # a column the question names two values of stays a grouping: one figure for each
    args = read(ws, "How many orders came from Germany and France?").apply(
        tool, {"metrics": ["orders"], "by": ["country"]}, ws
    )
    assert args["by"] == ["country"] and len(tool(**args).table) == 2
    # a breakdown word keeps the rows
    args = read(ws, "How many orders did each country place?").apply(
        tool, {"metrics": ["orders"], "by": ["country"]}, ws
    )
    assert args["by"] == ["country"]


def test_repeat_customers_and_refunds_are_metrics_by_their_common_names(ws):
    from tools.metric_reading import stated_metrics

    tool = MetricQuery(ws)
    question = "How many customers have ordered from us more than once?"
    assert stated_metrics(tool.catalog, question) == ["repeat_customers"]
    assert tool(metrics=["repeat_customers"]).fact("repeat_customers") == 4
    assert stated_metrics(tool.catalog, "How many orders were refunded?") == ["cancelled_orders"]


def test_a_metric_named_in_full_is_a_metric_question_whatever_its_words_suggest(assistant):
    model = assistant.model
    model.enqueue({"metrics": ["aov"]}, "ok")  # no tool choice asked of the model: code routes it
    answer = assistant.ask("What was the average basket value in 2011?")
    assert answer.tool_calls[-1]["name"] == "metric_query"
    assert answer.tool_calls[-1]["args"]["date_range"] == "2011"
    tool = MetricQuery(assistant.ws)
    assert not tool.claims(read(assistant.ws, "Which products are often bought in the same basket?"))


def test_a_claim_by_code_beats_the_routers_sql_unless_the_person_asks_for_sql(assistant):
    from agent.router import Route

    def routed(question: str) -> str | None:
        sql = Route(ranked=[("sql_query", 0.7), ("metric_query", 0.6)], fixed="sql_query")
        return assistant.agent._fit_route(sql, read(assistant.ws, question)).fixed

    assert routed("What was our AOV in 2011?") == "metric_query"
    assert routed("Use SQL: what was our AOV in 2011?") == "sql_query"
    assert routed("Which products are often bought in the same basket?") == "sql_query"


def test_a_question_about_named_orders_gets_their_rows_from_sql(assistant):
    """The order or customer ids a question names: their rows, which no metric lists; a figure about them
    stays a metric question."""
    from agent.router import Route

    def routed(question: str) -> str | None:
        metric = Route(ranked=[("metric_query", 0.7), ("sql_query", 0.6)], fixed="metric_query")
        return assistant.agent._fit_route(metric, read(assistant.ws, question)).fixed

    assert read(assistant.ws, "Show me order 1005 with its lines").records == [("InvoiceNo", "1005")]
    assert routed("Show me order 1005 with its lines") == "sql_query"
    assert routed("Which products were in order 1009, and when was it placed?") == "sql_query"
    assert routed("How many units were in order 1005?") == "metric_query"
    assert routed("What did we sell in 2011?") == "metric_query"  # a year is no order id


def test_a_customer_keyed_by_e_mail_is_a_named_record(ws):
    from agent.question import read_records

    df = ws.query("SELECT * EXCLUDE (CustomerID), 'c' || CustomerID || '@shop.example' AS Email FROM sales")
    ws.save_table("shop", df, source="test")
    assert read_records(ws, "List the orders from c1@shop.example with their dates", "shop") == [
        ("Email", "c1@shop.example")
    ]


def test_customers_without_sales_or_a_file_beside_the_sales_are_sqls(assistant):
    """No metric computes over sales that are not there ("never ordered") or over the customers file alone."""
    from agent.router import Route

    ws = assistant.ws
    ws.save_table(
        "accounts", pd.DataFrame({"CustomerID": [1, 2, 3, 4, 5, 6], "tier": list("ABABAB")}), source="t"
    )

    def routed(question: str) -> str | None:
        metric = Route(ranked=[("metric_query", 0.7), ("sql_query", 0.6)], fixed="metric_query")
        return assistant.agent._fit_route(metric, read(ws, question)).fixed

    assert routed("How many customers have never placed an order?") == "sql_query"
    assert routed("How many accounts are in each tier?") == "sql_query"
    assert routed("Revenue by tier") == "metric_query"  # the sales, grouped by the file beside them


def test_a_stated_value_written_as_a_grouping_is_its_filter(ws):
    tool = MetricQuery(ws)
    args = read(ws, "How many units of TEA TOWEL did we sell?").apply(
        tool, {"metrics": ["units"], "by": ["TEA TOWEL"]}, ws
    )
    assert not args.get("by") and args["filters"] == [
        {"column": "Description", "op": "=", "value": "TEA TOWEL"}
    ]
    assert tool(**args).fact("units") == 10


def test_how_much_asks_for_money_and_a_verb_form_names_a_metric(ws):
    from tools.metric_reading import stated_metrics

    catalog = MetricQuery(ws).catalog
    assert stated_metrics(catalog, "How much have we sold since June?") == ["revenue"]
    assert stated_metrics(catalog, "How much did London customers spend?") == ["revenue"]
    assert stated_metrics(catalog, "How much came through each sales channel?") == ["revenue"]
    assert stated_metrics(catalog, "What did Dutch customers spend with us?") == ["revenue"]
    assert stated_metrics(catalog, "What did Black Week bring in? I mean 25 Nov to 2 Dec.") == ["revenue"]
    assert stated_metrics(catalog, "What did we make the most money on?") == []  # a ranking
    assert stated_metrics(catalog, "How many items did we sell?") == ["units"]
    assert stated_metrics(catalog, "How many orders did we refund?") == ["cancelled_orders"]
    assert stated_metrics(catalog, "How many customers ordered in 2011?") == ["customers"]


STATUS_CSV = """Order Number,Order Date,Customer ID,Qty,Unit Price,Order Status
7001,03/01/2023,C-1,2,£12.50,Completed
7002,04/01/2023,C-2,1,£8.00,Cancelled
7003,05/01/2023,C-1,1,£8.00,Refunded
7004,06/01/2023,C-3,3,£8.00,Completed
"""


def test_statuses_that_name_the_metric_filter_nothing_and_sql_reads_the_settled_table(ws, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(STATUS_CSV, encoding="utf-8")
    load_file(ws, path, table="orders")
    tool = MetricQuery(ws)
    reading = read(ws, "How many orders were cancelled or refunded?")
    assert {m.value for m in reading.values} >= {"Cancelled", "Refunded"}
    args = reading.apply(tool, {"metrics": ["orders", "cancelled_orders"], "by": ["order_status"]}, ws)
    assert args["metrics"] == ["cancelled_orders"] and not args.get("filters") and not args.get("by")
    assert tool(**args).fact("cancelled_orders") == 2
    sql = default_registry(ws).get("sql_query")
    with pytest.raises(RetryableToolError, match="about table orders"):
        read(ws, "How many rows has the orders table?").apply(sql, {"sql": "SELECT count(*) FROM sales"}, ws)
    # a question naming no table may be about any of them
    in_2023 = "SELECT count(*) FROM sales WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'"
    assert read(ws, "What did we take in 2023?").apply(sql, {"sql": in_2023}, ws)


def test_a_model_filter_that_names_the_metric_filters_nothing(ws):
    tool = MetricQuery(ws)
    reading = read(ws, "What share of invoices were cancelled?")
    args = reading.apply(
        tool,
        {"metrics": ["cancellation_rate"], "filters": [{"column": "status", "value": "Cancelled"}]},
        ws,
    )
    assert args["metrics"] == ["cancellation_rate"] and not args.get("filters")
    assert tool(**args).fact("cancellation_rate") == pytest.approx(1 / 12)


def test_invoices_clients_and_buyers_name_the_metrics_of_orders_and_customers(ws):
    from tools.metric_reading import stated_metrics

    catalog = MetricQuery(ws).catalog
    assert stated_metrics(catalog, "What share of invoices were cancelled?") == ["cancellation_rate"]
    assert stated_metrics(catalog, "How many transactions did we have?") == ["orders"]
    assert stated_metrics(catalog, "How many different clients bought?") == ["customers"]


def test_some_of_the_cancelling_statuses_count_those_orders_only(ws, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(STATUS_CSV, encoding="utf-8")
    load_file(ws, path, table="orders")
    tool = MetricQuery(ws)
    for metrics in (["orders"], ["cancelled_orders"]):  # "orders" leaves cancelled ones out: it would say 0
        args = read(ws, "How many orders were refunded?").apply(tool, {"metrics": metrics}, ws)
        assert args["metrics"] == ["cancelled_orders"]
        assert args["filters"] == [{"column": "order_status", "op": "=", "value": "Refunded"}]
        assert tool(**args).fact("cancelled_orders") == 1
    both = read(ws, "How many orders were cancelled or refunded?").apply(tool, {"metrics": ["orders"]}, ws)
    assert not both.get("filters") and tool(**both).fact("cancelled_orders") == 2


def test_a_word_of_the_metric_s_name_is_no_grouping_unless_asked_for(ws):
    tool = MetricQuery(ws)
    args = read(ws, "What is the repeat customer rate?").apply(
        tool, {"metrics": ["repeat_customer_rate"], "by": ["customer"]}, ws
    )
    assert not args.get("by") and len(tool(**args).table) == 1
    args = read(ws, "repeat customer rate by country").apply(
        tool, {"metrics": ["repeat_customer_rate"], "by": ["country"]}, ws
    )
    assert args["by"] == ["country"]


def test_a_superlative_asks_for_one_row():
    assert read_top("Which product has the minimum price?") == 1
    assert read_top("Who is the youngest customer?") == 1
    assert read_top("What is the name of the oldest store?") == 1
    assert read_top("List the 3 cheapest products") == 3
    assert read_top("Which products have the fewest orders?") is None  # a ranking, not one row


def test_a_count_or_a_total_asked_in_other_words_is_one_figure():
    from agent.question import asks_one_figure

    for question in (
        "Count the number of different brands.",
        "What is the total number of stores?",
        "Find the number of orders in 2011",
        "What is the average order value?",
        "What did Dutch customers spend with us in 2025?",
        "What were total sales for the financial year?",
    ):
        assert asks_one_figure(question), question
    for question in (
        "What is the average rating in each division?",
        "Show the number of orders by country",
        "What did we make the most money on?",
        "What did customers buy after the lantern?",
    ):
        assert not asks_one_figure(question), question


def test_the_noun_a_count_is_of():
    from agent.question import read_counted

    assert read_counted("How many different households redeemed a coupon?") == "households"
    assert read_counted("Count the number of distinct brands.") == "brands"
    assert read_counted("What is the revenue?") is None


def test_a_value_both_tables_store_leaves_the_choice_to_the_current_table(ws, tmp_path):
    path = tmp_path / "shop.csv"
    path.write_text(SHOP_CSV.replace("London", "France"), encoding="utf-8")
    load_file(ws, path, table="shop")  # the person's table, now the current one; `sales` has France too
    reading = read(ws, "How many customers do we have in France?")
    assert {m.table for m in reading.values} == {"sales", "shop"}
    assert (reading.table, reading.table_why) == ("shop", "current")


def test_the_noun_after_a_top_n_is_what_is_ranked(ws):
    tool = MetricQuery(ws)
    args = read(ws, "top 2 descriptions by units").apply(tool, {"metrics": ["units"]}, ws)
    table = tool(**args).table
    assert len(table) == 2 and "product" in table.columns  # Description is the product dimension


def test_the_day_of_the_week_is_the_weekday_grouping(ws):
    assert read_groupings("revenue by day of the week") == ["weekday"]
    assert read_groupings("Which day of the week brings the most orders?") == ["weekday"]
    assert read_groupings("orders by hour of the day") == ["hour"]
    tool = MetricQuery(ws)
    args = read(ws, "Which day of the week brings the most orders?").apply(
        tool, {"metrics": ["orders"], "by": ["day"]}, ws
    )
    assert args["by"] == ["weekday"]


def test_a_share_of_a_count_is_its_rate_and_an_acronym_names_a_metric(ws):
    from tools.metric_reading import names_metric_in_full, stated_metrics

    catalog = MetricQuery(ws).catalog
    assert stated_metrics(catalog, "What fraction of orders end up refunded?") == ["cancellation_rate"]
    assert stated_metrics(catalog, "What % of invoices were cancelled?") == ["cancellation_rate"]
    assert stated_metrics(catalog, "What share of customers ordered more than once?") == [
        "repeat_customer_rate"
    ]
    assert stated_metrics(catalog, "How many orders were cancelled?") == ["cancelled_orders"]
    assert stated_metrics(catalog, "What's our average units per order?") == ["units_per_order"]
    assert names_metric_in_full(catalog, "AOV for mobile app orders in 2024?")
    assert not names_metric_in_full(catalog, "aov is a word here")


def test_a_share_of_an_amount_is_the_part_over_the_whole_of_the_period(ws):
    tool = MetricQuery(ws)
    question = "What share of 2011 revenue came from Germany?"
    reading = read(ws, question)
    args = tool.refine_args({"metrics": ["revenue"], "date_range": "2011"}, reading)
    assert args["share"] is True and args["filters"] == [{"column": "Country", "op": "=", "value": "Germany"}]
    result = tool(**args)
    assert result.fact("revenue") == pytest.approx(53.0)
    assert result.fact("total_revenue") == pytest.approx(183.0)
    assert result.fact("share_of_revenue") == pytest.approx(53 / 183)
    # not asked for, a share the model adds is dropped; a ratio has no share
    plain = "What was the 2011 revenue from Germany?"
    reading = read(ws, plain)
    assert "share" not in tool.refine_args({"metrics": ["revenue"], "share": True}, reading)
    with pytest.raises(RetryableToolError, match="already a ratio"):
        tool(metrics=["aov"], by=["country"], share=True)


@pytest.mark.parametrize(
    ("question", "compared"),
    [
        ("how did web revenue in Q4 2024 compare with Q4 2023?", ("2024-Q4", "2023-Q4")),
        (
            "By how much did revenue grow from FY 2022/23 to FY 2023/24?",
            ("2023-04..2024-03", "2022-04..2023-03"),
        ),
        ("orders 2010 vs 2011", ("2011", "2010")),
        ("orders from march to june 2011", None),  # a range, not two periods set against each other
        ("sales growth in 2024", None),  # one period
    ],
)
def test_two_periods_set_against_each_other(question, compared):
    from agent.question import read_comparison

    assert read_comparison(question) == compared


def test_a_comparison_sets_both_periods_of_the_metric_layer(ws):
    from tools.metrics import MetricQuery

    tool = MetricQuery(ws)
    reading = read(ws, "How did revenue in March 2011 compare with February 2011?")
    assert reading.period is None and reading.compared == ("march 2011", "february 2011")
    args = reading.apply(tool, {"metrics": ["revenue"], "date_range": "2011-03-01..2011-03-31"}, ws)
    assert (args["date_range"], args["compare_to"]) == ("march 2011", "february 2011")
    result = tool(**args)
    assert result.table.iloc[0].tolist() == pytest.approx([61.0, 24.5, (61.0 - 24.5) / 24.5 * 100])
