"""Tool and argument accuracy of the agent's plans on the development set (benchmarks/devset.jsonl).

    python -m benchmarks.agent_accuracy --router-only                  # the router alone, no LLM
    python -m benchmarks.agent_accuracy --model transformers:default --modes off auto --limit 40

Tool accuracy: the planned tool is the expected one. Argument accuracy (of the requests whose tool was
right): every expected argument matches (strings case-insensitively or fuzzily >= 85, numbers within
0.1%, lists as sets, ``sql`` by its result on the workspace). Requests whose tool is not registered in
this build are skipped and counted. Each mode runs in the same process on the same requests, so the
modes compare directly; ``off`` (no router) is the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from statistics import median, quantiles
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEVSET = Path(__file__).with_name("devset.jsonl")


def load_devset(path: Path = DEVSET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def value_matches(expected: Any, actual: Any, ws=None, key: str = "") -> bool:
    """Loose equality of an expected argument and the planned one (see the module docstring)."""
    from rapidfuzz import fuzz

    if key == "sql" and ws is not None:
        return _same_result(ws, expected, actual)
    if actual is None:
        return expected is None
    if isinstance(expected, list):
        actual_list = actual if isinstance(actual, list) else [actual]
        return all(any(value_matches(e, a) for a in actual_list) for e in expected)
    if isinstance(actual, list) and len(actual) == 1:
        actual = actual[0]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        lowered = {str(k).lower(): v for k, v in actual.items()}
        return all(value_matches(v, lowered.get(str(k).lower())) for k, v in expected.items())
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return abs(float(actual) - expected) <= 1e-3 * max(1.0, abs(expected))
        except (TypeError, ValueError):
            return False
    a, e = str(actual).strip().lower(), str(expected).strip().lower()
    return a == e or e in a or fuzz.ratio(a, e) >= 85


def _same_result(ws, expected_sql: str, actual_sql: Any) -> bool:
    try:
        want = ws.query(expected_sql, max_rows=1000)
        got = ws.query(str(actual_sql), max_rows=1000)
    except Exception:  # noqa: BLE001 - a failing query simply does not match
        return False
    if want.shape[0] != got.shape[0]:
        return False
    # Compare the values column-set-insensitively: each expected column must appear among the result's.
    got_cols = [sorted(map(_norm, got[c].tolist())) for c in got.columns]
    return all(sorted(map(_norm, want[c].tolist())) in got_cols for c in want.columns)


def _norm(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def with_defaults(tool, args: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments with the tool's defaults in place of omitted or null ones (that is what runs)."""
    fields = tool.Args.model_fields
    defaults = {name: f.default for name, f in fields.items() if not f.is_required()}
    return {**defaults, **{k: v for k, v in args.items() if v is not None}}


def score_call(
    item: dict[str, Any], name: str | None, args: dict[str, Any] | None, registry, ws
) -> tuple[bool, bool]:
    """(right tool, right tool and every expected argument) for one planned call of a devset item."""
    right_tool = name == item["tool"]
    right_args = right_tool and args_match(item["args"], with_defaults(registry.get(name), args or {}), ws)
    return right_tool, right_args


def args_match(expected: dict[str, Any], actual: dict[str, Any], ws=None) -> bool:
    return all(value_matches(v, _lookup(actual, k), ws, k) for k, v in expected.items())


def _lookup(args: dict[str, Any], key: str) -> Any:
    # The devset names an argument by its meaning; accept the singular/plural variant a tool may use.
    for name in (key, key + "s", key.rstrip("s")):
        if name in args:
            return args[name]
    return None


def router_only(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-1 accuracy and top-3 recall of the router over every tool the devset names."""
    from agent.router import Router
    from tools.registry import analysis_tools, cues_of

    router = Router({i["tool"] for i in items}, cues=cues_of(analysis_tools()))
    top1 = top3 = fixed = fixed_right = 0
    for item in items:
        route = router.route(item["request"], "auto")
        names = route.names
        top1 += names[0] == item["tool"]
        top3 += item["tool"] in names[:3]
        if route.fixed:
            fixed += 1
            fixed_right += route.fixed == item["tool"]
    n = len(items)
    return {
        "requests": n,
        "top1": top1 / n,
        "top3": top3 / n,
        "fixed_share": fixed / n,
        "fixed_precision": fixed_right / fixed if fixed else None,
    }


def run_mode(assistant, items: list[dict[str, Any]], mode: str) -> dict[str, Any]:
    assistant.router_mode = mode
    tool_ok = args_ok = 0
    times, wrong = [], Counter()
    for item in items:
        assistant.new_conversation()
        start = time.perf_counter()
        plan = assistant.plan(item["request"])
        times.append(time.perf_counter() - start)
        call = plan.calls[0] if plan.calls else None
        right_tool, right_args = score_call(
            item, call.name if call else None, call.args if call else None, assistant.registry, assistant.ws
        )
        tool_ok += right_tool
        args_ok += right_args
        if not right_tool:
            wrong[f"{item['tool']}->{call.name if call else plan.error and 'error' or 'none'}"] += 1
        # One line per request on stderr: a long run shows its progress and what went wrong as it goes.
        print(
            json.dumps(
                {
                    "mode": mode,
                    "request": item["request"],
                    "tool": call.name if call else None,
                    "args": call.args if call else None,
                    "tool_ok": right_tool,
                    "args_ok": right_args,
                    "error": plan.error,
                    "s": round(times[-1], 1),
                },
                ensure_ascii=False,
                default=str,
            ),
            file=sys.stderr,
            flush=True,
        )
    n = len(items)
    return {
        "mode": mode,
        "requests": n,
        "tool_accuracy": tool_ok / n,
        "arg_accuracy": args_ok / n,
        "arg_accuracy_given_tool": args_ok / tool_ok if tool_ok else None,
        "plan_p50_s": median(times) if times else None,
        "plan_p95_s": quantiles(times, n=20)[-1] if len(times) > 1 else None,
        "confusions": dict(wrong.most_common(8)),
    }


def rescore(log: Path, items: list[dict[str, Any]], home: str | None) -> dict[str, Any]:
    """Tool and argument accuracy per mode from a run's per-request lines, with today's scoring."""
    import tempfile

    from tools.registry import default_registry
    from tools.workspace import Workspace

    os.environ["MARTMIND_HOME"] = home or tempfile.mkdtemp(prefix="martmind-bench-")
    ws = Workspace()
    registry = default_registry(ws)
    expected = {i["request"]: i for i in items}
    modes: dict[str, list[tuple[bool, bool, float]]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        if not line.startswith('{"mode"'):
            continue
        row = json.loads(line)
        item = expected[row["request"]]
        right_tool, right_args = score_call(item, row["tool"], row["args"], registry, ws)
        modes.setdefault(row["mode"], []).append((right_tool, right_args, row["s"]))
    return {
        mode: {
            "requests": len(rows),
            "tool_accuracy": round(sum(r[0] for r in rows) / len(rows), 3),
            "arg_accuracy": round(sum(r[1] for r in rows) / len(rows), 3),
            "plan_p50_s": round(median(r[2] for r in rows), 1),
        }
        for mode, rows in modes.items()
    }


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model spec (default: $MARTMIND_MODEL or the embedded model)")
    parser.add_argument("--modes", nargs="+", default=["off", "auto"], help="router modes to compare")
    parser.add_argument("--limit", type=int, default=None, help="first N requests (after filtering)")
    parser.add_argument("--home", default=None, help="workspace home (default: a temporary one)")
    parser.add_argument("--router-only", action="store_true", help="measure the router alone, no LLM")
    parser.add_argument(
        "--explicit", action="store_true", help="the model writes every argument (null if unstated)"
    )
    parser.add_argument("--tools", nargs="*", default=None, help="only requests for these tools")
    parser.add_argument(
        "--every", type=int, default=1, help="every Nth request only: a sample spread over all tools"
    )
    parser.add_argument(
        "--rescore", type=Path, help="score the per-request lines (stderr) of an earlier run again, no model"
    )
    args = parser.parse_args(argv)
    items = load_devset()
    if args.rescore:
        print(json.dumps(rescore(args.rescore, items, args.home), indent=1))
        return 0
    if args.router_only:
        print(json.dumps(router_only(items), indent=1))
        return 0
    import tempfile

    from agent import Assistant

    home = args.home or tempfile.mkdtemp(prefix="martmind-bench-")
    assistant = Assistant(model=args.model, home=home, explicit_args=args.explicit)
    usable = [i for i in items if i["tool"] in assistant.registry]
    skipped = Counter(i["tool"] for i in items if i["tool"] not in assistant.registry)
    if args.tools:
        usable = [i for i in usable if i["tool"] in args.tools]
    usable = usable[:: args.every]
    usable = usable[: args.limit] if args.limit else usable
    report = {
        "model": assistant.model_spec,
        "skipped_unregistered": dict(skipped),
        "modes": [run_mode(assistant, usable, mode) for mode in args.modes],
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
