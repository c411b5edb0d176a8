"""The headline composed by code: exact sentences for each result shape, every number traceable to the facts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from agent.assistant import Assistant
from agent.calls import ToolCall
from agent.grounding import check_answer, extract
from agent.headline import headline, scope_text
from agent.models import ScriptedModel
from agent.types import Step
from agent.writer import INTERPRETATION_TOKENS, WRITER_TOKENS
from tests.agent_tools import make_registry
from tools.base import Fact, Table, ToolResult, frame_facts
from tools.formats import number as format_number
from tools.sql import preview_text

UNITS = {"revenue": "currency", "orders": "count", "customers": "count", "cancellation_rate": "ratio"}


def metric_result(df: pd.DataFrame, dims: list[str], label=str) -> ToolResult:
    """A result shaped like metric_query's: facts ``<row label>.<metric>`` with the metric's unit."""
    facts = []
    for _, row in df.iterrows():
        prefix = " | ".join(label(row[d]) for d in dims) + "." if dims else ""
        for col in df.columns:
            if col not in dims:
                value = int(row[col]) if UNITS.get(col) == "count" else float(row[col])
                facts.append(Fact(prefix + col, value, "sql: SELECT ...", UNITS.get(col, "")))
    return ToolResult(text="metric_query result", tables=[Table("metrics", df)], facts=facts)


def sql_result(df: pd.DataFrame, sql: str = "SELECT ...") -> ToolResult:
    """A result shaped like sql_query's: a row-count preview and one fact per number."""
    return ToolResult(
        text=preview_text(df, False, 100_000),
        tables=[Table("result", df)],
        facts=frame_facts(df, source=f"sql: {sql}"),
        sql=[sql],
    )


def month(value) -> str:
    return value.strftime("%Y-%m")


COUNTRIES = ["United Kingdom", "Netherlands", "EIRE"]
MONTHS = pd.to_datetime(["2011-01-01", "2011-02-01", "2011-03-01", "2011-04-01"])


def case_single_figure():
    df = pd.DataFrame({"revenue": [8_998_790.91]})
    call = ToolCall("metric_query", {"metrics": ["revenue"], "date_range": "2011"})
    return call, metric_result(df, []), "revenue: 8,998,790.91 for 2011."


def case_few_figures_with_filters():
    df = pd.DataFrame({"orders": [18_532], "cancellation_rate": [0.016342]})
    filters = [{"column": "country", "value": "Germany"}, {"column": "Quantity", "op": ">", "value": 10}]
    call = ToolCall("metric_query", {"metrics": ["orders", "cancellation_rate"], "filters": filters})
    expected = "orders: 18,532, cancellation rate: 0.0163 (1.63%) where country = Germany and Quantity > 10."
    return call, metric_result(df, []), expected


def case_ranked():
    df = pd.DataFrame({"country": COUNTRIES, "revenue": [7_308_391.554, 285_446.34, 265_545.9]})
    call = ToolCall("metric_query", {"metrics": ["revenue"], "by": ["country"], "top": 3})
    expected = "United Kingdom has the highest revenue (7,308,391.55), followed by Netherlands (285,446.34)."
    return call, metric_result(df, ["country"]), expected


def case_ranked_counts_from_sql():
    """The reported defect: the answer named the runner-up (364) as the top; the first row (382) is the top."""
    sql = "SELECT Country, count(DISTINCT InvoiceNo) AS orders FROM online_retail GROUP BY 1 ORDER BY 2 DESC"
    df = pd.DataFrame({"Country": ["United Kingdom", "Germany", "France"], "orders": [382, 364, 120]})
    expected = "United Kingdom has the most orders (382), followed by Germany (364)."
    return ToolCall("sql_query", {"sql": sql}), sql_result(df, sql), expected


def case_ascending():
    df = pd.DataFrame(
        {"country": ["Saudi Arabia", "Bahrain", "Czech Republic"], "revenue": [131.17, 548.4, 707.72]}
    )
    args = {"metrics": ["revenue"], "by": ["country"], "sort": "asc", "top": 3, "date_range": "2011"}
    expected = "Saudi Arabia has the lowest revenue for 2011 (131.17), followed by Bahrain (548.40)."
    return ToolCall("metric_query", args), metric_result(df, ["country"]), expected


def case_unsorted():
    sql = "SELECT Country AS country, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1 ORDER BY 1"
    df = pd.DataFrame({"country": ["France", "Germany", "United Kingdom"], "revenue": [49.0, 53.0, 81.0]})
    expected = "United Kingdom has the highest revenue (81.00) and France the lowest (49.00)."
    return ToolCall("sql_query", {"sql": sql}), sql_result(df, sql), expected


def case_tie():
    df = pd.DataFrame({"country": ["Germany", "France", "Spain"], "orders": [12, 12, 3]})
    call = ToolCall("metric_query", {"metrics": ["orders"], "by": ["country"]})
    return call, metric_result(df, ["country"]), "Germany and France share the most orders (12)."


def case_top_one():
    df = pd.DataFrame({"country": ["United Kingdom"], "orders": [382]})
    call = ToolCall("metric_query", {"metrics": ["orders"], "by": ["country"], "top": 1})
    return call, metric_result(df, ["country"]), "United Kingdom has the most orders (382)."


def case_sql_top_one():
    sql = "SELECT Country, count(DISTINCT InvoiceNo) AS orders FROM sales GROUP BY 1 ORDER BY orders DESC LIMIT 1"
    df = pd.DataFrame({"Country": ["United Kingdom"], "orders": [382]})
    return (
        ToolCall("sql_query", {"sql": sql}),
        sql_result(df, sql),
        "United Kingdom has the most orders (382).",
    )


def case_numeric_ids():
    sql = "SELECT CustomerID, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1 ORDER BY 2 DESC"
    df = pd.DataFrame({"CustomerID": [14646, 18102, 17450], "revenue": [279_489.02, 256_438.49, 187_482.17]})
    expected = (
        "CustomerID 14646 has the highest revenue (279,489.02), followed by CustomerID 18102 (256,438.49)."
    )
    return ToolCall("sql_query", {"sql": sql}), sql_result(df, sql), expected


def case_one_labelled_row():
    df = pd.DataFrame({"country": ["Germany"], "revenue": [53.0]})
    call = ToolCall("metric_query", {"metrics": ["revenue"], "by": ["country"], "date_range": "2011-Q1"})
    return call, metric_result(df, ["country"]), "Germany: revenue 53.00 for 2011-Q1."


def case_time_series():
    df = pd.DataFrame({"month": MONTHS, "revenue": [100.0, 250.5, 80.0, 300.0]})
    call = ToolCall("metric_query", {"metrics": ["revenue"], "grain": "month"})
    expected = (
        "revenue rose from 100.00 in 2011-01 to 300.00 in 2011-04. "
        "It was highest in 2011-04 (300.00) and lowest in 2011-03 (80.00)."
    )
    return call, metric_result(df, ["month"], month), expected


def case_two_quarters():
    df = pd.DataFrame({"quarter": pd.to_datetime(["2011-01-01", "2011-04-01"]), "orders": [12, 9]})
    call = ToolCall("metric_query", {"metrics": ["orders"], "grain": "quarter"})

    def quarter(v):
        return f"{v.year}-Q{(v.month - 1) // 3 + 1}"

    return call, metric_result(df, ["quarter"], quarter), "orders fell from 12 in 2011-Q1 to 9 in 2011-Q2."


def case_ratio_series():
    df = pd.DataFrame({"month": MONTHS[:3], "cancellation_rate": [0.012, 0.02, 0.015]})
    call = ToolCall("metric_query", {"metrics": ["cancellation_rate"], "by": ["month"]})
    expected = (
        "cancellation rate rose from 1.20% in 2011-01 to 1.50% in 2011-03. "
        "It was highest in 2011-02 (2.00%) and lowest in 2011-01 (1.20%)."
    )
    return call, metric_result(df, ["month"], month), expected


def case_segments():
    df = pd.DataFrame(
        {
            "segment": ["champions", "loyal customers", "hibernating"],
            "customers": [763, 1200, 400],
            "share_customers": [0.3229, 0.5078, 0.1693],
            "revenue": [5_000_000.0, 2_500_000.5, 300_000.25],
        }
    )
    expected = "champions has the highest revenue (5,000,000.00), followed by loyal customers (2,500,000.50)."
    result = ToolResult("segments", [Table("segments", df)], facts=frame_facts(df, "segment_customers"))
    return ToolCall("segment_customers", {}), result, expected


def case_rules():
    df = pd.DataFrame(
        {
            "if_bought": ["RED MUG", "TEA TOWEL", "BLUE MUG"],
            "then_buy": ["BLUE MUG", "CAKE TIN", "RED MUG"],
            "support": [0.012, 0.03, 0.02],
            "confidence": [0.61, 0.4, 0.5],
            "lift": [3.2, 2.5, 1.75],
        }
    )
    facts = [
        Fact(f"{r.if_bought} -> {r.then_buy}.lift", r.lift, "association_rules") for r in df.itertuples()
    ]
    expected = "RED MUG → BLUE MUG has the highest lift (3.20), followed by TEA TOWEL → CAKE TIN (2.50)."
    return ToolCall("association_rules", {}), ToolResult("rules", [Table("rules", df)], facts=facts), expected


def case_generic_text_table():
    df = pd.DataFrame({"Description": ["RED MUG", "BLUE MUG", "TEA TOWEL"], "StockCode": ["A", "B", "C"]})
    expected = "The result has 3 rows with the columns Description, StockCode."
    return (
        ToolCall("sql_query", {"sql": "SELECT Description, StockCode FROM sales"}),
        sql_result(df),
        expected,
    )


def case_generic_numbers_without_names():
    df = pd.DataFrame({"Quantity": [2, 1, 4, 2], "UnitPrice": [3.0, 4.0, 3.0, 2.5]})
    expected = "The result has 4 rows with the columns Quantity, UnitPrice."
    return ToolCall("sql_query", {"sql": "SELECT Quantity, UnitPrice FROM sales"}), sql_result(df), expected


def case_one_row_of_text():
    df = pd.DataFrame({"Description": ["RED MUG"], "Country": ["France"]})
    call = ToolCall("sql_query", {"sql": "SELECT Description, Country FROM sales LIMIT 1"})
    return call, sql_result(df), "Description: RED MUG, Country: France."


def case_empty():
    df = pd.DataFrame({"revenue": pd.Series([], dtype=float)})
    args = {
        "metrics": ["revenue"],
        "date_range": "2011-05",
        "filters": [{"column": "country", "value": "Spain"}],
    }
    return (
        ToolCall("metric_query", args),
        metric_result(df, []),
        "No rows matched for 2011-05 where country = Spain.",
    )


CASES = [
    case_single_figure,
    case_few_figures_with_filters,
    case_ranked,
    case_ranked_counts_from_sql,
    case_ascending,
    case_unsorted,
    case_tie,
    case_top_one,
    case_sql_top_one,
    case_numeric_ids,
    case_one_labelled_row,
    case_time_series,
    case_two_quarters,
    case_ratio_series,
    case_segments,
    case_rules,
    case_generic_text_table,
    case_generic_numbers_without_names,
    case_one_row_of_text,
    case_empty,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_the_headline_of_each_result_shape(case):
    call, result, expected = case()
    assert headline("q", call, result) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_every_number_of_the_headline_is_supported_by_the_facts(case):
    call, result, _ = case()
    text = headline("q", call, result)
    context = ["q", json.dumps(call.args, ensure_ascii=False), result.text]  # what Agent._write checks with
    checked, record = check_answer(text, result.facts, context)
    assert record["unsupported"] == [] and checked == text
    assert all(m.kind != "malformed" for m in extract(text))


def test_numbers_held_as_objects_are_figures():
    """DuckDB's DECIMAL and HUGEINT columns arrive as Python objects."""
    from decimal import Decimal

    df = pd.DataFrame({"Country": ["Germany", "France"], "revenue": [Decimal("53.00"), Decimal("49.00")]})
    result = ToolResult("2 rows", [Table("result", df)])
    expected = "Germany has the highest revenue (53.00), followed by France (49.00)."
    assert headline("q", ToolCall("sql_query", {"sql": "SELECT ..."}), result) == expected


def test_the_top_row_is_named_even_when_the_runner_up_is_close():
    call, result, _ = case_ranked_counts_from_sql()
    text = headline("which country had the most orders?", call, result)
    assert (
        text.startswith("United Kingdom has the most orders (382)") and "364" in text.split("followed by")[1]
    )


@pytest.mark.parametrize(
    "result",
    [
        ToolResult("no table"),
        ToolResult(  # ROI's rows are different quantities: not a ranking
            "roi",
            [Table("results", pd.DataFrame({"metric": ["roi", "profit"], "value": [2.5, 1500.0]}))],
        ),
        ToolResult(  # three share the top: no short true sentence
            "t", [Table("t", pd.DataFrame({"country": ["A", "B", "C"], "orders": [5, 5, 5]}))]
        ),
        ToolResult(  # a label too long to quote
            "t", [Table("t", pd.DataFrame({"review": ["x" * 200, "y" * 200], "rating": [5, 1]}))]
        ),
        ToolResult("t", [Table("t", pd.DataFrame({"revenue": [float("nan")]}))]),
    ],
)
def test_nothing_safe_to_say_gives_no_headline(result):
    assert headline("q", ToolCall("sql_query", {}), result) == ""


def test_odd_values_never_raise():
    df = pd.DataFrame({"label": [None, {"a": 1}, 3.5], "n": [1, None, 2]})
    assert isinstance(headline("q", ToolCall("sql_query", {}), sql_result(df)), str)


@pytest.mark.parametrize(
    "value, fmt, written",
    [
        (1234567.891, "money", "1,234,567.89"),
        (0.5, "money", "0.50"),
        (18532.0, "count", "18,532"),
        (0.016342, "ratio", "0.0163 (1.63%)"),
        (0.016342, "percentage", "1.63%"),
        (12.5, "percent", "12.50%"),
        (3.14159, "number", "3.14"),
        (0.41234, "number", "0.4123"),
        (0.0012345, "number", "0.001234"),
        (-1500.0, "number", "-1,500.00"),
    ],
)
def test_numbers_are_written_exactly_and_readably(value, fmt, written):
    assert format_number(value, fmt) == written


def test_scope_names_the_period_and_filters():
    assert scope_text({"date_range": "last 3 months of the data"}) == "for the last 3 months of the data"
    between = [{"column": "Quantity", "op": "between", "values": [1, 10]}]
    assert scope_text({"filters": between}) == "where Quantity between 1 and 10"
    assert scope_text({"filters": {"Country": "France"}}) == "where Country = France"
    assert scope_text({"start": "2011-01-01", "end": "2011-03-31"}) == "from 2011-01-01 until 2011-03-31"
    assert scope_text({"metrics": ["revenue"]}) == ""


# -- in the agent loop -----------------------------------------------------------------------------------
class TokenRecordingModel(ScriptedModel):
    """A scripted model that also records the token budget of each call."""

    def generate(self, messages, *, max_new_tokens=512, **kwargs):
        self.budgets = [*getattr(self, "budgets", []), max_new_tokens]
        return super().generate(messages, max_new_tokens=max_new_tokens, **kwargs)


@pytest.fixture
def model():
    return TokenRecordingModel()


@pytest.fixture
def assistant(ws, model):
    return Assistant(model=model, workspace=ws, registry=make_registry(ws), router_mode="off")


def test_the_headline_streams_first_and_the_model_only_interprets(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": ["country"]}, "The UK market dominates.")
    events = list(assistant.stream("which country brings the most revenue?"))
    writing = [e.text for e in events if isinstance(e, Step) and e.kind == "writing"]
    lead = "United Kingdom has the highest revenue (81.00) and France the lowest (49.00)."
    assert writing[0] == lead + " "  # shown before the model writes a token
    answer = events[-1]
    assert answer.text == f"{lead} The UK market dominates."
    prompt = model.sent[-1]["messages"]
    assert lead in prompt[-1]["content"] and "already written" in prompt[0]["content"]
    assert model.budgets[-1] == INTERPRETATION_TOKENS < WRITER_TOKENS  # a short interpretation


def test_the_grounding_check_flags_the_models_part_only(assistant, model):
    model.enqueue({"tool": "revenue_by"}, {"by": ["country"]}, "Germany is close behind with 99.")
    answer = assistant.ask("revenue by country")
    assert answer.text.startswith(
        "United Kingdom has the highest revenue (81.00) and France the lowest (49.00)."
    )
    assert "99 [unverified]" in answer.text
    assert answer.grounding["numbers"] == 1 and answer.grounding["unsupported"] == ["99"]


def test_brief_skips_the_model(assistant, model):
    assistant.agent.brief = True
    model.enqueue({"tool": "revenue_by"}, {})
    answer = assistant.ask("total revenue")
    assert answer.text == "revenue: 183.00." and len(model.sent) == 2  # choose and fill; no writer call


def test_brief_without_a_headline_answers_with_the_plain_result(assistant, model):
    assistant.agent.brief = True
    model.enqueue({"tool": "sql_query"}, {"sql": "SELECT 'revenue' AS metric, 183.0 AS value"})
    answer = assistant.ask("the revenue figure")
    assert "183" in answer.text and len(model.sent) == 2


def test_ask_brief_on_the_command_line(ws, monkeypatch, capsys):
    from ui import cli
    from ui.commands import agent as agent_commands

    model = ScriptedModel()
    made = []

    def make(args, conversation_id=None):
        made.append(Assistant(model=model, workspace=ws, registry=make_registry(ws), router_mode="off"))
        return made[-1]

    monkeypatch.setattr(agent_commands, "make_assistant", make)
    model.enqueue({"tool": "revenue_by"}, {})
    assert cli.main(["ask", "total revenue", "--brief", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "revenue: 183.00."
    assert made[0].agent.brief is True and len(model.sent) == 2


def test_the_models_part_drops_what_restates_the_headline_and_a_cut_off_sentence():
    from agent.writer import interpretation

    lead = "revenue fell from £560,000.26 in 2011-01 to £433,668.01 in 2011-12."
    copied = "The revenue fell from £560,000.26 in 2011-01 to £433,668.01 in 2011-12."
    insight = "November's peak at £1,461,756.25 reflects Christmas shopping."
    cut = "It was lowest in 2011-12 (£433,66"
    assert interpretation(f"{copied} {insight} {cut}", lead, cut_off=True) == insight
    assert interpretation(f"{insight} Germany leads", lead) == f"{insight} Germany leads"  # ended there
    assert interpretation("Sales in 2011-12 look low because the data ends early.", lead) != ""
    assert interpretation(copied, lead) == ""
    assert interpretation("One. Two. Three.", lead) == "One. Two."  # two sentences at most
