"""Two periods side by side: each metric for the period asked about, for the period compared with, and the
change in percent ("how did web revenue in Q4 2024 compare with Q4 2023": 51,200 against 44,900, +14.03%).

The metric layer computes each period as its own query (tools.metrics); this module lays the two results
beside each other, so every figure of the comparison is one the layer computed, and the change is
arithmetic on them.
"""

from __future__ import annotations

import pandas as pd

from tools import formats
from tools.base import RetryableToolError, Table, ToolResult, frame_facts


def compare_results(
    now: ToolResult, then: ToolResult, metrics: list[str], labels: tuple[str, str]
) -> ToolResult:
    """``now`` (the period asked about) beside ``then`` (the one compared with), joined on their groups.

    Args:
        metrics: the metric columns of both results (the rest are the groups).
        labels: the two periods as the question states them ("2024-Q4", "2023-Q4").
    """
    current, earlier = now.tables[0], then.tables[0]
    groups = [c for c in current.df.columns if c not in metrics]
    if any(kind in formats.GRAINS for c, kind in current.kinds.items() if c in groups):
        raise RetryableToolError(
            "Two periods are compared as a whole or by a grouping that is no time (by channel, by country): "
            "leave out the time grouping (grain, by month) or compare_to."
        )
    names = {m: (f"{m} {labels[0]}", f"{m} {labels[1]}", f"{m} change %") for m in metrics}
    left = current.df.rename(columns={m: names[m][0] for m in metrics})
    right = earlier.df.rename(columns={m: names[m][1] for m in metrics})
    df = left.merge(right, on=groups, how="outer") if groups else pd.concat([left, right], axis=1)
    kinds: dict[str, str] = {}
    for m in metrics:
        a, b, change = names[m]
        df[change] = [_change(x, y) for x, y in zip(df[a], df[b], strict=True)]
        kinds |= {a: current.kinds.get(m, "number"), b: current.kinds.get(m, "number"), change: "percent"}
    df = df[[*groups, *(c for m in metrics for c in names[m])]]
    table = Table("comparison", df, kinds, current.currency)
    shown = formats.display(df, kinds, current.currency).to_string(index=False, max_colwidth=40)
    text = "\n".join([_head(now.text), _head(then.text), f"{labels[0]} against {labels[1]}:", shown])
    return ToolResult(
        text=text,
        tables=[table],
        facts=frame_facts(df, source="sql: " + "\n;\n".join([*now.sql, *then.sql])),
        sql=[*now.sql, *then.sql],
    )


def _change(now: float, then: float) -> float | None:
    """The change in percent; none where the earlier figure is missing or zero (no base to grow from)."""
    if pd.isna(now) or pd.isna(then) or then == 0:
        return None
    return (float(now) - float(then)) / abs(float(then)) * 100


def _head(text: str) -> str:
    """The first line of a period's result: what was computed, over which rows."""
    return text.splitlines()[0] if text else ""
