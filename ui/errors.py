"""Errors as one sentence for the person in the browser: never a Python traceback."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("martmind.ui")


def friendly(error: BaseException) -> str:
    """One sentence saying what went wrong and what to do.

    A ``ToolError`` or ``ModelError`` already carries such a sentence; anything else is a bug, so it is
    logged with its traceback (for the terminal that started the UI) and the page gets a short message.
    """
    from agent.models import ModelError
    from tools.base import ToolError

    if isinstance(error, (ToolError, ModelError)):
        return str(error).strip() or type(error).__name__
    if isinstance(error, MemoryError):
        return "The computer ran out of memory; try a smaller table, a smaller model or fewer rows."
    log.error("UI handler failed", exc_info=error)
    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
    return f"Something went wrong ({detail}); try again, and if it keeps happening restart martmind ui."


def guarded(on_error: Callable[[str], Any]) -> Callable:
    """Decorate a Gradio handler so an exception becomes ``on_error(sentence)`` instead of an error modal.

    Works for plain functions and for generator handlers (streaming): a generator's failure is yielded as
    its last update.
    """

    def wrap(fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                try:
                    yield from fn(*args, **kwargs)
                except Exception as e:  # noqa: BLE001 - the page shows one sentence, never a traceback
                    yield on_error(friendly(e))

            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - the page shows one sentence, never a traceback
                return on_error(friendly(e))

        return wrapper

    return wrap
