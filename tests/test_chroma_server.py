"""The shared-index setup: martmind talking to a real Chroma server (HttpClient) started for the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.text_helpers import WordHashEmbedder
from tools import embeddings
from tools.search import SemanticSearch, index_column
from tools.textindex import forget_clients

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture
def chroma_url(tmp_path):
    binary = CHROMA if CHROMA.exists() else shutil.which("chroma")
    if not binary:
        pytest.skip("the chroma server command is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(binary), "run", "--path", str(tmp_path / "server"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the chroma server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        forget_clients()


def test_index_and_search_through_a_chroma_server(ws, chroma_url, monkeypatch, tmp_path):
    embedder = WordHashEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model=None: embedder)
    ws.save_table(
        "notes",
        pd.DataFrame({"note_id": [1, 2, 3], "body": ["late parcel", "broken mug", "lost parcel"]}),
        source="test",
    )
    assert index_column(ws, "notes", "body", url=chroma_url).embedded == 3
    assert not any((ws.home / "chroma").iterdir())  # nothing went to the local index
    monkeypatch.setenv("MARTMIND_CHROMA_URL", chroma_url)
    df = SemanticSearch(ws)(query="parcel", source="notes.body", top=2).table
    assert sorted(df["note_id"]) == [1, 3]
    assert index_column(ws, "notes", "body").embedded == 0  # the server already holds them
