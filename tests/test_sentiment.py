from __future__ import annotations

import pytest

from tests.text_helpers import WordHashEmbedder, reviews_frame
from tools import embeddings
from tools.base import RetryableToolError
from tools.sentiment import ReviewSentiment, model_path


@pytest.fixture
def fake(monkeypatch):
    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    return embedder


@pytest.fixture
def reviews_ws(ws):
    ws.save_table("clothing_reviews", reviews_frame(), source="test")
    return ws


def test_train_measures_both_models_and_saves(reviews_ws, fake):
    result = ReviewSentiment(reviews_ws)(mode="train", target="recommended")
    metrics = result.tables[0].df
    assert metrics["model"].tolist() == [
        "embeddings + logistic regression",
        "tf-idf + logistic regression (baseline)",
    ]
    assert metrics["test_rows"].tolist() == [6, 6] and metrics["train_rows"].tolist() == [24, 24]
    for col in ("accuracy", "macro_f1", "roc_auc"):
        assert metrics[col].between(0, 1).all()
    confusion = result.tables[1].df
    numbers = confusion.drop(columns=["model", "actual"])
    assert numbers.to_numpy().sum() == 12  # 6 held-out reviews x 2 models
    # stratified split: 12 of 30 reviews are not recommended -> 2 or 3 of the 6 held out
    held_out_negatives = (
        confusion[confusion["actual"] == "not recommended"].drop(columns=["model", "actual"]).sum(axis=1)
    )
    assert set(held_out_negatives) <= {2, 3}
    assert model_path(reviews_ws, "recommended").exists()
    assert result.fact("embedding_model.accuracy") == metrics["accuracy"][0]
    # the model with the better held-out macro F1 is the one that predicts
    better = metrics["model"][int(metrics["macro_f1"][1] > metrics["macro_f1"][0])]
    assert result.fact("predicting_model") == better


def test_predict_uses_saved_model_without_retraining(reviews_ws, fake):
    ReviewSentiment(reviews_ws)(mode="train", target="recommended")
    encoded = fake.encoded
    result = ReviewSentiment(reviews_ws)(
        mode="predict",
        texts=["beautiful dress, perfect fit, love it", "cheap fabric, too small, returning it"],
    )
    assert fake.encoded <= encoded + 2  # at most the two new texts: no retraining
    df = result.table
    assert df["prediction"].tolist() == ["recommended", "not recommended"]
    assert df["p_recommended"][0] > 0.5 > df["p_recommended"][1]


def test_rating_target_and_evaluate(reviews_ws, fake):
    trained = ReviewSentiment(reviews_ws)(mode="train", target="rating")
    evaluated = ReviewSentiment(reviews_ws)(mode="evaluate", target="rating")
    assert evaluated.tables[0].df.equals(trained.tables[0].df)  # the saved model's numbers, not a retrain
    df = ReviewSentiment(reviews_ws)(mode="predict", target="rating", texts=["soft and cozy, love it"]).table
    assert df["prediction"][0].endswith("stars") and 1 <= df["expected_rating"][0] <= 5


def test_score_table_writes_scores_joinable_in_sql(reviews_ws, fake):
    result = ReviewSentiment(reviews_ws)(mode="score_table", table="clothing_reviews", column="Review Text")
    assert "clothing_reviews_sentiment" in reviews_ws.tables()
    joined = reviews_ws.query(result.sql[0])
    assert len(joined) == 30
    agree = ((joined["prediction"] == "recommended") == (joined["Recommended IND"] == 1)).mean()
    assert agree >= 0.8  # mostly its own training data
    with pytest.raises(RetryableToolError):
        ReviewSentiment(reviews_ws)(
            mode="score_table",
            table="clothing_reviews",
            column="Review Text",
            output_table="clothing_reviews",
        )


def test_predict_needs_text(reviews_ws, fake):
    with pytest.raises(RetryableToolError, match="texts"):
        ReviewSentiment(reviews_ws)(mode="predict", texts=[" "])
