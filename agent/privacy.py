"""Private data stays out of prompts: one wrapper at the model boundary, around any backend.

Every prompt the agent builds (table previews, review text, product and person names, the schema card's
sample values, the conversation so far) reaches the model through ``PrivateModel``. It replaces e-mail
addresses, phone numbers, card and account numbers and person names (tools.pii) by stable placeholders in
each message, in the string values of a ``json_schema`` (an enum of stored values) and in a ``grammar``'s
quoted literals, and puts the values back in the reply, streamed pieces included. So a tool call the model
writes with ``<EMAIL_1>`` runs on the real address, and the person reads it in the answer.

It is always on for a remote server (the ``openai:`` backend); for a local model it follows the
workspace setting ``keep_private_data`` (off unless the person turns it on in Settings), read on each
call so the switch applies at once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Set
from typing import Any

from agent.models import ChatModel, Generation, Message
from agent.placeholders import Placeholders
from tools.pii_columns import person_name_values
from tools.workspace import Workspace

SETTING = "keep_private_data"
REMOTE_PREFIX = "openai:"
# Schema keys whose strings are syntax, not text (a pattern's digits are not a phone number).
_SCHEMA_SYNTAX = frozenset({"type", "$ref", "$schema", "$id", "pattern", "format", "required"})
_GRAMMAR_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


class PrivateModel(ChatModel):
    """``inner`` with private values replaced by placeholders in what it reads and restored in what it writes.

    Args:
        inner: any ChatModel (usually the shared, serialized one).
        enabled: asked on every call; False passes the call through untouched.
        known_names: person names the data holds (tools.pii_columns), asked on every call.
    """

    def __init__(
        self,
        inner: ChatModel,
        *,
        enabled: Callable[[], bool] = lambda: True,
        known_names: Callable[[], Set[str]] = frozenset,
    ):
        self.inner = inner
        self.spec = inner.spec
        self._placeholders = Placeholders()
        self._enabled, self._known_names = enabled, known_names

    def generate(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        on_token: Callable[[str], None] | None = None,
        grammar: str | None = None,
        **kwargs: Any,
    ) -> Generation:
        if not self._enabled():
            return self.inner.generate(
                messages, json_schema=json_schema, on_token=on_token, grammar=grammar, **kwargs
            )
        known = self._known_names()

        def redact(text: str) -> str:
            return self._placeholders.redact(text, known)

        is_json = json_schema is not None
        stream = self._placeholders.streaming(on_token, json_strings=is_json) if on_token else None
        generation = self.inner.generate(
            [{**m, "content": redact(m["content"])} for m in messages],
            json_schema=_redact_schema(json_schema, redact) if is_json else None,
            on_token=stream,
            grammar=_GRAMMAR_LITERAL.sub(lambda m: f'"{redact(m.group(1))}"', grammar) if grammar else None,
            **kwargs,
        )
        if stream is not None:
            stream.flush()
        return dataclasses.replace(
            generation, text=self._placeholders.restore(generation.text, json_strings=is_json)
        )

    def info(self) -> dict[str, Any]:
        return {
            **self.inner.info(),
            "private_data": "replaced by placeholders" if self._enabled() else "sent",
        }


def _redact_schema(node: Any, redact: Callable[[str], str], key: str | None = None) -> Any:
    """A copy of a JSON schema with its text values redacted (property names and syntax kept)."""
    if isinstance(node, dict):
        return {k: _redact_schema(v, redact, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_redact_schema(v, redact, key) for v in node]
    if isinstance(node, str) and key not in _SCHEMA_SYNTAX:
        return redact(node)
    return node


def is_remote(spec: str) -> bool:
    """Whether the spec names a model behind a server (whose prompts leave this process)."""
    return spec.startswith(REMOTE_PREFIX)


def private_model(model: ChatModel, ws: Workspace) -> PrivateModel:
    """``model`` as the product calls it: private data kept out of its prompts always for a remote server,
    for a local model when the workspace's ``keep_private_data`` setting is on."""
    remote = is_remote(model.spec)
    return PrivateModel(
        model,
        enabled=lambda: remote or ws.setting(SETTING) is True,
        known_names=lambda: person_name_values(ws),
    )
