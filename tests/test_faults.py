"""Faults: a process killed with SIGKILL in the middle of a write, a disk that fills while loading, and a
model that fails halfway. After each, the workspace opens with every earlier table, conversation and index
intact, an artefact is whole or absent, and the next question is answered.

A kill lands at a chosen moment: the child process replaces one function on the write path with a stop
that prints "stopped" and sleeps, and the test kills it there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import tiny_sales
from tests.text_helpers import WordHashEmbedder
from tools import embeddings
from tools.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]

PRELUDE = """
import sys, time
sys.path.insert(0, {root!r})
def stop(*args, **kwargs):
    print("stopped", flush=True)
    time.sleep(120)
"""


def kill_when_stopped(body: str, home: Path) -> None:
    """Run ``body`` in a child process on ``home`` and SIGKILL it once it reaches ``stop()``."""
    code = textwrap.dedent(PRELUDE).format(root=str(ROOT)) + textwrap.dedent(body)
    env = {**os.environ, "MARTMIND_HOME": str(home), "MARTMIND_DEMO": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "stopped", f"the child ended before its stop: {line!r}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def home(tmp_path) -> Path:
    ws = Workspace(tmp_path / "home", demo=False)
    ws.save_table("sales", tiny_sales(), source="test")
    ws.close()
    return ws.home


def test_a_load_killed_inside_its_transaction_leaves_the_old_table(home, tmp_path):
    export = tmp_path / "sales.csv"
    export.write_text("Order,Amount\nA1,1.50\nA2,2.50\n")
    kill_when_stopped(
        f"""
        from tools.workspace import Workspace
        Workspace._record = staticmethod(stop)  # the new table is written, the transaction not committed
        Workspace({str(home)!r}, demo=False).load_file({str(export)!r}, table="sales")
        """,
        home,
    )
    ws = Workspace(home, demo=False)
    assert ws.query("SELECT count(*) AS n FROM sales")["n"][0] == 20
    assert ws.load_file(export, table="sales").rows == 2  # and the next load goes through


def test_a_conversation_save_killed_mid_write_keeps_the_previous_version(home):
    from agent.conversations import Conversation, ConversationStore

    store = ConversationStore(home / "conversations")
    conversation = Conversation()
    conversation.add_turn("revenue by country", {"text": "United Kingdom leads."})
    store.save(conversation)
    kill_when_stopped(
        f"""
        import tools.files
        from agent.conversations import ConversationStore
        store = ConversationStore({str(home / "conversations")!r})
        conversation = store.load({conversation.id!r})
        conversation.add_turn("and by month?", {{"text": "January leads."}})
        tools.files.os.fsync = stop  # half of the new version is in the temporary file
        store.save(conversation)
        """,
        home,
    )
    kept = store.load(conversation.id)
    assert [t["question"] for t in kept.turns] == ["revenue by country"]
    assert [s["id"] for s in store.list()] == [conversation.id]


@pytest.mark.parametrize("killed_at", ["html", "markdown"])
def test_a_report_write_killed_leaves_whole_files_or_none(home, killed_at):
    folder = home / "reports"
    folder.mkdir()
    kill_when_stopped(
        f"""
        import tools.files
        from pathlib import Path
        from agent.reports import Report, Section, save
        writes = []
        real_fsync = tools.files.os.fsync
        def fsync(fd):
            writes.append(fd)
            if len(writes) == {1 if killed_at == "html" else 2}:
                stop()
            real_fsync(fd)
        tools.files.os.fsync = fsync
        save(Report("Monthly sales", [Section("Revenue", narrative="Revenue rose in December.")]), Path({str(folder)!r}))
        """,
        home,
    )
    html, markdown = list(folder.glob("*.html")), list(folder.glob("*.md"))
    assert markdown == []
    if killed_at == "html":
        assert html == []
    else:
        assert len(html) == 1 and html[0].read_text().rstrip().endswith("</html>")


def test_an_index_build_killed_midway_keeps_its_chunks_and_resumes(home, monkeypatch):
    texts = [f"review {i} about {'delivery' if i % 2 else 'sizing'} number {i}" for i in range(30)]
    ws = Workspace(home, demo=False)
    ws.save_table("notes", pd.DataFrame({"id": range(30), "body": texts}), source="test")
    ws.close()
    kill_when_stopped(
        """
        import tools.embeddings, tools.textindex
        from tests.text_helpers import WordHashEmbedder
        from tools.search import index_column
        from tools.workspace import Workspace

        class Stopping(WordHashEmbedder):
            calls = 0
            def encode(self, texts, **kwargs):
                Stopping.calls += 1
                if Stopping.calls == 3:  # two chunks of 10 are stored by now
                    stop()
                return super().encode(texts, **kwargs)

        embedder = Stopping()
        tools.embeddings.get_embedder = lambda model=None: embedder
        tools.textindex.ENCODE_CHUNK = 10
        index_column(Workspace(demo=False), "notes", "body", "id")
        """,
        home,
    )
    from tools.search import index_column

    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    stats = index_column(Workspace(home, demo=False), "notes", "body", "id")
    assert stats.documents == 30 and stats.embedded == 10  # only the chunk the kill interrupted


def test_a_full_disk_while_loading_is_one_sentence_and_the_old_table_stays(home, tmp_path):
    """A file-size limit (RLIMIT_FSIZE) makes the database's writes fail as a full disk does."""
    big = tmp_path / "big.csv"
    big.write_text("id,text\n" + "".join(f"{i},{'x' * 200}{i}\n" for i in range(60_000)))
    limit = (home / "martmind.duckdb").stat().st_size + 256 * 1024
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tools.base import ToolError
        from tools.workspace import Workspace
        ws = Workspace({str(home)!r}, demo=False)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        try:
            ws.load_file({str(big)!r}, table="sales")
            print("LOADED")
        except ToolError as e:
            print("REFUSED", e)
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.stdout.startswith("REFUSED"), run.stdout + run.stderr
    assert "disk" in run.stdout and "nothing was changed" in run.stdout
    assert "Traceback" not in run.stderr
    assert Workspace(home, demo=False).query("SELECT count(*) AS n FROM sales")["n"][0] == 20
