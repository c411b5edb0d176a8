from __future__ import annotations

import pytest

from tools.base import RetryableToolError, ToolError
from tools.workspace import DEMO_TABLES, Workspace


def test_demo_tables_load_on_first_start_and_survive_a_restart(demo_ws):
    assert set(DEMO_TABLES) <= set(demo_ws.tables())
    again = Workspace(demo_ws.home)
    assert again.query("SELECT count(*) AS n FROM online_retail")["n"][0] == 541_909


def test_reader_cannot_write_or_read_files_even_without_the_parser(ws):
    with pytest.raises(ToolError, match="read-only"):
        ws.query("CREATE TABLE stolen AS SELECT 1")
    with pytest.raises(ToolError, match="disabled"):
        ws.query("SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(ToolError):
        ws.query("SET enable_external_access = true")
    assert "stolen" not in ws.tables()


def test_long_query_is_interrupted(ws):
    with pytest.raises(ToolError, match="longer than"):
        ws.query("SELECT count(*) FROM range(100000000000) a, range(1000) b", timeout_s=0.5)


def test_failed_write_leaves_previous_table_intact(ws):
    with pytest.raises(RuntimeError), ws.writer() as con:
        con.execute("DELETE FROM sales")
        raise RuntimeError("load failed half way")
    assert ws.query("SELECT count(*) AS n FROM sales")["n"][0] == 20


def test_row_cap_marks_truncation(ws):
    df = ws.query("SELECT * FROM range(50)", max_rows=10)
    assert len(df) == 10 and df.attrs["truncated"]


def test_unknown_table_suggests_the_closest(ws):
    with pytest.raises(RetryableToolError, match="Did you mean sales"):
        ws.columns("sale")


def test_a_role_s_own_name_wins_over_a_longer_name_holding_another_role_s(ws):
    import pandas as pd

    ws.save_table(
        "lines",
        pd.DataFrame(
            {
                "Product Group": ["TV"],
                "Art. No": ["EL-1"],
                "Article": ["LED TV"],
                "Order Date": ["2024-01-01"],
            }
        ),
        source="t",
    )
    roles = ws.roles("lines")
    assert (roles["category"], roles["product_name"]) == ("Product Group", "Article")


def test_roles_of_demo_tables(demo_ws):
    retail = demo_ws.roles("online_retail")
    assert retail["order_id"] == "InvoiceNo" and retail["customer_id"] == "CustomerID"
    assert retail["timestamp"] == "InvoiceDate" and retail["product_name"] == "Description"
    assert "C" in retail.cancelled
    cj = demo_ws.roles("cj_transactions")
    assert cj["customer_id"] == "household_id" and cj["amount"] == "sales_value"
