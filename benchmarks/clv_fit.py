"""Speed of our BG/NBD + Gamma-Gamma fit against the `lifetimes` package (baseline) on the CDNOW sample.

Run: python -m benchmarks.clv_fit [--repeats N]. Prints medians and the ratio; skips the baseline when
lifetimes is not installed. Both fit the same customer histories (39-week calibration, weekly units).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from datetime import date

from tools import clv_models as m
from tools.clv import purchase_histories
from tools.workspace import Workspace


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(home)
        df = purchase_histories(ws, "cdnow_sample", date(1997, 9, 30)).frame
        ws.close()
    x, t_x, T = df["x"].to_numpy(float), df["t_x"].to_numpy(float), df["T"].to_numpy(float)
    spenders = df[(df["x"] > 0) & (df["m"] > 0)]

    def ours() -> None:
        m.fit_bgnbd(x, t_x, T)
        m.fit_gamma_gamma(spenders["x"], spenders["m"])

    ours_s = median_seconds(ours, args.repeats)
    print(f"martmind BG/NBD + Gamma-Gamma fit, {len(df):,} customers: median {ours_s * 1000:.1f} ms")
    try:
        import lifetimes
    except ImportError:
        print("lifetimes not installed: no baseline")
        return

    def theirs() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lifetimes.BetaGeoFitter().fit(x, t_x, T)
            lifetimes.GammaGammaFitter().fit(spenders["x"], spenders["m"])

    theirs_s = median_seconds(theirs, args.repeats)
    print(f"lifetimes 0.11 (baseline): median {theirs_s * 1000:.1f} ms")
    print(f"ratio lifetimes / martmind: {theirs_s / ours_s:.2f}x")


if __name__ == "__main__":
    main()
