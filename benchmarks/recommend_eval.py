"""Offline evaluation of recommend_products on Online Retail with a time split.

Fit on orders before 2011-10-01; for every customer with orders on both sides, recommend 10 products they
had not bought before the split and count the products they did buy after it for the first time.
Hit rate@10: share of those customers with at least one such product in their 10; precision@10: mean share
of the 10 that were bought. Baselines in the same run: popularity (most baskets before the split) and
item-kNN (cosine similarity of items over customers, summed over the customer's items). The torch
next-basket model (tools/sequence_model.py) is trained on the same lines (1 torch thread, so timings are
comparable between machines), alone and blended with the recommender's blend.

``--validate`` runs the same on a split inside the training period (fit before 2011-08-01, test on
August-September) for several blend weights; tools/recommend.NEXT_BASKET_WEIGHT was picked there, never on
the test side.

    python -m benchmarks.recommend_eval [--validate]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.baskets import load_baskets  # noqa: E402
from tools.recommend import NEXT_BASKET_WEIGHT, Recommender  # noqa: E402
from tools.sequence_model import customer_histories, load_or_fit  # noqa: E402
from tools.workspace import Workspace  # noqa: E402

SPLIT = pd.Timestamp("2011-10-01")
VALIDATION = pd.Timestamp("2011-08-01")
K = 10


def split_lines(split: pd.Timestamp = SPLIT) -> tuple[pd.DataFrame, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(home)
        lines = load_baskets(ws, "online_retail", need_customers=True).lines
        ws.close()
    return lines[lines["ts"] < split], lines[(lines["ts"] >= split) & lines["customer_id"].notna()]


def evaluate(rank, customers: list, truths: dict) -> dict:
    hits = precision = 0.0
    for customer in customers:
        top = rank(customer)[:K]
        found = len(set(top) & truths[customer])
        hits += found > 0
        precision += found / K
    n = len(customers)
    return {"hit_rate@10": hits / n, "precision@10": precision / n}


def new_purchases(train: pd.DataFrame, test: pd.DataFrame, items: list[str]) -> dict:
    """Customer -> item indices first bought after the split (-1 for an item unseen before it: a miss)."""
    index = {item: i for i, item in enumerate(items)}
    train_items = train.dropna(subset=["customer_id"]).groupby("customer_id")["item"].agg(set)
    truths = {}
    for customer, bought in test.groupby("customer_id")["item"].agg(set).items():
        if customer in train_items.index:
            new = {index.get(i, -1) for i in bought - train_items[customer]}
            if new:
                truths[customer] = new
    return truths


def rankers(model: Recommender, sequence, orders: dict, weights: list[float]) -> dict:
    """Method name -> function from a customer to their ranked item indices."""
    popular = np.argsort(-model.popularity, kind="stable")

    def held(customer):
        return np.array(sorted({i for order in orders[customer] for i in order}), dtype=np.int64)

    def by_popularity(customer):
        had = set(held(customer))
        return [i for i in popular[: K + len(had)] if i not in had]

    def by_knn(customer):
        items = held(customer)
        scores = np.asarray(model.similarity[items].sum(axis=0)).ravel()
        scores[items] = -np.inf
        return np.argsort(-scores, kind="stable")

    def by_blend(customer):
        return model.recommend(held(customer), K)[0]

    def by_sequence(customer):
        return np.argsort(-sequence.scores(orders[customer]), kind="stable")

    def by_both(weight):
        both = replace(model, next_basket=sequence, next_basket_weight=weight)
        return lambda customer: both.recommend(held(customer), K, orders[customer])[0]

    return {
        "popularity": by_popularity,
        "item-kNN (cosine over customers)": by_knn,
        "martmind blend (rules+seq+sim)": by_blend,
        "sequence model (GRU, torch)": by_sequence,
        **{f"blend + sequence model (w={w})": by_both(w) for w in weights},
    }


def fit_seconds(name: str, fit_s: float, train_s: float) -> float:
    """The fitting behind a method: the recommender's fit, the sequence model's training, or both."""
    if name.startswith("sequence model"):
        return train_s
    return fit_s + train_s if "sequence model" in name else fit_s


def run(train: pd.DataFrame, test: pd.DataFrame, split: pd.Timestamp, weights: list[float]) -> None:
    start = time.perf_counter()
    model = Recommender.fit(train)
    fit_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as models:
        start = time.perf_counter()
        sequence, _ = load_or_fit(train, Path(models))
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        _, trained = load_or_fit(train, Path(models))
        load_s = time.perf_counter() - start
    truths = new_purchases(train, test, model.items)
    orders = customer_histories(train, model.items)
    customers = sorted(truths)
    print(
        f"train: orders before {split.date()} ({train['basket_id'].nunique():,} baskets); "
        f"test customers: {len(customers):,} (bought something new after the split); "
        f"fit {fit_s:.1f} s, sequence model trained in {train_s:.0f} s, "
        f"{'retrained' if trained else 'reloaded from its cache'} in {load_s:.2f} s"
    )
    print(f"{'method':<38}{'hit rate@10':>12}{'precision@10':>14}{'fit s':>7}{'eval s':>8}")
    for name, rank in rankers(model, sequence, orders, weights).items():
        fit = fit_seconds(name, fit_s, train_s)
        start = time.perf_counter()
        m = evaluate(rank, customers, truths)
        print(
            f"{name:<38}{m['hit_rate@10']:>12.3f}{m['precision@10']:>14.4f}{fit:>7.0f}"
            f"{time.perf_counter() - start:>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validate", action="store_true", help="validation split and a sweep of weights")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, test = split_lines()
    if args.validate:
        train, test = (
            train[train["ts"] < VALIDATION],
            train[(train["ts"] >= VALIDATION) & train["customer_id"].notna()],
        )
        run(train, test, VALIDATION, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    else:
        run(train, test, SPLIT, [NEXT_BASKET_WEIGHT])


if __name__ == "__main__":
    main()
