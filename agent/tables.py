"""Which table a question is about: the one whose columns or stored values it names, else the one the
conversation is using, else the workspace's current sales table (the one the person loaded last).

Column evidence counts a question word once per table that has it in its name, a column name, a column's role
(``Description`` plays ``product_name``) or the person's own header, weighted by how rare the word is
among the tables, so "region" (one table) decides and "customer" (most tables) does not. Words that name
metrics ("revenue", "orders") are evidence of no table: every sales table has them. A stated period
rules out a table whose dates it does not overlap ("in 2023" is not about data from 2010-2011). Where the
person's own tables answer to the question's words, the demo tables beside them are left out, unless the
question names one by a word none of theirs uses ("cdnow").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tools.base import ToolError
from tools.names import name_words, stem, text_words
from tools.periods import Period, parse_period
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from agent.question import Reading
    from agent.state import ConversationState
    from tools.workspace import Workspace

# Words any sales table answers to: evidence for none of them.
_METRIC_WORDS = frozenset(
    stem(w)
    for w in [
        "revenue",
        "revenues",
        "sales",
        "sale",
        "sold",
        "sell",
        "order",
        "orders",
        "customer",
        "customers",
        "unit",
        "units",
        "quantity",
        "item",
        "items",
        "amount",
        "spend",
        "spent",
        "spending",
        "turnover",
        "total",
        "count",
        "many",
        "much",
        "price",
        "average",
        "sum",
        "line",
        "lines",
        "data",
        "table",
        # Time: every dated table answers "weekly" or "per month"; a column named "week" is no evidence.
        *("day", "days", "daily", "week", "weeks", "weekly", "month", "months", "monthly"),
        *("quarter", "quarters", "quarterly", "year", "years", "yearly", "date", "time"),
    ]
)
VALUE_WEIGHT = 2.0


@dataclass
class TableFacts:
    """What the choice needs to know of one table, read once per workspace version."""

    words: set[str]  # of its columns, their roles and the person's own headers
    sales: bool
    span: tuple[date, date] | None  # first and last date of its timestamp column
    rows: int = 0
    names: set[str] = field(default_factory=set)  # of the table's name and its file's name


@dataclass
class _Snapshot:
    version: str
    tables: dict[str, TableFacts] = field(default_factory=dict)


_snapshots: dict[str, _Snapshot] = {}


def table_facts(ws: Workspace) -> dict[str, TableFacts]:
    """Every table's facts; recomputed only when a table or roles.yaml changed (``Workspace.version``)."""
    version = ws.version()
    cached = _snapshots.get(str(ws.db_path))
    if cached is None or cached.version != version:
        cached = _Snapshot(version, _read_facts(ws))
        _snapshots[str(ws.db_path)] = cached
    return cached.tables


def _read_facts(ws: Workspace) -> dict[str, TableFacts]:
    facts = {}
    files = _source_files(ws)
    for table, columns in ws.columns_by_table().items():
        words = set().union(
            *(name_words(c) for c in columns),
            *(name_words(o) for o in ws.original_names(table).values()),
        )
        try:
            roles = ws.roles(table)
        except ToolError:
            facts[table] = TableFacts(words - _METRIC_WORDS, False, None)
            continue
        words |= set().union(*(name_words(r) for r, c in roles.columns.items() if c))
        span, rows = _span(ws, table, roles["timestamp"])
        facts[table] = TableFacts(words - _METRIC_WORDS, roles.is_sales(), span, rows)
    for table, f in facts.items():
        # "the Hillstrom campaign", "the Complete Journey data": the table's own name and its file's
        f.names = (name_words(table) | files.get(table, set())) - _METRIC_WORDS - {"sample"}
    return facts


def _source_files(ws: Workspace) -> dict[str, set[str]]:
    """Table -> the words of the file it was loaded from (``complete_journey/coupons.parquet``)."""
    rows = ws.query("SELECT name, source, note FROM _martmind_tables")
    out = {}
    for name, source, note in rows.itertuples(index=False):
        # A loaded file's path is in its source, a demo table's in its note; a table a tool saved has a
        # description there ("churn risk over the 90 days after ..."), whose words name nothing.
        source = str(source)
        if source.startswith("file:"):
            path = Path(source[5:])
        elif source.startswith("demo:"):
            path = Path(str(note or ""))
        else:
            continue
        out[name] = set().union(*(name_words(part) for part in [*path.parent.parts[-1:], path.stem]))
    return out


def _span(ws: Workspace, table: str, ts: str | None) -> tuple[tuple[date, date] | None, int]:
    select = (
        f"CAST(min({quote_ident(ts)}) AS DATE) AS a, CAST(max({quote_ident(ts)}) AS DATE) AS b, "
        if ts
        else ""
    )
    row = ws.query(f"SELECT {select}count(*) AS n FROM {quote_ident(table)}").iloc[0]
    if not ts or pd.isna(row["a"]) or pd.isna(row["b"]):
        return None, int(row["n"])
    return (_day(row["a"]), _day(row["b"])), int(row["n"])


def _day(value) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value


def choose_table(
    ws: Workspace,
    question: str,
    reading: Reading,
    state: ConversationState | None,
    *,
    sales_only: bool = False,
) -> tuple[str | None, str]:
    """The table and why: ``named``, ``values``, ``columns``, ``column`` (see ``_strength``), ``period``,
    ``conversation`` or ``current``.

    Args:
        sales_only: choose among sales tables only (time and value roles), for the tools that need one.
    """
    facts = {t: f for t, f in table_facts(ws).items() if f.sales or not sales_only}
    if not facts:
        return None, ""
    named = _named(question, list(facts))
    if named:
        return named, "named"
    fitting = _fit_period(reading, facts)
    fallback = [
        (t, why)
        for t, why in ((state.active_table if state else None, "conversation"), (ws.sales_table(), "current"))
        if t in fitting
    ]
    scores = {t: s for t, s in _evidence(question, reading, facts).items() if t in fitting}
    own = {t: s for t, s in scores.items() if not ws.is_demo(t)}
    if own and not _names_a_demo_table(question, [t for t in scores if t not in own], own, facts):
        # the person's own data answers to the question's words: the demo tables beside it are examples,
        # not what they ask about, unless the question names one ("the cdnow customers")
        scores = own
    if scores:
        best = max(scores.values())
        top = [t for t, s in scores.items() if s == best]
        if len(top) == 1:
            return top[0], _strength(question, reading, top[0], facts)
        preferred = next(((t, why) for t, why in fallback if t in top), None)
        if preferred:
            return preferred
        # "the cdnow customers": two tables answer to the name, the current one does not; the fuller one is
        # meant (the data, not a sample of it) rather than a table the question never pointed at.
        if all(_strength(question, reading, t, facts) == "named" for t in top):
            return max(top, key=lambda t: facts[t].rows), "named"
    if fallback:
        return fallback[0]
    dated = [t for t in fitting if facts[t].span is not None]
    if dated and len(fitting) < len(facts):  # the period rules out the usual table: the largest one it fits
        return max(dated, key=lambda t: facts[t].rows), "period"
    return None, ""


def named_tables(ws: Workspace, question: str) -> list[str]:
    """Every table whose name (or its file's name) the question uses: "the date of each treatment and
    the professional who gave it" names both treatments and professionals."""
    words = _question_words(question)
    return [t for t, f in table_facts(ws).items() if words & f.names or _named(question, [t])]


def _question_words(question: str) -> set[str]:
    return {w for w in text_words(question) if w not in _METRIC_WORDS and len(w) > 2}


def _strength(question: str, reading: Reading, table: str, facts: dict[str, TableFacts]) -> str:
    """How the question points at ``table``: ``named`` (its name's words), ``values``, ``columns`` (two
    or more of its column words) or ``column`` (one word: weak, "segment" is also an analysis)."""
    words = _question_words(question)
    if words & facts[table].names:
        return "named"
    if any(m.table == table for m in reading.values):
        return "values"
    return "columns" if len(words & facts[table].words) >= 2 else "column"


def _names_a_demo_table(
    question: str, demo: list[str], own: dict[str, float], facts: dict[str, TableFacts]
) -> bool:
    """A word of a demo table's name that none of the person's tables uses ("cdnow"; not "coupon" when
    their orders have a Coupon column)."""
    words = _question_words(question) - {w for t in own for w in facts[t].words | facts[t].names}
    return any(words & facts[t].names for t in demo)


def _named(question: str, tables: list[str]) -> str | None:
    low = question.lower()
    hits = [t for t in tables if re.search(rf"\b{re.escape(t.lower())}\b", low)]
    return max(hits, key=len) if hits else None


def _evidence(question: str, reading: Reading, facts: dict[str, TableFacts]) -> dict[str, float]:
    words = _question_words(question)
    scores: dict[str, float] = {}
    for word in words:
        having = [t for t, f in facts.items() if word in f.words or word in f.names]
        weight = math.log(1 + len(facts) / len(having)) if having else 0.0
        for t in having:
            scores[t] = scores.get(t, 0.0) + weight
    for table in {m.table for m in reading.values}:  # once per table: 'COUPON' in three of its columns
        if table in facts:
            scores[table] = scores.get(table, 0.0) + VALUE_WEIGHT
    return scores


def _fit_period(reading: Reading, facts: dict[str, TableFacts]) -> set[str]:
    """The tables whose dates an absolute stated period overlaps (all of them when none is stated)."""
    period = _absolute(reading.period)
    if period is None:
        return set(facts)
    return {
        t
        for t, f in facts.items()
        if f.span is None
        or (
            (period.end is None or f.span[0] < period.end)
            and (period.start is None or f.span[1] >= period.start)
        )
    }


class _Relative(Exception):
    pass


def _no_last_date() -> date:
    raise _Relative


def _absolute(text: str | None) -> Period | None:
    """The period when it needs no data to be read (a relative one fits every table: it counts from each
    table's own last date)."""
    if not text:
        return None
    try:
        return parse_period(text, _no_last_date)
    except (ToolError, _Relative):
        return None
