"""Declared join keys: stored in the workspace, checked against it, and what schema linking joins on."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from agent.schema_link import join_keys, link
from tests.readings import read
from tools.base import ToolError
from tools.joins import Lookup, declare_keys, declared_keys, lookups, parse_column
from ui.cli import main


@pytest.fixture
def school(tmp_path):
    """Channels and the series they air: the key's two names differ (series.Channel holds channels.id)."""
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "school", demo=False)
    ws.save_table(
        "channels",
        pd.DataFrame({"id": [1, 2], "series_name": ["Sky Radio", "Rai"], "Country": ["UK", "IT"]}),
        source="t",
    )
    ws.save_table(
        "series",
        pd.DataFrame({"id": [7, 8, 9], "Episode": ["A", "B", "C"], "Channel": [1, 1, 2]}),
        source="t",
    )
    yield ws
    ws.close()


def test_a_declared_key_is_stored_once_in_either_direction(school):
    declare_keys(school, [("series", "channel", "CHANNELS", "ID")])
    declare_keys(school, [("channels", "id", "series", "Channel")])
    assert declared_keys(school) == [("series", "Channel", "channels", "id")]
    assert json.loads((school.home / "settings.json").read_text())["join_keys"]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        (("series", "Chanel", "channels", "id"), "Did you mean Channel?"),
        (("seris", "Channel", "channels", "id"), "Did you mean series?"),
        (("series", "Channel", "series", "channel"), "two different columns"),
    ],
)
def test_a_key_that_cannot_exist_is_an_error_and_nothing_is_stored(school, key, says):
    with pytest.raises(ToolError, match=says):
        declare_keys(school, [key])
    assert declared_keys(school) == []


def test_a_key_whose_column_is_gone_after_a_reload_is_not_used(school):
    declare_keys(school, [("series", "Channel", "channels", "id")])
    school.save_table("series", pd.DataFrame({"id": [7], "Episode": ["A"]}), source="t")
    assert declared_keys(school) == []


def test_parse_column_needs_table_dot_column(school):
    assert parse_column(school, "Series.episode") == ("series", "Episode")
    with pytest.raises(ToolError, match="TABLE.COLUMN"):
        parse_column(school, "Episode")


def test_linking_joins_on_the_declared_key_not_on_look_alike_names(school):
    schema = school.columns_by_table()
    assert ("channels", "id", "series", "id") not in join_keys(schema)  # each table's own row number
    declare_keys(school, [("series", "Channel", "channels", "id")])
    linked = link(school, "What is the episode of the series on the channel named Sky Radio?", embed=False)
    assert set(linked.tables) == {"channels", "series"}
    assert linked.joins in (
        [("series", "Channel", "channels", "id")],
        [("channels", "id", "series", "Channel")],
    )
    assert "Join keys:" in linked.card and "Channel" in linked.card.split("Join keys:")[1]


def test_the_join_command_declares_and_lists_keys(school, capsys):
    home = str(school.home)
    school.close()
    assert main(["--home", home, "join", "series.Channel", "channels.id"]) == 0
    assert "series.Channel = channels.id" in capsys.readouterr().out
    assert main(["--home", home, "join", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"join_keys": [["series", "Channel", "channels", "id"]]}
    assert main(["--home", home, "join", "series.Chanel", "channels.id"]) == 1
    assert "Did you mean Channel?" in capsys.readouterr().err


# -- lookup tables: the columns that describe another table's rows, in the metric layer -----------------


@pytest.fixture
def shop(tmp_path):
    """Orders, and a customers file with each customer once; the key is key-like by name (customer_no)."""
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "shop", demo=False)
    ws.save_table(
        "orders",
        pd.DataFrame(
            {
                "order_no": [1, 2, 3, 4, 5],
                "order_date": pd.to_datetime(
                    ["2024-01-05", "2024-02-01", "2024-02-03", "2025-01-09", "2025-03-01"]
                ),
                "customer_no": [10, 11, 10, 12, 13],
                "Qty": [1, 2, 3, 1, 5],
                "unit_price": [10.0, 5.0, 2.0, 40.0, 1.0],
            }
        ),
        source="t",
    )
    ws.save_table(
        "customers",
        pd.DataFrame(
            {
                "customer_no": [10, 11, 12, 13],
                "tier": ["Gold", "Silver", "Gold", "Silver"],
                "newsletter": [True, False, False, True],
                "birth_year": [1960, 1985, 1972, 1990],
            }
        ),
        source="t",
    )
    yield ws
    ws.close()


def test_a_table_whose_key_is_unique_describes_the_rows_of_another(shop):
    assert lookups(shop, "orders") == [Lookup("customers", "customer_no", "customer_no")]
    assert lookups(shop, "customers") == []  # each customer has several orders: no lookup for them


def test_a_declared_key_names_the_lookup_whatever_the_column_names(school):
    assert lookups(school, "series") == []  # Channel and id share no name
    declare_keys(school, [("series", "Channel", "channels", "id")])
    assert lookups(school, "series") == [Lookup("channels", "Channel", "id")]


def test_the_metric_layer_groups_and_filters_by_a_lookup_tables_columns(shop):
    from tools.metrics import MetricQuery

    mq = MetricQuery(shop)
    by_tier = mq(table="orders", metrics=["revenue"], by=["tier"])
    assert by_tier.table.set_index("tier")["revenue"].to_dict() == {"Gold": 56.0, "Silver": 15.0}
    assert "joined with customers on customer_no" in by_tier.text
    subscribed = mq(table="orders", metrics=["orders"], filters=[{"column": "newsletter", "value": True}])
    assert subscribed.fact("orders") == 3
    older = mq(
        table="orders", metrics=["units"], filters=[{"column": "birth_year", "op": "<", "value": 1970}]
    )
    assert older.fact("units") == 4
    gold_2024 = mq(
        table="orders", metrics=["orders"], date_range="2024", filters=[{"column": "tier", "value": "gold"}]
    )
    assert gold_2024.fact("orders") == 2


def test_an_unknown_dimension_names_the_lookup_columns_too(shop):
    from tools.metrics import MetricQuery

    with pytest.raises(ToolError, match=r"Columns of customers \(joined on customer_no\): tier, newsletter"):
        MetricQuery(shop)(table="orders", metrics=["revenue"], by=["region"])


def test_a_value_of_a_lookup_column_the_question_names_filters_the_figure(shop):
    from tools.metrics import MetricQuery

    question = "How many orders came from Gold customers?"
    reading = read(shop, question)
    args = MetricQuery(shop).refine_args({"metrics": ["orders"], "table": "orders"}, reading)
    assert args["filters"] == [{"column": "tier", "op": "=", "value": "Gold"}]


@pytest.mark.parametrize(
    ("question", "flag"),
    [
        ("How many orders came from newsletter subscribers?", True),
        ("How many orders came from customers not on the newsletter?", False),
        ("How many orders came from newsletter subscribers vs the others?", None),  # compared, no condition
        ("Orders in 2024, leaving out newsletter subscribers", False),
    ],
)
def test_a_yes_no_column_the_question_names_is_its_condition(shop, question, flag):
    from tools.metrics import MetricQuery

    reading = read(shop, question)
    # the model's own polarity gives way to the question's
    model = [{"column": "newsletter", "value": not flag}] if flag is not None else []
    args = MetricQuery(shop).refine_args(
        {"metrics": ["orders"], "table": "orders", "filters": model}, reading
    )
    expected = [] if flag is None else [{"column": "newsletter", "op": "=", "value": flag}]
    assert args.get("filters", []) == expected


def test_a_key_name_alone_does_not_join_tables_whose_keys_do_not_meet(shop):
    shop.save_table(
        "customers_2019", pd.DataFrame({"customer_no": [501, 502], "tier": ["A", "B"]}), source="t"
    )
    demo = pd.DataFrame({"customer_no": [10, 11, 12, 13], "segment": list("abcd")})
    shop.save_table("demo_households", demo, source="demo:test")  # the same numbers, other customers
    assert [lk.table for lk in lookups(shop, "orders")] == ["customers"]


def test_the_same_role_in_two_tables_joins_them_whatever_the_names(tmp_path):
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "pets", demo=False)
    lines = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-03"]),
            "lineitem_sku": ["DF-1", "TY-2", "DF-1"],
            "lineitem_quantity": [1, 2, 3],
            "lineitem_price": [10.0, 5.0, 10.0],
        }
    )
    ws.save_table("lines", lines, source="t")
    ws.save_table(
        "catalogue", pd.DataFrame({"sku": ["DF-1", "TY-2"], "product_type": ["Dog Food", "Toys"]}), source="t"
    )
    assert lookups(ws, "lines") == [Lookup("catalogue", "lineitem_sku", "sku")]
    ws.close()


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        (
            "How many units did customers born before 1970 buy?",
            {"column": "birth_year", "op": "<", "value": 1970},
        ),
        (
            "Revenue from customers who signed up in 2023?",
            {"column": "signed_up", "op": "=", "value": "2023"},
        ),
        (
            "Revenue from customers who joined since May 2023",
            {"column": "signed_up", "op": ">=", "value": "may 2023"},
        ),
    ],
)
def test_the_date_of_another_event_is_a_condition_on_its_own_column(shop, question, condition):
    from tools.metrics import MetricQuery

    customers = shop.query("SELECT * FROM customers")
    customers["signed_up"] = pd.to_datetime(["2022-03-01", "2023-02-10", "2023-07-01", "2024-01-05"]).date
    shop.save_table("customers", customers, source="t")
    tool = MetricQuery(shop)
    model = [{"column": condition["column"], "op": ">=", "value": "2023-01-01"}]  # the model's own bound
    args = tool.refine_args(
        {"metrics": ["revenue"], "table": "orders", "filters": model}, read(shop, question)
    )
    assert condition in args["filters"] and len(args["filters"]) == 1
    tool(**args)  # runs
