"""The command line (`martmind ask/plan --json`), LangChain tools, the shared model cache and prompts."""

from __future__ import annotations

import json
import threading
import time

import pytest
from jinja2 import UndefinedError

import prompts
from agent import model_cache
from agent.assistant import Assistant
from agent.lc_tools import as_langchain_tools
from agent.models import ScriptedModel
from tests.agent_tools import make_registry
from ui import cli
from ui.commands import agent as agent_commands


@pytest.fixture
def scripted_cli(ws, monkeypatch):
    """`martmind` agent commands on the tiny workspace with a scripted model."""
    model = ScriptedModel()

    def make(args, conversation_id=None):
        return Assistant(model=model, workspace=ws, registry=make_registry(ws), router_mode="off")

    monkeypatch.setattr(agent_commands, "make_assistant", make)
    return model


def test_ask_json_prints_the_answer_contract(scripted_cli, capsys):
    scripted_cli.enqueue({"tool": "revenue_by"}, {"by": ["country"]}, "The UK leads with 81.0.")
    assert cli.main(["ask", "revenue by country", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    contract = {"text", "tool_calls", "sql", "tables", "facts", "timings"}
    assert set(out) == contract | {"sources", "grounding"}
    assert out["sources"][0]["tool"] == "revenue_by" and out["grounding"]["unsupported"] == []
    # the headline is composed by code from the result, then the model's interpretation follows
    assert (
        out["text"]
        == "United Kingdom has the highest revenue (81.00) and France the lowest (49.00). The UK leads with 81.0."
    )
    assert out["tool_calls"] == [{"name": "revenue_by", "args": {"by": ["country"]}}]
    assert out["tables"][0]["columns"] == ["country", "revenue"]
    assert ["United Kingdom", 81.0] in out["tables"][0]["rows"]
    assert {"name": "United Kingdom.revenue", "value": 81.0}.items() <= out["facts"][2].items()
    assert out["sql"][0].startswith("SELECT") and out["timings"]["total"] >= 0


def test_ask_json_failure_is_an_error_object_and_nonzero_exit(scripted_cli, capsys):
    scripted_cli.enqueue({"tool": "revenue_by"}, {"by": ["weekday"]})
    assert cli.main(["ask", "revenue by weekday", "--json"]) == 1
    assert json.loads(capsys.readouterr().out) == {"error": "Cannot group by weekday; use month or country."}


def test_plan_json_lists_the_call(scripted_cli, capsys):
    scripted_cli.enqueue({"tool": "sql_query"}, {"sql": "SELECT count(*) FROM sales"})
    assert cli.main(["plan", "how many lines?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tool_calls"] == [{"name": "sql_query", "args": {"sql": "SELECT count(*) FROM sales"}}]


def test_chat_streams_a_turn_and_quits_on_an_empty_line(scripted_cli, capsys, monkeypatch):
    lines = iter(["total revenue", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    scripted_cli.enqueue({"tool": "revenue_by"}, {}, "Revenue was 183.0.")
    assert cli.main(["chat"]) == 0
    captured = capsys.readouterr()
    assert "Revenue was 183.0." in captured.out and "[call] revenue_by" in captured.err


def test_langchain_tools_wrap_the_registry(ws):
    tools = {t.name: t for t in as_langchain_tools(make_registry(ws))}
    assert set(tools) == {"sql_query", "revenue_by", "count_customers"}
    revenue = tools["revenue_by"]
    assert revenue.args_schema.model_json_schema()["properties"]["by"]["description"].startswith("Group by")
    message = revenue.invoke(
        {"type": "tool_call", "id": "1", "name": "revenue_by", "args": {"filters": {"Country": "France"}}}
    )
    assert "49.0" in message.content and message.artifact.fact("revenue") == 49.0
    assert "Cannot group by" in revenue.invoke({"by": ["weekday"]})  # a ToolError is the tool's message


def test_the_shared_model_loads_once_and_serves_one_call_at_a_time(monkeypatch):
    loads, active, overlap = [], [0], []

    class Slow(ScriptedModel):
        def generate(self, messages, **kwargs):
            active[0] += 1
            overlap.append(active[0])
            time.sleep(0.01)
            active[0] -= 1
            return super().generate(messages, **kwargs)

    def fake_load(spec):
        loads.append(spec)
        return Slow(spec=spec).enqueue(*["x"] * 8)

    monkeypatch.setattr(model_cache, "load_model", fake_load)
    monkeypatch.setattr(model_cache, "_models", {})
    models = []
    threads = [
        threading.Thread(target=lambda: models.append(model_cache.shared_model("fake:1"))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == ["fake:1"] and len({id(m) for m in models}) == 1
    calls = [
        threading.Thread(target=models[0].generate, args=([{"role": "user", "content": "hi"}],))
        for _ in range(4)
    ]
    for t in calls:
        t.start()
    for t in calls:
        t.join()
    assert max(overlap) == 1


def test_prompts_fail_loudly_on_a_missing_variable():
    with pytest.raises(UndefinedError):
        prompts.render("agent", "retry", tool_name="sql_query")
    assert "sql_query" in prompts.render("agent", "retry", tool_name="sql_query", error="boom")
