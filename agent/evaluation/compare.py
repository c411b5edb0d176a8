"""Compare two evaluation runs question by question: what got fixed, what broke, what stayed the same.

Used as a regression gate: ``martmind eval --compare old.json new.json`` exits non-zero when anything broke.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.base import ToolError

SUMMARY_KEYS = (
    "execution_accuracy",
    "tool_accuracy",
    "hallucination_rate",
    "retries_total",
    "latency_p50_s",
    "latency_p95_s",
    "tokens_total",
)


def passed(record: dict[str, Any]) -> bool:
    """A question passes when its result matches (or, with no gold result, when it chose the right tool)."""
    if record.get("exec_match") is not None:
        return bool(record["exec_match"])
    if record.get("tool_correct") is not None:
        return bool(record["tool_correct"])
    return not record.get("error")


@dataclass
class Comparison:
    """The difference between run A (before) and run B (after)."""

    fixed: list[dict[str, Any]]
    broken: list[dict[str, Any]]
    same_pass: int
    same_fail: int
    only_in_a: list[str]
    only_in_b: list[str]
    summary: dict[str, dict[str, Any]]

    @property
    def exit_code(self) -> int:
        return 1 if self.broken else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "fixed": self.fixed,
            "broken": self.broken,
            "same": {"pass": self.same_pass, "fail": self.same_fail},
            "only_in_a": self.only_in_a,
            "only_in_b": self.only_in_b,
            "summary": self.summary,
            "regression": bool(self.broken),
        }

    def __str__(self) -> str:
        lines = [
            f"fixed: {len(self.fixed)}   broken: {len(self.broken)}   "
            f"same: {self.same_pass} pass, {self.same_fail} fail"
        ]
        lines += [f"  FIXED  {q['question']}" for q in self.fixed]
        lines += [f"  BROKEN {q['question']}  ({q.get('why') or 'no longer matches'})" for q in self.broken]
        if self.only_in_a or self.only_in_b:
            lines.append(f"questions only in A: {len(self.only_in_a)}, only in B: {len(self.only_in_b)}")
        for key, pair in self.summary.items():
            lines.append(f"{key}: {pair['a']} -> {pair['b']}")
        return "\n".join(lines)


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> Comparison:
    """Compare two report dicts (the JSON files ``martmind eval`` writes), matching questions by id."""
    qa = {q["id"]: q for q in a.get("questions", [])}
    qb = {q["id"]: q for q in b.get("questions", [])}
    fixed, broken, same_pass, same_fail = [], [], 0, 0
    for qid in [i for i in qa if i in qb]:
        before, after = passed(qa[qid]), passed(qb[qid])
        entry = {"id": qid, "question": qb[qid]["question"]}
        if after and not before:
            fixed.append(entry)
        elif before and not after:
            broken.append({**entry, "why": qb[qid].get("mismatch") or qb[qid].get("error")})
        elif after:
            same_pass += 1
        else:
            same_fail += 1
    summary = {k: {"a": a.get("summary", {}).get(k), "b": b.get("summary", {}).get(k)} for k in SUMMARY_KEYS}
    return Comparison(
        fixed,
        broken,
        same_pass,
        same_fail,
        [i for i in qa if i not in qb],
        [i for i in qb if i not in qa],
        summary,
    )


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a report JSON file written by ``martmind eval``; ToolError if it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToolError(f"Report {str(path)!r} does not exist.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ToolError(f"{path.name} is not a JSON report written by martmind eval.") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ToolError(f"{path.name} is not a report written by martmind eval (no 'questions' list).")
    return data
