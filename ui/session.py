"""What the UI shares between browser sessions (workspace, model) and what each session owns (its chat).

Every browser tab gets its own ``ChatSession`` with its own Assistant and conversation, keyed by Gradio's
session hash. All sessions share one Workspace (its DuckDB access is locked) and one model: a model spec is
loaded once per process by ``agent.model_cache`` and its calls run one at a time, so concurrent sessions
queue on the model instead of loading it twice or crashing each other.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.workspace import Workspace

DISPLAY_ROWS = 500  # rows of a result table sent to the browser (the CSV download has them all)


@dataclass
class UiSettings:
    """Settings a person can change in the Settings tab (process-wide)."""

    display_rows: int = DISPLAY_ROWS


class ChatSession:
    """One browser session: its Assistant (created on first use), the last answer, its turn lock."""

    def __init__(self, make_assistant: Callable[[], Any], export_root: Path):
        self._make_assistant = make_assistant
        self._assistant: Any | None = None
        self._create_lock = threading.Lock()
        self.busy = threading.Lock()  # held by the worker thread that runs a turn
        self.cancel = threading.Event()  # the running turn's stop flag (replaced per turn)
        self.last_answer: Any | None = None  # the latest Answer (its tables feed the results panel)
        self.answers = 0  # answers so far: names each CSV export uniquely
        self.history: list[dict[str, Any]] = []  # the Chatbot messages shown (kept here, not in the page)
        self.export_dir = Path(tempfile.mkdtemp(prefix="session-", dir=export_root))

    @property
    def assistant(self) -> Any:
        with self._create_lock:
            if self._assistant is None:
                self._assistant = self._make_assistant()
            return self._assistant

    def new_turn(self) -> threading.Event:
        """A fresh stop flag for the turn about to start (an old turn keeps its own, already set)."""
        self.cancel = threading.Event()
        return self.cancel

    def close(self) -> None:
        self.cancel.set()
        shutil.rmtree(self.export_dir, ignore_errors=True)


class UiContext:
    """The state of one running UI.

    Args:
        ws: the shared workspace.
        model: a model spec string (loaded lazily, shared through ``agent.model_cache``) or a ChatModel.
        assistant_factory: ``(ws) -> Assistant``; the default builds the product's Assistant with ``model``.
            Tests pass one with a scripted model.
    """

    def __init__(
        self,
        ws: Workspace,
        model: Any = None,
        assistant_factory: Callable[[Workspace], Any] | None = None,
    ):
        self.ws = ws
        self.model = model
        self.settings = UiSettings()
        self._factory = assistant_factory or self._default_assistant
        self._sessions: dict[str, ChatSession] = {}
        self._lock = threading.Lock()
        self.export_root = Path(tempfile.mkdtemp(prefix="martmind-ui-"))

    def _default_assistant(self, ws: Workspace) -> Any:
        from agent.assistant import Assistant

        return Assistant(model=self.model, workspace=ws)

    def session(self, session_hash: str | None) -> ChatSession:
        """The session of one browser tab (created on its first event)."""
        key = session_hash or "local"
        with self._lock:
            if key not in self._sessions:
                self._sessions[key] = ChatSession(lambda: self._factory(self.ws), self.export_root)
            return self._sessions[key]

    def drop(self, session_hash: str | None) -> None:
        """Forget a closed tab's session (its conversation stays on disk)."""
        with self._lock:
            session = self._sessions.pop(session_hash or "local", None)
        if session is not None:
            session.close()

    def session_count(self) -> int:
        with self._lock:
            return len(self._sessions)

    # -- the model ---------------------------------------------------------------------------------------
    @property
    def model_spec(self) -> str:
        if self.model is None or isinstance(self.model, str):
            from agent.assistant import default_model_spec

            return self.model or default_model_spec()
        return getattr(self.model, "spec", type(self.model).__name__)

    def model_loaded(self) -> bool:
        """Whether the model is in memory (asking will not wait for a first load)."""
        if self.model is not None and not isinstance(self.model, str):
            return True
        from agent.model_cache import loaded_specs

        return self.model_spec in loaded_specs()

    def load_model(self) -> Any:
        """Load the shared model now (the Settings button and the first question use this)."""
        if self.model is not None and not isinstance(self.model, str):
            return self.model
        from agent.model_cache import shared_model

        return shared_model(self.model_spec)

    def model_info(self) -> dict[str, Any]:
        """Spec, loaded, device and memory, without loading the model."""
        info: dict[str, Any] = {"spec": self.model_spec, "loaded": self.model_loaded()}
        if info["loaded"]:
            try:
                info.update(self.load_model().info())
            except Exception as e:  # noqa: BLE001 - a status line must not fail the page
                info["status_error"] = str(e)
        info["process_memory_mb"] = process_memory_mb()
        return info

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()
        shutil.rmtree(self.export_root, ignore_errors=True)


def process_memory_mb() -> float:
    """Resident memory of this process in MiB (current on Linux, peak elsewhere)."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
