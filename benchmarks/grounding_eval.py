"""Grounding of generated writing: share of numbers supported by facts, first draft vs after the check.

Runs the development requests of ``benchmarks/grounding_requests.yaml`` (strategies, copy, reports) with a
real model on the demo data. For every generated text it records the grounding check of the model's first
draft and of the final text (after at most one regeneration); whatever is still unsupported is flagged
[unverified] in the output, so an unflagged unsupported number is zero by construction (verified here).

    python -m benchmarks.grounding_eval --model transformers:default --limit 32 --out /tmp/grounding.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

REQUESTS = Path(__file__).with_name("grounding_requests.yaml")


def records_of(result: Any) -> list[dict[str, Any]]:
    """The grounding records of one tool result (a report has one per section)."""
    g = result.grounding
    if "sections" in g:
        return [s for s in g["sections"].values() if "first_draft" in s]
    return [g] if "first_draft" in g else []


def unflagged(text: str, record: dict[str, Any]) -> int:
    """Unsupported mentions of the final draft shown without the flag (the note and sources excluded)."""
    from agent.grounding import flag_marker

    body = text.split("\n## Sources")[0]
    body = "\n".join(line for line in body.splitlines() if not line.startswith("Note:"))
    marked = f" {flag_marker()}"
    return sum(max(0, body.count(u) - body.count(u + marked)) for u in set(record["final"]["unsupported"]))


def run(
    model_spec: str, limit: int, max_seconds: float, only: str | None = None, skip: int = 0
) -> dict[str, Any]:
    from agent.model_cache import shared_model
    from agent.writing import WritingContext, register_writing_tools
    from tools.registry import default_registry
    from tools.workspace import Workspace

    spec = yaml.safe_load(REQUESTS.read_text(encoding="utf-8"))
    ws = Workspace()
    model = shared_model(model_spec)
    started = time.perf_counter()
    items = []
    chosen = [(i, r) for i, r in enumerate(spec["requests"]) if only is None or r["tool"] == only]
    for i, req in chosen[skip : skip + limit]:
        if time.perf_counter() - started > max_seconds:
            break
        history = spec["histories"][req["history"]]
        registry = default_registry(ws)
        register_writing_tools(
            registry, ws, WritingContext(model=lambda: model, registry=registry, history=lambda h=history: h)
        )
        t0 = time.perf_counter()
        try:
            result = registry.get(req["tool"])(**req["args"])
        except Exception as e:  # noqa: BLE001 - a failed request is recorded, the run goes on
            items.append({"i": i, "tool": req["tool"], "error": f"{type(e).__name__}: {e}"})
            continue
        seconds = time.perf_counter() - t0
        if not records_of(result):
            items.append(
                {"i": i, "tool": req["tool"], "error": str(result.grounding.get("error", "no text"))}
            )
        for rec in records_of(result):
            items.append(
                {
                    "i": i,
                    "tool": req["tool"],
                    "args": req["args"],
                    "numbers_first": rec["first_draft"]["numbers"],
                    "supported_first": rec["first_draft"]["supported"],
                    "numbers_final": rec["final"]["numbers"],
                    "supported_final": rec["final"]["supported"],
                    "unsupported_first": rec["first_draft"]["unsupported"],
                    "unsupported_final": rec["final"]["unsupported"],
                    "regenerated": rec["regenerated"],
                    "unflagged": unflagged(
                        result.text if req["tool"] != "build_report" else _report_text(result), rec
                    ),
                    "seconds": round(seconds, 1),
                }
            )
        print(json.dumps(items[-1], ensure_ascii=False), flush=True)
    return summarize(items, model_spec)


def _report_text(result: Any) -> str:
    return Path(result.extra["markdown"]).read_text(encoding="utf-8")


def summarize(items: list[dict[str, Any]], model_spec: str) -> dict[str, Any]:
    ok = [x for x in items if "error" not in x]

    def share(kind: str, rows: list[dict[str, Any]]) -> float | None:
        n = sum(x[f"numbers_{kind}"] for x in rows)
        return round(sum(x[f"supported_{kind}"] for x in rows) / n, 4) if n else None

    by_tool = {
        tool: {
            "texts": len(rows),
            "share_supported_first": share("first", rows),
            "share_supported_final": share("final", rows),
            "regenerated": sum(x["regenerated"] for x in rows),
        }
        for tool in sorted({x["tool"] for x in ok})
        for rows in [[x for x in ok if x["tool"] == tool]]
    }
    return {
        "model": model_spec,
        "requests": len({x["i"] for x in items}),
        "texts": len(ok),
        "errors": [x for x in items if "error" in x],
        "numbers_first": sum(x["numbers_first"] for x in ok),
        "numbers_final": sum(x["numbers_final"] for x in ok),
        "share_supported_first": share("first", ok),
        "share_supported_final": share("final", ok),
        "texts_fully_supported_first": sum(not x["unsupported_first"] for x in ok),
        "texts_fully_supported_final": sum(not x["unsupported_final"] for x in ok),
        "unflagged_unsupported": sum(x["unflagged"] for x in ok),
        "median_seconds_per_request": statistics.median([x["seconds"] for x in ok]) if ok else None,
        "by_tool": by_tool,
        "items": items,
    }


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model spec (default: $MARTMIND_MODEL or the embedded model)")
    p.add_argument("--limit", type=int, default=32, help="number of requests to run")
    p.add_argument("--max-seconds", type=float, default=3600, help="stop starting requests after this long")
    p.add_argument("--out", help="write the full JSON here")
    p.add_argument("--only", choices=["write_strategy", "write_copy", "build_report"], help="one kind only")
    p.add_argument("--skip", type=int, default=0, help="start after this many requests (to resume a run)")
    p.add_argument(
        "--merge", nargs="+", metavar="JSON", help="summarise the items of earlier runs' --out files together"
    )
    args = p.parse_args()
    from agent.models import default_spec

    if args.merge:
        runs = [json.loads(Path(f).read_text(encoding="utf-8")) for f in args.merge]
        summary = summarize([x for r in runs for x in r["items"]], runs[0]["model"])
    else:
        summary = run(args.model or default_spec(), args.limit, args.max_seconds, args.only, args.skip)
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k != "items"}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
