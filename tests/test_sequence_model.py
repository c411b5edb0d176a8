"""The torch next-basket model on tiny scripted histories, its cache, and its place in recommend_products."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from tools import sequence_model
from tools.recommend import Recommender, RecommendProducts
from tools.sequence_model import SequenceConfig, load_or_fit, wait_for_training

# Small and lightly regularised: the pattern is exact, and the test should train in well under a second.
TINY = SequenceConfig(dim=16, epochs=30, batch_size=8, lr=0.01, dropout=0.0, weight_decay=0.0)


def a_then_b(customers: int = 20) -> pd.DataFrame:
    """Half the customers buy A then B, the others C then D (one item per order, a day apart)."""
    rows = []
    for c in range(customers):
        first, then = ("A", "B") if c % 2 == 0 else ("C", "D")
        day = pd.Timestamp("2011-01-01") + pd.Timedelta(days=c)
        rows += [(f"{c}-1", first, str(c), day), (f"{c}-2", then, str(c), day + pd.Timedelta(days=1))]
    return pd.DataFrame(rows, columns=["basket_id", "item", "customer_id", "ts"])


def test_learns_what_comes_next(tmp_path):
    start = time.perf_counter()
    model, trained = load_or_fit(a_then_b(), tmp_path, TINY)
    elapsed = time.perf_counter() - start
    a, b, c, d = (model.items.index(i) for i in "ABCD")
    assert trained and elapsed < 5
    assert int(np.argmax(model.scores([[a]]))) == b
    assert int(np.argmax(model.scores([[c]]))) == d


def test_same_seed_same_scores_and_the_callers_rng_is_left_alone(tmp_path):
    items = ["A", "B", "C", "D"]
    histories = sequence_model.customer_histories(a_then_b(), items)
    before = torch.random.get_rng_state()
    first = sequence_model.fit(items, histories, TINY)
    assert torch.equal(before, torch.random.get_rng_state())
    second = sequence_model.fit(items, histories, TINY)
    assert np.array_equal(first.scores([[0], [2]]), second.scores([[0], [2]]))


def test_weights_are_cached_by_data_and_settings(tmp_path, monkeypatch):
    lines = a_then_b()
    model, trained = load_or_fit(lines, tmp_path, TINY)
    assert trained and len(list(tmp_path.glob("sequence_*.pt"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("trained again instead of loading the cache")

    monkeypatch.setattr(sequence_model, "fit", no_training)
    start = time.perf_counter()
    again, trained = load_or_fit(
        lines.sample(frac=1, random_state=0), tmp_path, TINY
    )  # row order is no matter
    assert not trained and time.perf_counter() - start < 1
    assert np.array_equal(model.scores([[0]]), again.scores([[0]]))
    monkeypatch.undo()
    assert load_or_fit(a_then_b(customers=22), tmp_path, TINY)[1]  # other data: another model
    assert load_or_fit(lines, tmp_path, SequenceConfig(dim=8, epochs=1))[1]  # other settings too


def test_items_already_bought_are_excluded(tmp_path):
    model, _ = load_or_fit(a_then_b(), tmp_path, TINY)
    a, b, c, d = (model.items.index(i) for i in "ABCD")
    scores, relative = model.scores([[a], [c]]), model.relative([[a], [c]])
    assert np.isneginf(scores[[a, c]]).all() and np.isfinite(scores[[b, d]]).all()
    assert relative[a] == relative[c] == 0 and relative.max() == 1


def test_the_recommender_gives_the_model_a_reason(tmp_path):
    lines = a_then_b()
    model, _ = load_or_fit(lines, tmp_path, TINY)
    recommender = Recommender.fit(lines, model)
    held = recommender.index_of(["A"])
    top, parts = recommender.recommend(held, 1, [held.tolist()])
    assert recommender.items[top[0]] == "B"
    assert recommender.reason(int(top[0]), held, parts, str) == (
        "next_basket",
        "customers with similar purchase sequences bought it next",
    )


def test_a_cold_cache_answers_now_and_trains_in_the_background(ws):
    tool = RecommendProducts(ws)
    cold = tool(table="sales", customer="5")
    assert "training in the background" in cold.text
    assert set(cold.table["source"]) <= {"rules", "sequences", "similarity", "popularity"}
    wait_for_training(timeout=60)
    assert list((ws.home / "models").glob("sequence_*.pt"))
    warm = tool(table="sales", customer="5")
    assert "training in the background" not in warm.text
    assert set(warm.table["product"]).isdisjoint({"BLUE MUG", "CAKE TIN"})


def test_no_model_and_no_note_without_order_dates(ws):
    from tests.conftest import tiny_sales

    ws.save_table("undated", tiny_sales().drop(columns="InvoiceDate"), source="test")
    result = RecommendProducts(ws)(table="undated", customer="5")
    assert "next-basket" not in result.text and len(result.table)
    wait_for_training(timeout=60)
    assert not list((ws.home / "models").glob("sequence_*.pt"))
