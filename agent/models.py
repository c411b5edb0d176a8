"""One chat-model interface; backends chosen by a string (DESIGN.md "Models").

- ``scripted``: replays queued replies and records what it was sent (tests).
- ``transformers:<path-or-id>``, ``openai:<model>@<base_url>``: real backends (see their modules).
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class ModelError(Exception):
    """The model failed (timeout, out of memory, server down); the message says what to do."""


@dataclass
class Generation:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


class ChatModel(ABC):
    """A chat model. ``json_schema`` asks for grammar-constrained output that always parses and validates."""

    spec: str = ""

    @abstractmethod
    def generate(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_new_tokens: int = 512,
        on_token: Callable[[str], None] | None = None,
    ) -> Generation:
        """Complete the conversation; stream text pieces to ``on_token`` when given."""

    def info(self) -> dict[str, Any]:
        """What the settings screen shows: spec, loaded, device, memory."""
        return {"spec": self.spec, "loaded": True}


@dataclass
class ScriptedModel(ChatModel):
    """Replays queued replies in order; records every call in ``sent``.

    A reply is a string, a dict (sent as JSON) or a callable ``(messages, json_schema) -> str|dict``.
    """

    replies: deque[Any] = field(default_factory=deque)
    sent: list[dict[str, Any]] = field(default_factory=list)
    spec: str = "scripted"

    def enqueue(self, *replies: Any) -> ScriptedModel:
        self.replies.extend(replies)
        return self

    def generate(self, messages, *, json_schema=None, max_new_tokens=512, on_token=None) -> Generation:
        self.sent.append({"messages": [dict(m) for m in messages], "json_schema": json_schema})
        if not self.replies:
            raise ModelError("The scripted model has no reply queued.")
        reply = self.replies.popleft()
        if callable(reply):
            reply = reply(messages, json_schema)
        if isinstance(reply, BaseException):
            raise reply
        text = reply if isinstance(reply, str) else json.dumps(reply)
        start = time.perf_counter()
        if on_token:
            for piece in text.split(" "):
                on_token(piece + " ")
        return Generation(text=text, completion_tokens=len(text.split()), seconds=time.perf_counter() - start)


def load_model(spec: str) -> ChatModel:
    """The chat model a spec string names."""
    if spec == "scripted":
        return ScriptedModel()
    raise ModelError(
        f"Unknown model {spec!r}; use transformers:<path-or-id>, openai:<model>@<url> or scripted."
    )
