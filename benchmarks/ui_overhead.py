"""What the web UI adds to a turn: the same scripted question through Assistant.ask (baseline) and
through the Chat tab's streaming handler; plus the time until the page shows the first step.

    python -m benchmarks.ui_overhead [--runs 15]

A scripted model answers instantly, so the figures are the UI's own cost (worker thread, queue, frames),
not the model's. Reports medians and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from tests.conftest import tiny_sales
    from tests.ui_harness import Request, scripted_context
    from tools.workspace import Workspace
    from ui.chat import ChatHandlers

    ws = Workspace(tempfile.mkdtemp(prefix="ui-bench-"), demo=False)
    ws.save_table("sales", tiny_sales(), source="bench")
    ctx = scripted_context(ws)
    chat = ChatHandlers(ctx)
    question = "revenue for France"
    direct, handler, first = [], [], []
    assistant = ctx.session("direct").assistant
    for i in range(args.runs + 1):  # the first run warms imports and DuckDB; it is not counted
        start = time.perf_counter()
        assistant.ask(question)
        t_direct = time.perf_counter() - start
        start = time.perf_counter()
        t_first = None
        for frame in chat.respond(question, Request("ui")):
            if t_first is None and len(frame[0]) > 1:  # the first step panel after the question
                t_first = time.perf_counter() - start
        t_handler = time.perf_counter() - start
        if i:
            direct.append(t_direct)
            handler.append(t_handler)
            first.append(t_first)
    d, h, f = (statistics.median(x) * 1000 for x in (direct, handler, first))
    print(f"runs: {args.runs} (scripted model, tiny sales table)")
    print(f"Assistant.ask (baseline)      median {d:7.1f} ms")
    print(f"Chat handler, whole turn      median {h:7.1f} ms  ({h / d:.2f}x baseline, +{h - d:.1f} ms)")
    print(f"Chat handler, first step shown median {f:6.2f} ms")
    ctx.close()
    ws.close()


if __name__ == "__main__":
    main()
