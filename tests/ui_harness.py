"""A real martmind UI with a scripted model, for the handler and browser tests.

The scripted "analyst" answers like the real model would, through the real Assistant, tools and DuckDB:
it chooses ``sql_query``, writes SQL for the country the question names, and writes an answer naming that
country, so tests can tell answers apart (two sessions must never see each other's).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any

from agent.model_cache import SerializedModel
from agent.models import ModelError, ScriptedModel

COUNTRIES = ("France", "Germany", "United Kingdom")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM = "/usr/bin/chromium"


def question_of(messages: list[dict[str, str]]) -> str:
    """The person's request inside the agent's prompt (after 'Request:' when present)."""
    text = "\n".join(m["content"] for m in messages)
    found = re.findall(r"Request:\s*(.+)", text)
    return found[-1] if found else messages[-1]["content"]


def country_of(text: str) -> str | None:
    return next((c for c in COUNTRIES if c.lower() in text.lower()), None)


class Analyst:
    """A reply function for ScriptedModel: choose sql_query, fill SQL, write an answer.

    Args:
        write_delay_s: how long writing takes (lets tests overlap two sessions or press Stop).
        gate: when given, writing an answer to a question that says "slowly" waits until it is set
            (a test controls when that answer comes, e.g. to press Stop first).
        fail_with: raise this ModelError message on every call (a broken model).
    """

    def __init__(self, write_delay_s: float = 0.0, gate: threading.Event | None = None, fail_with: str = ""):
        self.write_delay_s, self.gate, self.fail_with = write_delay_s, gate, fail_with
        self.questions: list[str] = []

    def __call__(self, messages: list[dict[str, str]], json_schema: dict[str, Any] | None) -> Any:
        if self.fail_with:
            raise ModelError(self.fail_with)
        question = question_of(messages)
        props = (json_schema or {}).get("properties", {})
        if "tool" in props:
            self.questions.append(question)
            return {"tool": "sql_query"}
        if json_schema is not None:
            args = {"sql": sql_for(question)}
            return {"follow_up": False, "arguments": args} if "follow_up" in props else args
        if self.gate is not None and "slowly" in question.lower():
            self.gate.wait(timeout=30)
        time.sleep(self.write_delay_s)
        country = country_of(question)
        if re.search(r"[\u4e00-\u9fff]", question):
            return "各国的销售额见下表。"
        return f"Revenue for {country} is in the table below." if country else "Revenue by country is below."


def sql_for(question: str) -> str:
    if "per month" in question.lower():
        return (
            "SELECT date_trunc('month', InvoiceDate) AS month, round(sum(Quantity * UnitPrice), 2) AS revenue "
            "FROM sales GROUP BY 1 ORDER BY 1"
        )
    country = country_of(question)
    where = f" WHERE Country = '{country}'" if country else ""
    return (
        "SELECT Country, round(sum(Quantity * UnitPrice), 2) AS revenue "
        f"FROM sales{where} GROUP BY Country ORDER BY revenue DESC"
    )


class EndlessScript(ScriptedModel):
    """A ScriptedModel whose one reply function answers every call (no queue to run dry)."""

    def __init__(self, reply):
        super().__init__()
        self.reply = reply

    def generate(self, messages, *, json_schema=None, max_new_tokens=512, on_token=None, **sampling):
        self.replies.append(self.reply)
        return super().generate(
            messages, json_schema=json_schema, max_new_tokens=max_new_tokens, on_token=on_token, **sampling
        )


def scripted_context(ws, analyst: Analyst | None = None):
    """A UiContext over ``ws`` whose sessions share one serialized scripted model (like the real one)."""
    from agent.assistant import Assistant
    from ui.session import UiContext

    model = SerializedModel(EndlessScript(analyst or Analyst()))

    def make(workspace):
        return Assistant(model=model, workspace=workspace, router_mode="off")

    return UiContext(ws, model=model, assistant_factory=make)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Request:
    """Stands in for gr.Request in handler tests: only the session hash matters."""

    def __init__(self, session_hash: str):
        self.session_hash = session_hash
