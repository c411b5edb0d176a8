"""``review_sentiment``: a review classifier trained on the clothing reviews' own labels.

Two models are trained in the same run on the same stratified split: logistic regression on the sentence
embeddings (the product's model) and logistic regression on TF-IDF word features (the baseline it has to
beat). Both are measured on the held-out 20% (accuracy, macro F1, ROC AUC, confusion matrix) and saved in
the workspace; ``predict`` scores new text and ``score_table`` writes scores for a whole column as a table.
Review embeddings come from the reviews search index, so training after a search costs no embedding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools import embeddings
from tools.base import Fact, RetryableToolError, Table, Tool, ToolError, ToolResult
from tools.search import ensure_index
from tools.textsources import column_source, get_source

if TYPE_CHECKING:
    from tools.workspace import Workspace

Target = Literal["recommended", "rating"]
LABEL_NAMES = {
    "recommended": {0: "not recommended", 1: "recommended"},
    "rating": {r: f"{r} stars" for r in range(1, 6)},
}


class SentimentArgs(BaseModel):
    mode: Literal["predict", "train", "evaluate", "score_table"] = Field(
        "predict",
        description="predict: score texts; train: (re)train and measure; evaluate: the saved model's "
        "measured quality; score_table: score a text column and save the scores as a table.",
    )
    target: Target = Field(
        "recommended",
        description="Predict whether the reviewer recommends (recommended) or the star rating 1-5 (rating).",
    )
    texts: list[str] | None = Field(None, description="Review texts to score (mode predict).")
    table: str | None = Field(None, description="Table whose text column to score (mode score_table).")
    column: str | None = Field(None, description="Text column to score (mode score_table).")
    output_table: str | None = Field(
        None, description="Name for the table of scores (default TABLE_sentiment)."
    )


@dataclass
class SentimentModel:
    """Both trained classifiers with their held-out measurements."""

    target: str
    embedding_model: str
    classifier: Any  # LogisticRegression on embeddings
    baseline: Any  # TF-IDF + LogisticRegression pipeline
    metrics: pd.DataFrame
    confusion: pd.DataFrame
    trained_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def chosen(self) -> int:
        """Which model predicts: the one with the better held-out macro F1 (0 embeddings, 1 TF-IDF baseline).

        Measured, not assumed: on the clothing reviews the TF-IDF baseline scores higher than MiniLM embeddings.
        """
        f1 = self.metrics["macro_f1"].fillna(-1).tolist()
        return 1 if f1[1] > f1[0] else 0

    @property
    def chosen_name(self) -> str:
        return str(self.metrics["model"][self.chosen])

    def predict(self, texts: list[str], vectors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Predicted labels and class probabilities (columns in ``classes``) from the chosen model;
        ``vectors`` are the texts' embeddings when the caller already has them."""
        if self.chosen == 1:
            proba = self.baseline.predict_proba(texts)
        else:
            vectors = embeddings.get_embedder().encode(texts) if vectors is None else vectors
            proba = self.classifier.predict_proba(vectors)
        return self.classes[proba.argmax(axis=1)], proba

    @property
    def classes(self) -> np.ndarray:
        return self.classifier.classes_


class ReviewSentiment(Tool):
    name = "review_sentiment"
    description = (
        "Predict whether a review recommends the product (or its 1-5 star rating) with a model trained "
        "on the clothing reviews, report the model's measured accuracy, or score a whole text column "
        "into a table for SQL."
    )
    Args = SentimentArgs

    def run(self, args: SentimentArgs) -> ToolResult:
        if args.mode == "train":
            return metrics_result(train(self.ws, args.target), trained_now=True)
        model, trained_now = load_or_train(self.ws, args.target)
        if args.mode == "evaluate":
            return metrics_result(model, trained_now)
        if args.mode == "predict":
            if not args.texts or not any(t.strip() for t in args.texts):
                raise RetryableToolError("Give the review texts to score in 'texts'.")
            return predict_result(model, args.texts)
        if not args.table or not args.column:
            raise RetryableToolError("Mode score_table needs 'table' and 'column'.")
        return score_table(self.ws, model, args.table, args.column, args.output_table)


# -- training ---------------------------------------------------------------------------------------------
def model_path(ws: Workspace, target: str) -> Path:
    return ws.subdir("models") / f"sentiment_{target}.joblib"


def training_data(ws: Workspace, target: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Review texts, their embeddings (from the reviews index) and labels, for reviews that have the label."""
    index = ensure_index(ws, get_source(ws, "reviews"))
    got = index.fetch(["documents", "embeddings", "metadatas"])
    keep = [i for i, m in enumerate(got["metadatas"]) if m and m.get(target) is not None]
    texts = [got["documents"][i] for i in keep]
    vectors = np.asarray([got["embeddings"][i] for i in keep], dtype=np.float32)
    labels = np.asarray([int(got["metadatas"][i][target]) for i in keep])
    return texts, vectors, labels


def train(ws: Workspace, target: str, test_size: float = 0.2, seed: int = 0) -> SentimentModel:
    """Train and measure both classifiers on one stratified split, save them, return the model."""
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    texts, vectors, labels = training_data(ws, target)
    counts = pd.Series(labels).value_counts()
    if len(counts) < 2 or counts.min() < 2:
        raise ToolError(f"Too few labelled reviews to train a {target} model ({len(labels)} reviews).")
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=test_size, stratify=labels, random_state=seed
    )
    # Balanced class weights: the minority (not recommended, low ratings) is what a marketer looks for.
    classifier = LogisticRegression(max_iter=2000, class_weight="balanced")
    classifier.fit(vectors[train_idx], labels[train_idx])
    baseline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(max_iter=2000, class_weight="balanced"),
    )
    baseline.fit([texts[i] for i in train_idx], labels[train_idx])

    y_test = labels[test_idx]
    results = {
        "embeddings + logistic regression": classifier.predict_proba(vectors[test_idx]),
        "tf-idf + logistic regression (baseline)": baseline.predict_proba([texts[i] for i in test_idx]),
    }
    rows, confusions = [], []
    for name, proba in results.items():
        rows.append(
            {
                "model": name,
                **_scores(y_test, proba, classifier.classes_),
                "train_rows": len(train_idx),
                "test_rows": len(test_idx),
            }
        )
        confusions.append(
            _confusion(name, y_test, classifier.classes_[proba.argmax(axis=1)], classifier.classes_, target)
        )
    model = SentimentModel(
        target,
        embeddings.get_embedder().name,
        classifier,
        baseline,
        pd.DataFrame(rows),
        pd.concat(confusions, ignore_index=True),
    )
    joblib.dump(model, model_path(ws, target))
    return model


def load_or_train(ws: Workspace, target: str) -> tuple[SentimentModel, bool]:
    """The saved model for ``target`` (trained now if there is none, or it used another embedding model)."""
    import joblib

    path = model_path(ws, target)
    if path.exists():
        model = joblib.load(path)
        if model.embedding_model == embeddings.get_embedder().name:
            return model, False
    return train(ws, target), True


def _scores(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> dict[str, float]:
    import warnings

    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    predicted = classes[proba.argmax(axis=1)]
    warnings.simplefilter("ignore", UndefinedMetricWarning)  # a tiny split may miss a class: AUC is NaN
    try:
        if len(classes) == 2:
            auc = roc_auc_score(y, proba[:, 1])
        else:
            auc = roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
    except ValueError:  # a class missing from a tiny test split: AUC is undefined, not zero
        auc = float("nan")
    return {
        "accuracy": round(float(accuracy_score(y, predicted)), 4),
        "macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
        "roc_auc": round(float(auc), 4),
    }


def _confusion(
    model: str, y: np.ndarray, predicted: np.ndarray, classes: np.ndarray, target: str
) -> pd.DataFrame:
    from sklearn.metrics import confusion_matrix

    names = [LABEL_NAMES[target].get(int(c), str(c)) for c in classes]
    matrix = confusion_matrix(y, predicted, labels=classes)
    df = pd.DataFrame(matrix, columns=[f"predicted {n}" for n in names])
    df.insert(0, "actual", names)
    df.insert(0, "model", model)
    return df


# -- results ----------------------------------------------------------------------------------------------
def metrics_result(model: SentimentModel, trained_now: bool) -> ToolResult:
    when = "trained now" if trained_now else f"trained {model.trained_at}"
    lines = [
        f"Review {model.target} model ({when}), measured on {int(model.metrics['test_rows'][0]):,} held-out reviews:"
    ]
    facts = []
    for row in model.metrics.itertuples():
        lines.append(
            f"- {row.model}: accuracy {row.accuracy:.3f}, macro F1 {row.macro_f1:.3f}, ROC AUC {row.roc_auc:.3f}"
        )
        key = "embedding_model" if row.Index == 0 else "baseline"
        facts += [
            Fact(f"{key}.{m}", float(getattr(row, m)), source=f"review_sentiment {model.target} held-out")
            for m in ("accuracy", "macro_f1", "roc_auc")
        ]
    lines.append(f"Predictions use the {model.chosen_name} model (the higher macro F1).")
    facts.append(Fact("predicting_model", model.chosen_name, source=f"review_sentiment {model.target}"))
    return ToolResult(
        text="\n".join(lines),
        tables=[Table("metrics", model.metrics), Table("confusion", model.confusion)],
        facts=facts,
    )


def predict_result(model: SentimentModel, texts: list[str]) -> ToolResult:
    df = _prediction_frame(model, texts)
    df.insert(0, "text", texts)
    best = model.metrics.iloc[model.chosen]
    lines = [
        f"{t[:80]!r}: {p} ({q:.0%})"
        for t, p, q in zip(texts, df["prediction"], df["probability"], strict=True)
    ]
    text = "\n".join(lines) + f"\n({best['model']}: accuracy {best['accuracy']:.3f} on held-out reviews)"
    facts = [
        Fact("model_accuracy", float(best["accuracy"]), source=f"review_sentiment {model.target} held-out")
    ]
    if len(texts) == 1:
        facts += [
            Fact("prediction", str(df["prediction"][0]), "review_sentiment"),
            Fact("probability", round(float(df["probability"][0]), 4), "review_sentiment"),
        ]
    return ToolResult(text=text, tables=[Table("predictions", df)], facts=facts)


def _prediction_frame(
    model: SentimentModel, texts: list[str], vectors: np.ndarray | None = None
) -> pd.DataFrame:
    """prediction (a label name) and probability; for ratings also the expected rating; for the binary
    target the probability of recommending."""
    labels, proba = model.predict(texts, vectors)
    names = LABEL_NAMES[model.target]
    df = pd.DataFrame(
        {"prediction": [names.get(int(v), str(v)) for v in labels], "probability": proba.max(axis=1)}
    )
    if model.target == "recommended":
        df["p_recommended"] = proba[:, list(model.classes).index(1)] if 1 in model.classes else 0.0
    else:
        df["expected_rating"] = proba @ model.classes.astype(float)
    return df.round(4)


def score_table(
    ws: Workspace, model: SentimentModel, table: str, column: str, output: str | None
) -> ToolResult:
    """Score every non-empty text of ``table.column`` and save the scores as a table keyed like the source."""
    source = column_source(ws, table, column)
    index = ensure_index(ws, source)  # the column's embeddings, computed once and reused by later runs
    got = index.fetch(["documents", "embeddings"])
    if not got["ids"]:
        raise ToolError(f"Column {column!r} of {table!r} has no text to score.")
    df = _prediction_frame(model, got["documents"], np.asarray(got["embeddings"], dtype=np.float32))
    ids = pd.Series(got["ids"])
    df.insert(0, source.id_label, ids.astype("int64") if source.id_numeric else ids)
    df = df.sort_values(source.id_label).reset_index(drop=True)
    name = output or f"{table}_sentiment"
    if name == table:
        raise RetryableToolError(
            "The scores table must not replace the table being scored; choose another name."
        )
    ws.save_table(name, df, source=f"review_sentiment:{model.target}", note=f"scores of {table}.{column}")
    join = "rowid" if source.id_column == "rowid" else f'"{source.id_column}"'
    sql = f'SELECT t.*, s.prediction, s.probability FROM "{table}" t JOIN "{name}" s ON t.{join} = s."{source.id_label}"'
    share = (df["prediction"] == df["prediction"].mode()[0]).mean()
    text = (
        f"Scored {len(df):,} texts of {table}.{column} ({model.target} model); saved as table {name!r}. "
        f"Most common prediction: {df['prediction'].mode()[0]} ({share:.0%})."
    )
    facts = [
        Fact("rows_scored", len(df), "review_sentiment"),
        *[
            Fact(f"{k}.share", round(float(v), 4), f"review_sentiment {name}")
            for k, v in df["prediction"].value_counts(normalize=True).items()
        ],
    ]
    return ToolResult(text=text, tables=[Table(name, df)], facts=facts, sql=[sql])
