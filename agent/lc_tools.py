"""The registry's tools as LangChain ``StructuredTool``s, so they plug into the LangChain ecosystem.

Each tool keeps its name, description and pydantic ``Args`` (the JSON schema is derived, never rewritten).
The tool returns its short text as the content and the full ``ToolResult`` as the artifact; a ToolError
becomes the tool's error message (``handle_tool_error``), as LangChain agents expect.
"""

from __future__ import annotations

from typing import Any

from tools.base import Tool, ToolError, ToolResult
from tools.registry import ToolRegistry


def as_langchain_tool(tool: Tool):
    """One martmind tool as a LangChain StructuredTool (content: text; artifact: the ToolResult)."""
    from langchain_core.tools import StructuredTool, ToolException

    def run(**kwargs: Any) -> tuple[str, ToolResult]:
        try:
            result = tool(**kwargs)
        except ToolError as e:  # LangChain turns ToolException into the tool's message
            raise ToolException(str(e)) from None
        return result.text, result

    return StructuredTool.from_function(
        func=run,
        name=tool.name,
        description=tool.description,
        args_schema=tool.Args,
        response_format="content_and_artifact",
        handle_tool_error=_error_text,
    )


def as_langchain_tools(registry: ToolRegistry) -> list:
    """Every registered tool as a LangChain StructuredTool, in registry order."""
    return [as_langchain_tool(tool) for tool in registry]


def _error_text(error: Exception) -> str:
    return str(error)
