"""Model backend speed: load time, time to first token, decode tokens/s, peak memory, constrained tool calls.

Each configuration runs in its own subprocess (so peak memory is its own), one after the other; the parent
prints medians and ratios against the first configuration (the baseline).

    python -m benchmarks.models_bench                       # default set (see CONFIGS)
    python -m benchmarks.models_bench --configs tf-default-bf16 tf-default-fp32 --reps 3
    python -m benchmarks.models_bench --one tf-default-bf16  # one configuration, JSON on stdout

Figures go to stdout as a table and, with --out, to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONFIGS: dict[str, dict[str, Any]] = {
    "tf-default-bf16": {"spec": "transformers:default", "dtype": "bfloat16"},
    "tf-default-fp32": {"spec": "transformers:default", "dtype": "float32"},
    "tf-small-bf16": {"spec": "transformers:small", "dtype": "bfloat16"},
    "tf-small-fp32": {"spec": "transformers:small", "dtype": "float32"},
    "tf-tiny-bf16": {"spec": "transformers:tiny", "dtype": "bfloat16"},
    "llamacpp-default": {"spec": "llamacpp:default"},
    "llamacpp-small": {"spec": "llamacpp:small"},
}

DECODE_PROMPT = [
    {
        "role": "user",
        "content": "Write a detailed paragraph about why online shops track the "
        "average order value, and how they can raise it.",
    }
]
# A ~1,000-token system prompt of the kind the planner uses: tool catalogue and schema card.
TOOLS_TEXT = "\n".join(
    f"- {name}: {text}"
    for name, text in [
        ("metric_query", "metric(s) x dimensions x filters x time grain, compiled to SQL deterministically"),
        ("sql_query", "one read-only DuckDB SELECT over the workspace tables"),
        ("segment_customers", "RFM features and k-means, named and profiled segments"),
        ("association_rules", "market-basket rules with support, confidence and lift"),
        ("roi_calculator", "ROI, ROAS, profit, break-even, CAC and CLV from stated inputs"),
        ("campaign_uplift", "treatment vs control incrementality with a confidence interval"),
    ]
)
COLUMNS = ", ".join(f"col_{i} (VARCHAR, example values: a{i}, b{i}, c{i})" for i in range(60))
SYSTEM = (
    f"You are martmind's planner. Choose one tool and fill its arguments.\nTools:\n{TOOLS_TEXT}\n"
    f"Table online_retail columns: {COLUMNS}\nRules: never invent spend, margin or dates; leave unknown "
    "arguments null."
)
TOOL_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "required": ["name", "arguments"],
            "additionalProperties": False,
            "properties": {
                "name": {"const": "metric_query"},
                "arguments": {
                    "type": "object",
                    "required": ["metrics", "by", "country", "grain", "top"],
                    "additionalProperties": False,
                    "properties": {
                        "metrics": {
                            "type": "array",
                            "items": {"enum": ["revenue", "orders", "aov", "customers", "units"]},
                        },
                        "by": {"anyOf": [{"enum": ["Country", "month", "Description"]}, {"type": "null"}]},
                        "country": {"type": ["string", "null"]},
                        "grain": {"anyOf": [{"enum": ["day", "week", "month"]}, {"type": "null"}]},
                        "top": {"type": ["integer", "null"]},
                    },
                },
            },
        },
        {
            "type": "object",
            "required": ["name", "arguments"],
            "additionalProperties": False,
            "properties": {
                "name": {"const": "roi_calculator"},
                "arguments": {
                    "type": "object",
                    "required": ["spend", "revenue", "margin"],
                    "additionalProperties": False,
                    "properties": {
                        "spend": {"type": "number"},
                        "revenue": {"type": "number"},
                        "margin": {"type": ["number", "null"]},
                    },
                },
            },
        },
    ]
}
QUESTIONS = [
    "What were revenue and orders by month in Germany?",
    "Show the top 10 products by revenue per month for France.",
    "Revenue and average order value by country, top 5?",
]


def run_one(name: str, reps: int, decode_tokens: int) -> dict[str, Any]:
    """Measure one configuration in this process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.models import load_model

    config = dict(CONFIGS[name])
    spec = config.pop("spec")
    model = load_model(spec, timeout_s=900, **config)
    start = time.perf_counter()
    model.load()
    result: dict[str, Any] = {"config": name, "spec": spec, **config, "load_s": time.perf_counter() - start}
    model.generate([{"role": "user", "content": "Hi"}], max_new_tokens=2)  # warm-up

    decode, ttft = [], []
    for _ in range(reps):
        g = model.generate(DECODE_PROMPT, max_new_tokens=decode_tokens)
        ttft.append(g.first_token_seconds or 0.0)
        if g.completion_tokens > 1 and g.first_token_seconds:
            decode.append((g.completion_tokens - 1) / (g.seconds - g.first_token_seconds))
    result.update(decode_tok_s=statistics.median(decode), ttft_s=statistics.median(ttft))

    messages = lambda q: [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}]  # noqa: E731
    calls: dict[str, list[float]] = {"cached": [], "uncached": []}
    tokens: list[int] = []
    for mode in ("uncached", "cached"):
        _set_prefix_cache(model, mode == "cached")
        if mode == "cached":
            model.generate(messages("warm the cache"), json_schema=TOOL_SCHEMA, max_new_tokens=120)
        for i in range(reps):
            g = model.generate(
                messages(QUESTIONS[i % len(QUESTIONS)]), json_schema=TOOL_SCHEMA, max_new_tokens=120
            )
            json.loads(g.text)
            calls[mode].append(g.seconds)
            tokens.append(g.completion_tokens)
            result["prompt_tokens"] = g.prompt_tokens
    result.update(
        tool_call_uncached_s=statistics.median(calls["uncached"]),
        tool_call_cached_s=statistics.median(calls["cached"]),
        tool_call_tokens=statistics.median(tokens),
    )
    result["example_call"] = g.text
    info = model.info()
    result["peak_rss_mib"] = info.get("peak_rss_mib")
    return result


def _set_prefix_cache(model: Any, enabled: bool) -> None:
    if hasattr(model, "prefix_cache"):  # transformers
        model.prefix_cache = enabled
        model._prefixes.clear()
    elif getattr(model, "llm", None) is not None:  # llama.cpp: forget every evaluated prompt
        from agent.backends.llamacpp_states import PrefixStates

        model.llm.reset()
        model.states = PrefixStates(model.cache_bytes if enabled else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["tf-default-bf16", "tf-default-fp32", "llamacpp-default", "tf-small-bf16"],
    )
    parser.add_argument("--one", help="run one configuration in this process and print JSON")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--decode-tokens", type=int, default=48)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(run_one(args.one, args.reps, args.decode_tokens)))
        return 0
    results = []
    for name in args.configs:
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.models_bench",
            "--one",
            name,
            "--reps",
            str(args.reps),
            "--decode-tokens",
            str(args.decode_tokens),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(line[7:]))
        print(json.dumps(results[-1]), flush=True)
    _report(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


def _report(results: list[dict[str, Any]]) -> None:
    if not results:
        return
    base = results[0]
    print(
        f"\n{'config':<18}{'load s':>8}{'TTFT s':>8}{'tok/s':>8}{'x base':>8}{'call s':>8}{'cached':>8}"
        f"{'x base':>8}{'peak MiB':>10}"
    )
    for r in results:
        print(
            f"{r['config']:<18}{r['load_s']:>8.1f}{r['ttft_s']:>8.2f}{r['decode_tok_s']:>8.2f}"
            f"{r['decode_tok_s'] / base['decode_tok_s']:>8.2f}{r['tool_call_uncached_s']:>8.2f}"
            f"{r['tool_call_cached_s']:>8.2f}{base['tool_call_cached_s'] / r['tool_call_cached_s']:>8.2f}"
            f"{r['peak_rss_mib'] or 0:>10.0f}"
        )
    print(
        f"prompt of the tool call: {base.get('prompt_tokens')} tokens; call length "
        f"{base.get('tool_call_tokens')} tokens; prefix-cache gain = uncached / cached per row."
    )


if __name__ == "__main__":
    sys.exit(main())
