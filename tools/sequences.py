"""``sequential_patterns``: what customers buy in later orders (PrefixSpan over per-customer order histories).

Each customer's history is a sequence of orders in time order, each order an itemset. Support is the share
of customers (with at least one order) whose history contains the pattern.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from pydantic import BaseModel, Field

from tools.arg_types import PeriodEnd, PeriodStart, TableName, TopN
from tools.base import Fact, Table, Tool, ToolError, ToolResult
from tools.baskets import BasketData, customer_sequences, load_baskets
from tools.prefixspan import PrefixSpan, TooManyPatterns

DEFAULT_MIN_SUPPORT = 0.02
DEFAULT_MAX_LEN = 3
DEFAULT_TOP_N = 20
PATTERN_CAP = 100_000
MIN_CUSTOMERS = 2


class SequenceArgs(BaseModel):
    table: TableName = Field(
        None,
        description="Sales table with customer, order, date and product columns (default: the current sales table).",
    )
    item: str | None = Field(
        None,
        description="Answer 'what do customers buy after X?' for this product (name or "
        "id, fuzzy matched). Default: all frequent sequences.",
    )
    min_support: float | None = Field(
        None,
        gt=0,
        le=1,
        description=(
            "Minimum share of customers whose history holds the pattern (default 0.02; with an item, any product "
            "bought later by at least 2 of its buyers)."
        ),
    )
    max_len: int | None = Field(None, ge=2, le=6, description="Maximum items in a pattern (default 3).")
    top_n: TopN = Field(None, ge=1, le=1000, description="Number of patterns to return (default 20).")
    country: str | None = Field(None, description="Only orders from this country (default all).")
    start_date: PeriodStart = Field(None, description="Only orders on or after this date (default no limit).")
    end_date: PeriodEnd = Field(None, description="Only orders on or before this date (default no limit).")


def sequences_of(data: BasketData) -> list[list[tuple[str, ...]]]:
    """Per customer, the itemsets of their orders in time order."""
    ordered = customer_sequences(data)
    return ordered.groupby("customer_id", sort=False)["items"].apply(list).tolist()


def mine_sequences(sequences: list, min_count: int, max_len: int, cap: int = PATTERN_CAP) -> pd.DataFrame:
    """Patterns of two or more orders with customers, support and confidence (share of the customers holding
    the pattern without its last order who go on to the last one)."""
    found = PrefixSpan(sequences, min_count).mine(max_len=max_len, cap=cap)
    n = len(sequences)
    rows = [
        (p, c, c / n, c / found[p[:-1]], len(p), sum(len(e) for e in p))
        for p, c in found.items()
        if len(p) > 1
    ]
    df = pd.DataFrame(rows, columns=["pattern", "customers", "support", "confidence", "orders", "items"])
    return df.sort_values(["customers", "confidence"], ascending=False, ignore_index=True)


# Purchase sequences are asked for with words of order in time ("after", "next", "follows", "sequence");
# "how many items are in an order" is a count.
SEQUENCE_WORDS = re.compile(
    r"\b(?:after|afterwards|next|then|follow\w*|sequen\w*|journey\w*|later|subsequent\w*|leads?\s+to|"
    r"in\s+what\s+order|order\s+of\s+(?:their\s+)?purchases|paths?)\b",
    re.IGNORECASE,
)


class SequentialPatterns(Tool):
    name = "sequential_patterns"
    description = (
        "Frequent ordered purchase sequences across customers' orders (PrefixSpan): what customers buy "
        "first and what they buy in later orders; or what customers buy after a given product."
    )
    Args = SequenceArgs
    cue = SEQUENCE_WORDS
    cue_claims = False

    def run(self, args: SequenceArgs) -> ToolResult:
        data = load_baskets(
            self.ws,
            args.table,
            country=args.country,
            start=args.start_date,
            end=args.end_date,
            need_customers=True,
            need_time=True,
            purpose="purchase sequences",
        )
        sequences = sequences_of(data)
        if args.item:
            return self._after(data, sequences, args)
        return self._patterns(data, sequences, args)

    def _patterns(self, data: BasketData, sequences: list, args: SequenceArgs) -> ToolResult:
        n = len(sequences)
        support = args.min_support or DEFAULT_MIN_SUPPORT
        notes: list[str] = []
        min_count = max(math.ceil(support * n - 1e-9), MIN_CUSTOMERS)
        max_len = args.max_len or DEFAULT_MAX_LEN
        for _ in range(6):
            try:
                patterns = mine_sequences(sequences, min_count, max_len)
                break
            except TooManyPatterns:
                notes.append(
                    f"A minimum of {min_count:,} customers gives more than {PATTERN_CAP:,} patterns; "
                    f"raised to {min_count * 2:,}."
                )
                min_count *= 2
        else:
            raise ToolError("Too many sequential patterns even at a high minimum support; lower max_len.")
        patterns["pattern"] = [_show(p, data) for p in patterns["pattern"]]
        shown = patterns.head(args.top_n or DEFAULT_TOP_N).round({"support": 4, "confidence": 4})
        source = f"sequential_patterns on {data.table}"
        facts = [
            Fact("customers", n, source),
            Fact("patterns_found", len(patterns), source),
            Fact("min_customers_used", min_count, source),
        ]
        for r in shown.itertuples():
            facts += [
                Fact(f"{r.pattern}.customers", int(r.customers), source),
                Fact(f"{r.pattern}.confidence", float(r.confidence), source),
            ]
        head = (
            f"{len(patterns):,} sequential patterns of 2+ orders among {n:,} customers "
            f"(held by at least {min_count:,} customers, {min_count / n:.2%})."
        )
        lines = [
            f"{r.pattern}: {r.customers:,} customers ({r.support:.2%}), {r.confidence:.1%} go on to the last step"
            for r in shown.head(10).itertuples()
        ]
        return ToolResult(
            text="\n".join([*notes, head, *lines]),
            tables=[Table("sequences", shown)],
            chart=_bar(shown, "pattern", "customers", "Frequent purchase sequences"),
            facts=facts,
            sql=[data.sql],
        )

    def _after(self, data: BasketData, sequences: list, args: SequenceArgs) -> ToolResult:
        n = len(sequences)
        candidates = data.resolve(args.item or "")
        spans = PrefixSpan(sequences, 1)
        buyers, item = max(((spans.followers(c)[0], c) for c in candidates), key=lambda x: x[0])
        if buyers == 0:
            raise ToolError(f"No customer with an id bought {data.label(item)}.")
        _, later = spans.followers(item)
        everyone = pd.Series([i for seq in sequences for i in {x for s in seq for x in s}]).value_counts()
        floor = max(MIN_CUSTOMERS, math.ceil((args.min_support or 0) * n - 1e-9))
        rows = [
            (data.label(i), c, c / buyers, everyone[i] / n)
            for i, c in later.items()
            if c >= floor and i != item
        ]
        table = pd.DataFrame(
            rows, columns=["then_buy", "customers", "share_of_buyers", "share_of_all_customers"]
        )
        table["lift"] = table["share_of_buyers"] / table["share_of_all_customers"]
        table = table.sort_values(["customers", "lift"], ascending=False, ignore_index=True)
        shown = table.head(args.top_n or DEFAULT_TOP_N).round(4)
        label = data.label(item)
        source = f"sequential_patterns on {data.table} after {label}"
        facts = [Fact(f"{label}.buyers", buyers, source)]
        for r in shown.itertuples():
            facts += [
                Fact(f"{r.then_buy}.customers", int(r.customers), source),
                Fact(f"{r.then_buy}.share_of_buyers", float(r.share_of_buyers), source),
            ]
        head = f"{buyers:,} customers bought {label}; what they bought in later orders:"
        lines = [
            f"{r.then_buy}: {r.customers:,} customers ({r.share_of_buyers:.1%} of buyers, lift {r.lift:.2f})"
            for r in shown.head(10).itertuples()
        ]
        if shown.empty:
            lines = [f"No product was bought later by {floor} or more of them."]
        return ToolResult(
            text="\n".join([head, *lines]),
            tables=[Table("bought_after", shown)],
            chart=_bar(shown, "then_buy", "customers", f"Bought after {label}"),
            facts=facts,
            sql=[data.sql],
        )


def _show(pattern: tuple, data: BasketData) -> str:
    return " → ".join(" + ".join(data.label(i) for i in element) for element in pattern)


def _bar(df: pd.DataFrame, x: str, y: str, title: str):
    if df.empty:
        return None
    import plotly.express as px

    return px.bar(df.head(20), x=y, y=x, orientation="h", title=title)
