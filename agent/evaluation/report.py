"""Write a run's report: the JSON file (for --compare and tooling) and a self-contained HTML page."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from agent.evaluation.compare import passed
from agent.evaluation.runner import EvalReport
from tools.base import _jsonable
from tools.files import write_atomic


def write_report(report: EvalReport, out_dir: str | Path) -> dict[str, str]:
    """Write ``report.json`` and ``report.html`` into ``out_dir`` (created); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "report.json", out / "report.html"
    write_atomic(json_path, json.dumps(report.to_dict(), default=_jsonable, ensure_ascii=False, indent=1))
    write_atomic(html_path, render_html(report.to_dict()))
    return {"json": str(json_path), "html": str(html_path)}


def render_html(data: dict[str, Any]) -> str:
    """One HTML page, no external assets: the summary, then every failure with gold and prediction side by side."""
    import jinja2

    source = resources.files("agent.evaluation").joinpath("report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    failures = [q for q in data["questions"] if not passed(q)]
    return env.from_string(source).render(
        meta=data["meta"], summary=data["summary"], failures=failures, total=len(data["questions"]), fmt=_fmt
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
