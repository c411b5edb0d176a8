"""The golden-set format: one question a line (JSONL), or a YAML list of the same objects.

Each item has a ``question`` and either ``sql`` (gold SQL, run on the workspace to get the gold result) or
``expected`` (the gold result itself: ``{"columns": [...], "rows": [[...], ...]}``). Optional keys:
``id``, ``tool`` (the tool the assistant should choose: a name or a list of acceptable names), ``tolerance``
(relative tolerance for numbers, default 1e-6), ``tags`` (list of labels for per-tag accuracy), ``ordered``
(for ``expected`` items: whether row order matters), ``table``/``db`` (the table or database it is about).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.base import ToolError

DEFAULT_TOLERANCE = 1e-6
_KNOWN_KEYS = {
    "id",
    "question",
    "sql",
    "expected",
    "tool",
    "tolerance",
    "tags",
    "ordered",
    "table",
    "db",
    "note",
}


@dataclass
class GoldenItem:
    """One golden question with how to get (or what is) its right answer."""

    question: str
    sql: str | None = None
    expected: dict[str, Any] | None = None
    tool: list[str] = field(default_factory=list)
    tolerance: float = DEFAULT_TOLERANCE
    tags: list[str] = field(default_factory=list)
    ordered: bool | None = None
    table: str | None = None
    db: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            # Stable across runs and files so two reports can be compared question by question.
            self.id = hashlib.sha1(self.question.strip().lower().encode()).hexdigest()[:10]


def load_golden(path: str | Path) -> list[GoldenItem]:
    """Read a golden set from a .jsonl / .json / .yaml / .yml file.

    Raises:
        ToolError: a missing file or a malformed item, naming the line (or item number) to fix.
    """
    path = Path(path)
    if not path.is_file():
        raise ToolError(f"Golden set {str(path)!r} does not exist.")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = _yaml_items(text, path)
        where = "item"
    else:
        raw = _jsonl_items(text, path)
        where = "line"
    items = [parse_item(obj, f"{path.name} {where} {n}") for n, obj in raw]
    if not items:
        raise ToolError(f"Golden set {path.name} holds no questions.")
    _check_unique_ids(items, path.name)
    return items


def parse_item(obj: Any, where: str) -> GoldenItem:
    """Validate one raw object; ``where`` says which line or item it came from, for the error."""
    if not isinstance(obj, dict):
        raise ToolError(f"{where}: each item must be an object with a 'question'.")
    unknown = sorted(set(obj) - _KNOWN_KEYS)
    if unknown:
        raise ToolError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KNOWN_KEYS))}."
        )
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ToolError(f"{where}: 'question' must be non-empty text.")
    sql, expected = obj.get("sql"), obj.get("expected")
    if sql is not None and not isinstance(sql, str):
        raise ToolError(f"{where}: 'sql' must be text.")
    if expected is not None:
        _check_expected(expected, where)
    tool = obj.get("tool") or []
    tool = [tool] if isinstance(tool, str) else list(tool)
    if not sql and expected is None and not tool:
        raise ToolError(f"{where}: give 'sql' or 'expected' (or at least 'tool') for {question[:60]!r}.")
    tolerance = obj.get("tolerance", DEFAULT_TOLERANCE)
    if not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise ToolError(f"{where}: 'tolerance' must be a non-negative number.")
    tags = obj.get("tags") or []
    return GoldenItem(
        question=question.strip(),
        sql=sql,
        expected=expected,
        tool=tool,
        tolerance=float(tolerance),
        tags=[tags] if isinstance(tags, str) else [str(t) for t in tags],
        ordered=obj.get("ordered"),
        table=obj.get("table"),
        db=obj.get("db"),
        id=str(obj.get("id") or ""),
    )


def _jsonl_items(text: str, path: Path) -> list[tuple[int, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("["):  # a plain JSON list is accepted too
        try:
            return list(enumerate(json.loads(text), start=1))
        except json.JSONDecodeError as e:
            raise ToolError(f"{path.name} is not valid JSON: {e.msg} at line {e.lineno}.") from None
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            items.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            raise ToolError(f"{path.name} line {n} is not valid JSON: {e.msg}.") from None
    return items


def _yaml_items(text: str, path: Path) -> list[tuple[int, Any]]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ToolError(f"{path.name} is not valid YAML: {str(e).splitlines()[0]}") from None
    if isinstance(data, dict) and "questions" in data:
        data = data["questions"]
    if not isinstance(data, list):
        raise ToolError(f"{path.name} must hold a list of questions (or a 'questions:' list).")
    return list(enumerate(data, start=1))


def _check_expected(expected: Any, where: str) -> None:
    if not isinstance(expected, dict) or not isinstance(expected.get("rows"), list):
        raise ToolError(f'{where}: \'expected\' must be {{"columns": [...], "rows": [[...], ...]}}.')
    columns = expected.get("columns")
    rows = expected["rows"]
    width = (
        len(columns)
        if isinstance(columns, list)
        else (len(rows[0]) if rows and isinstance(rows[0], list) else 0)
    )
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise ToolError(f"{where}: every expected row must be a list of {width} values.")


def _check_unique_ids(items: list[GoldenItem], name: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ToolError(
                f"{name}: the id {item.id!r} is used twice (repeated question?); give each item an 'id'."
            )
        seen.add(item.id)
