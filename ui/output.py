"""Printing command results: readable tables on a terminal, or one JSON object with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pandas as pd

from tools import formats
from tools.base import Table, ToolResult, _jsonable


class CommandError(Exception):
    """Bad command-line usage, explained in one sentence."""


def add_command(sub: argparse._SubParsersAction, name: str, handler, help: str) -> argparse.ArgumentParser:
    """A subcommand with the --json flag every command has."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=handler)
    return parser


def run_tool(tool_class, args: argparse.Namespace, fields: tuple[str, ...]) -> ToolResult:
    """Run a tool on the command's workspace with the flags in ``fields`` that were given."""
    from tools.workspace import Workspace

    kwargs = {f: getattr(args, f) for f in fields if getattr(args, f, None) is not None}
    return tool_class(Workspace(args.home))(**kwargs)


def emit(result: Any, as_json: bool) -> None:
    if as_json:
        payload = result.to_dict() if hasattr(result, "to_dict") else result
        print(json.dumps(payload, default=_jsonable, ensure_ascii=False))
        return
    if isinstance(result, ToolResult):
        _print_result(result)
    elif isinstance(result, pd.DataFrame):
        print_table(result)
    elif isinstance(result, dict):
        for key, value in result.items():
            print(f"{key}: {value}")
    else:
        print(result)


def emit_error(message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        print(f"Error: {message}", file=sys.stderr)


def print_table(data: Table | pd.DataFrame, title: str | None = None, max_rows: int = 40) -> None:
    """A table as a person reads it (tools.formats): separators, currency, periods at their grain."""
    from rich.console import Console
    from rich.table import Table as RichTable

    result = data if isinstance(data, Table) else Table(title or "", data)
    df = result.df
    table = RichTable(title=title, show_lines=False)
    shown = result.shown(max_rows)
    for column in shown.columns:
        numeric = column in df.columns and formats.is_figure(df[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in shown.itertuples(index=False):
        table.add_row(*row)
    # Piped output (no terminal) would otherwise be squeezed to 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(table)
    if len(df) > max_rows:
        console.print(f"... {len(df) - max_rows:,} more rows (use --json for all)")


def _print_result(result: ToolResult) -> None:
    if result.tables:
        for table in result.tables:
            print_table(table, title=table.name)
        summary = result.text.splitlines()[0] if result.text else ""
        if summary:
            print(summary)
    else:
        print(result.text)
    for sql in result.sql:
        print(f"\nSQL: {sql}")
