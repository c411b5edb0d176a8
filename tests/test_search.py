from __future__ import annotations

import pytest

from tests.conftest import tiny_sales
from tests.text_helpers import WordHashEmbedder, reviews_frame
from tools import embeddings
from tools.base import RetryableToolError
from tools.search import SemanticSearch, index_column, index_demo, index_source, parse_condition, to_where
from tools.textsources import get_source


@pytest.fixture
def fake(monkeypatch):
    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    return embedder


@pytest.fixture
def text_ws(ws):
    ws.save_table("clothing_reviews", reviews_frame(), source="test")
    ws.save_table("online_retail", tiny_sales(), source="test")
    return ws


def test_search_finds_reviews_and_ids_join_back_in_sql(text_ws, fake):
    result = SemanticSearch(text_ws)(query="dress too small", source="reviews", top=3)
    df = result.table
    assert len(df) == 3
    assert "too small" in df["text"].iloc[0].lower()
    assert df["score"].is_monotonic_decreasing
    # The review id is the table's row number: the SQL the tool returns selects exactly those reviews.
    joined = text_ws.query(result.sql[0])
    assert sorted(joined["Review Text"]) == sorted(
        t.split(". ", 1)[1] if ". " in t else t for t in df["text"]
    )
    assert set(df.columns) >= {"review_id", "rating", "department", "class", "age", "recommended"}


def test_metadata_filter_rating_and_department(text_ws, fake):
    where = [{"field": "rating", "op": "<=", "value": 2}, {"field": "Department Name", "value": "dresses"}]
    df = SemanticSearch(text_ws)(query="quality", source="reviews", top=50, where=where).table
    expected = reviews_frame().query("Rating <= 2 and `Department Name` == 'Dresses'")
    assert len(df) == len(expected) == 5
    assert (df["rating"] <= 2).all() and (df["department"] == "Dresses").all()


def test_where_conversion_matches_chroma_syntax(text_ws):
    source = get_source(text_ws, "reviews")
    conds = [parse_condition("rating <= 2"), parse_condition("department = dresses")]
    assert to_where(text_ws, source, conds) == {
        "$and": [{"rating": {"$lte": 2}}, {"department": {"$eq": "Dresses"}}]
    }
    assert to_where(text_ws, source, [parse_condition("class in Knits, Blouses")]) == {
        "class": {"$in": ["Knits", "Blouses"]}
    }
    with pytest.raises(RetryableToolError, match="Did you mean rating"):
        to_where(text_ws, source, [parse_condition("ratng < 3")])


def test_reindexing_unchanged_data_embeds_nothing_and_changes_replace(text_ws, fake):
    first = index_source(text_ws, "reviews")
    assert first.embedded == 30 and fake.encoded == 30
    again = index_source(text_ws, "reviews")
    assert again.embedded == 0 and again.unchanged == 30 and fake.encoded == 30

    changed = reviews_frame()
    changed.loc[3, "Review Text"] = "The worst purchase ever, fell apart."
    changed.loc[5, "Rating"] = 4  # metadata only: no embedding needed
    changed = changed.drop(index=[10])  # later rows get new row numbers, same texts
    text_ws.save_table("clothing_reviews", changed.reset_index(drop=True), source="test")
    stats = index_source(text_ws, "reviews")
    assert stats.embedded == 1 and fake.encoded == 31  # only the rewritten review
    assert stats.deleted == 1
    index = get_source(text_ws, "reviews")
    from tools.search import open_index

    col = open_index(text_ws, index).collection
    assert col.count() == 29  # replaced, never duplicated
    got = col.get(ids=["3"], include=["documents"])
    assert got["documents"] == ["Perfect summer dress. The worst purchase ever, fell apart."]


def test_products_source_carries_sales_figures(text_ws, fake):
    df = SemanticSearch(text_ws)(query="mug", source="products", top=4).table
    assert set(df["stock_code"]) == {"A", "B", "C", "D"}
    red = df.set_index("stock_code").loc["A"]
    assert red["text"] == "RED MUG"
    # hand-computed from tiny_sales: 2+4+6-2+1+3+2 units; orders exclude the C invoice
    assert red["units"] == 16 and red["orders"] == 6 and red["revenue"] == pytest.approx(48.0)


def test_index_demo_reports_embedded_and_is_idempotent(text_ws, fake):
    first = index_demo(text_ws)
    assert [s.collection for s in first] == ["products", "reviews"]
    assert sum(s.embedded for s in first) == 34
    assert sum(s.embedded for s in index_demo(text_ws)) == 0


def test_user_table_column_with_id_and_filter(ws, fake):
    import pandas as pd

    notes = pd.DataFrame(
        {
            "ticket_id": [11, 12, 13, 14],
            "channel": ["email", "chat", "email", "phone"],
            "body": ["parcel arrived late", "refund for broken mug", "late delivery again", None],
        }
    )
    ws.save_table("tickets", notes, source="test")
    stats = index_column(ws, "tickets", "body")
    assert stats.documents == 3  # the empty row is skipped
    result = SemanticSearch(ws)(
        query="late delivery", source="tickets.body", top=5, where=[{"field": "channel", "value": "email"}]
    )
    assert sorted(result.table["ticket_id"].astype(int)) == [11, 13]
    assert "ticket_id" in result.sql[0] and "tickets" in result.sql[0]


def test_bad_source_and_empty_query_are_clear(text_ws, fake):
    with pytest.raises(RetryableToolError, match="Unknown search source"):
        SemanticSearch(text_ws)(query="x", source="tweets")
    with pytest.raises(RetryableToolError, match="no column"):
        SemanticSearch(text_ws)(query="x", source="clothing_reviews.Revew Text")
    with pytest.raises(RetryableToolError, match="empty"):
        SemanticSearch(text_ws)(query="  ", source="reviews")


def test_interrupted_indexing_keeps_its_work_and_resumes(text_ws, fake, monkeypatch):
    import tools.textindex as textindex

    monkeypatch.setattr(textindex, "ENCODE_CHUNK", 8)
    real_encode = fake.encode
    calls = {"n": 0}

    def failing_encode(texts, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the person pressed Ctrl-C during the third chunk
        return real_encode(texts, **kwargs)

    monkeypatch.setattr(fake, "encode", failing_encode)
    with pytest.raises(KeyboardInterrupt):
        index_source(text_ws, "reviews")
    monkeypatch.setattr(fake, "encode", real_encode)
    resumed = index_source(text_ws, "reviews")
    assert resumed.unchanged == 16 and resumed.embedded == 14  # two chunks of 8 were kept
