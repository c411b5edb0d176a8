"""The Reports tab: a report from a template or from the conversation, previewed, downloadable.

Reports come from the writing layer's ``build_report`` (DESIGN.md "Grounded writing"). Until a module
providing it is installed the tab says so; connecting it is the one function ``report_module`` below.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import gradio as gr

from ui.chat import session_of
from ui.errors import friendly
from ui.session import UiContext

# Where the writing layer's build_report may live (first found wins).
REPORT_MODULES = ("agent.reports", "agent.report", "agent.writing")
FROM_CONVERSATION = "From this conversation"
NOT_AVAILABLE = (
    "Reports are not available in this version of martmind yet. Ask your questions in the Chat tab; "
    "each result table can be downloaded as CSV there."
)


def report_module() -> Any | None:
    """The module with ``build_report`` (and optionally ``report_templates``), or None."""
    for name in REPORT_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "build_report"):
            return module
    return None


def templates() -> list[str]:
    module = report_module()
    names = list(module.report_templates()) if module and hasattr(module, "report_templates") else []
    return [FROM_CONVERSATION, *names]


class ReportHandlers:
    """The Reports tab's handlers, bound to one UiContext."""

    def __init__(self, ctx: UiContext):
        self.ctx = ctx

    def available(self) -> bool:
        return report_module() is not None

    def generate(self, template: str | None, request: gr.Request):
        """Returns (message or preview markdown, HTML path, Markdown path)."""
        module = report_module()
        if module is None:
            return NOT_AVAILABLE, None, None
        assistant = session_of(self.ctx, request).assistant
        try:
            if not template or template == FROM_CONVERSATION:
                result = module.build_report(assistant=assistant)
            else:
                result = module.build_report(template, assistant=assistant)
        except Exception as e:  # noqa: BLE001
            return f"**The report could not be built.** {friendly(e)}", None, None
        html, markdown = report_paths(result)
        preview = Path(markdown).read_text(encoding="utf-8") if markdown else f"Report written to `{html}`."
        return preview, html, markdown


def report_paths(result: Any) -> tuple[str | None, str | None]:
    """(HTML path, Markdown path) of a build_report result: a path, or an object/dict naming both."""
    if isinstance(result, (str, Path)):
        path = Path(result)
        markdown = path.with_suffix(".md")
        return str(path), str(markdown) if markdown.exists() else None
    get = result.get if isinstance(result, dict) else lambda key: getattr(result, key, None)
    html, markdown = get("html_path") or get("html"), get("markdown_path") or get("markdown")
    return (str(html) if html else None), (str(markdown) if markdown else None)
