"""SQL over a sales table whose cancelled orders are positive lines with a status leaves them out of its
sums, as the metric layer does; a query or question about statuses decides for itself."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import tiny_sales
from tests.readings import read
from tools.metrics import MetricQuery
from tools.sql import SqlQuery


@pytest.fixture
def shop(tmp_path):
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "shop", demo=False)
    ws.save_table(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["A1", "A1", "A2", "A3", "A4"],
                "ordered_at": pd.to_datetime(
                    ["2024-01-02", "2024-01-02", "2024-01-05", "2024-02-01", "2024-02-03"]
                ),
                "customer": ["x", "x", "y", "x", "z"],
                "qty": [1, 2, 1, 4, 1],
                "price": [10.0, 5.0, 20.0, 7.5, 100.0],
                "Payment Status": ["paid", "paid", "Refunded", "paid", "voided"],
            }
        ),
        source="t",
    )
    ws.save_table("sales", tiny_sales(), source="t")  # cancellations as negative 'C' lines: nothing to do
    yield ws
    ws.close()


def _refined(ws, question: str, sql: str) -> str:
    reading = read(ws, question)
    return SqlQuery(ws).refine_args({"sql": sql}, reading)["sql"]


def test_roles_name_the_status_column_and_its_cancelling_values(shop):
    assert shop.roles("orders").cancel_status == ("Payment Status", ("refunded", "voided"))
    assert shop.roles("sales").cancel_status is None


@pytest.mark.parametrize(
    ("question", "sql", "metric"),
    [
        ("What did we sell in all?", "SELECT sum(qty * price) AS s FROM orders", "revenue"),
        (
            "How many orders did x place?",
            "SELECT count(DISTINCT order_id) FROM orders WHERE customer = 'x'",
            "orders",
        ),
        (
            "Average units per order",
            "WITH o AS (SELECT order_id, sum(qty) AS u FROM orders GROUP BY 1) SELECT avg(u) FROM o",
            "units_per_order",
        ),
    ],
)
def test_sums_and_order_counts_agree_with_the_metric_layer(shop, question, sql, metric):
    refined = _refined(shop, question, sql)
    assert "NOT LOWER(TRIM(" in refined and "'refunded', 'voided'" in refined
    got = SqlQuery(shop)(sql=refined).table.iloc[0, 0]
    filters = [{"column": "customer", "value": "x"}] if "customer" in sql else []
    expected = MetricQuery(shop)(table="orders", metrics=[metric], filters=filters).fact(metric)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("question", "sql", "table"),
    [
        ("How many lines are there?", "SELECT count(*) FROM orders", "orders"),  # lines, not orders
        ("How many customers?", "SELECT count(DISTINCT customer) FROM orders", "orders"),
        (
            "Revenue by payment status",
            'SELECT "Payment Status", sum(qty * price) FROM orders GROUP BY 1',
            "orders",
        ),
        ("How much was refunded?", "SELECT sum(qty * price) FROM orders", "orders"),
        ("Total sales", "SELECT sum(Quantity * UnitPrice) FROM sales", "sales"),
    ],
)
def test_queries_about_statuses_or_without_sums_are_left_alone(shop, question, sql, table):
    assert _refined(shop, question, sql) == sql


@pytest.mark.parametrize(
    ("question", "model_args", "rate"),
    [
        # the model's own filter (voided) is replaced by what the question names
        (
            "What proportion of our orders get refunded?",
            {"filters": [{"column": "Payment Status", "value": "voided"}]},
            1 / 4,
        ),
        (
            "What fraction of orders end up refunded or voided?",
            {"filters": [{"column": "Payment Status", "value": "voided"}]},
            2 / 4,
        ),
        ("What fraction of orders were voided?", {}, 1 / 4),
        # a count beside the rate is no part of a share question
        ("What proportion of our orders get refunded?", {"metrics": ["cancellation_rate", "orders"]}, 1 / 4),
    ],
)
def test_a_rate_of_some_cancelling_statuses_keeps_all_orders_as_its_denominator(
    shop, question, model_args, rate
):
    tool = MetricQuery(shop)
    reading = read(shop, question)
    args = tool.refine_args({"metrics": ["cancellation_rate"], "table": "orders"} | model_args, reading)
    result = tool(**args)
    assert result.fact("cancellation_rate") == pytest.approx(rate)
    assert ("Cancelled here" in result.text) == (rate != 2 / 4)


def test_named_statuses_are_no_grouping_and_orders_without_them_stay_orders(shop):
    tool = MetricQuery(shop)

    def refined(question, args):
        reading = read(shop, question)
        return tool.refine_args({"table": "orders", **args}, reading)

    voided = refined("Number of voided orders?", {"metrics": ["orders"], "by": ["Payment Status"]})
    assert voided["metrics"] == ["cancelled_orders"] and voided["by"] == []
    assert tool(**voided).fact("cancelled_orders") == 1
    kept = refined("How many orders, not counting refunded or voided ones?", {"metrics": ["orders"]})
    assert kept["metrics"] == ["orders"] and tool(**kept).fact("orders") == 2


@pytest.mark.parametrize(
    ("question", "model_metric", "share", "figure"),
    [
        ("How many orders got paid?", "cancelled_orders", False, 2),
        ("What share of orders got paid?", "cancellation_rate", True, 1.0),  # of the orders that stood
    ],
)
def test_a_status_of_orders_that_stood_counts_orders_not_cancellations(
    shop, question, model_metric, share, figure
):
    """ "Orders that got a partial refund" (a status of orders that stood) are orders with that status."""
    tool = MetricQuery(shop)
    args = tool.refine_args({"metrics": [model_metric], "table": "orders"}, read(shop, question))
    assert args["metrics"] == ["orders"] and bool(args.get("share")) == share
    assert args["filters"] == [{"column": "Payment Status", "op": "=", "value": "paid"}]
    result = tool(**args)
    assert result.table.iloc[0, -1] == pytest.approx(figure)
