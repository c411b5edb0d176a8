"""Data commands that need no LLM: load, schema, sql."""

from __future__ import annotations

import argparse

from tools.workspace import Workspace
from ui.output import add_command


def workspace(args: argparse.Namespace) -> Workspace:
    return Workspace(args.home)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "load", run_load, "load a CSV, TSV, Parquet, Excel (.xlsx), JSON or NDJSON file as a table")
    p.add_argument("file", help="the file to load")
    p.add_argument("--table", help="table name (default: from the file name)")
    p.add_argument("--sheet", help="Excel sheet name or 1-based number (default: the first sheet)")
    p = add_command(sub, "schema", run_schema, "show the tables: columns, types, ranges, example values, roles")
    p.add_argument("tables", nargs="*", metavar="TABLE", help="only these tables (default: all)")
    p = add_command(sub, "sql", run_sql, "run one read-only SELECT over the workspace tables")
    p.add_argument(
        "query", help='the SELECT statement, e.g. "SELECT Country, count(*) FROM online_retail GROUP BY 1"'
    )


def run_load(args: argparse.Namespace):
    from tools.loader import load_file

    return load_file(workspace(args), args.file, table=args.table, sheet=args.sheet)


def run_schema(args: argparse.Namespace):
    from tools.schema import schema_card
    from ui.schema_view import print_schema

    card = schema_card(workspace(args), args.tables or None)
    if args.json:
        return {"tables": card}
    print_schema(card)
    return None


def run_sql(args: argparse.Namespace):
    from tools.sql import SqlQuery

    return SqlQuery(workspace(args))(sql=args.query)
