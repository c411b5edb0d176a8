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
