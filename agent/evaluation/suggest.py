"""`martmind eval suggest TABLE`: the model drafts golden questions with SQL; running the SQL proves it works.

The drafts are for a person to review before they become a golden set: a draft whose SQL fails is kept in
the answer, marked, but never written to the golden file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.base import ToolError
from tools.workspace import quote_ident

SUGGEST_SCHEMA = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"question": {"type": "string"}, "sql": {"type": "string"}},
                "required": ["question", "sql"],
            },
        }
    },
    "required": ["items"],
}


def suggest_golden(ws, table: str, model, n: int = 8) -> list[dict[str, Any]]:
    """Draft ``n`` golden questions for ``table`` and check that each SQL runs.

    Returns a list of ``{"question", "sql", "table", "tags", "runs", "rows", "error"}``.

    Raises:
        ToolError: unknown table, or a reply that holds no usable questions.
    """
    ws.columns(table)  # a clear "did you mean" for an unknown table
    if n < 1:
        raise ToolError("--n must be at least 1.")
    rows = int(ws.query(f"SELECT count(*) AS n FROM {quote_ident(table)}")["n"][0])
    messages = [
        {"role": "system", "content": _render("suggest_system")},
        {
            "role": "user",
            "content": _render("suggest_user", table=table, rows=rows, card=table_card(ws, table), n=n),
        },
    ]
    reply = model.generate(messages, json_schema=SUGGEST_SCHEMA, max_new_tokens=220 * n)
    drafts = _parse(reply.text)[:n]
    return [check_draft(ws, table, d) for d in _unique(drafts)]


def table_card(ws, table: str, examples: int = 3) -> str:
    """One line per column: name, type and a few distinct example values."""
    lines = []
    for column, sql_type in ws.columns(table):
        values = ws.query(
            f"SELECT DISTINCT {quote_ident(column)} AS v FROM {quote_ident(table)} "
            f"WHERE {quote_ident(column)} IS NOT NULL LIMIT {examples}"
        )["v"].tolist()
        shown = ", ".join(repr(v)[:40] for v in values)
        lines.append(f"- {column} ({sql_type}): {shown}")
    return "\n".join(lines)


def check_draft(ws, table: str, draft: dict[str, str]) -> dict[str, Any]:
    """Run a draft's SQL through the guarded sql_query tool and record whether it works."""
    from tools.sql import SqlQuery

    out: dict[str, Any] = {
        "question": draft["question"].strip(),
        "sql": draft["sql"].strip().rstrip(";"),
        "table": table,
        "tags": ["suggested"],
        "runs": False,
        "rows": None,
        "error": None,
    }
    try:
        result = SqlQuery(ws)(sql=out["sql"])
    except ToolError as e:
        out["error"] = str(e).splitlines()[0]
        return out
    out.update(runs=True, rows=len(result.tables[0].df))
    if out["rows"] == 0:
        out["error"] = "returns no rows: a weak golden question"
    return out


def write_jsonl(drafts: list[dict[str, Any]], path: str | Path) -> int:
    """Write the drafts whose SQL runs as golden-set lines; returns how many were written."""
    good = [{k: d[k] for k in ("question", "sql", "table", "tags")} for d in drafts if d["runs"]]
    Path(path).write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in good), encoding="utf-8")
    return len(good)


def _render(key: str, **variables: Any) -> str:
    """Render a template of prompts/eval.yaml with StrictUndefined (a missing variable is an error)."""
    from importlib import resources

    import jinja2
    import yaml

    templates = yaml.safe_load(resources.files("prompts").joinpath("eval.yaml").read_text(encoding="utf-8"))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    return env.from_string(templates[key]).render(**variables).strip()


def _parse(text: str) -> list[dict[str, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ToolError("The model's reply was not JSON; try again or use a larger model.") from None
    items = data.get("items") if isinstance(data, dict) else None
    good = [
        i
        for i in items or []
        if isinstance(i, dict)
        and isinstance(i.get("question"), str)
        and isinstance(i.get("sql"), str)
        and i["question"].strip()
        and i["sql"].strip()
    ]
    if not good:
        raise ToolError("The model drafted no usable questions; try again or use a larger model.")
    return good


def _unique(drafts: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[str] = set()
    out = []
    for d in drafts:
        key = d["question"].strip().lower()
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
