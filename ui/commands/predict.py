"""What comes next and what is odd: `martmind forecast`, `martmind anomalies`, `martmind churn` (no LLM)."""

from __future__ import annotations

import argparse
from typing import get_args

from tools.series import SeriesMetric
from ui.output import add_command, run_tool

METRICS = get_args(SeriesMetric)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "forecast", run_forecast, "forecast a metric with 80%/95% intervals and a backtest")
    p.add_argument("metric", nargs="?", choices=METRICS, default="revenue", help="what to forecast")
    p.add_argument("--grain", choices=["day", "week", "month"], help="period (default week)")
    p.add_argument("--horizon", type=int, help="periods ahead (default 14 days, 8 weeks or 3 months)")
    p.add_argument("--by", help="forecast each top value of this dimension (country, product, ...)")
    p.add_argument("--top", type=int, help="values of --by to forecast (default 5)")
    _table(p)

    p = add_command(sub, "anomalies", run_anomalies, "unusual periods and transactions")
    p.add_argument("metric", nargs="?", choices=METRICS, default="revenue", help="metric to check")
    p.add_argument("--grain", choices=["day", "week", "month"], help="period (default day)")
    p.add_argument("--by", help="check each top value of this dimension (country, product, ...)")
    p.add_argument("--top", type=int, help="values of --by to check (default 5)")
    p.add_argument("--kind", choices=["periods", "transactions", "both"], help="what to check (default both)")
    p.add_argument("--threshold", type=float, help="robust z threshold (default 3.5)")
    _table(p)

    p = add_command(sub, "churn", run_churn, "who is likely not to buy again, with an honest backtest")
    p.add_argument(
        "--days", type=int, help="a customer churns without an order in this many days (default 90)"
    )
    p.add_argument("--top", type=int, help="highest-risk customers to list (default 20)")
    p.add_argument("--save-as", help="table that receives each customer's risk (default customer_churn_risk)")
    _table(p)


def _table(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", help="sales table (default: the current sales table)")


def run_forecast(args: argparse.Namespace):
    from tools.forecast import ForecastSales

    return run_tool(ForecastSales, args, ("metric", "grain", "horizon", "by", "top", "table"))


def run_anomalies(args: argparse.Namespace):
    from tools.anomalies import DetectAnomalies

    return run_tool(DetectAnomalies, args, ("metric", "grain", "by", "top", "kind", "threshold", "table"))


def run_churn(args: argparse.Namespace):
    from tools.churn import PredictChurn

    return run_tool(PredictChurn, args, ("days", "top", "save_as", "table"))
