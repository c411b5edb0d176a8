"""Answer sources: what produces an Answer for a question. The harness takes any ``question -> Answer``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.types import Answer


def assistant_source(model: Any, ws) -> Callable[[str], Answer]:
    """The Assistant on workspace ``ws``; every question starts a fresh conversation so none leans on another.

    Args:
        model: a model spec string or a ChatModel (loaded once and shared across questions).
        ws: the workspace the questions are about.
    """
    from agent import Assistant

    def answer(question: str) -> Answer:
        return Assistant(model=model, workspace=ws).ask(question)

    return answer
