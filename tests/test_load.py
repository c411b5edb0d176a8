"""A small, bounded run of the load benchmark (benchmarks/load.py): concurrent sessions on a real UI
server process, none lost, none crossing into another's conversation."""

from __future__ import annotations

import tempfile

from benchmarks.load import MARKER, _own_marker, run_load, start_server


def test_three_sessions_at_once_lose_nothing_and_never_cross():
    proc, url = start_server("scripted", 0.2, tempfile.mkdtemp(prefix="martmind-load-test-"))
    try:
        row = run_load(
            url, sessions=3, turns=2, question="revenue by country for {marker}", check_markers=True
        )
    finally:
        proc.kill()
        proc.wait()
    assert row["answered"] == row["requests"] == 6, row["errors"]
    assert row["lost"] == 0 and row["crossed"] == 0, row["crossed_examples"]


def test_an_answer_naming_another_sessions_marker_counts_as_crossed():
    assert _own_marker({"question": "revenue for s2t1", "answer": "This answers s2t1."})
    assert not _own_marker({"question": "revenue for s2t1", "answer": "This answers s3t1."})
    assert MARKER.findall("s10t2 and s1t1") == ["s10t2", "s1t1"]
