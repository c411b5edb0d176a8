"""One chat turn as Chatbot messages: the agent's events become collapsible step panels and the answer.

Pure rendering (no Gradio events, no threads), so it is tested without a browser. Messages are Gradio's
"messages" format: ``{"role", "content", "metadata"}`` where a ``metadata.title`` makes a collapsible
panel (``status`` "pending" shows a spinner and keeps it open; "done" closes it).
"""

from __future__ import annotations

import json
import time
from typing import Any

from agent.types import Answer, Step

ARGS_CHARS = 2000
RESULT_LINES = 6
CHART_HEIGHT = 340


def _json(value: Any) -> str:
    from tools.base import _jsonable

    text = json.dumps(value, default=_jsonable, ensure_ascii=False, indent=1)
    return text if len(text) <= ARGS_CHARS else text[:ARGS_CHARS] + "\n..."


def _fence(text: str, lang: str = "") -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}{lang}\n{text}\n{fence}"


def pretty_sql(sql: str) -> str:
    """SQL laid out on several lines for reading (as written when it cannot be parsed)."""
    try:
        import sqlglot

        return sqlglot.transpile(sql, read="duckdb", write="duckdb", pretty=True)[0]
    except Exception:  # noqa: BLE001 - display only: show it as it is
        return sql.strip()


def step_body(step: Step, with_result: bool = True) -> str:
    """The inside of a tool panel: arguments, SQL, and the first lines of the result."""
    parts = []
    args = dict(step.args or {})
    sql_list = list(step.sql)
    if isinstance(args.get("sql"), str):  # an SQL argument reads better as SQL than inside JSON
        given = args.pop("sql")
        sql_list = sql_list or [given]
    if args:
        parts.append("**Arguments**\n\n" + _fence(_json(args), "json"))
    for sql in sql_list:
        parts.append("**SQL**\n\n" + _fence(pretty_sql(sql), "sql"))
    if with_result and step.text:
        lines = step.text.strip().splitlines()
        shown = "\n".join(lines[:RESULT_LINES]) + ("\n..." if len(lines) > RESULT_LINES else "")
        parts.append("**Result**\n\n" + _fence(shown))
    return "\n\n".join(parts) or "(no arguments)"


def panel(title: str, body: str, *, status: str = "done", log: str = "", seconds: float | None = None):
    metadata: dict[str, Any] = {"title": title, "status": status}
    if log:
        metadata["log"] = log
    if seconds is not None:
        metadata["duration"] = round(seconds, 2)
    return {"role": "assistant", "content": body, "metadata": metadata}


def elapsed_text(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


class TurnView:
    """Accumulates one turn's messages as its events arrive.

    Args:
        question: what the person asked (shown as the user's message).
    """

    def __init__(self, question: str):
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
        self.answer: Answer | None = None
        self.error: str | None = None
        self._text_index: int | None = None
        self._streamed = ""
        self._pending: int | None = None  # the open panel (a running tool or a status)
        self._step_error: str | None = None
        self._pending_since = 0.0

    # -- panels ------------------------------------------------------------------------------------------
    def status(self, title: str, body: str) -> None:
        """Open a 'working' panel (loading the model, waiting for the previous question)."""
        self._close_pending()
        self.messages.append(panel(title, body, status="pending"))
        self._open_pending()

    def close_status(self, seconds: float | None = None, log: str = "") -> None:
        if self._pending is None:
            return
        meta = self.messages[self._pending]["metadata"]
        meta["status"] = "done"
        meta["log"] = log
        if seconds is not None:
            meta["duration"] = round(seconds, 2)
        self._pending = None

    def tick(self) -> bool:
        """Show how long the open panel has been running (so a long step never looks frozen).

        Returns:
            whether a panel changed.
        """
        if self._pending is None:
            return False
        seconds = time.perf_counter() - self._pending_since
        self.messages[self._pending]["metadata"]["log"] = f"running, {elapsed_text(seconds)}"
        return True

    def _open_pending(self) -> None:
        self._pending = len(self.messages) - 1
        self._pending_since = time.perf_counter()

    def _close_pending(self) -> None:
        if self._pending is not None:
            self.close_status()

    # -- events ------------------------------------------------------------------------------------------
    def apply(self, event: Step | Answer) -> None:
        if isinstance(event, Answer):
            self._finish(event)
            return
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event)

    def _on_route(self, step: Step) -> None:
        ranked = (step.args or {}).get("ranked") or []
        fixed = (step.args or {}).get("fixed")
        lines = [f"- {name}: {score:.2f}" for name, score in ranked[:5]]
        body = ("Likely tools (similarity to example requests):\n\n" + "\n".join(lines)) if lines else ""
        if fixed:
            body += f"\n\nChosen directly: **{fixed}**"
        self.messages.append(
            panel(
                "Choosing a tool",
                body or "The model chooses among all tools.",
                log=step.text,
                seconds=step.seconds,
            )
        )

    def _on_tool_call(self, step: Step) -> None:
        self._close_pending()
        self.messages.append(panel(f"Tool: {step.tool}", step_body(step), status="pending", log="running"))
        self._open_pending()

    def _on_tool_result(self, step: Step) -> None:
        index = self._pending if self._pending is not None else len(self.messages)
        if self._pending is None:
            self.messages.append({})
        rows = _row_summary(step.result)
        self.messages[index] = panel(
            f"Tool: {step.tool}", step_body(step), status="done", log=rows, seconds=step.seconds
        )
        self._pending = None

    def _on_retry(self, step: Step) -> None:
        self._close_pending()
        self.messages.append(
            panel(f"Retrying {step.tool}", f"The tool said: {step.text}\n\nThe model corrects its call.")
        )

    def _on_writing(self, step: Step) -> None:
        self._close_pending()
        self._streamed += step.text
        self._set_text(self._streamed)

    def _on_error(self, step: Step) -> None:
        self._close_pending()
        self._step_error = step.text

    def _set_text(self, text: str) -> None:
        if self._text_index is None:
            self.messages.append({"role": "assistant", "content": text})
            self._text_index = len(self.messages) - 1
        else:
            self.messages[self._text_index]["content"] = text

    def _finish(self, answer: Answer) -> None:
        """The final answer replaces the streamed text (the writer may have cleaned it up); its tables go to
        the results panel under the chat, its charts into the chat."""
        self._close_pending()
        self.answer = answer
        if answer.error:
            self.error = answer.error
            self._set_text(f"**Could not answer.** {answer.error}")
        else:
            self._set_text(answer.text)
            if self._step_error:  # e.g. the model failed while writing: the answer is the plain result
                self.messages.append(
                    panel("Problem while writing", self._step_error, log="plain result shown")
                )
        for figure in answer.charts:
            self.messages.append({"role": "assistant", "content": chart_component(figure)})

    # -- endings without an answer -----------------------------------------------------------------------
    def stopped(self) -> None:
        self._close_pending()
        text = self._streamed.strip()
        self._set_text((text + "\n\n" if text else "") + "*Stopped.*")

    def failed(self, message: str) -> None:
        self._close_pending()
        self.error = message
        self._set_text(f"**Could not answer.** {message}")


def _row_summary(result: Any) -> str:
    tables = getattr(result, "tables", None) or []
    if not tables:
        return "done"
    rows = sum(len(t.df) for t in tables)
    return f"{rows:,} row{'s' if rows != 1 else ''}"


def chart_component(figure: Any):
    """A plotly figure as an inline Chatbot plot, sized for the chat column."""
    import gradio as gr

    if hasattr(figure, "update_layout"):  # a plotly figure; anything else gr.Plot renders as it can
        figure.update_layout(height=CHART_HEIGHT, margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return gr.Plot(figure, show_label=False)


def history_messages(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stored conversation's turns as Chatbot messages (text, tool calls and SQL; tables are not stored)."""
    messages: list[dict[str, Any]] = []
    for turn in turns:
        messages.append({"role": "user", "content": turn.get("question", "")})
        sql = list(turn.get("sql") or [])
        for call in turn.get("tool_calls") or []:
            step = Step(kind="tool_call", tool=call.get("name"), args=call.get("args"), sql=sql)
            messages.append(panel(f"Tool: {call.get('name')}", step_body(step), log="from history"))
            sql = []
        error = turn.get("error")
        text = f"**Could not answer.** {error}" if error else turn.get("answer", "")
        messages.append({"role": "assistant", "content": text})
    return messages
