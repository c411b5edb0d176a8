from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.text_helpers import WordHashEmbedder
from tools import embeddings
from tools.workspace import Workspace
from ui.cli import main


@pytest.fixture
def fake(monkeypatch):
    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    return embedder


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One home for this module: the CLI loads the demo tables into it once (a few seconds)."""
    path = tmp_path_factory.mktemp("cli") / "home"
    ws = Workspace(path, demo=False)
    ws.save_table(
        "tickets",
        pd.DataFrame(
            {
                "ticket_id": [1, 2, 3, 4],
                "channel": ["email", "chat", "email", "phone"],
                "body": [
                    "parcel arrived late",
                    "refund for a broken mug",
                    "late delivery again",
                    "where is my order",
                ],
            }
        ),
        source="test",
    )
    ws.close()
    return str(path)


def run(capsys, *argv) -> tuple[int, dict]:
    code = main(["--home", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_index_reports_embedded_then_nothing(home, fake, capsys):
    code, out = run(capsys, home, "index", "tickets", "body")
    assert code == 0 and out["embedded"] == 4 and out["sources"][0]["documents"] == 4
    code, out = run(capsys, home, "index", "tickets", "body")
    assert code == 0 and out["embedded"] == 0


def test_search_with_where_returns_one_json_object(home, fake, capsys):
    code, out = run(
        capsys,
        home,
        "search",
        "late delivery",
        "--source",
        "tickets.body",
        "--top",
        "3",
        "--where",
        "channel = email",
    )
    assert code == 0
    table = out["tables"][0]
    ids = [row[table["columns"].index("ticket_id")] for row in table["rows"]]
    assert sorted(ids) == [1, 3] and out["sql"]


def test_values_and_errors(home, fake, capsys):
    code, out = run(capsys, home, "values", "EMAIL", "--table", "tickets", "--no-semantic")
    assert code == 0 and out["matches"][0]["value"] == "email" and out["matches"][0]["how"] == "case"
    code, out = run(capsys, home, "search", "x", "--source", "nope")
    assert code == 1 and "Unknown search source" in out["error"]
    code, out = run(capsys, home, "index")
    assert code == 2 and "--demo" in out["error"]


def test_topics_and_sentiment_commands_reach_their_tools(home, fake, capsys):
    code, out = run(capsys, home, "topics", "--source", "tickets.body", "--k", "2")
    assert code == 1 and "at least 10" in out["error"]  # 4 tickets: the tool's own clear error
    code, out = run(capsys, home, "sentiment")
    assert code == 2 and "--train" in out["error"]
    code, out = run(capsys, home, "sentiment", "--train", "--evaluate")
    assert code == 2
