"""Backtest figures of forecast_sales on the demo data: the chosen model's MASE and sMAPE against the
seasonal naive on the same rolling-origin folds, per table, metric and grain.

    python -m benchmarks.forecast_eval [--home DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

from tools.base import ToolError
from tools.forecast import ForecastSales
from tools.workspace import Workspace

CASES = [
    (table, metric, grain)
    for table in ("online_retail", "cdnow_transactions")
    for metric in ("revenue", "orders", "customers")
    for grain in ("day", "week", "month")
]
HORIZON = {"day": 14, "week": 4, "month": 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="workspace with the demo data (default: a fresh temporary one)")
    home = parser.parse_args().home or tempfile.mkdtemp(prefix="martmind-forecast-")
    ws = Workspace(home)
    rows = []
    for table, metric, grain in CASES:
        started = time.perf_counter()
        try:
            result = ForecastSales(ws)(metric=metric, grain=grain, horizon=HORIZON[grain], table=table)
        except ToolError as e:  # e.g. CDNOW has no order ids
            print(f"{table} {metric} per {grain}: {e}")
            continue
        seconds = time.perf_counter() - started
        scores = result.tables[1].df.set_index("model")
        chosen = scores[scores["chosen"]].iloc[0]
        rows.append(
            {
                "table": table,
                "metric": metric,
                "grain": grain,
                "horizon": HORIZON[grain],
                "history": int(result.text.split("history ")[1].split(" ")[0]),
                "model": result.fact("model"),
                "mase": chosen["mase"],
                "naive_mase": scores.loc["seasonal naive", "mase"],
                "smape": chosen["smape"],
                "naive_smape": scores.loc["seasonal naive", "smape"],
                "folds": int(chosen["folds"]),
                "seconds": round(seconds, 2),
            }
        )
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False))
    print(
        f"\nChosen model beats the seasonal naive in {(frame['mase'] < frame['naive_mase']).sum()} of "
        f"{len(frame)} cases; median MASE {frame['mase'].median():.3f} vs naive "
        f"{frame['naive_mase'].median():.3f}; median time {frame['seconds'].median():.2f} s."
    )


if __name__ == "__main__":
    main()
