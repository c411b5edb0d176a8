"""The Chat tab's handlers: stream a turn, stop it, start or reopen a conversation, show its results.

A turn runs in a worker thread that feeds the agent's events into a queue; the Gradio handler drains the
queue and re-renders. The handler therefore never blocks on the model: while a step runs it ticks its
elapsed time, and Stop takes effect at once (the worker closes the agent's generator after the event it is
waiting for, so a stopped turn is not saved to the conversation).
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from ui.errors import friendly
from ui.session import ChatSession, UiContext
from ui.turn import TurnView, history_messages

TITLE_CHARS = 44
HISTORY_ITEMS = 30  # newest conversations listed in the side column
TICK_S = 1.0  # how often a running step's clock updates
FRAME_S = 0.08  # streamed tokens are batched into frames at most this often


def session_of(ctx: UiContext, request: Any) -> ChatSession:
    return ctx.session(getattr(request, "session_hash", None))


# -- running a turn ---------------------------------------------------------------------------------------
def _work(ctx: UiContext, session: ChatSession, question: str, out: queue.Queue, cancel: threading.Event):
    """The worker thread: wait for the session's previous turn, load the model if needed, run the turn."""
    try:
        if not session.busy.acquire(blocking=False):
            out.put(("status", ("Waiting for the previous question", "It is finishing its current step.")))
            session.busy.acquire()
            out.put(("status_done", None))
        try:
            if cancel.is_set():
                out.put(("stopped", None))
                return
            assistant = session.assistant
            if not ctx.model_loaded():
                start = time.perf_counter()
                out.put(("status", ("Loading the model", f"{ctx.model_spec}: the first load takes a while.")))
                assistant.model  # noqa: B018 - loads the shared model (later questions skip this)
                out.put(("status_done", time.perf_counter() - start))
            stream = assistant.stream(question)
            for event in stream:
                if cancel.is_set():
                    stream.close()  # before its Answer: the stopped turn is not saved
                    out.put(("stopped", None))
                    return
                out.put(("event", event))
            out.put(("done", None))
        finally:
            session.busy.release()
    except Exception as e:  # noqa: BLE001 - the page gets one sentence
        out.put(("failed", friendly(e)))


def run_turn(ctx: UiContext, session: ChatSession, turn: TurnView) -> Iterator[None]:
    """Run one turn, yielding whenever ``turn`` changed enough to redraw; returns when it ended."""
    cancel = session.new_turn()
    out: queue.Queue = queue.Queue()
    question = turn.messages[0]["content"]
    worker = threading.Thread(
        target=_work, args=(ctx, session, question, out, cancel), name="martmind-turn", daemon=True
    )
    worker.start()
    finished = False
    last_frame = 0.0
    try:
        while True:
            try:
                kind, value = out.get(timeout=TICK_S)
            except queue.Empty:
                if cancel.is_set():
                    turn.stopped()  # don't wait: the worker ends on its own after its current step
                    finished = True
                    return
                if turn.tick():
                    yield
                continue
            finished = _apply(turn, kind, value)
            if finished:
                return
            if cancel.is_set():
                turn.stopped()
                finished = True
                return
            now = time.perf_counter()
            if out.empty() or now - last_frame > FRAME_S:
                last_frame = now
                yield
    finally:
        if not finished:
            cancel.set()  # the page went away mid-turn: let the worker stop too


def _apply(turn: TurnView, kind: str, value: Any) -> bool:
    """Apply one worker message to the view; True when the turn is over."""
    if kind == "event":
        turn.apply(value)
    elif kind == "status":
        turn.status(
            value[0] if isinstance(value, tuple) else value, value[1] if isinstance(value, tuple) else ""
        )
    elif kind == "status_done":
        turn.close_status(seconds=value)
    elif kind == "stopped":
        turn.stopped()
        return True
    elif kind == "failed":
        turn.failed(value)
        return True
    elif kind == "done":
        return True
    return False


# -- Gradio handlers --------------------------------------------------------------------------------------
class ChatHandlers:
    """The Chat tab's event handlers, bound to one UiContext."""

    def __init__(self, ctx: UiContext):
        self.ctx = ctx

    def respond(self, question: str, request: gr.Request):
        """Stream one turn: yields (chatbot, textbox, send button, stop button)."""
        session = session_of(self.ctx, request)
        question = (question or "").strip()
        if not question:
            yield session.history, gr.update(), gr.update(), gr.update()
            return
        turn = TurnView(question)
        running = (
            gr.update(value="", interactive=False),
            gr.update(interactive=False),
            gr.update(visible=True),
        )
        yield session.history + turn.messages, *running
        try:
            for _ in run_turn(self.ctx, session, turn):
                yield session.history + turn.messages, *running
        except Exception as e:  # noqa: BLE001 - one sentence in the chat, never a traceback
            turn.failed(friendly(e))
        session.history = session.history + turn.messages
        if turn.answer is not None:
            session.last_answer = turn.answer
            session.answers += 1
        yield session.history, *idle_controls()

    def stop(self, request: gr.Request) -> None:
        session_of(self.ctx, request).cancel.set()

    def mark_correct(self, request: gr.Request) -> None:
        """The Correct button: the last answer's question and tool call become a learned example."""
        session = session_of(self.ctx, request)
        if session.busy.locked():
            gr.Warning("Wait until the answer is finished, then mark it correct.")
            return
        learned = session.assistant.learn_last()
        gr.Info(f"Thanks: learned. Similar questions will use {learned.tool} as this answer did.")

    def new_conversation(self, request: gr.Request):
        """Clear the chat and results; the old conversation stays in the history list."""
        session = session_of(self.ctx, request)
        session.cancel.set()
        if session.busy.locked():
            gr.Warning("The previous question is still stopping; try again in a moment.")
            return gr.skip(), gr.skip()
        session.assistant.new_conversation()
        session.history, session.last_answer = [], None
        return [], self.history_update(session)

    def open_conversation(self, conversation_id: str | None, request: gr.Request):
        """Show a stored conversation and continue it (follow-up questions use its state)."""
        session = session_of(self.ctx, request)
        if not conversation_id:
            return gr.skip()
        if session.busy.locked():
            gr.Warning("Stop the running question first.")
            return gr.skip()
        conversation = session.assistant.load_conversation(conversation_id)
        session.history, session.last_answer = history_messages(conversation.turns), None
        return session.history

    def history_update(self, session: ChatSession | None = None, request: gr.Request | None = None):
        """The past-conversations dropdown, newest first."""
        session = session or session_of(self.ctx, request)
        stored = session.assistant.conversations()[:HISTORY_ITEMS]
        choices = [(conversation_label(c), c["id"]) for c in stored]
        current = session.assistant.conversation.id
        value = current if any(cid == current for _, cid in choices) else None
        return gr.update(choices=choices, value=value)

    def refresh_history(self, request: gr.Request):
        return self.history_update(request=request)

    # -- results -----------------------------------------------------------------------------------------
    def show_results(self, request: gr.Request):
        """After a turn: the table picker, the first table and its CSV (hidden when there is no table)."""
        session = session_of(self.ctx, request)
        tables = getattr(session.last_answer, "tables", None) or []
        if not tables:
            return gr.update(visible=False), gr.update(choices=[], value=None), None, None
        first = tables[0]
        return (
            gr.update(visible=True),
            gr.update(choices=[t.name for t in tables], value=first.name, visible=len(tables) > 1),
            *self._table_outputs(session, first),
        )

    def select_table(self, name: str | None, request: gr.Request):
        session = session_of(self.ctx, request)
        tables = {t.name: t for t in getattr(session.last_answer, "tables", None) or []}
        if name not in tables:
            return gr.skip(), gr.skip()
        return self._table_outputs(session, tables[name])

    def _table_outputs(self, session: ChatSession, table: Any) -> tuple[Any, str]:
        rows = self.ctx.settings.display_rows
        df = table.df
        label = f"{table.name}: {len(df):,} row{'s' if len(df) != 1 else ''}"
        label += f" (first {rows:,} shown; the CSV has all)" if len(df) > rows else ""
        # Shown formatted (separators, currency, periods); the CSV keeps the exact values.
        return gr.update(value=table.shown(rows), label=label), export_csv(session, table.name, df)


def idle_controls() -> tuple[Any, Any, Any]:
    return gr.update(interactive=True), gr.update(interactive=True), gr.update(visible=False)


def conversation_label(summary: dict[str, Any]) -> str:
    """'revenue by country · Nov 22 09:08' (title cut to fit the side column)."""
    title = summary.get("title") or "(empty)"
    title = title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"
    try:
        when = datetime.fromisoformat(str(summary["updated_at"])).astimezone().strftime("%b %d %H:%M")
    except (KeyError, ValueError):
        when = ""
    return f"{title} · {when}" if when else title


def export_csv(session: ChatSession, name: str, df) -> str:
    """Write a result table as CSV for the download button (all rows, not only those shown)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "result"
    path = Path(session.export_dir) / f"{safe}-{session.answers}.csv"
    df.to_csv(path, index=False)
    return str(path)
