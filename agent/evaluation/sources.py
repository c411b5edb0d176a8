"""Answer sources: what produces an Answer for a question. The harness takes any ``question -> Answer``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.types import Answer
from tools.base import ToolError


def assistant_source(model: Any, ws, brief: bool = False, **options: Any) -> Callable[[str], Answer]:
    """The Assistant on workspace ``ws``; each question starts a new conversation so none leans on another.

    One Assistant serves every question, so the model and the router's example embeddings load once.

    Args:
        model: a model spec string or a ChatModel.
        ws: the workspace the questions are about.
        brief: answer with the code's headline alone, without the model's write-up (execution accuracy
            reads the result tables, not the text, so it is the same figure in a third of the time).
        **options: further Assistant arguments (router_mode, registry, max_retries).
    """
    try:
        from agent.assistant import Assistant
    except ImportError:
        raise ToolError("The assistant is not part of this build, so there is nothing to evaluate.") from None
    assistant = Assistant(model=model, workspace=ws, **options)
    assistant.agent.brief = brief  # read by Agent._write, as `martmind ask --brief` sets it

    def answer(question: str) -> Answer:
        assistant.new_conversation()
        return assistant.ask(question)

    return answer
