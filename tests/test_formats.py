"""Results a person reads at a glance (issue 20): one formatter, the data's own currency, partial periods.

The formatter's units first, then currencies read at load (one file per symbol, a column name, mixed
amounts, roles.yaml, a home made before currencies), then partial periods in metric_query, its chart and
the headline, then the grounding check refusing money in another currency.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from agent.calls import ToolCall
from agent.grounding import Grounds, check
from agent.headline import headline
from tools import formats
from tools.base import Table
from tools.loader import load_file
from tools.metrics import MetricQuery
from tools.periods import partial_periods
from tools.workspace import META_TABLES, Workspace
from ui.cli import main


# -- the formatter -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind", "currency", "written"),
    [
        (8998790.913998948, "money", "GBP", "£8,998,790.91"),
        (-12.5, "money", "EUR", "-€12.50"),
        (12.5, "money", None, "12.50"),
        (12.5, "money", "CHF", "CHF 12.50"),
        (4339.0, "count", None, "4,339"),
        (0.123456, "ratio", None, "0.1235 (12.35%)"),
        (0.123456, "percentage", None, "12.35%"),
        (12.3456, "percent", None, "12.35%"),
        (560000.2600000234, "number", None, "560,000.26"),
        (0.000123456, "number", None, "0.000123"),  # at most six decimals
    ],
)
def test_a_figure_is_written_at_its_kind(value, kind, currency, written):
    assert formats.number(value, kind, currency) == written


@pytest.mark.parametrize(
    ("stamp", "grain", "written"),
    [
        ("2011-01-01", "month", "2011-01"),
        ("2011-07-01", "quarter", "2011-Q3"),
        ("2011-04-04", "week", "2011-W14"),
        ("2011-01-01", "year", "2011"),
        ("2011-01-31", "day", "2011-01-31"),
        ("2011-01-31 08:26", "time", "2011-01-31 08:26"),
    ],
)
def test_a_period_is_written_at_its_grain(stamp, grain, written):
    assert formats.period(pd.Timestamp(stamp), grain) == written


def test_a_table_is_shown_formatted_and_keeps_its_exact_values():
    df = pd.DataFrame(
        {
            "month": pd.to_datetime(["2011-01-01", "2011-02-01", "2011-03-01"]),
            "revenue": [560000.2600000234, 498062.65, 683267.08],
            "orders": [1086, 1100, 1454],
            "conversion_rate": [0.1, 0.25, 0.0512],
            "CustomerID": [12346, 14646, 18102],
        }
    )
    table = Table("metrics", df, currency="GBP")
    shown = table.shown()
    assert shown.iloc[0].tolist() == ["2011-01", "£560,000.26", "1,086", "10.00%", "12346"]
    assert shown.iloc[2]["conversion_rate"] == "5.12%"
    assert table.df["revenue"].iloc[0] == 560000.2600000234  # the data is untouched
    assert table.to_dict()["rows"][0][1] == 560000.2600000234 and table.to_dict()["currency"] == "GBP"


def test_time_columns_without_a_grain_name_are_read_from_their_values():
    weeks = pd.Series(pd.to_datetime(["2011-01-03", "2011-01-10", "2011-01-17"]))
    months = pd.Series(pd.to_datetime(["2011-01-01", "2011-02-01", "2011-03-01"]))
    days = pd.Series(pd.to_datetime(["2011-01-01", "2011-02-01"]))  # two 1sts may be a coincidence
    assert formats.grain_of(weeks, "bucket") == "week"
    assert formats.grain_of(months, "bucket") == "month"
    assert formats.grain_of(days, "first_order") == "day"
    assert formats.display(pd.DataFrame({"first_order": days}))["first_order"].tolist() == [
        "2011-01-01",
        "2011-02-01",
    ]


def test_a_tools_own_kinds_win_over_guesses():
    df = pd.DataFrame({"x": [0.5, 0.25]})
    assert formats.display(df)["x"].tolist() == ["0.5000", "0.2500"]  # four significant digits
    assert formats.display(df, {"x": "ratio"})["x"].tolist() == ["50.00%", "25.00%"]


# -- currencies --------------------------------------------------------------------------------------------
def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("£1,234.50", "GBP"), ("$1,234.50", "USD"), ("€1.234,50", "EUR"), ("¥1,234.50", "CNY")],
)
def test_a_loaded_files_currency_is_read_from_its_amounts(tmp_path, amount, currency):
    ws = Workspace(tmp_path / "home", demo=False)
    delimiter = ";" if currency == "EUR" else ","
    # quoted as exports write them: the amount holds the delimiter (unquoted, the row would be ragged)
    body = f'order{delimiter}date{delimiter}amount\n1{delimiter}2011-01-02{delimiter}"{amount}"\n'
    body += f'2{delimiter}2011-01-03{delimiter}"{amount}"\n'
    report = load_file(ws, _write(tmp_path / "orders.csv", body))
    assert report.currency == currency and f"Amounts are in {currency}" in str(report)
    assert ws.currency("orders") == currency
    assert ws.table_info("orders")["currency"] == currency


def test_a_currency_named_by_a_column_header_counts_and_mixed_ones_are_said(tmp_path):
    ws = Workspace(tmp_path / "home", demo=False)
    named = load_file(ws, _write(tmp_path / "a.csv", "id,Amount (EUR)\n1,10.5\n2,3\n"))
    assert named.currency == "EUR"
    mixed = load_file(ws, _write(tmp_path / "b.csv", "id,price_usd,fee\n1,10.5,£2\n2,3,£1\n"))
    assert mixed.currency is None and any("several currencies (GBP, USD)" in w for w in mixed.warnings)
    plain = load_file(ws, _write(tmp_path / "c.csv", "id,amount\n1,10.5\n"))
    assert plain.currency is None and ws.currency("c") is None


def test_roles_yaml_overrides_the_currency_and_schema_shows_it(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("MARTMIND_HOME", str(home))
    monkeypatch.setenv("MARTMIND_DEMO", "0")
    ws = Workspace(home, demo=False)
    load_file(ws, _write(tmp_path / "orders.csv", "order,amount\n1,¥1200\n2,¥300\n"))
    ws.close()
    (home / "roles.yaml").write_text("orders:\n  currency: jpy\n")
    assert main(["schema", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)["tables"][0]
    assert card["currency"] == "JPY"
    assert main(["schema"]) == 0
    assert "amounts in JPY" in capsys.readouterr().out


def test_the_demo_tables_carry_their_currencies(demo_ws):
    assert demo_ws.currency("online_retail") == "GBP"
    assert demo_ws.currency("cdnow_transactions") == "USD"
    assert demo_ws.currency("hillstrom_email") == "USD"
    assert demo_ws.currency("clothing_reviews") is None


def test_a_home_made_before_currencies_gains_them(tmp_path):
    path = tmp_path / "home" / "martmind.duckdb"
    path.parent.mkdir()
    con = duckdb.connect(str(path))
    con.execute(
        f"CREATE TABLE {META_TABLES} (name VARCHAR PRIMARY KEY, source VARCHAR, loaded_at TIMESTAMP, note VARCHAR)"
    )
    con.execute(
        "CREATE TABLE _martmind_columns (table_name VARCHAR, column_name VARCHAR, original_name VARCHAR)"
    )
    con.execute("CREATE TABLE online_retail AS SELECT 1 AS x")
    con.execute(
        f"INSERT INTO {META_TABLES} VALUES ('online_retail', 'demo:1', now(), 'online_retail.parquet')"
    )
    con.close()
    ws = Workspace(tmp_path / "home", demo=False)
    assert ws.table_info("online_retail")["currency"] == "GBP"
    assert ws.tables() == ["online_retail"]  # nothing else changed


def test_money_from_a_tool_is_written_in_the_datas_currency(demo_ws):
    result = MetricQuery(demo_ws)(metrics=["revenue"], date_range="2011")
    assert result.currency == "GBP"
    assert "revenue = £" in result.text
    call = ToolCall("metric_query", {"metrics": ["revenue"], "date_range": "2011"})
    assert "£" in headline("total revenue in 2011", call, result)


def test_sql_results_carry_the_currency_of_the_tables_read(demo_ws):
    from tools.sql import SqlQuery

    sql = SqlQuery(demo_ws)
    assert sql(sql="SELECT sum(spend) AS spend FROM hillstrom_email").currency == "USD"
    assert sql(sql="SELECT count(*) AS n FROM clothing_reviews").currency is None


def test_money_in_another_currency_than_the_datas_is_not_supported():
    grounds = Grounds.build([{"name": "revenue", "value": 8998790.91}], ["revenue in 2011"], "GBP")
    assert check("Revenue was £8,998,790.91.", grounds).ok
    assert not check("Revenue was $8,998,790.91.", grounds).ok
    asked = Grounds.build([{"name": "revenue", "value": 500.0}], ["we spent $500"], "GBP")
    assert check("The $500 spent", asked).ok  # the person wrote it
    unknown = Grounds.build([{"name": "revenue", "value": 500.0}], [""])
    assert check("Revenue was $500.", unknown).ok  # no currency known: no symbol judged


# -- partial periods ---------------------------------------------------------------------------------------
def test_buckets_the_data_covers_in_part_are_found():
    starts = [dt.date(2010, 12, 1), dt.date(2011, 11, 1), dt.date(2011, 12, 1)]
    found = partial_periods(starts, "month", dt.date(2010, 12, 1), dt.date(2011, 12, 9))
    assert found == {dt.date(2011, 12, 1): "covers 1 December 2011 to 9 December 2011 only"}
    assert partial_periods(starts, "day", dt.date(2010, 12, 5), dt.date(2011, 12, 9)) == {}
    year = partial_periods([dt.date(2010, 1, 1)], "year", dt.date(2010, 12, 1), dt.date(2011, 12, 9))
    assert year == {dt.date(2010, 1, 1): "covers 1 December 2010 to 31 December 2010 only"}


def test_a_monthly_series_marks_its_partial_last_month_in_table_text_chart_and_headline(demo_ws):
    result = MetricQuery(demo_ws)(metrics=["revenue"], grain="month", date_range="2011")
    table = result.tables[0]
    last = len(table.df) - 1
    assert table.notes == {last: "covers 1 December 2011 to 9 December 2011 only"}
    assert table.shown()["note"].iloc[last] == "covers 1 December 2011 to 9 December 2011 only"
    assert table.shown()["note"].iloc[0] == ""
    assert "Partial period: 2011-12 covers 1 December 2011 to 9 December 2011 only" in result.text
    dotted = [t for t in result.chart.data if t.line.dash == "dot"]
    assert len(dotted) == 1 and list(dotted[0].marker.symbol) == ["circle", "circle-open"]
    call = ToolCall("metric_query", {"metrics": ["revenue"], "grain": "month", "date_range": "2011"})
    said = headline("revenue by month in 2011", call, result)
    assert said.endswith("2011-12 covers 1 December 2011 to 9 December 2011 only.")
    assert "£" in said


def test_whole_periods_carry_no_notes(demo_ws):
    result = MetricQuery(demo_ws)(metrics=["orders"], grain="quarter", date_range="2011-01..2011-09")
    assert result.tables[0].notes == {}
    assert "Partial period" not in result.text
