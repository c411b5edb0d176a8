"""What the model sees of the data: the schema card and the stored values a request mentions.

Both come from tools (``tools.schema.schema_prompt``, ``tools.values.match_values``) when those are
installed; until then a compact table/column listing stands in for the card and no values are matched.
"""

from __future__ import annotations

import logging
from typing import Any

from tools.workspace import Workspace

log = logging.getLogger(__name__)
SCHEMA_CHARS = 3000
MAX_VALUE_HINTS = 8


def schema_card(ws: Workspace, max_chars: int = SCHEMA_CHARS) -> str:
    """The compact schema card of the workspace's tables."""
    try:
        from tools.schema import schema_prompt
    except ImportError:
        return _column_listing(ws, max_chars)
    return schema_prompt(ws, max_chars=max_chars)


def _column_listing(ws: Workspace, max_chars: int) -> str:
    lines = []
    for table in ws.tables():
        columns = ", ".join(f"{name} {dtype.lower()}" for name, dtype in ws.columns(table))
        lines.append(f"{table}({columns})")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 4].rsplit("\n", 1)[0] + "\n..."


def value_hints(ws: Workspace, text: str) -> str:
    """Lines like ``"uk" -> online_retail.Country = 'United Kingdom'`` for values the request mentions."""
    try:
        from tools.values import match_values
    except ImportError:
        return ""
    try:
        matches = match_values(ws, text)
    except Exception as e:  # noqa: BLE001 - a value index problem must not stop the question
        log.warning("value matching failed: %s", e)
        return ""
    return "\n".join(_format_match(m) for m in list(matches)[:MAX_VALUE_HINTS])


def _format_match(match: Any) -> str:
    get = match.get if isinstance(match, dict) else lambda k, d=None: getattr(match, k, d)
    value, table, column = get("value"), get("table"), get("column")
    said = get("query") or get("text") or get("mention")
    where = f"{table}.{column}" if table else str(column)
    prefix = f'"{said}" -> ' if said else ""
    return f"{prefix}{where} = {value!r}"
