from __future__ import annotations

from agent.calls import call_examples
from tools.registry import default_registry


def test_every_worked_example_call_is_valid_for_its_tool(ws):
    from agent.writing import WritingContext, register_writing_tools

    registry = default_registry(ws)
    register_writing_tools(registry, ws, WritingContext())
    examples = call_examples()
    assert "metric_query" in examples
    for tool_name, items in examples.items():
        tool = registry.get(tool_name)
        for example in items:
            import json

            tool.parse_args(json.loads(example["arguments"]))  # raises on an invalid example


def test_the_writer_sees_units_except_the_unnamed_currency():
    """ "currency" is a kind, not a currency: shown, the model wrote "8,187,806.36 currency" in answers."""
    import prompts
    from tools.base import Fact

    facts = [Fact("revenue", 8187806.36, "sql", "currency"), Fact("return_rate", 0.021, "sql", "ratio")]
    text = prompts.render(
        "agent",
        "writer_user",
        question="q",
        tool_name="metric_query",
        args_json="{}",
        result_text="",
        facts=facts,
    )
    assert "revenue = 8187806.36\n" in text and "return_rate = 0.021 ratio" in text
