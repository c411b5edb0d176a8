"""`martmind report TEMPLATE`: a named report without a chat (HTML and Markdown in <home>/reports)."""

from __future__ import annotations

import argparse
import functools

from ui.output import add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "report", run_report, "build a named report (HTML with charts, and Markdown)")
    p.add_argument(
        "template", help="monthly sales review, customer segmentation, basket analysis, campaign review"
    )
    p.add_argument("--title", help="the report's title (default: the template's)")
    p.add_argument("--table", help="the table the template reports on (default: each section's own)")
    p.add_argument(
        "--model", help="model spec for the narrative (default $MARTMIND_MODEL or the embedded one)"
    )
    p.add_argument(
        "--no-model", action="store_true", help="no narrative model: each section's summary is the tool's own"
    )


def run_report(args: argparse.Namespace):
    from agent.assistant import default_model_spec
    from agent.model_cache import shared_model
    from agent.privacy import private_model
    from agent.reports import BuildReport
    from agent.writing import WritingContext
    from tools.workspace import Workspace

    ws = Workspace(args.home)
    spec = args.model or default_model_spec()
    # One wrapper for the whole report, so a value keeps its placeholder from section to section.
    model = None if args.no_model else functools.cache(lambda: private_model(shared_model(spec), ws))
    result = BuildReport(ws, WritingContext(model=model))(
        template=args.template, title=args.title, table=args.table
    )
    return result if args.json else result.text
