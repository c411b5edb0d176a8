"""Latency of the agent: p50/p95 of ``plan`` and of a full ``ask`` for a metric question.

    python -m benchmarks.agent_latency --model transformers:default --repeat 5

Each request runs in a fresh conversation, in the assistant's default router mode. The baseline is the same
plans with the router off (the model chooses among every tool), in the same run, so the ratio shows what
the router saves. The first call (model load, embedder load) is timed separately as ``cold_s`` and left out
of the percentiles.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median, quantiles
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PLAN_REQUESTS = [
    "revenue by country, top 5",
    "how many orders did we get per month?",
    "which products are bought together with the regency cakestand?",
    "segment our customers",
    "find reviews that say the dress runs small",
]
ASK_REQUEST = "What was the total revenue by country? Show the top 5."


def percentiles(times: list[float]) -> dict[str, float]:
    if len(times) < 2:
        return {
            "p50_s": times[0] if times else float("nan"),
            "p95_s": times[0] if times else float("nan"),
            "n": len(times),
        }
    return {"p50_s": median(times), "p95_s": quantiles(times, n=20, method="inclusive")[18], "n": len(times)}


def time_plans(assistant, mode: str, repeat: int) -> dict[str, Any]:
    assistant.router_mode = mode
    times = []
    for _ in range(repeat):
        for request in PLAN_REQUESTS:
            if not _tool_known(assistant, request):
                continue
            assistant.new_conversation()
            start = time.perf_counter()
            assistant.plan(request)
            times.append(time.perf_counter() - start)
    return {"mode": mode, **percentiles(times)}


def _tool_known(assistant, request: str) -> bool:
    # Skip requests whose tool is not in this build, so a partial registry does not skew the timings.
    ranked = assistant.router.rank(request)
    return not ranked or ranked[0][0] in assistant.registry


def time_asks(assistant, repeat: int) -> dict[str, Any]:
    times, parts = [], []
    for _ in range(repeat):
        assistant.new_conversation()
        start = time.perf_counter()
        answer = assistant.ask(ASK_REQUEST)
        times.append(time.perf_counter() - start)
        parts.append(answer.timings)
    keys = sorted({k for p in parts for k in p})
    return {
        **percentiles(times),
        "median_parts_s": {k: median(p.get(k, 0.0) for p in parts) for k in keys},
        "tool": answer.tool_calls[-1]["name"] if answer.tool_calls else None,
        "error": answer.error,
    }


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model spec (default: $MARTMIND_MODEL or the embedded model)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--home", default=None)
    args = parser.parse_args(argv)
    from agent import Assistant

    assistant = Assistant(model=args.model, home=args.home or tempfile.mkdtemp(prefix="martmind-bench-"))
    start = time.perf_counter()
    assistant.plan(PLAN_REQUESTS[0])  # loads the model and the embedder
    cold = time.perf_counter() - start
    mode = assistant.router_mode  # the default mode is what people get
    routed = time_plans(assistant, mode, args.repeat)
    off = time_plans(assistant, "off", args.repeat)
    assistant.router_mode = mode
    report = {
        "model": assistant.model_spec,
        "cold_s": cold,
        "plan": routed,
        "plan_off_baseline": off,
        "plan_p50_ratio_vs_off": routed["p50_s"] / off["p50_s"] if off["p50_s"] else None,
        "ask": time_asks(assistant, args.repeat),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
