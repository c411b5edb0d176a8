"""``association_rules``: market-basket rules (if a basket holds X it also holds y) with their strength.

``mine_rules`` works on any long (basket, item) DataFrame, so it can be checked directly against published
figures (the Groceries data of the arules package); the tool feeds it the baskets of a workspace table.
"""

from __future__ import annotations

import math
import re
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools.arg_types import PeriodEnd, PeriodStart, TableName, TopN
from tools.base import Fact, Table, Tool, ToolError, ToolResult
from tools.baskets import BasketData, load_baskets
from tools.itemsets import TooManyItemsets, frequent_itemsets, one_hot, rules_from_itemsets

DEFAULT_MIN_SUPPORT = 0.01
DEFAULT_MIN_CONFIDENCE = 0.2
DEFAULT_MIN_LIFT = 1.0
DEFAULT_MAX_LEN = 3
DEFAULT_TOP_N = 20
ITEMSET_CAP = 200_000
MIN_BASKETS = 2  # a "pattern" seen in one basket is an anecdote


class RulesArgs(BaseModel):
    table: TableName = Field(
        None, description="Sales table with one row per order line (default: the current sales table)."
    )
    item: str | None = Field(
        None,
        description="Only rules whose 'if' side holds this product (name or id; "
        "fuzzy matched): 'what goes with X?'. Default: all rules.",
    )
    min_support: float | None = Field(
        None,
        gt=0,
        le=1,
        description=(
            "Minimum share of baskets holding the whole rule (default 0.01; for an item, a tenth of the item's own "
            "share when that is lower)."
        ),
    )
    min_confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description=(
            "Minimum share of baskets with the 'if' items that also hold the 'then' item (default 0.2)."
        ),
    )
    min_lift: float | None = Field(
        None, ge=0, description="Minimum lift; above 1 means more than chance (default 1)."
    )
    max_len: int | None = Field(
        None, ge=2, le=6, description="Maximum items in a rule, both sides (default 3)."
    )
    top_n: TopN = Field(None, ge=1, le=1000, description="Number of rules to return (default 20).")
    sort_by: Literal["lift", "confidence", "support"] | None = Field(
        None, description="Order of the rules (default lift)."
    )
    country: str | None = Field(None, description="Only baskets from this country (default all).")
    start_date: PeriodStart = Field(
        None, description="Only baskets on or after this date (default no limit)."
    )
    end_date: PeriodEnd = Field(None, description="Only baskets on or before this date (default no limit).")


def mine_rules(
    baskets: pd.DataFrame,
    *,
    basket_col: str = "basket_id",
    item_col: str = "item",
    min_support: float = DEFAULT_MIN_SUPPORT,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    min_lift: float = DEFAULT_MIN_LIFT,
    max_len: int = DEFAULT_MAX_LEN,
    item: str | None = None,
    engine: str = "bitset",
    cap: int = ITEMSET_CAP,
) -> pd.DataFrame:
    """Association rules with one consequent from long (basket, item) rows.

    Args:
        baskets: one row per (basket, item); duplicates are ignored.
        min_support, min_confidence, min_lift, max_len: rule filters (max_len counts both sides).
        item: keep only rules whose antecedent contains this exact item value.
        engine: "bitset" (fast, default) or "fpgrowth" (mlxtend on a sparse one-hot frame).
        cap: refuse (TooManyItemsets) rather than build more frequent itemsets than this.

    Returns:
        Columns antecedent (tuple of items), consequent, support, confidence, lift, leverage, conviction,
        antecedent_support, consequent_support, baskets; sorted by lift, descending.
    """
    matrix, items = one_hot(baskets, basket_col, item_col)
    n = matrix.shape[0]
    min_count = max(math.ceil(min_support * n - 1e-9), 1)
    if item is not None:
        rules = _rules_for_item(matrix, items, item, min_count, max_len, engine, cap)
    else:
        rules = rules_from_itemsets(frequent_itemsets(matrix, min_count, max_len, cap, engine))
    rules = rules[(rules["confidence"] >= min_confidence) & (rules["lift"] >= min_lift)]
    labels = np.asarray(items, dtype=object)
    rules = rules.assign(
        antecedent=[tuple(labels[list(a)]) for a in rules["antecedent"]],
        consequent=labels[rules["consequent"].to_numpy()] if len(rules) else [],
    )
    return rules.sort_values(["lift", "confidence", "support"], ascending=False, ignore_index=True)


def _rules_for_item(
    matrix, items: list, item: str, min_count: int, max_len: int, engine: str, cap: int
) -> pd.DataFrame:
    """Rules whose antecedent holds ``item``, mined on the baskets that contain it (its conditional database).

    Counts of itemsets holding the item are the same there as in all baskets; the consequent's own support
    comes from all baskets.
    """
    try:
        col = items.index(item)
    except ValueError:
        raise ToolError(f"No item {item!r} in the baskets.") from None
    holding = matrix[:, col].toarray().ravel()
    conditional = frequent_itemsets(matrix[holding], min_count, max_len, cap, engine)
    conditional.n_baskets = matrix.shape[0]
    singles = np.asarray(matrix.sum(axis=0)).ravel()
    conditional.counts.update({(int(i),): int(c) for i, c in enumerate(singles) if c >= 1})
    rules = rules_from_itemsets(conditional)
    mask = [col in a for a in rules["antecedent"]]
    return rules[np.asarray(mask, dtype=bool)] if len(rules) else rules


# Products bought together are asked for in those words ("together", "basket", "bundle", "goes with",
# "cross-sell"); "how many items are in an order" is a count.
TOGETHER_WORDS = re.compile(
    r"\b(?:together|baskets?|bundl\w*|cross[- ]?sell\w*|goes?\s+with|go\s+with|associat\w*|rules?|itemsets?|"
    r"lift|confidence|affinit\w*|pairs?|paired|combination\w*|alongside|complement\w*|"
    r"same\s+(?:order|basket|cart|invoice)|(?:bought|buy|buys|purchased|ordered|sold)\s+with)\b",
    re.IGNORECASE,
)


class AssociationRules(Tool):
    name = "association_rules"
    description = (
        "Market-basket rules (FP-Growth style frequent itemsets): which products are bought together, "
        "with support, confidence and lift; or what goes with one product (cross-sell)."
    )
    Args = RulesArgs
    cue = TOGETHER_WORDS
    cue_claims = False

    def run(self, args: RulesArgs) -> ToolResult:
        data = load_baskets(
            self.ws, args.table, country=args.country, start=args.start_date, end=args.end_date
        )
        n = data.n_baskets
        item = self._resolve_item(data, args.item) if args.item else None
        notes: list[str] = []
        support = self._support(args, data, item, n, notes)
        max_len = args.max_len or DEFAULT_MAX_LEN
        kwargs = {
            "min_confidence": _or(args.min_confidence, DEFAULT_MIN_CONFIDENCE),
            "min_lift": _or(args.min_lift, DEFAULT_MIN_LIFT),
            "max_len": max_len,
            "item": item,
            "cap": ITEMSET_CAP,
        }
        try:
            rules = mine_rules(data.lines, min_support=support, **kwargs)
        except TooManyItemsets as e:
            if e.suggested_support is None or e.suggested_support <= support:
                raise ToolError(
                    f"min_support {support:g} would give more than {e.cap:,} itemsets; "
                    "raise min_support or lower max_len."
                ) from None
            notes.append(
                f"min_support {support:g} would give more than {e.cap:,} frequent itemsets, so it was "
                f"raised to {e.suggested_support:.4g}."
            )
            support = e.suggested_support
            rules = mine_rules(data.lines, min_support=support, **kwargs)
        top_n = args.top_n or DEFAULT_TOP_N
        table = _display(rules, data).sort_values(args.sort_by or "lift", ascending=False, ignore_index=True)
        shown = table.head(top_n)
        return ToolResult(
            text=_summary(shown, len(rules), n, support, args, data.label(item) if item else None, notes),
            tables=[Table("rules", shown)],
            chart=_chart(table.head(500)),
            facts=_facts(shown, len(rules), n, support, data.table),
            sql=[data.sql],
        )

    @staticmethod
    def _resolve_item(data: BasketData, product: str) -> str:
        """The matching item id that is in the most baskets."""
        candidates = data.resolve(product)
        counts = data.lines["item"].value_counts()
        return max(candidates, key=lambda i: counts.get(i, 0))

    @staticmethod
    def _support(args: RulesArgs, data: BasketData, item: str | None, n: int, notes: list[str]) -> float:
        support = args.min_support
        if support is None:
            support = DEFAULT_MIN_SUPPORT
            if item is not None:
                own = int((data.lines["item"] == item).sum()) / n
                support = min(support, own / 10)
        if support * n < MIN_BASKETS:
            floor = MIN_BASKETS / n
            notes.append(
                f"min_support {support:g} is under {MIN_BASKETS} of {n:,} baskets, so it was raised to "
                f"{floor:.4g}."
            )
            support = floor
        return support


def _or(value, default):
    return default if value is None else value


def _display(rules: pd.DataFrame, data: BasketData) -> pd.DataFrame:
    """Rules with items shown by their names."""
    return pd.DataFrame(
        {
            "if_bought": [" + ".join(data.label(i) for i in a) for a in rules["antecedent"]],
            "then_buy": [data.label(c) for c in rules["consequent"]],
            "support": rules["support"].round(5),
            "confidence": rules["confidence"].round(4),
            "lift": rules["lift"].round(3),
            "leverage": rules["leverage"].round(5),
            "conviction": rules["conviction"].round(3),
            "baskets": rules["baskets"],
        }
    )


def _summary(
    shown: pd.DataFrame,
    total: int,
    n: int,
    support: float,
    args: RulesArgs,
    item_label: str | None,
    notes: list[str],
) -> str:
    scope = f"rules whose 'if' side holds {item_label}" if item_label else "rules"
    head = f"{total:,} {scope} from {n:,} baskets (min support {support:.4g})."
    if shown.empty:
        body = "No rule passes the filters; lower min_support or min_confidence."
    else:
        lines = [
            f"{r.if_bought} => {r.then_buy}: confidence {r.confidence:.3f}, lift {r.lift:.2f}, "
            f"support {r.support:.4f}"
            for r in shown.head(10).itertuples()
        ]
        body = "Top rules:\n" + "\n".join(lines)
    return "\n".join([*notes, head, body])


def _chart(table: pd.DataFrame):
    if table.empty:
        return None
    import plotly.express as px

    return px.scatter(
        table,
        x="support",
        y="confidence",
        color="lift",
        size="lift",
        hover_data=["if_bought", "then_buy", "baskets"],
        title="Association rules",
    )


def _facts(shown: pd.DataFrame, total: int, n: int, support: float, table: str) -> list[Fact]:
    source = f"association_rules on {table}"
    facts = [
        Fact("baskets", n, source),
        Fact("rules_found", total, source),
        Fact("min_support_used", round(support, 6), source),
    ]
    for r in shown.head(20).itertuples():
        name = f"{r.if_bought} => {r.then_buy}"
        facts += [
            Fact(f"{name}.support", float(r.support), source),
            Fact(f"{name}.confidence", float(r.confidence), source),
            Fact(f"{name}.lift", float(r.lift), source),
        ]
    return facts
