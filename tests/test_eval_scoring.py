"""The scorer's rules, so the accuracy numbers can be trusted."""

from __future__ import annotations

import pandas as pd
import pytest

from agent.evaluation.scoring import ResultTable, compare_results, gold_orders, normalise, unknown_names


def table(rows, columns=None):
    columns = columns or [f"c{i}" for i in range(len(rows[0]) if rows else 1)]
    return ResultTable(list(columns), [tuple(r) for r in rows])


def test_equal_sets_in_another_order_match():
    gold = table([("France", 3), ("Germany", 5), ("UK", 9)])
    pred = table([("UK", 9), ("France", 3), ("Germany", 5)])
    assert compare_results(gold, pred).ok


def test_different_values_do_not_match():
    gold = table([("France", 3), ("Germany", 5)])
    pred = table([("France", 3), ("Germany", 6)])
    match = compare_results(gold, pred)
    assert not match.ok and match.reason == "values differ"


def test_float_tolerance_is_relative_and_configurable():
    gold = table([("a", 1234.5678)])
    assert compare_results(gold, table([("a", 1234.5678 * (1 + 1e-9))])).ok
    assert not compare_results(gold, table([("a", 1234.57)])).ok
    assert compare_results(gold, table([("a", 1234.57)]), tolerance=1e-5).ok


def test_integers_and_floats_compare_as_numbers():
    assert compare_results(table([(3,)]), table([(3.0,)])).ok
    assert compare_results(table([(3,)]), table([(pd.Series([3], dtype="Int64")[0],)])).ok


def test_duplicated_rows_count_as_a_multiset_not_a_set():
    gold = table([("x",), ("x",), ("y",)])
    assert not compare_results(gold, table([("x",), ("y",), ("y",)])).ok
    assert compare_results(gold, table([("y",), ("x",), ("x",)])).ok
    assert not compare_results(gold, table([("x",), ("y",)])).ok


def test_nulls_equal_nulls_of_any_kind_but_not_zero():
    gold = table([("a", None), ("b", 1.0)])
    assert compare_results(gold, table([("b", 1), ("a", float("nan"))])).ok
    assert compare_results(gold, table([("a", pd.NA), ("b", 1)])).ok
    assert not compare_results(gold, table([("a", 0), ("b", 1)])).ok
    assert normalise(pd.NaT) is None


def test_order_matters_only_when_asked():
    gold = table([("a", 1), ("b", 2)])
    swapped = table([("b", 2), ("a", 1)])
    assert compare_results(gold, swapped, ordered=False).ok
    match = compare_results(gold, swapped, ordered=True)
    assert not match.ok and match.reason == "same rows, wrong order"
    assert compare_results(gold, table([("a", 1), ("b", 2)]), ordered=True).ok


def test_gold_orders_detects_outer_order_by_only():
    assert gold_orders("SELECT a FROM t ORDER BY a DESC LIMIT 3")
    assert not gold_orders("SELECT a FROM t")
    assert not gold_orders("SELECT a FROM (SELECT a FROM t ORDER BY a) s")
    assert gold_orders("WITH s AS (SELECT a FROM t) SELECT a FROM s ORDER BY a")
    assert gold_orders("SELECT name FROM singer ORDER BY age", dialect="sqlite")


def test_column_order_and_names_are_ignored():
    gold = table([("France", 3, 10.0), ("UK", 9, 20.0)], ["country", "orders", "revenue"])
    pred = table([(20.0, "UK", 9), (10.0, "France", 3)], ["rev", "Country", "n"])
    assert compare_results(gold, pred).ok


def test_columns_with_equal_values_are_matched_by_rows_not_just_columns():
    # Column a and b hold the same values; only the right pairing reproduces the gold rows.
    gold = table([(1, 2), (2, 1)], ["a", "b"])
    assert compare_results(gold, table([(2, 1), (1, 2)], ["b", "a"])).ok
    assert not compare_results(gold, table([(1, 1), (2, 2)])).ok


def test_extra_columns_only_when_allowed():
    gold = table([("UK", 9)])
    pred = table([("UK", 9, 123.0)])
    assert not compare_results(gold, pred).ok
    assert compare_results(gold, pred, allow_extra_columns=True).ok
    assert not compare_results(table([("UK", 9, 1.0)]), table([("UK", 9)]), allow_extra_columns=True).ok


def test_row_count_mismatch_is_explained():
    match = compare_results(table([(1,), (2,)]), table([(1,)]))
    assert not match.ok and "1 rows, gold has 2" in match.reason


def test_empty_results_match_and_dates_normalise():
    assert compare_results(ResultTable(["a"], []), ResultTable(["b"], [])).ok
    gold = table([(pd.Timestamp("2011-01-01"),)])
    import datetime as dt

    assert compare_results(gold, table([(dt.date(2011, 1, 1),)])).ok


SCHEMA = {
    "sales": {"invoiceno", "quantity", "unitprice", "country", "customerid"},
    "customers": {"customerid", "name"},
}


def test_hallucinated_column_and_table_are_named():
    assert unknown_names("SELECT Country, sum(Revenue) FROM sales GROUP BY 1", SCHEMA) == ["column Revenue"]
    assert unknown_names("SELECT * FROM orders", SCHEMA) == ["table orders"]
    assert unknown_names("SELECT s.name FROM sales s", SCHEMA) == ["column s.name"]


def test_real_names_aliases_and_ctes_are_not_hallucinations():
    sql = """WITH per AS (SELECT CustomerID, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1)
             SELECT c.name, p.revenue FROM per p JOIN customers c ON c.customerid = p.CustomerID
             WHERE p.revenue > 10 ORDER BY revenue DESC"""
    assert unknown_names(sql, SCHEMA) == []
    assert unknown_names("SELECT x.n FROM (SELECT count(*) AS n FROM sales) x", SCHEMA) == []
    assert unknown_names("SELECT list_transform([1, 2], v -> v + 1) FROM range(3)", SCHEMA) == []


def test_unparsable_sql_is_not_counted_as_hallucination():
    assert unknown_names("SELEC broken FROM", SCHEMA) == []


@pytest.mark.parametrize("value,expected", [(True, 1.0), (" x", " x"), (b"ab", "ab"), (2, 2.0)])
def test_normalise(value, expected):
    assert normalise(value) == expected
