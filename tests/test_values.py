from __future__ import annotations

import pandas as pd
import pytest

from tests.text_helpers import WordHashEmbedder
from tools import embeddings
from tools.base import RetryableToolError
from tools.values import match_values, value_columns, warm_value_embeddings


@pytest.fixture
def fake(monkeypatch):
    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    return embedder


@pytest.fixture
def shop(ws):
    products = [
        "WHITE METAL LANTERN",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "RED HANGING HEART T-LIGHT HOLDER",
        "HEART OF WICKER SMALL",
        "CREAM CUPID HEARTS COAT HANGER",
        "SET 7 BABUSHKA NESTING BOXES",
    ]
    countries = ["United Kingdom", "EIRE", "USA", "France", "Netherlands", "RSA"]
    rows = [
        (f"{i}", products[i % len(products)], countries[i % len(countries)], f"C{i:05d}") for i in range(60)
    ]
    ws.save_table(
        "orders",
        pd.DataFrame(rows, columns=["InvoiceNo", "Description", "Country", "StockCode"]),
        source="test",
    )
    return ws


def test_country_names_map_to_stored_spelling(shop, fake):
    assert _first(shop, "EIRE") == ("Country", "EIRE", "exact")
    assert _first(shop, "Eire") == ("Country", "EIRE", "case")
    assert _first(shop, "UK") == ("Country", "United Kingdom", "synonym")
    assert _first(shop, "Britain") == ("Country", "United Kingdom", "synonym")
    assert _first(shop, "Holland") == ("Country", "Netherlands", "synonym")
    assert _first(shop, "South Africa") == ("Country", "RSA", "synonym")
    assert _first(shop, "Frnace") == ("Country", "France", "fuzzy")


def test_a_country_is_found_by_its_iso_code_and_its_code_by_the_name(shop, fake):
    assert _first(shop, "FR") == ("Country", "France", "synonym")
    assert _first(shop, "NLD") == ("Country", "Netherlands", "synonym")
    assert all(m.value != "France" for m in match_values(shop, "fr", semantic=False))  # a word, not a code
    shop.save_table("coded", pd.DataFrame({"ship_country": ["DE", "AT", "FR"]}), source="test")
    found = [
        match_values(shop, name, table="coded", semantic=False)[0].value for name in ("Germany", "Austria")
    ]
    assert found == ["DE", "AT"]


def test_the_metric_layer_reads_a_country_code_the_model_writes(ws):
    from tools.metrics import MetricQuery

    r = MetricQuery(ws)(table="sales", metrics=["orders"], filters=[{"column": "country", "value": "DE"}])
    assert "Country = 'Germany'" in r.text
    with pytest.raises(RetryableToolError, match="No Country equals 'de'"):
        MetricQuery(ws)(table="sales", metrics=["orders"], filters=[{"column": "country", "value": "de"}])


def test_words_inside_product_names_match_fuzzily(shop, fake):
    assert _first(shop, "lantern") == ("Description", "WHITE METAL LANTERN", "fuzzy")
    found = match_values(shop, "heart holder", limit=3)
    assert {m.value for m in found[:2]} == {
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "RED HANGING HEART T-LIGHT HOLDER",
    }
    assert all(0 < m.score < 0.9 for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_ids_and_codes_are_not_a_vocabulary(shop, fake):
    assert {c.column for c in value_columns(shop, "orders")} == {"Description", "Country"}


def test_warm_embeds_once(shop, fake):
    first = warm_value_embeddings(shop, ["orders"])
    assert first == 12 and fake.encoded == 12  # 6 products + 6 countries
    assert warm_value_embeddings(shop, ["orders"]) == 0 and fake.encoded == 12


def test_reload_refreshes_the_cache(shop, fake):
    assert not match_values(shop, "Japan", semantic=False)
    df = shop.query("SELECT * FROM orders")
    df.loc[0, "Country"] = "Japan"
    shop.save_table("orders", df, source="test")
    assert _first(shop, "japan") == ("Country", "Japan", "case")


def test_bad_table_or_column_is_retryable(shop):
    with pytest.raises(RetryableToolError, match="Did you mean orders"):
        match_values(shop, "UK", table="order")
    with pytest.raises(RetryableToolError, match="Did you mean Country"):
        match_values(shop, "UK", table="orders", column="Countyr")


def _first(ws, text):
    m = match_values(ws, text, semantic=False)[0]
    return (m.column, m.value, m.how)


def test_the_same_words_with_other_endings_name_a_stored_value(ws, fake):
    from agent.context import stated_values

    statuses = ["paid", "refunded", "partially_refunded", "voided"]
    ws.save_table("payments", pd.DataFrame({"financial_status": statuses * 5}), source="test")
    assert _first(ws, "partial refund") == ("financial_status", "partially_refunded", "stem")
    assert _first(ws, "partially refunded") == ("financial_status", "partially_refunded", "stem")
    # one word is matched by its spelling only: "refunds" may be a noun of the question, not the status
    assert all(m.how != "stem" for m in match_values(ws, "refunds", table="payments", semantic=False))
    # "refunded" inside "partially refunded" names no second status
    stated = [(p, m.value) for p, m in stated_values(ws, "how many orders were partially refunded")]
    assert stated == [("partially refunded", "partially_refunded")]
    assert [m.value for _, m in stated_values(ws, "orders refunded or voided")] == ["refunded", "voided"]


def test_the_metric_layer_reads_a_value_written_with_other_endings(ws):
    from tools.metrics import MetricQuery

    r = MetricQuery(ws)(
        table="sales", metrics=["units"], filters=[{"column": "product", "value": "tea towels"}]
    )
    assert "Description = 'TEA TOWEL'" in r.text and r.table["units"].tolist() == [10]
