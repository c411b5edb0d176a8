"""Text commands: index, search, values, topics, sentiment (embeddings, Chroma, text mining)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from tools.workspace import Workspace
from ui.output import CommandError, add_command


def workspace(args: argparse.Namespace) -> Workspace:
    return Workspace(args.home)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "index", run_index, "build or refresh search indexes (only new or changed texts are embedded)"
    )
    p.add_argument("target", nargs="*", metavar="TABLE COLUMN", help="a table and one of its text columns")
    p.add_argument("--demo", action="store_true", help="index the demo products and reviews")
    p.add_argument(
        "--values", action="store_true", help="also embed the value vocabularies for value matching"
    )
    p.add_argument(
        "--id-column", help="the column identifying rows (default: a unique *id column, else rowid)"
    )
    p.add_argument(
        "--chroma-url", help="a Chroma server instead of the local index (or $MARTMIND_CHROMA_URL)"
    )

    p = add_command(sub, "search", run_search, "search reviews, products or an indexed column by meaning")
    p.add_argument("query", help='what to look for, e.g. "dress runs small"')
    p.add_argument("--source", default="reviews", help="reviews, products or TABLE.COLUMN (default: reviews)")
    p.add_argument("--top", type=int, default=10, help="how many matches (default 10)")
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COND",
        help='a metadata filter such as "rating <= 2" or "department = Dresses" (repeatable)',
    )
    p.add_argument("--chroma-url", help="a Chroma server instead of the local index")

    p = add_command(
        sub, "values", run_values, "match a word to the values stored in the tables (Eire -> EIRE)"
    )
    p.add_argument("text", help='a word or phrase, e.g. "UK" or "heart holder"')
    p.add_argument("--table", help="only this table")
    p.add_argument("--column", help="only this column (with --table)")
    p.add_argument("--limit", type=int, default=5, help="how many matches (default 5)")
    p.add_argument("--no-semantic", action="store_true", help="skip embedding matches")

    p = add_command(sub, "topics", run_topics, "group reviews, products or a text column into topics")
    p.add_argument("--source", default="reviews", help="reviews, products or TABLE.COLUMN (default: reviews)")
    p.add_argument("--query", help="only the texts closest to this search")
    p.add_argument(
        "--where", action="append", default=[], metavar="COND", help='a filter such as "rating <= 2"'
    )
    p.add_argument("--k", type=int, help="number of topics (default: chosen by silhouette)")
    p.add_argument("--method", choices=["kmeans", "hdbscan"], default="kmeans", help="clustering method")
    p.add_argument("--max-texts", type=int, default=2000, help="cluster a sample of at most this many texts")

    p = add_command(
        sub, "sentiment", run_sentiment, "review sentiment: predict, train, evaluate or score a column"
    )
    p.add_argument("text", nargs="*", help="review texts to score")
    p.add_argument(
        "--target", choices=["recommended", "rating"], default="recommended", help="what to predict"
    )
    p.add_argument(
        "--train", action="store_true", help="(re)train on the clothing reviews and report metrics"
    )
    p.add_argument("--evaluate", action="store_true", help="report the saved model's held-out metrics")
    p.add_argument("--table", help="score every row of this table's --column and save the scores as a table")
    p.add_argument("--column", help="text column to score (with --table)")
    p.add_argument("--output-table", help="name of the table of scores (default: TABLE_sentiment)")


def for_terminal(result, as_json: bool, drop: tuple[str, ...] = (), width: int = 90):
    """On a terminal: long texts cut to ``width`` characters and bulky tables dropped (--json keeps all)."""
    if as_json:
        return result
    from tools.base import Table

    tables = []
    for table in result.tables:
        if table.name in drop:
            continue
        df = table.df.drop(columns=[c for c in ("distance",) if c in table.df.columns])
        for col in ("text", "examples"):
            if col in df.columns:
                df[col] = df[col].astype(str).map(lambda t: t if len(t) <= width else t[: width - 1] + "…")
        tables.append(Table(table.name, df))
    result.tables = tables
    return result


@contextmanager
def progress_bar(enabled: bool) -> Iterator:
    """A rich progress bar on stderr (stdout stays clean for --json); yields a (source, done, total) callback."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("embedding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


def prepare_index(ws: Workspace, source_name: str, as_json: bool) -> None:
    """Bring a source's index up to date first, with a progress bar (the tools would do it silently)."""
    from tools.search import ensure_index
    from tools.textsources import get_source

    with progress_bar(not as_json) as progress:
        ensure_index(ws, get_source(ws, source_name), progress=progress)


def run_index(args: argparse.Namespace):
    from tools.search import index_column, index_demo, index_report
    from tools.values import warm_value_embeddings

    if not args.demo and len(args.target) != 2 and not args.values:
        raise CommandError(
            "Give --demo, or a TABLE and a COLUMN to index (e.g. martmind index reviews body)."
        )
    if args.target and len(args.target) != 2:
        raise CommandError("Give exactly one TABLE and one COLUMN.")
    ws = workspace(args)
    stats = []
    with progress_bar(not args.json) as progress:
        if args.demo:
            stats += index_demo(ws, progress=progress, url=args.chroma_url)
        if args.target:
            table, column = args.target
            stats.append(
                index_column(ws, table, column, args.id_column, progress=progress, url=args.chroma_url)
            )
    report = index_report(stats)
    if args.values:
        report["values_embedded"] = warm_value_embeddings(ws)
    return report


def run_search(args: argparse.Namespace):
    from tools.search import SemanticSearch, parse_condition

    tool = SemanticSearch(workspace(args))
    tool.chroma_url = args.chroma_url
    where = [parse_condition(w).model_dump() for w in args.where] or None
    with progress_bar(not args.json) as progress:  # a first search builds the index
        tool.progress = progress
        result = tool(query=args.query, source=args.source, top=args.top, where=where)
    return for_terminal(result, args.json)


def run_values(args: argparse.Namespace):
    import pandas as pd

    from tools.values import match_values

    found = match_values(
        workspace(args),
        args.text,
        table=args.table,
        column=args.column,
        limit=args.limit,
        semantic=not args.no_semantic,
    )
    df = pd.DataFrame([m.to_dict() for m in found], columns=["table", "column", "value", "score", "how"])
    return {"text": args.text, "matches": df.to_dict("records")} if args.json else df


def run_topics(args: argparse.Namespace):
    from tools.search import parse_condition
    from tools.topics import ClusterTexts

    where = [parse_condition(w).model_dump() for w in args.where] or None
    kwargs = {
        "source": args.source,
        "query": args.query,
        "where": where,
        "k": args.k,
        "method": args.method,
        "max_texts": args.max_texts,
    }
    ws = workspace(args)
    prepare_index(ws, args.source, args.json)
    result = ClusterTexts(ws)(**{k: v for k, v in kwargs.items() if v is not None})
    return for_terminal(result, args.json, drop=("assignments",))


def run_sentiment(args: argparse.Namespace):
    from tools.sentiment import ReviewSentiment, model_path

    if args.train and args.evaluate:
        raise CommandError("Choose --train or --evaluate, not both.")
    if args.table and not args.column:
        raise CommandError("Name the text column to score with --column.")
    if args.train or args.evaluate:
        mode = "train" if args.train else "evaluate"
    elif args.table:
        mode = "score_table"
    elif args.text:
        mode = "predict"
    else:
        raise CommandError("Give review texts to score, --train, --evaluate, or --table and --column.")
    kwargs = {
        "mode": mode,
        "target": args.target,
        "texts": args.text or None,
        "table": args.table,
        "column": args.column,
        "output_table": args.output_table,
    }
    ws = workspace(args)
    if mode == "score_table":
        prepare_index(ws, f"{args.table}.{args.column}", args.json)
    elif mode == "train" or not model_path(ws, args.target).exists():
        prepare_index(ws, "reviews", args.json)
    return ReviewSentiment(ws)(**{k: v for k, v in kwargs.items() if v is not None})
