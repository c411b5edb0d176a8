"""The schema card: what the tables hold, for people (``martmind schema``) and for the model's prompt.

For each table: columns, types, row count, null share, example values, the distinct values of
low-cardinality text columns, min/max of numbers and dates, column roles and the user's own column names.
Statistics take a few scans of each table, so they are cached per table (in memory and under
``<home>/cache/schema``), keyed on the table's ``loaded_at`` and columns: a reload invalidates them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import threading
from typing import TYPE_CHECKING, Any

from tools.base import ToolError, _jsonable
from tools.files import write_atomic

if TYPE_CHECKING:
    from tools.workspace import Workspace

LOW_CARDINALITY = 20  # text columns with at most this many distinct values list them all
EXAMPLES = 3
EXAMPLE_CHARS = 60
STATS_VERSION = 1
_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
    "DECIMAL",
)
_TEMPORAL = ("DATE", "TIMESTAMP", "TIME")
_memory: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
_memory_lock = threading.Lock()


def schema_card(ws: Workspace, tables: list[str] | None = None) -> list[dict[str, Any]]:
    """The full card of each table (all of them by default), as plain JSON-ready dicts.

    Raises:
        RetryableToolError: an unknown table name (with the closest existing one).
    """
    names = ws.tables() if tables is None else list(tables)
    for name in names:
        ws.columns(name)  # clear error for an unknown table, before any work
    return [table_card(ws, name) for name in names]


def table_card(ws: Workspace, table: str) -> dict[str, Any]:
    """One table's card: statistics (cached), roles (fresh: roles.yaml may change) and original names."""
    stats = table_stats(ws, table)
    originals = ws.original_names(table)
    warnings: list[str] = []
    currency = None
    try:
        found = ws.roles(table)
        roles = {role: column for role, column in found.columns.items() if column}
        currency = found.currency
    except ToolError as e:
        roles, warnings = {}, [str(e)]
    by_column: dict[str, list[str]] = {}
    for role, column in roles.items():
        by_column.setdefault(column, []).append(role)
    columns = []
    for column in stats["columns"]:
        entry = dict(column)
        entry["original"] = originals.get(column["name"])
        entry["roles"] = by_column.get(column["name"], [])
        columns.append(entry)
    info = ws.table_info(table)
    return {
        "table": table,
        "rows": stats["rows"],
        "source": info.get("source"),
        "loaded_at": _jsonable(info.get("loaded_at")),
        "roles": roles,
        "currency": currency,  # of its amounts (ISO code), read at load or set in roles.yaml; None: unknown
        "sales_table": table == ws.sales_table(),  # the current one: questions naming no table are about it
        "columns": columns,
        "warnings": warnings,
    }


# -- statistics ------------------------------------------------------------------------------------------------
def table_stats(ws: Workspace, table: str) -> dict[str, Any]:
    """Row count and per-column statistics, from the cache when the table has not changed since."""
    columns = ws.columns(table)
    info = ws.table_info(table)
    key = json.dumps([STATS_VERSION, str(info.get("loaded_at")), columns]) if info.get("loaded_at") else None
    memory_key = (str(ws.db_path), table)
    with _memory_lock:
        held = _memory.get(memory_key)
    if key and held and held[0] == key:
        return held[1]
    stats = _read_cache(ws, table, key) if key else None
    if stats is None:
        stats = compute_stats(ws, table, columns)
        if key:
            _write_cache(ws, table, key, stats)
    if key:
        with _memory_lock:
            _memory[memory_key] = (key, stats)
    return stats


def compute_stats(ws: Workspace, table: str, columns: list[tuple[str, str]]) -> dict[str, Any]:
    """Scan ``table`` with DuckDB: one aggregate pass, one small sample, one GROUP BY per low-cardinality column."""
    from tools.workspace import quote_ident

    t = quote_ident(table)
    parts = ["count(*) AS n"]
    for i, (name, dtype) in enumerate(columns):
        c = quote_ident(name)
        parts += [f"count({c}) AS nn_{i}"]
        if _kind(dtype) != "other":
            parts += [f"count(DISTINCT {c}) AS d_{i}"]
        if _kind(dtype) in ("number", "temporal"):
            parts += [f"min({c}) AS min_{i}", f"max({c}) AS max_{i}"]
    agg = ws.query(f"SELECT {', '.join(parts)} FROM {t}").iloc[0].to_dict()
    rows = int(agg["n"])
    sample = ws.query(f"SELECT * FROM {t} LIMIT 1000") if rows else None
    out = []
    for i, (name, dtype) in enumerate(columns):
        non_null = int(agg[f"nn_{i}"])
        entry: dict[str, Any] = {
            "name": name,
            "type": dtype,
            "null_share": round(1 - non_null / rows, 4) if rows else 0.0,
            "distinct": _int_or_none(agg.get(f"d_{i}")),
            "min": _jsonable(agg.get(f"min_{i}")),
            "max": _jsonable(agg.get(f"max_{i}")),
            "values": None,
            "examples": [],
        }
        if _kind(dtype) in ("text", "boolean") and non_null and (entry["distinct"] or 0) <= LOW_CARDINALITY:
            entry["values"] = _low_cardinality_values(ws, t, quote_ident(name))
        if entry["values"] is None and sample is not None:
            entry["examples"] = _examples(sample[name])
        out.append(entry)
    return {"rows": rows, "columns": out}


def _low_cardinality_values(ws: Workspace, t: str, c: str) -> list[dict[str, Any]] | None:
    """Each distinct value with its count, most frequent first; None when there are too many to list."""
    df = ws.query(
        f"SELECT {c} AS value, count(*) AS n FROM {t} WHERE {c} IS NOT NULL "
        f"GROUP BY 1 ORDER BY n DESC, value LIMIT {LOW_CARDINALITY + 1}"
    )
    if len(df) > LOW_CARDINALITY:
        return None
    return [{"value": _jsonable(v), "count": int(n)} for v, n in df.itertuples(index=False, name=None)]


def _examples(values) -> list[Any]:
    seen: list[Any] = []
    for v in values.dropna():
        v = _jsonable(v)
        if isinstance(v, str) and len(v) > EXAMPLE_CHARS:
            v = v[: EXAMPLE_CHARS - 1] + "…"
        if v not in seen:
            seen.append(v)
        if len(seen) == EXAMPLES:
            break
    return seen


def _kind(dtype: str) -> str:
    upper = dtype.upper()
    if upper.startswith(_NUMERIC):
        return "number"
    if upper.startswith(_TEMPORAL):
        return "temporal"
    if upper.startswith("VARCHAR"):
        return "text"
    if upper == "BOOLEAN":
        return "boolean"
    return "other"


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)
    except (TypeError, ValueError):
        return None


# -- cache -----------------------------------------------------------------------------------------------------
def _cache_path(ws: Workspace, table: str):
    safe = "".join(ch if ch.isalnum() or ch in "_-" else f"%{ord(ch):x}" for ch in table)
    return ws.subdir("cache") / "schema" / f"{safe}.json"


def _read_cache(ws: Workspace, table: str, key: str) -> dict[str, Any] | None:
    path = _cache_path(ws, table)
    try:
        held = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return held["stats"] if held.get("key") == key else None


def _write_cache(ws: Workspace, table: str, key: str, stats: dict[str, Any]) -> None:
    path = _cache_path(ws, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
        write_atomic(path, json.dumps({"key": key, "stats": stats}, default=_jsonable))


# -- the compact prompt text -----------------------------------------------------------------------------------
def schema_prompt(
    ws: Workspace, tables: list[str] | None = None, max_chars: int = 4000, keep: int = 0
) -> str:
    """The schema as compact text for a small model's context, at most ``max_chars`` characters.

    Every table starts at full detail; while the text is too long, the most detailed (then longest) table
    loses one level: examples, then long value lists, then everything but names and types. The first
    ``keep`` tables lose theirs only when no other table has one left. Tables that still do not fit are
    named at the end so the model can ask for them by name.
    """
    card = schema_card(ws, tables)
    levels = [FULL] * len(card)
    blocks = [render_table(t, FULL) for t in card]
    while len("\n".join(blocks)) > max_chars and any(levels):
        i = max(range(len(card)), key=lambda j: (j >= keep and levels[j] > 0, levels[j], len(blocks[j])))
        levels[i] -= 1
        blocks[i] = render_table(card[i], levels[i])
    text = "\n".join(blocks)
    shown = len(blocks)
    while len(text) > max_chars and shown > 0:  # keep as many whole tables as fit beside the list of the rest
        shown -= 1
        rest = [t["table"] for t in card[shown:]]
        text = "\n".join([*blocks[:shown], f"({len(rest)} more tables not shown: {', '.join(rest)})"])
    return text[:max_chars]


FULL = 3


def render_table(card: dict[str, Any], level: int = FULL) -> str:
    """One table as text: level 3 full, 2 one short example, 1 no examples, 0 names and types only."""
    head = f"{ident(card['table'])} ({card['rows']:,} rows)"
    if level == 0:
        return (
            head + ": " + ", ".join(f"{ident(c['name'])} {_short_type(c['type'])}" for c in card["columns"])
        )
    return "\n".join([head, *("  " + _render_column(c, level) for c in card["columns"])])


def _render_column(c: dict[str, Any], level: int) -> str:
    bits = [ident(c["name"]), _short_type(c["type"])]
    if c.get("roles"):
        bits.append("[" + ",".join(c["roles"]) + "]")
    if c["min"] is not None:
        bits.append(f"{_fmt(c['min'])}..{_fmt(c['max'])}")
    if c.get("values"):
        shown = c["values"] if level == FULL else c["values"][:6]
        more = f" +{len(c['values']) - len(shown)} more" if len(shown) < len(c["values"]) else ""
        bits.append("one of " + ", ".join(_quote_value(v["value"]) for v in shown) + more)
    elif c.get("examples") and c["min"] is None:
        if level == FULL:
            distinct = f"{c['distinct']:,} distinct, " if c.get("distinct") else ""
            bits.append(f"{distinct}e.g. " + ", ".join(_quote_value(v) for v in c["examples"][:2]))
        elif level == 2 and len(str(c["examples"][0])) <= 20:
            bits.append(f"e.g. {_quote_value(c['examples'][0])}")  # how ids are spelled: '00001' or 1
    if c["null_share"] >= 0.005:
        bits.append(f"{c['null_share']:.0%} null")
    if c.get("original") and level >= 2:
        bits.append(f"(file: {c['original']!r})")
    return " ".join(bits)


def render_value_summary(c: dict[str, Any], max_values: int = 8) -> str:
    """Range, listed values or examples of a column, in a few words (for a terminal)."""
    if c["min"] is not None:
        return f"{_fmt(c['min'])} .. {_fmt(c['max'])}"
    if c.get("values"):
        shown = [str(v["value"]) for v in c["values"][:max_values]]
        more = f" (+{len(c['values']) - max_values} more)" if len(c["values"]) > max_values else ""
        return ", ".join(shown) + more
    if c.get("examples"):
        distinct = f"{c['distinct']:,} distinct; " if c.get("distinct") else ""
        return distinct + "e.g. " + ", ".join(str(v)[:30] for v in c["examples"])
    return ""


def ident(name: str) -> str:
    """A name as SQL needs it: quoted when it is not a plain identifier (e.g. "Review Text")."""
    from tools.loader import is_identifier

    return name if is_identifier(name) else '"' + name.replace('"', '""') + '"'


def _short_type(dtype: str) -> str:
    return {
        "VARCHAR": "text",
        "BIGINT": "int",
        "INTEGER": "int",
        "DOUBLE": "float",
        "BOOLEAN": "bool",
        "TIMESTAMP": "timestamp",
        "DATE": "date",
    }.get(dtype, dtype.lower())


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":  # ISO timestamp
        value = value.replace("T", " ")
        return value[:10] if value.endswith("00:00:00") else value[:16]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _quote_value(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)
