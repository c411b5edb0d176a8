"""Text indexing and search speed: indexing throughput vs the raw encoder, re-index cost, query latency.

    python -m benchmarks.text_index [--home DIR] [--sample 500] [--repeats 3] [--queries 40]

1. The raw encoder on ``--sample`` review texts (batch 64), then ``TextIndex.sync`` of the same texts into a
   fresh Chroma collection: documents per second of each, and their ratio (aim: >= 0.8).
2. Syncing the same texts again: embeddings computed must be 0.
3. The full reviews index (built once in ``--home`` and reused by later runs), then query latency p50/p95
   for top-10 with and without a metadata filter: Chroma alone, the index query (query embedding included)
   and the semantic_search tool end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUERIES = [
    "dress runs small",
    "fabric feels cheap",
    "beautiful color",
    "too tight in the chest",
    "see-through material",
    "great for a wedding",
    "zipper broke",
    "itchy sweater",
    "perfect fit",
    "shrunk after washing",
    "long for petite women",
    "comfortable jeans",
    "poor stitching",
    "soft and cozy",
    "runs large",
    "love the pattern",
    "returned it",
    "not as pictured",
    "flattering cut",
    "waist too big",
]
FILTER = {"$and": [{"rating": {"$lte": 2}}, {"department": "Dresses"}]}
TOOL_FILTER = [{"field": "rating", "op": "<=", "value": 2}, {"field": "department", "value": "Dresses"}]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def throughput(ws, sample: int, repeats: int) -> dict:
    """Raw encoder vs full indexing on the same texts, alternating ``repeats`` times (a shared machine's
    load drifts; pairs measured back to back compare fairly), medians reported."""
    from tools import embeddings
    from tools.textindex import Documents, TextIndex, chroma_client
    from tools.textsources import get_source

    docs = get_source(ws, "reviews").documents(ws)
    subset = Documents(docs.ids[:sample], docs.texts[:sample], docs.metadatas[:sample])
    embedder = embeddings.get_embedder()
    embedder.encode(["warm up the model"])
    client = chroma_client(path=ws.subdir("chroma"))
    raw, indexed, ratios = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        embedder.encode(subset.texts, batch_size=64)
        raw_s = time.perf_counter() - start
        if "bench_throughput" in [c.name for c in client.list_collections()]:
            client.delete_collection("bench_throughput")
        index = TextIndex(client, "bench_throughput")
        stats = index.sync(subset)
        raw.append(len(subset.ids) / raw_s)
        indexed.append(len(subset.ids) / stats.seconds)
        ratios.append(raw_s / stats.seconds)
        print(f"  encoder {raw[-1]:.1f} docs/s, index {indexed[-1]:.1f} docs/s", flush=True)
    again = index.sync(subset)
    return {
        "texts": len(subset.ids),
        "batch_size": 64,
        "repeats": repeats,
        "encoder_docs_per_s": round(statistics.median(raw), 1),
        "index_docs_per_s": round(statistics.median(indexed), 1),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratios": [round(r, 3) for r in ratios],
        "index_embedded": stats.embedded,
        "reindex_embedded": again.embedded,
        "reindex_unchanged": again.unchanged,
        "reindex_s": again.seconds,
    }


def latency(ws, queries: int) -> dict:
    """p50/p95 of top-10 queries on the full reviews index: the query embedding alone, Chroma alone (query
    vector ready), the index query (both) and the semantic_search tool (filters resolved, table built)."""
    from tools.search import SemanticSearch, index_source, open_index
    from tools.textsources import get_source

    source = get_source(ws, "reviews")
    build = index_source(ws, source, progress=_progress)
    index = open_index(ws, source)
    vectors = index.embedder.encode(QUERIES)
    tool = SemanticSearch(ws)
    out = {"reviews_indexed": index.count(), "full_build": build.to_dict()}
    for label, where in (("no_filter", None), ("filter", FILTER)):
        timings: dict[str, list[float]] = {"encode": [], "chroma": [], "index": [], "tool": []}
        for i in range(queries):
            text = QUERIES[i % len(QUERIES)]
            vector = vectors[i % len(QUERIES)][None, :]
            timings["encode"].append(_ms(index.embedder.encode, [text]))
            timings["chroma"].append(
                _ms(index.collection.query, query_embeddings=vector, n_results=10, where=where)
            )
            timings["index"].append(_ms(index.query, text, top=10, where=where))
            tool_where = TOOL_FILTER if where else None
            timings["tool"].append(_ms(tool, query=text, source="reviews", top=10, where=tool_where))
        out[label] = {
            f"{name}_{stat}_ms": round(fn(values), 2)
            for name, values in timings.items()
            for stat, fn in (("p50", statistics.median), ("p95", lambda v: percentile(v, 95)))
        }
    return out


def _ms(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def _progress(name: str, done: int, total: int) -> None:
    if total and (done == total or done % 2048 == 0):
        print(f"  {name}: embedded {done:,}/{total:,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home", default="/tmp/martmind-bench-text", help="workspace (the full index is kept)"
    )
    parser.add_argument("--sample", type=int, default=500, help="texts for the throughput comparison")
    parser.add_argument(
        "--repeats", type=int, default=3, help="encoder/index pairs for the throughput comparison"
    )
    parser.add_argument("--queries", type=int, default=40, help="queries per latency measurement")
    parser.add_argument("--skip-latency", action="store_true", help="only the throughput comparison")
    parser.add_argument("--skip-throughput", action="store_true", help="only the latency measurement")
    args = parser.parse_args()

    from tools.workspace import Workspace

    ws = Workspace(args.home)
    report = {}
    if not args.skip_throughput:
        report["throughput"] = throughput(ws, args.sample, args.repeats)
        print(json.dumps(report["throughput"]), flush=True)
    if not args.skip_latency:
        report["latency"] = latency(ws, args.queries)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
