"""The harness scoring the real Assistant (scripted model): the seam between `martmind eval` and the agent."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("agent.assistant", reason="the agent is not in this build")

from agent.evaluation import evaluate, load_golden  # noqa: E402
from agent.evaluation.sources import assistant_source  # noqa: E402
from agent.models import ScriptedModel  # noqa: E402


def test_assistant_answers_are_scored_with_retries_and_hallucinations(ws, tmp_path):
    golden = tmp_path / "g.jsonl"
    golden.write_text(
        "\n".join(
            json.dumps(item)
            for item in [
                {
                    "id": "lines",
                    "question": "How many lines per country?",
                    "tool": "sql_query",
                    "sql": "SELECT Country, count(*) FROM sales GROUP BY Country",
                },
                {
                    "id": "units",
                    "question": "What is the total quantity over all lines?",
                    "tool": "sql_query",
                    "sql": "SELECT sum(Quantity) FROM sales",
                },
            ]
        )
    )
    model = ScriptedModel().enqueue(
        {"tool": "sql_query"},
        {"sql": "SELECT count(*) AS n, Country FROM sales GROUP BY Country ORDER BY n"},
        "Three countries.",
        {"tool": "sql_query"},
        {"sql": "SELECT sum(Quantiti) FROM sales"},  # fixed after the error goes back
        {"sql": "SELECT sum(Quantity) AS units FROM sales"},
        "52 units.",
    )
    source = assistant_source(model, ws, router_mode="off")
    report = evaluate(load_golden(golden), source, ws)
    by_id = {q["id"]: q for q in report.questions}
    assert by_id["lines"]["exec_match"] is True and by_id["lines"]["tool_correct"] is True
    assert by_id["units"]["exec_match"] is True
    assert by_id["units"]["retries"] == 1 and by_id["units"]["unknown_names"] == ["column Quantiti"]
    assert report.summary["execution_accuracy"] == 1.0 and report.summary["hallucination_rate"] == 0.5
