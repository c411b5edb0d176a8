"""Precision and recall of tools.pii on labelled sentences, its speed per prompt, and what it flags in the
demo data (which holds no private data: every hit there is a false alarm, or a real name in a review).

A found value counts when its kind and exact text match a label. Names are scored twice: from the name
lists alone, and with the fake CRM table's ``Full Name`` values known (what tools.pii_columns adds when
such a table is loaded). Speed: milliseconds to scan one ~2,000-character prompt, three shapes (a table
preview full of contacts, a preview of the demo's invoice lines, review text), median of 20 runs.

    python -m benchmarks.pii_eval [--demo-rows 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.pii import KINDS, find_pii  # noqa: E402

SENTENCES = Path(__file__).with_name("pii_sentences.yaml")
CRM = ROOT / "tests" / "data" / "crm_customers.csv"
DATA = ROOT / "tools" / "data"
PROMPT_CHARS = 2000


def score(cases: list[dict], known: frozenset[str]) -> dict[str, dict[str, float]]:
    """Per kind: true and false positives, misses, precision and recall."""
    counts: dict[str, Counter] = {k: Counter() for k in KINDS}
    for case in cases:
        expected = {(k, str(v)) for k, v in case["pii"]}
        found = {(s.kind, s.of(case["text"])) for s in find_pii(case["text"], known)}
        for kind, _ in found & expected:
            counts[kind]["tp"] += 1
        for kind, _ in found - expected:
            counts[kind]["fp"] += 1
        for kind, _ in expected - found:
            counts[kind]["fn"] += 1
    out = {}
    for kind, c in counts.items():
        found, labelled = c["tp"] + c["fp"], c["tp"] + c["fn"]
        out[kind] = {
            **{k: c[k] for k in ("tp", "fp", "fn")},
            "precision": round(c["tp"] / found, 2) if found else float("nan"),
            "recall": round(c["tp"] / labelled, 2) if labelled else float("nan"),
        }
    return out


def prompts() -> dict[str, str]:
    """~2,000-character prompt bodies of three shapes."""
    contacts = pd.read_csv(CRM).to_string(index=False)
    lines = pd.read_parquet(DATA / "online_retail.parquet").head(60).to_string(index=False)
    reviews = " ".join(pd.read_parquet(DATA / "clothing_reviews.parquet")["Review Text"].dropna().head(40))
    return {
        name: (text * 3)[:PROMPT_CHARS]
        for name, text in [("contacts", contacts), ("invoice lines", lines), ("reviews", reviews)]
    }


def ms_per_prompt(text: str, runs: int = 20) -> float:
    find_pii(text)  # the name lists and the phone metadata load once
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        find_pii(text)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def demo_hits(rows: int) -> dict[str, list[str]]:
    """What is flagged in the demo's invoice lines (rendered as a preview) and review texts."""
    retail = pd.read_parquet(DATA / "online_retail.parquet").head(rows).to_string(index=False)
    reviews = pd.read_parquet(DATA / "clothing_reviews.parquet")
    texts = {
        "online_retail": [retail],
        "clothing_reviews": reviews["Review Text"].dropna().head(rows).tolist(),
    }
    hits: dict[str, list[str]] = {}
    for name, chunks in texts.items():
        hits[name] = [f"{s.kind}:{s.of(t)}" for t in chunks for s in find_pii(t)]
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-rows", type=int, default=5000)
    args = parser.parse_args()
    cases = yaml.safe_load(SENTENCES.read_text())
    known = frozenset(pd.read_csv(CRM)["Full Name"])
    print(f"{len(cases)} sentences")
    for label, names in (("name lists only", frozenset()), ("CRM names known", known)):
        print(f"\n{label}: kind tp fp fn precision recall")
        for kind, s in score(cases, names).items():
            print(f"  {kind:8} {s['tp']:3} {s['fp']:3} {s['fn']:3}  {s['precision']:.2f}  {s['recall']:.2f}")
    print("\nms per 2,000-character prompt:")
    for name, text in prompts().items():
        print(f"  {name:14} {ms_per_prompt(text):6.1f}")
    print(f"\nflagged in the demo data (first {args.demo_rows:,} rows):")
    for name, found in demo_hits(args.demo_rows).items():
        kinds = Counter(h.split(":")[0] for h in found)
        print(f"  {name}: {len(found)} {dict(kinds)}; e.g. {sorted(set(found))[:12]}")


if __name__ == "__main__":
    main()
