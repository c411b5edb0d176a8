"""Spider dev execution accuracy of the assistant, per difficulty level.

    python -m benchmarks.spider --n 100 --seed 0 [--model SPEC] [--sql-mode json|grammar] [--out spider.json]

A random sample (fixed seed) of the 972 Spider dev questions whose SQLite database is available. Each
database is copied into its own martmind workspace (DuckDB) through Python's sqlite3 and pandas: DuckDB's
sqlite extension would need a download; the database's foreign keys become the workspace's declared join
keys (tools.joins), as they would for a person's own database. The question goes to the Assistant on that workspace; the gold
SQL runs on the original SQLite file (as Spider's own evaluator does), and the same scorer as
``martmind eval`` compares the results (multisets of rows unless the gold query orders, column order and
names ignored, numbers within 1e-6, no extra columns allowed). Difficulty: Spider's own hardness rules
(see benchmarks/spider_hardness.py).

These questions measure generalisation only: they must never appear in prompts, router examples or tuning.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

if __package__ in (None, ""):  # run as `python benchmarks/spider.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.evaluation.golden import GoldenItem  # noqa: E402
from agent.evaluation.runner import evaluate, run_meta, summarise  # noqa: E402
from agent.evaluation.scoring import ResultTable, gold_orders  # noqa: E402
from benchmarks.spider_hardness import hardness  # noqa: E402
from tools.base import ToolError  # noqa: E402
from ui.commands.eval import add_sql_mode_option, answer_source, model_spec, sql_options  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("MARTMIND_SPIDER", REPO.parent / "shared" / "eval-data" / "spider_dev"))
LEVELS = ("easy", "medium", "hard", "extra")


def load_questions(data: Path, n: int, seed: int) -> list[GoldenItem]:
    """A fixed-seed random sample of ``n`` questions, each tagged with its difficulty."""
    raw = dev_questions(data)
    indexed = list(enumerate(raw))
    sample = random.Random(seed).sample(indexed, min(n, len(indexed)))
    return [
        GoldenItem(
            question=q["question"],
            sql=q["query"],
            db=q["db_id"],
            tags=[hardness(q["sql"])],
            ordered=gold_orders(q["query"], dialect="sqlite"),
            id=f"{q['db_id']}:{i}",
        )
        for i, q in sample
    ]


def dev_questions(data: Path) -> list[dict[str, Any]]:
    """The dev questions whose database is here: ``dev_19db.json``, or ``dev.json`` filtered the same way
    (in its order, so a seed draws the same sample from either)."""
    if (data / "dev_19db.json").is_file():
        return json.loads((data / "dev_19db.json").read_text(encoding="utf-8"))
    raw = json.loads((data / "dev.json").read_text(encoding="utf-8"))
    return [q for q in raw if sqlite_path(data, q["db_id"]).is_file()]


def sqlite_path(data: Path, db_id: str) -> Path:
    return data / "database" / db_id / f"{db_id}.sqlite"


def spider_workspace(data: Path, db_id: str, homes: Path):
    """The martmind workspace holding one Spider database (built on first use, then reused)."""
    from tools.workspace import Workspace

    ws = Workspace(homes / db_id, demo=False)
    if not ws.tables():
        copy_tables(data, db_id, ws)
    declare_foreign_keys(data, db_id, ws)
    return ws


def copy_tables(data: Path, db_id: str, ws) -> None:
    with sqlite3.connect(f"file:{sqlite_path(data, db_id)}?mode=ro", uri=True) as con:
        con.text_factory = lambda b: b.decode("utf-8", "replace")
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for name in names:
            cursor = con.execute(f'SELECT * FROM "{name}"')
            # object dtype keeps SQLite's own values (an INTEGER column with NULLs stays integers)
            df = pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description], dtype=object)
            ws.save_table(name, tidy_types(df), source=f"spider:{db_id}")


def declare_foreign_keys(data: Path, db_id: str, ws) -> None:
    """The database's own foreign keys as the workspace's join keys (tools.joins), as a person loading
    the database would declare them; a key naming a column the database lacks (Spider has a few) is
    left out."""
    from tools.base import ToolError
    from tools.joins import declare_keys

    with sqlite3.connect(f"file:{sqlite_path(data, db_id)}?mode=ro", uri=True) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in con.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
                target, column, target_column = row[2], row[3], row[4]
                if target_column is None:  # the target's primary key
                    keys = [r[1] for r in con.execute(f'PRAGMA table_info("{target}")') if r[5]]
                    target_column = keys[0] if len(keys) == 1 else None
                if target_column is None:
                    continue
                try:
                    declare_keys(ws, [(table, column, target, target_column)])
                except ToolError:
                    continue


def tidy_types(df: pd.DataFrame) -> pd.DataFrame:
    """Give each column one type, as SQLite stored its values: integers, numbers, else text."""
    out = df.copy()
    for column in out.columns:
        values = out[column].dropna()
        kinds = {type(v) for v in values}
        if kinds <= {int} and len(values):
            out[column] = out[column].astype("Int64")
        elif kinds <= {int, float}:
            out[column] = pd.to_numeric(out[column]).astype("float64")
        elif kinds <= {str}:
            out[column] = out[column].astype("string")
        else:  # mixed text and numbers (or blobs): keep it all as text
            out[column] = out[column].map(lambda v: None if v is None or v != v else str(v))
    return out


def gold_result(data: Path):
    """Run an item's gold SQL on its original SQLite database."""

    def run(item: GoldenItem) -> ResultTable:
        with sqlite3.connect(f"file:{sqlite_path(data, item.db)}?mode=ro", uri=True) as con:
            con.text_factory = lambda b: b.decode("utf-8", "replace")
            try:
                cursor = con.execute(item.sql)
            except sqlite3.Error as e:
                raise ToolError(f"gold SQL failed on SQLite: {e}") from None
            return ResultTable([d[0] for d in cursor.description], cursor.fetchall())

    return run


def run_benchmark(
    items: list[GoldenItem], make_source, data: Path, homes: Path, progress: bool = True
) -> list[dict[str, Any]]:
    """Score every item on its own database's workspace; returns the per-question records."""
    by_db: dict[str, list[GoldenItem]] = defaultdict(list)
    for item in items:
        by_db[item.db].append(item)
    records: list[dict[str, Any]] = []
    done = 0
    for db_id, group in sorted(by_db.items()):
        ws = spider_workspace(data, db_id, homes)

        def show(record, db_id=db_id):
            nonlocal done
            done += 1
            if progress:
                mark = {True: "ok", False: "FAIL", None: "-"}[record["exec_match"]]
                print(
                    f"[{done}/{len(items)}] {mark:4} {record['latency_s']:6.1f}s {db_id}: {record['question'][:60]}",
                    file=sys.stderr,
                    flush=True,
                )

        report = evaluate(
            group,
            make_source(ws),
            ws,
            allow_extra_columns=False,
            gold_result=gold_result(data),
            on_result=show,
        )
        records.extend(report.questions)
        ws.close()
    return records


def oracle_source(items: list[GoldenItem]):
    """An answer source that replies with the gold SQL translated to DuckDB (no model): a self-check."""

    from agent.types import Answer
    from tools.sql import SqlQuery

    gold = {i.question: i.sql for i in items}

    def make(ws):
        columns = {c.lower() for t in ws.tables() for c, _ in ws.columns(t)}

        def answer(question: str) -> Answer:
            sql = to_duckdb(gold[question], columns)
            result = SqlQuery(ws)(sql=sql)
            return Answer(
                text="",
                tool_calls=[{"name": "sql_query", "args": {"sql": sql}}],
                sql=result.sql,
                tables=result.tables,
            )

        return answer

    return make


def to_duckdb(sql: str, columns: set[str]) -> str:
    """SQLite gold SQL as DuckDB SQL; a double-quoted name that is no column is SQLite's string literal."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="sqlite")
    for column in list(tree.find_all(exp.Column)):
        ident = column.this
        if (
            isinstance(ident, exp.Identifier)
            and ident.quoted
            and not column.table
            and ident.name.lower() not in columns
        ):
            column.replace(exp.Literal.string(ident.name))
    return tree.sql(dialect="duckdb")


def by_level(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Execution accuracy per Spider difficulty, plus all."""
    rows = {}
    for level in (*LEVELS, "all"):
        scored = [
            r for r in records if r["exec_match"] is not None and (level == "all" or level in r["tags"])
        ]
        hits = sum(1 for r in scored if r["exec_match"])
        rows[level] = {
            "questions": len(scored),
            "correct": hits,
            "execution_accuracy": round(hits / len(scored), 4) if scored else None,
        }
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="questions in the sample (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--model", help="model spec (default $MARTMIND_MODEL or the embedded model)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the spider_dev folder")
    parser.add_argument(
        "--homes",
        type=Path,
        default=Path(tempfile.gettempdir()) / "martmind-spider",
        help="where the per-database workspaces are built and kept",
    )
    parser.add_argument("--out", type=Path, help="write the full report (JSON) here")
    parser.add_argument(
        "--oracle",
        action="store_true",
        help="answer with the gold SQL itself, translated to DuckDB: checks loading and scoring",
    )
    parser.add_argument(
        "--levels-only", action="store_true", help="print the sample's difficulty mix and stop"
    )
    add_sql_mode_option(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not any((args.data / name).is_file() for name in ("dev_19db.json", "dev.json")):
        print(f"Spider data not found in {args.data}; pass --data.", file=sys.stderr)
        return 2
    items = load_questions(args.data, args.n, args.seed)
    if args.levels_only:
        print(json.dumps({lv: sum(1 for i in items if lv in i.tags) for lv in LEVELS}))
        return 0
    if args.oracle:
        model, make_source = "oracle (gold SQL via sqlglot sqlite->duckdb)", oracle_source(items)
    else:
        model = model_spec(args)
        make_source = lambda ws: answer_source(model, ws, **sql_options(args))  # noqa: E731
    records = run_benchmark(items, make_source, args.data, args.homes)
    result = {
        "meta": {
            **run_meta(),
            "benchmark": "spider dev (19 databases)",
            "n": len(items),
            "seed": args.seed,
            "model": model,
            "sql_mode": args.sql_mode,
            "brief": args.brief,
        },
        "by_level": by_level(records),
        "summary": summarise(records),
        "questions": records,
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print_levels(result)
    return 0


def print_levels(result: dict[str, Any]) -> None:
    meta, summary = result["meta"], result["summary"]
    print(
        f"Spider dev, n={meta['n']} seed={meta['seed']} model={meta['model']} ({meta['date']}, {meta['machine']})"
    )
    print(f"{'level':8} {'n':>4} {'correct':>8} {'EX':>7}")
    for level, row in result["by_level"].items():
        ex = "n/a" if row["execution_accuracy"] is None else f"{row['execution_accuracy']:.3f}"
        print(f"{level:8} {row['questions']:>4} {row['correct']:>8} {ex:>7}")
    print(
        f"hallucination rate {summary['hallucination_rate']}, retries {summary['retries_total']}, "
        f"latency p50 {summary['latency_p50_s']} s, p95 {summary['latency_p95_s']} s, "
        f"tokens {summary['tokens_total']}, errors {summary['errors']}"
    )


if __name__ == "__main__":
    sys.exit(main())
