"""Records the agent produces: step events while it works, and the final Answer (DESIGN.md contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.base import Fact, Table, _jsonable


@dataclass
class Step:
    """One thing the agent did, streamed to the UI as it happens.

    kind: "route" (tools ranked), "tool_call" (about to run), "tool_result", "retry" (an error sent back
    to the model), "writing" (the write-up started), "error".
    """

    kind: str
    tool: str | None = None
    args: dict[str, Any] | None = None
    sql: list[str] = field(default_factory=list)
    text: str = ""
    seconds: float = 0.0
    result: Any | None = None  # the ToolResult of a "tool_result" step

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "tool": self.tool,
            "args": self.args,
            "sql": self.sql,
            "text": self.text,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Answer:
    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # [{"name", "args"}]
    sql: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Any] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    error: str | None = None
    sources: list[dict[str, Any]] = field(
        default_factory=list
    )  # [{"tool", "args", "sql"}] behind the numbers
    grounding: dict[str, Any] | None = None  # the grounding check of the text (agent.grounding)

    def to_dict(self, max_rows: int | None = 1000) -> dict[str, Any]:
        """The `martmind ask --json` shape."""
        out = {
            "text": self.text,
            "tool_calls": [
                {"name": c["name"], "args": _jsonable_tree(c.get("args", {}))} for c in self.tool_calls
            ],
            "sql": list(self.sql),
            "tables": [t.to_dict(max_rows) for t in self.tables],
            "facts": [f.to_dict() for f in self.facts],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
        out["sources"] = _jsonable_tree(self.sources)
        if self.grounding is not None:
            out["grounding"] = self.grounding
        if self.error:
            out["error"] = self.error
        return out


def combine_answers(answers: list[Answer]) -> Answer:
    """One Answer for a request run as several steps, in order: each step's text, tables, facts, calls."""
    if len(answers) == 1:
        return answers[0]
    timings: dict[str, float] = {}
    for a in answers:
        for key, value in a.timings.items():
            timings[key] = timings.get(key, 0.0) + value
    groundings = [a.grounding for a in answers if a.grounding is not None]
    return Answer(
        text="\n\n".join(a.text for a in answers if a.text),
        tool_calls=[c for a in answers for c in a.tool_calls],
        sql=[q for a in answers for q in a.sql],
        tables=[t for a in answers for t in a.tables],
        charts=[c for a in answers for c in a.charts],
        facts=[f for a in answers for f in a.facts],
        timings=timings,
        steps=[s for a in answers for s in a.steps],
        error=next((a.error for a in answers if a.error), None),
        sources=[s for a in answers for s in a.sources],
        grounding={"steps": groundings} if groundings else None,
    )


def _jsonable_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable_tree(v) for v in value]
    return _jsonable(value)
