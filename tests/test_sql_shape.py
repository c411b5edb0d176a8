"""The SQL's result shape agrees with the question: the stated top-N, one figure, groups with their labels."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlglot

from tests.readings import read
from tools.base import RetryableToolError
from tools.sql import SqlQuery
from tools.sql_shape import set_stated_limit, show_group_labels


def _refined(ws, question: str, sql: str) -> str:
    reading = read(ws, question)
    return SqlQuery(ws).refine_args({"sql": sql}, reading)["sql"]


RANKED = "SELECT Country, count(DISTINCT InvoiceNo) AS orders FROM sales GROUP BY Country ORDER BY 2 DESC"


def test_which_one_most_keeps_the_top_row_only(ws):
    sql = _refined(ws, "Which country placed the most orders?", RANKED)
    assert sql.endswith("LIMIT 1")
    assert SqlQuery(ws)(sql=sql).tables[0].df["Country"].tolist() == ["United Kingdom"]


def test_the_stated_top_n_replaces_the_models_limit(ws):
    assert _refined(ws, "Top 2 countries by orders", RANKED + " LIMIT 10").endswith("LIMIT 2")


def test_no_stated_top_n_and_no_ranking_are_left_alone(ws):
    assert _refined(ws, "Orders by country", RANKED) == RANKED
    unordered = "SELECT Country, count(*) AS n FROM sales GROUP BY Country"
    assert _refined(ws, "Which country has the most lines?", unordered) == unordered


def test_a_limit_never_cuts_a_table_grouped_two_ways():
    tree = sqlglot.parse_one("SELECT a, b, sum(x) FROM t GROUP BY a, b ORDER BY 3 DESC")
    assert set_stated_limit(tree, 3) is None and "LIMIT" not in tree.sql()


def test_a_grouped_figure_is_shown_with_its_group(ws):
    sql = _refined(
        ws, "How many customers per country?", "SELECT count(DISTINCT CustomerID) FROM sales GROUP BY Country"
    )
    assert sql.startswith("SELECT Country, COUNT(DISTINCT CustomerID)")
    df = SqlQuery(ws)(sql=sql).tables[0].df
    assert dict(zip(df.iloc[:, 0], df.iloc[:, 1], strict=True)) == {
        "United Kingdom": 2,
        "Germany": 1,
        "France": 2,
    }


def test_shown_groups_aliases_and_ordinals_are_not_added_twice():
    for sql in (
        "SELECT Country AS c, count(*) FROM sales GROUP BY Country",
        "SELECT Country AS c, count(*) FROM sales GROUP BY c",
        "SELECT Country, count(*) FROM sales GROUP BY 1",
        "SELECT upper(Country), count(*) FROM sales GROUP BY upper(Country)",
    ):
        assert show_group_labels(sqlglot.parse_one(sql)) == [], sql


def test_one_figure_asked_a_list_of_different_things_is_counted(ws):
    for listed in (
        "SELECT DISTINCT CustomerID FROM sales WHERE Country = 'France' ORDER BY 1",
        "SELECT CustomerID FROM sales WHERE Country = 'France' GROUP BY CustomerID",
    ):
        sql = _refined(ws, "How many customers are in France?", listed)
        assert sql.startswith("SELECT COUNT(*) AS count FROM (SELECT")
        assert SqlQuery(ws)(sql=sql).tables[0].df.iloc[0, 0] == 2


def test_how_many_things_grouped_by_the_thing_counts_the_groups(ws):
    per_customer = (
        "SELECT CustomerID, count(*) AS lines FROM sales WHERE Country = 'France' GROUP BY CustomerID"
    )
    sql = _refined(ws, "How many customers bought in France?", per_customer)
    assert SqlQuery(ws)(sql=sql).tables[0].df.iloc[0, 0] == 2
    per_country = "SELECT Country, count(DISTINCT CustomerID) FROM sales GROUP BY Country"
    with pytest.raises(RetryableToolError, match="one per Country"):
        _refined(ws, "How many customers do we have?", per_country)


def test_one_figure_asked_a_list_of_rows_is_refused_with_the_fix(ws):
    listed = "SELECT CustomerID FROM sales WHERE Country = 'France'"
    with pytest.raises(RetryableToolError, match=r"one number, but this SQL lists 5 rows.*COUNT\(DISTINCT"):
        _refined(ws, "How many customers are in France?", listed)


def test_one_figure_asked_a_breakdown_returned_is_refused(ws):
    grouped = "SELECT Country, count(*) FROM sales GROUP BY Country"
    with pytest.raises(RetryableToolError, match="one per Country"):
        _refined(ws, "How many order lines are there?", grouped)


def test_one_figure_in_one_row_passes_whatever_its_form(ws):
    total = "SELECT count(DISTINCT CustomerID) FROM sales"
    assert _refined(ws, "How many customers do we have?", total) == total
    one_row = "SELECT Quantity FROM sales WHERE InvoiceNo = '1007' AND StockCode = 'D'"
    assert _refined(ws, "How many cake tins were on invoice 1007?", one_row) == one_row
    one_group = "SELECT Country, count(*) FROM sales WHERE Country = 'France' GROUP BY Country"
    assert _refined(ws, "How many lines came from France?", one_group) == one_group


def test_sums_per_unnamed_group_become_the_one_figure_asked(ws):
    per_customer = "SELECT sum(Quantity * UnitPrice) AS spent FROM sales WHERE Country = 'France' GROUP BY CustomerID ORDER BY spent DESC"
    sql = _refined(ws, "What did French customers spend with us?", per_customer)
    assert "GROUP BY" not in sql and "ORDER BY" not in sql
    assert SqlQuery(ws)(sql=sql).tables[0].df["spent"].tolist() == [pytest.approx(49.0)]


@pytest.mark.parametrize(
    ("question", "sql"),
    [
        # the question asks for rows: each group's figure is the answer, labels or not
        ("What did customers spend each month?", "SELECT sum(Quantity) FROM sales GROUP BY InvoiceDate"),
        # a ranking's one row, a HAVING's groups and a shown group are the SQL's meaning
        (
            "What is the most one customer spent?",
            "SELECT sum(Quantity) AS s FROM sales GROUP BY CustomerID ORDER BY s DESC LIMIT 1",
        ),
        (
            "What did big customers buy?",
            "SELECT sum(Quantity) FROM sales GROUP BY CustomerID HAVING sum(Quantity) > 5",
        ),
        ("What did customers buy?", "SELECT CustomerID, sum(Quantity) FROM sales GROUP BY CustomerID"),
    ],
)
def test_a_grouping_the_question_or_the_sql_gives_a_meaning_stays(ws, question, sql):
    assert "GROUP BY" in _refined(ws, question, sql)


# -- the period the question states, in the SQL's date conditions ------------------------------------------

YEAR_2011 = "SELECT sum(Quantity * UnitPrice) AS revenue FROM sales WHERE "


def test_a_year_written_as_one_day_is_refused_with_the_conditions_to_write(ws):
    sql = YEAR_2011 + "InvoiceDate >= '2011-01-01' AND InvoiceDate < '2011-01-02'"
    with pytest.raises(
        RetryableToolError,
        match=r"states 2011 \(2011-01-01 to 2011-12-31\).*InvoiceDate < '2011-01-02'.*"
        r"Write InvoiceDate >= '2011-01-01' AND InvoiceDate < '2012-01-01'",
    ):
        _refined(ws, "What was the revenue in 2011?", sql)


def test_one_bound_or_no_condition_is_refused(ws):
    for where in ("InvoiceDate >= '2011-01-01'", "Quantity > 0"):
        with pytest.raises(RetryableToolError, match="does not limit InvoiceDate to it"):
            _refined(ws, "What was the revenue in 2011?", YEAR_2011 + where)


def test_the_stated_period_passes_in_any_of_its_forms(ws):
    for where in (
        "InvoiceDate >= DATE '2011-03-01' AND InvoiceDate < '2011-04-01'",
        "InvoiceDate > '2011-02-28' AND InvoiceDate <= '2011-03-31 23:59:59'",
        "year(InvoiceDate) = 2011 AND month(InvoiceDate) = 3",
    ):
        sql = YEAR_2011 + where
        refined = _refined(ws, "What was the revenue in March 2011?", sql)
        assert SqlQuery(ws)(sql=refined).fact("revenue") == 61.0


def test_a_timestamp_range_s_last_day_is_made_whole(ws):
    sql = YEAR_2011 + "InvoiceDate BETWEEN '2011-03-01' AND '2011-03-31'"
    refined = _refined(ws, "What was the revenue in March 2011?", sql)
    assert "InvoiceDate < '2011-04-01'" in refined and "BETWEEN" not in refined


def test_dates_the_question_never_states_are_refused(ws):
    sql = YEAR_2011 + "InvoiceDate >= '2017-01-01' AND InvoiceDate < '2018-01-01'"
    with pytest.raises(RetryableToolError, match="states no period.*Leave the dates out"):
        _refined(ws, "How much did France spend?", sql)
    total = "SELECT sum(Quantity * UnitPrice) AS revenue FROM sales"
    assert _refined(ws, "How much did France spend?", total) == total


# -- values the question names, and no others -------------------------------------------------------------


def test_a_stored_value_the_question_never_names_is_refused_with_the_fix(ws):
    invented = "SELECT sum(Quantity * UnitPrice) FROM sales WHERE Country = 'Germany'"
    with pytest.raises(RetryableToolError, match="does not name Country = 'Germany'"):
        _refined(ws, "What is our total turnover across the whole export?", invented)


@pytest.mark.parametrize(
    "question",
    [
        "What was the revenue from Germany?",
        "What was the revenue from DE?",  # another name of it
        "What did German customers spend?",  # its people
        "What was the revenue from Germany and France by country?",
    ],
)
def test_a_value_the_question_names_in_any_form_stands(ws, question):
    sql = "SELECT sum(Quantity * UnitPrice) AS revenue FROM sales WHERE Country = 'Germany'"
    assert "Germany" in _refined(ws, question, sql)


def test_a_word_that_begins_another_names_the_value():
    from tools.sql_values import _shares_a_word

    assert _shares_a_word(["africa"], {"african", "countri"})  # "African countries"
    assert _shares_a_word(["germany"], {"german"})
    assert not _shares_a_word(["france"], {"french"})  # its people's word is in the adjectives list
    assert not _shares_a_word(["art"], {"artisan"})  # a short word begins too many others


def test_how_many_things_grouped_by_the_thing_still_counts_the_groups(ws):
    per_customer = "SELECT count(*) AS lines FROM sales GROUP BY CustomerID"
    sql = _refined(ws, "How many customers bought something?", per_customer)
    assert SqlQuery(ws)(sql=sql).tables[0].df.iloc[0, 0] == 6  # the groups (guests' too), not 20 lines


def test_a_flag_the_question_names_by_its_column_stands(ws):
    ws.save_table("channels", pd.DataFrame({"name": ["A", "B", "C"], "hd": ["yes", "no", "yes"]}), source="t")
    sql = "SELECT name FROM channels WHERE hd = 'yes'"
    assert "'yes'" in _refined(ws, "Which channels broadcast in high definition?", sql)


def test_a_ranking_ranks_values_not_the_rows_without_one(ws):
    df = ws.query("SELECT * FROM sales")
    df["coupon"] = df["InvoiceNo"].map({"1002": "SPRING10", "1005": "SPRING10", "1009": "VIP"})
    ws.save_table("coded", df, source="test")
    sql = _refined(
        ws,
        "Which coupon was used on the most orders?",
        "SELECT coupon, count(DISTINCT InvoiceNo) AS orders FROM coded GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    )
    assert SqlQuery(ws)(sql=sql).tables[0].df["coupon"].tolist() == ["SPRING10"]  # not the 8 without one
    breakdown = "SELECT coupon, count(DISTINCT InvoiceNo) AS orders FROM coded GROUP BY 1 ORDER BY 2 DESC"
    assert _refined(ws, "Orders by coupon", breakdown) == breakdown  # a breakdown shows them


@pytest.mark.parametrize("condition", ["order_no = '1002'", "order_no = 1002", "order_no IN ('1002')"])
def test_a_value_no_row_holds_takes_the_one_stored_spelling(ws, condition):
    df = ws.query("SELECT * FROM sales")
    df["order_no"] = "#" + df["InvoiceNo"]
    ws.save_table("shop", df, source="test")
    result = SqlQuery(ws)(sql=f"SELECT Description, Quantity FROM shop WHERE {condition}")
    assert result.table["Description"].tolist() == ["RED MUG", "TEA TOWEL"]
    assert "'#1002'" in result.sql[0]
    unknown = SqlQuery(ws)(sql="SELECT Description FROM shop WHERE order_no = '9999'")
    assert unknown.table.empty and "'9999'" in unknown.sql[0]  # no spelling of it: left as written
