"""Plain-SQL fill of ``sql_query``: the model writes the SELECT itself, not a JSON string holding it.

The prompt shows only the tables the question is about (``agent.schema_link``) and ends with ``SQL:``;
the reply is decoded under the SQL grammar of those tables (``agent.sql_grammar``), so every table and
column name it writes exists. The reply becomes ``{"sql": ...}`` and goes through the same argument guard
and ``validate_call`` as a JSON fill, so the rest of the turn cannot tell the two apart.

Retries: the loop appends the refused reply and its error to the step-2 conversation; here they are
carried over as a SQL conversation (the reply as written, the error under a SQL retry note).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import prompts
from agent.arg_guard import drop_ungrounded
from agent.models import ChatModel, Generation, Message
from agent.schema_link import HINT_LINE, LinkedSchema, grammar_tables, link
from agent.sql_grammar import sql_grammar
from agent.state import ConversationState
from tools.base import RetryableToolError, Tool

if TYPE_CHECKING:
    from agent.calls import ToolCall
    from agent.question import Reading

SqlMode = Literal["json", "grammar"]
SQL_MODES: tuple[SqlMode, ...] = ("json", "grammar")  # how sql_query's SQL is written: in JSON, or as SQL
LINK_CHARS = 2000
_SENTINEL = "\x00error\x00"


@dataclass
class SqlPrompt:
    """What one plain-SQL fill sends: the messages, the grammar and the linked schema behind both."""

    messages: list[Message]
    grammar: str
    linked: LinkedSchema


def sql_fill(
    model: ChatModel,
    tool: Tool,
    messages: list[Message],
    state: ConversationState,
    said: str,
    max_new_tokens: int = 384,
    *,
    validate: Callable[..., ToolCall],
    generate: Callable[..., Generation],
    reading: Reading | None = None,
    temperature: float = 0.0,
    seed: int | None = None,
) -> tuple[ToolCall, str]:
    """Step 2 for ``sql_query`` in SQL mode: link, prompt, decode under the grammar, guard, validate.

    Args:
        model: the chat model.
        tool: the ``sql_query`` tool (its workspace is the one linked).
        messages: the step-2 conversation the loop keeps (retries are taken from it).
        state: the conversation state.
        said: the request, then the stored-value lines it matched (``agent.loop``).
        max_new_tokens: the SQL's token budget.
        validate: ``agent.calls.validate_call``.
        generate: ``agent.calls.call_model`` (turns backend failures into ModelError).
        reading: what code read in the question (passed on to ``validate``).
        temperature, seed: sampling for a retry (greedy repeats the refused SQL).

    Returns:
        The validated call and the SQL as the model wrote it.

    Raises:
        RetryableToolError: the arguments do not validate (the raw reply is in ``.raw``).
    """
    prompt = sql_prompt(tool, messages, state, said)
    sampling = {k: v for k, v in {"temperature": temperature, "seed": seed}.items() if v}
    reply = generate(
        model, prompt.messages, grammar=prompt.grammar, max_new_tokens=max_new_tokens, **sampling
    )
    raw = reply.text
    args: dict[str, Any] = {"sql": clean_sql(raw)}
    required = {n for n, f in tool.Args.model_fields.items() if f.is_required()}
    args = drop_ungrounded(args, f"{said}\n{state.describe()}", required)
    try:
        extra = {"reading": reading} if reading is not None else {}
        return validate(tool, args, state, False, **extra), raw
    except RetryableToolError as e:
        e.raw = raw  # type: ignore[attr-defined]
        raise


def sql_prompt(tool: Tool, messages: list[Message], state: ConversationState, said: str) -> SqlPrompt:
    """The plain-SQL conversation for this request (retries carried over) and its grammar."""
    question = request_of(said)
    hints = said[len(question) :].strip("\n") if said.startswith(question) else None
    linked = link(tool.ws, question, LINK_CHARS, value_hints=hints)
    user = prompts.render("sql", "request", card=linked.card, state=state.describe(), question=question)
    out: list[Message] = [{"role": "system", "content": system_prompt()}, {"role": "user", "content": user}]
    out += _retries(messages)
    return SqlPrompt(out, cached_grammar(_key(grammar_tables(linked))), linked)


def request_of(said: str) -> str:
    """The request out of ``said`` (the loop appends the matched stored values, one per line)."""
    lines = said.rstrip("\n").split("\n")
    while len(lines) > 1 and HINT_LINE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines).strip()


def clean_sql(text: str) -> str:
    """The statement out of a reply: without Markdown fences or a leading ``SQL:`` (backends that do not
    enforce the grammar may add them)."""
    text = text.strip()
    fenced = re.search(r"```(?:sql)?\s*(.*?)```", text, re.DOTALL | re.IGNORECASE)
    if fenced:
        text = fenced.group(1).strip()
    text = re.sub(r"^sql:\s*", "", text, flags=re.IGNORECASE)
    return text.strip().rstrip(";").strip()


@cache
def system_prompt() -> str:
    """The fixed system prompt, with the worked ``sql_query`` examples of prompts/call_examples.yaml."""
    examples = [
        {"request": e["request"], "sql": e["arguments"]["sql"]}
        for e in prompts.load("call_examples").get("sql_query", [])
    ]
    return prompts.render("sql", "system", examples=examples)


def _retries(messages: list[Message]) -> list[Message]:
    """The refused replies and their errors, from the first assistant message of the step-2 conversation."""
    start = next((i for i, m in enumerate(messages) if m.get("role") == "assistant"), len(messages))
    out: list[Message] = []
    for message in messages[start:]:
        if message.get("role") == "assistant":
            out.append({"role": "assistant", "content": clean_sql(message.get("content", ""))})
        else:
            error = _error_of(message.get("content", ""))
            out.append({"role": "user", "content": prompts.render("sql", "retry", error=error)})
    return out


def _error_of(note: str) -> str:
    """The error inside the loop's retry note (``prompts/agent.yaml`` ``retry``), or the whole note."""
    template = prompts.render("agent", "retry", tool_name="sql_query", error=_SENTINEL)
    before, _, after = template.partition(_SENTINEL)
    if note.startswith(before) and note.endswith(after):
        return note[len(before) : len(note) - len(after)].strip()
    return note.strip()


# -- grammar cache: the same linked tables give the same grammar text (the backend caches its compilation) --
_grammars: dict[tuple[tuple[str, tuple[str, ...]], ...], str] = {}
_grammars_lock = threading.Lock()


def _key(tables: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((t, tuple(c)) for t, c in tables.items())


def cached_grammar(key: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    with _grammars_lock:
        if key not in _grammars:
            if len(_grammars) > 256:
                _grammars.clear()
            _grammars[key] = sql_grammar({t: list(c) for t, c in key})
        return _grammars[key]
