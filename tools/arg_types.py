"""What a tool argument is for, declared once in its type: a table, a period, a top-N.

The agent reads the question with code before the model is called (``agent/question.py``): the period,
the top-N and the table it is about are the ground truth of the call. It sets them on whichever argument
carries the role, so a tool states the meaning of its arguments here, and nothing matches field names:

    table: TableName = Field(None, description="...")
    date_range: PeriodText = Field(None, description="...")
    top: TopN = Field(None, ge=1, le=1000, description="...")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel


@dataclass(frozen=True)
class ArgRole:
    """The meaning of an argument, carried in its ``Annotated`` metadata."""

    name: str


TABLE = ArgRole("table")
PERIOD = ArgRole("period")  # a period as text ("2011-Q3"), read by tools.periods.parse_period
PERIOD_START = ArgRole("period_start")  # the first date of a period
PERIOD_END = ArgRole("period_end")  # the last date of a period (inclusive)
TOP = ArgRole("top")
COMPARED = ArgRole("compared_period")  # the earlier period a figure is compared with ("vs Q4 2023")

TableName = Annotated[str | None, TABLE]
PeriodText = Annotated[str | None, PERIOD]
PeriodStart = Annotated[date | None, PERIOD_START]
PeriodEnd = Annotated[date | None, PERIOD_END]
TopN = Annotated[int | None, TOP]
ComparedPeriod = Annotated[str | None, COMPARED]


def fields_with_role(args_model: type[BaseModel], role: ArgRole) -> list[str]:
    """The names of the fields of ``args_model`` that carry ``role``."""
    return [name for name, info in args_model.model_fields.items() if role in _metadata(info)]


def _metadata(info: Any) -> list[Any]:
    return list(getattr(info, "metadata", []) or [])
