"""Where every input of a calculation came from: stated by the person, computed from data, or a default.

Marketing decisions rest on these numbers, so a result lists each input beside its source, and a number
the model did not get from the person or the data can only be a documented default, shown as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tools.base import Table

STATED = "stated"
DEFAULT = "default"


def from_data(sql: str) -> str:
    """The source label of an input computed by a query."""
    return f"from data: {sql}"


def derived(formula: str) -> str:
    """The source label of an input computed from other inputs."""
    return f"derived: {formula}"


def notes_table(notes: list[str]) -> list[Table]:
    """Caveats and warnings as a one-column table, so every view of a result (terminal, UI, JSON) shows them."""
    return [Table("notes", pd.DataFrame({"note": notes}))] if notes else []


def fraction_hint(value: object) -> object:
    """A pydantic before-validator for margins: 40 most likely meant 40%, so say how to write it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 < value <= 100:
        raise ValueError(
            f"a margin is a fraction from 0 to 1; if {value:g} means {value:g}%, write {value / 100:g}"
        )
    return value


@dataclass
class InputLog:
    """The inputs of one calculation, in the order they were set."""

    rows: list[tuple[str, Any, str, str]] = field(default_factory=list)

    def add(self, name: str, value: Any, source: str, note: str = "") -> Any:
        """Record an input (ignored when ``value`` is None) and return the value."""
        if value is not None:
            self.rows = [r for r in self.rows if r[0] != name]
            self.rows.append((name, value, source, note))
        return value

    def stated(self, name: str, value: Any) -> Any:
        return self.add(name, value, STATED)

    def source(self, name: str) -> str | None:
        return next((r[2] for r in self.rows if r[0] == name), None)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(n, v, s, note) for n, v, s, note in self.rows], columns=["input", "value", "source", "note"]
        )

    def sql(self) -> list[str]:
        """The queries behind inputs computed from data."""
        prefix = "from data: "
        return [s[len(prefix) :] for _, _, s, _ in self.rows if s.startswith(prefix)]
