"""Numbers the person did not state never reach a tool."""

from __future__ import annotations

from agent.arg_guard import drop_unstated_numbers, stated_numbers
from agent.assistant import Assistant
from agent.models import ScriptedModel
from tools.registry import default_registry


def test_an_unstated_number_is_dropped_and_stated_ones_are_kept():
    args = {"metrics": ["revenue"], "top": 1000}
    assert drop_unstated_numbers(args, "what is the total revenue?", set()) == (
        {"metrics": ["revenue"]},
        ["top"],
    )
    assert drop_unstated_numbers({"top": 5}, "revenue by country, top 5", set())[0] == {"top": 5}
    assert drop_unstated_numbers({"top": 5}, "the top five countries", set())[0] == {"top": 5}


def test_percentages_thousands_and_required_numbers():
    said = "we spent 5k at a 40% margin and made 12,500"
    assert {5000.0, 0.4, 12500.0} <= stated_numbers(said)
    assert drop_unstated_numbers({"spend": 5000, "margin": 0.4, "revenue": 12500}, said, set())[1] == []
    assert drop_unstated_numbers({"customer_id": 17850}, "recommend for our best customer", {"customer_id"})[
        0
    ] == {"customer_id": 17850}


def test_the_agent_drops_an_invented_top_before_running_metric_query(ws):
    model = ScriptedModel()
    assistant = Assistant(model=model, workspace=ws, registry=default_registry(ws), router_mode="off")
    model.enqueue({"tool": "metric_query"}, {"metrics": ["revenue"], "table": "sales", "top": 1000}, "ok")
    answer = assistant.ask("what is the total revenue of the sales table?")
    assert answer.tool_calls[-1]["args"] == {"metrics": ["revenue"], "table": "sales"}
    assert answer.facts[0].value == 183.0


def test_explicit_mode_makes_every_argument_required(ws):
    from agent.calls import args_schema

    tool = default_registry(ws).get("metric_query")
    schema = args_schema(tool, follow_up_field=False, explicit=True)
    assert set(schema["required"]) == set(schema["properties"]) and "top" in schema["required"]
    assert args_schema(tool, follow_up_field=False)["required"] == ["metrics"]


def test_conditions_with_unstated_values_are_dropped():
    from agent.arg_guard import drop_unstated_conditions

    args = {
        "metrics": ["orders"],
        "filters": [
            {"column": "date", "op": ">=", "value": "2011-01-01"},  # invented
            {"column": "Country", "op": "=", "value": "Germany"},  # stated
            {"column": "Quantity", "op": ">", "value": 10},  # stated
        ],
    }
    kept = drop_unstated_conditions(args, "orders per month in germany with more than 10 units")
    assert kept["filters"] == [
        {"column": "Country", "op": "=", "value": "Germany"},
        {"column": "Quantity", "op": ">", "value": 10},
    ]
    assert kept["metrics"] == ["orders"]


def test_groupings_the_request_never_names_are_dropped():
    from agent.arg_guard import drop_unstated_groupings

    assert drop_unstated_groupings({"by": ["country"]}, "What is the total net revenue?") == {"by": []}
    assert (
        drop_unstated_groupings({"by": ["each"], "metrics": ["orders"]}, "How many orders in total?")["by"]
        == []
    )
    kept = drop_unstated_groupings({"by": ["country", "month"]}, "monthly revenue of the top countries")
    assert kept["by"] == ["country", "month"]
    assert drop_unstated_groupings({"by": ["stock_code"]}, "units per stock code")["by"] == ["stock_code"]


def test_a_period_the_request_gives_no_ground_for_is_dropped():
    from agent.arg_guard import drop_unstated_periods

    invented = {"metrics": ["revenue"], "date_range": "last 3 months of the data", "grain": "month"}
    assert drop_unstated_periods(invented, "What is the total net revenue?") == {"metrics": ["revenue"]}
    assert drop_unstated_periods(invented, "monthly revenue over the last 3 months") == invented
    assert drop_unstated_periods(invented, "revenue in the last three months") == invented
    # A count the person never said is not theirs: "last month" is not "last 3 months".
    assert "date_range" not in drop_unstated_periods(invented, "revenue last month")
    assert drop_unstated_periods({"date_range": "2011-Q3"}, "revenue in Q3 2011") == {"date_range": "2011-Q3"}


def test_the_agent_answers_the_total_when_the_model_invents_a_date_range(ws):
    model = ScriptedModel()
    assistant = Assistant(model=model, workspace=ws, registry=default_registry(ws), router_mode="off")
    args = {"metrics": ["revenue"], "table": "sales", "date_range": "last 3 months of the data"}
    model.enqueue({"tool": "metric_query"}, args, "ok")
    answer = assistant.ask("what is the total revenue of the sales table?")
    assert answer.tool_calls[-1]["args"] == {"metrics": ["revenue"], "table": "sales"}
    assert answer.facts[0].value == 183.0


def test_a_sql_limit_the_request_does_not_state_is_removed():
    from agent.arg_guard import drop_unstated_limit

    listed = {"sql": "SELECT name, tonnage FROM ship ORDER BY name DESC LIMIT 5"}
    assert drop_unstated_limit(listed, "List every ship's name and tonnage by name") == {
        "sql": "SELECT name, tonnage FROM ship ORDER BY name DESC"
    }
    assert drop_unstated_limit(listed, "the 5 heaviest ships") == listed
    assert drop_unstated_limit(listed, "the top five ships") == listed
    one = {"sql": "SELECT name FROM ship ORDER BY tonnage DESC LIMIT 1"}
    assert drop_unstated_limit(one, "Which ship is the heaviest?") == one
    inner = {"sql": "SELECT * FROM t WHERE id IN (SELECT id FROM u ORDER BY x LIMIT 5)"}
    assert drop_unstated_limit(inner, "rows of t") == inner


def test_the_agent_returns_the_whole_list_when_the_model_adds_a_limit(ws):
    model = ScriptedModel()
    assistant = Assistant(model=model, workspace=ws, registry=default_registry(ws), router_mode="off")
    sql = "SELECT DISTINCT Country FROM sales ORDER BY Country LIMIT 2"
    model.enqueue({"tool": "sql_query"}, {"sql": sql}, "ok")
    answer = assistant.ask("Which countries appear in the sales table?")
    assert answer.tables[0].df["Country"].tolist() == ["France", "Germany", "United Kingdom"]


def test_a_metric_word_never_becomes_a_stored_value_hint(ws):
    """Complete Journey has product_type 'VALUE': "average order value" once filtered on it."""
    import pandas as pd

    from agent.context import value_hints

    ws.save_table("products", pd.DataFrame({"product_type": ["VALUE", "NATIONAL"]}), source="test")
    assert value_hints(ws, "What is the average order value?") == ""
    assert "Germany" in value_hints(ws, "revenue in germany")


def test_a_condition_without_any_value_is_dropped():
    """The default model wrote {"column": "customer_id", "op": "not in", "value": null} for "how many customers"."""
    from agent.arg_guard import drop_unstated_conditions

    started = {
        "metrics": ["customers"],
        "filters": [{"column": "customer_id", "op": "not in", "value": None}],
    }
    assert drop_unstated_conditions(started, "How many customers do we have?")["filters"] == []


def test_a_date_condition_stands_when_the_request_names_its_year_or_speaks_of_time():
    from agent.arg_guard import drop_unstated_conditions

    december = {
        "filters": [{"column": "InvoiceDate", "op": "between", "values": ["2010-12-01", "2010-12-31"]}]
    }
    assert drop_unstated_conditions(december, "What was the revenue in December 2010?") == december
    assert drop_unstated_conditions(december, "revenue in December 2011")["filters"] == []
    assert drop_unstated_conditions(december, "How many orders were placed in total?")["filters"] == []
    last_month = {"filters": [{"column": "month", "value": "2011-11"}]}
    assert drop_unstated_conditions(last_month, "revenue last month") == last_month


def test_a_sort_order_stays_only_when_the_request_ranks():
    from agent.arg_guard import drop_unstated_sort

    args = {"metrics": ["revenue"], "by": ["month"], "sort_by": "revenue", "sort": "desc"}
    assert drop_unstated_sort(args, "Show revenue by month.") == {"metrics": ["revenue"], "by": ["month"]}
    assert drop_unstated_sort(args, "the months with the highest revenue") == args


def test_a_single_grouping_the_question_never_names_is_dropped():
    from agent.arg_guard import drop_unstated_groupings

    assert drop_unstated_groupings({"by": "country", "horizon": 4}, "forecast revenue") == {"horizon": 4}
    assert drop_unstated_groupings({"by": "country"}, "forecast revenue per country") == {"by": "country"}
