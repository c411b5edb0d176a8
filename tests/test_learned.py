"""Learning from the person: stored examples, worked examples in the fill prompt, the router, the commands."""

from __future__ import annotations

import json

import pytest

from agent.assistant import Assistant
from agent.learned import LearnedExamples
from agent.models import ScriptedModel
from tests.agent_tools import make_registry
from tests.conftest import tiny_sales
from tests.text_helpers import WordHashEmbedder
from tools import embeddings
from tools.base import ToolError
from tools.workspace import Workspace
from ui.cli import main

GERMANY_MONTHLY = {"by": ["month"], "filters": {"Country": "Germany"}}


@pytest.fixture(autouse=True)
def fake(monkeypatch):
    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    return embedder


@pytest.fixture
def model():
    return ScriptedModel()


def make_assistant(ws, model, router_mode="off") -> Assistant:
    return Assistant(model=model, workspace=ws, registry=make_registry(ws), router_mode=router_mode)


def tool_doc(sent: dict) -> str:
    """The step-2 prompt's tool description (the system message after the system prompt)."""
    return sent["messages"][1]["content"]


# -- the store -------------------------------------------------------------------------------------------
def test_add_similar_replace_and_remove(ws):
    store = LearnedExamples(ws)
    assert store.all() == [] and store.similar("revenue by month") == []
    first = store.add("revenue for Germany by month", "revenue_by", GERMANY_MONTHLY)
    store.add("how many customers are there", "count_customers", {})

    found = store.similar("revenue for France by month")
    assert [e.question for e in found] == ["revenue for Germany by month"]  # the unrelated one scores low
    assert found[0].tool == "revenue_by" and found[0].args == GERMANY_MONTHLY
    assert 0.5 < found[0].score < 1.0
    assert store.similar("revenue for France by month", tool="count_customers") == []

    again = store.add("Revenue for  Germany by month", "sql_query", {"sql": "SELECT 1"})
    assert again == first  # the same question (case and spacing aside) replaces the old entry
    assert len(store.all()) == 2
    assert store.similar("revenue for Germany by month")[0].args == {"sql": "SELECT 1"}

    removed = store.remove(first)
    assert removed.question == "Revenue for  Germany by month".strip()
    assert [e.tool for e in store.all()] == ["count_customers"]
    with pytest.raises(ToolError, match="no learned example"):
        store.remove(first)


def test_nothing_learned_never_opens_chroma(ws, model):
    assistant = make_assistant(ws, model, router_mode="top1")
    assert assistant.learned._collection is None  # constructing costs nothing
    model.enqueue({"sql": "SELECT count(*) AS n FROM sales"}, "There are 20 lines.")
    assert assistant.ask("how many lines in sales, use SQL").error is None
    assert assistant.learned._collection is None  # nor does asking, when nothing was ever learned


def test_learned_examples_survive_a_restart(tmp_path):
    ws = Workspace(tmp_path / "w", demo=False)
    LearnedExamples(ws).add("orders per country", "sql_query", {"sql": "SELECT 1"})
    again = LearnedExamples(Workspace(tmp_path / "w", demo=False))
    assert again.has_any() and [e.question for e in again.all()] == ["orders per country"]


# -- the fill prompt -------------------------------------------------------------------------------------
def test_the_fill_prompt_shows_a_learned_example_for_a_similar_question_only(ws, model):
    assistant = make_assistant(ws, model)
    assistant.learn("revenue for Germany by month", "revenue_by", GERMANY_MONTHLY)

    model.enqueue({"tool": "revenue_by"}, {"by": ["month"], "filters": {"Country": "France"}})
    plan = assistant.plan("revenue for France by month")
    assert plan.error is None
    doc = tool_doc(model.sent[1])
    learned = 'Request: revenue for Germany by month\nArguments: {"by": ["month"], "filters": {"Country": "Germany"}}'
    assert learned in doc

    model.enqueue({"tool": "revenue_by"}, {})
    assistant.plan("what did the shop earn overall")
    assert "Germany" not in tool_doc(model.sent[3])


def test_learned_examples_come_first_most_similar_first(ws, model):
    assistant = make_assistant(ws, model)
    assistant.learn("revenue by month", "revenue_by", {"by": ["month"]})
    assistant.learn("revenue for Germany by month", "revenue_by", GERMANY_MONTHLY)
    model.enqueue({"tool": "revenue_by"}, {})
    assistant.plan("revenue for Germany by month in 2011")  # another request: the model writes its call
    doc = tool_doc(model.sent[1])
    assert doc.index("Request: revenue for Germany by month") < doc.index("Request: revenue by month")


# -- the router ------------------------------------------------------------------------------------------
def test_a_learned_question_routes_to_its_tool(ws, model):
    question = "how many people shop with us"
    assistant = make_assistant(ws, model, router_mode="top1")
    assert assistant.router.route(question, "top1").fixed != "count_customers"
    assistant.learn(question, "count_customers", {})
    assert assistant.router.route(question, "top1").fixed == "count_customers"
    assert assistant.router.route(question, "auto").fixed == "count_customers"

    # a new Assistant over the same home learns it lazily, on its first route
    fresh = make_assistant(ws, model, router_mode="top1")
    assert fresh.learned._collection is None
    model.enqueue("Five customers.")  # the taught call itself runs: the model only writes
    answer = fresh.ask(question)
    assert answer.tool_calls == [{"name": "count_customers", "args": {}}]

    fresh.forget_learned(fresh.learned.all()[0].id)
    assert fresh.router.route(question, "top1").fixed != "count_customers"


def test_the_taught_question_runs_its_taught_call_and_another_year_does_not(ws, model):
    assistant = make_assistant(ws, model, router_mode="top1")
    sql = "SELECT count(DISTINCT CustomerID) AS vips FROM sales WHERE Quantity >= 5"
    assistant.learn("How many VIP customers did we have in 2011?", sql=sql)
    model.enqueue("Two VIPs.")  # no tool choice, no arguments asked of the model
    answer = assistant.ask("how many VIP customers did we have in 2011")
    assert answer.tool_calls == [{"name": "sql_query", "args": {"sql": sql}}]
    assert answer.tables[0].df["vips"].tolist() == [2]
    assistant.new_conversation()
    other = {"sql": "SELECT count(*) AS n FROM sales WHERE year(InvoiceDate) = 2010"}
    model.enqueue(other, "ok")  # another year is another request: the model writes its call
    answer = assistant.ask("How many VIP customers did we have in 2010?")
    assert answer.tool_calls[-1] == {"name": "sql_query", "args": other}


# -- teaching --------------------------------------------------------------------------------------------
def test_learn_last_takes_the_last_turns_question_and_final_call(ws, model):
    assistant = make_assistant(ws, model)
    with pytest.raises(ToolError, match="ask a question first"):
        assistant.learn_last()
    model.enqueue({"tool": "revenue_by"}, {"by": ["country"]}, "Germany brought in 53.0.")
    assistant.ask("revenue by country")
    learned = assistant.learn_last()
    assert (learned.question, learned.tool, learned.args) == (
        "revenue by country",
        "revenue_by",
        {"by": ["country"]},
    )
    assert [(e.question, e.tool) for e in assistant.learned.all()] == [("revenue by country", "revenue_by")]


def test_learn_validates_the_call(ws, model):
    assistant = make_assistant(ws, model)
    with pytest.raises(ToolError, match="no tool"):
        assistant.learn("q", "no_such_tool", {})
    with pytest.raises(ToolError):
        assistant.learn("q", sql="DROP TABLE sales")
    with pytest.raises(ToolError, match="Say which tool"):
        assistant.learn("q")
    learned = assistant.learn("lines in sales", sql="SELECT count(*) FROM sales;")
    assert learned.tool == "sql_query" and learned.args == {"sql": "SELECT count(*) FROM sales"}


def test_the_correct_button_learns_the_sessions_last_answer(ws):
    from tests.ui_harness import Request, scripted_context
    from ui.chat import ChatHandlers

    ctx = scripted_context(ws)
    chat = ChatHandlers(ctx)
    try:
        list(chat.respond("revenue for Germany", Request("s1")))
        chat.mark_correct(Request("s1"))
        learned = ctx.session("s1").assistant.learned.all()
        assert [(e.question, e.tool) for e in learned] == [("revenue for Germany", "sql_query")]
        assert "Germany" in learned[0].args["sql"]
    finally:
        ctx.close()


# -- the commands ----------------------------------------------------------------------------------------
@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MARTMIND_DEMO", "0")
    path = tmp_path / "cli"
    ws = Workspace(path, demo=False)
    ws.save_table("sales", tiny_sales(), source="test")
    ws.close()
    return str(path)


def cli(capsys, home, *argv) -> tuple[int, dict]:
    code = main(["--home", home, *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_learn_sql_then_list_then_forget(home, capsys):
    sql = "SELECT count(DISTINCT InvoiceNo) AS invoices FROM sales"
    code, out = cli(capsys, home, "learn", "how many invoices are there?", "--sql", sql)
    assert code == 0 and out["learned"]["tool"] == "sql_query" and out["learned"]["args"] == {"sql": sql}
    code, out = cli(capsys, home, "learn", "--list")
    assert code == 0
    assert [(e["question"], e["tool"], e["args"]) for e in out["learned"]] == [
        ("how many invoices are there?", "sql_query", {"sql": sql})
    ]
    code, out = cli(capsys, home, "learn", "--forget", out["learned"][0]["id"])
    assert code == 0 and out["forgotten"]["question"] == "how many invoices are there?"
    assert cli(capsys, home, "learn", "--list")[1] == {"learned": []}


def test_learn_refuses_bad_usage_in_one_sentence(home, capsys):
    code, out = cli(capsys, home, "learn", "q", "--sql", "DELETE FROM sales")
    assert code != 0 and "error" in out
    code, out = cli(capsys, home, "learn", "--list", "--from-last")
    assert code == 2 and "Usage" in out["error"]
    code, out = cli(capsys, home, "learn", "--from-last")
    assert code == 2 and "no stored conversation" in out["error"]


def test_learn_from_last_takes_the_latest_conversation(home, capsys, model):
    ws = Workspace(home, demo=False)
    sql = "SELECT count(*) AS n FROM sales"
    model.enqueue({"tool": "sql_query"}, {"sql": sql}, "There are 20 lines.")
    make_assistant(ws, model).ask("how many lines does sales have")
    ws.close()
    code, out = cli(capsys, home, "learn", "--from-last")
    assert code == 0
    assert out["learned"]["question"] == "how many lines does sales have"
    assert (out["learned"]["tool"], out["learned"]["args"]) == ("sql_query", {"sql": sql})


def test_eval_learn_stores_every_gold_sql(home, capsys, tmp_path):
    golden = tmp_path / "golden.jsonl"
    rows = [
        {"question": "how many lines are in sales", "sql": "SELECT count(*) FROM sales"},
        {"question": "revenue of Germany", "tool": "metric_query"},
        {"question": "rows of another database", "sql": "SELECT count(*) FROM singer"},
    ]
    golden.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code, out = cli(capsys, home, "eval", str(golden), "--learn")
    assert code == 0 and out["learned"] == 1
    assert [s["question"] for s in out["skipped"]] == ["rows of another database"]
    code, out = cli(capsys, home, "learn", "--list")
    assert [e["question"] for e in out["learned"]] == ["how many lines are in sales"]
