"""The default model reaches the forecast, anomaly, churn and lifetime-value tools (greedy, demo data)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.realmodel]


@pytest.fixture(scope="module")
def assistant(demo_ws):
    from agent.assistant import Assistant, default_model_spec

    return Assistant(model=default_model_spec(), workspace=demo_ws)


@pytest.mark.ci
def test_a_forecast_question_is_answered_with_the_forecast_total(assistant):
    assistant.new_conversation()
    answer = assistant.ask("Forecast weekly revenue for the next 4 weeks")
    assert answer.error is None, answer.error
    call = answer.tool_calls[-1]
    assert call["name"] == "forecast_sales"
    assert call["args"].get("grain", "week") == "week" and call["args"].get("horizon") == 4  # week: default
    assert "by" not in call["args"]  # the worked example's "by country" is not the question's
    total = next(f.value for f in answer.facts if f.name == "forecast_total")
    assert f"{total:,.2f}" in answer.text  # the headline, composed by code from the forecast


@pytest.mark.parametrize(
    ("request_text", "tool", "args"),
    [
        ("Which customers are likely to churn in the next 60 days?", "predict_churn", {"days": 60}),
        ("Were there any unusual days in revenue?", "detect_anomalies", {}),
        (
            "What are our customers worth over the next 2 years?",
            "customer_lifetime_value",
            {"horizon_months": 24},
        ),
    ],
)
def test_the_new_analyses_are_planned_with_the_stated_arguments(assistant, request_text, tool, args):
    plan = assistant.plan(request_text)
    assert plan.error is None, plan.error
    assert plan.calls[0].name == tool
    assert {k: plan.calls[0].args.get(k) for k in args} == args
