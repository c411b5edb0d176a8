"""Run a golden set through an answer source and score every question.

The answer source is any callable ``question -> Answer`` (the Assistant's ``ask``, or a stand-in), so the
harness does not depend on how answers are produced.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.evaluation.golden import GoldenItem
from agent.evaluation.scoring import ResultTable, compare_results, gold_orders, unknown_names
from agent.types import Answer
from tools.base import ToolError

AnswerSource = Callable[[str], Answer]


@dataclass
class EvalReport:
    """Per-question records and the summary of one run; ``to_dict`` is the JSON file's shape."""

    questions: list[dict[str, Any]]
    summary: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"meta": self.meta, "summary": self.summary, "questions": self.questions}


def evaluate(
    items: Iterable[GoldenItem],
    answer: AnswerSource,
    ws,
    *,
    allow_extra_columns: bool = True,
    meta: dict[str, Any] | None = None,
    gold_result: Callable[[GoldenItem], ResultTable] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> EvalReport:
    """Ask every question, score the answers, and summarise.

    Args:
        items: the golden questions.
        answer: the answer source, ``question -> Answer``.
        ws: the workspace the gold SQL runs on and whose schema judges hallucinations.
        allow_extra_columns: accept predictions with extra columns (see ``compare_results``).
        meta: run information stored in the report (model, file, ...); date and machine are added.
        gold_result: how to get an item's gold result; default: its ``expected`` table or its SQL on ``ws``.
        on_result: called with each question's record as soon as it is scored (progress output).
    """
    schema = workspace_schema(ws)
    gold_of = gold_result or (lambda item: default_gold(item, ws))
    records = []
    for item in items:
        record = score_item(item, answer, ws, schema, gold_of, allow_extra_columns)
        records.append(record)
        if on_result:
            on_result(record)
    return EvalReport(records, summarise(records), {**run_meta(), **(meta or {})})


def score_item(
    item: GoldenItem,
    answer: AnswerSource,
    ws,
    schema: dict[str, set[str]],
    gold_of: Callable[[GoldenItem], ResultTable],
    allow_extra_columns: bool,
) -> dict[str, Any]:
    """Ask one question and score it: tool choice, result, hallucinated names, retries, time, tokens."""
    record: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "tags": item.tags,
        "gold_sql": item.sql,
        "expected_tool": item.tool or None,
    }
    gold, gold_error = None, None
    if item.sql or item.expected is not None:
        try:
            gold = gold_of(item)
        except ToolError as e:
            gold_error = str(e)
    start = time.perf_counter()
    try:
        ans = answer(item.question)
    except Exception as e:  # noqa: BLE001 - one failing question must not end the run
        ans = Answer(text="", error=f"{type(e).__name__}: {e}")
    record["latency_s"] = round(time.perf_counter() - start, 3)
    record.update(_answer_fields(ans))
    record["tool_correct"] = (
        (record["tools_called"][:1] != [] and record["tools_called"][0] in item.tool) if item.tool else None
    )
    record.update(_hallucinations(record["predicted_sql"], schema))
    record.update(_execution(item, gold, gold_error, ans, ws, allow_extra_columns))
    return record


def default_gold(item: GoldenItem, ws) -> ResultTable:
    """The gold result: the item's ``expected`` table, else its SQL run on the workspace."""
    if item.expected is not None:
        return ResultTable.from_dict(item.expected)
    return ResultTable.from_frame(ws.query(item.sql))


def predicted_table(ans: Answer, ws) -> ResultTable | None:
    """The answer's result: the main table of its last tool result, else its first table, else its last SQL."""
    for step in reversed(ans.steps):
        tables = getattr(step.result, "tables", None) if step.kind == "tool_result" else None
        if tables:
            return ResultTable.from_frame(tables[0].df)
    if ans.tables:
        return ResultTable.from_frame(ans.tables[0].df)
    if ans.sql:
        from tools.sql import SqlQuery

        try:  # through the guarded tool: the statement came from a model
            result = SqlQuery(ws)(sql=ans.sql[-1])
        except ToolError:
            return None
        return ResultTable.from_frame(result.tables[0].df)
    return None


def _answer_fields(ans: Answer) -> dict[str, Any]:
    return {
        "tools_called": [c.get("name") for c in ans.tool_calls],
        "predicted_sql": all_sql(ans),
        "retries": sum(1 for s in ans.steps if s.kind == "retry"),
        "tokens": token_count(ans),
        "error": ans.error,
        "answer_text": (ans.text or "")[:1000],
    }


def all_sql(ans: Answer) -> list[str]:
    """Every SQL statement the answer tried, failed attempts included, in order and without repeats."""
    found: list[str] = []
    for step in ans.steps:
        sql = (step.args or {}).get("sql") if step.kind == "tool_call" else None
        if isinstance(sql, str):
            found.append(sql)
        found.extend(step.sql)
    for call in ans.tool_calls:
        if isinstance((call.get("args") or {}).get("sql"), str):
            found.append(call["args"]["sql"])
    found.extend(ans.sql)
    return list(dict.fromkeys(s.strip() for s in found if s and s.strip()))


def token_count(ans: Answer) -> int | None:
    """Tokens the answer used, from its timings (keys naming tokens); None when it does not say."""
    counts = [v for k, v in ans.timings.items() if "token" in k.lower() and isinstance(v, (int, float))]
    return int(sum(counts)) if counts else None


def _hallucinations(sqls: list[str], schema: dict[str, set[str]]) -> dict[str, Any]:
    if not sqls:
        return {"hallucinated": None, "unknown_names": []}
    names = sorted({n for sql in sqls for n in unknown_names(sql, schema)})
    return {"hallucinated": bool(names), "unknown_names": names}


def _execution(
    item: GoldenItem,
    gold: ResultTable | None,
    gold_error: str | None,
    ans: Answer,
    ws,
    allow_extra_columns: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "gold_error": gold_error,
        "exec_match": None,
        "mismatch": None,
        "gold_rows": gold.preview() if gold else None,
        "predicted_rows": None,
    }
    if gold is None:
        return out
    predicted = predicted_table(ans, ws)
    if predicted is None:
        out.update(exec_match=False, mismatch="no result table" + (f" ({ans.error})" if ans.error else ""))
        return out
    ordered = item.ordered if item.ordered is not None else bool(item.sql and gold_orders(item.sql))
    match = compare_results(
        gold, predicted, ordered=ordered, tolerance=item.tolerance, allow_extra_columns=allow_extra_columns
    )
    out.update(
        exec_match=match.ok,
        mismatch=match.reason or None,
        ordered=ordered,
        predicted_rows=predicted.preview(),
    )
    return out


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's figures: accuracies, hallucination rate, retries, latency percentiles, tokens, per tag."""
    scored = [r for r in records if r["exec_match"] is not None]
    tooled = [r for r in records if r["tool_correct"] is not None]
    with_sql = [r for r in records if r["hallucinated"] is not None]
    latencies = sorted(r["latency_s"] for r in records)
    tokens = [r["tokens"] for r in records if r["tokens"] is not None]
    summary = {
        "questions": len(records),
        "execution_accuracy": _rate(scored, "exec_match"),
        "execution_scored": len(scored),
        "tool_accuracy": _rate(tooled, "tool_correct"),
        "tool_scored": len(tooled),
        "hallucination_rate": _rate(with_sql, "hallucinated"),
        "questions_with_sql": len(with_sql),
        "retries_total": sum(r["retries"] for r in records),
        "questions_with_retry": sum(1 for r in records if r["retries"]),
        "errors": sum(1 for r in records if r["error"]),
        "gold_errors": sum(1 for r in records if r["gold_error"]),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "tokens_total": sum(tokens) if tokens else None,
        "tokens_mean": round(sum(tokens) / len(tokens), 1) if tokens else None,
    }
    summary["by_tag"] = {
        tag: {"questions": len(rs), "execution_accuracy": _rate(rs, "exec_match")}
        for tag, rs in _by_tag(scored).items()
    }
    return summary


def _rate(records: list[dict[str, Any]], key: str) -> float | None:
    return round(sum(1 for r in records if r[key]) / len(records), 4) if records else None


def _by_tag(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        for tag in r["tags"]:
            groups.setdefault(tag, []).append(r)
    return dict(sorted(groups.items()))


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The q-th percentile by linear interpolation (numpy's default), of an ascending list."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return round(sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low), 3)


def workspace_schema(ws) -> dict[str, set[str]]:
    """Lower-case table name -> lower-case column names, for the hallucination check."""
    return {t.lower(): {c.lower() for c in cols} for t, cols in ws.columns_by_table().items()}


def run_meta() -> dict[str, Any]:
    """Date and machine, so figures can be reported with where and when they were measured."""
    import os

    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
