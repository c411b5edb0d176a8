"""build_report and `martmind report`: templates as data, self-contained HTML, Markdown, sources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent.models import ScriptedModel
from agent.reports import BuildReport, templates
from agent.writing import WritingContext
from tests.conftest import tiny_sales
from tools.base import ToolError
from ui import cli


def test_every_named_template_names_registered_tools(demo_ws):
    from tools.registry import default_registry

    registered = set(default_registry(demo_ws).names())
    assert set(templates()) == {
        "monthly sales review",
        "customer segmentation",
        "basket analysis",
        "campaign review",
    }
    names = {
        "metric_query",
        "segment_customers",
        "association_rules",
        "sequential_patterns",
        "campaign_uplift",
    }
    for spec in templates().values():
        assert spec["title"] and spec["sections"]
        assert {s["tool"] for s in spec["sections"]} <= names <= registered


def _narratives(texts):
    """A scripted model answering each section's narrative request in turn."""
    return ScriptedModel().enqueue(*({"narrative": t} for t in texts))


def test_template_report_is_self_contained_html_with_charts_and_sources(demo_ws):
    model = _narratives(
        [
            "Net revenue peaked in 2011-11 at 1.46 million across 3,021 orders.",
            "The United Kingdom dominates with 8.19 million.",
            "A handful of products lead.",
            "Cancellations are rare.",
        ]
    )
    tool = BuildReport(demo_ws, WritingContext(model=lambda: model))
    result = tool(template="monthly sales review")

    html = Path(result.extra["html"]).read_text(encoding="utf-8")
    assert Path(result.extra["markdown"]).exists()
    assert str(demo_ws.subdir("reports")) in result.extra["html"]
    # opens offline: no script or stylesheet is fetched from anywhere
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=\"?https?:", html)
    assert "Plotly.newPlot" in html and html.count('class="plotly-graph-div"') >= 2
    assert len(html) > 1_000_000  # plotly.js itself is inline
    assert html.count("<section>") == 4
    sources = html.split('id="sources"', 1)[1]
    assert sources.count("<li>") == 4 and "online_retail" in sources and "<pre>SELECT" in sources
    assert "1.46 million across 3,021 orders" in html and "[unverified]" not in html
    assert (
        result.grounding["sections"]["Revenue, orders and order value by month"]["final"]["unsupported"] == []
    )


def test_an_unsupported_number_in_a_narrative_is_regenerated_once_then_flagged(demo_ws):
    model = _narratives(["Revenue grew 250% to 3.2 million.", "Revenue grew 250% again.", "ok", "ok"])
    result = BuildReport(demo_ws, WritingContext(model=lambda: model))(template="monthly sales review")
    md = Path(result.extra["markdown"]).read_text(encoding="utf-8")
    first = result.grounding["sections"]["Revenue, orders and order value by month"]
    assert first["regenerated"] and first["first_draft"]["unsupported"] == ["250%", "3.2 million"]
    assert "250% [unverified]" in md and "## Sources" in md
    assert "metric_query" in md and "```sql" in md


def test_report_of_the_conversation_reruns_its_analyses(demo_ws):
    history = [{"name": "metric_query", "args": {"metrics": ["revenue"], "by": ["country"], "top": 3}}]
    tool = BuildReport(demo_ws, WritingContext(model=None, history=lambda: history))
    result = tool()
    md = Path(result.extra["markdown"]).read_text(encoding="utf-8")
    assert "United Kingdom" in md and "| country | revenue |" in md
    with pytest.raises(ToolError, match="no analyses"):
        BuildReport(demo_ws, WritingContext(model=None))()


def test_an_unknown_template_is_one_sentence(demo_ws):
    with pytest.raises(ToolError, match="Did you mean 'basket analysis'"):
        BuildReport(demo_ws)(template="basket analyis")


def test_cli_report_json_returns_the_paths(tmp_path, capsys):
    from tools.workspace import Workspace

    home = tmp_path / "home"
    ws = Workspace(home, demo=False)
    ws.save_table("sales", tiny_sales(), source="test")
    ws.close()
    argv = ["--home", str(home), "report", "monthly sales review", "--table", "sales", "--no-model", "--json"]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert Path(out["html"]).is_file() and Path(out["markdown"]).is_file()
    assert Path(out["html"]).parent == home / "reports"
    assert [s["args"]["table"] for s in out["sources"]] == ["sales"] * 4
    assert all(row[1] == "ok" for row in out["tables"][0]["rows"])
    assert cli.main(["--home", str(home), "report", "nope", "--json"]) == 1
    assert "No report template" in json.loads(capsys.readouterr().out)["error"]


def test_the_assistant_routes_a_report_request_and_answers_with_the_paths(ws):
    from agent.assistant import Assistant

    model = ScriptedModel()
    assistant = Assistant(model=model, workspace=ws, router_mode="off")
    assert {"write_strategy", "write_copy", "build_report"} <= set(assistant.registry.names())
    model.enqueue({"tool": "build_report"}, {"template": "monthly sales review", "table": "sales"})
    model.enqueue(*({"narrative": "Sales are small."} for _ in range(4)))
    answer = assistant.ask("build the monthly sales review report")

    assert answer.error is None and answer.tool_calls[0]["name"] == "build_report"
    assert 'Report "Monthly sales review" saved' in answer.text and ".html" in answer.text
    assert len(model.sent) == 6  # choose, fill, four narratives: the writer does not rewrite the report
    assert [s["tool"] for s in answer.sources] == ["metric_query"] * 4
