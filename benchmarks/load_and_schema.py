"""Speed of `martmind load` and of the schema card on the Online Retail data (541,909 rows).

Run: python -m benchmarks.load_and_schema [--repeats N]. Prints medians and ratios against baselines run in
the same script:
- load: our loader (parse, infer types, sanitise, one atomic save) on the UCI-style CSV, against DuckDB's
  own ``read_csv`` into a table (its C++ sniffer, typing and parallel reader: the fastest typed load there is)
  and ``pandas.read_csv`` with default typing (no date parsing, no currency stripping).
- schema card of ``online_retail``: computed (cold) against the cached card (memory, and file after a restart).
- the compact prompt of all 13 demo tables: characters and time with a warm cache.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from tools import schema
from tools.loader import load_file
from tools.workspace import Workspace


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def retail_csv(ws: Workspace, folder: Path) -> Path:
    """The demo table written the way the UCI file is: 12/1/2010 8:26 dates, blank missing customers."""
    df = ws.frame("online_retail")
    d = df["InvoiceDate"]
    df["InvoiceDate"] = (
        d.dt.month.astype(str)
        + "/"
        + d.dt.day.astype(str)
        + "/"
        + d.dt.year.astype(str)
        + " "
        + d.dt.hour.astype(str)
        + ":"
        + d.dt.strftime("%M")
    )
    path = folder / "online_retail.csv"
    df.to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ws = Workspace(folder / "home")
        csv = retail_csv(ws, folder)
        print(f"CSV: {csv.stat().st_size / 1e6:.1f} MB, 541,909 rows")

        report = load_file(ws, csv, table="retail_csv")
        print("our types:", ", ".join(f"{c['name']} {c['type']}" for c in report.columns))
        ours = median_seconds(lambda: load_file(ws, csv, table="retail_csv"), args.repeats)
        con = duckdb.connect(str(folder / "baseline.duckdb"))
        duck = median_seconds(
            lambda: con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)]),
            args.repeats,
        )
        con.close()
        pandas_s = median_seconds(lambda: pd.read_csv(csv), args.repeats)
        print(f"load, martmind loader:          median {ours:6.2f} s")
        print(f"load, DuckDB read_csv (base):   median {duck:6.2f} s   ratio ours/DuckDB {ours / duck:5.1f}x")
        print(
            f"load, pandas.read_csv (base):   median {pandas_s:6.2f} s   ratio ours/pandas {ours / pandas_s:5.1f}x"
        )

        def cold() -> None:
            schema._memory.clear()
            schema.compute_stats(ws, "online_retail", ws.columns("online_retail"))

        def warm_file() -> None:
            schema._memory.clear()
            schema.table_card(ws, "online_retail")

        cold_s = median_seconds(cold, args.repeats)
        schema.table_card(ws, "online_retail")
        warm_s = median_seconds(lambda: schema.table_card(ws, "online_retail"), args.repeats)
        file_s = median_seconds(warm_file, args.repeats)
        print(f"schema card online_retail, computed: median {cold_s * 1000:7.1f} ms")
        print(
            f"schema card online_retail, cached (memory): median {warm_s * 1000:7.1f} ms "
            f"({cold_s / warm_s:.0f}x faster)"
        )
        print(
            f"schema card online_retail, cached (file):   median {file_s * 1000:7.1f} ms "
            f"({cold_s / file_s:.0f}x faster)"
        )

        demo = [t for t in ws.tables() if t != "retail_csv"]
        text = schema.schema_prompt(ws, demo)
        prompt_s = median_seconds(lambda: schema.schema_prompt(ws, demo), args.repeats)
        print(
            f"schema prompt, {len(demo)} demo tables: {len(text):,} characters, median {prompt_s * 1000:.1f} ms (warm)"
        )
        ws.close()


if __name__ == "__main__":
    main()
