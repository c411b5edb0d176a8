"""predict_churn's backtest on the demo tables, with and without a product-taste feature.

For each table and window (60 and 90 days) it prints the validation figures of the models predict_churn
tries and of the recency-only baseline: AUC and top-decile lift (churn rate among the 10% highest scored
over the base rate), on the tool's own time split (tools/churn.py). Where the table names products, the
same backtest runs again with each customer's product taste added: the mean sentence embedding of the
distinct product descriptions they bought before the cut-off, reduced to 8 dimensions by a PCA fitted on
the training set. The tool leaves that feature out (see the figures and the embedding time printed here).

    python -m benchmarks.churn_eval
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import churn  # noqa: E402
from tools.workspace import Workspace, quote_ident  # noqa: E402

TABLES = ("online_retail", "cdnow_transactions")
WINDOWS = (60, 90)
TASTE_DIMS = 8


def purchased_products(ws: Workspace, table: str) -> pd.DataFrame | None:
    """Distinct (customer, product description, first day bought) of non-cancelled lines; None without
    a product name column."""
    roles = ws.roles(table)
    if not roles["product_name"]:
        return None
    cust, ts = quote_ident(roles["customer_id"]), quote_ident(roles["timestamp"])
    name = quote_ident(roles["product_name"])
    return ws.query(
        f"SELECT {cust} AS customer, {name} AS product, min(CAST({ts} AS DATE)) AS day "
        f"FROM {quote_ident(table)} WHERE {cust} IS NOT NULL AND {name} IS NOT NULL "
        f"AND NOT ({roles.cancelled}) GROUP BY customer, product",
        max_rows=None,
    )


def embed_products(products: pd.DataFrame) -> tuple[pd.Index, np.ndarray, float]:
    """Each distinct description's embedding (one batch pass), and the seconds it took with the load."""
    from tools.embeddings import get_embedder

    names = pd.Index(sorted(products["product"].unique()))
    start = time.perf_counter()
    vectors = get_embedder().encode(list(names), batch_size=64)
    return names, vectors, time.perf_counter() - start


def taste(part: pd.DataFrame, products: pd.DataFrame, cutoff, names: pd.Index, vectors: np.ndarray):
    """Per customer of ``part`` (in its order), the mean embedding of the products bought up to ``cutoff``."""
    bought = products[products["day"] <= pd.Timestamp(cutoff)]
    rows = pd.Index(part["customer"]).get_indexer(bought["customer"])
    cols = names.get_indexer(bought["product"])
    keep = rows >= 0
    sums = np.zeros((len(part), vectors.shape[1]))
    np.add.at(sums, rows[keep], vectors[cols[keep]])
    counts = np.bincount(rows[keep], minlength=len(part))[:, None]
    return sums / np.maximum(counts, 1)


def with_taste(sets, split, products, names, vectors) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tool's design for training and validation plus the PCA-reduced taste (PCA fitted on training)."""
    from sklearn.decomposition import PCA

    train = taste(sets["train"], products, split.train_cutoff, names, vectors)
    valid = taste(sets["validation"], products, split.validation_cutoff, names, vectors)
    pca = PCA(n_components=TASTE_DIMS, random_state=churn.SEED).fit(train)
    columns = [f"taste {i + 1}" for i in range(TASTE_DIMS)]
    x_train = churn.design(sets["train"]).join(pd.DataFrame(pca.transform(train), columns=columns))
    x_valid = churn.design(sets["validation"]).join(pd.DataFrame(pca.transform(valid), columns=columns))
    return x_train, x_valid


def evaluate(ws: Workspace, table: str) -> pd.DataFrame:
    products = purchased_products(ws, table)
    embedded = embed_products(products) if products is not None else None
    if embedded:
        print(f"{table}: embedded {len(embedded[0]):,} descriptions in {embedded[2]:.1f} s (with model load)")
    frames = []
    for days in WINDOWS:
        split = churn.split_dates(ws, table, days)
        start = time.perf_counter()
        sets, _ = churn.customer_sets(ws, table, split)
        plain = churn.backtest(sets["train"], sets["validation"])
        print(f"{table} {days} days: features and backtest in {time.perf_counter() - start:.1f} s")
        frames.append(_rows(table, days, "base", plain))
        if embedded:
            x_train, x_valid = with_taste(sets, split, products, embedded[0], embedded[1])
            tasted = churn.backtest(sets["train"], sets["validation"], x_train, x_valid)
            frames.append(_rows(table, days, "base + taste", tasted))
    return pd.concat(frames, ignore_index=True)


def _rows(table: str, days: int, features: str, test: churn.Backtest) -> pd.DataFrame:
    out = test.scores.copy()
    out.insert(0, "features", features)
    out.insert(0, "days", days)
    out.insert(0, "table", table)
    out["kept"] = np.where(out["scorer"] == test.chosen, "*", "")
    return out


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(home)
        results = pd.concat([evaluate(ws, table) for table in TABLES], ignore_index=True)
        ws.close()
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(results.to_string(index=False))


if __name__ == "__main__":
    main()
