"""What the person taught: approved questions with the tool call that answers them (Vanna's "training").

A person marks an answer right (``Assistant.learn_last``, the chat's Correct button, ``martmind learn``,
``martmind eval FILE --learn``) and the question is stored with its call (tool name and arguments; for
``sql_query`` the SQL) in a Chroma collection of the workspace, keyed by the question's embedding. Later
requests that resemble it get it as a worked example in the argument-filling prompt (agent.calls), and the
router counts it as an example of its tool (agent.router).

Asking costs nothing until something was learned: a small marker file in the home directory holds the
number of stored examples, so a workspace that never learned anything never opens Chroma at question
time. (With a Chroma server, ``$MARTMIND_CHROMA_URL``, other clients may teach too: the marker is not
consulted there.) We hand Chroma our own embeddings, as tools/textindex.py does.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tools import embeddings
from tools.base import ToolError
from tools.files import write_atomic
from tools.textindex import CHROMA_URL_ENV, chroma_client, text_hash
from tools.workspace import Workspace

COLLECTION = "learned_examples"
MARKER = "learned.json"  # {"count": N} in the home directory: the cheap "anything learned?" check
# A stored question this similar (cosine) is a worked example worth showing; below it, an unrelated one
# would only mislead the model (all-MiniLM-L6-v2 scores rewordings of one request around 0.6 to 0.9).
MIN_SCORE = 0.5
log = logging.getLogger(__name__)


@dataclass
class Learned:
    """One learned example: the question, its tool call, and (from ``similar``) its cosine similarity."""

    question: str
    tool: str
    args: dict[str, Any]
    score: float = 1.0
    id: str = ""
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def learned_id(question: str) -> str:
    """The id of a question: the same question (case and spacing aside) always gets the same id."""
    return "q-" + text_hash(normalize(question))


def normalize(question: str) -> str:
    return re.sub(r"\s+", " ", question).strip().lower()


class LearnedExamples:
    """The learned examples of one workspace, in a Chroma collection opened on first use.

    Args:
        ws: the workspace (its home holds the collection and the marker).
        embedder: object with ``name`` and ``encode(list[str])`` (default: the shared embedder).
        client: a Chroma client (default: the workspace's persistent one, or the configured server).
    """

    def __init__(self, ws: Workspace, embedder: Any = None, client: Any = None):
        self.ws = ws
        self._embedder = embedder
        self._client = client
        self._collection: Any = None
        self._lock = threading.RLock()
        self.marker = Path(ws.home) / MARKER

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            self._embedder = embeddings.get_embedder()
        return self._embedder

    # -- the collection ----------------------------------------------------------------------------------
    def _open(self) -> Any:
        with self._lock:
            if self._collection is None:
                client = self._client or chroma_client(path=self.ws.subdir("chroma"))
                self._collection = self._get_or_create(client)
            return self._collection

    def _get_or_create(self, client: Any) -> Any:
        meta = {"embedding_model": self.embedder.name}
        collection = client.get_or_create_collection(
            COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=meta
        )
        if (collection.metadata or {}).get("embedding_model") != self.embedder.name:
            # Vectors of another model do not compare with ours; the questions are the person's work, so
            # they are embedded again rather than dropped.
            got = collection.get(include=["documents", "metadatas"])
            client.delete_collection(COLLECTION)
            collection = client.get_or_create_collection(
                COLLECTION,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=meta,
            )
            if got["ids"]:
                collection.upsert(
                    ids=got["ids"],
                    embeddings=self.embedder.encode(list(got["documents"])),
                    documents=got["documents"],
                    metadatas=got["metadatas"],
                )
        return collection

    def _server(self) -> bool:
        return self._client is not None or bool(os.environ.get(CHROMA_URL_ENV))

    def has_any(self) -> bool:
        """Whether anything was learned, without opening Chroma when the marker says no."""
        if self._collection is not None or self._server():
            return self.count() > 0
        try:
            return int(json.loads(self.marker.read_text(encoding="utf-8")).get("count", 0)) > 0
        except (OSError, ValueError, AttributeError):
            return False  # no marker: nothing was ever learned here

    def count(self) -> int:
        return int(self._open().count())

    def _mark(self) -> None:
        write_atomic(self.marker, json.dumps({"count": self.count()}))

    # -- teaching ----------------------------------------------------------------------------------------
    def add(self, question: str, tool: str, args: dict[str, Any]) -> str:
        """Store ``question`` with its call; the same question again replaces the old entry. Returns its id."""
        question = question.strip()
        if not question:
            raise ToolError("There is no question to learn.")
        if not tool:
            raise ToolError("A learned example needs the tool that answers it.")
        doc_id = learned_id(question)
        with self._lock:
            self._open().upsert(
                ids=[doc_id],
                embeddings=self.embedder.encode([question]),
                documents=[question],
                metadatas=[
                    {
                        "tool": tool,
                        "args": json.dumps(args or {}, ensure_ascii=False, sort_keys=True),
                        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    }
                ],
            )
            self._mark()
        return doc_id

    def remove(self, doc_id: str) -> Learned:
        """Forget one example (by id); returns it. Raises ToolError for an unknown id."""
        with self._lock:
            found = self.get(doc_id)
            if found is None:
                raise ToolError(f"There is no learned example {doc_id!r} (see `martmind learn --list`).")
            self._open().delete(ids=[doc_id])
            self._mark()
        return found

    # -- reading -----------------------------------------------------------------------------------------
    def get(self, doc_id: str) -> Learned | None:
        got = self._open().get(ids=[doc_id], include=["documents", "metadatas"])
        rows = _rows(got["ids"], got["documents"], got["metadatas"])
        return rows[0] if rows else None

    def all(self) -> list[Learned]:
        """Every learned example, oldest first."""
        if not self.has_any():
            return []
        got = self._open().get(include=["documents", "metadatas"])
        return sorted(_rows(got["ids"], got["documents"], got["metadatas"]), key=lambda e: e.created_at)

    def similar(
        self, question: str, k: int = 3, min_score: float = MIN_SCORE, tool: str | None = None
    ) -> list[Learned]:
        """The ``k`` stored examples most similar to ``question`` (of ``tool`` when given), best first."""
        if not question.strip() or k <= 0 or not self.has_any():
            return []
        collection = self._open()
        n = min(k, collection.count())
        if n == 0:
            return []
        got = collection.query(
            query_embeddings=self.embedder.encode([question]),
            n_results=n,
            where={"tool": tool} if tool else None,
            include=["documents", "metadatas", "distances"],
        )
        rows = _rows(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        return [r for r in rows if r.score >= min_score]

    def questions_by_tool(self) -> dict[str, list[str]]:
        """tool -> learned questions (what the router adds to its examples); empty when nothing was learned.

        Never raises: a broken store costs the router its learned examples, not the turn.
        """
        out: dict[str, list[str]] = {}
        try:
            examples = self.all()
        except Exception as e:  # noqa: BLE001 - routing goes on with the examples in prompts/
            log.warning("learned examples unavailable: %s", e)
            return out
        for example in examples:
            out.setdefault(example.tool, []).append(example.question)
        return out


def _rows(ids: list, documents: list, metadatas: list, distances: list | None = None) -> list[Learned]:
    out = []
    for i, doc_id in enumerate(ids):
        meta = metadatas[i] or {}
        try:
            args = json.loads(meta.get("args") or "{}")
        except ValueError:
            args = {}
        score = 1.0 - float(distances[i]) if distances is not None else 1.0
        out.append(
            Learned(
                question=documents[i] or "",
                tool=str(meta.get("tool", "")),
                args=args,
                score=round(score, 4),
                id=doc_id,
                created_at=str(meta.get("created_at", "")),
            )
        )
    return out


def safe_similar(learned: LearnedExamples | None, question: str, tool: str | None) -> list[Learned]:
    """``learned.similar`` for a prompt: a broken store costs the worked examples, never the answer."""
    if learned is None:
        return []
    try:
        return learned.similar(question, tool=tool)
    except Exception as e:  # noqa: BLE001 - the turn goes on without the learned examples
        log.warning("learned examples unavailable: %s", e)
        return []
