"""Offline evaluation of recommend_products on Online Retail with a time split.

Fit on orders before 2011-10-01; for every customer with orders on both sides, recommend 10 products they
had not bought before the split and count the products they did buy after it for the first time.
Hit rate@10: share of those customers with at least one such product in their 10; precision@10: mean share
of the 10 that were bought. Baselines in the same run: popularity (most baskets before the split) and
item-kNN (cosine similarity of items over customers, summed over the customer's items).

    python -m benchmarks.recommend_eval
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.baskets import load_baskets  # noqa: E402
from tools.recommend import Recommender  # noqa: E402
from tools.workspace import Workspace  # noqa: E402

SPLIT = pd.Timestamp("2011-10-01")
K = 10


def split_lines() -> tuple[pd.DataFrame, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(home)
        lines = load_baskets(ws, "online_retail", need_customers=True).lines
        ws.close()
    return lines[lines["ts"] < SPLIT], lines[(lines["ts"] >= SPLIT) & lines["customer_id"].notna()]


def evaluate(rank, histories: dict, truths: dict) -> dict:
    hits = precision = 0.0
    for customer, held in histories.items():
        top = rank(held)[:K]
        found = len(set(top) & truths[customer])
        hits += found > 0
        precision += found / K
    n = len(histories)
    return {"hit_rate@10": hits / n, "precision@10": precision / n}


def main() -> None:
    train, test = split_lines()
    start = time.perf_counter()
    model = Recommender.fit(train)
    fit_s = time.perf_counter() - start
    index = {item: i for i, item in enumerate(model.items)}
    histories, truths = {}, {}
    train_items = train.dropna(subset=["customer_id"]).groupby("customer_id")["item"].agg(set)
    for customer, bought in test.groupby("customer_id")["item"].agg(set).items():
        if customer in train_items.index:
            new = {index[i] for i in bought - train_items[customer] if i in index} | {
                -1
                for i in bought - train_items[customer]
                if i not in index  # unseen items: always a miss
            }
            if new:
                histories[customer] = model.index_of(list(train_items[customer]))
                truths[customer] = new
    popular = np.argsort(-model.popularity, kind="stable")

    def by_popularity(held):
        return [i for i in popular[: K + len(held)] if i not in set(held)]

    def by_knn(held):
        scores = np.asarray(model.similarity[held].sum(axis=0)).ravel()
        scores[held] = -np.inf
        return np.argsort(-scores, kind="stable")

    def by_blend(held):
        return model.recommend(held, K)[0]

    print(
        f"train: orders before {SPLIT.date()} ({train['basket_id'].nunique():,} baskets); "
        f"test customers: {len(histories):,} (bought something new after the split); fit {fit_s:.1f} s"
    )
    print(f"{'method':<34}{'hit rate@10':>12}{'precision@10':>14}{'seconds':>9}")
    for name, rank in (
        ("popularity", by_popularity),
        ("item-kNN (cosine over customers)", by_knn),
        ("martmind blend (rules+seq+sim)", by_blend),
    ):
        start = time.perf_counter()
        m = evaluate(rank, histories, truths)
        print(
            f"{name:<34}{m['hit_rate@10']:>12.3f}{m['precision@10']:>14.4f}{time.perf_counter() - start:>9.1f}"
        )


if __name__ == "__main__":
    main()
