"""SQL the model writes over a sales table leaves cancelled orders out of its sums, as the metric layer does.

Where a status column marks orders that did not stand (refunded, voided), their lines are positive: a
``sum(quantity * price)`` that ignores the status counts money the shop never kept, and the answer
disagrees with ``metric_query`` on the same question. (Cancellation lines that are negative, as Online
Retail's 'C' invoices, net out by themselves and need nothing.) A query that names the status column
decides about statuses itself and is left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp, parse_one

from tools.roles import Roles, status_condition
from tools.workspace import quote_ident


def leave_out_cancelled(tree: exp.Expression, roles_of: Callable[[str], Roles | None]) -> list[str]:
    """Add, in place, ``NOT (status IN cancelling values)`` to each SELECT that reads such a table and
    sums (or averages, or counts the orders of) it, itself or in a query it is nested in.

    Args:
        roles_of: table name -> its roles, or None for a table without them.

    Returns:
        One note per table changed, e.g. "left out orders whose financial_status is refunded or voided".
    """
    named = {c.name.lower() for c in tree.find_all(exp.Column)}
    notes: dict[str, str] = {}
    for select in list(tree.find_all(exp.Select)):
        for table in _tables_of(select):
            roles = roles_of(table.name)
            if roles is None or roles.cancel_status is None:
                continue
            column, values = roles.cancel_status
            if column.lower() in named or not any(_totals_here(s, roles) for s in _enclosing(select)):
                continue
            qualified = f"{quote_ident(table.alias_or_name)}.{quote_ident(column)}"
            select.where(exp.not_(parse_one(status_condition(qualified, values), read="duckdb")), copy=False)
            notes[table.name] = f"left out orders whose {column} is {' or '.join(values)}"
    return list(notes.values())


def _tables_of(select: exp.Select) -> list[exp.Table]:
    """The tables this SELECT reads itself (its FROM and JOINs, not its subqueries')."""
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    return [s.this for s in sources if s is not None and isinstance(s.this, exp.Table)]


def _enclosing(select: exp.Select) -> list[exp.Select]:
    """The SELECT and those it is nested in: a derived table's lines feed its outer query's sums."""
    chain = [select]
    while (outer := chain[-1].find_ancestor(exp.Select)) is not None:
        chain.append(outer)
    return chain


def _totals_here(select: exp.Select, roles: Roles) -> bool:
    """A sum or average at this level, or a count of the table's orders (what the metrics leave
    cancellations out of; a count of lines or of customers is not)."""
    order = (roles["order_id"] or "").lower()
    for agg in select.find_all(exp.Sum, exp.Avg, exp.Count):
        if agg.find_ancestor(exp.Select) is not select:
            continue
        if isinstance(agg, exp.Sum | exp.Avg):
            return True
        if order and any(c.name.lower() == order for c in agg.find_all(exp.Column)):
            return True
    return False
