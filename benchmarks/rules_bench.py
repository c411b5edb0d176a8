"""Association-rule mining on all Online Retail baskets: our engine vs mlxtend (sparse FP-Growth, dense
Apriori) and pyfim (C FP-Growth, optional), at min_support 0.01 and 0.005.

Each engine runs in its own process so its peak memory (max RSS) is its own; Apriori's process gets an
address-space limit so its dense candidate arrays fail fast instead of swapping the machine.

    python -m benchmarks.rules_bench [--repeats 3] [--skip-apriori]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
APRIORI_MEMORY_LIMIT = 12 * 1024**3
APRIORI_TIMEOUT_S = 240


def prepare(path: Path) -> tuple[int, int]:
    """Save the basket x item matrix of Online Retail (non-cancelled orders, as the tool builds it)."""
    sys.path.insert(0, str(ROOT))
    from tools.baskets import load_baskets
    from tools.itemsets import one_hot
    from tools.workspace import Workspace

    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(home)
        data = load_baskets(ws, "online_retail")
        ws.close()
    matrix, _ = one_hot(data.lines)
    sp.save_npz(path, matrix)
    return matrix.shape


def child(engine: str, matrix_path: str, support: float) -> dict:
    """Run one engine once in this process; report seconds, itemsets and peak RSS."""
    sys.path.insert(0, str(ROOT))
    matrix = sp.load_npz(matrix_path).tocsr()
    n = matrix.shape[0]
    min_count = math.ceil(support * n - 1e-9)
    base_rss = _peak_rss_mb()
    start = time.perf_counter()
    if engine in ("bitset", "fpgrowth"):
        from tools.itemsets import frequent_itemsets

        count = len(frequent_itemsets(matrix, min_count, max_len=10, cap=10**7, engine=engine).counts)
    elif engine == "pyfim":
        import fim

        csr = matrix.tocsr()
        baskets = [csr.indices[csr.indptr[i] : csr.indptr[i + 1]].tolist() for i in range(n)]
        start = time.perf_counter()  # time the mining, not the list building
        count = len(fim.fpgrowth(baskets, supp=-min_count, zmin=1, zmax=10))
    elif engine == "apriori":
        import pandas as pd
        from mlxtend.frequent_patterns import apriori

        resource.setrlimit(resource.RLIMIT_AS, (APRIORI_MEMORY_LIMIT, APRIORI_MEMORY_LIMIT))
        dense = pd.DataFrame(matrix.toarray(), columns=[str(i) for i in range(matrix.shape[1])])
        count = len(apriori(dense, min_support=(min_count - 0.5) / n, max_len=10))
    else:
        raise SystemExit(f"unknown engine {engine}")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "itemsets": count, "peak_rss_mb": _peak_rss_mb(), "base_rss_mb": base_rss}


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_child(engine: str, matrix_path: Path, support: float, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.rules_bench", "--child", engine, str(matrix_path), str(support)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-apriori", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "MATRIX", "SUPPORT"))
    args = parser.parse_args()
    if args.child:
        engine, path, support = args.child
        print(json.dumps(child(engine, path, float(support))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "baskets.npz"
        shape = prepare(path)
        print(f"Online Retail: {shape[0]:,} baskets x {shape[1]:,} items")
        engines = ["bitset", "fpgrowth", "pyfim"] + ([] if args.skip_apriori else ["apriori"])
        for support in (0.01, 0.005):
            results = {}
            for engine in engines:
                repeats = args.repeats if engine in ("bitset", "pyfim") else 1
                runs = [run_child(engine, path, support, APRIORI_TIMEOUT_S) for _ in range(repeats)]
                ok = [r for r in runs if "error" not in r]
                if not ok:
                    results[engine] = runs[0]
                    continue
                results[engine] = {
                    "seconds": statistics.median(r["seconds"] for r in ok),
                    "itemsets": ok[0]["itemsets"],
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in ok),
                    "base_rss_mb": ok[0]["base_rss_mb"],
                }
            report(support, results)


def report(support: float, results: dict) -> None:
    ours = results["bitset"]["seconds"]
    print(f"\nmin_support {support}:")
    print(
        f"{'engine':<34}{'median s':>10}{'itemsets':>10}{'peak RSS MB':>13}{'(data loaded)':>15}{'vs ours':>10}"
    )
    names = {
        "bitset": "martmind bitset (default)",
        "fpgrowth": "mlxtend fpgrowth, sparse frame",
        "pyfim": "pyfim fpgrowth (C)",
        "apriori": "mlxtend apriori, dense frame",
    }
    for engine, r in results.items():
        if "error" in r:
            print(f"{names[engine]:<34}  failed: {r['error']}")
            continue
        ratio = r["seconds"] / ours
        print(
            f"{names[engine]:<34}{r['seconds']:>10.2f}{r['itemsets']:>10,}{r['peak_rss_mb']:>13.0f}"
            f"{r['base_rss_mb']:>15.0f}{ratio:>9.1f}x"
        )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
