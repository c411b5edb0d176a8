"""The default model writes a short strategy from real tool results, and every number in it is grounded."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.realmodel]


def test_default_model_writes_a_strategy_with_no_unsupported_number(demo_ws):
    from agent.assistant import default_model_spec
    from agent.model_cache import shared_model
    from agent.writing import WriteStrategy, WritingContext

    history = [{"name": "segment_customers", "args": {}}]
    model = shared_model(default_model_spec())
    result = WriteStrategy(demo_ws, WritingContext(model=lambda: model, history=lambda: history))(
        goal="win back lapsed customers"
    )
    assert "error" not in result.grounding, result.grounding
    assert result.grounding["final"]["unsupported"] == [], result.text
    assert result.grounding["document"]["unsupported"] == [] and "[unverified]" not in result.text
    assert "Win-back campaign: hibernating" in result.text and "## Sources" in result.text
