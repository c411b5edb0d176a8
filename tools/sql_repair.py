"""Three kinds of SQL that can never run as written are repaired, not sent back to the model.

Small models copy the "GROUP BY 1 ORDER BY 2 DESC" shape of grouped queries onto single totals:
``SELECT count(*) AS rows FROM t GROUP BY 1 ORDER BY 2 DESC``. DuckDB refuses both terms (a group on an
aggregate; a sort on a column that does not exist), and the model tends to repeat the shape on every
retry. Neither term can change a valid result, so dropping them keeps what the query asks for. And a
one-table query naming columns of another table is pointed at the only table that has them all. And a
column written in the model's own style (``life_expectancy``) gets the one spelling the table has.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from tools.roles import normalise as squash


def drop_impossible_ordinals(tree: exp.Expression) -> list[str]:
    """Remove, in place, ordinals that group by an aggregate or point past the select list.

    Returns:
        One note per removed term, e.g. "GROUP BY 1 (an aggregate)".
    """
    notes: list[str] = []
    for select in tree.find_all(exp.Select):
        columns = select.expressions
        if any(isinstance(c, exp.Star) for c in columns):
            continue  # the width of * is unknown here
        group = select.args.get("group")
        for term in list(group.expressions) if group else []:
            position = _ordinal(term)
            if position is None:
                continue
            if position > len(columns):
                notes.append(f"GROUP BY {position} (there is no column {position})")
            elif aggregates_here(columns[position - 1], select):
                notes.append(f"GROUP BY {position} (an aggregate)")
            else:
                continue
            term.pop()
        if group and not group.expressions:
            group.pop()
        order = select.args.get("order")
        for ordered in list(order.expressions) if order else []:
            position = _ordinal(ordered.this)
            if position is not None and position > len(columns):
                notes.append(f"ORDER BY {position} (there is no column {position})")
                ordered.pop()
        if order and not order.expressions:
            order.pop()
    return notes


def aggregates_here(column: exp.Expression, select: exp.Select) -> bool:
    """Whether ``column`` aggregates at this level (not inside a subquery of its own)."""
    return any(agg.find_ancestor(exp.Select) is select for agg in column.find_all(exp.AggFunc))


def _ordinal(term: exp.Expression) -> int | None:
    if isinstance(term, exp.Literal) and term.is_int and int(term.name) >= 1:
        return int(term.name)
    return None


def retarget_single_table(
    tree: exp.Expression, columns_by_table: Callable[[], dict[str, list[str]]]
) -> tuple[str, str] | None:
    """Point a one-table query at the only table that has every column it names, in place.

    The model often reads the right columns from the wrong table ("campaign_type" from cj_campaigns, when
    only cj_campaign_descriptions has it) and repeats that on every retry. With one table and no joins,
    subqueries or CTEs, the table is unambiguous when exactly one table has all the columns.

    Args:
        columns_by_table: gives table name -> its column names; called only for a one-table query.

    Returns:
        (old table, new table) when the query was changed, else None.
    """
    tables = list(tree.find_all(exp.Table))
    if len(tables) != 1 or len(list(tree.find_all(exp.Select))) != 1:
        return None
    table = tables[0]
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias)}
    named = {c.name.lower() for c in tree.find_all(exp.Column) if c.name} - aliases
    columns = {name: {c.lower() for c in cols} for name, cols in columns_by_table().items()}
    current = next((name for name in columns if name.lower() == table.name.lower()), None)
    if current is None or named <= columns[current]:
        return None
    fitting = [name for name, cols in columns.items() if named <= cols]
    if len(fitting) != 1:
        return None
    table.set("this", exp.to_identifier(fitting[0]))
    return current, fitting[0]


def respell_columns(
    tree: exp.Expression,
    columns_by_table: Callable[[], dict[str, list[str]]],
    roles_of: Callable[[str], dict[str, str]] = lambda table: {},
) -> list[str]:
    """Give, in place, a column the query spells in another style the one spelling the tables have.

    Small models write names in their own style: ``life_expectancy`` for ``LifeExpectancy``,
    ``Government_form`` for ``GovernmentForm``, or the role a column plays for its name (``quantity`` for
    ``Qty``, ``order_id`` for ``order_no``: the names of every worked example). Compared without case and
    separators, such a name meets exactly one column of the tables read (of the aliased table, when it is
    qualified), by its own name or else by its role; a name that is a real column or an alias the query
    defines is left alone.

    Args:
        roles_of: table name -> {role: column} of the roles its columns play (tools.roles).

    Returns:
        One note per respelled name, e.g. "life_expectancy -> LifeExpectancy".
    """
    schema = columns_by_table()
    stored = {t.lower(): t for t in schema}
    by_table = {t.lower(): cols for t, cols in schema.items()}
    tables = {(t.alias or t.name).lower(): t.name.lower() for t in tree.find_all(exp.Table)}
    read = [by_table[t] for t in dict.fromkeys(tables.values()) if t in by_table]
    real = {c.lower() for cols in read for c in cols}
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias)}
    notes: dict[str, str] = {}
    for column in tree.find_all(exp.Column):
        name = column.name
        if not name or name.lower() in real or name.lower() in aliases:
            continue
        if column.table and column.table.lower() not in tables:
            continue  # a subquery's or CTE's column
        owner = tables[column.table.lower()] if column.table else None
        candidates = by_table.get(owner, []) if owner else [c for cols in read for c in cols]
        same = {c for c in candidates if squash(c) == squash(name)}
        if not same:  # the role it plays (roles read only now: most queries name real columns)
            owners = [owner] if owner else [t for t in dict.fromkeys(tables.values()) if t in by_table]
            by_role = ({squash(r): c for r, c in roles_of(stored[t]).items()} for t in owners if t in stored)
            same = {played[squash(name)] for played in by_role if squash(name) in played}
        if len(same) == 1:
            spelling = same.pop()
            column.set("this", exp.to_identifier(spelling))
            notes[name] = f"{name} -> {spelling}"
    return list(notes.values())
