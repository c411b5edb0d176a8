"""``segment_customers``: RFM features in DuckDB, k-means, and a stable human name per segment.

Recency is days from a snapshot (the table's last date + 1 day) to the customer's last order, frequency is
the number of orders, monetary is net revenue (cancellations included, DESIGN.md metric definitions). The
features are log-transformed and standardised; k-means runs with fixed seeds, and k is chosen by silhouette
over 3..8 unless given (2 only when the data cannot form 3: on real stores silhouette favours a
useless two-way split, "active" vs "lapsed", which gives a marketer nothing to act on). Names come from matching each segment's RFM profile to archetypes (champions,
loyal, at risk, ...), one name per segment. The per-customer assignment is saved as a workspace table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools.arg_types import TableName
from tools.base import Fact, RetryableToolError, Table, Tool, ToolError, ToolResult, frame_facts
from tools.clv import value_expression
from tools.workspace import Workspace, quote_ident

DEFAULT_SAVE_AS = "customer_segments"
K_RANGE = range(3, 9)
SEED = 0
SAMPLE_SIZE = 20_000  # customers used to choose k (and for the silhouette) on large tables

# (recency goodness, frequency, monetary) in standard deviations from the average customer.
ARCHETYPES: dict[str, tuple[float, float, float]] = {
    "champions": (1.0, 1.5, 1.5),
    "loyal customers": (0.5, 1.0, 1.0),
    "new customers": (1.0, -0.8, -0.5),
    "promising": (0.5, -0.2, -0.2),
    "need attention": (0.0, 0.3, 0.3),
    "at risk": (-0.8, 0.8, 0.8),
    "about to sleep": (-0.4, -0.5, -0.5),
    "hibernating": (-1.2, -0.7, -0.7),
    "lost": (-1.5, -1.2, -1.2),
}


class SegmentArgs(BaseModel):
    table: TableName = Field(
        None,
        description="Sales table with customer, date and order columns (default: the current sales table).",
    )
    k: int | None = Field(
        None, ge=2, le=12, description="Number of segments (default: chosen by silhouette over 3..8)."
    )
    save_as: str | None = Field(
        None,
        description="Name of the table that receives each customer's segment (default customer_segments).",
    )


def rfm_sql(ws: Workspace, table: str) -> str:
    """The DuckDB query giving one row per customer: customer id, recency_days, frequency, monetary."""
    roles = ws.roles(table)
    cols = roles.require("customer_id", "timestamp", purpose="customer segments (RFM)")
    cust, ts = quote_ident(cols["customer_id"]), quote_ident(cols["timestamp"])
    amount = value_expression(roles, "customer segments")
    # Without an order id, each distinct purchase time counts as one order.
    order = quote_ident(roles["order_id"]) if roles["order_id"] else ts
    t = quote_ident(table)
    return (
        f"WITH lines AS (SELECT {cust} AS customer, {ts} AS ts, {order} AS order_id, {amount} AS amount, "
        f"({roles.cancelled}) AS cancelled FROM {t} WHERE {cust} IS NOT NULL AND {ts} IS NOT NULL), "
        f"snapshot AS (SELECT CAST(max({ts}) AS DATE) + 1 AS day FROM {t}) "
        f"SELECT customer AS {cust}, "
        "date_diff('day', CAST(max(ts) FILTER (WHERE NOT cancelled) AS DATE), (SELECT day FROM snapshot)) "
        "AS recency_days, count(DISTINCT order_id) FILTER (WHERE NOT cancelled) AS frequency, "
        "sum(amount) AS monetary FROM lines GROUP BY customer "
        "HAVING count(*) FILTER (WHERE NOT cancelled) > 0 ORDER BY customer"
    )


@dataclass
class Clustering:
    labels: np.ndarray
    k: int
    silhouette: float | None
    scores: dict[int, float]  # silhouette per k tried
    z_centres: np.ndarray  # per label: (recency goodness, frequency, monetary) in standard deviations


def rfm_features(rfm: pd.DataFrame) -> np.ndarray:
    """Log-transformed, standardised (recency, frequency, monetary); negative net revenue counts as 0."""
    from sklearn.preprocessing import StandardScaler

    raw = np.column_stack(
        [
            np.log1p(rfm["recency_days"].to_numpy(float)),
            np.log1p(rfm["frequency"].to_numpy(float)),
            np.log1p(np.clip(rfm["monetary"].to_numpy(float), 0, None)),
        ]
    )
    return StandardScaler().fit_transform(raw)


def cluster(features: np.ndarray, k: int | None = None) -> Clustering:
    """k-means with fixed seeds; k by best silhouette over 3..8 (on a fixed sample for large inputs)."""
    from threadpoolctl import threadpool_limits

    # Small inputs run single-threaded: OpenMP threads spinning against a busy machine made a 4,000-customer
    # k-means 80x slower than one thread.
    with threadpool_limits(limits=1 if len(features) < 200_000 else None):
        return _cluster(features, k)


def _cluster(features: np.ndarray, k: int | None) -> Clustering:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n_distinct = len(np.unique(features, axis=0))
    if n_distinct < 3 or (k is not None and k > n_distinct):
        raise ToolError(
            f"Only {n_distinct} distinct customer profiles; too few to form {k or 'at least 2'} segments."
        )
    rng = np.random.default_rng(SEED)
    sample = (
        features
        if len(features) <= SAMPLE_SIZE
        else features[rng.choice(len(features), SAMPLE_SIZE, replace=False)]
    )
    candidates = [k] if k else [c for c in K_RANGE if c < min(n_distinct, len(sample))] or [2]
    scores: dict[int, float] = {}
    centres: dict[int, np.ndarray] = {}
    for c in candidates:
        model = KMeans(n_clusters=c, n_init=4, random_state=SEED).fit(sample)
        centres[c] = model.cluster_centers_
        if len(np.unique(model.labels_)) > 1:
            scores[c] = float(
                silhouette_score(
                    sample, model.labels_, sample_size=min(len(sample), 5_000), random_state=SEED
                )
            )
    best = k or max(scores, key=lambda c: (scores[c], -c))
    final = KMeans(n_clusters=best, init=centres[best], n_init=1, random_state=SEED).fit(features)
    z = final.cluster_centers_ * np.array([-1.0, 1.0, 1.0])  # low recency is good
    return Clustering(final.labels_, best, scores.get(best), scores, z)


def name_segments(z_centres: np.ndarray) -> list[str]:
    """One archetype name per centre, matched for the least total distance (Hungarian assignment)."""
    from scipy.optimize import linear_sum_assignment

    names = list(ARCHETYPES)
    points = np.array(list(ARCHETYPES.values()))
    cost = np.linalg.norm(z_centres[:, None, :] - points[None, :, :], axis=2)
    if len(z_centres) <= len(names):
        rows, cols = linear_sum_assignment(cost)
        chosen = dict(zip(rows, cols, strict=True))
        return [names[chosen[i]] for i in range(len(z_centres))]
    # More segments than archetypes: nearest name, numbered where repeated.
    nearest = [names[j] for j in cost.argmin(axis=1)]
    return [f"{n} {nearest[:i].count(n) + 1}" if nearest.count(n) > 1 else n for i, n in enumerate(nearest)]


def profile(rfm: pd.DataFrame) -> pd.DataFrame:
    """One row per segment: size, shares, mean and median R/F/M; the biggest revenue share first."""
    grouped = rfm.groupby("segment")
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "revenue": grouped["monetary"].sum(),
            "mean_recency_days": grouped["recency_days"].mean(),
            "median_recency_days": grouped["recency_days"].median(),
            "mean_frequency": grouped["frequency"].mean(),
            "median_frequency": grouped["frequency"].median(),
            "mean_monetary": grouped["monetary"].mean(),
            "median_monetary": grouped["monetary"].median(),
        }
    )
    out.insert(1, "share_customers", out["customers"] / out["customers"].sum())
    total = out["revenue"].sum()
    out.insert(3, "share_revenue", out["revenue"] / total if total else np.nan)
    out = out.sort_values("revenue", ascending=False).reset_index()
    return out.round({c: 4 if c.startswith("share") else 2 for c in out.columns if c != "segment"})


# A segmentation is asked for in its own words ("segment", "RFM", "champions and at risk", "split the
# customers into groups"); "our 5 best customers by spend" is a ranking, not a segmentation.
SEGMENT_WORDS = re.compile(
    r"\b(?:segment\w*|rfm|recency|clusters?|clustering|clustered|champions?|at[- ]risk|hibernat\w*|dormant|"
    r"loyal\w*|vips?|tiers|personas?|profil\w*|slipping|lapsing|customer\s+(?:groups?|base)|"
    r"(?:groups?|kinds?|types?|sorts?)\s+of\s+(?:our\s+|the\s+)?(?:customers?|shoppers?|buyers?|clients?)|"
    r"(?:split|divide|group|bucket|break)\w*\s+(?:\w+\s+){0,3}(?:customers?|shoppers?|buyers?|clients?))\b",
    re.IGNORECASE,
)


class SegmentCustomers(Tool):
    name = "segment_customers"
    description = (
        "Segment customers by recency, frequency and monetary value (RFM + k-means) into named groups "
        "such as champions, loyal customers, at risk and hibernating, with a profile of each."
    )
    Args = SegmentArgs
    cue = SEGMENT_WORDS
    cue_claims = False

    def run(self, args: SegmentArgs) -> ToolResult:
        table = args.table or self.ws.sales_table()
        save_as = args.save_as or DEFAULT_SAVE_AS
        if save_as == table:
            raise RetryableToolError(f"save_as must differ from the source table {table!r}.")
        self.ws.columns(table)
        sql = rfm_sql(self.ws, table)
        rfm = self.ws.query(sql, timeout_s=max(self.ws.sql_timeout_s, 300))
        if len(rfm) < 3:
            raise ToolError(
                f"{table} has {len(rfm)} customers with orders; at least 3 are needed to segment."
            )
        result = cluster(rfm_features(rfm), args.k)
        names = name_segments(result.z_centres)
        rfm["segment"] = [names[i] for i in result.labels]
        self.ws.save_table(
            save_as,
            rfm,
            source=f"segment_customers:{table}",
            note=f"RFM k-means segments of {table} (k={result.k})",
        )
        prof = profile(rfm)
        source = f"segment_customers on {table} (k={result.k})"
        facts = [Fact("customers", len(rfm), source), Fact("segments", result.k, source)]
        if result.silhouette is not None:
            facts.append(Fact("silhouette", round(result.silhouette, 4), source))
        return ToolResult(
            text=_summary(prof, len(rfm), result, save_as, args.k is None),
            tables=[Table("segments", prof)],
            chart=_chart(prof),
            facts=facts + frame_facts(prof, source),
            sql=[sql],
        )


def _summary(prof: pd.DataFrame, n: int, result: Clustering, save_as: str, chosen: bool) -> str:
    how = (
        f"k={result.k} chosen by silhouette ({result.silhouette:.3f})"
        if chosen and result.silhouette is not None
        else f"k={result.k}"
    )
    lines = [
        f"{n:,} customers in {result.k} segments ({how}); each customer's segment is in table {save_as}."
    ]
    for r in prof.itertuples():
        lines.append(
            f"{r.segment}: {r.customers:,} customers ({r.share_customers:.1%}), {r.share_revenue:.1%} of "
            f"revenue, median recency {r.median_recency_days:g} days, median {r.median_frequency:g} "
            f"orders, median spend {r.median_monetary:,.2f}"
        )
    return "\n".join(lines)


def _chart(prof: pd.DataFrame):
    import plotly.express as px

    return px.bar(
        prof,
        x="segment",
        y=["share_customers", "share_revenue"],
        barmode="group",
        title="Customer segments: share of customers and of revenue",
    )
