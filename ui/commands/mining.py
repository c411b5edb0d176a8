"""Data-mining commands: segments, rules, sequences, recommend (no LLM needed)."""

from __future__ import annotations

import argparse

from ui.output import add_command, run_tool


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "segments", run_segments, "segment customers by RFM (k-means, named segments)")
    _table(p)
    p.add_argument("--k", type=int, help="number of segments (default: chosen by silhouette over 2..8)")
    p.add_argument(
        "--save-as", help="table that receives each customer's segment (default customer_segments)"
    )

    p = add_command(sub, "rules", run_rules, "market-basket association rules")
    _table(p)
    p.add_argument("--item", help="only rules whose 'if' side holds this product (what goes with X?)")
    p.add_argument("--min-support", type=float, help="minimum share of baskets (default 0.01)")
    p.add_argument("--min-confidence", type=float, help="minimum confidence (default 0.2)")
    p.add_argument("--min-lift", type=float, help="minimum lift (default 1)")
    p.add_argument("--max-len", type=int, help="maximum items in a rule (default 3)")
    p.add_argument(
        "--sort-by", choices=["lift", "confidence", "support"], help="order of the rules (default lift)"
    )
    _filters(p)

    p = add_command(sub, "sequences", run_sequences, "frequent purchase sequences across customers' orders")
    _table(p)
    p.add_argument("--item", help="what do customers buy after this product?")
    p.add_argument("--min-support", type=float, help="minimum share of customers (default 0.02)")
    p.add_argument("--max-len", type=int, help="maximum items in a pattern (default 3)")
    _filters(p)

    p = add_command(sub, "recommend", run_recommend, "recommend products for a customer or a basket")
    _table(p)
    p.add_argument("--customer", help="customer id")
    p.add_argument("--product", action="append", dest="products", help="a product in the basket (repeatable)")
    p.add_argument("--top", type=int, dest="top_n", help="number of recommendations (default 10)")


def _table(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", help="sales table (default online_retail)")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--top", type=int, dest="top_n", help="number of results (default 20)")
    p.add_argument("--country", help="only orders from this country")
    p.add_argument("--start-date", help="only orders on or after this date (YYYY-MM-DD)")
    p.add_argument("--end-date", help="only orders on or before this date (YYYY-MM-DD)")


def run_segments(args: argparse.Namespace):
    from tools.segments import SegmentCustomers

    return run_tool(SegmentCustomers, args, ("table", "k", "save_as"))


def run_rules(args: argparse.Namespace):
    from tools.rules import AssociationRules

    return run_tool(
        AssociationRules,
        args,
        (
            "table",
            "item",
            "min_support",
            "min_confidence",
            "min_lift",
            "max_len",
            "sort_by",
            "top_n",
            "country",
            "start_date",
            "end_date",
        ),
    )


def run_sequences(args: argparse.Namespace):
    from tools.sequences import SequentialPatterns

    return run_tool(
        SequentialPatterns,
        args,
        ("table", "item", "min_support", "max_len", "top_n", "country", "start_date", "end_date"),
    )


def run_recommend(args: argparse.Namespace):
    from tools.recommend import RecommendProducts

    return run_tool(RecommendProducts, args, ("table", "customer", "products", "top_n"))
