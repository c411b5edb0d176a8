"""A golden set run through a stand-in answer source: every figure of the summary, and the comparison gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.evaluation import compare_reports, evaluate, load_golden
from agent.evaluation.compare import load_report
from agent.evaluation.report import write_report
from agent.types import Answer, Step
from tools.base import ToolError
from tools.sql import SqlQuery

GOLDEN = [
    {
        "id": "rev_country",
        "question": "Revenue by country",
        "tool": "sql_query",
        "tags": ["revenue"],
        "sql": "SELECT Country, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY Country",
    },
    {
        "id": "top_customer",
        "question": "Top customer by units",
        "tool": ["sql_query", "metric_query"],
        "sql": "SELECT CustomerID, sum(Quantity) AS units FROM sales WHERE CustomerID IS NOT NULL "
        "GROUP BY 1 ORDER BY units DESC LIMIT 1",
    },
    {
        "id": "orders",
        "question": "How many orders?",
        "expected": {"columns": ["orders"], "rows": [[11]]},
        "tags": ["orders"],
    },
    {"id": "segments", "question": "Segment my customers", "tool": "segment_customers"},
]

# What the stand-in "model" writes for each question: SQL (run for real on the workspace) or a tool name.
PREDICTIONS = {
    "Revenue by country": ["SELECT sum(UnitPrice * Quantity) AS rev, Country FROM sales GROUP BY 2"],
    "Top customer by units": [
        "SELECT CustomerID, sum(Quantiti) FROM sales GROUP BY 1",  # retried
        "SELECT CustomerID, sum(Quantity) AS u FROM sales GROUP BY 1 ORDER BY u DESC LIMIT 1",
    ],
    "How many orders?": ["SELECT count(DISTINCT InvoiceNo) FROM sales"],  # counts the cancellation: wrong
}


def fake_answer_source(ws):
    """Runs the scripted SQL through the real sql_query tool, recording steps as the agent would."""

    def answer(question: str) -> Answer:
        if question not in PREDICTIONS:
            return Answer(
                text="Here are your segments.",
                tool_calls=[{"name": "cluster_texts", "args": {}}],
                timings={"total": 0.1},
            )
        steps, calls = [], []
        for sql in PREDICTIONS[question]:
            calls.append({"name": "sql_query", "args": {"sql": sql}})
            steps.append(Step("tool_call", tool="sql_query", args={"sql": sql}))
            try:
                result = SqlQuery(ws)(sql=sql)
            except ToolError as e:
                steps.append(Step("retry", tool="sql_query", text=str(e)))
                continue
            steps.append(Step("tool_result", tool="sql_query", sql=result.sql, result=result))
            return Answer(
                text="done",
                tool_calls=calls,
                sql=result.sql,
                tables=result.tables,
                steps=steps,
                timings={"total": 0.2, "prompt_tokens": 100, "completion_tokens": 20},
            )
        return Answer(text="", tool_calls=calls, steps=steps, error="gave up")

    return answer


@pytest.fixture
def golden_file(tmp_path):
    path = tmp_path / "golden.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in GOLDEN) + "\n")
    return path


def test_run_scores_every_figure(ws, golden_file):
    report = evaluate(load_golden(golden_file), fake_answer_source(ws), ws, meta={"model": "fake"})
    by_id = {q["id"]: q for q in report.questions}
    assert by_id["rev_country"]["exec_match"] is True  # other column order and names
    assert by_id["top_customer"]["exec_match"] is True
    assert by_id["top_customer"]["retries"] == 1
    assert by_id["top_customer"]["hallucinated"] is True  # the first attempt named Quantiti
    assert by_id["top_customer"]["unknown_names"] == ["column Quantiti"]
    assert by_id["orders"]["exec_match"] is False and by_id["orders"]["mismatch"] == "values differ"
    assert by_id["segments"]["tool_correct"] is False and by_id["segments"]["exec_match"] is None
    s = report.summary
    assert s["execution_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["tool_accuracy"] == pytest.approx(2 / 3, abs=1e-4)  # 3 questions name a tool
    assert s["hallucination_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["retries_total"] == 1 and s["questions_with_retry"] == 1
    assert s["tokens_total"] == 360 and s["latency_p50_s"] is not None
    assert s["by_tag"]["revenue"]["execution_accuracy"] == 1.0
    assert report.meta["model"] == "fake" and "machine" in report.meta


def test_answer_source_that_raises_is_a_failed_question_not_a_crash(ws, golden_file):
    def broken(question):
        raise RuntimeError("model fell over")

    report = evaluate(load_golden(golden_file), broken, ws)
    assert report.summary["execution_accuracy"] == 0.0
    assert all("model fell over" in q["error"] for q in report.questions)


def test_broken_gold_sql_is_reported_not_scored(ws, tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps({"question": "q", "sql": "SELECT nope FROM sales"}) + "\n")
    report = evaluate(load_golden(path), fake_answer_source(ws), ws)
    assert report.summary["gold_errors"] == 1 and report.summary["execution_scored"] == 0


def test_report_files_and_html_shows_failures_side_by_side(ws, golden_file, tmp_path):
    report = evaluate(load_golden(golden_file), fake_answer_source(ws), ws)
    paths = write_report(report, tmp_path / "out")
    data = load_report(paths["json"])
    assert data["summary"]["questions"] == 4
    page = Path(paths["html"]).read_text(encoding="utf-8")
    assert "How many orders?" in page and "count(DISTINCT InvoiceNo)" in page and "values differ" in page
    assert "Revenue by country" not in page  # passed questions are not listed as failures
    assert "<script src" not in page and "stylesheet" not in page  # self-contained


def test_compare_fixed_broken_same():
    def run(results):
        return {
            "summary": {},
            "questions": [
                {"id": k, "question": k, "exec_match": v, "tool_correct": None} for k, v in results.items()
            ],
        }

    a = run({"q1": True, "q2": False, "q3": True, "q4": False, "gone": True})
    b = run({"q1": True, "q2": True, "q3": False, "q4": False, "new": True})
    cmp = compare_reports(a, b)
    assert [q["id"] for q in cmp.fixed] == ["q2"]
    assert [q["id"] for q in cmp.broken] == ["q3"]
    assert (cmp.same_pass, cmp.same_fail) == (1, 1)
    assert cmp.only_in_a == ["gone"] and cmp.only_in_b == ["new"]
    assert cmp.exit_code == 1
    assert compare_reports(a, a).exit_code == 0


@pytest.mark.parametrize(
    "content,message",
    [
        ('{"question": "x"}\n', "give 'sql' or 'expected'"),
        ('{"question": "x", "sql": "SELECT 1", "colour": "red"}\n', "unknown key"),
        ("not json\n", "line 1 is not valid JSON"),
        ('{"question": "x", "expected": {"rows": [[1, 2], [3]]}, "sql": null}\n', "expected row"),
    ],
)
def test_malformed_golden_set_gets_one_clear_sentence(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ToolError, match=message):
        load_golden(path)


def test_yaml_golden_set(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("- question: How many orders?\n  sql: SELECT 1\n  tags: [orders]\n")
    (item,) = load_golden(path)
    assert item.sql == "SELECT 1" and item.tags == ["orders"] and item.id
