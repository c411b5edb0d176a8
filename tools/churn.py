"""``predict_churn``: who is likely not to buy again in the next N days, tested on the past first.

A customer *churns* over a window when they place no non-cancelled order in it. With T the table's last
date and d the window in days, the time split is honest (no feature sees its own label window):

- training: features from lines up to T-2d, label "no order in (T-2d, T-d]";
- validation: features from lines up to T-d, label "no order in (T-d, T]";
- prediction: the model refitted on the validation set scores every customer from lines up to T, for the
  d days after the data ends.

Only customers with a non-cancelled order up to a cut-off are in its set. Features: recency, frequency
(orders), net revenue, tenure, mean days between orders, orders and revenue in the last d days, the share
of cancelled lines, and the customer's RFM segment (segment_customers' clustering of that set, one-hot).
Two models (gradient boosting; logistic regression on standardised features) are fitted on the training
set; the one with the better validation AUC is kept and compared with a recency-only baseline (AUC and
churn rate among the top-scored 10% over the base rate). ``benchmarks/churn_eval.py`` has the figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools.arg_types import TableName, TopN
from tools.base import Fact, RetryableToolError, Table, Tool, ToolError, ToolResult
from tools.clv import value_expression
from tools.periods import future_span, span_in
from tools.segments import ARCHETYPES, cluster, name_segments, rfm_features
from tools.workspace import Workspace, quote_ident

DEFAULT_SAVE_AS = "customer_churn_risk"
DEFAULT_TOP = 20
SEED = 0
MIN_CUSTOMERS = 50
# Fixed risk bands on the churn probability, so "high risk" means the same on every table and run.
HIGH_RISK, MEDIUM_RISK = 0.7, 0.4
NUMERIC_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "mean_gap_days",
    "recent_orders",
    "recent_revenue",
    "cancel_share",
)
# Counts and money are heavy-tailed: a log (signed for money, which can be negative) keeps the logistic
# model from being driven by a few wholesale buyers; the trees are indifferent to it.
_LOG_FEATURES = ("recency_days", "frequency", "tenure_days", "mean_gap_days", "recent_orders")
_SIGNED_LOG_FEATURES = ("monetary", "recent_revenue")
SETS = ("train", "validation", "score")


class ChurnArgs(BaseModel):
    days: int = Field(
        90,
        ge=7,
        le=365,
        description="Churn window in days: a customer churns if they make no purchase in this many days.",
    )
    table: TableName = Field(
        None,
        description="Sales table with customer, date and order columns (default: the current sales table).",
    )
    top: TopN = Field(
        None, ge=1, le=1000, description="How many highest-risk customers to show (default 20)."
    )
    save_as: str | None = Field(
        None,
        description="Name of the table that receives each customer's churn risk (default customer_churn_risk).",
    )


@dataclass(frozen=True)
class Split:
    """The cut-off dates of the backtest; each set's label window is the ``days`` after its cut-off."""

    first: date
    end: date  # T, the table's last date
    days: int

    @property
    def train_cutoff(self) -> date:
        return self.end - timedelta(days=2 * self.days)

    @property
    def validation_cutoff(self) -> date:
        return self.end - timedelta(days=self.days)

    def cutoffs(self) -> dict[str, date]:
        return {"train": self.train_cutoff, "validation": self.validation_cutoff, "score": self.end}

    def describe(self) -> str:
        return (
            f"trained on data up to {self.train_cutoff} (churn = no order {_after(self.train_cutoff)} to "
            f"{self.validation_cutoff}), validated on data up to {self.validation_cutoff} (churn = no order "
            f"{_after(self.validation_cutoff)} to {self.end}), then refitted and applied to data up to "
            f"{self.end} for the {self.days} days after it"
        )


def _after(day: date) -> date:
    return day + timedelta(days=1)


def split_dates(ws: Workspace, table: str, days: int) -> Split:
    """The table's date range as a Split; a ToolError when it is shorter than the two windows plus history."""
    ts = quote_ident(ws.roles(table).require("timestamp", purpose="churn prediction")["timestamp"])
    span = ws.query(
        f"SELECT CAST(min({ts}) AS DATE) AS a, CAST(max({ts}) AS DATE) AS b FROM {quote_ident(table)}"
    )
    first, end = span["a"].iloc[0], span["b"].iloc[0]
    if pd.isna(first):
        raise ToolError(f"Table {table!r} has no dated lines to predict churn from.")
    first, end = pd.Timestamp(first).date(), pd.Timestamp(end).date()
    if (end - first).days < 3 * days:
        raise ToolError(
            f"{table} covers {(end - first).days} days ({first} to {end}), but a {days}-day churn "
            f"prediction needs at least {3 * days}: two {days}-day windows to test on and history before "
            "them; ask for a shorter window."
        )
    return Split(first, end, days)


def lines_sql(ws: Workspace, table: str) -> str:
    """One row per sales line: customer, day, order_id, amount, cancelled (as in segments.rfm_sql)."""
    roles = ws.roles(table)
    cols = roles.require("customer_id", "timestamp", purpose="churn prediction")
    cust, ts = quote_ident(cols["customer_id"]), quote_ident(cols["timestamp"])
    amount = value_expression(roles, "churn prediction")
    # Without an order id, each distinct purchase time counts as one order.
    order = quote_ident(roles["order_id"]) if roles["order_id"] else ts
    return (
        f"SELECT {cust} AS customer, CAST({ts} AS DATE) AS day, {order} AS order_id, {amount} AS amount, "
        f"({roles.cancelled}) AS cancelled FROM {quote_ident(table)} "
        f"WHERE {cust} IS NOT NULL AND {ts} IS NOT NULL"
    )


def features_sql(ws: Workspace, table: str, split: Split) -> str:
    """Per set and customer: the features from lines up to the set's cut-off and ``churned``, no
    non-cancelled order in the ``days`` after it (always true for the prediction set, which has no future).
    Recency and tenure count from the day after the cut-off, as segment_customers counts from its snapshot."""
    d = split.days
    cutoffs = ", ".join(f"('{name}', DATE '{day.isoformat()}')" for name, day in split.cutoffs().items())
    return (
        f"WITH lines AS ({lines_sql(ws, table)}), cutoffs(split, cutoff) AS (VALUES {cutoffs}), "
        "history AS (SELECT c.split, c.cutoff, l.* FROM lines l JOIN cutoffs c ON l.day <= c.cutoff), "
        "future AS (SELECT DISTINCT c.split, l.customer FROM lines l JOIN cutoffs c "
        f"ON l.day > c.cutoff AND l.day <= c.cutoff + {d} WHERE NOT l.cancelled), "
        "per_customer AS (SELECT split, customer, any_value(cutoff) + 1 AS snapshot, "
        "max(day) FILTER (WHERE NOT cancelled) AS last_day, min(day) FILTER (WHERE NOT cancelled) AS first_day, "
        "count(DISTINCT order_id) FILTER (WHERE NOT cancelled) AS frequency, sum(amount) AS monetary, "
        f"count(DISTINCT order_id) FILTER (WHERE NOT cancelled AND day > cutoff - {d}) AS recent_orders, "
        f"coalesce(sum(amount) FILTER (WHERE day > cutoff - {d}), 0) AS recent_revenue, "
        "avg(CAST(cancelled AS DOUBLE)) AS cancel_share FROM history GROUP BY split, customer "
        "HAVING count(*) FILTER (WHERE NOT cancelled) > 0) "
        "SELECT p.split, p.customer, date_diff('day', last_day, snapshot) AS recency_days, frequency, "
        "monetary, date_diff('day', first_day, snapshot) AS tenure_days, "
        # One order: the time since it is the shortest gap the customer can still have.
        "CASE WHEN frequency > 1 THEN date_diff('day', first_day, last_day) / (frequency - 1) "
        "ELSE date_diff('day', first_day, snapshot) END AS mean_gap_days, "
        "recent_orders, recent_revenue, cancel_share, f.customer IS NULL AS churned "
        "FROM per_customer p LEFT JOIN future f ON f.split = p.split AND f.customer = p.customer "
        "ORDER BY p.split, p.customer"
    )


def customer_sets(ws: Workspace, table: str, split: Split) -> tuple[dict[str, pd.DataFrame], str]:
    """The training, validation and prediction sets (with their RFM segment), and the query that built them;
    a ToolError when a labelled set is too small or has one class only."""
    sql = features_sql(ws, table, split)
    frame = ws.query(sql, timeout_s=max(ws.sql_timeout_s, 300), max_rows=None)
    sets = {name: frame[frame["split"] == name].drop(columns="split").reset_index(drop=True) for name in SETS}
    for name, cutoff in (("train", split.train_cutoff), ("validation", split.validation_cutoff)):
        _check_labels(sets[name], f"{table} up to {cutoff}", split.days)
    for part in sets.values():
        part["segment"] = segments_of(part)
    return sets, sql


def _check_labels(part: pd.DataFrame, where: str, days: int) -> None:
    if len(part) < MIN_CUSTOMERS:
        raise ToolError(
            f"{where} has {len(part)} customers with orders; at least {MIN_CUSTOMERS} are needed to "
            "learn who churns."
        )
    if part["churned"].nunique() < 2:
        outcome = "bought nothing" if part["churned"].iloc[0] else "bought again"
        raise ToolError(
            f"Every customer of {where} {outcome} within the next {days} days, so there is no churn to "
            "learn; try another window."
        )


def segments_of(part: pd.DataFrame) -> list[str]:
    """Each customer's RFM segment within the set, by segment_customers' clustering and names."""
    result = cluster(rfm_features(part))
    names = name_segments(result.z_centres)
    return [names[i] for i in result.labels]


def design(part: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs: the numeric features (logged where heavy-tailed) and the segment one-hot, with
    the same columns for every set."""
    x = part[list(NUMERIC_FEATURES)].astype(float).copy()
    for col in _LOG_FEATURES:
        x[col] = np.log1p(x[col].clip(lower=0))
    for col in _SIGNED_LOG_FEATURES:
        x[col] = np.sign(x[col]) * np.log1p(x[col].abs())
    for name in ARCHETYPES:
        x[f"segment: {name}"] = (part["segment"] == name).astype(float)
    return x


def candidates() -> dict[str, Any]:
    """The models tried, fixed seeds and settings so a run is repeatable."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "gradient boosting": HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=30,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=SEED,
        ),
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)),
    }


@dataclass
class Backtest:
    """Validation figures per scorer (the models tried, then the recency baseline) and the model kept."""

    scores: pd.DataFrame  # scorer, auc, top_decile_lift, customers, churn_rate
    deciles: pd.DataFrame  # scorer, decile (1 = highest scored), lift over the base churn rate
    chosen: str


def backtest(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    x_train: pd.DataFrame | None = None,
    x_valid: pd.DataFrame | None = None,
) -> Backtest:
    """Fit every candidate on the training set and score the validation set; the best AUC is kept.
    ``x_train``/``x_valid`` replace the default design (the benchmark adds features this way)."""
    x_train = design(train) if x_train is None else x_train
    x_valid = design(validation) if x_valid is None else x_valid
    y_train, y_valid = train["churned"].to_numpy(bool), validation["churned"].to_numpy(bool)
    scored = {name: fit_predict(model, x_train, y_train, x_valid) for name, model in candidates().items()}
    chosen = max(scored, key=lambda name: roc_auc(y_valid, scored[name]))
    scored["recency baseline"] = validation["recency_days"].to_numpy(float)
    rows, deciles = [], []
    for name, score in scored.items():
        rates = decile_churn_rates(y_valid, score)
        base = y_valid.mean()
        rows.append(
            {
                "scorer": name,
                "auc": round(roc_auc(y_valid, score), 4),
                "top_decile_lift": round(rates[0] / base, 3),
                "customers": len(y_valid),
                "churn_rate": round(base, 4),
            }
        )
        deciles += [{"scorer": name, "decile": i + 1, "lift": r / base} for i, r in enumerate(rates)]
    return Backtest(pd.DataFrame(rows), pd.DataFrame(deciles), chosen)


def fit_predict(model: Any, x: pd.DataFrame, y: np.ndarray, x_new: pd.DataFrame) -> np.ndarray:
    """The churn probability of each row of ``x_new`` from ``model`` fitted on (x, y)."""
    from threadpoolctl import threadpool_limits

    # A few thousand customers fit in well under a second on one thread; more threads only spin.
    with threadpool_limits(limits=1):
        model.fit(x, y)
        return model.predict_proba(x_new)[:, 1]


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def decile_churn_rates(y: np.ndarray, score: np.ndarray) -> list[float]:
    """Churn rate in each tenth of customers, highest score first (ties keep the customers' order)."""
    order = np.argsort(-score, kind="stable")
    return [float(part.mean()) for part in np.array_split(y[order], 10)]


def risk_band(probability: np.ndarray) -> np.ndarray:
    return np.where(probability >= HIGH_RISK, "high", np.where(probability >= MEDIUM_RISK, "medium", "low"))


# A question about customers leaving: churn, stopping, "likely to leave", "won't order again". Not "lapsed"
# or "at risk" alone: those name segments (segment_customers) and win-back strategies.
LEAVING = re.compile(
    r"\bchurn\w*|\b(?:stop|stopped|quit)\s+(?:buying|ordering|shopping|purchasing)\b"
    r"|\b(?:about|likely|going|expected)\s+to\s+(?:leave|stop|lapse)\b|\brisk\s+of\s+(?:leaving|lapsing)\b"
    r"|\b(?:not|never|won'?t)\s+(?:\w+\s+)?(?:buy|order|purchase|shop|come\s+back|return)\b[^.?!]{0,25}\bagain\b",
    re.IGNORECASE,
)


class PredictChurn(Tool):
    name = "predict_churn"
    description = (
        "Predict which customers are likely not to buy again in the next N days (churn risk per customer), "
        "backtested on the past against a recency-only baseline."
    )
    Args = ChurnArgs
    cue = LEAVING

    def refine_args(self, args: dict, reading, follow_up: bool = False) -> dict:
        """The window the question states ("in the next 60 days", "next quarter"), in days, read by code."""
        span = future_span(reading.question)
        return {**args, "days": span_in(span, "day")} if span else dict(args)

    def run(self, args: ChurnArgs) -> ToolResult:
        table = args.table or self.ws.sales_table()
        save_as = args.save_as or DEFAULT_SAVE_AS
        if save_as == table:
            raise RetryableToolError(f"save_as must differ from the source table {table!r}.")
        self.ws.columns(table)
        split = split_dates(self.ws, table, args.days)
        sets, sql = customer_sets(self.ws, table, split)
        test = backtest(sets["train"], sets["validation"])
        model = candidates()[test.chosen]
        validation, score = sets["validation"], sets["score"]
        probability = fit_predict(
            model, design(validation), validation["churned"].to_numpy(bool), design(score)
        )
        customer = self.ws.roles(table)["customer_id"]
        risk = prediction_table(score, probability, customer)
        self.ws.save_table(
            save_as,
            risk,
            source=f"predict_churn:{table}",
            note=f"churn risk over the {args.days} days after {split.end} ({test.chosen}; {split.describe()})",
        )
        top = risk.head(args.top or DEFAULT_TOP)
        return ToolResult(
            text=_summary(table, split, test, risk, save_as),
            tables=[
                Table("churn_risk", top, kinds=_RISK_KINDS),
                Table("churn_backtest", test.scores, kinds={"customers": "count", "churn_rate": "ratio"}),
            ],
            chart=_chart(test),
            facts=_facts(table, split, test, risk),
            sql=[sql],
            headline=_headline(split, test, risk),
        )


_RISK_KINDS = {
    "churn_probability": "ratio",
    "recency_days": "count",
    "frequency": "count",
    "monetary": "money",
}


def prediction_table(score: pd.DataFrame, probability: np.ndarray, customer: str) -> pd.DataFrame:
    """One row per customer (the id named as in the source, so it joins), the riskiest first."""
    out = pd.DataFrame(
        {
            customer: score["customer"],
            "churn_probability": np.round(probability, 4),
            "risk_band": risk_band(probability),
            "recency_days": score["recency_days"],
            "frequency": score["frequency"],
            "monetary": score["monetary"].round(2),
            "segment": score["segment"],
        }
    )
    return out.sort_values(["churn_probability", customer], ascending=[False, True]).reset_index(drop=True)


def _figures(test: Backtest, scorer: str) -> pd.Series:
    return test.scores.set_index("scorer").loc[scorer]


def _high_risk(risk: pd.DataFrame) -> tuple[int, float]:
    high = risk[risk["risk_band"] == "high"]
    return len(high), round(float(high["monetary"].sum()), 2)


def _summary(table: str, split: Split, test: Backtest, risk: pd.DataFrame, save_as: str) -> str:
    model, base = _figures(test, test.chosen), _figures(test, "recency baseline")
    high, revenue = _high_risk(risk)
    return "\n".join(
        [
            f"Churn = no purchase in {split.days} days. Time split on {table}: {split.describe()}.",
            f"Backtest on {int(model.customers):,} customers (churn rate {model.churn_rate:.1%}): "
            f"{test.chosen} AUC {model.auc:.3f}, top-decile lift {model.top_decile_lift:.2f}x; "
            f"recency baseline AUC {base.auc:.3f}, lift {base.top_decile_lift:.2f}x "
            "(the model was chosen by this AUC among the candidates).",
            f"{len(risk):,} customers scored; {high:,} are high risk (probability >= {HIGH_RISK:.0%}; medium "
            f">= {MEDIUM_RISK:.0%}) with {revenue:,.2f} net revenue to date. Each customer's risk is in table "
            f"{save_as}.",
        ]
    )


def _headline(split: Split, test: Backtest, risk: pd.DataFrame) -> str:
    model, base = _figures(test, test.chosen), _figures(test, "recency baseline")
    high, _ = _high_risk(risk)
    return (
        f"{high:,} of {len(risk):,} customers are at high risk (probability {HIGH_RISK:.0%} or more) of not "
        f"buying in the {split.days} days after {split.end.isoformat()}; in the backtest the model's AUC is "
        f"{model.auc:.2f} against {base.auc:.2f} for recency alone."
    )


def _facts(table: str, split: Split, test: Backtest, risk: pd.DataFrame) -> list[Fact]:
    source = f"predict_churn on {table} ({split.days}-day window backtest)"
    model, base = _figures(test, test.chosen), _figures(test, "recency baseline")
    high, revenue = _high_risk(risk)
    values: dict[str, float | int | str] = {
        "auc": float(model.auc),
        "baseline_auc": float(base.auc),
        "top_decile_lift": float(model.top_decile_lift),
        "baseline_top_decile_lift": float(base.top_decile_lift),
        "customers_scored": len(risk),
        "high_risk_customers": high,
        "high_risk_revenue": revenue,
        "days": split.days,
        "training_cutoff": split.train_cutoff.isoformat(),
        "validation_cutoff": split.validation_cutoff.isoformat(),
        "data_end": split.end.isoformat(),
    }
    units = {"high_risk_revenue": "currency", "customers_scored": "count", "high_risk_customers": "count"}
    return [Fact(name, value, source, units.get(name, "")) for name, value in values.items()]


def _chart(test: Backtest):
    import plotly.express as px

    shown = test.deciles[test.deciles["scorer"].isin([test.chosen, "recency baseline"])]
    return px.bar(
        shown,
        x="decile",
        y="lift",
        color="scorer",
        barmode="group",
        title="Churn backtest: lift by decile of predicted risk (1 = highest), model vs recency baseline",
    )
