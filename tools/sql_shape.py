"""The shape of a query's result made to agree with what the question states.

A small model writes SQL that computes the right figures in the wrong shape: every class ranked when the
question asks "which class has the most reviews" (no LIMIT), the 410 households listed when it asks "how
many households redeemed a coupon", or the counts per channel without the channel beside them. The
question states the shape (agent.question reads it: top-N, one figure, a grouping); these functions read
the outer SELECT and either fix what has one meaning (the stated N as its LIMIT, the group's label shown)
or say what is wrong, for the model to fix (one figure asked, several rows returned). A list of different
things where one figure is asked is counted: "how many" of them is its number of rows.
"""

from __future__ import annotations

from sqlglot import exp

from tools.names import name_words, stem
from tools.sql_repair import aggregates_here


def outer_select(tree: exp.Expression) -> exp.Select | None:
    """The SELECT whose rows are the result (None for a UNION and the like: their shape is the model's)."""
    return tree if isinstance(tree, exp.Select) else None


def aggregates(select: exp.Select) -> bool:
    """Whether the select list computes an aggregate at this level (not inside a subquery of its own)."""
    return any(aggregates_here(column, select) for column in select.expressions)


def _group_terms(select: exp.Select) -> list[exp.Expression]:
    group = select.args.get("group")
    return list(group.expressions) if group else []


def set_stated_limit(tree: exp.Expression, top: int | None) -> str | None:
    """Make a ranking's LIMIT the N the question states ("top 5", "which class ... most" = 1), in place.

    Only a ranking is cut: an outer SELECT with an ORDER BY that groups by at most one term (a limit over
    "revenue per country and month" rows would cut a table, not rank one).

    Returns:
        A note of the change, or None when nothing changed.
    """
    select = outer_select(tree)
    if top is None or select is None or not select.args.get("order") or len(_group_terms(select)) > 1:
        return None
    limit = select.args.get("limit")
    written = limit.expression if limit is not None else None
    if isinstance(written, exp.Literal) and written.is_int and int(written.name) == top:
        return None
    select.limit(top, copy=False)
    return f"LIMIT {top}, the number of rows the question asks for"


def rank_values_only(tree: exp.Expression) -> str | None:
    """Leave the rows without a value out of a ranking by one column, in place: "which discount code is
    used most" is a code, not the orders that have none (GROUP BY code, ORDER BY ... LIMIT 1 put them
    first). A breakdown without a LIMIT keeps them, as a group of their own.

    Returns:
        A note of the change, or None when nothing changed.
    """
    select = outer_select(tree)
    groups = _group_terms(select) if select is not None else []
    if select is None or len(groups) != 1 or not select.args.get("order") or not select.args.get("limit"):
        return None
    column: exp.Expression | None = groups[0]
    if isinstance(column, exp.Literal) and column.is_int:  # GROUP BY 1: the first column selected
        n = int(column.name)
        column = select.expressions[n - 1].unalias() if 0 < n <= len(select.expressions) else None
    if not isinstance(column, exp.Column):
        return None
    select.where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())), copy=False)
    return f"{column.sql()} IS NOT NULL: a ranking ranks values"


def drop_unlabelled_grouping(tree: exp.Expression) -> str | None:
    """One figure from a grouping whose groups the result cannot name, in place, for a question that asks
    for no rows (the caller knows): "what did Dutch customers spend in 2025" written with ``GROUP BY
    customer_no`` and only ``SUM(...)`` selected lists 217 sums nobody can tell apart. A ranking (LIMIT)
    or a HAVING keeps its grouping: "the biggest one customer spent" is one group's figure.

    Returns:
        A note of the change, or None when nothing changed.
    """
    select = outer_select(tree)
    groups = _group_terms(select) if select is not None else []
    if select is None or not groups or select.args.get("limit") or select.args.get("having"):
        return None
    if any(isinstance(g, exp.Literal) for g in groups):  # an ordinal: the group is in the select list
        return None
    if not all(aggregates_here(c, select) and not c.find(exp.Window) for c in select.expressions):
        return None
    select.set("group", None)
    select.set("order", None)
    return f"one figure over all the rows, not one per {', '.join(g.sql() for g in groups)} unlabelled"


def show_group_labels(tree: exp.Expression) -> list[str]:
    """Put the grouping columns a grouped query leaves out of its select list in front of it, in place.

    "Customers per channel" answered with the counts alone cannot be read: which count is which channel?

    Returns:
        The SQL of each column added.
    """
    select = outer_select(tree)
    if select is None or not aggregates(select) or any(isinstance(c, exp.Star) for c in select.expressions):
        return []
    shown = set()
    for column in select.expressions:
        shown.add(column.sql().lower())
        if isinstance(column, exp.Alias):
            shown.update({column.this.sql().lower(), column.alias.lower()})
    added = []
    for term in _group_terms(select):
        if isinstance(term, exp.Literal) or term.sql().lower() in shown:
            continue  # an ordinal points into the select list; a shown term is shown
        added.append(term.copy())
    if added:
        select.set("expressions", [*added, *select.expressions])
    return [a.sql() for a in added]


def count_listed(tree: exp.Expression, noun: str) -> exp.Expression | None:
    """The number of the ``noun`` things a query lists, where "how many <noun>" asks for it; else None.

    A list of different things (SELECT DISTINCT, a grouping without aggregates), or a grouping by the one
    column that names the noun ("how many households redeemed a coupon" answered per household_id), has
    one row per such thing: its row count is the answer.
    """
    select = outer_select(tree)
    if select is None or select.args.get("limit"):
        return None
    groups = _group_terms(select)
    if aggregates(select):
        grouped_by_noun = (
            len(groups) == 1
            and isinstance(groups[0], exp.Column)
            and stem(noun) in name_words(groups[0].name)
        )
        if not grouped_by_noun:
            return None
    elif not (select.args.get("distinct") or groups):
        return None
    listed = select.copy()
    listed.set("order", None)
    return exp.select(exp.alias_(exp.Count(this=exp.Star()), "count")).from_(listed.subquery("listed"))


def one_figure_problem(tree: exp.Expression, count_rows) -> str | None:
    """Why this query cannot answer a question that asks for one number, or None when it can.

    Args:
        count_rows: gives the number of rows the query returns (not run for an ungrouped aggregate,
            which is one row; a list or a grouping that leaves one row is still one figure).
    """
    select = outer_select(tree)
    groups = _group_terms(select) if select is not None else []
    if select is None or (aggregates(select) and not groups):
        return None
    rows = count_rows()
    if rows <= 1:
        return None
    if groups:
        by = ", ".join(g.sql() for g in groups)
        return (
            f"The question asks for one number, but this SQL returns {rows:,} rows, one per {by}. "
            "Compute the one figure over all the rows the question means (no GROUP BY)."
        )
    return (
        f"The question asks for one number, but this SQL lists {rows:,} rows. Count them in the SQL "
        "(COUNT(DISTINCT column) for different things, COUNT(*) for rows) or compute the figure asked for."
    )
