"""``recommend_products``: products for a customer (from their history) or for a basket, with a reason each.

Up to four sources score every product the person does not have yet, each from the purchase data:

- rules: pair rules ``x => y`` over baskets (confidence, kept where lift > 1), best over the items held;
- sequences: the share of customers who bought ``x`` and bought ``y`` in a later order, best over items held;
- similarity: item co-occurrence similarity (cosine over customers), averaged over the items held;
- next_basket: a small torch model over customers' order sequences (tools/sequence_model.py), once trained.

Each source is scaled to 0..1 for the person, the sources are blended with fixed weights, and the reason
shown is the strongest contribution. ``benchmarks/recommend_eval.py`` measures the blend with and without
the next-basket model against a popularity and an item-kNN baseline on a time split.

The next-basket model takes one to two minutes to train on one CPU thread for a table the size of Online
Retail, so the tool does not wait for it: until its weights are cached for the data, the tool answers from
the other three sources, says so, and the model trains in a background thread
(tools/sequence_model.cached_or_training).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import BaseModel, Field

from tools.arg_types import TableName, TopN
from tools.base import Fact, RetryableToolError, Table, Tool, ToolResult
from tools.baskets import load_baskets
from tools.prefixspan import PrefixSpan

if TYPE_CHECKING:  # torch loads only when the model is used
    from tools.sequence_model import SequenceModel

WEIGHTS = {"rules": 0.35, "sequences": 0.35, "similarity": 0.3}
# The next-basket model's share of the blend when it is trained, the other sources keeping their proportions:
# best hit rate on a validation split inside the training period (benchmarks/recommend_eval.py --validate).
NEXT_BASKET_WEIGHT = 0.4
DEFAULT_TOP_N = 10
# Evidence floors: a pair rule needs 0.1% of baskets, "bought later" 0.5% of customers (at least 2 each),
# so that a pair seen twice among rare items does not read as a 100% rule.
PAIR_SHARE, SEQUENCE_SHARE = 0.001, 0.005


class RecommendArgs(BaseModel):
    table: TableName = Field(None, description="Sales table (default: the current sales table).")
    customer: str | None = Field(
        None, description="Customer id to recommend for, from their purchase history."
    )
    products: list[str] | None = Field(
        None,
        description="A basket of product names or ids to recommend for "
        "(instead of a customer); fuzzy matched.",
    )
    top_n: TopN = Field(None, ge=1, le=100, description="Number of recommendations (default 10).")


@dataclass
class Recommender:
    """Scores fitted on purchase lines with columns basket_id, item, customer_id (and ts for sequences)."""

    items: list[str]
    rules: sp.csr_matrix  # confidence of x => y where lift > 1
    rule_lift: sp.csr_matrix
    later: sp.csr_matrix  # share of x's buyers who bought y in a later order
    similarity: sp.csr_matrix  # cosine over customers, zero diagonal
    popularity: np.ndarray  # baskets per item
    next_basket: SequenceModel | None = None  # trained on the same lines, so over the same items
    next_basket_weight: float = NEXT_BASKET_WEIGHT

    @classmethod
    def fit(cls, lines: pd.DataFrame, next_basket: SequenceModel | None = None) -> Recommender:
        items = sorted(lines["item"].unique())
        index = pd.Index(items)
        baskets = _matrix(lines, "basket_id", index)
        rules, lift = _pair_rules(baskets)
        customers = lines.dropna(subset=["customer_id"])
        later = _later(customers, index) if "ts" in customers else sp.csr_matrix((len(items), len(items)))
        similarity = item_similarity(_matrix(customers, "customer_id", index))
        popularity = np.asarray(baskets.sum(axis=0)).ravel()
        if next_basket is not None and next_basket.items != items:
            raise ValueError("the next-basket model was trained on other items")
        return cls(items, rules, lift, later, similarity, popularity, next_basket)

    @property
    def weights(self) -> dict[str, float]:
        if self.next_basket is None:
            return WEIGHTS
        rest = {s: w * (1 - self.next_basket_weight) for s, w in WEIGHTS.items()}
        return rest | {"next_basket": self.next_basket_weight}

    def index_of(self, held: list[str]) -> np.ndarray:
        lookup = {item: n for n, item in enumerate(self.items)}
        return np.array(sorted({lookup[i] for i in held if i in lookup}), dtype=np.int64)

    def scores(self, held: np.ndarray, orders: list[list[int]] | None = None) -> dict[str, np.ndarray]:
        """Per source, a 0..1 score for every item (held items get -inf in the blend).

        ``orders`` are the held items as orders in time order (for the next-basket model); by default the
        held items are one order, as for a basket.
        """
        n = len(self.items)
        if not len(held):
            return {s: np.zeros(n) for s in self.weights}
        raw = {
            "rules": np.asarray(self.rules[held].max(axis=0).todense()).ravel(),
            "sequences": np.asarray(self.later[held].max(axis=0).todense()).ravel(),
            "similarity": np.asarray(self.similarity[held].sum(axis=0)).ravel() / len(held),
        }
        if self.next_basket is not None:
            raw["next_basket"] = self.next_basket.relative(orders or [held.tolist()])
        return {s: v / v.max() if v.max() > 0 else v for s, v in raw.items()}

    def recommend(
        self, held: np.ndarray, top_n: int = DEFAULT_TOP_N, orders: list[list[int]] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Indices of the best ``top_n`` items not held, and the per-source scores."""
        parts = self.scores(held, orders)
        weights = self.weights
        blend = sum(weights[s] * parts[s] for s in weights)
        # Popularity only breaks ties (and fills in for a person with no usable history).
        blend = blend + 1e-6 * self.popularity / max(self.popularity.max(), 1)
        blend[held] = -np.inf
        top = np.argsort(-blend, kind="stable")[:top_n]
        top = top[np.isfinite(blend[top])]
        return top, parts | {"blend": blend}

    def reason(self, item: int, held: np.ndarray, parts: dict[str, np.ndarray], label) -> tuple[str, str]:
        """(source, sentence) for the strongest contribution to ``item``'s score."""
        weights = self.weights
        source = max(weights, key=lambda s: weights[s] * parts[s][item])
        if parts[source][item] <= 0:
            return "popularity", f"popular: in {int(self.popularity[item]):,} baskets"
        if source == "next_basket":
            return source, "customers with similar purchase sequences bought it next"
        matrix = {"rules": self.rules, "sequences": self.later, "similarity": self.similarity}[source]
        column = np.asarray(matrix[held, item].todense()).ravel()
        best = held[int(column.argmax())]
        value = column.max()
        if source == "rules":
            lift = self.rule_lift[best, item]
            return source, f"in {value:.0%} of baskets with {label(self.items[best])} (lift {lift:.1f})"
        if source == "sequences":
            return source, f"{value:.0%} of buyers of {label(self.items[best])} bought it in a later order"
        return source, f"bought by the same customers as {label(self.items[best])} (similarity {value:.2f})"


def _matrix(lines: pd.DataFrame, row_col: str, index: pd.Index) -> sp.csr_matrix:
    pairs = lines[[row_col, "item"]].drop_duplicates()
    rows, _ = pd.factorize(pairs[row_col])
    cols = index.get_indexer(pairs["item"])
    shape = (int(rows.max()) + 1 if len(rows) else 0, len(index))
    return sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (rows, cols)), shape=shape)


def _pair_rules(baskets: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Confidence and lift of x => y for pairs in enough baskets (PAIR_SHARE), kept where lift > 1."""
    n = baskets.shape[0]
    co = (baskets.T @ baskets).tocoo()
    counts = np.asarray(baskets.sum(axis=0)).ravel()
    keep = (co.row != co.col) & (co.data >= max(2, math.ceil(PAIR_SHARE * n)))
    r, c, d = co.row[keep], co.col[keep], co.data[keep]
    confidence = d / counts[r]
    lift = confidence / (counts[c] / n)
    good = lift > 1
    shape = co.shape
    return (
        sp.csr_matrix((confidence[good], (r[good], c[good])), shape=shape),
        sp.csr_matrix((lift[good], (r[good], c[good])), shape=shape),
    )


def _later(lines: pd.DataFrame, index: pd.Index) -> sp.csr_matrix:
    """Share of each item's buyers who bought another item in a later order (PrefixSpan projections)."""
    ordered = (
        lines.groupby(["customer_id", "basket_id"], sort=False)
        .agg(ts=("ts", "min"), items=("item", tuple))
        .reset_index()
        .sort_values(["customer_id", "ts", "basket_id"])
    )
    sequences = ordered.groupby("customer_id", sort=False)["items"].apply(list).tolist()
    min_count = max(2, math.ceil(SEQUENCE_SHARE * len(sequences)))
    spans = PrefixSpan(sequences, min_count)
    rows, cols, vals = [], [], []
    positions = index.get_indexer(spans.items)
    lookup = dict(zip(spans.items, positions, strict=True))
    for item, pos in lookup.items():
        buyers, after = spans.followers(item)
        for other, count in after.items():
            if other != item and count >= min_count:
                rows.append(pos)
                cols.append(lookup[other])
                vals.append(count / buyers)
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(index), len(index)))


def item_similarity(user_items: sp.csr_matrix) -> sp.csr_matrix:
    """Cosine similarity of items over the rows (customers) that bought them, zero diagonal."""
    norms = np.sqrt(np.asarray(user_items.multiply(user_items).sum(axis=0)).ravel())
    norms[norms == 0] = 1
    scaled = user_items @ sp.diags(1 / norms)
    sim = (scaled.T @ scaled).tocsr()
    sim.setdiag(0)
    sim.eliminate_zeros()
    return sim


# Recommendations are asked for in their words ("recommend", "suggest", "what would they like").
SUGGEST_WORDS = re.compile(
    r"\b(?:recommend\w*|suggest\w*|offer|like|add\s+to|next\s+best|personali[sz]\w*|might\s+\w+|"
    r"could\s+they|suits?|what\s+else|should\s+we\s+(?:show|sell|pitch|offer))\b",
    re.IGNORECASE,
)


class RecommendProducts(Tool):
    name = "recommend_products"
    description = (
        "Recommend products for a customer (from their purchase history) or for a basket of products, "
        "blending basket rules, later-purchase sequences and item similarity, with a reason for each."
    )
    Args = RecommendArgs
    cue = SUGGEST_WORDS
    cue_claims = False

    def run(self, args: RecommendArgs) -> ToolResult:
        if bool(args.customer) == bool(args.products):
            raise RetryableToolError("Give either a customer id or a list of products, not both or neither.")
        data = load_baskets(
            self.ws, args.table, need_customers=bool(args.customer), purpose="recommendations for a customer"
        )
        if args.customer:
            bought = self._history(data.lines, args.customer, data.table)
            held_items = bought["item"].unique().tolist()
            who = f"customer {args.customer}"
        else:
            bought = None
            held_items = [
                max(data.resolve(p), key=lambda i: (data.lines["item"] == i).sum())
                for p in args.products or []
            ]
            who = "the basket " + ", ".join(data.label(i) for i in held_items)
        next_basket, note = self._next_basket(data.lines)
        model = Recommender.fit(data.lines, next_basket)
        held = model.index_of(held_items)
        orders = _orders(bought, model.items) if next_basket is not None and bought is not None else None
        top, parts = model.recommend(held, args.top_n or DEFAULT_TOP_N, orders)
        rows = []
        for rank, i in enumerate(top, 1):
            source, why = model.reason(int(i), held, parts, data.label)
            rows.append(
                (
                    rank,
                    data.label(model.items[i]),
                    model.items[i],
                    round(float(parts["blend"][i]), 4),
                    source,
                    why,
                )
            )
        table = pd.DataFrame(rows, columns=["rank", "product", "product_id", "score", "source", "reason"])
        source = f"recommend_products on {data.table} for {who}"
        facts = [Fact("items_held", len(held), source)]
        facts += [Fact(f"{r.product}.score", float(r.score), source) for r in table.itertuples()]
        lines = [f"{r.rank}. {r.product}: {r.reason}" for r in table.itertuples()]
        heading = f"Top {len(table)} products for {who} ({len(held)} products already bought):"
        return ToolResult(
            text="\n".join([heading, *lines, *([note] if note else [])]),
            tables=[Table("recommendations", table)],
            chart=_chart(table),
            facts=facts,
            sql=[data.sql],
        )

    def _next_basket(self, lines: pd.DataFrame) -> tuple[SequenceModel | None, str | None]:
        """The cached next-basket model for these lines, or None and a note while it trains in the background.

        None without a note where there are no dated customer orders to learn sequences from.
        """
        if "ts" not in lines or "customer_id" not in lines or lines["customer_id"].isna().all():
            return None, None
        from tools.sequence_model import cached_or_training

        model = cached_or_training(lines, self.ws.subdir("models"))
        if model is not None:
            return model, None
        return None, (
            "(The next-basket model is not trained on this data yet; it is training in the background, "
            "a few minutes, and later calls will use it. These come from rules, sequences and similarity.)"
        )

    @staticmethod
    def _history(lines: pd.DataFrame, customer: str, table: str) -> pd.DataFrame:
        """The customer's purchase lines."""
        wanted = customer.strip()
        if wanted.endswith(".0"):  # ids stored as floats in some files
            wanted = wanted[:-2]
        ids = lines["customer_id"].astype(str).str.replace(r"\.0$", "", regex=True)
        bought = lines[ids == wanted]
        if bought.empty:
            examples = ", ".join(ids.dropna().drop_duplicates().head(3))
            raise RetryableToolError(
                f"No purchases by customer {customer!r} in {table} (ids look like {examples})."
            )
        return bought


def _orders(bought: pd.DataFrame, items: list[str]) -> list[list[int]]:
    """One customer's orders in time order, as item indices (for the next-basket model)."""
    from tools.sequence_model import customer_histories

    return next(iter(customer_histories(bought, items).values()))


def _chart(table: pd.DataFrame):
    if table.empty:
        return None
    import plotly.express as px

    return px.bar(table, x="score", y="product", color="source", orientation="h", title="Recommendations")
