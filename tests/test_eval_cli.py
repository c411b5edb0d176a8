"""`martmind eval` from the command line: JSON shapes, files written, the compare gate's exit status."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from agent.models import ScriptedModel
from tests.test_eval_runner import GOLDEN, fake_answer_source
from ui import cli
from ui.commands import eval as eval_commands


@pytest.fixture
def golden_file(tmp_path):
    path = tmp_path / "golden.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in GOLDEN) + "\n")
    return path


@pytest.fixture
def home(ws, monkeypatch):
    """The `ws` fixture's home (no demo tables: fast), with a stand-in answer source for the Assistant."""
    from tools.workspace import Workspace

    monkeypatch.setattr(
        eval_commands, "answer_source", lambda model, workspace: fake_answer_source(workspace)
    )
    monkeypatch.setattr(eval_commands, "Workspace", functools.partial(Workspace, demo=False))
    return str(ws.home)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in argv else out


def test_eval_file_json_shape_and_files(capsys, home, golden_file, tmp_path):
    code, data = run(capsys, "--home", home, "eval", str(golden_file), "--out", str(tmp_path / "r"), "--json")
    assert code == 0
    assert set(data) == {"meta", "summary", "questions", "files"}
    assert data["summary"]["questions"] == 4 and data["meta"]["golden"] == "golden.jsonl"
    q = data["questions"][0]
    for key in (
        "id",
        "question",
        "tools_called",
        "tool_correct",
        "exec_match",
        "hallucinated",
        "retries",
        "latency_s",
        "tokens",
        "gold_sql",
        "predicted_sql",
        "gold_rows",
        "predicted_rows",
        "error",
    ):
        assert key in q
    assert json.loads(Path(data["files"]["json"]).read_text(encoding="utf-8"))["summary"] == data["summary"]
    assert Path(data["files"]["html"]).read_text(encoding="utf-8").startswith("<!doctype html>")


def test_eval_file_limit_and_terminal_table(capsys, home, golden_file, tmp_path):
    code, out = run(
        capsys, "--home", home, "eval", str(golden_file), "--limit", "2", "--out", str(tmp_path / "r")
    )
    assert code == 0
    assert "execution_accuracy" in out and "report.html" in out


def test_compare_gate_exit_status(capsys, home, golden_file, tmp_path):
    _, first = run(capsys, "--home", home, "eval", str(golden_file), "--out", str(tmp_path / "a"), "--json")
    report = json.loads(Path(first["files"]["json"]).read_text(encoding="utf-8"))
    worse = json.loads(json.dumps(report))
    worse["questions"][0]["exec_match"] = False  # rev_country broke
    worse["questions"][2]["exec_match"] = True  # orders got fixed
    (tmp_path / "worse.json").write_text(json.dumps(worse))
    code, data = run(
        capsys, "eval", "--compare", first["files"]["json"], str(tmp_path / "worse.json"), "--json"
    )
    assert code == 1
    assert [q["id"] for q in data["broken"]] == ["rev_country"]
    assert [q["id"] for q in data["fixed"]] == ["orders"]
    assert data["same"] == {"pass": 1, "fail": 1} and data["regression"] is True
    code, data = run(capsys, "eval", "--compare", first["files"]["json"], first["files"]["json"], "--json")
    assert code == 0 and data["broken"] == [] and data["regression"] is False


def test_bad_usage_and_bad_files_are_one_sentence(capsys, home, tmp_path):
    code, data = run(capsys, "--home", home, "eval", str(tmp_path / "missing.jsonl"), "--json")
    assert code != 0 and "does not exist" in data["error"]
    (tmp_path / "x.json").write_text("[1, 2]")
    code, data = run(
        capsys, "eval", "--compare", str(tmp_path / "x.json"), str(tmp_path / "x.json"), "--json"
    )
    assert code != 0 and "not a report" in data["error"]
    code, data = run(capsys, "--home", home, "eval", "--json")
    assert code != 0 and "Usage" in data["error"]


def test_suggest_keeps_only_drafts_whose_sql_runs(capsys, home, monkeypatch, tmp_path):
    model = ScriptedModel().enqueue(
        {
            "items": [
                {"question": "Total units sold?", "sql": "SELECT sum(Quantity) FROM sales"},
                {
                    "question": "Revenue by country",
                    "sql": "SELECT Country, sum(Quantity*UnitPrice) FROM sales GROUP BY 1",
                },
                {"question": "Units by colour", "sql": "SELECT Colour, sum(Quantity) FROM sales GROUP BY 1"},
                {"question": "Delete everything", "sql": "DELETE FROM sales"},
            ]
        }
    )
    monkeypatch.setattr("agent.models.load_model", lambda spec: model)
    out = tmp_path / "drafts.jsonl"
    code, data = run(
        capsys, "--home", home, "eval", "suggest", "sales", "--n", "4", "--out", str(out), "--json"
    )
    assert code == 0
    runs = {d["question"]: d["runs"] for d in data["suggestions"]}
    assert runs == {
        "Total units sold?": True,
        "Revenue by country": True,
        "Units by colour": False,
        "Delete everything": False,
    }
    assert "Did you mean" in next(
        d["error"] for d in data["suggestions"] if d["question"] == "Units by colour"
    )
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["question"] for w in written] == ["Total units sold?", "Revenue by country"]
    assert "sales" in model.sent[0]["messages"][1]["content"]  # the schema card went to the model
    assert ws_unchanged(home)


def ws_unchanged(home):
    from tools.workspace import Workspace

    return int(Workspace(home, demo=False).query("SELECT count(*) AS n FROM sales")["n"][0]) == 20


def test_suggest_unknown_table(capsys, home):
    code, data = run(capsys, "--home", home, "eval", "suggest", "salez", "--json")
    assert code != 0 and "Did you mean sales" in data["error"]
