"""One chat-model interface; backends chosen by a string (DESIGN.md "Models").

- ``scripted``: replays queued replies and records what it was sent (tests).
- ``transformers:default`` (the packaged Qwen2.5-Coder-1.5B-Instruct), ``transformers:small`` (the packaged
  0.5B), ``transformers:tiny`` (SmolLM2-135M, tests), ``transformers:<dir|file.gguf|hub-id>``.
- ``llamacpp:default|small|tiny|<file.gguf>``: the same GGUF in llama.cpp (optional extra ``llamacpp``).
- ``openai:<model>@<base_url>``: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama).
- ``default``: the recommended backend for this machine (see ``default_spec``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class ModelError(Exception):
    """The model failed (timeout, out of memory, server down); the message says what to do."""


class ReplyCutOff(ModelError):
    """A structured reply ran past its token budget: usually a small model repeating itself, which a
    sampled retry can get out of (agent.calls turns it into a retryable error)."""

    def __init__(self, max_new_tokens: int):
        super().__init__(
            f"The model's structured answer did not fit in {max_new_tokens} tokens; "
            "raise max_new_tokens or simplify the request."
        )
        self.max_new_tokens = max_new_tokens


class RealModelLoadForbidden(AssertionError):
    """A test tried to load a real model without the ``realmodel`` marker (see tests/conftest.py)."""


# Set by the test suite: specs whose real load was attempted while forbidden (checked at test teardown,
# so even code that swallows the exception cannot hide an unplanned load).
FORBIDDEN_LOADS: list[str] = []


def guard_real_load(spec: str) -> None:
    """Raise when real model loads are switched off (``MARTMIND_FORBID_REAL_MODELS=1``, set by the tests)."""
    if os.environ.get("MARTMIND_FORBID_REAL_MODELS") == "1":
        FORBIDDEN_LOADS.append(spec)
        raise RealModelLoadForbidden(
            f"Unplanned real model load ({spec}); mark the test @pytest.mark.realmodel."
        )


@dataclass
class Generation:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    first_token_seconds: float | None = None  # time to first token, when the backend knows it
    finish_reason: str = "stop"  # "stop" (model ended) or "length" (hit max_new_tokens; text only)
    cached_tokens: int = 0  # prompt tokens served from the prefix cache


class ChatModel(ABC):
    """A chat model. ``json_schema`` asks for grammar-constrained output that always parses and validates;
    ``grammar`` (an EBNF text) for output that always matches it."""

    spec: str = ""

    @abstractmethod
    def generate(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_new_tokens: int = 512,
        on_token: Callable[[str], None] | None = None,
        timeout_s: float | None = None,
        temperature: float = 0.0,
        seed: int | None = None,
        grammar: str | None = None,
    ) -> Generation:
        """Complete the conversation; stream text pieces to ``on_token`` when given.

        Args:
            messages: ``[{"role": "system"|"user"|"assistant", "content": ...}]``; a leading system message
                is cached between calls by backends that can (keep it byte-identical to benefit).
            json_schema: when given, the text is JSON that validates against this schema (constrained
                decoding; never retried). Use ``agent.tool_schema.tool_call_schema`` for tool calls.
            max_new_tokens: budget for the reply; a structured reply that does not fit raises ModelError.
            on_token: called with each decoded text piece as it is generated.
            timeout_s: wall-time limit (the backend's default when None); exceeding it raises ModelError.
            temperature: 0 decodes greedily (the same reply every time); above 0 samples (with top-p 0.95),
                so retries can differ. With ``json_schema`` the sample is drawn from the grammar-masked
                scores: a sampled reply validates as a greedy one does.
            seed: makes a sampled reply repeatable (same seed, same model, same prompt: same text);
                None draws a fresh one. Ignored at temperature 0.
            grammar: an xgrammar EBNF grammar (root rule ``root``; e.g. ``agent.sql_grammar``) the text
                must match, decoded like ``json_schema`` (give at most one of the two). A backend
                without grammar support (a plain OpenAI-compatible server) returns unconstrained text.

        Raises:
            ModelError: timeout, out of memory, server down, missing weights; the message says what to do.
        """

    def info(self) -> dict[str, Any]:
        """What the settings screen shows: spec, loaded, device, memory."""
        return {"spec": self.spec, "loaded": True}


@dataclass
class ScriptedModel(ChatModel):
    """Replays queued replies in order; records every call in ``sent`` (messages, json_schema, temperature,
    seed, grammar).

    A reply is a string, a dict (sent as JSON) or a callable ``(messages, json_schema) -> str|dict``.
    """

    replies: deque[Any] = field(default_factory=deque)
    sent: list[dict[str, Any]] = field(default_factory=list)
    spec: str = "scripted"

    def enqueue(self, *replies: Any) -> ScriptedModel:
        self.replies.extend(replies)
        return self

    def generate(
        self,
        messages,
        *,
        json_schema=None,
        max_new_tokens=512,
        on_token=None,
        timeout_s=None,
        temperature=0.0,
        seed=None,
        grammar=None,
    ) -> Generation:
        self.sent.append(
            {
                "messages": [dict(m) for m in messages],
                "json_schema": json_schema,
                "temperature": temperature,
                "seed": seed,
                "grammar": grammar,
            }
        )
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


DEFAULT_SPEC = "transformers:default"
CPU_DEFAULT_SPEC = "llamacpp:default"


def default_spec() -> str:
    """The model used when none is named: ``$MARTMIND_MODEL``, else the packaged default model on the
    backend that measured faster for this machine.

    On a CPU that is llama.cpp when it is installed (README "Models": on the 2-core reference CPU it
    decodes about 3x faster than transformers, prefills far faster and uses less memory, on the same
    GGUF); with a GPU, or without llama.cpp, it is transformers.
    """
    chosen = os.environ.get("MARTMIND_MODEL")
    if chosen and chosen != "default":
        return chosen
    if _has_llamacpp() and not _has_cuda():
        return CPU_DEFAULT_SPEC
    return DEFAULT_SPEC


def _has_llamacpp() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def _has_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def load_model(spec: str | None = None, **options: Any) -> ChatModel:
    """The chat model a spec string names (weights load lazily, on first ``generate``).

    Args:
        spec: ``scripted``, ``default``, ``transformers:<default|small|tiny|dir|file.gguf|hub-id>``,
            ``llamacpp:<default|small|tiny|file.gguf>`` or ``openai:<model>@<base_url>``; None means
            ``default_spec()``.
        options: backend keyword arguments (e.g. ``timeout_s``, ``device``, ``dtype``).

    Raises:
        ModelError: unknown spec, or a backend whose optional package is not installed.
    """
    spec = (spec or default_spec()).strip()
    if spec == "default":
        spec = default_spec()
    if spec == "scripted":
        return ScriptedModel()
    kind, _, target = spec.partition(":")
    if kind == "transformers" and target:
        from agent.backends.transformers_backend import TransformersModel

        return TransformersModel(target, **options)
    if kind == "llamacpp" and target:
        from agent.backends.llamacpp_backend import LlamaCppModel

        return LlamaCppModel(target, **options)
    if kind == "openai" and target:
        from agent.backends.openai_backend import OpenAIModel

        return OpenAIModel.from_target(target, **options)
    raise ModelError(
        f"Unknown model {spec!r}; use transformers:<default|small|path>, llamacpp:<default|small|file.gguf>, "
        "openai:<model>@<url> or scripted."
    )
