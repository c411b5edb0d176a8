"""write_strategy and write_copy with a scripted model: computed impact, cited facts, regeneration, flags."""

from __future__ import annotations

import pytest

from agent.models import ScriptedModel
from agent.strategy import sample_size_two_proportions
from agent.writing import WriteCopy, WriteStrategy, WritingContext


def strategy_reply(planted: str = ""):
    """A reply built from the schema the tool sent: cite the first facts, one sentence per action."""

    def reply(messages, schema):
        facts = schema["properties"]["findings"]["items"]["properties"]["fact"]["enum"]
        keys = schema["properties"]["actions"]["required"]
        return {
            "goal": "Grow revenue from existing customers.",
            "findings": [{"fact": f, "statement": f"{f} matters.{planted}"} for f in facts[:2]],
            "actions": {k: f"Do {k} now." for k in keys},
        }

    return reply


@pytest.fixture(scope="module")
def history():
    return [
        {"name": "segment_customers", "args": {}},
        {"name": "association_rules", "args": {"top_n": 10}},
        {
            "name": "campaign_uplift",
            "args": {"table": "hillstrom_email", "group_column": "segment", "outcome": "conversion"},
        },
    ]


def test_strategy_rests_on_the_conversations_analyses_with_computed_impact_and_test(demo_ws, history):
    model = ScriptedModel().enqueue(strategy_reply())
    result = WriteStrategy(demo_ws, WritingContext(model=lambda: model, history=lambda: history))()

    text = result.text
    assert "## Findings" in text and "## Recommended actions" in text and "## Sources" in text
    assert "Cross-sell bundle: HERB MARKER" in text and "Win-back campaign: hibernating" in text
    assert "Scale the winning campaign: Mens E-Mail" in text
    # impact computed by code: 1,862 hibernating customers x 5% x median spend 286.90
    assert "revenue from returning customers = **26,710.39**" in text
    n = sample_size_two_proportions(0.02, 0.05)
    assert f"A/B test, {n} customers per group" in text
    assert "[unverified]" not in text and result.grounding["regenerated"] is False
    assert [s["tool"] for s in result.sources] == [
        "segment_customers",
        "association_rules",
        "campaign_uplift",
    ]
    assert set(result.table["action"]) >= {"cross_sell", "win_back", "retain", "scale_winner"}


def test_strategy_with_a_planted_number_is_regenerated_once(demo_ws, history):
    model = ScriptedModel().enqueue(strategy_reply(" It will bring 57.5% more."), strategy_reply())
    result = WriteStrategy(demo_ws, WritingContext(model=lambda: model, history=lambda: history))()
    assert result.grounding["regenerated"] and result.grounding["first_draft"]["unsupported"] == ["57.5%"] * 2
    assert result.grounding["final"]["unsupported"] == [] and "57.5%" not in result.text
    assert "57.5%" in model.sent[1]["messages"][-1]["content"]  # the model was told what to fix


def test_a_number_still_unsupported_after_regeneration_loses_its_sentence(demo_ws, history):
    planted = strategy_reply(" Offer a 20% discount to them.")
    model = ScriptedModel().enqueue(planted, planted)
    result = WriteStrategy(demo_ws, WritingContext(model=lambda: model, history=lambda: history))()
    assert result.grounding["after_regeneration"]["unsupported"]  # the model did not fix it
    assert result.grounding["removed"] == ["Offer a 20% discount to them."] * 2
    assert result.grounding["final"]["unsupported"] == [] and "20%" not in result.text
    assert "matters." in result.text and "[unverified]" not in result.text  # the rest of the finding stays


def test_strategy_runs_its_own_analyses_when_the_conversation_has_none(demo_ws):
    model = ScriptedModel().enqueue(strategy_reply())
    result = WriteStrategy(demo_ws, WritingContext(model=lambda: model))(goal="win back lapsed customers")
    assert [s["tool"] for s in result.sources] == ["segment_customers", "association_rules"]
    assert "win back lapsed customers" in model.sent[0]["messages"][-1]["content"]


def copy_reply(*bodies):
    return {"variants": [{"headline": "Made for you", "body": b} for b in bodies]}


def test_copy_for_a_product_uses_its_facts_and_flags_an_invented_discount(demo_ws):
    invented = copy_reply("Now 20% off, rated 5 stars!", "Loved in 37 countries.")
    model = ScriptedModel().enqueue(invented, invented)  # the regenerated draft is no better
    result = WriteCopy(demo_ws, WritingContext(model=lambda: model))(
        kind="ad", about="product", name="cake stand", variants=2, tone="playful"
    )
    prompt = model.sent[0]["messages"][-1]["content"]
    assert "REGENCY CAKESTAND 3 TIER" in prompt and "Tone: playful" in prompt and "units_sold" in prompt
    schema = model.sent[0]["json_schema"]["properties"]["variants"]
    assert schema["minItems"] == schema["maxItems"] == 2
    assert result.grounding["regenerated"]
    assert "20% [unverified] off [unverified]" in result.text and "stars [unverified]" in result.text
    # 20%, "% off", "rated", 5, "stars"; and 37 countries is not among the facts
    assert list(result.table["unverified"]) == [5, 1]
    assert "could not be traced" in result.text and "sql_query" in result.text


def test_copy_for_a_segment_quotes_only_that_segment(demo_ws):
    model = ScriptedModel().enqueue(copy_reply("Thanks to our 763 best customers."))
    result = WriteCopy(demo_ws, WritingContext(model=lambda: model))(
        kind="email", about="segment", name="champions", variants=1
    )
    prompt = model.sent[0]["messages"][-1]["content"]
    assert "champions.customers = 763" in prompt and "hibernating" not in prompt
    assert result.grounding["final"]["unsupported"] == [] and "[unverified]" not in result.text


def test_strategy_draws_on_churn_risk_and_the_forecast(demo_ws):
    history = [{"name": "predict_churn", "args": {"days": 90}}, {"name": "forecast_sales", "args": {}}]
    model = ScriptedModel().enqueue(strategy_reply())
    result = WriteStrategy(demo_ws, WritingContext(model=lambda: model, history=lambda: history))()
    assert "Win-back campaign: customers at high churn risk" in result.text
    assert "Plan for the forecast: the next 8 weeks" in result.text
    assert set(result.table["action"]) == {"win_back", "plan"}
    assert [s["tool"] for s in result.sources] == ["predict_churn", "forecast_sales"]
