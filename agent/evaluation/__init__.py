"""Evaluation harness: golden sets, the result-set scorer, runs, comparisons and reports (`martmind eval`).

The scorer needs no model: it compares an answer's result table with the gold result. A run takes any
callable ``question -> Answer``, so the same code scores the Assistant, a scripted stand-in or a benchmark.
"""

from __future__ import annotations

from agent.evaluation.compare import compare_reports
from agent.evaluation.golden import GoldenItem, load_golden
from agent.evaluation.runner import EvalReport, evaluate
from agent.evaluation.scoring import ResultTable, compare_results, gold_orders, unknown_names

__all__ = [
    "EvalReport",
    "GoldenItem",
    "ResultTable",
    "compare_reports",
    "compare_results",
    "evaluate",
    "gold_orders",
    "load_golden",
    "unknown_names",
]
