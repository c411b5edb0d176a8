"""Follow-ups ("now only for 2011", "split that by month", "and for Germany?") decided by code.

A follow-up changes only what it names and keeps the rest of the previous call: the same tool, the same
table, metric, filters, period and top-N. Re-routing it from scratch sent "the same for 2011" to another
table's SQL; letting the model re-write the call dropped the year. So the previous call is the base, the
question's reading (agent.question) states the changes, and the model is asked only when code finds none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.question import Reading
    from agent.state import ConversationState
    from tools.base import Tool
    from tools.workspace import Workspace

_OPENERS = re.compile(
    r"^\s*(?:and|now|what\s+about|how\s+about|same|the\s+same|only|just|also|then|but|instead|split|break|"
    r"show\s+(?:it|that|this|them)|make\s+(?:it|that)|do\s+(?:it|that|the\s+same)|what\s+if|for|in|"
    r"same\s+for|ok|okay)\b",
    re.IGNORECASE,
)
_REFERS = re.compile(r"\b(?:that|those|these|the\s+same|it|them|this\s+one)\b", re.IGNORECASE)
MAX_WORDS = 12


def is_follow_up(question: str, state: ConversationState) -> str | None:
    """How a request reads as a follow-up of the previous call: ``"opens"`` like one ("now ...", "and
    for ..."), ``"refers"`` back ("that", "those"; the router may still send it to another tool:
    "segment those customers"), or None."""
    if state.last_call is None or len(question.split()) > MAX_WORDS:
        return None
    if _OPENERS.match(question):
        return "opens"
    if len(question.split()) <= 8 and _REFERS.search(question):
        return "refers"
    return None


def follow_up_args(
    tool: Tool, state: ConversationState, reading: Reading, ws: Workspace
) -> dict[str, Any] | None:
    """The previous call's arguments with the changes the question states; None when it states none."""
    assert state.last_call is not None
    previous = dict(state.last_call["args"])
    changed = reading.apply(tool, previous, ws, follow_up=True)
    return changed if changed != previous else None
