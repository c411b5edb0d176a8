"""Checks every golden set over a person's own file shares: its gold SQL runs, names only real columns and
gives one row for one figure, its rankings have no tie at the cut, and it agrees with the metric layer
wherever the layer can express the question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.evaluation import load_golden
from agent.evaluation.runner import default_gold, workspace_schema
from agent.evaluation.scoring import ResultTable, compare_results, gold_orders, unknown_names


def where(column: str, value: str | float | list[str], op: str = "=") -> dict:
    """A metric_query filter."""
    if isinstance(value, list):
        return {"column": column, "op": op, "values": value}
    return {"column": column, "op": op, "value": value}


def check_set_shape(items: list) -> None:
    """Either tool may answer each item, and a gold SQL orders its rows exactly where the item is a ranking
    or a series (its tags say so), so an answer is scored in order only there."""
    assert all(set(i.tool) <= {"metric_query", "sql_query"} for i in items)
    ordered = [i for i in items if {"topn", "series"} & set(i.tags)]
    assert ordered and all(gold_orders(i.sql) for i in ordered)
    assert not any(gold_orders(i.sql) for i in items if not {"topn", "series"} & set(i.tags))


def check_gold_sql(ws, golden: Path, many_rows: set[str] | None = None) -> None:
    """Every gold SQL returns rows over real columns; without a tag of ``many_rows`` (or a LIMIT), one."""
    schema = workspace_schema(ws)
    for item in load_golden(golden):
        gold = default_gold(item, ws)
        assert gold.rows, f"{item.id}: gold SQL returns no rows"
        assert unknown_names(item.sql, schema) == [], item.id
        if many_rows is not None and not many_rows & set(item.tags) and "LIMIT" not in item.sql:
            assert len(gold.rows) == 1, f"{item.id}: one figure is one row"


def check_no_tie_at_the_cut(ws, golden: Path) -> None:
    """A top-N answer is only fair when the N-th and the next row differ."""
    for item in load_golden(golden):
        if "topn" not in item.tags:
            continue
        head, n = item.sql.rsplit("LIMIT", 1)
        rows = ws.query(f"{head} LIMIT {int(n) + 1}").iloc[:, -1].tolist()
        assert len(set(rows)) == len(rows), f"{item.id}: tie in {rows}"


def check_metric_items_listed(golden: Path, calls: dict[str, dict[str, Any]]) -> None:
    """The items either tool may answer are exactly those with a metric call to check; the rest are SQL's."""
    items = load_golden(golden)
    layer = {i.id for i in items if "metric_query" in i.tool}
    assert set(calls) == layer
    assert all(i.tool == ["metric_query", "sql_query"] for i in items if i.id in layer)
    assert all(i.tool == ["sql_query"] for i in items if i.id not in layer)


def check_against_the_layer(ws, golden: Path, table: str | None, calls: dict[str, dict[str, Any]]) -> None:
    """Each item's gold result is what metric_query gives for its call (on ``table``; None: the current
    sales table)."""
    from tools.metrics import MetricQuery

    items = {i.id: i for i in load_golden(golden)}
    query = MetricQuery(ws)
    for item_id, args in calls.items():
        item = items[item_id]
        result = query(table=table, **args)
        match = compare_results(
            default_gold(item, ws),
            ResultTable.from_frame(result.tables[0].df),
            ordered=gold_orders(item.sql),
            tolerance=item.tolerance,
            allow_extra_columns=True,
        )
        assert match.ok, f"{item_id}: {match.reason}"
