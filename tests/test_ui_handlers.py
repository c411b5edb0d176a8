"""The UI's handlers without a browser: streaming a turn, stop, sessions, history, data, settings, CLI."""

from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

pytest.importorskip("agent.assistant", reason="the agent (Assistant.stream) is not in this checkout yet")

from agent.types import Answer, Step  # noqa: E402
from tests.ui_harness import Analyst, Request, scripted_context  # noqa: E402
from tools.base import Table, ToolError, ToolResult  # noqa: E402
from ui import cli  # noqa: E402
from ui.chat import ChatHandlers  # noqa: E402
from ui.commands.ui import parse_auth  # noqa: E402
from ui.data_tab import DataHandlers, card_frame  # noqa: E402
from ui.errors import friendly, guarded  # noqa: E402
from ui.output import CommandError  # noqa: E402
from ui.reports_tab import NOT_AVAILABLE, ReportHandlers  # noqa: E402
from ui.settings_tab import SettingsHandlers, model_status  # noqa: E402
from ui.turn import TurnView  # noqa: E402


@pytest.fixture
def ui(ws):
    ctx = scripted_context(ws)
    yield ctx, ChatHandlers(ctx)
    ctx.close()


def run(handler, question: str, session: str = "s1") -> list[tuple]:
    """Every frame a streaming turn yields, as the page saw it at that moment (later frames update the
    same message dicts, as Gradio sends each frame before asking for the next)."""
    return [(snapshot(f[0]), *f[1:]) for f in handler.respond(question, Request(session))]


def snapshot(messages: list[dict]) -> list[dict]:
    return [{**m, "metadata": dict(m["metadata"])} if "metadata" in m else dict(m) for m in messages]


def texts(messages: list[dict]) -> list[str]:
    """The plain chat texts (questions and answers), without the step panels."""
    return [
        m["content"]
        for m in messages
        if isinstance(m.get("content"), str) and not (m.get("metadata") or {}).get("title")
    ]


def panels(messages: list[dict]) -> list[dict]:
    return [m for m in messages if (m.get("metadata") or {}).get("title")]


# -- one turn as messages -----------------------------------------------------------------------------------
def test_turn_view_shows_each_step_then_the_answer():
    view = TurnView("revenue by country")
    view.apply(Step(kind="route", args={"ranked": [["sql_query", 0.71]], "fixed": None}, text="sql_query"))
    view.apply(Step(kind="tool_call", tool="sql_query", args={"sql": "SELECT 1 AS x"}))
    tool = panels(view.messages)[-1]
    assert tool["metadata"]["title"] == "Tool: sql_query" and tool["metadata"]["status"] == "pending"
    assert "SELECT\n  1 AS x" in tool["content"]  # the SQL to run, shown while it runs

    df = pd.DataFrame({"x": [1, 2]})
    result = ToolResult(text="2 rows", tables=[Table("result", df)], sql=["SELECT 1 AS x"])
    view.apply(
        Step(
            kind="tool_result",
            tool="sql_query",
            args={"sql": "SELECT 1 AS x"},
            sql=result.sql,
            text=result.text,
            result=result,
            seconds=0.25,
        )
    )
    tool = panels(view.messages)[-1]
    assert tool["metadata"] == {
        "title": "Tool: sql_query",
        "status": "done",
        "log": "2 rows",
        "duration": 0.25,
    }
    assert "**SQL**" in tool["content"] and "```sql\nSELECT\n  1 AS x\n```" in tool["content"]  # laid out
    assert "**Arguments**" not in tool["content"]  # the only argument was the SQL, shown as SQL

    for token in ["Two ", "rows."]:
        view.apply(Step(kind="writing", text=token))
    assert texts(view.messages)[-1] == "Two rows."
    figure = go.Figure(go.Bar(x=["a"], y=[1]))
    view.apply(Answer(text="There are two rows.", tables=result.tables, charts=[figure]))
    assert "There are two rows." in texts(view.messages)
    assert type(view.messages[-1]["content"]).__name__ == "Plot"  # the chart, inline in the chat


def test_turn_view_failure_and_stop_are_one_sentence_each():
    view = TurnView("q")
    view.apply(Step(kind="error", text="The model failed (timeout)."))
    view.apply(Answer(text="The model failed (timeout).", error="The model failed (timeout)."))
    assert texts(view.messages)[-1] == "**Could not answer.** The model failed (timeout)."
    stopped = TurnView("q")
    stopped.apply(Step(kind="writing", text="Revenue was "))
    stopped.stopped()
    assert texts(stopped.messages)[-1] == "Revenue was\n\n*Stopped.*"


# -- streaming a turn ---------------------------------------------------------------------------------------
def test_a_turn_streams_its_tool_step_before_the_answer_and_fills_the_results(ui):
    ctx, chat = ui
    frames = run(chat, "revenue for France")
    chat_values = [f[0] for f in frames]
    pending = [p for value in chat_values for p in panels(value) if p["metadata"]["status"] == "pending"]
    assert any(p["metadata"]["title"] == "Tool: sql_query" for p in pending)  # seen while it ran
    final = chat_values[-1]
    assert final[0] == {"role": "user", "content": "revenue for France"}
    assert "France: revenue 49.00. Revenue for France is in the table below." in texts(final)
    assert "WHERE\n  Country = 'France'" in panels(final)[1]["content"]
    assert (
        frames[-1][2]["interactive"] is True and frames[-1][3]["visible"] is False
    )  # Send back, Stop hidden

    box, pick, table, csv_path = chat.show_results(Request("s1"))
    assert box["visible"] is True
    assert pick["value"] == "result" and pick["visible"] is False  # one table: no picker
    assert table["value"].to_dict("records") == [{"Country": "France", "revenue": "49.00"}]  # shown formatted
    assert pd.read_csv(csv_path).to_dict("records") == [{"Country": "France", "revenue": 49.0}]


def test_the_page_shows_at_most_the_row_limit_and_the_csv_has_every_row(ui):
    ctx, chat = ui
    ctx.settings.display_rows = 1
    run(chat, "revenue by country")
    _box, _pick, table, csv_path = chat.show_results(Request("s1"))
    assert len(table["value"]) == 1 and "first 1 shown" in table["label"]
    assert len(pd.read_csv(csv_path)) == 3


def test_stop_ends_the_turn_at_once_and_the_stopped_turn_is_not_saved(ws):
    gate = threading.Event()
    ctx = scripted_context(ws, Analyst(gate=gate))
    chat, request = ChatHandlers(ctx), Request("s1")
    frames = chat.respond("revenue for Germany, slowly", request)
    for value, *_ in frames:  # runs until the tool finished and the model is writing (blocked on the gate)
        if any(
            p["metadata"]["title"] == "Tool: sql_query" and p["metadata"]["status"] == "done"
            for p in panels(value)
        ):
            break
    chat.stop(request)
    rest = list(frames)
    assert texts(rest[-1][0])[-1].endswith("*Stopped.*")
    session = ctx.session("s1")
    gate.set()  # the model finishes its call; the worker then drops the answer
    assert session.busy.acquire(timeout=10)
    session.busy.release()
    assert session.assistant.conversation.turns == []
    frames = run(chat, "revenue for France")  # the session works on
    assert "France: revenue 49.00. Revenue for France is in the table below." in texts(frames[-1][0])
    ctx.close()


def test_two_sessions_at_once_keep_their_own_answers(ws):
    ctx = scripted_context(ws, Analyst(write_delay_s=0.2))
    chat = ChatHandlers(ctx)
    finals: dict[str, list] = {}

    def ask(session: str, country: str) -> None:
        finals[session] = run(chat, f"revenue for {country}", session)[-1][0]

    threads = [threading.Thread(target=ask, args=a) for a in (("a", "France"), ("b", "Germany"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert "France: revenue 49.00. Revenue for France is in the table below." in texts(finals["a"])
    assert not any("Germany" in t for t in texts(finals["a"]))
    assert "Germany: revenue 53.00. Revenue for Germany is in the table below." in texts(finals["b"])
    assert not any("France" in t for t in texts(finals["b"]))
    for session, country in (("a", "France"), ("b", "Germany")):
        turns = ctx.session(session).assistant.conversation.turns
        assert [t["question"] for t in turns] == [f"revenue for {country}"]
    ctx.close()


def test_a_broken_model_gives_one_sentence_not_a_traceback(ws):
    ctx = scripted_context(ws, Analyst(fail_with="out of memory"))
    final = run(ChatHandlers(ctx), "revenue for France")[-1][0]
    answer = texts(final)[-1]
    assert answer.startswith("**Could not answer.**") and "out of memory" in answer
    assert "Traceback" not in answer and answer.count("\n") == 0
    ctx.close()


def test_history_lists_past_conversations_and_reopens_one(ui):
    ctx, chat = ui
    request = Request("s1")
    run(chat, "revenue for France")
    first_id = ctx.session("s1").assistant.conversation.id
    chatbot, history = chat.new_conversation(request)
    assert chatbot == [] and [value for _, value in history["choices"]] == [first_id]
    assert history["choices"][0][0].startswith("revenue for France · ")
    reopened = chat.open_conversation(first_id, request)
    assert texts(reopened) == [
        "revenue for France",
        "France: revenue 49.00. Revenue for France is in the table below.",
    ]
    assert "Country = 'France'" in panels(reopened)[0]["content"]
    run(chat, "revenue for Germany")  # continues the reopened conversation
    assert len(ctx.session("s1").assistant.conversation.turns) == 2


# -- errors -------------------------------------------------------------------------------------------------
def test_guarded_handlers_turn_any_exception_into_one_sentence():
    seen = []
    fail = guarded(seen.append)

    def tool_error():
        raise ToolError("There is no table salez; did you mean sales?")

    def bug():
        raise KeyError("x")

    def stream():
        yield 1
        raise ValueError("bad value\nsecond line")

    fail(tool_error)()
    fail(bug)()
    assert list(fail(stream)()) == [1, None]
    assert seen[0] == "There is no table salez; did you mean sales?"
    assert seen[1].startswith("Something went wrong (") and "restart" in seen[1]
    assert "second line" not in seen[2] and "\n" not in seen[2]
    assert friendly(MemoryError()).startswith("The computer ran out of memory")


# -- Data tab -----------------------------------------------------------------------------------------------
def test_a_bad_upload_is_one_friendly_sentence_and_a_good_one_becomes_a_table(ws, tmp_path):
    pytest.importorskip("tools.loader", reason="the file loader is not in this checkout yet")
    ctx = scripted_context(ws)
    data = DataHandlers(ctx)
    bad = tmp_path / "orders.csv"
    bad.write_bytes(b"\x00\x01\x02 not text \xff\xfe")
    message, tables, _ = data.upload(str(bad), "", "")
    assert 'class="mm-error"' in message and "orders.csv was not loaded:" in message
    assert "Traceback" not in message and ws.tables() == ["sales"]

    good = tmp_path / "shop orders.csv"
    good.write_text("Order ID,Amount\n1,10.5\n2,7\n", encoding="utf-8")
    message, tables, _ = data.upload(str(good), "", "")
    assert 'class="mm-ok"' in message and "2 rows" in message
    assert "shop_orders" in tables["choices"] and tables["value"] == "shop_orders"
    header, card, preview = data.show_table("shop_orders")
    assert header.startswith("**shop_orders** · 2 rows · 2 columns")
    assert list(card["column"]) == ["order_id (file: Order ID)", "Amount"]
    assert preview["Amount"].tolist() == [10.5, 7.0]
    ctx.close()


def test_schema_card_rows_summarise_each_column():
    card = {
        "columns": [
            {
                "name": "Country",
                "type": "VARCHAR",
                "roles": [],
                "null_share": 0.0,
                "min": None,
                "values": [{"value": "France", "count": 3}, {"value": "Germany", "count": 1}],
            },
            {
                "name": "CustomerID",
                "type": "BIGINT",
                "roles": ["customer_id"],
                "null_share": 0.05,
                "min": 1,
                "max": 5,
            },
        ]
    }
    rows = card_frame(card).to_dict("records")
    assert rows[0] == {
        "column": "Country",
        "type": "VARCHAR",
        "roles": "",
        "null": "",
        "values": "France, Germany",
    }
    assert rows[1]["values"] == "1 .. 5" and rows[1]["null"] == "5%" and rows[1]["roles"] == "customer_id"


# -- Settings and Reports -----------------------------------------------------------------------------------
def test_settings_show_the_model_status_without_loading_it_and_apply_row_limits(ws):
    from ui.session import UiContext

    ctx = UiContext(ws, model="transformers:not-loaded-here")
    status = model_status(ctx)
    assert "`transformers:not-loaded-here`" in status and "not loaded yet" in status
    settings = SettingsHandlers(ctx)
    assert settings.apply_limits(20, 300).startswith("Result tables show up to 20 rows")
    assert ctx.settings.display_rows == 20 and ws.max_rows == 300
    assert settings.apply_limits(0, 300) == "Row limits must be at least 1."
    ctx.close()


def test_reports_say_not_available_until_a_report_builder_exists_then_use_it(ws, tmp_path, monkeypatch):
    from ui import reports_tab

    ctx = scripted_context(ws)
    reports = ReportHandlers(ctx)
    monkeypatch.setattr(reports_tab, "REPORT_MODULES", ("martmind_no_such_module",))
    assert reports.generate(None, Request("s1")) == (NOT_AVAILABLE, None, None)

    html, md = tmp_path / "r.html", tmp_path / "r.md"
    html.write_text("<h1>Sales</h1>"), md.write_text("# Sales\n\nRevenue rose.")
    module = types.SimpleNamespace(build_report=lambda *a, **k: {"html_path": html, "markdown_path": md})
    monkeypatch.setitem(sys.modules, "martmind_fake_reports", module)
    monkeypatch.setattr(reports_tab, "REPORT_MODULES", ("martmind_fake_reports",))
    assert reports.generate("monthly sales review", Request("s1")) == (
        "# Sales\n\nRevenue rose.",
        str(html),
        str(md),
    )
    ctx.close()


# -- the command --------------------------------------------------------------------------------------------
def test_ui_refuses_a_public_address_without_auth(capsys):
    assert cli.main(["ui", "--host", "0.0.0.0"]) == 2
    assert "--auth user:password" in capsys.readouterr().err


def test_auth_is_user_colon_password():
    assert parse_auth("ana:s3:cret") == ("ana", "s3:cret")
    assert parse_auth(None) is None
    with pytest.raises(CommandError):
        parse_auth("ana")


def test_launch_itself_refuses_a_public_address_without_auth(ws):
    from ui.app import launch

    with pytest.raises(ValueError, match="--auth"):
        launch(None, None, host="0.0.0.0")


def test_sessions_are_dropped_when_their_tab_closes(ui):
    ctx, chat = ui
    run(chat, "revenue for France", "gone")
    chat.show_results(Request("gone"))  # writes the CSV download
    export_dir = Path(ctx.session("gone").export_dir)
    assert ctx.session_count() == 1 and any(export_dir.iterdir())
    ctx.drop("gone")
    assert ctx.session_count() == 0 and not export_dir.exists()


def test_the_first_question_shows_the_model_loading_with_a_running_clock(ws, monkeypatch):
    from agent import model_cache
    from agent.assistant import Assistant
    from tests.ui_harness import EndlessScript
    from ui import chat as chat_module
    from ui.session import UiContext

    def slow_load(spec):
        time.sleep(0.5)
        return EndlessScript(Analyst())

    monkeypatch.setattr(model_cache, "load_model", slow_load)
    monkeypatch.setattr(model_cache, "_models", {})
    monkeypatch.setattr(chat_module, "TICK_S", 0.1)
    ctx = UiContext(
        ws,
        model="fake:slow",
        assistant_factory=lambda w: Assistant(model="fake:slow", workspace=w, router_mode="off"),
    )
    frames = [f[0] for f in run(ChatHandlers(ctx), "revenue for France")]
    loading = [p for value in frames for p in panels(value) if p["metadata"]["title"] == "Loading the model"]
    assert loading[0]["metadata"]["status"] == "pending"
    assert any(p["metadata"].get("log", "").startswith("running, ") for p in loading)  # the clock ticked
    assert loading[-1]["metadata"]["status"] == "done" and loading[-1]["metadata"]["duration"] >= 0.5
    assert "France: revenue 49.00. Revenue for France is in the table below." in texts(frames[-1])
    assert ctx.model_loaded()  # later questions (and other sessions) skip the load
    ctx.close()
