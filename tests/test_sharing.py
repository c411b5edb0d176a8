"""One home shared by several processes: the chat UI open beside the command line, a cron job, a notebook.

Every test here uses a second, real process, because DuckDB's file locks only conflict between processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import tiny_sales
from tests.ui_harness import free_port, scripted_context
from tools.workspace import Workspace, WorkspaceBusyError

ROOT = Path(__file__).resolve().parents[1]


def holder(db: Path, *, writing: bool, seconds: float) -> subprocess.Popen:
    """Another process holding the database file, as a reader or a writer, for ``seconds``."""
    code = textwrap.dedent(
        f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r}, read_only={not writing})
        print("holding", flush=True)
        time.sleep({seconds})
        con.close()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def martmind(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "--home", str(home), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MARTMIND_DEMO": "0"},
    )


def test_a_write_waits_while_another_process_reads_then_says_who_holds_it(ws):
    proc = holder(ws.db_path, writing=False, seconds=30)
    try:
        ws.close()
        impatient = Workspace(ws.home, demo=False, lock_wait_s=0.5)
        started = time.monotonic()
        with pytest.raises(WorkspaceBusyError) as refused:
            impatient.save_table("sales", tiny_sales().head(3), source="test")
        assert time.monotonic() - started >= 0.5  # it waited before giving up
        message = str(refused.value)
        assert f"process {proc.pid}" in message and "nothing was lost" in message
        assert "duckdb.org" not in message and "lock" not in message  # DuckDB's own words stay out
    finally:
        proc.kill()
        proc.wait()
    assert impatient.query("SELECT count(*) AS n FROM sales")["n"][0] == 20  # the old table is intact


def test_a_write_goes_through_once_the_other_process_lets_go(ws):
    ws.close()
    proc = holder(ws.db_path, writing=False, seconds=1.0)
    patient = Workspace(ws.home, demo=False, lock_wait_s=20)
    patient.save_table("sales", tiny_sales().head(3), source="test")
    proc.wait()
    assert patient.query("SELECT count(*) AS n FROM sales")["n"][0] == 3


def test_a_read_waits_out_another_process_writing(ws):
    ws.close()
    proc = holder(ws.db_path, writing=True, seconds=1.0)
    assert Workspace(ws.home, demo=False, lock_wait_s=20).query("SELECT 1 AS one")["one"][0] == 1
    proc.wait()


def test_a_read_blocked_for_the_whole_wait_says_a_write_is_running(ws):
    ws.close()
    proc = holder(ws.db_path, writing=True, seconds=30)
    try:
        with pytest.raises(WorkspaceBusyError, match="is writing to the workspace"):
            Workspace(ws.home, demo=False, lock_wait_s=0.3).query("SELECT 1")
    finally:
        proc.kill()
        proc.wait()


def test_an_idle_reader_is_closed_so_others_can_write(ws):
    ws.query("SELECT count(*) FROM sales")  # the reader is open now
    db = ws._db
    deadline = time.monotonic() + 10 * db.idle_s
    while db.reader is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert db.reader is None
    assert ws.query("SELECT count(*) AS n FROM sales")["n"][0] == 20  # and reopened on the next query


def test_the_command_line_reads_and_loads_while_the_ui_is_open(tmp_path):
    """The issue's case: with `martmind ui` on a home, `martmind sql` and `martmind load` on it worked
    only after the UI stopped."""
    from ui.app import build_app, launch

    home = tmp_path / "shared-home"
    ws = Workspace(home, demo=False)
    ws.save_table("sales", tiny_sales(), source="test")
    ctx = scripted_context(ws)
    demo = build_app(ctx)
    launch(demo, ctx, port=free_port(), block=False, quiet=True)
    try:
        assert ctx.ws.query("SELECT count(*) AS n FROM sales")["n"][0] == 20  # the UI reads
        read = martmind(home, "sql", "SELECT count(*) AS n FROM sales")
        assert read.returncode == 0, read.stderr
        assert "20" in read.stdout
        export = tmp_path / "Weekly Export.csv"
        export.write_text("Order ID,Order Date,Amount\nA1,03/01/2011,£12.50\nA2,04/01/2011,£7.00\n")
        loaded = martmind(home, "load", str(export), "--table", "weekly")
        assert loaded.returncode == 0, loaded.stderr
        # The UI sees the table the command line loaded, and its own tables are intact.
        assert ctx.ws.query("SELECT count(*) AS n FROM weekly")["n"][0] == 2
        assert ctx.ws.query("SELECT count(*) AS n FROM sales")["n"][0] == 20
    finally:
        demo.close()
        ctx.close()
        ws.close()
