"""The contract every tool shares: arguments, results, facts and errors.

A tool is a small class bound to a workspace. Its arguments are a pydantic model whose JSON schema is what
the language model fills in; its result is a ``ToolResult``: a short text for the model, full tables and a
chart for the person, and *facts*, the named numbers a write-up may quote.
"""

from __future__ import annotations

import contextlib
import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from tools.names import prose

if TYPE_CHECKING:
    from tools.workspace import Workspace


class ToolError(Exception):
    """A failure explained in one sentence for the person (no traceback, nothing lost)."""


class RetryableToolError(ToolError):
    """A failure the language model can fix: its message goes back to the model (self-correction)."""


@dataclass
class Fact:
    """A named number (or short value) with where it came from, so every number in a write-up traces back."""

    name: str
    value: float | int | str
    source: str
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": _jsonable(self.value), "source": self.source, "unit": self.unit}


@dataclass
class Table:
    """A result table: exact values in ``df``; how each column is shown (tools.formats) where the tool
    knows it (``kinds``), the currency of its money, and notes on rows a person must read with care
    (``notes``: row position -> "covers 1 December 2011 to 9 December 2011 only", a partial period)."""

    name: str
    df: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    currency: str | None = None
    notes: dict[int, str] = field(default_factory=dict)

    def shown(self, max_rows: int | None = None) -> pd.DataFrame:
        """The table as a person reads it: formatted text, a note column where rows carry notes."""
        from tools.formats import display

        df = self.df if max_rows is None else self.df.head(max_rows)
        shown = display(df, self.kinds, self.currency)
        if self.notes:
            shown["note"] = [self.notes.get(i, "") for i in range(len(df))]
        return shown

    def to_dict(self, max_rows: int | None = None) -> dict[str, Any]:
        df = self.df if max_rows is None else self.df.head(max_rows)
        rows = [[_jsonable(v) for v in row] for row in df.itertuples(index=False, name=None)]
        out: dict[str, Any] = {"name": self.name, "columns": [str(c) for c in df.columns], "rows": rows}
        if self.currency:
            out["currency"] = self.currency
        if self.notes:
            out["notes"] = {str(i): note for i, note in self.notes.items()}
        return out


@dataclass
class ToolResult:
    """What a tool returns: a short text for the model, the full detail for the person."""

    text: str
    tables: list[Table] = field(default_factory=list)
    chart: Any | None = None  # a plotly Figure
    facts: list[Fact] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    # The answer's lead sentence, when the tool composes it from its own figures (a forecast's total and
    # interval); else agent.headline reads it off the first table.
    headline: str = ""

    @property
    def table(self) -> pd.DataFrame | None:
        """The first (main) table, or None."""
        return self.tables[0].df if self.tables else None

    @property
    def currency(self) -> str | None:
        """The currency of the main table's money (ISO code), or None."""
        return self.tables[0].currency if self.tables else None

    def fact(self, name: str) -> float | int | str:
        for f in self.facts:
            if f.name == name:
                return f.value
        raise KeyError(name)

    def to_dict(self, max_rows: int | None = 1000) -> dict[str, Any]:
        return {
            "text": self.text,
            "tables": [t.to_dict(max_rows) for t in self.tables],
            "facts": [f.to_dict() for f in self.facts],
            "sql": list(self.sql),
        }


class Tool(ABC):
    """A capability bound to a workspace. Subclasses set ``name``, ``description`` and ``Args``."""

    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[BaseModel]]
    # The words a question must state for this tool to answer it (a forecast: a future period), or None.
    # Such a tool is never routed the questions without them (agent.router): an embedding router cannot
    # tell "weekly orders" from "weekly orders next month", nor "our 5 best customers by spend" from a
    # segmentation. It claims the questions that state them (agent.loop) unless ``cue_claims`` is False:
    # a segmentation's words ("loyal", "customer groups") also name columns and breakdowns.
    cue: ClassVar[re.Pattern[str] | None] = None
    cue_claims: ClassVar[bool] = True
    # Whether the tool only computes figures over rows: a question about named records ("pull up order
    # KH-24210") is then no question for it (agent.loop sends it to SQL).
    figures_only: ClassVar[bool] = False

    def __init__(self, workspace: Workspace):
        self.ws = workspace

    def claims(self, reading: Any) -> bool:
        """Whether the question read (``agent.question.Reading``) is this tool's by code: by default, one
        that states the tool's cue."""
        return bool(self.cue_claims and self.cue and self.cue.search(prose(reading.question)))

    @abstractmethod
    def run(self, args: Any) -> ToolResult:
        """Compute the result for validated arguments."""

    def __call__(self, **kwargs: Any) -> ToolResult:
        """Validate keyword arguments and run: the way to use a tool from Python."""
        return self.answer(self.parse_args(kwargs))

    def answer(self, args: Any) -> ToolResult:
        """Run, then give the result's tables the currency of the data read (where the tool set none)."""
        result = self.run(args)
        if any(t.currency is None for t in result.tables):
            currency = self.ws.currency_of(self.tables_read(args))
            for t in result.tables:
                t.currency = t.currency or currency
        return result

    def tables_read(self, args: Any) -> list[str]:
        """The data tables a call reads: its ``table`` argument, or the current sales table (the default
        of every tool with one); none for a tool without a table."""
        if "table" not in type(args).model_fields:
            return []
        return [getattr(args, "table", None) or self.ws.sales_table()]

    def parse_args(self, raw: dict[str, Any]) -> BaseModel:
        try:
            return self.Args.model_validate(raw)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in e.errors()
            )
            raise RetryableToolError(f"Invalid arguments for {self.name}: {problems}") from None

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of this instance's arguments (a tool may build ``Args`` per workspace)."""
        return self.Args.model_json_schema()


# A text value longer than this is free text (a review, a description): data to quote, never a name.
FREE_TEXT_CHARS = 40


def frame_facts(df: pd.DataFrame, source: str, prefix: str = "", max_rows: int = 50) -> list[Fact]:
    """Every number of a small result frame as a fact named ``<row label>.<column>``.

    The row label is the first non-numeric column's value (e.g. the country), else the row number (also
    for free text: a review is no name, and what it says must not reach the model as a fact's name).
    """
    facts: list[Fact] = []
    label_col = next((c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])), None)
    for i, row in enumerate(df.head(max_rows).to_dict("records")):
        label = str(row[label_col]) if label_col is not None else str(i)
        if len(label) > FREE_TEXT_CHARS:
            label = f"row {i + 1}"
        for col, value in row.items():
            if col == label_col or not _is_number(value):
                continue
            name = f"{prefix}{label}.{col}" if len(df) > 1 or label_col else f"{prefix}{col}"
            facts.append(Fact(name=name, value=_jsonable(value), source=source))
    return facts


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return isinstance(value, (int, float)) or (hasattr(value, "dtype") and value.dtype.kind in "iuf")
    except AttributeError:
        return False


def _jsonable(value: Any) -> Any:
    """Plain Python for JSON: numpy scalars to numbers, NaN to None, timestamps to ISO text."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool)):
        return value
    if value is pd.NaT or (isinstance(value, type(pd.NA))):
        return None
    return str(value)
