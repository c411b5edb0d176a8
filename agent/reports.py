"""``build_report``: sections with narrative, tables and plotly charts, saved as self-contained HTML and Markdown.

A report is either a named template (``prompts/report_templates.yaml``: which tool with which arguments
feeds which section) or the conversation's analyses. Each section's tool runs again (tools are
deterministic), the model writes a short narrative from its facts (grounding-checked, regenerated once,
then flagged), and a "Sources" section lists every call and SQL behind the numbers. plotly.js is
embedded once in the HTML, so the file opens offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, StrictUndefined
from pydantic import BaseModel, Field

import prompts
from agent import grounding
from agent.models import ModelError
from agent.writing import (
    WRITING_TOOLS,
    Analysis,
    WritingTool,
    WrittenResult,
    grounded_json,
    prompt_facts,
    system_message,
)
from tools.base import ToolError
from tools.files import write_atomic

TABLE_ROWS = 15
NARRATIVE_TOKENS = 200


def templates() -> dict[str, Any]:
    """The named report templates."""
    return prompts.load("report_templates")


@dataclass
class Section:
    title: str
    analysis: Analysis | None = None
    narrative: str = ""
    skipped: str = ""  # why the section could not run
    grounding: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    title: str
    sections: list[Section]
    created: str = field(default_factory=lambda: datetime.now().strftime("%Y-%m-%d %H:%M"))

    def analyses(self) -> list[Analysis]:
        return [s.analysis for s in self.sections if s.analysis is not None]


# -- the tool --------------------------------------------------------------------------------------------
class ReportArgs(BaseModel):
    template: str | None = Field(
        None,
        description=(
            "A named report: monthly sales review, customer segmentation, basket analysis or campaign "
            "review; null for a report of this conversation's analyses."
        ),
    )
    title: str | None = Field(None, description="The report's title (default: the template's).")
    table: str | None = Field(
        None, description="The table a template reports on (default: each section's own, e.g. online_retail)."
    )


class BuildReport(WritingTool):
    name = "build_report"
    description = (
        "A report with narrative, tables and charts, saved as HTML and Markdown: of a named template "
        "(monthly sales review, customer segmentation, basket analysis, campaign review) or of the "
        "analyses of this conversation."
    )
    Args = ReportArgs

    def run(self, args: ReportArgs) -> WrittenResult:
        report = self.build(args.template, args.title, args.table)
        paths = save(report, self.ws.subdir("reports"))
        return report_result(report, paths)

    def build(self, template: str | None, title: str | None = None, table: str | None = None) -> Report:
        """Run the sections and write their narratives (``table``: a template's sections read that table)."""
        if template:
            spec = _template(template)
            calls = [(s["title"], s["tool"], self._on_table(s, table)) for s in spec["sections"]]
            title = title or spec["title"]
        else:
            earlier = [c for c in self.earlier(tuple(self.registry().names())) if c[0] not in WRITING_TOOLS]
            if not earlier:
                names = ", ".join(templates())
                raise ToolError(f"This conversation has no analyses to report yet; name a template: {names}.")
            calls = [(_call_title(n, a), n, a) for n, a in earlier]
            title = title or "Analysis report"
        sections = [self._section(*c) for c in calls]
        return Report(title=title, sections=sections)

    def _on_table(self, section: dict[str, Any], table: str | None) -> dict[str, Any]:
        args = dict(section.get("args") or {})
        registry = self.registry()
        takes_table = (
            section["tool"] in registry and "table" in registry.get(section["tool"]).Args.model_fields
        )
        if table and takes_table and "table" not in args:
            args["table"] = table
        return args

    def _section(self, title: str, tool: str, args: dict[str, Any]) -> Section:
        try:
            analysis = self.run_analysis(tool, args)
        except ToolError as e:
            return Section(title, skipped=str(e))
        narrative, record = self._narrative(title, analysis)
        return Section(title, analysis, narrative, grounding=record)

    def _narrative(self, title: str, analysis: Analysis) -> tuple[str, dict[str, Any]]:
        result = analysis.result
        grounds = grounding.Grounds.build(result.facts, [result.text, title], result.currency, result.tables)
        user = prompts.render(
            "writing",
            "section_user",
            title=title,
            tool_name=analysis.name,
            result_text=result.text[:2000],
            facts=prompt_facts(result.facts),
        )
        schema = {
            "type": "object",
            "properties": {"narrative": {"type": "string", "minLength": 1, "maxLength": 700}},
            "required": ["narrative"],
            "additionalProperties": False,
        }
        try:
            if self.context.model is None:
                raise ModelError("no model")
            draft = grounded_json(
                self.model(),
                [system_message(), {"role": "user", "content": user}],
                schema,
                grounds,
                lambda d: [str(d.get("narrative", ""))],
                NARRATIVE_TOKENS,
            )
        except (ModelError, ToolError):
            # Without a model the tool's own summary is the narrative (code-written, so grounded).
            return result.text.split("\n\n")[0].strip(), {"model": False}
        text = str(draft.data.get("narrative", ""))
        return grounding.flag(text, draft.final), draft.record()


def _template(name: str) -> dict[str, Any]:
    known = templates()
    key = name.strip().lower().replace("_", " ").replace("-", " ")
    if key not in known:
        from tools.names import closest

        guess = closest(key, list(known))
        hint = f" Did you mean {guess!r}?" if guess else ""
        raise ToolError(f"No report template {name!r}.{hint} Templates: {', '.join(known)}.")
    return known[key]


def _call_title(name: str, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in args.items() if v not in (None, [], {}))
    return f"{name.replace('_', ' ').capitalize()}{f' ({shown})' if shown else ''}"


# -- rendering -------------------------------------------------------------------------------------------
@cache
def _env() -> Environment:
    return Environment(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)


def _template_text(name: str) -> str:
    return resources.files("agent").joinpath("report_templates", name).read_text(encoding="utf-8")


def render_html(report: Report) -> str:
    """The report as one HTML file: plotly.js inline, every chart a div, no external script or style."""
    import plotly.offline
    from markupsafe import Markup, escape

    sections = []
    for s in report.sections:
        a = s.analysis
        chart = ""
        if a is not None and a.result.chart is not None:
            chart = a.result.chart.to_html(full_html=False, include_plotlyjs=False)
        tables = [
            Markup(t.shown(TABLE_ROWS).to_html(index=False, border=0, classes="data", na_rep=""))
            for t in (a.result.tables if a else [])
            if not t.df.empty
        ]
        sections.append(
            {
                "title": escape(s.title),
                "narrative": _paragraphs(str(escape(s.narrative))),
                "skipped": escape(s.skipped),
                "tables": tables,
                "chart": Markup(chart),
            }
        )
    sources = grounding.sources(a.source() for a in report.analyses())
    return (
        _env()
        .from_string(_template_text("report.html.j2"))
        .render(
            title=escape(report.title),
            created=report.created,
            sections=sections,
            sources=sources,
            plotly_js=Markup(plotly.offline.get_plotlyjs()),
        )
    )


def render_markdown(report: Report, html_name: str) -> str:
    """The report as Markdown: narrative and tables; charts are in the HTML file next to it."""
    sections = [
        {
            "title": s.title,
            "narrative": s.narrative,
            "skipped": s.skipped,
            "tables": [
                markdown_table(t.shown(TABLE_ROWS))
                for t in (s.analysis.result.tables if s.analysis else [])
                if not t.df.empty
            ],
            "chart": bool(s.analysis and s.analysis.result.chart is not None),
        }
        for s in report.sections
    ]
    sources = grounding.sources(a.source() for a in report.analyses())
    return (
        _env()
        .from_string(_template_text("report.md.j2"))
        .render(
            title=report.title,
            created=report.created,
            sections=sections,
            html_name=html_name,
            sources=grounding.sources_markdown(sources),
        )
    )


def markdown_table(shown: pd.DataFrame) -> str:
    """A pipe table (no tabulate dependency) of a table as shown (``Table.shown``: already formatted)."""
    head = "| " + " | ".join(str(c) for c in shown.columns) + " |"
    rule = "| " + " | ".join("---" for _ in shown.columns) + " |"
    rows = [
        "| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |"
        for row in shown.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows])


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def save(report: Report, folder: Path) -> dict[str, str]:
    """Write ``<slug>-<time>.html`` and ``.md`` into ``folder``, each whole or not at all; returns their paths.

    The slug keeps only letters, digits and dashes, so no title can name a file outside ``folder``.
    """
    stem = f"{_slug(report.title)}-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}"
    html_path, md_path = folder / f"{stem}.html", folder / f"{stem}.md"
    write_atomic(html_path, render_html(report))
    write_atomic(md_path, render_markdown(report, html_path.name))
    return {"html": str(html_path), "markdown": str(md_path)}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "report"


def report_result(report: Report, paths: dict[str, str]) -> WrittenResult:
    """The tool's result: a short text with the paths, the sections' grounding, and the sources."""
    sections = pd.DataFrame(
        [
            {
                "section": s.title,
                "status": "skipped: " + s.skipped if s.skipped else "ok",
                "unverified": len(s.grounding.get("final", {}).get("unsupported", [])),
            }
            for s in report.sections
        ]
    )
    text = prompts.render(
        "writing",
        "report_done",
        title=report.title,
        html=paths["html"],
        markdown=paths["markdown"],
        sections=sections.to_dict("records"),
    )
    from tools.base import Table

    analyses = report.analyses()
    return WrittenResult(
        text,
        tables=[Table("sections", sections)],
        facts=[f for a in analyses for f in a.result.facts],
        sql=[q for a in analyses for q in a.result.sql],
        grounding={"sections": {s.title: s.grounding for s in report.sections}, "paths": paths},
        sources=grounding.sources(a.source() for a in analyses),
        extra=dict(paths),
    )


# -- the Python entry points the UI uses -----------------------------------------------------------------
def report_templates() -> list[str]:
    """Names of the report templates."""
    return list(templates())


def build_report(
    template: str | None = None,
    *,
    assistant: Any = None,
    workspace: Any = None,
    title: str | None = None,
    table: str | None = None,
) -> dict[str, Any]:
    """Build a report with an Assistant's model and conversation (or a bare workspace, no narrative model).

    Returns:
        ``{"html", "markdown", "text"}``: the saved files' paths and a short summary.
    """
    if assistant is not None and "build_report" in assistant.registry:
        tool = assistant.registry.get("build_report")
    elif assistant is not None:
        from agent.writing import WritingContext

        context = WritingContext(
            model=assistant._get_model, registry=assistant.registry, history=assistant._earlier_calls
        )
        tool = BuildReport(assistant.ws, context)
    else:
        tool = BuildReport(workspace)
    result = tool(template=template, title=title, table=table)
    return {**result.extra, "text": result.text}
