"""What code reads in a question, with the stored values it names, as ``agent.loop.Agent.read`` reads it."""

from __future__ import annotations

from agent.context import stated_values
from agent.question import Reading, read_question
from agent.state import ConversationState


def read(ws, question: str, state: ConversationState | None = None) -> Reading:
    return read_question(
        ws, question, state or ConversationState(), [m for _, m in stated_values(ws, question)]
    )
