"""`martmind eval`: score the assistant on a golden set, compare two runs, draft golden questions.

martmind eval FILE [--model SPEC] [--out DIR] [--limit N] [--sql-mode json|grammar] [--json]
martmind eval FILE --learn [--limit N] [--json]       (store each gold SQL as a learned example; no run)
martmind eval --compare A.json B.json [--json]       (exit 1 when a question broke: a regression gate)
martmind eval suggest TABLE [--n N] [--model SPEC] [--out FILE] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from tools.workspace import Workspace
from ui.output import CommandError, add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub,
        "eval",
        run_eval_command,
        "score the assistant on a golden set (FILE), compare two runs (--compare A B), "
        "or draft golden questions for a table (suggest TABLE)",
    )
    p.add_argument(
        "target",
        nargs="*",
        metavar="FILE | suggest TABLE",
        help="a golden set (.jsonl or .yaml), or `suggest TABLE`",
    )
    p.add_argument("--model", help="model spec (default $MARTMIND_MODEL or the embedded model)")
    p.add_argument("--out", help="folder for report.json and report.html (suggest: a .jsonl file)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="compare two report files")
    p.add_argument("--n", type=int, default=8, help="suggest: how many questions to draft (default 8)")
    add_sql_mode_option(p)
    p.add_argument(
        "--learn",
        action="store_true",
        help="store every question with gold SQL as a learned sql_query example instead of scoring",
    )


def run_eval_command(args: argparse.Namespace) -> Any:
    if args.compare:
        if args.target:
            raise CommandError("Give either --compare A.json B.json or a golden set, not both.")
        return compare_command(*args.compare)
    if args.target[:1] == ["suggest"]:
        if len(args.target) != 2:
            raise CommandError("Usage: martmind eval suggest TABLE [--n N].")
        return suggest_command(args, args.target[1])
    if len(args.target) != 1:
        raise CommandError(
            "Usage: martmind eval FILE, martmind eval --compare A.json B.json, "
            "or martmind eval suggest TABLE."
        )
    if args.learn:
        return learn_command(args, args.target[0])
    return golden_command(args, args.target[0])


def compare_command(a: str, b: str):
    from agent.evaluation.compare import compare_reports, load_report

    return compare_reports(load_report(a), load_report(b))


def golden_command(args: argparse.Namespace, path: str) -> dict[str, Any]:
    from agent.evaluation import evaluate, load_golden
    from agent.evaluation.report import write_report

    items = load_golden(path)
    if args.limit is not None:
        items = items[: max(args.limit, 0)]
    ws = Workspace(args.home)
    model = model_spec(args)
    report = evaluate(
        items,
        answer_source(model, ws, **sql_options(args)),
        ws,
        meta={"golden": Path(path).name, "model": model, **sql_options(args)},
        on_result=_progress(len(items)),
    )
    out = Path(args.out) if args.out else ws.subdir("eval") / f"{Path(path).stem}-{_stamp()}"
    files = write_report(report, out)
    if args.json:
        return {**report.to_dict(), "files": files}
    print_summary(report.to_dict())
    return files


def learn_command(args: argparse.Namespace, path: str) -> dict[str, Any]:
    """Teach the golden set: each question with gold SQL becomes a learned sql_query example.

    A question whose SQL does not pass the guard on this workspace (another database's tables) is
    skipped with the reason, not stored.
    """
    from agent.assistant import Assistant
    from agent.evaluation import load_golden
    from tools.base import ToolError

    items = load_golden(path)
    if args.limit is not None:
        items = items[: max(args.limit, 0)]
    assistant = Assistant(model=model_spec(args), workspace=Workspace(args.home))
    learned, skipped = [], []
    for item in items:
        if not item.sql:
            continue
        try:
            learned.append(assistant.learn(item.question, sql=item.sql).id)
        except ToolError as e:
            skipped.append({"question": item.question, "error": str(e)})
    out = {"golden": Path(path).name, "learned": len(learned), "ids": learned, "skipped": skipped}
    if not args.json:
        for s in skipped:
            print(f"skipped: {s['question'][:70]} ({s['error']})", file=sys.stderr)
        return {"golden": out["golden"], "learned": len(learned), "skipped": len(skipped)}
    return out


def add_sql_mode_option(parser: argparse.ArgumentParser) -> None:
    """``--sql-mode`` (how sql_query's SQL is written, agent.sql_fill) and ``--brief``; shared with
    benchmarks/spider.py."""
    parser.add_argument(
        "--sql-mode",
        choices=["json", "grammar"],
        default="json",
        help="sql_query's SQL inside JSON (default) or as plain SQL under a grammar of the linked tables",
    )
    parser.add_argument(
        "--brief",
        action="store_true",
        help="answer with the code's headline only, no write-up by the model: the same execution "
        "accuracy, faster (latency and hallucinated figures then leave the write-up out)",
    )


def sql_options(args: argparse.Namespace) -> dict[str, Any]:
    """Answer-source options for ``--sql-mode`` and ``--brief`` (none for the defaults)."""
    mode = getattr(args, "sql_mode", "json")
    options: dict[str, Any] = {} if mode == "json" else {"sql_mode": mode}
    return {**options, "brief": True} if getattr(args, "brief", False) else options


def answer_source(model: str, ws: Workspace, **options: Any):
    """The Assistant as answer source (a seam tests replace with a stand-in); ``options`` go to it."""
    from agent.evaluation.sources import assistant_source

    return assistant_source(model, ws, **options)


def model_spec(args: argparse.Namespace) -> str:
    from agent.models import default_spec

    return args.model or default_spec()


def suggest_command(args: argparse.Namespace, table: str) -> Any:
    from agent.evaluation.suggest import suggest_golden, write_jsonl
    from agent.models import load_model
    from agent.privacy import private_model

    ws = Workspace(args.home)
    ws.columns(table)  # an unknown table fails before the model loads
    # The drafts are written from sample values of the table: private ones stay out (agent.privacy).
    drafts = suggest_golden(ws, table, private_model(load_model(model_spec(args)), ws), n=args.n)
    if args.out:
        write_jsonl(drafts, args.out)
    if args.json:
        return {"table": table, "suggestions": drafts, "file": args.out}
    for d in drafts:
        mark = "ok " if d.get("runs") else "ERR"
        print(
            f"[{mark}] {d['question']}\n      {d['sql']}"
            + (f"\n      ({d['error']})" if d.get("error") else "")
        )
    return {"written to": args.out} if args.out else None


def print_summary(data: dict[str, Any]) -> None:
    """The run's figures and its failures, as tables on the terminal."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = Table(title=f"martmind eval: {data['meta'].get('golden')} ({data['meta'].get('model')})")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    for key, value in data["summary"].items():
        if key != "by_tag":
            summary.add_row(key, _cell(value))
    console.print(summary)
    failures = [q for q in data["questions"] if q["exec_match"] is False or q["tool_correct"] is False]
    if failures:
        table = Table(title="failures (side by side in report.html)")
        for col in ("question", "why", "tools"):
            table.add_column(col, overflow="fold")
        for q in failures:
            why = q["mismatch"] or ("wrong tool" if q["tool_correct"] is False else "")
            table.add_row(q["question"], why, ", ".join(t for t in q["tools_called"] if t))
        console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _progress(total: int):
    def show(record: dict[str, Any]) -> None:
        show.done += 1
        mark = {True: "ok", False: "FAIL", None: "-"}[record["exec_match"]]
        print(
            f"[{show.done}/{total}] {mark:4} {record['latency_s']:7.1f}s  {record['question'][:70]}",
            file=sys.stderr,
        )

    show.done = 0
    return show


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")
