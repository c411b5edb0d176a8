"""Conversations on disk: one JSON file each under ``<home>/conversations``, written atomically.

A conversation holds its turns (question, answer text, tool calls, error) and its explicit state, so a
restarted process (or the UI after a reload) continues a follow-up exactly where it stopped.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agent.state import ConversationState
from tools.base import ToolError, _jsonable
from tools.files import write_atomic

_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
TITLE_CHARS = 80


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def new_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


@dataclass
class Conversation:
    """One conversation: its turns and its state."""

    id: str = field(default_factory=new_id)
    title: str = ""
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    turns: list[dict[str, Any]] = field(default_factory=list)
    state: ConversationState = field(default_factory=ConversationState)

    def add_turn(self, question: str, answer: dict[str, Any]) -> None:
        """Append a finished turn (``answer``: text, tool_calls, error, facts)."""
        if not self.title:
            self.title = (
                question.strip().splitlines()[0][:TITLE_CHARS] if question.strip() else "conversation"
            )
        self.turns.append({"question": question, "at": _now(), **answer})
        self.updated_at = _now()

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "turns": len(self.turns),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "turns": self.turns, "state": self.state.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            id=data["id"],
            title=data.get("title", ""),
            created_at=data.get("created_at", _now()),
            updated_at=data.get("updated_at", _now()),
            turns=list(data.get("turns", [])),
            state=ConversationState.from_dict(data.get("state", {})),
        )


class ConversationStore:
    """The conversations folder of a workspace."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, conversation_id: str) -> Path:
        if not _ID.match(conversation_id):  # ids become file names: no path tricks
            raise ToolError(f"{conversation_id!r} is not a conversation id.")
        return self.folder / f"{conversation_id}.json"

    def save(self, conversation: Conversation) -> None:
        """Write atomically: a crash mid-write leaves the previous version, never half a file."""
        text = json.dumps(conversation.to_dict(), default=_jsonable, ensure_ascii=False, indent=1)
        write_atomic(self.path(conversation.id), text)

    def load(self, conversation_id: str) -> Conversation:
        path = self.path(conversation_id)
        if not path.exists():
            raise ToolError(f"There is no conversation {conversation_id!r}.")
        try:
            return Conversation.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ToolError(f"The conversation file {path.name} is damaged ({e}).") from None

    def list(self) -> list[dict[str, Any]]:
        """Summaries (id, title, created_at, updated_at, turns), most recently updated first."""
        out = []
        for path in self.folder.glob("*.json"):
            if not _ID.match(path.stem):
                continue
            try:
                out.append(self.load(path.stem).summary())
            except ToolError:
                continue  # a damaged file must not hide the others
        return sorted(out, key=lambda s: s["updated_at"], reverse=True)

    def delete(self, conversation_id: str) -> None:
        self.path(conversation_id).unlink(missing_ok=True)
