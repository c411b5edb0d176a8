from __future__ import annotations

import pandas as pd
import pytest

from tools.base import RetryableToolError
from tools.sql import SqlQuery


def test_select_returns_table_facts_and_sql(ws):
    result = SqlQuery(ws)(
        sql="SELECT Country, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1 ORDER BY 2 DESC"
    )
    assert result.table["Country"].tolist() == ["United Kingdom", "Germany", "France"]
    # hand-computed: 4*3 + 2*2.5 + 6*3 + 6*4 - 2*3 (the cancellation nets out)
    assert result.fact("Germany.revenue") == pytest.approx(53.0)
    assert result.fact("United Kingdom.revenue") == pytest.approx(81.0)
    assert result.sql == [
        "SELECT Country, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1 ORDER BY 2 DESC"
    ]


def test_unknown_column_is_retryable_and_names_the_real_one(ws):
    with pytest.raises(RetryableToolError, match=r"Did you mean CustomerID\? \(sales has InvoiceNo, "):
        SqlQuery(ws)(sql="SELECT customer_idd FROM sales")


def test_an_unknown_column_is_matched_in_the_table_read_before_any_other(ws):
    ws.save_table("reviews", pd.DataFrame({"product": ["RED MUG"], "rating": [5]}), source="test")
    ws.save_table("catalogue", pd.DataFrame({"product_id": ["A"]}), source="test")
    with pytest.raises(
        RetryableToolError,
        match=r"Did you mean product\? \(reviews has product, rating\.\) product_id is a column of catalogue",
    ):
        SqlQuery(ws)(sql="SELECT product_id, avg(rating) FROM reviews GROUP BY 1")
    with pytest.raises(
        RetryableToolError,
        match=r"sales has InvoiceNo, .*\. Did you mean product_id \(a column of catalogue\)",
    ):
        SqlQuery(ws)(sql="SELECT product_idd, Country FROM sales")


def test_a_total_with_copied_group_and_order_ordinals_still_runs(ws):
    """The default model writes this for "How many rows does sales have?"; DuckDB refuses it as written."""
    result = SqlQuery(ws)(sql="SELECT count(*) AS rows FROM sales GROUP BY 1 ORDER BY 2 DESC")
    assert result.table["rows"].tolist() == [len(ws.query("SELECT * FROM sales"))]
    assert result.sql == ["SELECT COUNT(*) AS rows FROM sales"]
    assert "removed GROUP BY 1 (an aggregate); removed ORDER BY 2" in result.text


def test_valid_ordinals_and_subquery_aggregates_are_left_alone(ws):
    from sqlglot import parse_one

    from tools.sql_repair import drop_impossible_ordinals

    for sql in (
        "SELECT Country, sum(Quantity) FROM sales GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
        "SELECT (SELECT max(Quantity) FROM sales) AS top, count(*) FROM sales GROUP BY 1",
        "SELECT * FROM sales ORDER BY 3",
    ):
        assert drop_impossible_ordinals(parse_one(sql, read="duckdb")) == [], sql


def test_columns_read_from_the_wrong_table_are_read_from_the_one_that_has_them(ws):
    import pandas as pd

    ws.save_table("campaigns", pd.DataFrame({"campaign": [1, 2], "household": [7, 8]}), source="test")
    ws.save_table(
        "campaign_descriptions",
        pd.DataFrame({"campaign": [1, 2, 3], "campaign_type": ["A", "B", "B"]}),
        source="test",
    )
    result = SqlQuery(ws)(sql="SELECT campaign_type, count(*) AS n FROM campaigns GROUP BY 1 ORDER BY 1")
    assert result.table["n"].tolist() == [1, 2]
    assert "read campaign_descriptions instead of campaigns" in result.text
    # Ambiguous (two tables have "campaign") or already right: left as written.
    from sqlglot import parse_one

    from tools.sql_repair import retarget_single_table

    cols = {"campaigns": {"campaign", "household"}, "campaign_descriptions": {"campaign", "campaign_type"}}
    for sql in (
        "SELECT campaign FROM campaigns",
        "SELECT campaign FROM sales",
        "SELECT a.x FROM t a JOIN u b ON a.i = b.i",
    ):
        assert retarget_single_table(parse_one(sql, read="duckdb"), lambda: cols) is None, sql


def test_a_column_after_the_wrong_alias_names_the_alias_table_and_the_right_alias(ws):
    ws.save_table("countries", pd.DataFrame({"Country": ["France"], "capital": ["Paris"]}), source="test")
    sql = "SELECT T1.capital, count(*) FROM sales AS T1 JOIN countries AS T2 ON T1.Country = T2.Country GROUP BY 1"
    with pytest.raises(
        RetryableToolError,
        match=r"T1 is sales, which has InvoiceNo, .* countries has capital: write T2\.capital\.",
    ):
        SqlQuery(ws)(sql=sql)
