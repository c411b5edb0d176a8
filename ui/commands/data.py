"""Data commands that need no LLM: load, schema, sql."""

from __future__ import annotations

import argparse

from tools.workspace import Workspace
from ui.output import add_command


def workspace(args: argparse.Namespace) -> Workspace:
    return Workspace(args.home)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "load", run_load, "load a CSV, TSV, Parquet, Excel (.xlsx), JSON or NDJSON file as a table"
    )
    p.add_argument("file", help="the file to load")
    p.add_argument("--table", help="table name (default: from the file name)")
    p.add_argument("--sheet", help="Excel sheet name or 1-based number (default: the first sheet)")
    p = add_command(
        sub, "schema", run_schema, "show the tables: columns, types, ranges, example values, roles"
    )
    p.add_argument("tables", nargs="*", metavar="TABLE", help="only these tables (default: all)")
    p = add_command(
        sub, "use", run_use, "make a table the current sales table (questions naming no table are about it)"
    )
    p.add_argument("table", help="the table")
    p = add_command(
        sub,
        "join",
        run_join,
        "declare how two tables join (e.g. orders.customer_id customers.id); with no columns, list the keys",
    )
    p.add_argument(
        "columns", nargs="*", metavar="TABLE.COLUMN", help="the two columns that hold the same values"
    )
    p = add_command(sub, "sql", run_sql, "run one read-only SELECT over the workspace tables")
    p.add_argument(
        "query", help='the SELECT statement, e.g. "SELECT Country, count(*) FROM online_retail GROUP BY 1"'
    )


def run_load(args: argparse.Namespace):
    from tools.loader import load_file

    return load_file(workspace(args), args.file, table=args.table, sheet=args.sheet)


def run_schema(args: argparse.Namespace):
    from tools.schema import schema_card

    card = schema_card(workspace(args), args.tables or None)
    if args.json:
        return {"tables": card}
    print_schema(card)
    return None


def run_use(args: argparse.Namespace):
    ws = workspace(args)
    ws.set_sales_table(args.table)
    message = f"{args.table} is now the current sales table."
    if args.json:
        return {"sales_table": args.table, "text": message}
    print(message)
    return None


def run_join(args: argparse.Namespace):
    from tools.joins import declare_keys, declared_keys, parse_column
    from ui.output import CommandError

    ws = workspace(args)
    if len(args.columns) not in (0, 2):
        raise CommandError("Give two columns, e.g. martmind join orders.customer_id customers.id.")
    if args.columns:
        left, right = (parse_column(ws, c) for c in args.columns)
        keys = declare_keys(ws, [(*left, *right)])
    else:
        keys = declared_keys(ws)
    lines = [f"{a}.{ca} = {b}.{cb}" for a, ca, b, cb in keys]
    if args.json:
        return {"join_keys": [list(k) for k in keys]}
    print("Declared join keys:\n  " + "\n  ".join(lines) if lines else "No join keys are declared.")
    return None


def run_sql(args: argparse.Namespace):
    from tools.sql import SqlQuery

    return SqlQuery(workspace(args))(sql=args.query)


def print_schema(card: list[dict]) -> None:
    """Each table as a heading and a table of its columns, readable on a terminal."""
    import pandas as pd

    from tools.schema import render_value_summary
    from ui.output import print_table

    for table in card:
        rows = [
            {
                "column": c["name"],
                "type": c["type"],
                "role": ", ".join(c["roles"]),
                "null": _share(c["null_share"]),
                "values": render_value_summary(c),
                "in your file": c["original"] or "",
            }
            for c in table["columns"]
        ]
        frame = pd.DataFrame(rows)
        if not frame["in your file"].any():
            frame = frame.drop(columns="in your file")
        money = f" · amounts in {table['currency']}" if table.get("currency") else ""
        current = " · the current sales table" if table.get("sales_table") else ""
        title = f"{table['table']} ({table['rows']:,} rows){money}{current}"
        print_table(frame, title=title, max_rows=200)
        for warning in table["warnings"]:
            print(f"Warning: {warning}")


def _share(share: float) -> str:
    if not share:
        return ""
    return f"{share:.1%}" if share < 0.1 else f"{share:.0%}"
