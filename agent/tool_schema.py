"""JSON schemas for tool calls, so a constrained decoder can only produce a valid call.

A tool call is ``{"name": <one of the tools>, "arguments": {...}}``; the schema is a ``oneOf`` with one
branch per tool, each fixing ``name`` to a constant and ``arguments`` to that tool's argument schema, so the
arguments always match the tool that was named.
"""

from __future__ import annotations

import json
from typing import Any

from agent.models import ModelError


def tool_call_schema(tools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The schema of one call to any of ``tools`` (name -> JSON schema of its arguments).

    Args:
        tools: e.g. ``{"metric_query": MetricQuery.Args.model_json_schema(), ...}`` (insertion order kept).

    Returns:
        A JSON schema; ``$defs`` of the argument schemas are hoisted so references still resolve.
    """
    if not tools:
        raise ValueError("tool_call_schema needs at least one tool.")
    defs: dict[str, Any] = {}
    branches = []
    for name, schema in tools.items():
        schema = dict(schema)
        for key, value in schema.pop("$defs", {}).items():
            if key in defs and defs[key] != value:
                raise ValueError(f"Two tools define different schemas named {key!r}; rename one model.")
            defs[key] = value
        schema.pop("title", None)
        branches.append(
            {
                "type": "object",
                "properties": {"name": {"const": name}, "arguments": schema},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    result: dict[str, Any] = branches[0] if len(branches) == 1 else {"oneOf": branches}
    if defs:
        result = {**result, "$defs": defs}
    return result


def parse_tool_call(text: str, tools: dict[str, dict[str, Any]] | None = None) -> tuple[str, dict[str, Any]]:
    """``(name, arguments)`` of a tool call the model produced under ``tool_call_schema``.

    Raises:
        ModelError: the text is not a tool call (only possible with a backend that cannot constrain).
    """
    try:
        call = json.loads(text)
        name, arguments = call["name"], call["arguments"]
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"The model did not produce a tool call ({text[:80]!r}).") from e
    if tools is not None and name not in tools:
        raise ModelError(f"The model called an unknown tool {name!r}.")
    if not isinstance(arguments, dict):
        raise ModelError("The model's tool arguments are not an object.")
    return name, arguments
