"""LangChain boundary: any martmind ChatModel as a LangChain ``BaseChatModel`` with ``bind_tools``.

Bound tools (LangChain tools such as ``StructuredTool``, pydantic models, functions or OpenAI tool dicts)
become one JSON schema of a tool call, and the call is generated under constrained decoding, so the
``AIMessage.tool_calls`` it returns always name a bound tool with schema-valid arguments.

``tool_choice``: ``"any"``/``"required"`` (or True) forces a call; a tool name forces that tool; ``"auto"``
(the default) adds a ``respond`` choice whose text becomes a plain answer, so agents can finish.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict

from agent.models import ChatModel, Message, ModelError
from agent.tool_schema import parse_tool_call, tool_call_schema

RESPOND = "respond"  # the pseudo-tool that lets the model answer in text when tool_choice="auto"
_RESPOND_ARGS = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
    "additionalProperties": False,
}


class LangChainChatModel(BaseChatModel):
    """Wraps a martmind ``ChatModel`` (``model``) for LangChain and LangGraph."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: ChatModel
    max_new_tokens: int = 512

    @property
    def _llm_type(self) -> str:
        return "martmind"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"spec": self.model.spec, "max_new_tokens": self.max_new_tokens}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | bool | None = None, **kwargs: Any):
        """A runnable that answers with a constrained call of one of ``tools``."""
        formatted = [_as_openai_tool(tool) for tool in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        tools = kwargs.get("tools") or []
        chat = to_chat_messages(messages)
        max_new = int(kwargs.get("max_new_tokens") or self.max_new_tokens)
        on_token = run_manager.on_llm_new_token if run_manager is not None else None
        if not tools:
            generation = self.model.generate(chat, max_new_tokens=max_new, on_token=on_token)
            message = AIMessage(content=generation.text)
        else:
            schemas = _choices(tools, kwargs.get("tool_choice"))
            generation = self.model.generate(
                chat, json_schema=tool_call_schema(schemas), max_new_tokens=max_new
            )
            name, args = parse_tool_call(generation.text, schemas)
            if name == RESPOND:
                message = AIMessage(content=str(args.get("text", "")))
            else:
                message = AIMessage(
                    content="",
                    tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}"}],
                )
        message.usage_metadata = {
            "input_tokens": generation.prompt_tokens,
            "output_tokens": generation.completion_tokens,
            "total_tokens": generation.prompt_tokens + generation.completion_tokens,
        }
        message.response_metadata = {
            "model": self.model.spec,
            "seconds": round(generation.seconds, 3),
            "finish_reason": generation.finish_reason,
        }
        return ChatResult(generations=[ChatGeneration(message=message)])


def _as_openai_tool(tool: Any) -> dict[str, Any]:
    """OpenAI tool dict; a pydantic argument model keeps its exact JSON schema (enums, $defs, nullables).

    ``convert_to_openai_tool`` simplifies a tool's schema (it drops e.g. enums given through
    ``json_schema_extra``), and the schema is what constrains decoding, so take it from the model itself.
    """
    formatted = convert_to_openai_tool(tool)
    args_model = getattr(tool, "args_schema", None)
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        args_model = tool
    if isinstance(args_model, type) and issubclass(args_model, BaseModel):
        parameters = args_model.model_json_schema()
        parameters.pop("title", None)
        formatted["function"]["parameters"] = parameters
    return formatted


def _choices(tools: list[dict[str, Any]], tool_choice: Any) -> dict[str, dict[str, Any]]:
    schemas = {
        t["function"]["name"]: t["function"].get("parameters") or {"type": "object", "properties": {}}
        for t in tools
    }
    if isinstance(tool_choice, dict):  # OpenAI style {"type": "function", "function": {"name": ...}}
        tool_choice = tool_choice.get("function", {}).get("name")
    if tool_choice in ("any", "required", True):
        return schemas
    if isinstance(tool_choice, str) and tool_choice not in ("auto", "none"):
        if tool_choice not in schemas:
            raise ModelError(f"tool_choice names {tool_choice!r}, which is not among the bound tools.")
        return {tool_choice: schemas[tool_choice]}
    return {**schemas, RESPOND: _RESPOND_ARGS}


def to_chat_messages(messages: list[BaseMessage]) -> list[Message]:
    """LangChain messages as martmind ``{"role", "content"}`` dicts (tool calls and results as text)."""
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    out: list[Message] = []
    for message in messages:
        content = message.content if isinstance(message.content, str) else json.dumps(message.content)
        if isinstance(message, ToolMessage):
            out.append({"role": "user", "content": f"Result of tool call {message.tool_call_id}:\n{content}"})
            continue
        role = roles.get(message.type)
        if role is None:
            raise ModelError(f"Unsupported message type {message.type!r} for a martmind model.")
        tool_calls = getattr(message, "tool_calls", None)  # an AIMessage's; BaseMessage does not declare it
        if role == "assistant" and tool_calls:
            calls = [{"name": c["name"], "arguments": c["args"]} for c in tool_calls]
            content = json.dumps(calls[0] if len(calls) == 1 else calls)
        out.append({"role": role, "content": content})
    return out
