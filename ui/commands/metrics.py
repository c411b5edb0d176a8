"""`martmind metric`: the semantic layer from the command line, no LLM involved."""

from __future__ import annotations

import argparse
import re

from tools.metric_sql import TIME_GRAINS
from tools.workspace import Workspace
from ui.output import CommandError, add_command

# "Country=Germany", "Quantity>=10", "Country in Germany,France", "Description contains mug", "Price between 1 and 5"
_WHERE = re.compile(
    r"^\s*(.+?)\s*(>=|<=|!=|<>|=|>|<|~|\s+not\s+in\s+|\s+in\s+|\s+contains\s+|\s+between\s+)\s*(.+?)\s*$",
    re.IGNORECASE,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "metric", run_metric, "compute retail metrics by dimensions with filters (semantic layer)"
    )
    p.add_argument(
        "metrics",
        nargs="+",
        metavar="NAME",
        help="revenue, orders, customers, units, aov, units_per_order, cancellation_rate, repeat_customer_rate, ...",
    )
    p.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="DIM",
        help="group by: country, product, stock_code, customer, month, weekday, hour or a column",
    )
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COND",
        help='a filter, e.g. "Country=Germany", "Quantity>10", "Country in France,Germany", '
        '"Description contains mug" (repeatable)',
    )
    p.add_argument(
        "--during", metavar="RANGE", help='date range, e.g. 2011-Q3, 2011-05, "last 3 months of the data"'
    )
    p.add_argument("--grain", choices=TIME_GRAINS, help="time grain for a trend")
    p.add_argument("--top", type=int, metavar="N", help="keep the first N rows")
    p.add_argument("--sort-by", metavar="METRIC", help="metric to sort by (default: the first)")
    p.add_argument("--sort", choices=("desc", "asc"), help="sort direction")
    p.add_argument(
        "--share",
        action="store_true",
        help="also show each figure as a share of the date range's total without the filters and groupings",
    )
    p.add_argument(
        "--compare-to",
        metavar="RANGE",
        help="an earlier date range to compare --during with: each figure for both and the change in percent",
    )
    p.add_argument("--table", help="sales table (default: the current sales table)")


def parse_where(text: str) -> dict:
    """One --where condition as a metric_query filter."""
    match = _WHERE.match(text)
    if not match:
        raise CommandError(
            f'Cannot read the filter {text!r}; write it like "Country=Germany" or "Quantity>10".'
        )
    column, op, value = match[1].strip(), " ".join(match[2].lower().split()), match[3].strip()
    op = {"<>": "!=", "~": "contains"}.get(op, op)
    if op in ("in", "not in"):
        return {"column": column, "op": op, "values": [_unquote(v) for v in value.strip("()").split(",")]}
    if op == "between":
        parts = re.split(r"\s+and\s+|\.\.", value, flags=re.IGNORECASE)
        return {"column": column, "op": op, "values": [_unquote(p) for p in parts]}
    return {"column": column, "op": op, "value": _unquote(value)}


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text


def run_metric(args: argparse.Namespace):
    from tools.metrics import MetricQuery

    by = [d.strip() for item in args.by for d in item.split(",") if d.strip()]
    return MetricQuery(Workspace(args.home))(
        metrics=args.metrics,
        by=by,
        filters=[parse_where(w) for w in args.where],
        date_range=args.during,
        grain=args.grain,
        top=args.top,
        sort_by=args.sort_by,
        sort=args.sort,
        share=args.share,
        compare_to=args.compare_to,
        table=args.table,
    )
