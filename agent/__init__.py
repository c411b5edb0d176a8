"""martmind's brain: the Assistant (public API), model backends, router, agent loop and writer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.assistant import Assistant

__all__ = ["Assistant"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import agent` stays cheap and torch loads only when a model is used.
    if name == "Assistant":
        from agent.assistant import Assistant

        return Assistant
    raise AttributeError(name)
