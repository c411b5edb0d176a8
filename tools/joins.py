"""Declared join keys: ``orders.customer_id = customers.id``, as the person or the database states them.

Keys inferred from names (agent.schema_link) find ``orders.customer_id = customers.customer_id``, but not
a key whose two names differ (``cars_data.Id`` holds ``car_names.MakeId``; ``tv_series.Channel`` holds
``tv_channel.id``), and without the key a model joins on whatever names look alike. A database declares
such keys (SQLite's and PostgreSQL's foreign keys); a person declares them with ``martmind join``. They
are stored in the workspace's settings, so they outlive the process.
"""

from __future__ import annotations

from collections.abc import Iterable

from tools.base import ToolError
from tools.names import closest
from tools.workspace import Workspace, unknown_table_message

# (table, column, table, column): the two columns hold the same values
JoinKey = tuple[str, str, str, str]
SETTING = "join_keys"


def declared_keys(ws: Workspace) -> list[JoinKey]:
    """The declared keys whose tables and columns exist now (a reloaded table may have lost one)."""
    schema = {t: set(cols) for t, cols in ws.columns_by_table().items()}
    stored = ws.setting(SETTING, [])
    keys = [tuple(k) for k in stored if isinstance(k, list) and len(k) == 4]
    return [k for k in keys if k[1] in schema.get(k[0], ()) and k[3] in schema.get(k[2], ())]  # type: ignore[misc]


def declare_keys(ws: Workspace, keys: Iterable[JoinKey]) -> list[JoinKey]:
    """Store join keys (each checked against the workspace); returns every declared key.

    Raises:
        ToolError: a table or column that does not exist (with the closest real name), or a key that
            joins a table to itself on one column.
    """
    schema = ws.columns_by_table()
    known = [list(k) for k in declared_keys(ws)]
    for a, ca, b, cb in keys:
        key = [*_real(schema, a, ca), *_real(schema, b, cb)]
        if key[:2] == key[2:]:
            raise ToolError(f"A join key needs two different columns, not {a}.{ca} twice.")
        if key not in known and key[2:] + key[:2] not in known:
            known.append(key)
    ws.set_setting(SETTING, known)
    return [tuple(k) for k in known]  # type: ignore[misc]


def parse_column(ws: Workspace, text: str) -> tuple[str, str]:
    """``TABLE.COLUMN`` -> (table, column), spelt as stored (table names hold no dot: tools.loader)."""
    table, dot, column = text.strip().partition(".")
    if not dot or not table or not column:
        raise ToolError(f"Write a column as TABLE.COLUMN, e.g. orders.customer_id (got {text!r}).")
    return _real(ws.columns_by_table(), table, column)


def _real(schema: dict[str, list[str]], table: str, column: str) -> tuple[str, str]:
    """The stored spelling of ``table`` and ``column``, or a ToolError naming the closest real ones."""
    real_table = next((t for t in schema if t.lower() == table.lower()), None)
    if real_table is None:
        raise ToolError(unknown_table_message(table, list(schema)))
    real_column = next((c for c in schema[real_table] if c.lower() == column.lower()), None)
    if real_column is None:
        hint = closest(column, schema[real_table])
        suggestion = f" Did you mean {hint}?" if hint else ""
        raise ToolError(f"Table {real_table} has no column {column!r}.{suggestion}")
    return real_table, real_column
