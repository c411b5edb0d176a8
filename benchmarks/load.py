"""Load on the chat UI: N concurrent sessions, each a multi-turn conversation, over HTTP on 127.0.0.1.

    python -m benchmarks.load --sessions 1,4,8 --turns 3                  # scripted model
    python -m benchmarks.load --sessions 1,4 --turns 2 --model default    # the real default model

The UI runs in its own process (``--serve``), on a fresh home with the demo data or, for the scripted model,
a small sales table; each session is a ``gradio_client`` client, so Gradio's queue, session state and
streaming are the real ones. The scripted model answers like the real one would (tool choice, SQL,
a sentence) with ``--write-s`` seconds of writing, and model calls take turns as the real model's do. Per N:
throughput, p50/p95 answer time (submit to final answer), p50/p95 wait until the first update (the queue),
requests lost, answers that crossed into another session, and the server's peak RSS (VmHWM, which only
grows, so it is the peak up to and including that N).

Every answer is checked: it ends in an assistant message, the session's history holds its own questions
only, and (scripted) the answer names the session's own marker and no other session's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median, quantiles
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MARKER = re.compile(r"\bs\d+t\d+\b")  # session s3, turn t2: "s3t2"


# -- the server ------------------------------------------------------------------------------------------
def marker_reply(write_s: float):
    """A scripted model that runs one SQL query and answers with the question's marker."""
    from tests.ui_harness import question_of

    def reply(messages: list[dict[str, str]], json_schema: dict[str, Any] | None) -> Any:
        props = (json_schema or {}).get("properties", {})
        if "tool" in props:
            return {"tool": "sql_query"}
        if json_schema is not None:
            args = {
                "sql": "SELECT Country, round(sum(Quantity * UnitPrice), 2) AS revenue FROM sales GROUP BY 1"
            }
            return {"follow_up": False, "arguments": args} if "follow_up" in props else args
        time.sleep(write_s)
        found = MARKER.findall(question_of(messages))
        return f"This answers {found[-1]}." if found else "Revenue by country is below."

    return reply


def serve(port: int, home: str, model: str, write_s: float) -> None:
    """Run the UI until killed (the benchmark's server process)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from tools.workspace import Workspace
    from ui.app import build_app, launch
    from ui.session import UiContext

    if model == "scripted":
        from tests.conftest import tiny_sales

        ws = Workspace(home, demo=False)
        ws.save_table("sales", tiny_sales(), source="benchmark")
        ctx = _scripted(ws, write_s)
    else:
        ws = Workspace(home)
        ctx = UiContext(ws, model=model)
    print("ready", flush=True)
    launch(build_app(ctx), ctx, port=port, quiet=True)


def _scripted(ws, write_s: float):
    from agent.assistant import Assistant
    from agent.model_cache import SerializedModel
    from tests.ui_harness import EndlessScript
    from ui.session import UiContext

    model = SerializedModel(EndlessScript(marker_reply(write_s)))
    return UiContext(ws, model=model, assistant_factory=lambda w: Assistant(model=model, workspace=w))


# -- the clients -----------------------------------------------------------------------------------------
def texts_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def answer_of(chat: list[dict[str, Any]]) -> str:
    """The written answer of the last turn: its assistant messages that are not steps (no title)."""
    last_user = max((i for i, m in enumerate(chat) if m.get("role") == "user"), default=-1)
    return " ".join(
        texts_of(m)
        for m in chat[last_user + 1 :]
        if m.get("role") == "assistant" and not (m.get("metadata") or {}).get("title")
    ).strip()


def converse(url: str, session: int, turns: int, question: str, out: list[dict[str, Any]]) -> None:
    """One session's conversation; one record per turn appended to ``out``."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    asked: list[str] = []
    for turn in range(1, turns + 1):
        text = question.format(marker=f"s{session}t{turn}")
        asked.append(text)
        record: dict[str, Any] = {"session": session, "turn": turn, "question": text}
        start = time.perf_counter()
        try:
            job = client.submit(text, api_name="/respond")
            first = None
            for _ in job:
                first = first or time.perf_counter() - start
            chat = job.outputs()[-1][0]
            record["seconds"] = time.perf_counter() - start
            record["first_update_s"] = first if first is not None else record["seconds"]
            users = [texts_of(m) for m in chat if m.get("role") == "user"]
            record["answer"] = answer_of(chat)
            record["history_ok"] = users == asked
        except Exception as e:  # noqa: BLE001 - a failed request is counted as lost, not fatal
            record["error"] = f"{type(e).__name__}: {e}"
        out.append(record)


def run_load(url: str, sessions: int, turns: int, question: str, check_markers: bool) -> dict[str, Any]:
    """N sessions at once; the figures and the failures of one round."""
    records: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=converse, args=(url, s, turns, question, records))
        for s in range(1, sessions + 1)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    answered = [r for r in records if r.get("answer")]
    crossed = [r for r in answered if not r["history_ok"] or (check_markers and not _own_marker(r))]
    times = [r["seconds"] for r in answered]
    firsts = [r["first_update_s"] for r in answered]
    return {
        "sessions": sessions,
        "requests": sessions * turns,
        "answered": len(answered),
        "lost": sessions * turns - len(answered),
        "crossed": len(crossed),
        "throughput_per_s": round(len(answered) / wall, 3),
        "wall_s": round(wall, 2),
        "answer_p50_s": _pct(times, 50),
        "answer_p95_s": _pct(times, 95),
        "first_update_p50_s": _pct(firsts, 50),
        "first_update_p95_s": _pct(firsts, 95),
        "errors": [r["error"] for r in records if "error" in r][:3],
        "crossed_examples": [{"question": r["question"], "answer": r["answer"][:120]} for r in crossed[:3]],
        "answer_times_s": sorted(round(t, 2) for t in times),
    }


def _own_marker(record: dict[str, Any]) -> bool:
    own = MARKER.findall(record["question"])[-1]
    return MARKER.findall(record["answer"]) == [own]


def _pct(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return round(values[0], 3)
    # inclusive: a percentile between the values measured, never extrapolated past the slowest
    return round(median(values) if p == 50 else quantiles(values, n=100, method="inclusive")[p - 1], 3)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (Linux VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def start_server(model: str, write_s: float, home: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "benchmarks.load", "--serve", str(port), "--home", home, "--model", model]
    cmd += ["--write-s", str(write_s)]
    proc = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the UI did not start within 120 s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", default="1,4,8", help="comma-separated N (default 1,4,8)")
    p.add_argument("--turns", type=int, default=3)
    p.add_argument("--model", default="scripted", help="scripted (default) or a model spec, e.g. default")
    p.add_argument("--write-s", type=float, default=0.5, help="scripted model's writing time per answer")
    p.add_argument("--question", default=None, help="question template with {marker}")
    p.add_argument("--out", help="write the figures as JSON here")
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    p.add_argument("--home", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve(args.serve, args.home, args.model, args.write_s)
        return 0
    scripted = args.model == "scripted"
    question = args.question or (
        "revenue by country for {marker}" if scripted else "What was the total revenue by country? ({marker})"
    )
    home = tempfile.mkdtemp(prefix="martmind-load-")
    proc, url = start_server(args.model, args.write_s, home)
    rows = []
    try:
        run_load(url, 1, 1, question, False)  # warm-up: imports, first query, model load
        for n in [int(x) for x in args.sessions.split(",")]:
            row = run_load(url, n, args.turns, question, scripted)
            row["peak_rss_mb"] = peak_rss_mb(proc.pid)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        proc.kill()
        proc.wait()
    if args.out:
        Path(args.out).write_text(
            json.dumps({"model": args.model, "turns": args.turns, "rounds": rows}, indent=1)
        )
    print(
        f"\n{'N':>3} {'answered':>9} {'lost':>5} {'crossed':>8} {'answers/s':>10} {'p50 s':>7} "
        f"{'p95 s':>7} {'wait p50':>9} {'wait p95':>9} {'RSS MB':>7}"
    )
    for r in rows:
        print(
            f"{r['sessions']:>3} {r['answered']:>9} {r['lost']:>5} {r['crossed']:>8} {r['throughput_per_s']:>10} "
            f"{r['answer_p50_s']:>7} {r['answer_p95_s']:>7} {r['first_update_p50_s']:>9} "
            f"{r['first_update_p95_s']:>9} {r['peak_rss_mb']:>7}"
        )
    return 0 if all(r["lost"] == 0 and r["crossed"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
