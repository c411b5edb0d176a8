"""Recall and false alarms of detect_anomalies on Online Retail with known anomalies injected.

Two copies of online_retail go into a fresh workspace: ``daily``, one line per day holding that day's net
revenue, and ``lines``, every line. With a fixed seed, 20 trading days (not in the first or last week) get
their revenue multiplied by 2.5-4 (10 spikes) or cut to 20% (10 drops); 30 sales lines get 50x their
quantity, 30 refunds without a sale are added (a customer cancelling a product they never bought) and 30
sales lines get 10x their product's median price. Lines are drawn from products with 5 sales or more that
no rule flags in the untouched data, so recall measures the injection, not the data's own anomalies.

Recall: injected anomalies flagged by their rule (or as a spike / drop) over those injected. False-alarm
rate: flagged periods or lines that were not injected over the clean ones; on the untouched copies, every
flagged period or line over all of them (what the data itself looks like to the tool).

    python -m benchmarks.anomaly_eval [--seed 0] [--threshold 3.5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.anomalies import DetectAnomalies, flag_lines  # noqa: E402
from tools.workspace import Workspace, demo_data_path  # noqa: E402

DAYS, LINES = 20, 30
KEY = ["order_id", "date", "customer", "product", "quantity", "unit_price"]
NAMES = dict(
    zip(["InvoiceNo", "InvoiceDate", "CustomerID", "StockCode", "Quantity", "UnitPrice"], KEY, strict=True)
)


def daily_revenue(lines: pd.DataFrame) -> pd.DataFrame:
    """One line per day with sales: the day's net revenue as the price of one unit."""
    revenue = (lines["Quantity"] * lines["UnitPrice"]).groupby(lines["InvoiceDate"].dt.normalize()).sum()
    return pd.DataFrame(
        {
            "InvoiceNo": [f"D{i}" for i in range(len(revenue))],
            "InvoiceDate": revenue.index,
            "Quantity": 1,
            "UnitPrice": revenue.to_numpy(),
        }
    )


def inject_days(daily: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """``DAYS`` trading days away from the edges: half multiplied by 2.5-4, half cut to 20%."""
    out = daily.copy()
    inner = out.index[7:-7][out["UnitPrice"].iloc[7:-7] > 0]
    picks = rng.choice(inner, DAYS, replace=False)
    factors = np.r_[rng.uniform(2.5, 4.0, DAYS // 2), np.full(DAYS - DAYS // 2, 0.2)]
    out.loc[picks, "UnitPrice"] *= factors
    kinds = np.where(factors > 1, "spike", "drop")
    return out, dict(zip(out.loc[picks, "InvoiceDate"], kinds, strict=True))


def inject_lines(lines: pd.DataFrame, flagged: pd.DataFrame, rng: np.random.Generator):
    """50x quantities, 10x prices and refunds without a sale; returns the lines and the injected keys."""
    out = lines.copy()
    sale = (out["Quantity"] > 0) & (out["UnitPrice"] > 0) & ~out["InvoiceNo"].str.startswith("C")
    sales_per_product = out[sale].groupby("StockCode").size()
    usual = out[sale].groupby("StockCode")["UnitPrice"].median()
    big = out["StockCode"].map(sales_per_product).fillna(0) >= 5
    candidates = out.index[sale & big & ~_keys(out.rename(columns=NAMES)).isin(set(_keys(flagged)))]
    picks = rng.choice(candidates, 2 * LINES, replace=False)
    quantity, price = picks[:LINES], picks[LINES:]
    out.loc[quantity, "Quantity"] *= 50
    out.loc[price, "UnitPrice"] = 10 * out.loc[price, "StockCode"].map(usual).to_numpy()
    refunds = _refunds(out[sale], usual[sales_per_product >= 5], rng)
    out = pd.concat([out, refunds], ignore_index=True)
    injected = {
        "large_quantity": set(_keys(out.loc[quantity].rename(columns=NAMES))),
        "far_price": set(_keys(out.loc[price].rename(columns=NAMES))),
        "refund_without_sale": set(_keys(refunds.rename(columns=NAMES))),
    }
    return out, injected


def _refunds(sales: pd.DataFrame, usual: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """``LINES`` cancellations, each of a product (of ``usual``) its customer never bought, at its price."""
    known = sales.dropna(subset=["CustomerID"])
    bought = set(zip(known["CustomerID"], known["StockCode"], strict=True))
    customers = known.drop_duplicates("CustomerID").set_index("CustomerID")["Country"]
    products = usual.index
    first, last = sales["InvoiceDate"].min(), sales["InvoiceDate"].max()
    rows = []
    while len(rows) < LINES:
        customer, product = rng.choice(customers.index), rng.choice(products)
        if (customer, product) in bought:
            continue
        when = first + (last - first) * rng.uniform()
        rows.append(
            {
                "InvoiceNo": f"C9{len(rows):05d}",
                "StockCode": product,
                "Description": "injected refund",
                "Quantity": -float(rng.integers(1, 13)),
                "InvoiceDate": when.floor("min"),
                "UnitPrice": float(usual[product]),
                "CustomerID": customer,
                "Country": customers[customer],
            }
        )
        bought.add((customer, product))
    return pd.DataFrame(rows)


def _keys(df: pd.DataFrame) -> pd.Series:
    """One text key per line (order, time, customer, product, quantity, price): what a flag names."""
    parts = [
        df["order_id"].astype(str),
        pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d %H:%M"),
        df["customer"].fillna(-1).astype(float).map("{:.0f}".format),
        df["product"].astype(str),
        df["quantity"].astype(float).map("{:g}".format),
        df["unit_price"].astype(float).map("{:.6g}".format),
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out + "|" + part
    return out


def flagged_days(ws: Workspace, table: str, threshold: float) -> tuple[dict, int, float]:
    """Flagged day -> direction, the number of days checked, and the run's seconds."""
    start = time.perf_counter()
    result = DetectAnomalies(ws)(table=table, kind="periods", threshold=threshold)
    seconds = time.perf_counter() - start
    df = result.tables[0].df
    return dict(zip(df["period"], df["direction"], strict=True)), result.fact("periods_checked"), seconds


def report_days(clean: dict, found: dict, injected: dict, days: int) -> None:
    print(f"Periods: daily revenue, {days} days; {DAYS} injected ({DAYS // 2} spikes x2.5-4, drops to 20%)")
    for kind in ("spike", "drop"):
        mine = [d for d, k in injected.items() if k == kind]
        hits = sum(found.get(d) == kind for d in mine)
        print(f"  recall {kind}s: {hits}/{len(mine)} ({hits / len(mine):.0%})")
    false = sum(d not in injected for d in found)
    print(
        f"  false alarms: {false}/{days - len(injected)} clean days ({false / (days - len(injected)):.1%}); "
        f"untouched data: {len(clean)}/{days} days flagged ({len(clean) / days:.1%})"
    )


def report_lines(clean: pd.DataFrame, found: pd.DataFrame, injected: dict, total: int) -> None:
    n_injected = sum(len(keys) for keys in injected.values())
    print(f"Lines: {total:,} lines, {n_injected} injected ({LINES} per rule)")
    keys = _keys(found)
    every = set().union(*injected.values())
    for rule, mine in injected.items():
        flagged = keys[found["rule"] == rule]
        hits = len(mine & set(flagged))
        false = int((~flagged.isin(every)).sum())
        before = int((clean["rule"] == rule).sum())
        print(
            f"  {rule}: recall {hits}/{len(mine)} ({hits / len(mine):.0%}); false alarms "
            f"{false:,}/{total - n_injected:,} clean lines ({false / (total - n_injected):.2%}); "
            f"untouched data: {before:,} flagged ({before / (total - LINES):.2%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=3.5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    lines = pd.read_parquet(demo_data_path("online_retail.parquet"))
    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(home, demo=False)
        daily = daily_revenue(lines)
        ws.save_table("daily_clean", daily, source="benchmark")
        injected_daily, days = inject_days(daily, rng)
        ws.save_table("daily", injected_daily, source="benchmark")
        clean_days, checked, _ = flagged_days(ws, "daily_clean", args.threshold)
        found_days, _, days_s = flagged_days(ws, "daily", args.threshold)
        report_days(clean_days, found_days, days, checked)

        ws.save_table("lines_clean", lines, source="benchmark")
        clean_lines = flag_lines(ws, "lines_clean", args.threshold, per_rule=None).flagged
        injected_lines, keys = inject_lines(lines, clean_lines, rng)
        ws.save_table("lines", injected_lines, source="benchmark")
        found_lines = flag_lines(ws, "lines", args.threshold, per_rule=None).flagged
        report_lines(clean_lines, found_lines, keys, len(injected_lines))
        start = time.perf_counter()
        DetectAnomalies(ws)(table="lines", kind="transactions", threshold=args.threshold)
        lines_s = time.perf_counter() - start
        print(
            f"Run time: periods {days_s:.2f} s, transactions on {len(injected_lines):,} lines {lines_s:.2f} s"
        )
        ws.close()


if __name__ == "__main__":
    main()
