"""The Spider runner: SQLite loading, gold on SQLite, scoring per difficulty; the hardness port itself."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from benchmarks import spider
from benchmarks.spider_hardness import hardness

SPIDER = Path(__file__).resolve().parents[1].parent / "shared" / "eval-data" / "spider_dev"
EMPTY = {
    "from": {"table_units": [["table_unit", 0]], "conds": []},
    "select": [False, [[3, [0, [0, 0, False], None]]]],
    "where": [],
    "groupBy": [],
    "having": [],
    "orderBy": [],
    "limit": None,
    "intersect": None,
    "union": None,
    "except": None,
}


def toy_spider(tmp_path: Path) -> Path:
    db = tmp_path / "database" / "toy"
    db.mkdir(parents=True)
    with sqlite3.connect(db / "toy.sqlite") as con:
        con.execute("CREATE TABLE singer (id INTEGER, name TEXT, age INTEGER, note)")
        con.executemany(
            "INSERT INTO singer VALUES (?, ?, ?, ?)",
            [(1, "Ann", 30, "x"), (2, "Bob", None, 5), (3, "Cy", 41, None), (4, "Di", 30, 2.5)],
        )
    ordered = {**EMPTY, "orderBy": ["desc", [[0, [0, 3, False], None]]]}
    questions = [
        {
            "db_id": "toy",
            "question": "How many singers?",
            "query": "SELECT count(*) FROM singer",
            "sql": EMPTY,
        },
        {
            "db_id": "toy",
            "question": "Names by age, oldest first",
            "sql": ordered,
            "query": "SELECT name FROM singer WHERE age IS NOT NULL ORDER BY age DESC, name",
        },
        {
            "db_id": "toy",
            "question": "Singers aged 30",
            "sql": EMPTY,
            "query": "SELECT name FROM singer WHERE age = 30",
        },
    ]
    (tmp_path / "dev_19db.json").write_text(json.dumps(questions))
    return tmp_path


def test_sqlite_database_becomes_a_workspace_with_faithful_types(tmp_path):
    data = toy_spider(tmp_path)
    ws = spider.spider_workspace(data, "toy", tmp_path / "homes")
    assert ws.tables() == ["singer"]
    types = dict(ws.columns("singer"))
    assert types["id"] == "BIGINT" and types["age"] == "BIGINT" and types["name"] == "VARCHAR"
    assert types["note"] == "VARCHAR"  # mixed text and numbers stay text
    assert ws.query("SELECT count(*) AS n FROM singer WHERE age IS NULL")["n"][0] == 1


def test_oracle_run_scores_everything_correct_per_level(tmp_path):
    data = toy_spider(tmp_path)
    items = spider.load_questions(data, n=10, seed=0)
    assert {i.id for i in items} == {"toy:0", "toy:1", "toy:2"}
    assert next(i for i in items if i.id == "toy:1").ordered is True
    records = spider.run_benchmark(
        items, spider.oracle_source(items), data, tmp_path / "homes", progress=False
    )
    levels = spider.by_level(records)
    assert levels["all"] == {"questions": 3, "correct": 3, "execution_accuracy": 1.0}
    assert levels["easy"]["questions"] + levels["medium"]["questions"] == 3


def test_wrong_answers_are_scored_wrong(tmp_path):
    data = toy_spider(tmp_path)
    items = spider.load_questions(data, n=10, seed=0)

    def make(ws):
        from agent.types import Answer
        from tools.sql import SqlQuery

        def answer(question):
            result = SqlQuery(ws)(sql="SELECT name FROM singer")  # the same wrong query for every question
            return Answer(text="", sql=result.sql, tables=result.tables)

        return answer

    records = spider.run_benchmark(items, make, data, tmp_path / "homes", progress=False)
    assert spider.by_level(records)["all"]["correct"] == 0


def test_sample_is_fixed_by_the_seed(tmp_path):
    data = toy_spider(tmp_path)
    first = [i.id for i in spider.load_questions(data, n=2, seed=7)]
    assert first == [i.id for i in spider.load_questions(data, n=2, seed=7)]


@pytest.mark.skipif(not (SPIDER / "dev.json").is_file(), reason="Spider data not available")
def test_hardness_port_reproduces_published_spider_dev_counts():
    questions = json.loads((SPIDER / "dev.json").read_text(encoding="utf-8"))
    counts = {level: 0 for level in ("easy", "medium", "hard", "extra")}
    for q in questions:
        counts[hardness(q["sql"])] += 1
    assert counts == {"easy": 248, "medium": 446, "hard": 174, "extra": 166}  # Spider paper, dev set
