"""``sql_query``: one read-only DuckDB SELECT over the workspace tables."""

from __future__ import annotations

import re

import pandas as pd
from pydantic import BaseModel, Field
from sqlglot import exp

from tools import formats
from tools.base import RetryableToolError, Table, Tool, ToolError, ToolResult, frame_facts
from tools.charts import auto_chart
from tools.metric_sql import TableContext
from tools.names import closest
from tools.periods import partial_rows
from tools.roles import Roles
from tools.sql_cancelled import leave_out_cancelled
from tools.sql_period import period_problem, unstated_period_problem, whole_last_days
from tools.sql_repair import drop_impossible_ordinals, respell_columns, retarget_single_table
from tools.sql_shape import (
    count_listed,
    drop_unlabelled_grouping,
    one_figure_problem,
    rank_values_only,
    set_stated_limit,
    show_group_labels,
)
from tools.sql_values import respell_values, unnamed_values_problem
from tools.sqlguard import check_sql

# A question about cancelled, refunded or returned orders decides about statuses itself.
_CANCELLING_WORDS = re.compile(r"\b(?:cancel|refund|void|return|reject)\w*", re.IGNORECASE)
_MISSING_COLUMN = re.compile(r'Referenced column "?([^"\s]+)"? not found', re.IGNORECASE)
_MISSING_IN_TABLE = re.compile(r'Table "([^"]+)" does not have a column named "([^"]+)"', re.IGNORECASE)


class SqlArgs(BaseModel):
    sql: str = Field(
        description="One DuckDB SELECT (or WITH ... SELECT) statement over the workspace tables."
    )


class SqlQuery(Tool):
    name = "sql_query"
    description = (
        "Run one read-only DuckDB SELECT over the workspace tables, for questions the metric layer "
        "cannot express."
    )
    Args = SqlArgs

    def refine_args(self, args: dict, reading, follow_up: bool = False) -> dict:
        """The SQL made to agree with what the question states (``reading``, agent.question): the table it
        names, the values it names (no others), the top-N it asks for, the labels of its groups, one figure
        when it asks for one."""
        sql = str(args.get("sql", ""))
        try:
            tree = check_sql(sql, self.ws.tables())
        except RetryableToolError:
            return args  # the tool's own error says what is wrong with it
        if not follow_up:
            self._check_table(tree, reading)
            question = getattr(reading, "question", "")
            named = [(v.table, v.column) for v in getattr(reading, "values", [])]
            problem = unnamed_values_problem(tree, self.ws, question, named) if question else None
            if problem:
                raise RetryableToolError(problem)
        tree, changes = self._shape(tree, reading)
        changes += self._agree_on_period(tree, reading)
        if not _CANCELLING_WORDS.search(getattr(reading, "question", "")):
            changes += leave_out_cancelled(tree, self._roles_of)
        return {**args, "sql": tree.sql(dialect="duckdb")} if changes else args

    def _check_table(self, tree: exp.Expression, reading) -> None:
        """SQL over another table than the question's is refused with the fix: another than a table the
        question names ("how many rows has the hillstrom_email table"), or demo tables alone when the
        question is about the person's own data ("revenue since July 2025" after loading a shop's export
        is not asked of cdnow_transactions, however alike its columns)."""
        # Only a table the question names settles it among the workspace's own tables: the current sales
        # table does not ("how many households redeemed a coupon" is about another demo table), nor does a
        # period (several tables may hold it; the largest is only a guess).
        table = getattr(reading, "table", None)
        if not table:
            return
        real = {t.lower(): t for t in self.ws.tables()}
        read = {real[t.name.lower()] for t in tree.find_all(exp.Table) if t.name.lower() in real}
        pointed = {
            table,
            *getattr(reading, "named_tables", []),
            *(v.table for v in getattr(reading, "values", [])),
        }
        if not read or read & pointed:
            return
        if getattr(reading, "table_why", "") == "named":
            raise RetryableToolError(
                f"The question is about table {table}, but the SQL reads {', '.join(sorted(read))}. "
                f"Query {table} (its columns are in the schema)."
            )
        if not self.ws.is_demo(table) and all(self.ws.is_demo(t) for t in read):
            columns = ", ".join(c for c, _ in self.ws.columns(table))
            raise RetryableToolError(
                f"The question is about {table}, the person's own data, but the SQL reads the demo data "
                f"({', '.join(sorted(read))}). Query {table}; its columns are {columns}."
            )

    def _shape(self, tree: exp.Expression, reading) -> tuple[exp.Expression, list[str]]:
        """Change what has one meaning (the stated N as LIMIT, the group labels shown, a list of different
        things counted where "how many" asks for their number); refuse other lists and breakdowns where
        the question asks for one number. Returns the query and its changes."""
        noun = getattr(reading, "counted", None)
        counted = count_listed(tree, noun) if noun else None
        # "how many households redeemed" grouped by household counts the groups (below); other groups no
        # one can name are the one figure over all rows, where the question asks for no rows
        if not (counted is not None or getattr(reading, "rows", True) or getattr(reading, "groupings", None)):
            ungrouped = drop_unlabelled_grouping(tree)
            if ungrouped:
                return tree, [ungrouped]
        if getattr(reading, "one_figure", False):
            problem = one_figure_problem(tree, lambda: self._count_rows(tree))
            if problem and counted is not None:
                return counted, [f"counted the {noun} it lists"]
            if problem:
                raise RetryableToolError(problem)
        changes = show_group_labels(tree) if getattr(reading, "groupings", None) else []
        changes += [
            c for c in (set_stated_limit(tree, getattr(reading, "top", None)), rank_values_only(tree)) if c
        ]
        return tree, changes

    def _agree_on_period(self, tree: exp.Expression, reading) -> list[str]:
        """Refuse date conditions that do not cover the period the question states (or that state one
        it does not); make a timestamp range's last day whole. Returns the changes."""
        typed = self._column_types(tree)
        dated = {c.lower(): c for c, kind in typed if kind.startswith(("DATE", "TIMESTAMP"))}
        if not dated or not hasattr(reading, "resolved_period"):
            return []
        period = reading.resolved_period(self.ws) if reading.period else None
        if reading.period is None and not (reading.names_time or reading.continues):
            problem = unstated_period_problem(tree, dated)
            if problem:
                raise RetryableToolError(problem)
        if period is None or period.relative:
            return []  # a relative period counts from the sales table's end, which this table may not share
        stamps = {c.lower(): c for c, kind in typed if kind.startswith("TIMESTAMP")}
        changes = whole_last_days(tree, period, stamps)
        problem = period_problem(tree, period, dated)
        if problem:
            raise RetryableToolError(problem)
        return changes

    def _role_columns(self, table: str) -> dict[str, str]:
        """Role -> column of ``table`` (none for a table without roles)."""
        roles = self._roles_of(table)
        return {r: c for r, c in roles.columns.items() if c} if roles else {}

    def _roles_of(self, table: str) -> Roles | None:
        try:
            return self.ws.roles(table) if self.ws.has_table(table) else None
        except ToolError:  # a broken roles.yaml is reported where roles are the point
            return None

    def _column_types(self, tree: exp.Expression) -> list[tuple[str, str]]:
        """(column, upper-case type) of the tables the query reads, in the tables' order."""
        read = dict.fromkeys(t.name for t in tree.find_all(exp.Table) if self.ws.has_table(t.name))
        return [(c, kind.upper()) for t in read for c, kind in self.ws.columns(t)]

    def _count_rows(self, tree: exp.Expression) -> int:
        """The number of rows a checked query returns (0 when it fails: running it will say why)."""
        try:
            df = self.ws.query(f"SELECT count(*) AS n FROM ({tree.sql(dialect='duckdb')}) AS q")
        except ToolError:
            return 0
        return int(df.iloc[0, 0])

    def _partial_rows(self, read: list[str], df: pd.DataFrame) -> dict[int, str]:
        """A time series over one dated table: the rows of buckets the data covers only in part."""
        grain = _time_series_grain(df)
        tables = [t for t in dict.fromkeys(read) if self.ws.has_table(t)]
        if grain is None or len(tables) != 1:
            return {}
        starts = df[df.columns[0]]
        return partial_rows(starts, TableContext(self.ws, tables[0]).partial_periods(starts, grain))

    def run(self, args: SqlArgs) -> ToolResult:
        sql = args.sql.strip().rstrip(";").strip()
        tree = check_sql(sql, self.ws.tables())
        changes = [f"removed {term}" for term in drop_impossible_ordinals(tree)]
        moved = retarget_single_table(tree, self.ws.columns_by_table)
        if moved:
            changes.append(f"read {moved[1]} instead of {moved[0]}, the one table with those columns")
        respelt = respell_columns(tree, self.ws.columns_by_table, self._role_columns)
        respelt += respell_values(tree, self.ws)
        changes += [f"wrote {note}" for note in respelt]
        if changes:
            sql = tree.sql(dialect="duckdb")
        try:
            df = self.ws.query(sql, max_rows=self.ws.max_rows)
        except RetryableToolError as e:
            raise RetryableToolError(self._explain(str(e), tree)) from None
        truncated = bool(df.attrs.get("truncated"))
        read = _tables_read(tree)
        notes = self._partial_rows(read, df)
        return ToolResult(
            text=preview_text(df, truncated, self.ws.max_rows) + _changes_note(changes),
            tables=[Table("result", df, currency=self.ws.currency_of(read), notes=notes)],
            chart=auto_chart(df, partial=notes),
            facts=frame_facts(df, source=f"sql: {sql}") if len(df) <= 50 else [],
            sql=[sql],
        )

    def _explain(self, message: str, tree: exp.Expression) -> str:
        """Add the closest real column to DuckDB's unknown-column error: one of the tables the query reads
        first (with their columns), else one of another table, naming the tables that have it.

        The table matters: the model often names a column of a table its FROM clause does not join, or one
        that only another table has ("product_id" over a table whose column is "product"), or puts a joined
        table's column after the other table's alias (``T1.name`` where T2 has it).
        """
        by_table = self.ws.columns_by_table()
        owners: dict[str, list[str]] = {}
        for table, columns in by_table.items():
            for column in columns:
                owners.setdefault(column, []).append(table)
        if aliased := _MISSING_IN_TABLE.search(message):
            return _explain_alias(message.splitlines()[0], aliased[1], aliased[2], tree, by_table, owners)
        match = _MISSING_COLUMN.search(message)
        if not match:
            return message
        first, missing = message.splitlines()[0], match.group(1)
        exact = next((c for c in owners if c.lower() == missing.lower()), None)
        read = [t for t in dict.fromkeys(_tables_read(tree)) if t in by_table]
        here = closest(missing, sorted({c for t in read for c in by_table[t]}))
        if here:
            listing = "; ".join(f"{t} has {', '.join(by_table[t][:30])}" for t in read)
            elsewhere = f" {exact} is a column of {', '.join(owners[exact])}." if exact else ""
            return f"{first} Did you mean {here}? ({listing}.){elsewhere}"
        # the columns the query can use come first: pointed only at another table, the model joins it
        # whether or not the question is about it
        parts = [first, *(f"{t} has {', '.join(by_table[t][:30])}." for t in read)]
        hint = exact or closest(missing, sorted(owners))
        if hint:
            parts.append(f"Did you mean {hint} (a column of {', '.join(owners[hint])})?")
        return " ".join(parts)


def _explain_alias(
    first: str, alias: str, missing: str, tree: exp.Expression, by_table: dict, owners: dict
) -> str:
    """DuckDB's "Table "T1" does not have a column named ..." with the table behind the alias, its
    columns, and the tables of the query that have the column under their own alias."""
    aliases = {(t.alias or t.name).lower(): t for t in tree.find_all(exp.Table)}
    table = aliases.get(alias.lower())
    if table is None or table.name not in by_table:
        return first
    parts = [f"{first} {alias} is {table.name}, which has {', '.join(by_table[table.name][:30])}."]
    exact = next((c for c in owners if c.lower() == missing.lower()), None)
    joined = [t for t in aliases.values() if exact and t.name in owners[exact]]
    if joined:
        parts.append(" ".join(f"{t.name} has {exact}: write {t.alias or t.name}.{exact}." for t in joined))
    elif exact:
        parts.append(f"{exact} is a column of {', '.join(owners[exact])}, which the query does not join.")
    return " ".join(parts)


def _changes_note(changes: list[str]) -> str:
    return f"\n(Changed so that it runs: {'; '.join(changes)}.)" if changes else ""


def preview_text(df, truncated: bool, cap: int, rows: int = 10) -> str:
    """A compact view of a result for the model: row count and the first rows."""
    if df.empty:
        return "The query returned no rows."
    count = (
        f"more than {cap:,} rows (capped)" if truncated else f"{len(df):,} row{'s' if len(df) != 1 else ''}"
    )
    shown = df.head(rows).to_string(index=False, max_colwidth=40)
    more = f"\n... ({len(df) - rows:,} more rows)" if len(df) > rows else ""
    return f"{count}:\n{shown}{more}"


def _time_series_grain(df: pd.DataFrame) -> str | None:
    """The grain of a result whose first column buckets time (week, month, quarter, year), else None."""
    if df.empty or not pd.api.types.is_datetime64_any_dtype(df[df.columns[0]]):
        return None
    grain = formats.grain_of(df[df.columns[0]], str(df.columns[0]))
    return grain if grain in ("week", "month", "quarter", "year") else None


def _tables_read(tree: exp.Expression) -> list[str]:
    """The tables a checked statement reads (a CTE's name among them names no table, and no currency)."""
    return [t.name for t in tree.find_all(exp.Table)]
