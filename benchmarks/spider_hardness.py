"""Spider's difficulty levels (easy / medium / hard / extra), a faithful port of ``eval_hardness`` from
Spider's official ``evaluation.py`` (taoyds/spider), applied to the parsed SQL that ``dev.json`` ships in
each item's ``sql`` field. The quirks of the original are kept on purpose, so levels match published ones.
"""

from __future__ import annotations

from typing import Any

WHERE_OPS = ("not", "between", "=", ">", "<", ">=", "<=", "!=", "in", "like", "is", "exists")
AGG_NONE = 0  # AGG_OPS = ("none", "max", "min", "count", "sum", "avg")


def has_agg(unit: Any) -> bool:
    return unit[0] != AGG_NONE


def count_agg(units: list[Any]) -> int:
    return len([u for u in units if has_agg(u)])


def nested_sql(sql: dict[str, Any]) -> list[dict[str, Any]]:
    nested = []
    for cond_unit in sql["from"]["conds"][::2] + sql["where"][::2] + sql["having"][::2]:
        if isinstance(cond_unit[3], dict):
            nested.append(cond_unit[3])
        if isinstance(cond_unit[4], dict):
            nested.append(cond_unit[4])
    for key in ("intersect", "except", "union"):
        if sql[key] is not None:
            nested.append(sql[key])
    return nested


def count_component1(sql: dict[str, Any]) -> int:
    count = sum(1 for key in ("where", "groupBy", "orderBy") if len(sql[key]) > 0)
    count += sql["limit"] is not None
    if len(sql["from"]["table_units"]) > 0:  # joins
        count += len(sql["from"]["table_units"]) - 1
    and_or = sql["from"]["conds"][1::2] + sql["where"][1::2] + sql["having"][1::2]
    count += len([t for t in and_or if t == "or"])
    cond_units = sql["from"]["conds"][::2] + sql["where"][::2] + sql["having"][::2]
    count += len([c for c in cond_units if c[1] == WHERE_OPS.index("like")])
    return count


def count_others(sql: dict[str, Any]) -> int:
    count = 0
    agg_count = count_agg(sql["select"][1])
    agg_count += count_agg(sql["where"][::2])
    agg_count += count_agg(sql["groupBy"])
    if len(sql["orderBy"]) > 0:
        agg_count += count_agg(
            [u[1] for u in sql["orderBy"][1] if u[1]] + [u[2] for u in sql["orderBy"][1] if u[2]]
        )
    agg_count += count_agg(sql["having"])
    count += agg_count > 1
    count += len(sql["select"][1]) > 1
    count += len(sql["where"]) > 1
    count += len(sql["groupBy"]) > 1
    return count


def hardness(sql: dict[str, Any]) -> str:
    """The Spider difficulty of one parsed gold query."""
    comp1, comp2, others = count_component1(sql), len(nested_sql(sql)), count_others(sql)
    if comp1 <= 1 and others == 0 and comp2 == 0:
        return "easy"
    if (others <= 2 and comp1 <= 1 and comp2 == 0) or (comp1 <= 2 and others < 2 and comp2 == 0):
        return "medium"
    if (
        (others > 2 and comp1 <= 2 and comp2 == 0)
        or (2 < comp1 <= 3 and others <= 2 and comp2 == 0)
        or (comp1 <= 1 and others == 0 and comp2 <= 1)
    ):
        return "hard"
    return "extra"
