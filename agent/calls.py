"""The tool-call protocol: two grammar-constrained steps a small model cannot get wrong syntactically.

1. Choose: the output schema is ``{"tool": <enum of candidate names>}``: a handful of tokens.
2. Fill: the output schema is the chosen tool's ``Args`` JSON schema (wrapped with a ``follow_up`` flag
   when the conversation has a previous call), so the arguments always parse and fit the schema.

Two small steps instead of one ``anyOf`` over every tool keep each prompt short (only one tool's arguments
are described) and let a confident router skip step 1. The model's arguments are then merged with the
conversation state and validated with the tool's pydantic model; a validation error is retryable.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel

import prompts
from agent.arg_guard import drop_ungrounded
from agent.learned import LearnedExamples, safe_similar
from agent.models import ChatModel, Generation, Message, ModelError, ReplyCutOff
from agent.question import Reading
from agent.router import NO_TOOL
from agent.sql_fill import SqlMode, sql_fill
from agent.state import ConversationState
from tools.base import RetryableToolError, Tool


@dataclass
class ToolCall:
    """A validated call: the tool's name, its arguments as JSON values (defaults left out), the pydantic args."""

    name: str
    args: dict[str, Any]
    follow_up: bool = False
    parsed: BaseModel | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args}


def choice_schema(names: list[str]) -> dict[str, Any]:
    """JSON schema of step 1: one tool name out of ``names``."""
    return {
        "type": "object",
        "properties": {"tool": {"type": "string", "enum": list(names)}},
        "required": ["tool"],
        "additionalProperties": False,
    }


def args_schema(tool: Tool, follow_up_field: bool, explicit: bool = False) -> dict[str, Any]:
    """JSON schema of step 2: the tool's arguments, wrapped as ``{"follow_up", "arguments"}`` when asked.

    With ``explicit`` every argument is required (optional ones may be null or empty), so the model
    writes each one in order instead of stopping early: more tokens, fewer forgotten arguments.
    """
    schema = copy.deepcopy(tool.json_schema())
    if explicit:
        schema["required"] = list(schema.get("properties", {}))
    if not follow_up_field:
        return schema
    defs = schema.pop("$defs", None)
    wrapped: dict[str, Any] = {
        "type": "object",
        "properties": {"follow_up": {"type": "boolean"}, "arguments": schema},
        "required": ["follow_up", "arguments"],
        "additionalProperties": False,
    }
    if defs:
        wrapped["$defs"] = defs  # references are "#/$defs/..." from the root, so they still resolve
    return wrapped


def describe_args(tool: Tool) -> list[dict[str, Any]]:
    """Name, type, required and description of each argument, for the prompt."""
    schema = tool.json_schema()
    props, defs = schema.get("properties", {}), schema.get("$defs", {})
    out = []
    for name, info in tool.Args.model_fields.items():
        out.append(
            {
                "name": name,
                "type": _type_text(props.get(name, {}), defs),
                "required": info.is_required(),
                "description": info.description or "",
            }
        )
    return out


def _type_text(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A short type for the prompt: ``list of one of "a", "b"``, ``object {column, op, value}``."""
    if "enum" in prop:
        return "one of " + ", ".join(json.dumps(v) for v in prop["enum"])
    if "anyOf" in prop:
        parts = [_type_text(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(parts) or "null"
    if prop.get("type") == "array":
        return f"list of {_type_text(prop.get('items', {}), defs)}"
    if "$ref" in prop:
        prop = defs.get(prop["$ref"].rsplit("/", 1)[-1], {})
    if prop.get("type") == "object" and prop.get("properties"):
        return "object {" + ", ".join(prop["properties"]) + "}"
    return str(prop.get("type", "value"))


@cache
def call_examples() -> dict[str, list[dict[str, str]]]:
    """Worked example calls per tool (prompts/call_examples.yaml), arguments as compact JSON."""
    data = prompts.load("call_examples")
    return {
        tool: [{"request": e["request"], "arguments": json.dumps(e["arguments"])} for e in examples]
        for tool, examples in data.items()
    }


class ToolCaller:
    """Asks the model for a tool and its arguments under constrained decoding, and validates the call."""

    def __init__(
        self,
        model: ChatModel,
        system_prompt: str,
        explicit_args: bool = False,
        learned: LearnedExamples | None = None,
        sql_mode: SqlMode = "json",
    ):
        self.model = model
        self.system_prompt = system_prompt
        self.explicit_args = explicit_args
        self.learned = learned  # approved examples: similar ones lead the worked examples of step 2
        self.sql_mode = sql_mode  # "grammar": sql_query's SQL is written as SQL (agent.sql_fill)

    def choose(
        self, question: str, tools: list[Tool], state: ConversationState, *, ranked: bool, allow_none: bool
    ) -> str:
        """Step 1: the name of the tool the model picks among ``tools`` (or ``none``)."""
        names = [t.name for t in tools] + ([NO_TOOL] if allow_none else [])
        if len(names) == 1:
            return names[0]
        user = prompts.render(
            "agent",
            "choose_tool",
            question=question,
            state=state.describe(),
            ranked=ranked,
            tools=[{"name": t.name, "description": t.description} for t in tools],
            allow_none=allow_none,
        )
        reply = self.generate([self._system(), {"role": "user", "content": user}], choice_schema(names), 24)
        try:
            name = _parse_json(reply.text).get("tool")
        except RetryableToolError as e:
            raise ModelError(str(e)) from None
        if name not in names:  # only a backend without grammar support can get here
            raise ModelError(f"the model chose an unknown tool {name!r}")
        return name

    def fill_messages(
        self, question: str, tool: Tool, state: ConversationState, value_hints: str
    ) -> list[Message]:
        """The conversation of step 2, to which retries append the model's reply and the error."""
        doc = prompts.render(
            "agent",
            "tool_doc",
            tool_name=tool.name,
            tool_description=tool.description,
            args=describe_args(tool),
            examples=[*self._learned_examples(question, tool), *call_examples().get(tool.name, [])],
        )
        user = prompts.render(
            "agent",
            "fill_args",
            question=question,
            state=state.describe(),
            value_hints=value_hints,
            tool_name=tool.name,
            follow_up_field=state.last_call is not None,
        )
        return [self._system(), {"role": "system", "content": doc}, {"role": "user", "content": user}]

    def _learned_examples(self, question: str, tool: Tool) -> list[dict[str, str]]:
        """The person's approved calls of ``tool`` for similar questions, most similar first."""
        return [
            {"request": e.question, "arguments": json.dumps(e.args, ensure_ascii=False)}
            for e in safe_similar(self.learned, question, tool.name)
        ]

    def fill(
        self,
        tool: Tool,
        messages: list[Message],
        state: ConversationState,
        said: str,
        max_new_tokens: int = 384,
        *,
        reading: Reading | None = None,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> tuple[ToolCall, str]:
        """Step 2: generate, drop invented numbers, merge with the state, agree with the question, validate.

        Args:
            said: what the person said (the request and the stored values it matched); numbers and filter
                conditions not stated there or in the state are dropped.
            reading: what code read in the question (agent.question): its period, top-N, table... win.
            temperature, seed: sampling for a retry (greedy repeats the refused call).

        Returns:
            The call and the model's raw reply.

        Raises:
            RetryableToolError: the arguments do not validate (the raw reply is in ``.raw``).
        """
        try:
            return self._fill(tool, messages, state, said, max_new_tokens, reading, temperature, seed)
        except ReplyCutOff as e:  # a reply that loops until the budget ends: a sampled retry may not
            error = RetryableToolError(
                f"The call was cut off after {e.max_new_tokens} tokens: write a short call, each "
                "condition once."
            )
            error.raw = ""  # type: ignore[attr-defined]
            raise error from e

    def _fill(
        self,
        tool: Tool,
        messages: list[Message],
        state: ConversationState,
        said: str,
        max_new_tokens: int,
        reading: Reading | None,
        temperature: float,
        seed: int | None,
    ) -> tuple[ToolCall, str]:
        if tool.name == "sql_query" and self.sql_mode == "grammar":
            return sql_fill(
                self.model,
                tool,
                messages,
                state,
                said,
                max_new_tokens,
                validate=validate_call,
                generate=call_model,
                reading=reading,
                temperature=temperature,
                seed=seed,
            )
        follow_up_field = state.last_call is not None
        reply = self.generate(
            messages,
            args_schema(tool, follow_up_field, self.explicit_args),
            max_new_tokens,
            temperature=temperature,
            seed=seed,
        )
        try:
            data = _parse_json(reply.text)
        except RetryableToolError as e:
            e.raw = reply.text  # type: ignore[attr-defined]
            raise
        follow_up = bool(data.get("follow_up")) if follow_up_field else False
        raw_args = data.get("arguments", {}) if follow_up_field else data
        if isinstance(raw_args, dict):
            required = {n for n, f in tool.Args.model_fields.items() if f.is_required()}
            context = f"{said}\n{state.describe()}"
            raw_args = drop_ungrounded(raw_args, context, required)
        try:
            return validate_call(tool, raw_args, state, follow_up, reading), reply.text
        except RetryableToolError as e:
            e.raw = reply.text  # type: ignore[attr-defined]
            raise

    def retry_messages(self, messages: list[Message], tool: Tool, raw: str, error: str) -> list[Message]:
        """The step-2 conversation with the refused reply and the error appended (self-correction)."""
        note = prompts.render("agent", "retry", tool_name=tool.name, error=error)
        return [*messages, {"role": "assistant", "content": raw}, {"role": "user", "content": note}]

    def generate(
        self, messages: list[Message], schema: dict[str, Any], max_new_tokens: int, **sampling: Any
    ) -> Generation:
        sampling = {k: v for k, v in sampling.items() if v}  # greedy calls look as they always did
        return call_model(self.model, messages, json_schema=schema, max_new_tokens=max_new_tokens, **sampling)

    def _system(self) -> Message:
        return {"role": "system", "content": self.system_prompt}


def validate_call(
    tool: Tool, raw_args: Any, state: ConversationState, follow_up: bool, reading: Reading | None = None
) -> ToolCall:
    """Merge the model's arguments with the state, make them agree with the question's reading, and
    validate them with the tool's pydantic model.

    Carried-over state that does not fit the tool is dropped rather than turned into an error the model
    could not understand (it never wrote those values).
    """
    if not isinstance(raw_args, dict):
        raise RetryableToolError(f"Arguments for {tool.name} must be a JSON object.")
    merged = state.merge_args(tool.name, raw_args, follow_up, list(tool.Args.model_fields))
    if reading is not None:
        merged = reading.apply(tool, merged, tool.ws)
        raw_args = reading.apply(tool, raw_args, tool.ws)
    try:
        parsed = tool.parse_args(merged)
    except RetryableToolError:
        if merged == raw_args:
            raise
        parsed = tool.parse_args(raw_args)
    args = parsed.model_dump(mode="json", exclude_defaults=True)  # what was stated, no defaults
    return ToolCall(name=tool.name, args=args, follow_up=follow_up, parsed=parsed)


def call_model(model: ChatModel, messages: list[Message], **kwargs: Any) -> Generation:
    """``model.generate`` with every failure turned into a ModelError (the loop must survive them)."""
    try:
        return model.generate(messages, **kwargs)
    except ModelError:
        raise
    except MemoryError:
        raise ModelError("out of memory") from None
    except Exception as e:  # noqa: BLE001 - a backend crash must not end the conversation
        raise ModelError(f"{type(e).__name__}: {e}") from None


def _parse_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise RetryableToolError(f"The reply was not valid JSON ({e.msg}).") from None
    if not isinstance(data, dict):
        raise RetryableToolError("The reply must be a JSON object.")
    return data
