"""Customer segmentation at 1,000,000 customers: end to end, and the RFM step in DuckDB vs pandas.

Online Retail is collapsed to one row per invoice (invoice, customer, date, net amount), then 1,000,000
customers are drawn with replacement from its customers, each copy with a new id and its source's invoices
(about 5 million rows). The table goes into a fresh workspace; the tool runs on it through column roles.

    python -m benchmarks.segments_bench [--customers 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.segments import SegmentCustomers, rfm_sql  # noqa: E402
from tools.workspace import Workspace, demo_data_path  # noqa: E402


def invoices() -> pd.DataFrame:
    lines = pd.read_parquet(demo_data_path("online_retail.parquet")).dropna(subset=["CustomerID"])
    lines["Amount"] = lines["Quantity"] * lines["UnitPrice"]
    out = lines.groupby("InvoiceNo", as_index=False).agg(
        CustomerID=("CustomerID", "first"), InvoiceDate=("InvoiceDate", "min"), Amount=("Amount", "sum")
    )
    out["CustomerID"] = out["CustomerID"].astype(np.int64)
    return out


def resample(source: pd.DataFrame, customers: int, seed: int = 0) -> pd.DataFrame:
    """``customers`` new customers, each a copy of a random source customer's invoices."""
    by_customer = source.sort_values("CustomerID").reset_index(drop=True)
    ids, starts, counts = np.unique(by_customer["CustomerID"], return_index=True, return_counts=True)
    picks = np.random.default_rng(seed).integers(0, len(ids), customers)
    repeat = counts[picks]
    rows = np.repeat(starts[picks], repeat) + _ranges(repeat)
    new_ids = np.repeat(np.arange(1, customers + 1), repeat)
    out = by_customer.iloc[rows].reset_index(drop=True)
    cancelled = out["InvoiceNo"].str.startswith("C")
    number = new_ids.astype(str) + "-" + out["InvoiceNo"].str.lstrip("C")
    out["InvoiceNo"] = np.where(cancelled, "C" + number, number)
    out["CustomerID"] = new_ids
    return out


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each c, concatenated."""
    ends = np.cumsum(counts)
    return np.arange(ends[-1]) - np.repeat(ends - counts, counts)


def rfm_pandas(df: pd.DataFrame) -> pd.DataFrame:
    """The same RFM as tools.segments.rfm_sql, in pandas."""
    snapshot = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    kept = df[~df["InvoiceNo"].str.startswith("C")]
    grouped = kept.groupby("CustomerID")
    out = pd.DataFrame({"last": grouped["InvoiceDate"].max(), "frequency": grouped["InvoiceNo"].nunique()})
    out["recency_days"] = (snapshot - out["last"].dt.normalize()).dt.days
    out["monetary"] = df.groupby("CustomerID")["Amount"].sum().reindex(out.index)
    return out[["recency_days", "frequency", "monetary"]].reset_index().sort_values("CustomerID")


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    big = resample(invoices(), args.customers)
    print(f"{args.customers:,} customers, {len(big):,} invoice rows")
    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(home, demo=False, memory_limit="4GB")
        ws.save_table("big_sales", big, source="benchmark")
        sql = rfm_sql(ws, "big_sales")
        duck_s, duck = timed(lambda: ws.query(sql, timeout_s=600), args.repeats)
        pandas_s, pand = timed(lambda: rfm_pandas(big), args.repeats)
        same = (
            np.allclose(duck["monetary"].to_numpy(), pand["monetary"].to_numpy())
            and (duck["recency_days"].to_numpy() == pand["recency_days"].to_numpy()).all()
        )
        print(
            f"RFM in DuckDB: median {duck_s:.2f} s; in pandas: median {pandas_s:.2f} s "
            f"({pandas_s / duck_s:.1f}x DuckDB); same result: {same}"
        )
        start = time.perf_counter()
        result = SegmentCustomers(ws)(table="big_sales")
        total = time.perf_counter() - start
        print(
            f"segment_customers end to end (RFM, k by silhouette 2..8 on a 20,000 sample, k-means on all, "
            f"saving {args.customers:,} assignments): {total:.1f} s, k={result.fact('segments')}"
        )
        print(
            result.table[
                [
                    "segment",
                    "customers",
                    "share_revenue",
                    "median_recency_days",
                    "median_frequency",
                    "median_monetary",
                ]
            ].to_string(index=False)
        )
        ws.close()


if __name__ == "__main__":
    main()
