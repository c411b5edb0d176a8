"""Declared join keys: ``orders.customer_id = customers.id``, as the person or the database states them.

Keys inferred from names (agent.schema_link) find ``orders.customer_id = customers.customer_id``, but not
a key whose two names differ (``cars_data.Id`` holds ``car_names.MakeId``; ``tv_series.Channel`` holds
``tv_channel.id``), and without the key a model joins on whatever names look alike. A database declares
such keys (SQLite's and PostgreSQL's foreign keys); a person declares them with ``martmind join``. They
are stored in the workspace's settings, so they outlive the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tools.base import ToolError
from tools.names import closest
from tools.values import table_versions
from tools.workspace import Workspace, quote_ident, unknown_table_message

# (table, column, table, column): the two columns hold the same values
JoinKey = tuple[str, str, str, str]
SETTING = "join_keys"
_KEY_WORDS = ("id", "no", "nr", "num", "number", "key", "code")
_KEY_ROLES = ("customer_id", "product_id")


@dataclass(frozen=True)
class Lookup:
    """A table that describes the rows of another: each row of the other meets at most one of its rows
    (a customers table beside orders), so joining it adds columns and never repeats a row."""

    table: str
    key: str  # the column of the described table
    lookup_key: str  # the column of ``table`` it meets


_found: dict[tuple[str, str, str], list[Lookup]] = {}  # (database, table, what is loaded) -> its lookups


def lookups(ws: Workspace, table: str) -> list[Lookup]:
    """``find_lookups``, cached until a table is loaded again or a key declared (checking that keys meet
    reads whole tables: seconds on the demo data)."""
    state = f"{sorted(table_versions(ws).items())}{declared_keys(ws)}"
    key = (str(ws.db_path), table, state)
    if key not in _found:
        _found[key] = find_lookups(ws, table)
    return _found[key]


def find_lookups(ws: Workspace, table: str) -> list[Lookup]:
    """The tables whose columns describe ``table``'s rows: joined on a declared key, else on a column both
    tables have that is a key by its name (``customer_no``, ``ProductID``, not a bare ``id``) or by its role
    in ``table`` (its customer or product column), or on the columns holding one such role in both tables
    (``lineitem_sku`` and a catalogue's ``sku``). The lookup's side must hold each value once. A key
    found by its name also needs the two tables to come from one place (a shop's export and the demo data
    may both have a ``product_id``; they mean different products) and most of ``table``'s keys to be in
    the lookup."""
    schema = ws.columns_by_table()
    own = schema.get(table, [])
    declared = [(b, ca, cb) for a, ca, b, cb in declared_keys(ws) if a == table]
    declared += [(a, cb, ca) for a, ca, b, cb in declared_keys(ws) if b == table]
    roles = ws.roles(table)
    keys = {c for c in own if _key_like(c)} | {roles[r] for r in _KEY_ROLES if roles[r]}
    named = []
    for other, columns in schema.items():
        if other == table or other in {d[0] for d in declared} or ws.is_demo(other) != ws.is_demo(table):
            continue
        by_name = {c.lower(): c for c in columns}
        pairs = [(other, c, by_name[c.lower()]) for c in own if c in keys and c.lower() in by_name]
        # the same role on both sides: orders' "Lineitem sku" meets the catalogue's "sku"
        theirs = ws.roles(other)
        pairs += [(other, roles[r], theirs[r]) for r in _KEY_ROLES if roles[r] and theirs[r]]
        named += list(dict.fromkeys(pairs))
    named = [p for p in named if _mostly_found(ws, table, *p)]
    return [Lookup(*p) for p in [*declared, *named] if _unique(ws, p[0], p[2])]


def _key_like(column: str) -> bool:
    words = [w.lower() for w in re.findall(r"[a-z]+|[A-Z]+(?![a-z])|[A-Z][a-z]*", column)]
    return len(words) >= 2 and words[-1] in _KEY_WORDS


def _mostly_found(ws: Workspace, table: str, other: str, key: str, other_key: str) -> bool:
    """Whether at least half of ``table``'s distinct keys are keys of ``other``."""
    a, b = quote_ident(key), quote_ident(other_key)
    row = ws.query(
        f"SELECT count(DISTINCT t.{a}) AS n, count(DISTINCT o.{b}) AS found FROM {quote_ident(table)} AS t "
        f"LEFT JOIN {quote_ident(other)} AS o ON CAST(t.{a} AS VARCHAR) = CAST(o.{b} AS VARCHAR)"
    ).iloc[0]
    return bool(row["n"]) and 2 * int(row["found"]) >= int(row["n"])


def _unique(ws: Workspace, table: str, column: str) -> bool:
    q = quote_ident(column)
    row = ws.query(f"SELECT count({q}) AS n, count(DISTINCT {q}) AS d FROM {quote_ident(table)}").iloc[0]
    return bool(row["n"]) and int(row["n"]) == int(row["d"])


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
