"""Data commands that need no LLM: sql (and, as they land, load, schema, metric)."""

from __future__ import annotations

import argparse

from tools.workspace import Workspace
from ui.output import add_command


def workspace(args: argparse.Namespace) -> Workspace:
    return Workspace(args.home)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "sql", run_sql, "run one read-only SELECT over the workspace tables")
    p.add_argument(
        "query", help='the SELECT statement, e.g. "SELECT Country, count(*) FROM online_retail GROUP BY 1"'
    )


def run_sql(args: argparse.Namespace):
    from tools.sql import SqlQuery

    return SqlQuery(workspace(args))(sql=args.query)
