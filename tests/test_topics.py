from __future__ import annotations

import pandas as pd
import pytest

from tests.text_helpers import WordHashEmbedder
from tools import embeddings
from tools.base import ToolError
from tools.topics import ClusterTexts

DELIVERY = [
    "parcel delivery was late",
    "late delivery parcel lost",
    "courier delivery late again",
    "parcel arrived late courier",
    "delivery late parcel damaged",
    "courier lost my parcel delivery",
    "late courier delivery",
    "parcel delivery courier slow late",
    "delivery very late parcel",
    "parcel late courier delivery missing",
    "courier delivery parcel late",
    "slow late delivery parcel",
]
SIZING = [
    "dress size too small fabric",
    "fabric thin dress small size",
    "small size dress tight fabric",
    "dress fabric cheap size small",
    "size chart wrong dress small",
    "dress too small size fabric itchy",
    "tight small dress size",
    "fabric dress size small runs",
    "dress small size fabric poor",
    "size small dress fabric tight",
    "runs small dress size fabric",
    "dress size fabric small short",
]


@pytest.fixture
def fake(monkeypatch):
    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    return embedder


@pytest.fixture
def feedback(ws):
    texts = DELIVERY + SIZING
    df = pd.DataFrame(
        {"id": range(1, len(texts) + 1), "body": texts, "stars": [1] * len(DELIVERY) + [2] * len(SIZING)}
    )
    ws.save_table("feedback", df, source="test")
    return ws


def test_two_clear_themes_become_two_topics_with_their_keywords(feedback, fake):
    result = ClusterTexts(feedback)(source="feedback.body")
    topics = result.tables[0].df
    assert len(topics) == 2 and topics["size"].tolist() == [12, 12]
    assert topics["share"].sum() == pytest.approx(1.0)
    words = {t: set(k.split(", ")) for t, k in zip(topics["topic"], topics["keywords"], strict=True)}
    assert any({"delivery", "parcel"} <= w for w in words.values())
    assert any({"dress", "size"} <= w for w in words.values())
    assignments = result.tables[1].df
    by_topic = assignments.groupby("topic")["text"].apply(set)
    assert set(map(frozenset, by_topic)) == {frozenset(DELIVERY), frozenset(SIZING)}
    assert result.chart is not None and result.fact("topics") == 2


def test_fixed_k_filter_and_hdbscan(feedback, fake):
    three = ClusterTexts(feedback)(source="feedback.body", k=3).tables[0].df
    assert len(three) == 3 and three["size"].sum() == 24
    only_sizing = ClusterTexts(feedback)(source="feedback.body", k=2, where=[{"field": "stars", "value": 2}])
    assert set(only_sizing.tables[1].df["text"]) == set(SIZING)
    hdb = ClusterTexts(feedback)(source="feedback.body", method="hdbscan").tables[0].df
    assert hdb["size"].sum() == 24


def test_too_few_texts_is_a_clear_error(feedback, fake):
    with pytest.raises(ToolError, match="at least"):
        ClusterTexts(feedback)(source="feedback.body", where=[{"field": "stars", "value": 5}])


def test_hdbscan_noise_is_no_topic(ws, fake):
    odd = ["delivery dress", "parcel fabric", "courier size", "late small"]  # half of each theme
    texts = DELIVERY + SIZING + odd
    ws.save_table("feedback", pd.DataFrame({"id": range(1, len(texts) + 1), "body": texts}), source="test")
    result = ClusterTexts(ws)(source="feedback.body", method="hdbscan")
    topics, assignments = result.tables[0].df, result.tables[1].df
    unassigned = result.fact("texts_without_topic")
    assert unassigned >= 1 and -1 not in topics["topic"].tolist()
    assert topics["size"].sum() + unassigned == len(texts) and len(topics) == 2
    assert set(assignments.loc[assignments["topic"].isna(), "text"]) <= set(odd)
    assert f"no topic: {unassigned}" in result.text


def test_hdbscan_with_nothing_but_noise_says_so(ws, fake):
    texts = [f"word{i} other{i} thing{i}" for i in range(12)]
    ws.save_table("notes", pd.DataFrame({"id": range(12), "body": texts}), source="test")
    with pytest.raises(ToolError, match="found no topic"):
        ClusterTexts(ws)(source="notes.body", method="hdbscan")
