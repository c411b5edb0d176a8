"""The demo golden set (benchmarks/golden_demo.jsonl) is usable: it loads, every gold SQL runs, tools exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation import load_golden
from agent.evaluation.runner import default_gold, workspace_schema
from agent.evaluation.scoring import unknown_names
from tests.golden_checks import check_against_the_layer

GOLDEN = Path(__file__).resolve().parents[1] / "benchmarks" / "golden_demo.jsonl"
CANONICAL_TOOLS = {
    "sql_query",
    "metric_query",
    "semantic_search",
    "segment_customers",
    "cluster_texts",
    "association_rules",
    "sequential_patterns",
    "recommend_products",
    "review_sentiment",
    "roi_calculator",
    "campaign_uplift",
    "write_strategy",
    "write_copy",
    "build_report",
}


def test_golden_set_has_enough_questions_and_canonical_tools():
    items = load_golden(GOLDEN)
    assert len(items) >= 25 and sum(1 for i in items if i.sql) >= 25
    assert all(set(i.tool) <= CANONICAL_TOOLS for i in items)
    assert all(i.sql or i.tool for i in items)


@pytest.mark.slow
def test_every_gold_sql_runs_on_the_demo_data_and_names_only_real_columns(demo_ws):
    schema = workspace_schema(demo_ws)
    for item in load_golden(GOLDEN):
        if not item.sql:
            continue
        gold = default_gold(item, demo_ws)
        assert gold.rows, f"{item.id}: gold SQL returns no rows"
        assert unknown_names(item.sql, schema) == [], item.id


# Golden SQL written from DESIGN.md's definitions must agree with the independently written metric layer.
METRIC_CALLS = {
    "retail_revenue": {"metrics": ["revenue"]},
    "retail_orders": {"metrics": ["orders"]},
    "retail_customers": {"metrics": ["customers"]},
    "retail_aov": {"metrics": ["aov"]},
    "retail_cancel_rate": {"metrics": ["cancellation_rate"]},
    "retail_repeat_rate": {"metrics": ["repeat_customer_rate"]},
    "retail_units": {"metrics": ["units"]},
    "retail_top_countries": {"metrics": ["revenue"], "by": ["country"], "top": 5},
    "retail_monthly_revenue": {"metrics": ["revenue"], "grain": "month"},
}


@pytest.mark.slow
def test_gold_sql_agrees_with_the_metric_layer(demo_ws):
    check_against_the_layer(demo_ws, GOLDEN, None, METRIC_CALLS)
