"""The Settings tab: the model backend and its status, private data in prompts, row limits, the workspace."""

from __future__ import annotations

import threading
import time
from typing import Any

from agent.privacy import SETTING as PRIVATE_SETTING
from agent.privacy import is_remote
from ui.errors import friendly
from ui.session import UiContext
from ui.turn import elapsed_text

MAX_DISPLAY_ROWS = 5000


def model_status(ctx: UiContext) -> str:
    """Markdown: spec, loaded or not, device, memory."""
    info = ctx.model_info()
    lines = [f"**Model:** `{info.pop('spec')}`"]
    loaded = info.pop("loaded")
    lines.append("**Status:** " + ("loaded" if loaded else "not loaded yet (it loads on the first question)"))
    rss = info.pop("process_memory_mb", None)
    for key, value in info.items():
        if value not in (None, "", [], {}):
            lines.append(f"**{key.replace('_', ' ').capitalize()}:** {value}")
    if rss is not None:
        lines.append(f"**Memory of this process:** {rss:,.0f} MiB")
    return "  \n".join(lines)


def workspace_status(ctx: UiContext) -> str:
    ws = ctx.ws
    return "  \n".join(
        [
            f"**Workspace:** `{ws.home}`",
            f"**Tables:** {len(ws.tables())}",
            f"**Open browser sessions:** {ctx.session_count()}",
        ]
    )


class SettingsHandlers:
    """The Settings tab's handlers, bound to one UiContext."""

    def __init__(self, ctx: UiContext):
        self.ctx = ctx

    def status(self) -> tuple[str, str]:
        return model_status(self.ctx), workspace_status(self.ctx)

    def load_model(self):
        """Load the shared model now, showing the elapsed time instead of a frozen page."""
        if self.ctx.model_loaded():
            yield model_status(self.ctx)
            return
        done: dict[str, Any] = {}

        def work() -> None:
            try:
                self.ctx.load_model()
            except Exception as e:  # noqa: BLE001
                done["error"] = friendly(e)

        start = time.perf_counter()
        worker = threading.Thread(target=work, name="martmind-load", daemon=True)
        worker.start()
        while worker.is_alive():
            yield f"Loading `{self.ctx.model_spec}` ... {elapsed_text(time.perf_counter() - start)}"
            worker.join(timeout=1.0)
        if "error" in done:
            yield f"**The model did not load.** {done['error']}"
            return
        yield model_status(self.ctx)

    def apply_limits(self, display_rows: float, query_rows: float) -> str:
        """Rows shown per result table, and the row cap of query results (both for every session)."""
        display, cap = int(display_rows), int(query_rows)
        if display < 1 or cap < 1:
            return "Row limits must be at least 1."
        self.ctx.settings.display_rows = min(display, MAX_DISPLAY_ROWS)
        self.ctx.ws.max_rows = cap
        return (
            f"Result tables show up to {self.ctx.settings.display_rows:,} rows; queries return up to "
            f"{cap:,} rows. The CSV download always has every row a query returned."
        )

    def private_data(self) -> tuple[bool, bool, str]:
        """(checked, can be changed, note) for the "keep private data out of prompts" box."""
        if is_remote(self.ctx.model_spec):
            return True, False, "Always on: this model runs on a server, so prompts leave this computer."
        on = self.ctx.ws.setting(PRIVATE_SETTING) is True
        return on, True, _private_note(on)

    def apply_private_data(self, on: bool) -> str:
        """Keep private data out of a local model's prompts (stored in the workspace; applies at once)."""
        if is_remote(self.ctx.model_spec):
            return self.private_data()[2]
        self.ctx.ws.set_setting(PRIVATE_SETTING, bool(on))
        return _private_note(bool(on))


def _private_note(on: bool) -> str:
    if on:
        return (
            "E-mail addresses, phone numbers, card and account numbers and person names are replaced by "
            "placeholders before any prompt and put back in the answers you see."
        )
    return "Off: the local model reads the data as it is (nothing leaves this computer)."
