"""Schema linking picks the tables a question is about; the plain-SQL fill writes a validated sql_query call."""

from __future__ import annotations

import pandas as pd
import pytest

from agent.calls import ToolCaller, call_model, validate_call
from agent.models import ScriptedModel
from agent.schema_link import grammar_tables, link, name_words, stem
from agent.sql_fill import clean_sql, request_of, sql_fill
from agent.state import ConversationState
from tests.conftest import tiny_sales
from tools.sql import SqlQuery


@pytest.fixture
def shop(tmp_path):
    """Four tables: the tiny sales, reviews, stores and their visits (joined on StoreID)."""
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "shop", demo=False)
    ws.save_table("sales", tiny_sales(), source="test")
    ws.save_table(
        "reviews",
        pd.DataFrame(
            {"ReviewID": [1, 2, 3], "ProductName": ["RED MUG", "BLUE MUG", "CAKE TIN"], "Rating": [5, 3, 4]}
        ),
        source="test",
    )
    ws.save_table(
        "stores",
        pd.DataFrame({"StoreID": [1, 2], "City": ["Berlin", "Lyon"], "Manager": ["Ute", "Luc"]}),
        source="test",
    )
    ws.save_table(
        "store_visits",
        pd.DataFrame({"StoreID": [1, 1, 2], "VisitDate": ["2024-01-01"] * 3, "Visitors": [10, 20, 5]}),
        source="test",
    )
    yield ws
    ws.close()


def test_names_split_and_stem():
    assert name_words("CustomerID") == ["customer", "id"]
    assert name_words("store_visits") == ["store", "visit"]
    assert name_words("Review Text") == ["review", "text"]
    assert stem("countries") == stem("country")


@pytest.mark.parametrize(
    ("question", "table"),
    [
        ("What is the average rating of the reviews?", "reviews"),
        ("Which manager runs the most stores?", "stores"),
        ("Total quantity per country", "sales"),
    ],
)
def test_link_picks_the_table_by_column_names(shop, question, table):
    linked = link(shop, question, embed=False)
    assert linked.tables[0] == table
    assert set(linked.columns[table]) == set(shop.columns_by_table()[table])  # full list for the grammar


def test_link_picks_the_table_by_a_stored_value(shop):
    linked = link(shop, "How many are there in Berlin?", embed=False)
    assert linked.tables[0] == "stores"
    assert any("Berlin" in line for line in linked.values)
    linked = link(shop, "How many for Germany?", embed=False)
    assert linked.tables[0] == "sales"


def test_link_adds_the_join_keys_and_fits_the_budget(shop):
    linked = link(shop, "number of visitors per store city", 700, embed=False)
    assert {"stores", "store_visits"} <= set(linked.tables)
    assert ("stores", "StoreID", "store_visits", "StoreID") in linked.joins
    assert "Join keys: stores.StoreID = store_visits.StoreID" in linked.card
    assert len(linked.card) <= 700
    assert set(grammar_tables(linked)) == set(linked.tables)


def test_link_with_embeddings_still_picks_the_table(shop):
    linked = link(shop, "How well were the products rated?", embed=True)
    assert "reviews" in linked.tables


def test_request_of_and_clean_sql():
    said = "units in germany\n\"germany\" -> sales.Country = 'Germany'"
    assert request_of(said) == "units in germany"
    assert clean_sql("```sql\nSELECT 1;\n```") == "SELECT 1"
    assert clean_sql("SQL: SELECT 2") == "SELECT 2"


def test_sql_fill_writes_a_validated_sql_query_call(ws):
    model = ScriptedModel().enqueue(
        "SELECT Country, sum(Quantity) AS units FROM sales GROUP BY Country LIMIT 5"
    )
    call, raw = sql_fill(
        model,
        SqlQuery(ws),
        [],
        ConversationState(),
        "units by country",
        validate=validate_call,
        generate=call_model,
    )
    assert call.name == "sql_query"
    # The same argument guard as a JSON fill: a LIMIT nobody asked for is dropped.
    assert call.args == {"sql": "SELECT Country, sum(Quantity) AS units FROM sales GROUP BY Country"}
    assert raw.endswith("LIMIT 5")
    sent = model.sent[0]
    assert sent["json_schema"] is None and '"sales"' in sent["grammar"] and '"Quantity"' in sent["grammar"]
    assert sent["messages"][-1]["content"].rstrip().endswith("SQL:")
    assert "Request: units by country" in sent["messages"][-1]["content"]


def test_tool_caller_in_grammar_mode_uses_sql_fill_and_carries_retries(ws):
    model = ScriptedModel().enqueue("SELECT count(*) AS n FROM sales")
    caller = ToolCaller(model, "system prompt", sql_mode="grammar")
    tool = SqlQuery(ws)
    state = ConversationState()
    messages = caller.fill_messages("how many rows?", tool, state, "")
    messages = caller.retry_messages(messages, tool, "SELECT nope FROM sales", "Referenced column nope")
    call, raw = caller.fill(tool, messages, state, "how many rows?")
    assert (
        call.args == {"sql": "SELECT count(*) AS n FROM sales"} and raw == "SELECT count(*) AS n FROM sales"
    )
    sent = model.sent[0]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == "SELECT nope FROM sales"
    assert "Referenced column nope" in sent[3]["content"] and "JSON" not in sent[3]["content"]


def test_tool_caller_json_mode_is_unchanged(ws):
    model = ScriptedModel().enqueue({"sql": "SELECT count(*) AS n FROM sales"})
    caller = ToolCaller(model, "system prompt")
    tool = SqlQuery(ws)
    state = ConversationState()
    call, _ = caller.fill(
        tool, caller.fill_messages("how many rows?", tool, state, ""), state, "how many rows?"
    )
    assert call.args == {"sql": "SELECT count(*) AS n FROM sales"}
    assert model.sent[0]["grammar"] is None and model.sent[0]["json_schema"] is not None


@pytest.mark.realmodel
def test_real_model_writes_runnable_sql_under_the_grammar(ws):
    """The default model, greedy, under the grammar of the linked tables: SQL that runs and answers."""
    from agent.models import default_spec, load_model

    model = load_model(default_spec())
    tool = SqlQuery(ws)
    call, raw = sql_fill(
        model,
        tool,
        [],
        ConversationState(),
        "How many units were sold in Germany?\n\"Germany\" -> sales.Country = 'Germany'",
        validate=validate_call,
        generate=call_model,
    )
    result = tool.run(call.parsed)
    assert not result.tables[0].df.empty, raw
    assert 16 in result.tables[0].df.iloc[0].tolist(), (raw, result.text)  # 4 + 2 + 6 + 6 - 2
