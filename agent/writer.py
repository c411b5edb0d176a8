"""The writer (minimal): the answer text from a tool's result, streamed token by token.

The answer's headline is composed by code (agent/headline.py); the model adds a short interpretation from
the result's text and facts (or, when there is no headline, writes the whole answer). If both are empty, a
plain rendering of the same result is the answer, so a data question is never lost to a writing problem.
(Grounded strategy, copy and report writing, with a check of every number, is a later layer on top of this.)
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Iterator
from typing import Any

import prompts
from agent.calls import ToolCall, call_model
from agent.grounding import SENTENCE_BREAK, extract
from agent.models import ChatModel, Generation, Message
from tools.base import ToolResult
from tools.formats import SYMBOLS, currency_symbol

MAX_RESULT_CHARS = 2500
MAX_FACTS = 40
WRITER_TOKENS = 256  # a whole answer (no headline)
INTERPRETATION_TOKENS = 96  # at most two short sentences after the headline
INTERPRETATION_SENTENCES = 2
RESTATED_WORDS = 0.8  # a sentence whose words are this much the headline's (and numbers all) restates it


def answer_messages(question: str, call: ToolCall, result: ToolResult, headline: str = "") -> list[Message]:
    """The writer's prompt for one tool result; with a ``headline``, for the interpretation after it."""
    facts = [{**f.to_dict(), "value": readable(f.value)} for f in result.facts[:MAX_FACTS]]
    user = prompts.render(
        "agent",
        "writer_user",
        question=question,
        tool_name=call.name,
        args_json=json.dumps(call.args, ensure_ascii=False),
        result_text=result.text[:MAX_RESULT_CHARS],
        facts=facts,
        headline=headline,
        currency=result.currency,
        symbol=currency_symbol(result.currency).strip(),
    )
    return [
        {"role": "system", "content": prompts.render("agent", "writer_system", headline=headline)},
        {"role": "user", "content": user},
    ]


def chat_messages(question: str, tools: list[dict[str, str]]) -> list[Message]:
    """The prompt for a request that needs no tool (greeting, 'what can you do')."""
    return [
        {"role": "system", "content": prompts.render("agent", "chat_system", tools=tools)},
        {"role": "user", "content": prompts.render("agent", "chat_user", question=question)},
    ]


def readable(value: Any) -> Any:
    """A fact's value as a person reads it: floats rounded (2 decimals, or 4 significant digits below 1)."""
    if isinstance(value, float):
        return round(value, 2) if abs(value) >= 1 else float(f"{value:.4g}")
    return value


def fallback_answer(result: ToolResult) -> str:
    """The result as plain text with its facts: what the person sees when the model cannot write."""
    facts = [{**f.to_dict(), "value": readable(f.value)} for f in result.facts[:MAX_FACTS]]
    return prompts.render("messages", "fallback_answer", result_text=result.text, facts=facts)


def stream_text(
    model: ChatModel, messages: list[Message], max_new_tokens: int = WRITER_TOKENS
) -> Iterator[tuple[str, Any]]:
    """Run ``generate`` in a thread and yield ``("token", piece)`` as pieces arrive, then ``("done", Generation)``.

    The model call blocks; the thread lets a generator hand tokens to the UI while it runs.

    Raises:
        ModelError: the model failed (raised in the caller's thread).
    """
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            gen = call_model(
                model,
                messages,
                max_new_tokens=max_new_tokens,
                on_token=lambda piece: pieces.put(("token", piece)),
            )
            pieces.put(("done", gen))
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            pieces.put(("error", e))

    thread = threading.Thread(target=work, name="martmind-writer", daemon=True)
    thread.start()
    while True:
        kind, value = pieces.get()
        if kind == "error":
            thread.join()
            raise value
        yield kind, value
        if kind == "done":
            thread.join()
            return


def final_text(generation: Generation) -> str:
    return generation.text.strip()


def interpretation(text: str, headline: str, cut_off: bool = False) -> str:
    """The model's part of an answer after the code's ``headline``, at most two sentences: without those
    that only restate it (a small model often copies the opening, its numbers included), and, when the reply hit the token
    budget (``cut_off``), without its unfinished last sentence ("... lowest in 2011-12 (£433,66")."""
    sentences = [s for s in SENTENCE_BREAK.split(text.strip()) if s]
    if cut_off and sentences and not sentences[-1].rstrip().endswith(_SENTENCE_ENDS):
        sentences.pop()
    kept = [s for s in sentences if not _restates(s, headline)]
    return " ".join(kept[:INTERPRETATION_SENTENCES])


def _restates(sentence: str, headline: str) -> bool:
    """Whether ``sentence`` says nothing the headline does not: each of its numbers and nearly all of its
    words are there already ("November's peak reflects Christmas shopping" adds words, and stays)."""
    numbers = [m.text.lstrip(SYMBOLS) for m in extract(sentence) if m.kind in ("number", "date")]
    if not all(n in headline for n in numbers):
        return False
    words = re.findall(r"[^\W\d_]+", sentence.lower())
    known = set(re.findall(r"[^\W\d_]+", headline.lower()))
    return bool(words) and sum(w in known for w in words) >= RESTATED_WORDS * len(words)


_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", ")", '"')
