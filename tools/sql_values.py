"""Conditions on stored values the question never names: the model's invention, refused with the fix.

A small model fills a WHERE clause from what it has seen: "our total turnover across the whole export"
was written with ``Country = 'Germany' AND Status = 'Completed'``, a silently narrower query. A condition
``column = 'value'`` (or ``IN``) whose value is a stored value of that column (the value index) stands only
when the question names it: a word of the value in the question ("Gold tier" for 'Gold', "earbuds" for
'Wireless Earbuds Pro'), another name of it ("DE" for 'Germany'), or a value of that column the question
names exactly (the model may spell it differently), or a country's people ("Dutch customers"). Flags and
codes of one or two characters ('yes', 'F', '1') are left alone: "high definition" or "female" names them in
words no index can match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlglot import exp

from tools.names import text_words
from tools.roles import normalise as squash
from tools.values import ColumnValues, adjectives, normalise, other_names, value_columns
from tools.workspace import Workspace, quote_ident

_WORD = re.compile(r"[\w.&-]+")


def unnamed_values_problem(
    tree: exp.Expression, ws: Workspace, question: str, named: Iterable[tuple[str, str]]
) -> str | None:
    """Why the SQL's conditions on stored values go beyond the question, or None when they do not.

    Args:
        named: (table, column) of the stored values the question names exactly.
    """
    tables = {t.name.lower() for t in tree.find_all(exp.Table)}
    vocabularies = {
        cv.column.lower(): cv for t in ws.tables() if t.lower() in tables for cv in value_columns(ws, t)
    }
    said = {column.lower() for _, column in named}
    words = set(text_words(question))
    # the question's words apart from punctuation ("DE?", "Germany."), where a value's names are looked for
    low = " " + " ".join(w.rstrip(".") for w in _WORD.findall(normalise(question))) + " "
    invented = []
    for column, value in _compared_values(tree):
        cv = vocabularies.get(column.lower())
        if cv is None or column.lower() in said or _a_code(value) or not _stored(cv, value):
            continue
        names = other_names(value) | adjectives().get(normalise(value), frozenset())
        if _shares_a_word(text_words(value), words) or any(f" {n.rstrip('.')} " in low for n in names):
            continue
        invented.append(f"{column} = '{value}'")
    if not invented:
        return None
    return (
        f"The question does not name {' or '.join(invented)}; leave out conditions on values it does not "
        "name (every row the question is about counts)."
    )


def respell_values(tree: exp.Expression, ws: Workspace) -> list[str]:
    """Give, in place, a compared text that no row holds the one stored value written with other case or
    punctuation: "order #2500" written ``Name = '2500'`` (or ``= 2500``) means '#2500', "sku ty4745"
    means 'TY-4745'. Only a text column is respelled, and only to a value that is the one such spelling.

    Returns:
        One note per respelled value, e.g. "'2500' -> '#2500'".
    """
    tables = {(t.alias or t.name).lower(): t.name for t in tree.find_all(exp.Table) if ws.has_table(t.name)}
    types = {t: {c.lower(): (c, k.upper()) for c, k in ws.columns(t)} for t in dict.fromkeys(tables.values())}
    notes = []
    for column, literal in _compared_literals(tree):
        owners = (
            ([tables[column.table.lower()]] if column.table.lower() in tables else [])
            if column.table
            else [t for t, cols in types.items() if column.name.lower() in cols]
        )
        if len(owners) != 1 or column.name.lower() not in types[owners[0]]:
            continue
        name, kind = types[owners[0]][column.name.lower()]
        if kind != "VARCHAR":
            continue
        spelling = _one_spelling(ws, owners[0], name, literal.name)
        if spelling is not None:
            literal.replace(exp.Literal.string(spelling))
            notes.append(f"'{literal.name}' -> '{spelling}'")
    return notes


def _one_spelling(ws: Workspace, table: str, column: str, text: str) -> str | None:
    """The one value of the column equal to ``text`` but for case and punctuation, when no row holds
    ``text`` itself."""
    squashed = squash(text)
    if not squashed:
        return None
    q, t = quote_ident(column), quote_ident(table)
    if not ws.query(f"SELECT 1 AS hit FROM {t} WHERE CAST({q} AS VARCHAR) = ? LIMIT 1", [text]).empty:
        return None
    found = ws.query(
        f"SELECT DISTINCT CAST({q} AS VARCHAR) AS v FROM {t} "
        f"WHERE regexp_replace(lower(CAST({q} AS VARCHAR)), '[^0-9a-z]', '', 'g') = ? LIMIT 2",
        [squashed],
    )["v"].tolist()
    return found[0] if len(found) == 1 else None


def _compared_literals(tree: exp.Expression) -> list[tuple[exp.Column, exp.Literal]]:
    """(column, literal) of each ``column = literal`` and ``column IN (literal, ...)``, numbers too."""
    out = []
    for node in tree.find_all(exp.EQ, exp.In):
        column = node.this if isinstance(node.this, exp.Column) else node.expression
        if not isinstance(column, exp.Column):
            continue
        literals = (
            node.expressions
            if isinstance(node, exp.In)
            else [node.expression if column is node.this else node.this]
        )
        out += [(column, lit) for lit in literals if isinstance(lit, exp.Literal)]
    return out


def _compared_values(tree: exp.Expression) -> list[tuple[str, str]]:
    """(column, text) of each ``column = 'text'`` and ``column IN ('text', ...)`` in the query."""
    return [(column.name, lit.name) for column, lit in _compared_literals(tree) if lit.is_string]


def _shares_a_word(value_words: Iterable[str], question_words: set[str]) -> bool:
    """A word of the value in the question, or one word the start of the other ("African" and 'Africa',
    "German" and 'Germany')."""
    return any(
        w == q or (min(len(w), len(q)) >= 4 and (w.startswith(q) or q.startswith(w)))
        for w in value_words
        for q in question_words
    )


def _a_code(value: str) -> bool:
    """A flag or a code of one or two characters ('yes', 'F', '1'): a question names it by its column's
    words ("high definition TV", "female"), which no index matches."""
    return len(value.strip()) <= 2 or normalise(value) in ("yes", "no", "true", "false")


def _stored(cv: ColumnValues, value: str) -> bool:
    return normalise(value) in cv.by_key
