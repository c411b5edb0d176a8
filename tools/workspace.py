"""The workspace: one home directory with the DuckDB database, the Chroma index, caches and history.

Two kinds of DuckDB connection, never open at the same time in one process:
- the *reader*: read-only, external access disabled, configuration locked. Every query a tool or the model
  runs goes through it, so even SQL that slipped past the parser cannot write or read files.
- the *writer*: opened briefly for loads and saved results (``with ws.writer() as con``), then closed.
A failed write rolls back, so the previous table stays as it was.

Several processes share one home (the chat UI open beside the command line, a cron job, a notebook). DuckDB
lets many processes read a file or one write it, so neither connection is held longer than its work: the
reader closes once idle for ``READER_IDLE_S``, and a connection that meets another process's lock waits up
to ``lock_wait_s`` for it before saying who holds it and that nothing was changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tools.base import RetryableToolError, ToolError
from tools.files import write_atomic
from tools.formats import one_currency

META_TABLES = "_martmind_tables"
META_COLUMNS = "_martmind_columns"
# The information_schema condition for the tables people see (martmind's own bookkeeping is hidden).
_USER_TABLES = "table_schema = 'main' AND table_name NOT LIKE '\\_martmind%' ESCAPE '\\'"
DEMO_VERSION = "1"
SETTINGS_FILE = "settings.json"
DEFAULT_SALES_TABLE = "online_retail"

# table name -> file under tools/data (DESIGN.md "Demo tables")
DEMO_TABLES: dict[str, str] = {
    "online_retail": "online_retail.parquet",
    "clothing_reviews": "clothing_reviews.parquet",
    "hillstrom_email": "hillstrom_email.parquet",
    "cdnow_sample": "cdnow_sample_transactions.parquet",
    "cdnow_transactions": "cdnow_transactions.parquet",
    "cj_campaigns": "complete_journey/campaigns.parquet",
    "cj_campaign_descriptions": "complete_journey/campaign_descriptions.parquet",
    "cj_coupons": "complete_journey/coupons.parquet",
    "cj_coupon_redemptions": "complete_journey/coupon_redemptions.parquet",
    "cj_transactions": "complete_journey/transactions_sample.parquet",
    "cj_products": "complete_journey/products.parquet",
    "cj_demographics": "complete_journey/demographics.parquet",
    "cj_promotions": "complete_journey/promotions_sample.parquet",
}


# The demo tables' money (DESIGN.md "Demo tables"); a loaded file's is read from its amounts.
DEMO_CURRENCIES: dict[str, str] = {
    "online_retail": "GBP",
    "hillstrom_email": "USD",
    "cdnow_sample": "USD",
    "cdnow_transactions": "USD",
    **{name: "USD" for name in DEMO_TABLES if name.startswith("cj_")},
}


# Tidier types than the source files have (ids stored as floats, dates as text).
DEMO_CASTS: dict[str, dict[str, str]] = {
    "online_retail": {"Quantity": "INTEGER", "CustomerID": "INTEGER"},
    "cj_campaign_descriptions": {"start_date": "DATE", "end_date": "DATE"},
    "cj_coupon_redemptions": {"redemption_date": "DATE"},
}


def default_home() -> Path:
    return Path(os.environ.get("MARTMIND_HOME") or Path.home() / ".martmind").expanduser()


def demo_data_path(relative: str) -> Path:
    return Path(str(resources.files("tools.data").joinpath(relative)))


# An idle reader is closed this soon, so another process can write (the UI waits for questions most of the time).
READER_IDLE_S = 1.0
# How long a connection waits for another process's lock before giving up with a sentence
# ($MARTMIND_LOCK_WAIT_S overrides it: a cron job may rather wait minutes).
LOCK_WAIT_S = 20.0


class WorkspaceBusyError(ToolError):
    pass


# Errors in the query itself, which the model can fix by rewriting it.
_FIXABLE_ERRORS = (
    duckdb.ParserException,
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.NotImplementedException,
    duckdb.OutOfRangeException,
    duckdb.TypeMismatchException,
)


class Workspace:
    """A martmind home directory and its DuckDB database.

    Args:
        home: the directory (default ``$MARTMIND_HOME`` or ``~/.martmind``); created if missing.
        demo: load the demo datasets on first use (default: yes, unless ``MARTMIND_DEMO=0``).
        sql_timeout_s: queries running longer are interrupted.
        max_rows: row cap for results returned to tools and the model.
        lock_wait_s: how long to wait while another process holds the database (default LOCK_WAIT_S).
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        demo: bool | None = None,
        sql_timeout_s: float = 30.0,
        max_rows: int = 10_000,
        memory_limit: str = "8GB",
        lock_wait_s: float | None = None,
    ):
        self.home = Path(home).expanduser() if home else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_path = self.home / "martmind.duckdb"
        self.sql_timeout_s = sql_timeout_s
        self.max_rows = max_rows
        self.memory_limit = memory_limit
        self._db = _Database.for_path(self.db_path)
        self.lock_wait_s = (
            float(os.environ.get("MARTMIND_LOCK_WAIT_S", LOCK_WAIT_S)) if lock_wait_s is None else lock_wait_s
        )
        self._roles_cache: dict[str, Any] = {}
        if not self.db_path.exists() or not self._has_meta_tables():
            with self.writer() as con:
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {META_TABLES} (name VARCHAR PRIMARY KEY, source VARCHAR, "
                    "loaded_at TIMESTAMP, note VARCHAR, currency VARCHAR)"
                )
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {META_COLUMNS} (table_name VARCHAR, column_name VARCHAR, "
                    "original_name VARCHAR)"
                )
        elif not self._has_currency_column():
            self._add_currency_column()
        if demo if demo is not None else os.environ.get("MARTMIND_DEMO", "1") != "0":
            self.ensure_demo()

    def _has_currency_column(self) -> bool:
        found = self.query(
            "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
            [META_TABLES, "currency"],
        )
        return int(found["n"][0]) == 1

    def _add_currency_column(self) -> None:
        """A home made before tables had a currency: the column added, the demo tables' filled in."""
        with self.writer() as con:
            con.execute(f"ALTER TABLE {META_TABLES} ADD COLUMN IF NOT EXISTS currency VARCHAR")
            for name, currency in DEMO_CURRENCIES.items():
                con.execute(
                    f"UPDATE {META_TABLES} SET currency = ? WHERE name = ? AND source LIKE 'demo:%'",
                    [currency, name],
                )

    def _has_meta_tables(self) -> bool:
        found = self.query(
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN (?, ?)",
            [META_TABLES, META_COLUMNS],
        )
        return int(found["n"][0]) == 2

    # -- directories -------------------------------------------------------------------------------------
    def subdir(self, name: str) -> Path:
        """A folder in the home directory (chroma, models, conversations, reports), created on demand."""
        path = self.home / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- connections -------------------------------------------------------------------------------------
    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction: committed on success, rolled back on failure."""
        with self._db.lock:
            self._db.close_reader()
            con = connect_waiting(self.db_path, self.lock_wait_s, writing=True)
            try:
                con.execute("BEGIN TRANSACTION")
                yield con
                con.execute("COMMIT")
            except BaseException as e:
                with contextlib.suppress(duckdb.Error):  # after a fatal error DuckDB has rolled back itself
                    con.execute("ROLLBACK")
                if isinstance(e, duckdb.Error) and _disk_full(e):
                    raise ToolError(
                        "The disk is full, so this change was not written and nothing was changed; free "
                        f"some space on the disk that holds {self.home} and try again."
                    ) from None
                raise
            finally:
                con.close()
                self._roles_cache.clear()

    def close(self) -> None:
        with self._db.lock:
            self._db.close_reader()

    # -- reading -----------------------------------------------------------------------------------------
    def query(
        self,
        sql: str,
        params: list[Any] | None = None,
        *,
        timeout_s: float | None = None,
        max_rows: int | None = None,
    ) -> pd.DataFrame:
        """Run one statement on the read-only connection and return at most ``max_rows`` rows.

        A capped result has ``df.attrs["truncated"] = True``.

        Raises RetryableToolError for SQL errors (the model can fix those) and ToolError on timeout.
        """
        # Queries take the file's lock too: a write closes the reader, which must not pull it from under one.
        with self._db.lock:
            cursor = self._db.cursor(self.memory_limit, self.lock_wait_s)
            timeout = self.sql_timeout_s if timeout_s is None else timeout_s
            timer = threading.Timer(timeout, cursor.interrupt)
            timer.start()
            try:
                relation = cursor.sql(sql, params=params or None)
                if relation is None:  # a statement with no result
                    return pd.DataFrame()
                return relation.df() if max_rows is None else _fetch_capped(relation, max_rows)
            except duckdb.InterruptException:
                raise ToolError(
                    f"The query ran longer than {timeout:g} s and was stopped; narrow it with filters or a LIMIT."
                ) from None
            except _FIXABLE_ERRORS as e:
                if "read-only mode" in str(e) or "configuration has been locked" in str(e):
                    raise ToolError(
                        f"Not allowed: queries are read-only. ({str(e).splitlines()[0]})"
                    ) from None
                raise RetryableToolError(str(e).strip()) from None
            except duckdb.PermissionException as e:
                raise ToolError(f"Not allowed: {e}") from None
            except duckdb.Error as e:
                raise ToolError(f"The database could not run the query: {e}") from None
            finally:
                timer.cancel()
                cursor.close()
                self._db.last_use = time.monotonic()

    def tables(self) -> list[str]:
        """User-visible tables, sorted."""
        df = self.query(
            f"SELECT table_name FROM information_schema.tables WHERE {_USER_TABLES} ORDER BY table_name"
        )
        return df["table_name"].tolist()

    def columns(self, table: str) -> list[tuple[str, str]]:
        """(column name, DuckDB type) in table order; ToolError for an unknown table."""
        df = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table],
        )
        if df.empty:
            raise RetryableToolError(unknown_table_message(table, self.tables()))
        return list(df.itertuples(index=False, name=None))

    def columns_by_table(self) -> dict[str, list[str]]:
        """Every user-visible table's column names in table order, in one query."""
        df = self.query(
            f"SELECT table_name, column_name FROM information_schema.columns WHERE {_USER_TABLES} "
            "ORDER BY table_name, ordinal_position"
        )
        by_table: dict[str, list[str]] = {}
        for table, column in df.itertuples(index=False, name=None):
            by_table.setdefault(table, []).append(column)
        return by_table

    def version(self) -> str:
        """Changes whenever a table is loaded, replaced or dropped (and roles.yaml edited): a cache key."""
        rows = self.query(f"SELECT name, CAST(loaded_at AS VARCHAR) AS at FROM {META_TABLES} ORDER BY name")
        roles = self.home / "roles.yaml"
        stamp = roles.stat().st_mtime_ns if roles.exists() else 0
        return f"{self.db_path}|{stamp}|" + ";".join(f"{n}@{t}" for n, t in rows.itertuples(index=False))

    def has_table(self, table: str) -> bool:
        return table in self.tables()

    def table_info(self, table: str) -> dict[str, Any]:
        df = self.query(f"SELECT * FROM {META_TABLES} WHERE name = ?", [table])
        return df.iloc[0].to_dict() if len(df) else {}

    def is_demo(self, table: str) -> bool:
        """Whether ``table`` is one of the demo tables martmind ships (not the person's own data)."""
        return str(self.table_info(table).get("source", "")).startswith("demo:")

    def is_loaded(self, table: str) -> bool:
        """Whether ``table`` is a file the person loaded (not demo data, nor a table a tool saved)."""
        return str(self.table_info(table).get("source", "")).startswith("file:")

    def original_names(self, table: str) -> dict[str, str]:
        """Sanitised column name -> the name in the user's file, where they differ."""
        df = self.query(
            f"SELECT column_name, original_name FROM {META_COLUMNS} WHERE table_name = ?", [table]
        )
        return dict(df.itertuples(index=False, name=None))

    def frame(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A whole table (or some columns) as a DataFrame, for tools that compute in Python."""
        self.columns(table)  # clear error for an unknown table
        cols = ", ".join(quote_ident(c) for c in columns) if columns else "*"
        return self.query(f"SELECT {cols} FROM {quote_ident(table)}")

    def roles(self, table: str):
        """Column roles of a table (order id, customer id, timestamp, ...); see tools.roles."""
        from tools.roles import detect_roles

        if table not in self._roles_cache:
            self._roles_cache[table] = detect_roles(self, table)
        return self._roles_cache[table]

    def currency(self, table: str) -> str | None:
        """The currency of ``table``'s amounts (ISO code): roles.yaml's, else the one read at load, else None."""
        try:
            return self.roles(table).currency
        except ToolError:  # an unknown table or a broken roles.yaml: no currency to show
            return None

    def currency_of(self, tables: list[str]) -> str | None:
        """The one currency of the tables a result was read from (None when unknown or mixed)."""
        return one_currency(self.currency(t) for t in tables)

    # -- the current sales table ------------------------------------------------------------------------
    def sales_table(self) -> str:
        """The table sales questions are about when none is named: the one set last, else the demo's."""
        chosen = self.setting("sales_table")
        tables = self.tables()
        if isinstance(chosen, str) and chosen in tables:
            return chosen
        if DEFAULT_SALES_TABLE in tables:
            return DEFAULT_SALES_TABLE
        return next((t for t in tables if self._is_sales(t)), DEFAULT_SALES_TABLE)

    def _is_sales(self, table: str) -> bool:
        try:
            return self.roles(table).is_sales()
        except ToolError:  # a broken roles.yaml says so where roles are used, not here
            return False

    def set_sales_table(self, table: str) -> None:
        """Make ``table`` the current sales table (``martmind load`` and the UI's upload do this)."""
        self.columns(table)  # a clear error for an unknown table
        self.set_setting("sales_table", table)

    # -- settings (settings.json in the home: they outlive the process) ---------------------------------
    def setting(self, name: str, default: Any = None) -> Any:
        """A stored setting (``sales_table``, ``keep_private_data``), else ``default``."""
        return self._settings().get(name, default)

    def set_setting(self, name: str, value: Any) -> None:
        settings = {**self._settings(), name: value}
        write_atomic(self.home / SETTINGS_FILE, json.dumps(settings, indent=2))

    def _settings(self) -> dict[str, Any]:
        path = self.home / SETTINGS_FILE
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- writing -----------------------------------------------------------------------------------------
    def save_table(
        self,
        name: str,
        df: pd.DataFrame,
        *,
        source: str,
        note: str = "",
        original_names: dict[str, str] | None = None,
        currency: str | None = None,
    ) -> None:
        """Create or atomically replace a table from a DataFrame, recording where it came from and the
        currency of its amounts (an ISO code; None when unknown)."""
        self._roles_cache.pop(name, None)  # the new columns may play other roles
        with self.writer() as con:
            con.register("_incoming", df)
            con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT * FROM _incoming")
            con.unregister("_incoming")
            self._record(con, name, source, note, original_names or {}, currency)

    def load_file(self, path: str | Path, table: str | None = None, sheet: str | None = None):
        """Load a user's CSV/TSV/Parquet/Excel/JSON file as a table; see tools.loader."""
        from tools.loader import load_file

        return load_file(self, Path(path), table=table, sheet=sheet)

    def ensure_demo(self) -> None:
        """Load the demo datasets once (on first use of a new home)."""
        done = self.query(
            f"SELECT count(*) AS n FROM {META_TABLES} WHERE source = ?", [f"demo:{DEMO_VERSION}"]
        )
        if int(done["n"][0]) >= len(DEMO_TABLES):
            return
        with self.writer() as con:
            for name, relative in DEMO_TABLES.items():
                path = demo_data_path(relative)
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet(?)", [str(path)])
                for column, sql_type in DEMO_CASTS.get(name, {}).items():
                    con.execute(f"ALTER TABLE {name} ALTER COLUMN {quote_ident(column)} TYPE {sql_type}")
                self._record(con, name, f"demo:{DEMO_VERSION}", relative, {}, DEMO_CURRENCIES.get(name))

    @staticmethod
    def _record(
        con: duckdb.DuckDBPyConnection,
        name: str,
        source: str,
        note: str,
        original_names: dict[str, str],
        currency: str | None = None,
    ) -> None:
        con.execute(f"DELETE FROM {META_TABLES} WHERE name = ?", [name])
        con.execute(
            f"INSERT INTO {META_TABLES} (name, source, loaded_at, note, currency) VALUES (?, ?, ?, ?, ?)",
            [name, source, datetime.now(timezone.utc).replace(tzinfo=None), note, currency],
        )
        con.execute(f"DELETE FROM {META_COLUMNS} WHERE table_name = ?", [name])
        for column, original in original_names.items():
            if column != original:
                con.execute(f"INSERT INTO {META_COLUMNS} VALUES (?, ?, ?)", [name, column, original])


class _Database:
    """Connection state shared by every Workspace on one database file in this process.

    DuckDB refuses a second connection to a file with another configuration, so the read-only reader and
    the short-lived writer must take turns; one lock per file makes them. The reader is closed once idle
    for ``idle_s``: its shared lock on the file would otherwise keep every other process from writing.
    """

    _open: dict[Path, _Database] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: Path, idle_s: float = READER_IDLE_S):
        self.path = path
        self.idle_s = idle_s
        self.lock = threading.RLock()
        self.reader: duckdb.DuckDBPyConnection | None = None
        self.last_use = 0.0

    @classmethod
    def for_path(cls, path: Path) -> _Database:
        key = path.resolve()
        with cls._registry_lock:
            if key not in cls._open:
                cls._open[key] = cls(key)
            return cls._open[key]

    def cursor(self, memory_limit: str, wait_s: float) -> duckdb.DuckDBPyConnection:
        """A cursor on the reader, opened if needed; call with the lock held until the cursor is closed."""
        with self.lock:
            if self.reader is None:
                self.reader = self._open_reader(memory_limit, wait_s)
                threading.Thread(target=self._close_when_idle, args=(self.reader,), daemon=True).start()
            return self.reader.cursor()

    def _close_when_idle(self, reader: duckdb.DuckDBPyConnection) -> None:
        """Runs beside an open reader and closes it once no query has finished for idle_s."""
        while True:
            time.sleep(self.idle_s)
            with self.lock:  # held by a running query, so the reader is never closed under one
                if self.reader is not reader:  # closed already (a write), perhaps reopened with its own watch
                    return
                if time.monotonic() - self.last_use >= self.idle_s:
                    self.close_reader()
                    return

    def _open_reader(self, memory_limit: str, wait_s: float) -> duckdb.DuckDBPyConnection:
        config: dict[str, str | bool | int | float | list[str]] = {
            "access_mode": "READ_ONLY",
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": memory_limit,
        }
        con = connect_waiting(self.path, wait_s, writing=False, config=config)
        con.execute("SET lock_configuration = true")
        return con

    def close_reader(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None


_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def connect_waiting(
    path: Path, wait_s: float, *, writing: bool, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to the database file, waiting up to ``wait_s`` while another process holds its lock.

    Raises WorkspaceBusyError, naming the process that holds the lock, once the wait is over.
    """
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=not writing, config=config or {})
        except duckdb.Error as e:
            if "Could not set lock" not in str(e):
                raise ToolError(f"The workspace database could not be opened: {e}") from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkspaceBusyError(busy_message(str(e), wait_s, writing)) from None
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.25)


def busy_message(error: str, wait_s: float, writing: bool) -> str:
    """What to do when another process kept the workspace for the whole wait (DuckDB's own text is for
    developers: it names a lock and links to its concurrency docs)."""
    found = _HOLDER.search(error)
    holder = f" (process {found['pid']}, {Path(found['program']).name})" if found else ""
    if writing:
        return (
            f"Another martmind program{holder} kept the workspace busy for {wait_s:g} s, so this change "
            "was not made and nothing was lost. It is usually the chat UI or a command still answering; "
            "try again when it has finished."
        )
    return (
        f"Another martmind program{holder} is writing to the workspace (a load or save) and did not "
        f"finish within {wait_s:g} s; try again when it has finished."
    )


def _disk_full(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return any(sign in text for sign in ("no space left", "file too large", "disk quota", "not enough space"))


def _fetch_capped(relation: duckdb.DuckDBPyRelation, max_rows: int) -> pd.DataFrame:
    """At most max_rows rows; reads one more to tell whether the result was truncated."""
    import pyarrow as pa

    reader = relation.to_arrow_reader(min(max_rows + 1, 100_000))
    batches, count = [], 0
    for batch in reader:
        batches.append(batch)
        count += batch.num_rows
        if count > max_rows:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    df = table.slice(0, max_rows).to_pandas()
    df.attrs["truncated"] = table.num_rows > max_rows
    return df


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def unknown_table_message(table: str, known: list[str]) -> str:
    from tools.names import closest

    hint = closest(table, known)
    suggestion = f" Did you mean {hint}?" if hint else ""
    return f"Table {table!r} does not exist.{suggestion} Tables: {', '.join(known)}."
