"""The SQL safety model: every attack is refused by the parser *and* blocked by the engine on its own.

Each attack runs twice: through ``SqlQuery`` (parser + engine) and straight on ``ws.query`` (the read-only
reader with external access disabled, no parser). ``ENGINE_HARMLESS`` attacks are refused only by the
parser because on the read-only engine they do nothing dangerous (a second SELECT, reading a setting,
CHECKPOINT on a read-only file...); the engine test still checks that they change nothing.
"""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest

from tools.base import ToolError
from tools.sql import SqlQuery
from tools.sqlguard import UnsafeSQLError

BLOCKED = "engine-blocked"
HARMLESS = "engine-harmless"

# (attack, what the engine alone does with it). {dir} is a temporary folder holding x.csv, x.parquet, x.json.
ATTACKS = [
    ("DROP TABLE sales", BLOCKED),
    ("DELETE FROM sales", BLOCKED),
    ("UPDATE sales SET Quantity = 0", BLOCKED),
    ("INSERT INTO sales SELECT * FROM sales", BLOCKED),
    ("CREATE TABLE stolen AS SELECT * FROM sales", BLOCKED),
    ("CREATE OR REPLACE TABLE sales AS SELECT 1 AS x", BLOCKED),
    ("CREATE VIEW v AS SELECT 1 AS x", BLOCKED),
    ("CREATE MACRO m() AS 1", BLOCKED),
    ("CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')", BLOCKED),
    ("ALTER TABLE sales ADD COLUMN x INTEGER", BLOCKED),
    ("TRUNCATE sales", BLOCKED),
    ("COPY sales TO '{dir}/out.csv'", BLOCKED),
    ("COPY sales FROM '{dir}/x.csv'", BLOCKED),
    ("ATTACH '{dir}/other.duckdb' AS other", BLOCKED),
    ("INSTALL httpfs", BLOCKED),
    ("LOAD httpfs", BLOCKED),
    ("PRAGMA threads = 1", BLOCKED),
    ("SET enable_external_access = true", BLOCKED),
    ("RESET memory_limit", BLOCKED),
    ("EXPORT DATABASE '{dir}/dump'", BLOCKED),
    ("SELECT * FROM read_csv('{dir}/x.csv')", BLOCKED),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", BLOCKED),
    ("select * from READ_CSV(['/etc/passwd', '/etc/hosts'])", BLOCKED),
    ("SELECT content FROM read_text('/etc/passwd')", BLOCKED),
    ("SELECT * FROM read_blob('/etc/hostname')", BLOCKED),
    ("SELECT * FROM read_parquet('{dir}/x.parquet')", BLOCKED),
    ("SELECT * FROM read_json('{dir}/x.json')", BLOCKED),
    ("SELECT * FROM read_ndjson_objects('{dir}/x.json')", BLOCKED),
    ("SELECT * FROM parquet_metadata('{dir}/x.parquet')", BLOCKED),
    ("SELECT * FROM sniff_csv('{dir}/x.csv')", BLOCKED),
    ("SELECT * FROM glob('/etc/*')", BLOCKED),
    ("SELECT * FROM sqlite_scan('{dir}/x.db', 't')", BLOCKED),
    ("SELECT * FROM '{dir}/x.csv'", BLOCKED),
    ("SELECT * FROM 'x.parquet'", BLOCKED),
    ('SELECT * FROM "{dir}/x.csv"', BLOCKED),
    ("FROM read_csv('/etc/passwd')", BLOCKED),
    ("SELECT * FROM read_csv('https://example.com/x.csv')", BLOCKED),
    ("SELECT * FROM 'https://example.com/data.parquet'", BLOCKED),
    ("SELECT * FROM sales, read_text('/etc/hostname')", BLOCKED),
    ("SELECT (SELECT content FROM read_text('/etc/hostname')) AS c", BLOCKED),
    ("SELECT * FROM sales UNION ALL SELECT * FROM read_csv('/etc/passwd')", BLOCKED),
    ("SELECT * FROM sales LIMIT (SELECT count(*) FROM glob('/etc/*'))", BLOCKED),
    ("SELECT 1; DROP TABLE sales", BLOCKED),
    ("SELECT 1 /* harmless */; DELETE FROM sales", BLOCKED),
    ("SELECT 1 -- a comment\n; DROP TABLE sales", BLOCKED),
    ("SELECT * FROM sales; COPY sales TO '{dir}/o2.csv'", BLOCKED),
    ("SELECT * INTO stolen FROM sales", BLOCKED),
    ("WITH x AS (CREATE TABLE t AS SELECT 1) SELECT 1", BLOCKED),
    ("WITH d AS (DELETE FROM sales RETURNING *) SELECT * FROM d", BLOCKED),
    ("SELECT getenv('HOME') AS home", BLOCKED),
    ("SELECT * FROM duckdb_secrets()", BLOCKED),
    ("SELECT * FROM other.main.sales", BLOCKED),
    ("USE other", BLOCKED),
    ("DETACH DATABASE other", BLOCKED),
    ("DESCRIBE SELECT * FROM read_csv('/etc/passwd')", BLOCKED),
    ("SUMMARIZE SELECT * FROM read_csv('/etc/passwd')", BLOCKED),
    ("EXPLAIN ANALYZE SELECT * FROM read_csv('/etc/passwd')", BLOCKED),
    # Refused by the parser; on the read-only engine these change nothing (checked below).
    ("SELECT 1; SELECT 2", HARMLESS),  # several statements: only the parser counts them
    ("SELECT * FROM query('SELECT * FROM sales')", HARMLESS),  # runs SQL text, but read-only SQL
    ("SELECT * FROM query_table('sales')", HARMLESS),
    ("SELECT current_setting('memory_limit') AS m", HARMLESS),  # reads a setting, cannot change it
    ("SELECT * FROM duckdb_settings()", HARMLESS),
    ("CALL pragma_version()", HARMLESS),
    ("PRAGMA database_list", HARMLESS),
    ("SET VARIABLE v = 1", HARMLESS),  # a session variable, not a setting
    ("CHECKPOINT", HARMLESS),  # a no-op on a read-only database
    ("VACUUM sales", HARMLESS),
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """One workspace with the tiny sales table for the module: attacks must leave it as it is (checked)."""
    from tests.conftest import tiny_sales
    from tools.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("guard"), demo=False)
    workspace.save_table("sales", tiny_sales(), source="test")
    yield workspace
    workspace.close()


@pytest.fixture
def files(tmp_path):
    """A folder with files an attack might try to read, and nothing else."""
    folder = tmp_path / "files"
    folder.mkdir()
    pd.DataFrame({"a": [1]}).to_parquet(folder / "x.parquet")
    (folder / "x.csv").write_text("a\n1\n")
    (folder / "x.json").write_text('[{"a": 1}]')
    return folder


def _snapshot(ws):
    return ws.tables(), ws.query("SELECT * FROM sales ORDER BY ALL")


def _assert_unchanged(ws, before, files):
    tables, rows = before
    assert ws.tables() == tables
    pd.testing.assert_frame_equal(ws.query("SELECT * FROM sales ORDER BY ALL"), rows)
    assert sorted(p.name for p in files.iterdir()) == ["x.csv", "x.json", "x.parquet"]
    with pytest.raises(ToolError):  # the engine still refuses files: no attack turned external access on
        ws.query(f"SELECT * FROM read_csv('{files}/x.csv')")


def test_at_least_thirty_distinct_attacks():
    assert len({sql for sql, _ in ATTACKS}) == len(ATTACKS) >= 30


@pytest.mark.parametrize(("attack", "engine"), ATTACKS, ids=[a for a, _ in ATTACKS])
def test_attack_is_refused_by_the_guard(ws, files, attack, engine):
    sql = attack.format(dir=files)
    before = _snapshot(ws)
    with pytest.raises(UnsafeSQLError):
        SqlQuery(ws)(sql=sql)
    _assert_unchanged(ws, before, files)


@pytest.mark.parametrize(("attack", "engine"), ATTACKS, ids=[a for a, _ in ATTACKS])
def test_attack_is_blocked_by_the_engine_alone(ws, files, attack, engine):
    sql = attack.format(dir=files)
    before = _snapshot(ws)
    if engine == BLOCKED:
        with pytest.raises(ToolError):
            ws.query(sql)
    else:
        with contextlib.suppress(ToolError):  # refusing is fine too; what matters is that nothing changed
            ws.query(sql)
    _assert_unchanged(ws, before, files)


LEGITIMATE = [
    "WITH m AS (SELECT date_trunc('month', InvoiceDate) AS month, sum(Quantity * UnitPrice) AS revenue "
    "FROM sales GROUP BY 1) SELECT * FROM m ORDER BY month",
    "WITH RECURSIVE nums(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM nums WHERE n < 5) SELECT * FROM nums",
    "SELECT CustomerID, sum(Quantity) OVER (PARTITION BY CustomerID ORDER BY InvoiceDate) AS running FROM sales",
    "SELECT CustomerID, row_number() OVER w AS rn FROM sales WINDOW w AS (PARTITION BY CustomerID ORDER BY InvoiceDate)",
    "SELECT lag(InvoiceDate) OVER (PARTITION BY CustomerID ORDER BY InvoiceDate) AS prev FROM sales",
    "SELECT ntile(4) OVER (ORDER BY UnitPrice) AS quartile, percent_rank() OVER (ORDER BY UnitPrice) AS pr FROM sales",
    "SELECT CustomerID, InvoiceNo FROM sales "
    "QUALIFY row_number() OVER (PARTITION BY CustomerID ORDER BY InvoiceDate DESC) = 1",
    "PIVOT sales ON Country USING sum(Quantity) GROUP BY StockCode",
    "SELECT * FROM (PIVOT sales ON Country USING sum(Quantity) GROUP BY StockCode) p ORDER BY StockCode",
    "SELECT * FROM sales PIVOT (sum(Quantity) FOR Country IN ('France', 'Germany'))",
    "UNPIVOT (SELECT StockCode, sum(Quantity) AS q, sum(UnitPrice) AS p FROM sales GROUP BY 1) "
    "ON q, p INTO NAME metric VALUE v",
    "SELECT InvoiceDate + INTERVAL 30 DAY AS due, InvoiceDate - INTERVAL '1 month' AS prev, "
    "date_diff('day', DATE '2011-01-01', InvoiceDate) AS days FROM sales",
    "SELECT strftime(InvoiceDate, '%Y-%m') AS ym, count(*) AS n FROM sales GROUP BY ALL ORDER BY ym",
    "SELECT date_part('dow', InvoiceDate) AS dow, extract(hour FROM InvoiceDate) AS h, dayname(InvoiceDate) AS d "
    "FROM sales",
    "SELECT time_bucket(INTERVAL '1 week', InvoiceDate) AS week, count(*) AS n FROM sales GROUP BY 1",
    "SELECT last_day(InvoiceDate) AS eom, make_date(2011, 1, 1) AS d FROM sales",
    "SELECT CASE WHEN Quantity < 0 THEN 'return' WHEN Quantity > 3 THEN 'bulk' ELSE 'normal' END AS kind, "
    "count(*) AS n FROM sales GROUP BY 1",
    "SELECT * FROM sales WHERE CustomerID IN "
    "(SELECT CustomerID FROM sales GROUP BY 1 HAVING count(DISTINCT InvoiceNo) > 2)",
    "SELECT Country FROM sales WHERE Country LIKE 'F%' UNION SELECT Country FROM sales WHERE Country ILIKE 'g%'",
    "SELECT StockCode FROM sales INTERSECT SELECT StockCode FROM sales WHERE Country = 'France'",
    "SELECT * FROM sales ORDER BY InvoiceDate LIMIT 5 OFFSET 5",
    "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name = 'sales'",
    "SELECT table_name FROM information_schema.tables",
    "SELECT s.InvoiceNo, t.total FROM sales s JOIN "
    "(SELECT InvoiceNo, sum(Quantity * UnitPrice) AS total FROM sales GROUP BY 1) t USING (InvoiceNo)",
    "SELECT x, x * x AS sq FROM range(5) t(x)",
    "SELECT * FROM generate_series(DATE '2011-01-01', DATE '2011-06-01', INTERVAL 1 MONTH) g(month)",
    "SELECT unnest([1, 2, 3]) AS v",
    "SELECT quantile_cont(UnitPrice, 0.5) AS median, stddev(Quantity) AS sd FROM sales",
    "SELECT CustomerID, count(*) FILTER (WHERE Quantity < 0) AS returns FROM sales GROUP BY ALL",
    "SELECT Country, sum(Quantity) AS q FROM sales GROUP BY ROLLUP (Country)",
    "SELECT InvoiceDate::DATE AS day, TRY_CAST(InvoiceNo AS INTEGER) AS n FROM sales",
    "FROM sales SELECT Country, count(*) AS n GROUP BY Country",
    "SELECT DISTINCT ON (CustomerID) CustomerID, InvoiceDate FROM sales ORDER BY CustomerID, InvoiceDate",
    "SELECT * EXCLUDE (Description) FROM sales",
    "SELECT 'a;b' AS s, '--not a comment' AS t, '/* nor this */' AS u",
    "SELECT * FROM sales WHERE Description = 'DROP TABLE sales; --'",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(id, name)",
    "VALUES (1, 'a'), (2, 'b')",
]


def test_legitimate_queries_are_distinct_and_plenty():
    assert len(set(LEGITIMATE)) == len(LEGITIMATE) >= 30


@pytest.mark.parametrize("sql", LEGITIMATE)
def test_legitimate_query_runs(ws, sql):
    result = SqlQuery(ws)(sql=sql)
    assert result.table is not None and len(result.table.columns) > 0


def test_pivot_computes_the_right_cells(ws):
    df = SqlQuery(ws)(sql="PIVOT sales ON Country USING sum(Quantity) GROUP BY StockCode").table
    row = df.set_index("StockCode").loc["A"]
    assert (row["Germany"], row["United Kingdom"], row["France"]) == (8, 5, 3)  # 4 + 6 - 2; 2 + 1 + 2; 3


def test_qualify_keeps_each_customers_last_invoice(ws):
    df = SqlQuery(ws)(
        sql="SELECT CustomerID, InvoiceNo FROM sales WHERE CustomerID IS NOT NULL QUALIFY "
        "row_number() OVER (PARTITION BY CustomerID ORDER BY InvoiceDate DESC, InvoiceNo) = 1 "
        "ORDER BY CustomerID"
    ).table
    assert df["InvoiceNo"].tolist() == ["1012", "C1006", "1010", "1011", "1009"]


def test_a_typo_stays_retryable_not_unsafe(ws):
    from tools.base import RetryableToolError

    with pytest.raises(RetryableToolError) as caught:
        SqlQuery(ws)(sql="SELEC Country FROM sales")
    assert not isinstance(caught.value, UnsafeSQLError)
