"""The headline of an answer: what a tool's result says, in one or two sentences composed by code.

Which row is the top, what the total is, where a trend starts, ends and peaks: these are read off the
result's first table here, never by the model (a model once named the runner-up, with its real number,
as the top). The model then only adds an interpretation. Numbers are written as the result holds them, at
a precision the grounding check accepts: counts as integers with thousands separators, money and other
figures with two decimals, ratios as a fraction and a percentage.

A headline that cannot be said safely (no table, a table of unrelated quantities, a shape not understood)
is "", and the writer answers alone.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from agent.calls import ToolCall
from agent.grounding import Grounds, check
from agent.state import DATE_FIELDS, FILTER_FIELDS
from tools import formats
from tools.base import Fact, ToolResult
from tools.metric_sql import TIME_GRAINS

MAX_FIGURES = 4  # a one-row result with more numeric columns than this is not "a figure"
MAX_LABEL_CHARS = 120  # a rule "A + B → C" of product names fits; a review does not
MAX_COLUMNS_NAMED = 6
# A table listing different quantities (ROI's metric/value rows): its rows cannot be ranked against each other
_KEY_VALUE_LABELS = {"metric", "measure", "statistic", "input", "parameter", "kpi"}
_ORDER_COLUMNS = {"rank", "position"}  # a row's place in the tool's own order: neither a figure nor a name
_PERIOD_TEXT = re.compile(r"^\d{4}(?:-(?:\d{2}(?:-\d{2})?|Q[1-4]|W\d{2}))?$")
_RELATIVE = ("last ", "past ", "first ", "previous ", "this ")
_START_FIELDS = {"start", "date_from", "since", "start_date"}
_END_FIELDS = {"end", "date_to", "until", "end_date"}
_RULE_SIDES = ("if_bought", "then_buy")


@dataclass
class _Shape:
    """The first table, read: which columns name a row, which hold figures, and how each is written."""

    df: pd.DataFrame
    labels: list[str]
    values: list[str]
    formats: dict[str, str]
    scope: str
    currency: str | None = None
    used: list[float] = field(default_factory=list)  # every figure written, to check the headline against
    named: list[str] = field(default_factory=list)  # every row label written

    def label(self, i: int) -> str:
        row = self.df.iloc[i]
        parts = [_label_text(row[c], c, self.df[c]) for c in self.labels]
        text = " → ".join(parts) if tuple(self.labels) == _RULE_SIDES else " | ".join(parts)
        if len(text) > MAX_LABEL_CHARS:
            raise _Unsafe(f"label too long: {text[:20]}...")
        self.named.append(text)
        return text

    def figure(self, col: str, i: int, short: bool = True) -> str:
        """Row ``i``'s ``col`` as written; ``short``: a ratio as its percentage only (inside a sentence)."""
        value = float(self.df[col].iloc[i])
        if not math.isfinite(value):
            raise _Unsafe(f"{col} is not a number in row {i}")
        self.used.append(value)
        fmt = self.formats[col]
        return formats.number(value, "percentage" if fmt == "ratio" and short else fmt, self.currency)

    def rows(self, df: pd.DataFrame) -> _Shape:
        """The same reading over other rows of the table (figures and labels written are shared)."""
        return _Shape(
            df, self.labels, self.values, self.formats, self.scope, self.currency, self.used, self.named
        )


class _Unsafe(Exception):
    """Nothing true and short can be said about this result."""


def headline(question: str, call: ToolCall, result: ToolResult) -> str:
    """One or two sentences stating what ``result`` shows, composed by code; "" when nothing is safe to say.

    Args:
        question: the request (its numbers may support the headline, as in the grounding check).
        call: the tool call, whose period and filters the headline names.
        result: the tool's result; its own headline, else its first table is read.
    """
    if result.headline:
        return result.headline
    try:
        candidates, shape = _compose(call, result)
    except Exception:  # noqa: BLE001 - a headline is optional: a shape it does not handle must not end the turn
        return ""
    if shape is None:
        return next(iter(candidates), "")
    facts = [*result.facts, *(Fact("(table)", v, "table") for v in shape.used)]
    texts = [question, json.dumps(call.args, ensure_ascii=False, default=str), result.text, *shape.named]
    grounds = Grounds.build(facts, texts, shape.currency)
    said = next((text for text in candidates if text and check(text, grounds).ok), "")
    return " ".join([said, *_row_notes(shape, result.tables[0].notes, said)]) if said else ""


def _row_notes(shape: _Shape, notes: dict[int, str], said: str) -> list[str]:
    """The notes of the rows the headline names ("2011-12 covers 1 December 2011 to 9 December 2011
    only"): composed by code from the data's dates, so they are added after the grounding check."""
    out = []
    for i, note in sorted(notes.items()):
        if i < len(shape.df) and shape.labels:
            label = " | ".join(_label_text(shape.df[c].iloc[i], c, shape.df[c]) for c in shape.labels)
            if label in said:
                out.append(f"{label} {note}.")
    return out


def _compose(call: ToolCall, result: ToolResult) -> tuple[list[str], _Shape | None]:
    """Candidate headlines (best first) and the reading they were written from (None: nothing read)."""
    if not result.tables:
        return [], None
    df = _numbers_as_numbers(result.tables[0].df.reset_index(drop=True))
    scope = scope_text(call.args)
    if df.empty:
        return [f"No rows matched{' ' + scope if scope else ''}."], None
    labels, values = _columns(call.args, df)
    if any(str(c).lower() in _KEY_VALUE_LABELS for c in labels):
        return [], None
    kinds = {c: _format_of(df[c], c, result.facts) for c in values}
    shape = _Shape(df, labels, values, kinds, scope, result.tables[0].currency)
    if not values or (not labels and len(df) > 1):
        return _generic(shape), shape
    try:
        return [_single(shape, call) if len(df) == 1 else _several(shape, call)], shape
    except _Unsafe:
        return [], None


# -- reading the table -----------------------------------------------------------------------------------
def _columns(args: dict[str, Any], df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(label columns, figure columns): a metric call's metrics are its figures, its dimensions its labels;
    otherwise text and date columns are labels (an id-like first column too, when nothing else is)."""
    numeric = [c for c in df.columns if formats.is_figure(df[c]) and str(c).lower() not in _ORDER_COLUMNS]
    metrics = [m for m in [*_as_list(args.get("metrics")), args.get("sort_by")] if m in numeric]
    if metrics:
        values = list(dict.fromkeys(metrics))
        return [c for c in df.columns if c not in values], values
    names = [c for c in numeric if formats.kind_of(df[c], str(c)) == "text"]  # ids and years name rows
    labels = [c for c in df.columns if c not in numeric and str(c).lower() not in _ORDER_COLUMNS]
    if tuple(labels[:2]) != _RULE_SIDES:
        labels = labels[:1]
    values = [c for c in numeric if c not in names]
    if not labels and values and names:
        labels = names[:1]
    return labels, values


def _numbers_as_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """Columns of numbers held as objects (DuckDB's DECIMAL and HUGEINT) as numeric columns."""
    out = df.copy()
    for col in df.columns:
        values = df[col].dropna()
        if df[col].dtype == object and len(values) and all(formats.is_number(v) for v in values):
            out[col] = pd.to_numeric(df[col], errors="coerce")
    return out


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


def _format_of(series: pd.Series, col: str, facts: list[Fact]) -> str:
    """money, count, ratio, percent or number: from the facts' units, else from the column itself."""
    unit = next(
        (
            f.unit
            for f in facts
            if f.unit in formats.UNIT_KINDS and (f.name == col or f.name.endswith(f".{col}"))
        ),
        "",
    )
    kind = formats.kind_of(series, col, unit)
    return kind if kind in ("money", "count", "ratio", "percent") else "number"


def _label_text(value: Any, col: str, series: pd.Series | None = None) -> str:
    """A row's name as the result's own text writes it: 2011-03 for a month, 2011-Q1 for a quarter."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(none)"
    name = str(col).lower()
    if isinstance(value, (pd.Timestamp, dt.date)):
        return formats.period(
            value, formats.grain_of(series if series is not None else pd.Series([value]), name)
        )
    if formats.is_number(value):
        number = int(value) if float(value).is_integer() else value
        return str(number) if name in TIME_GRAINS else f"{col} {number}"  # "hour 12", "customer 14646"
    return str(value)


def _is_period(shape: _Shape) -> bool:
    """Whether the one label column is a time axis (dates, a time grain, or labels such as 2011-03)."""
    if len(shape.labels) != 1:
        return False
    col = shape.labels[0]
    series = shape.df[col]
    if pd.api.types.is_datetime64_any_dtype(series) or str(col).lower() in TIME_GRAINS:
        return True
    return all(_PERIOD_TEXT.match(str(v)) for v in series)


# -- the sentences ---------------------------------------------------------------------------------------
def _name(col: str) -> str:
    return str(col).replace("_", " ")


def _words(fmt: str) -> tuple[str, str]:
    return ("most", "fewest") if fmt == "count" else ("highest", "lowest")


def _single(shape: _Shape, call: ToolCall) -> str:
    """One row: its figures ("revenue: 8,998,790.91 for 2011"), or the one top row of a ranking."""
    if len(shape.values) > MAX_FIGURES:
        return ""
    present = [c for c in shape.values if pd.notna(shape.df[c].iloc[0])]
    if not present:
        return ""
    scope = f" {shape.scope}" if shape.scope else ""
    order = _ordering(call, shape.df)
    if shape.labels and order and order[2] == 1 and order[0] in shape.values:
        col, descending, _ = order
        word = _words(shape.formats[col])[0 if descending else 1]
        return f"{shape.label(0)} has the {word} {_name(col)}{scope} ({shape.figure(col, 0)})."
    colon = "" if shape.labels else ":"
    figures = ", ".join(f"{_name(c)}{colon} {shape.figure(c, 0, short=False)}" for c in present)
    if shape.labels:
        return f"{shape.label(0)}: {figures}{scope}."
    return f"{figures}{scope}."


def _several(shape: _Shape, call: ToolCall) -> str:
    """Several named rows: a time series, a ranking (its first row is the top), or the highest and lowest."""
    col = _main_column(shape, call)
    rows = shape.df[shape.df[col].notna()].reset_index(drop=True)
    if len(rows) < 2:
        return ""
    shape = shape.rows(rows)
    values = rows[col]
    if (
        _is_period(shape)
        and rows[shape.labels[0]].is_monotonic_increasing
        and rows[shape.labels[0]].is_unique
    ):
        return _series(shape, col)
    if values.nunique() > 1 and values.is_monotonic_decreasing:
        return _ranked(shape, col, descending=True)
    order = _ordering(call, shape.df)
    asked_ascending = order is not None and order[0] == col and not order[1]
    if values.nunique() > 1 and values.is_monotonic_increasing and asked_ascending:
        return _ranked(shape, col, descending=False)  # "lowest first" only when the call sorted so
    return _extremes(shape, col)


def _main_column(shape: _Shape, call: ToolCall) -> str:
    """The figure the table is about: the sort key, else the first figure that orders the rows."""
    order = _ordering(call, shape.df)
    if order and order[0] in shape.values:
        return order[0]
    columns = [shape.df[c].dropna() for c in shape.values]
    for decreasing in (True, False):  # a ranking is usually largest first
        for col, values in zip(shape.values, columns, strict=True):
            ordered = values.is_monotonic_decreasing if decreasing else values.is_monotonic_increasing
            if values.nunique() > 1 and ordered:
                return col
    return shape.values[0]


def _ranked(shape: _Shape, col: str, descending: bool) -> str:
    word = _words(shape.formats[col])[0 if descending else 1]
    scope = f" {shape.scope}" if shape.scope else ""
    first, second = shape.figure(col, 0), shape.figure(col, 1)
    if shape.df[col].iloc[0] == shape.df[col].iloc[1]:
        if len(shape.df) > 2 and shape.df[col].iloc[2] == shape.df[col].iloc[0]:
            return ""  # three or more share the top: no short true sentence names them
        return f"{shape.label(0)} and {shape.label(1)} share the {word} {_name(col)}{scope} ({first})."
    return (
        f"{shape.label(0)} has the {word} {_name(col)}{scope} ({first}), "
        f"followed by {shape.label(1)} ({second})."
    )


def _extremes(shape: _Shape, col: str) -> str:
    """Rows in no order of ``col``: the highest and the lowest, each only when one row holds it."""
    values = shape.df[col]
    top, bottom = int(values.idxmax()), int(values.idxmin())
    if (values == values.iloc[top]).sum() > 1 or (values == values.iloc[bottom]).sum() > 1:
        return ""
    high, low = _words(shape.formats[col])
    scope = f" {shape.scope}" if shape.scope else ""
    return (
        f"{shape.label(top)} has the {high} {_name(col)}{scope} ({shape.figure(col, top)}) "
        f"and {shape.label(bottom)} the {low} ({shape.figure(col, bottom)})."
    )


def _series(shape: _Shape, col: str) -> str:
    """First and last period, then (with three periods or more) the highest and the lowest."""
    values, last = shape.df[col], len(shape.df) - 1
    scope = f" {shape.scope}" if shape.scope else ""
    name, first_label, last_label = _name(col), shape.label(0), shape.label(last)
    start, end = shape.figure(col, 0), shape.figure(col, last)
    if values.iloc[last] == values.iloc[0]:
        sentence = f"{name}{scope} was {start} in both {first_label} and {last_label}."
    else:
        verb = "rose" if values.iloc[last] > values.iloc[0] else "fell"
        sentence = f"{name}{scope} {verb} from {start} in {first_label} to {end} in {last_label}."
    top, bottom = int(values.idxmax()), int(values.idxmin())
    if last < 2 or (values == values.iloc[top]).sum() > 1 or (values == values.iloc[bottom]).sum() > 1:
        return sentence
    return (
        f"{sentence} It was highest in {shape.label(top)} ({shape.figure(col, top)}) "
        f"and lowest in {shape.label(bottom)} ({shape.figure(col, bottom)})."
    )


def _generic(shape: _Shape) -> list[str]:
    """A table with no figure to state: its size and columns; a single row of text, its values."""
    df = shape.df
    shape.used.append(float(len(df)))
    if (
        len(df) == 1
        and len(df.columns) <= MAX_FIGURES
        and all(len(str(v)) <= MAX_LABEL_CHARS for v in df.iloc[0])
    ):
        cells = [f"{c}: {_label_text(df[c].iloc[0], c)}" for c in df.columns]
        shape.named += cells
        return [", ".join(cells) + "."]
    names = [str(c) for c in df.columns[:MAX_COLUMNS_NAMED]]
    columns = ", ".join(names) + (", …" if len(df.columns) > MAX_COLUMNS_NAMED else "")
    rows = f"{len(df):,} row{'s' if len(df) != 1 else ''}"
    return [f"The result has {rows} with the columns {columns}."]


# -- the call's scope ------------------------------------------------------------------------------------
def scope_text(args: dict[str, Any]) -> str:
    """The period and filters a call states: "for 2011 where country = Germany" ("" when none)."""
    parts = []
    for key in DATE_FIELDS:
        value = args.get(key)
        if value is None or not str(value).strip():
            continue
        value = str(value).strip()
        if key in _START_FIELDS:
            parts.append(f"from {value}")
        elif key in _END_FIELDS:
            parts.append(f"until {value}")
        else:
            parts.append(f"for {'the ' if value.lower().startswith(_RELATIVE) else ''}{value}")
    conditions = [c for key in FILTER_FIELDS for c in _conditions(args.get(key))]
    if conditions:
        parts.append("where " + " and ".join(conditions))
    return " ".join(parts)


def _conditions(value: Any) -> list[str]:
    """Filters as a reader writes them: ``country = Germany``, ``Quantity between 1 and 10``."""
    if not value:
        return []
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, dict):
        if "column" in value:
            return [_condition(value)]
        return [f"{k} = {_plain(v)}" for k, v in value.items()]
    if isinstance(value, list):
        return [c for item in value for c in _conditions(item)]
    return [_plain(value)]


def _condition(item: dict[str, Any]) -> str:
    op = str(item.get("op") or "=")
    values = item.get("values")
    if op == "between" and isinstance(values, list) and len(values) == 2:
        return f"{item['column']} between {_plain(values[0])} and {_plain(values[1])}"
    if isinstance(values, list) and values:
        return f"{item['column']} {op} {', '.join(_plain(v) for v in values)}"
    return f"{item['column']} {op} {_plain(item.get('value'))}"


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _ordering(call: ToolCall, df: pd.DataFrame) -> tuple[str, bool, int | None] | None:
    """(column, descending, limit) of the order the call asked for, when it names a column of ``df``."""
    args = call.args
    if args.get("metrics"):
        metrics = _as_list(args.get("metrics"))
        key = args.get("sort_by") or (metrics[0] if metrics else None)
        if key in df.columns and (args.get("sort_by") or args.get("top") or args.get("sort")):
            return str(key), args.get("sort") != "asc", args.get("top")
        return None
    if isinstance(args.get("sort_by"), str) and args["sort_by"] in df.columns:
        return args["sort_by"], args.get("sort") != "asc", None
    sql = args.get("sql")
    return _sql_ordering(sql, df) if isinstance(sql, str) else None


_ORDER_TERM = re.compile(r'\s*("(?P<quoted>[^"]+)"|(?P<word>\w+))\s*(?P<dir>asc|desc)?\b', re.IGNORECASE)
_LIMIT = re.compile(r"\blimit\s+(\d+)\s*;?\s*$", re.IGNORECASE)


def _sql_ordering(sql: str, df: pd.DataFrame) -> tuple[str, bool, int | None] | None:
    """The first ORDER BY term of the outermost query, when it is a result column (or its position)."""
    at = sql.lower().rfind("order by")
    clause = sql[at + len("order by") :] if at >= 0 else ""
    if not clause or ")" in clause:
        return None
    term = _ORDER_TERM.match(clause)
    if not term:
        return None
    key = term.group("quoted") or term.group("word")
    columns = {str(c).lower(): str(c) for c in df.columns}
    if key.isdigit():
        index = int(key) - 1
        col = str(df.columns[index]) if 0 <= index < len(df.columns) else None
    else:
        col = columns.get(key.lower())
    if col is None:
        return None
    limit = _LIMIT.search(clause)
    return col, (term.group("dir") or "asc").lower() == "desc", int(limit.group(1)) if limit else None
