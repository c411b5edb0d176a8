"""Printing command results: readable tables on a terminal, or one JSON object with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pandas as pd

from tools.base import ToolResult, _jsonable


class CommandError(Exception):
    """Bad command-line usage, explained in one sentence."""


def add_command(sub: argparse._SubParsersAction, name: str, handler, help: str) -> argparse.ArgumentParser:
    """A subcommand with the --json flag every command has."""
    parser = sub.add_parser(name, help=help, description=help)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=handler)
    return parser


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


def print_table(df: pd.DataFrame, title: str | None = None, max_rows: int = 40) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    table = RichTable(title=title, show_lines=False)
    for column in df.columns:
        justify = "right" if pd.api.types.is_numeric_dtype(df[column]) else "left"
        table.add_column(str(column), justify=justify)
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*[_format_cell(v) for v in row])
    # Piped output (no terminal) would otherwise be squeezed to 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(table)
    if len(df) > max_rows:
        console.print(f"... {len(df) - max_rows:,} more rows (use --json for all)")


def _format_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")  # a day, month or year bucket: no midnight clock time
    return str(value)


def _print_result(result: ToolResult) -> None:
    if result.tables:
        for table in result.tables:
            print_table(table.df, title=table.name)
        summary = result.text.splitlines()[0] if result.text else ""
        if summary:
            print(summary)
    else:
        print(result.text)
    for sql in result.sql:
        print(f"\nSQL: {sql}")
