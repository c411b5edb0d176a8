"""A database that is no shop (a school's, a TV guide's): no sales table, keys whose names differ, tables
named in the question's words, and columns the model spells in its own style."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlglot import parse_one

from agent.assistant import Assistant
from agent.models import ScriptedModel
from agent.router import Route
from tests.readings import read
from tools.base import RetryableToolError
from tools.registry import default_registry
from tools.sql import SqlQuery
from tools.sql_repair import respell_columns


@pytest.fixture
def clinic(tmp_path):
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "clinic", demo=False)
    ws.save_table(
        "Professionals",
        pd.DataFrame({"professional_id": [1, 2], "first_name": ["Ann", "Bob"], "LifeExpectancy": [80, 75]}),
        source="t",
    )
    ws.save_table(
        "Treatments",
        pd.DataFrame(
            {"treatment_id": [1, 2, 3], "professional_id": [1, 1, 2], "date_of_treatment": ["d1", "d2", "d3"]}
        ),
        source="t",
    )
    yield ws
    ws.close()


def test_sql_may_read_any_table_the_question_names(clinic):
    question = "List the date of each treatment, together with the first name of the professional"
    reading = read(clinic, question)
    assert reading.table_why == "named" and set(reading.named_tables) == {"Professionals", "Treatments"}
    tool = SqlQuery(clinic)
    for sql in (
        "SELECT date_of_treatment FROM Treatments",
        "SELECT first_name FROM Professionals",
        "SELECT t.date_of_treatment, p.first_name FROM Treatments t JOIN Professionals p "
        "ON t.professional_id = p.professional_id",
    ):
        assert tool.refine_args({"sql": sql}, reading) == {"sql": sql}


def test_sql_over_a_table_the_question_does_not_name_is_still_refused(clinic):
    clinic.save_table("Dogs", pd.DataFrame({"dog_id": [1], "name": ["Rex"]}), source="t")
    reading = read(clinic, "How many treatments were there?")
    with pytest.raises(RetryableToolError, match="about table Treatments"):
        SqlQuery(clinic).refine_args({"sql": "SELECT count(*) FROM Dogs"}, reading)


def test_without_a_sales_table_the_sales_tools_are_not_routed(clinic):
    assistant = Assistant(
        model=ScriptedModel(), workspace=clinic, registry=default_registry(clinic), router_mode="top1"
    )
    reading = read(clinic, "How many treatments were given per professional?")
    route = Route(
        ranked=[("metric_query", 0.7), ("cluster_texts", 0.5), ("sql_query", 0.4)], fixed="metric_query"
    )
    fitted = assistant.agent._fit_route(route, reading)
    assert fitted.fixed == "sql_query"
    assert "metric_query" not in fitted.names and "cluster_texts" in fitted.names


def test_a_sales_table_keeps_the_routed_sales_tool(ws):
    assistant = Assistant(
        model=ScriptedModel(), workspace=ws, registry=default_registry(ws), router_mode="top1"
    )
    route = Route(ranked=[("segment_customers", 0.7), ("sql_query", 0.4)], fixed="segment_customers")
    assert assistant.agent._fit_route(route, read(ws, "segment the customers")).fixed == "segment_customers"


def test_a_column_in_the_model_s_own_style_gets_the_table_s_spelling(clinic):
    result = SqlQuery(clinic)(
        sql="SELECT first_name FROM Professionals ORDER BY life_expectancy DESC LIMIT 1"
    )
    assert result.table["first_name"].tolist() == ["Ann"]
    assert "life_expectancy -> LifeExpectancy" in result.text


@pytest.mark.parametrize(
    "sql",
    [
        # an alias the query defines, a subquery's own column, a name two columns squash to: left alone
        "SELECT count(*) AS life_expectancy FROM Professionals ORDER BY life_expectancy",
        "SELECT q.life_expectancy FROM (SELECT LifeExpectancy AS life_expectancy FROM Professionals) AS q",
        "SELECT professional_id FROM Treatments",
    ],
)
def test_names_that_are_no_misspelling_are_left_alone(clinic, sql):
    tree = parse_one(sql, read="duckdb")
    assert respell_columns(tree, clinic.columns_by_table) == []


def test_a_qualified_column_is_respelt_from_its_own_table_only(clinic):
    tree = parse_one(
        "SELECT p.life_expectancy, t.lifeexpectancy FROM Professionals p JOIN Treatments t ON true",
        read="duckdb",
    )
    assert respell_columns(tree, clinic.columns_by_table) == ["life_expectancy -> LifeExpectancy"]


def test_sql_over_demo_tables_is_refused_when_the_question_is_about_the_person_s_own_table(tmp_path):
    from tools.loader import load_file
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "mine")  # the demo tables, then a file of the person's own
    path = tmp_path / "shop_orders.csv"
    path.write_text(
        "Order No,Order Date,Customer No,Qty,Unit Price\n1,2025-07-02,7,2,9.50\n2,2025-08-01,8,1,20\n"
    )
    load_file(ws, path)
    tool = SqlQuery(ws)
    question = "whats the revnue since july 2025, just the total"
    reading = read(ws, question)
    assert reading.table == "shop_orders"
    # "spend" is what every sales table answers to, not evidence for hillstrom_email's spend column
    assert read(ws, "what did our customers spend with us in 2025").table == "shop_orders"
    with pytest.raises(
        RetryableToolError, match=r"about shop_orders, the person's own data.*cdnow_transactions"
    ):
        tool.refine_args(
            {"sql": "SELECT sum(dollar_value) FROM cdnow_transactions WHERE date >= '2025-07-01'"}, reading
        )
    mine = "SELECT sum(qty * unit_price) AS revenue FROM shop_orders WHERE order_date >= '2025-07-01'"
    assert "shop_orders" in tool.refine_args({"sql": mine}, reading)["sql"]
    # a question that points at the demo data may read it
    demo = read(ws, "How many customers are in the cdnow transactions?")
    sql = "SELECT count(DISTINCT customer_id) FROM cdnow_transactions"
    assert tool.refine_args({"sql": sql}, demo) == {"sql": sql}
    ws.close()


def test_a_column_named_by_the_role_it_plays_gets_the_table_s_name(tmp_path):
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "eu", demo=False)
    ws.save_table(
        "orders",
        pd.DataFrame(
            {
                "order_no": [1, 1, 2],
                "order_date": pd.to_datetime(["2025-07-01", "2025-07-01", "2025-08-01"]),
                "Qty": [1, 2, 1],
                "unit_price": [10.0, 5.0, 20.0],
            }
        ),
        source="t",
    )
    result = SqlQuery(ws)(
        sql="SELECT sum(unit_price * quantity) AS revenue, count(DISTINCT order_id) FROM orders"
    )
    assert result.table.iloc[0].tolist() == [40.0, 2]
    assert "order_id -> order_no" in result.text and "quantity -> Qty" in result.text
    ws.close()
