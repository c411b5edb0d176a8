"""The real packaged all-MiniLM-L6-v2 end to end: index, search by meaning, value and sentiment prediction."""

from __future__ import annotations

import pandas as pd

from tests.text_helpers import reviews_frame
from tools.embeddings import get_embedder
from tools.search import SemanticSearch, index_source
from tools.sentiment import ReviewSentiment
from tools.values import match_values


def test_real_embeddings_search_values_and_sentiment(ws):
    embedder = get_embedder()
    assert embedder.name == "all-MiniLM-L6-v2"
    vectors = embedder.encode(["dress", "gown", "parcel"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # meaning, not spelling

    ws.save_table("clothing_reviews", reviews_frame(), source="test")
    assert index_source(ws, "reviews").embedded == 30
    # Fit complaints ("too small", "too tight", "too long") share no keyword with the query: found by meaning.
    df = SemanticSearch(ws)(query="it did not fit, I needed a bigger one", source="reviews", top=3).table
    assert df["text"].str.contains("small|tight|long|size", case=False).all()

    ws.save_table(
        "shop",
        pd.DataFrame(
            {
                "Description": [
                    "WHITE HANGING HEART T-LIGHT HOLDER",
                    "WHITE METAL LANTERN",
                    "JUMBO BAG RED RETROSPOT",
                    "SET OF 3 CAKE TINS PANTRY DESIGN",
                ]
            }
        ),
        source="test",
    )
    semantic = [
        m for m in match_values(ws, "baking tins for cakes", table="shop", limit=3) if m.how == "semantic"
    ]
    assert semantic and semantic[0].value == "SET OF 3 CAKE TINS PANTRY DESIGN"

    out = ReviewSentiment(ws)(
        mode="predict",
        texts=[
            "Gorgeous, fits perfectly, I get compliments every time",
            "Terrible quality, it ripped and I sent it back",
        ],
    ).table
    assert out["prediction"].tolist() == ["recommended", "not recommended"]
