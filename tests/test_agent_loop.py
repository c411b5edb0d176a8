"""The agent loop with a scripted model: constrained calls, self-correction, state, persistence, failures."""

from __future__ import annotations

import pytest

from agent.assistant import Assistant, list_conversations, load_conversation
from agent.loop import RETRY_SAMPLES
from agent.models import ModelError, ScriptedModel
from agent.types import Answer, Step
from tests.agent_tools import RevenueBy, make_registry


@pytest.fixture
def model():
    return ScriptedModel()


@pytest.fixture
def assistant(ws, model):
    # router "off": the model chooses among every tool (no embedder needed in these tests)
    return Assistant(model=model, workspace=ws, registry=make_registry(ws), router_mode="off")


def user_text(sent: dict) -> str:
    return sent["messages"][-1]["content"]


def test_constrained_two_step_call_runs_the_tool_and_writes_from_facts(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": ["country"]}, "Germany brought in 53.0.")
    answer = assistant.ask("revenue by country")

    choose, fill, write = model.sent
    assert choose["json_schema"]["properties"]["tool"]["enum"] == [
        "sql_query",
        "revenue_by",
        "count_customers",
        "none",
    ]
    assert (
        fill["json_schema"] == RevenueBy.Args.model_json_schema()
    )  # the tool's own schema, nothing rewritten
    assert write["json_schema"] is None
    assert "Germany.revenue = 53.0" in user_text(write)  # the writer sees the facts
    assert answer.tool_calls == [{"name": "revenue_by", "args": {"by": ["country"]}}]
    # the headline (code) first, then the model's interpretation
    headline = "United Kingdom has the highest revenue (81.00) and France the lowest (49.00)."
    assert answer.text == f"{headline} Germany brought in 53.0."
    assert answer.tables[0].df.set_index("country")["revenue"].to_dict() == {
        "France": 49.0,
        "Germany": 53.0,
        "United Kingdom": 81.0,
    }
    assert answer.error is None


def test_stream_yields_steps_in_order_then_the_answer(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {}, "Total revenue was 183.0.")
    events = list(assistant.stream("total revenue"))
    kinds = [e.kind for e in events if isinstance(e, Step)]
    assert kinds[:3] == ["route", "tool_call", "tool_result"]
    assert set(kinds[3:]) == {"writing"}
    assert "".join(e.text for e in events[3:-1]).strip() == "revenue: 183.00. Total revenue was 183.0."
    assert isinstance(events[-1], Answer) and events[-1].facts[0].value == 183.0


def test_sql_error_goes_back_to_the_model_and_the_retry_succeeds(assistant, model):
    bad = {"sql": "SELECT Contry, count(*) AS n FROM sales GROUP BY 1"}
    good = {"sql": "SELECT Country, count(*) AS n FROM sales GROUP BY 1 ORDER BY 1"}
    model.enqueue({"tool": "sql_query"}, bad, good, "Three countries.")
    events = list(assistant.stream("lines per country"))
    answer = events[-1]

    retry_prompt = user_text(model.sent[2])
    assert "Did you mean Country? (sales has InvoiceNo," in retry_prompt  # the tool's error, sent back
    assert model.sent[2]["messages"][-2] == {
        "role": "assistant",
        "content": '{"sql": "SELECT Contry, count(*) AS n FROM sales GROUP BY 1"}',
    }
    assert [e.kind for e in events if isinstance(e, Step)].count("retry") == 1
    assert answer.error is None and answer.tables[0].df["n"].sum() == 20
    assert [c["args"]["sql"] for c in answer.tool_calls] == [bad["sql"], good["sql"]]


def test_invalid_arguments_are_retried_with_the_validation_error(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": "country"}, {"by": ["country"]}, "ok")
    answer = assistant.ask("revenue by country")
    assert "Invalid arguments for revenue_by" in user_text(model.sent[2])
    assert answer.error is None and answer.tool_calls[-1]["args"]["by"] == ["country"]


def test_a_tool_whose_calls_all_fail_hands_the_question_to_sql(assistant, model):
    invalid = {"by": "country"}  # a string, not a list: refused every time
    good = {"sql": "SELECT Country, count(*) AS n FROM sales GROUP BY 1 ORDER BY 1"}
    model.enqueue({"tool": "revenue_by"}, *[invalid] * (1 + 2 * RETRY_SAMPLES), good, "Three countries.")
    events = list(assistant.stream("lines per country"))
    answer = events[-1]
    switch = [e for e in events if isinstance(e, Step) and e.kind == "retry"][-1]
    assert "revenue_by call after 3 attempts" in switch.text and "Trying sql_query" in switch.text
    assert answer.error is None and answer.tool_calls[-1] == {"name": "sql_query", "args": good}
    assert answer.tables[0].df["n"].sum() == 20


def test_when_sql_fails_too_the_first_tools_reason_is_said(assistant, model):
    attempts = 1 + 2 * RETRY_SAMPLES
    model.enqueue(
        {"tool": "revenue_by"},
        *[{"by": "country"}] * attempts,
        *[{"sql": "SELECT nope FROM sales"}] * attempts,
    )
    answer = assistant.ask("lines per country")
    assert answer.error and "revenue_by call after 3 attempts" in answer.text and "nope" not in answer.text


def test_gives_up_after_the_retry_budget_with_a_clear_message(assistant, model):
    bad = {"sql": "SELECT nope FROM sales"}
    model.enqueue({"tool": "sql_query"}, *[bad] * (1 + 2 * RETRY_SAMPLES))
    answer = assistant.ask("something impossible")
    # choose + 1 try + 2 retries of RETRY_SAMPLES sampled candidates each, then no more model calls
    assert len(model.sent) == 2 + 2 * RETRY_SAMPLES
    assert answer.error and "after 3 attempts" in answer.text and "nope" in answer.text
    # the conversation is still usable
    model.enqueue({"tool": "revenue_by"}, {}, "Revenue was 183.0.")
    assert assistant.ask("total revenue").error is None


def test_tool_error_ends_the_turn_with_its_sentence(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": ["weekday"]})
    answer = assistant.ask("revenue by weekday")
    assert answer.text == "Cannot group by weekday; use month or country."
    assert len(model.sent) == 2  # not retried, not written up


def test_empty_result_says_so_with_the_filters(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"filters": {"Country": "Spain"}})
    answer = assistant.ask("revenue in Spain")
    assert "No rows matched" in answer.text and '"Country": "Spain"' in answer.text
    assert len(model.sent) == 2  # no write-up of nothing


def test_follow_up_keeps_the_grouping_and_adds_the_filter(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": ["month"]}, "Monthly revenue.")
    assistant.ask("revenue by month")
    model.enqueue(  # a follow-up keeps its tool: no choice, the model only fills the change
        {"follow_up": True, "arguments": {"filters": {"Country": "Germany"}}},
        "Germany: 17.0 in January and 36.0 in March.",
    )
    answer = assistant.ask("now only for Germany")

    fill = model.sent[3]
    assert "Previous call: revenue_by" in user_text(fill) and '"month"' in user_text(fill)
    assert set(fill["json_schema"]["properties"]) == {"follow_up", "arguments"}
    assert answer.tool_calls[-1]["args"] == {
        "by": ["month"],
        "filters": {"Country": "Germany"},
    }
    assert answer.tables[0].df.set_index("month")["revenue"].to_dict() == {"2011-01": 17.0, "2011-03": 36.0}
    assert assistant.conversation.state.filters == {"Country": "Germany"}


def test_a_new_question_is_not_merged_with_the_previous_one(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": ["month"], "filters": {"Country": "France"}}, "ok")
    assistant.ask("revenue by month in France")
    model.enqueue({"tool": "revenue_by"}, {"follow_up": False, "arguments": {}}, "ok")
    answer = assistant.ask("what is the total revenue?")
    assert answer.tool_calls[-1]["args"] == {} and answer.facts[0].value == 183.0


def test_another_tool_inherits_the_active_filters(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"filters": {"Country": "France"}}, "ok")
    assistant.ask("revenue in France")
    model.enqueue({"tool": "count_customers"}, {"follow_up": True, "arguments": {}}, "2 customers.")
    answer = assistant.ask("how many customers are those?")
    assert answer.tool_calls[-1]["args"]["filters"] == {"Country": "France"}
    assert answer.facts[0].value == 2


def test_conversation_survives_a_restart(ws, model, _home):
    first = Assistant(model=model, workspace=ws, registry=make_registry(ws), router_mode="off")
    model.enqueue({"tool": "revenue_by"}, {"by": ["month"]}, "Monthly revenue.")
    first.ask("revenue by month")
    conversation_id = first.conversation.id

    restarted = Assistant(
        model=model,
        workspace=ws,
        registry=make_registry(ws),
        router_mode="off",
        conversation_id=conversation_id,
    )
    assert restarted.conversation.state.last_call["args"]["by"] == ["month"]
    model.enqueue({"follow_up": True, "arguments": {"filters": {"Country": "France"}}}, "ok")
    answer = restarted.ask("only France")
    assert answer.tool_calls[-1]["args"]["by"] == ["month"]

    listed = list_conversations(ws.home)
    assert [c["id"] for c in listed] == [conversation_id] and listed[0]["turns"] == 2
    assert listed[0]["title"] == "revenue by month"
    assert load_conversation(conversation_id, ws.home).turns[1]["question"] == "only France"


def test_conversations_are_listed_newest_first_and_can_be_switched(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {}, "a")
    assistant.ask("first question")
    first = assistant.conversation.id
    assistant.new_conversation()
    model.enqueue({"tool": "revenue_by"}, {}, "b")
    assistant.ask("second question")
    assert [c["title"] for c in assistant.conversations()] == ["second question", "first question"]
    assert assistant.load_conversation(first).turns[0]["answer"] == "revenue: 183.00. a"  # headline + "a"


def test_model_failure_gives_a_clear_message_and_the_conversation_goes_on(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": ["month"]}, "Monthly revenue.")
    assistant.ask("revenue by month")
    model.enqueue(ModelError("the model server at localhost:8000 is not answering"))
    failed = assistant.ask("now only for Germany")
    assert failed.error and "not answering" in failed.text and "conversation is kept" in failed.text
    assert assistant.conversation.state.last_call["args"] == {"by": ["month"]}

    model.enqueue({"follow_up": True, "arguments": {"filters": {"Country": "Germany"}}}, "ok")
    assert assistant.ask("now only for Germany").tables[0].df["revenue"].tolist() == [17.0, 36.0]


def test_a_crashing_backend_is_reported_like_a_model_failure(assistant, model):
    model.enqueue(RuntimeError("CUDA out of memory"))
    answer = assistant.ask("revenue by month")
    assert answer.error and "CUDA out of memory" in answer.text


def test_writer_failure_falls_back_to_the_facts(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {}, ModelError("timeout after 60 s"))
    events = list(assistant.stream("total revenue"))
    answer = events[-1]
    assert any(isinstance(e, Step) and e.kind == "error" and "timeout" in e.text for e in events)
    assert answer.error is None and "revenue: 183.0" in answer.text


def test_plan_returns_the_call_without_running_anything(assistant, model):
    RevenueBy.runs = 0
    model.enqueue({"tool": "revenue_by"}, {"by": ["country"]})
    plan = assistant.plan("revenue by country")
    assert [c.to_dict() for c in plan.calls] == [{"name": "revenue_by", "args": {"by": ["country"]}}]
    assert RevenueBy.runs == 0 and assistant.conversation.turns == []
    assert plan.to_dict()["tool_calls"][0]["name"] == "revenue_by"


def test_a_greeting_needs_no_tool(assistant, model):
    model.enqueue({"tool": "none"}, "Hello! Ask me about your sales.")
    answer = assistant.ask("hello")
    assert answer.tool_calls == [] and answer.text == "Hello! Ask me about your sales."
    assert "revenue_by" in model.sent[1]["messages"][0]["content"]  # the reply knows what martmind can do


def test_follow_ups_with_the_real_metric_layer(ws, model):
    from tools.registry import default_registry

    assistant = Assistant(model=model, workspace=ws, registry=default_registry(ws), router_mode="off")
    model.enqueue({"tool": "metric_query"}, {"metrics": ["revenue"], "by": ["month"], "table": "sales"}, "ok")
    assistant.ask("revenue by month of the sales table")
    # The follow-up names a stored value: code changes the previous call, the model only writes.
    model.enqueue("ok")
    answer = assistant.ask("now only for Germany")
    germany = [{"column": "Country", "value": "Germany"}]
    assert answer.tool_calls[-1]["args"] == {
        "metrics": ["revenue"],
        "by": ["month"],
        "table": "sales",
        "filters": germany,
    }
    assert answer.tables[0].df["revenue"].tolist() == [17.0, 36.0]
    assert len(model.sent) == 4  # choose, fill, write; then the follow-up's write only

    model.enqueue("ok")
    answer = assistant.ask("and France instead?")
    assert answer.tool_calls[-1]["args"]["filters"] == [{"column": "Country", "value": "France"}]  # replaced
    assert answer.facts and sum(f.value for f in answer.facts if f.name.endswith("revenue")) == 49.0


def test_stored_values_the_request_names_are_given_to_the_model(ws, model):
    pytest.importorskip("tools.values")
    assistant = Assistant(model=model, workspace=ws, registry=make_registry(ws), router_mode="off")
    model.enqueue({"tool": "revenue_by"}, {"filters": {"Country": "Germany"}}, "ok")
    assistant.ask("revenue in germany")
    assert "sales.Country = 'Germany'" in user_text(model.sent[1])


def test_an_equality_filter_fills_an_argument_named_after_its_column():
    from agent.state import ConversationState

    state = ConversationState()
    state.record_call(
        "metric_query", {"metrics": ["revenue"], "filters": [{"column": "country", "value": "Germany"}]}
    )
    merged = state.merge_args("association_rules", {"item": None}, True, ["table", "item", "country"])
    assert merged == {"item": None, "country": "Germany"}
    assert (
        state.merge_args("association_rules", {}, False, ["country"]) == {}
    )  # a new question inherits nothing
