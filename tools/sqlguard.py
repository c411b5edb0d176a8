"""The parse-level half of the SQL safety model (DESIGN.md "Safety model").

One statement, SELECT or WITH ... SELECT only, reading only workspace tables and CTEs, calling no function
that reads files, URLs or runs SQL text. The engine-level half is the workspace's read-only reader with
external access disabled: each half blocks an attack on its own.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp

from tools.base import RetryableToolError, ToolError

# sqlglot warns on stderr when it falls back to a raw Command (LOAD, VACUUM...); the guard refuses those
# itself with one sentence, so the warning is only noise beside it.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class UnsafeSQLError(ToolError):
    """The statement is refused for safety; not retryable by rewording the same intent."""


# Table functions a query may use in FROM; everything else that looks like a table function is refused.
ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}

# Scalar or table functions that read files/URLs, run SQL text, touch settings or the environment.
BLOCKED_FUNCTIONS = {
    "query",
    "query_table",
    "getenv",
    "current_setting",
    "read_text",
    "read_blob",
    "glob",
    "sniff_csv",
    "read_csv",
    "read_csv_auto",
    "read_parquet",
    "parquet_scan",
    "parquet_metadata",
    "parquet_schema",
    "read_json",
    "read_json_auto",
    "read_ndjson",
    "read_ndjson_auto",
    "read_json_objects",
    "read_xlsx",
    "sqlite_scan",
    "sqlite_attach",
    "postgres_scan",
    "postgres_attach",
    "mysql_scan",
    "iceberg_scan",
    "delta_scan",
    "st_read",
    "load_aws_credentials",
    "which_secret",
    "duckdb_secrets",
    "install_extension",
    "load_extension",
    "http_get",
    "http_post",
    "system",
    "shell",
}

_STATEMENT_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.Into,
    exp.Merge,
    exp.TruncateTable,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Cache,
    exp.Uncache,
    exp.LoadData,
)
# Statement kinds only some sqlglot versions model as their own node.
_STATEMENT_NODES += tuple(
    getattr(exp, name)
    for name in ("Attach", "Detach", "Install", "Load", "Export", "Summarize", "Kill", "Grant", "Revoke")
    if hasattr(exp, name)
)


def check_sql(sql: str, known_tables: list[str]) -> exp.Expression:
    """Parse ``sql`` and return its tree if it is one safe SELECT, else raise.

    Raises:
        UnsafeSQLError: writes, DDL, settings, file/URL access, several statements.
        RetryableToolError: syntax errors and unknown tables (the model can fix those).
    """
    if not sql or not sql.strip():
        raise RetryableToolError("The SQL is empty; write one SELECT statement.")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as e:
        keyword = first_keyword(sql)
        if (
            keyword in _STATEMENT_KEYWORDS
        ):  # e.g. EXPORT DATABASE, which sqlglot cannot parse: refuse, no retry
            raise UnsafeSQLError(f"Only SELECT queries are allowed, not {keyword.upper()}.") from None
        first = e.errors[0]["description"] if e.errors else str(e)
        raise RetryableToolError(f"SQL syntax error: {first}") from None
    if len(statements) != 1:
        raise UnsafeSQLError(f"Exactly one SQL statement is allowed; got {len(statements)}.")
    tree = statements[0]
    if not isinstance(tree, (exp.Select, exp.SetOperation, exp.Pivot, exp.Subquery, exp.Values)):
        keyword = first_keyword(sql).upper() or tree.key.upper()
        raise UnsafeSQLError(f"Only SELECT queries are allowed, not {keyword}.")
    for node in tree.walk():
        if isinstance(node, _STATEMENT_NODES):
            raise UnsafeSQLError(f"Only SELECT queries are allowed; {node.key.upper()} is refused.")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name in BLOCKED_FUNCTIONS or name.startswith(("read_", "parquet_", "sqlite_", "postgres_")):
                raise UnsafeSQLError(
                    f"The function {name}() is not allowed: queries may not read files, URLs or settings."
                )
    _check_tables(tree, known_tables)
    return tree


# First words of statements that are not queries (a typo like SELEC stays a retryable syntax error).
_STATEMENT_KEYWORDS = {
    "insert",
    "update",
    "delete",
    "create",
    "drop",
    "alter",
    "copy",
    "attach",
    "detach",
    "install",
    "load",
    "pragma",
    "set",
    "reset",
    "export",
    "import",
    "call",
    "checkpoint",
    "force",
    "vacuum",
    "use",
    "begin",
    "commit",
    "rollback",
    "abort",
    "truncate",
    "grant",
    "revoke",
    "merge",
    "prepare",
    "execute",
    "deallocate",
    "describe",
    "show",
    "summarize",
    "explain",
    "analyze",
    "comment",
    "update_extensions",
}
_LEADING_NOISE = re.compile(r"^(\s+|--[^\n]*(\n|$)|/\*.*?\*/|\()*", re.DOTALL)


def first_keyword(sql: str) -> str:
    """The statement's first word, lower case, after comments, spaces and opening parentheses."""
    rest = _LEADING_NOISE.sub("", sql, count=1)
    match = re.match(r"[A-Za-z_]+", rest)
    return match.group(0).lower() if match else ""


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


def _check_tables(tree: exp.Expression, known_tables: list[str]) -> None:
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    known = {t.lower() for t in known_tables}
    for table in tree.find_all(exp.Table):
        source = table.this
        if isinstance(source, exp.Func):  # FROM some_function(...)
            name = _function_name(source)
            if name not in ALLOWED_TABLE_FUNCTIONS:
                raise UnsafeSQLError(f"The table function {name}() is not allowed.")
            continue
        if isinstance(source, exp.Literal) or (
            isinstance(source, exp.Identifier) and _looks_like_path(source.name)
        ):
            raise UnsafeSQLError("Queries may not read files or URLs; use a workspace table.")
        if table.args.get("catalog") or (table.db and table.db.lower() not in ("main", "information_schema")):
            raise UnsafeSQLError("Queries may only use the workspace's own tables.")
        if table.db.lower() == "information_schema":
            continue
        name = table.name.lower()
        if name not in known and name not in cte_names:
            from tools.workspace import unknown_table_message

            raise RetryableToolError(unknown_table_message(table.name, known_tables))


def _looks_like_path(name: str) -> bool:
    return any(ch in name for ch in "/\\:") or name.lower().endswith(
        (".csv", ".parquet", ".json", ".txt", ".tsv", ".xlsx", ".db", ".duckdb", ".gz", ".ndjson")
    )
