"""One model per spec per process, loaded on first use and shared; calls to it queue one at a time.

Several UI sessions may ask at once. A model instance (and a CPU) serves one generation at a time, so the
shared instance is wrapped in a lock: concurrent sessions wait their turn instead of crashing the backend.
"""

from __future__ import annotations

import threading
from typing import Any

from agent.models import ChatModel, Generation, Message, ModelError, load_model

_models: dict[str, SerializedModel] = {}
_load_lock = threading.Lock()


class SerializedModel(ChatModel):
    """A ChatModel whose ``generate`` calls run one at a time."""

    def __init__(self, inner: ChatModel):
        self.inner = inner
        self.spec = inner.spec
        self._lock = threading.Lock()

    def generate(self, messages: list[Message], **kwargs: Any) -> Generation:
        # Keyword arguments pass through untouched (json_schema, max_new_tokens, on_token, timeout_s, ...).
        with self._lock:
            return self.inner.generate(messages, **kwargs)

    def info(self) -> dict[str, Any]:
        return self.inner.info()


def shared_model(spec: str) -> ChatModel:
    """The process-wide model for ``spec``, loaded on the first call.

    ``scripted`` is never shared: each caller gets its own test model with its own queue.

    Raises:
        ModelError: the model could not be loaded (the message says why).
    """
    if spec == "scripted":
        return load_model(spec)
    with _load_lock:  # one load at a time: two sessions must not load the same weights twice
        if spec not in _models:
            try:
                _models[spec] = SerializedModel(load_model(spec))
            except ModelError:
                raise
            except Exception as e:  # noqa: BLE001 - say what failed in one sentence
                raise ModelError(f"could not load {spec}: {type(e).__name__}: {e}") from None
        return _models[spec]


def loaded_specs() -> list[str]:
    return list(_models)
