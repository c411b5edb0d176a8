"""Conversation state: what a follow-up refers to, kept explicitly rather than left to chat history.

"now only for Germany", "split that by month", "segment those customers" work because the active table,
the filters, the date range, the last call and the last result are named fields. They are shown to the
model, and a follow-up's arguments are merged into the previous call's (same tool) or inherit the table,
filters and dates (another tool with arguments of those names).

Tools name these arguments by convention (the names below); a tool whose arguments use other names simply
does not share state, it still works.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

TABLE_FIELDS = ("table",)
FILTER_FIELDS = ("filters", "where", "filter")
DATE_FIELDS = (
    "date_range",
    "period",
    "start",
    "end",
    "date_from",
    "date_to",
    "since",
    "until",
    "start_date",
    "end_date",
)
_KEY_NAMES = ("column", "field", "dimension", "name")  # the key of one filter written as an object
_CONDITION_COLUMN = re.compile(
    r'^\s*"?([A-Za-z_][\w.]*)"?\s*(?:=|!=|<>|<=|>=|<|>|\bin\b|\bbetween\b|\blike\b)', re.IGNORECASE
)
MAX_RESULT_CHARS = 600
MAX_FACTS = 12
MAX_HISTORY = 4


@dataclass
class ConversationState:
    """The explicit state of one conversation, updated after every tool call."""

    active_table: str | None = None
    filters: Any = None
    dates: dict[str, Any] = field(default_factory=dict)
    last_call: dict[str, Any] | None = None  # {"name", "args"}
    last_result: str = ""
    last_facts: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)  # [{"question", "answer"}], newest last

    # -- updating ----------------------------------------------------------------------------------------
    def record_call(
        self,
        name: str,
        args: dict[str, Any],
        result_text: str = "",
        facts: list[dict[str, Any]] | None = None,
    ) -> None:
        """Remember a tool call that ran and what it returned."""
        self.last_call = {"name": name, "args": dict(args)}
        self.last_result = result_text[:MAX_RESULT_CHARS]
        self.last_facts = list(facts or [])[:MAX_FACTS]
        table = next((args[f] for f in TABLE_FIELDS if args.get(f)), None)
        if table:
            self.active_table = table
        # Filters and dates describe the current view of the data, so a call without them clears them.
        self.filters = next((args[f] for f in FILTER_FIELDS if args.get(f) not in (None, [], {})), None)
        self.dates = {f: args[f] for f in DATE_FIELDS if args.get(f) is not None}

    def record_turn(self, question: str, answer: str) -> None:
        self.history = [*self.history, {"question": question, "answer": answer[:MAX_RESULT_CHARS]}][
            -MAX_HISTORY:
        ]

    # -- for the model -----------------------------------------------------------------------------------
    def describe(self) -> str:
        """The state as a few lines for the prompt; empty for a new conversation."""
        if self.last_call is None and not self.history:
            return ""
        lines = [f"Earlier request: {turn['question']}" for turn in self.history[-2:]]
        if self.active_table:
            lines.append(f"Active table: {self.active_table}")
        if self.filters not in (None, [], {}):
            lines.append(f"Active filters: {json.dumps(self.filters, ensure_ascii=False)}")
        if self.dates:
            lines.append(f"Active date range: {json.dumps(self.dates, ensure_ascii=False)}")
        if self.last_call:
            args = json.dumps(self.last_call["args"], ensure_ascii=False)
            lines.append(f"Previous call: {self.last_call['name']} {args}")
        if self.last_result:
            lines.append(f"Previous result: {self.last_result.splitlines()[0][:200]}")
        return "\n".join(lines)

    # -- merging a follow-up -----------------------------------------------------------------------------
    def merge_args(
        self, tool: str, new: dict[str, Any], follow_up: bool, fields: list[str]
    ) -> dict[str, Any]:
        """The arguments to validate: the model's, completed from the state when this is a follow-up.

        Same tool as before: the previous arguments, overridden by every non-null new one; filters are
        merged (a new condition on a column replaces the old one on that column). Another tool: its null
        table / filter / date arguments inherit the active ones.
        """
        if not follow_up or self.last_call is None:
            return dict(new)
        if self.last_call["name"] == tool:
            merged = dict(self.last_call["args"])
            for key, value in new.items():
                if value in (None, [], {}, ""):  # not stated in the follow-up: keep the previous value
                    continue
                merged[key] = merge_filters(merged.get(key), value) if key in FILTER_FIELDS else value
            return merged
        merged = dict(new)
        inherited = {
            **equality_filters(self.filters),  # "country" = Germany fills an argument named country
            **{f: self.active_table for f in TABLE_FIELDS},
            **{f: self.filters for f in FILTER_FIELDS},
            **self.dates,
        }
        for key in fields:
            if merged.get(key) is None and inherited.get(key) not in (None, [], {}):
                merged[key] = inherited[key]
        return merged

    # -- persistence -------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def merge_filters(old: Any, new: Any) -> Any:
    """New filters on top of old ones: a condition on a column replaces the old condition on that column."""
    if old in (None, [], {}):
        return new
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **new}
    if isinstance(old, list) and isinstance(new, list):
        new_keys = {_filter_key(f) for f in new} - {None}
        kept = [f for f in old if _filter_key(f) not in new_keys and f not in new]
        return kept + list(new)
    if isinstance(old, str) and isinstance(new, str):
        if _filter_key(old) == _filter_key(new) or old in new:
            return new
        return f"({old}) AND ({new})"
    return new


def equality_filters(filters: Any) -> dict[str, Any]:
    """Column (lower case) -> value of the active filters that are plain equalities."""
    if isinstance(filters, dict):
        return {str(k).lower(): v for k, v in filters.items() if isinstance(v, (str, int, float))}
    out: dict[str, Any] = {}
    for item in filters if isinstance(filters, list) else []:
        key = _filter_key(item)
        if key and isinstance(item, dict) and item.get("op", "=") == "=" and item.get("value") is not None:
            out[key] = item["value"]
    return out


def _filter_key(item: Any) -> str | None:
    """The column a single filter is about, when it can be told."""
    if isinstance(item, dict):
        for name in _KEY_NAMES:
            if isinstance(item.get(name), str):
                return item[name].lower()
        return None
    if isinstance(item, str):
        match = _CONDITION_COLUMN.match(item)
        return match.group(1).lower() if match else None
    return None
