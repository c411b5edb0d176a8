"""`martmind roi`, `martmind uplift`, `martmind clv`: one JSON object with --json, clear errors.

The commands open the workspace with the demo data, so they run on the session's demo home (loaded once).
"""

from __future__ import annotations

import json

import pytest

from ui.cli import main


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def facts(payload: dict) -> dict:
    return {f["name"]: f["value"] for f in payload["facts"]}


def test_roi_json(demo_ws, capsys):
    code, out = run(
        capsys,
        "--home",
        str(demo_ws.home),
        "roi",
        "--spend",
        "10000",
        "--revenue",
        "50000",
        "--margin",
        "0.4",
        "--order-value",
        "80",
        "--json",
    )
    assert code == 0
    assert facts(out)["roi"] == pytest.approx(1.0)
    assert facts(out)["break_even_conversions"] == 313
    assert [t["name"] for t in out["tables"]][:2] == ["results", "inputs"]


def test_roi_scenarios_and_errors(demo_ws, capsys):
    code, out = run(
        capsys,
        "--home",
        str(demo_ws.home),
        "roi",
        "--scenario",
        "Search:1000:5000",
        "--scenario",
        "Social:2000:7000::40",
        "--margin",
        "0.5",
        "--json",
    )
    assert code == 0 and facts(out)["Search.rank"] == 1 and facts(out)["Social.cac"] == pytest.approx(50)
    code, out = run(capsys, "--home", str(demo_ws.home), "roi", "--spend", "-1", "--revenue", "5", "--json")
    assert code == 1 and "spend" in out["error"]
    code, out = run(capsys, "--home", str(demo_ws.home), "roi", "--scenario", "oops", "--json")
    assert code == 2 and "NAME:SPEND:REVENUE" in out["error"]


def test_uplift_json(demo_ws, capsys):
    code, out = run(
        capsys,
        "--home",
        str(demo_ws.home),
        "uplift",
        "--table",
        "hillstrom_email",
        "--group",
        "segment",
        "--control",
        "No E-Mail",
        "--treatment",
        "Mens E-Mail",
        "--outcome",
        "spend",
        "--cost-per-contact",
        "0.1",
        "--expected-share",
        "No E-Mail=0.5",
        "--expected-share",
        "Mens E-Mail=0.5",
        "--json",
    )
    assert code == 0
    got = facts(out)
    assert got["Mens E-Mail.lift"] == pytest.approx(1.4226 - 0.6528, abs=1e-4)
    cost = 0.1 * got["Mens E-Mail.n"]
    assert got["Mens E-Mail.incremental_roi"] == pytest.approx(
        (got["Mens E-Mail.incremental_revenue_total"] - cost) / cost
    )


def test_clv_error_is_one_sentence(demo_ws, capsys):
    code, out = run(
        capsys,
        "--home",
        str(demo_ws.home),
        "clv",
        "--table",
        "cdnow_sample",
        "--calibration-end",
        "1999-01-01",
        "--json",
    )
    assert code == 1 and out["error"].startswith("The calibration end 1999-01-01 leaves no later data")
    code, out = run(capsys, "--home", str(demo_ws.home), "clv", "--table", "cdnow_sampel", "--json")
    assert code == 1 and "Did you mean cdnow_sample?" in out["error"]


@pytest.mark.slow
def test_clv_json_on_cdnow(demo_ws, capsys):
    code, out = run(
        capsys,
        "--home",
        str(demo_ws.home),
        "clv",
        "--table",
        "cdnow_sample",
        "--calibration-end",
        "1997-09-30",
        "--months",
        "6",
        "--json",
    )
    assert code == 0
    assert facts(out)["bgnbd.r"] == pytest.approx(0.243, abs=1e-3)
    assert facts(out)["horizon_months"] == 6
