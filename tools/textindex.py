"""Chroma collections kept in step with workspace text, incrementally.

Each document carries a hash of its text. Syncing a source compares hashes with what the collection holds:
unchanged documents cost nothing, documents whose text changed are re-embedded and replaced under the same
id (never duplicated), metadata-only changes are updated without embedding, and ids that disappeared are
deleted. A text already embedded under another id (rows renumbered, duplicates) reuses that embedding.

We always hand Chroma our own embeddings: its default embedding function would try to download a model.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from tools import embeddings
from tools.base import ToolError

HASH_KEY = "_hash"  # metadata key holding the text hash (keys starting with _ are ours, not the source's)
ENCODE_CHUNK = 512  # texts per encode call and write: progress granularity, and what an interruption can lose
CHROMA_URL_ENV = "MARTMIND_CHROMA_URL"

Progress = Callable[[int, int], None]  # (documents embedded so far, documents to embed)


@dataclass
class SyncStats:
    """What one sync did: how many documents it embedded, reused, updated, deleted or left alone."""

    collection: str
    documents: int = 0
    embedded: int = 0
    reused: int = 0
    metadata_updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Documents:
    """Texts to index: parallel lists of string ids, texts and flat metadata dicts."""

    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.metadatas:
            self.metadatas = [{} for _ in self.ids]
        if len(set(self.ids)) != len(self.ids):
            raise ToolError("The documents to index have duplicate ids; pick a unique id column.")


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


# -- clients --------------------------------------------------------------------------------------------
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def chroma_client(path: str | Path | None = None, url: str | None = None):
    """A Chroma client: a server when ``url`` (or ``$MARTMIND_CHROMA_URL``) is set, else persistent at ``path``.

    Clients are cached per location: Chroma keeps one system per path in a process anyway.
    """
    import chromadb
    from chromadb.config import Settings

    url = url or os.environ.get(CHROMA_URL_ENV)
    key = f"url:{url}" if url else f"path:{Path(path).resolve() if path else ''}"
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        settings = Settings(anonymized_telemetry=False)
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        elif path is None:
            client = chromadb.EphemeralClient(settings=settings)
        else:
            client = chromadb.PersistentClient(path=str(path), settings=settings)
        _clients[key] = client
        return client


def forget_clients() -> None:
    """Drop cached clients (tests, or after a server moved)."""
    with _clients_lock:
        _clients.clear()


# -- the index ------------------------------------------------------------------------------------------
class TextIndex:
    """One Chroma collection whose documents mirror a source of texts, embedded with one model."""

    def __init__(self, client: Any, name: str, embedder: embeddings.Embedder | None = None):
        self.client = client
        self.name = name
        self.embedder = embedder or embeddings.get_embedder()
        self._collection = None

    @property
    def collection(self):
        if self._collection is None:
            self._collection = self._open()
        return self._collection

    def _open(self):
        meta = {"embedding_model": self.embedder.name}
        collection = self.client.get_or_create_collection(
            self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=meta
        )
        if (collection.metadata or {}).get("embedding_model") != self.embedder.name:
            # Vectors of another model are not comparable with ours: start over rather than mix them.
            self.client.delete_collection(self.name)
            collection = self.client.get_or_create_collection(
                self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=meta
            )
        return collection

    def count(self) -> int:
        return self.collection.count()

    def stored(self) -> dict[str, dict[str, Any]]:
        """Every stored id with its metadata (the text hash included)."""
        got = self.fetch(["metadatas"])
        return {doc_id: dict(meta or {}) for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True)}

    def fetch(self, include: list[str], where: dict[str, Any] | None = None) -> dict[str, list]:
        """Every document matching ``where`` (all by default) with the fields in ``include``, read in pages."""
        out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
        page = self.client.get_max_batch_size()
        offset = 0
        while True:
            got = self.collection.get(where=where, include=include, limit=page, offset=offset)
            for key in out:
                out[key].extend(got[key] if got[key] is not None else [])
            if len(got["ids"]) < page:
                return out
            offset += page

    def sync(self, docs: Documents, progress: Progress | None = None) -> SyncStats:
        """Make the collection hold exactly ``docs``, embedding only texts it has not seen."""
        import time

        start = time.perf_counter()
        stats = SyncStats(self.name, documents=len(docs.ids))
        stored = self.stored()
        by_hash = {str(meta[HASH_KEY]): doc_id for doc_id, meta in stored.items() if HASH_KEY in meta}
        hashes = [text_hash(t) for t in docs.texts]
        metadatas = [{**_clean(m), HASH_KEY: h} for m, h in zip(docs.metadatas, hashes, strict=True)]

        to_embed: list[int] = []
        meta_only: list[int] = []
        for i, doc_id in enumerate(docs.ids):
            old = stored.get(doc_id)
            if old is not None and old.get(HASH_KEY) == hashes[i]:
                if old != metadatas[i]:
                    meta_only.append(i)
                else:
                    stats.unchanged += 1
            else:
                to_embed.append(i)

        vectors = self._reuse(to_embed, hashes, by_hash)
        stats.reused = sum(1 for i in to_embed if hashes[i] in vectors)
        stats.embedded = self._embed_missing(to_embed, docs, metadatas, hashes, vectors, progress)
        if meta_only:
            # Chroma merges metadata on update; a key that is gone must be sent as None to be removed.
            updates = [
                {**{k: None for k in stored[docs.ids[i]] if k not in metadatas[i]}, **metadatas[i]}
                for i in meta_only
            ]
            for chunk in _chunks(list(range(len(meta_only))), self.client.get_max_batch_size()):
                self.collection.update(
                    ids=[docs.ids[meta_only[j]] for j in chunk], metadatas=[updates[j] for j in chunk]
                )
        stats.metadata_updated = len(meta_only)
        gone = sorted(set(stored) - set(docs.ids))
        for chunk in _chunks(gone, self.client.get_max_batch_size()):
            self.collection.delete(ids=chunk)
        stats.deleted = len(gone)
        stats.seconds = round(time.perf_counter() - start, 3)
        return stats

    def _reuse(
        self, to_embed: list[int], hashes: list[str], by_hash: dict[str, str]
    ) -> dict[str, np.ndarray]:
        """Embeddings already stored for the same text under some id, keyed by text hash."""
        wanted = {by_hash[hashes[i]]: hashes[i] for i in to_embed if hashes[i] in by_hash}
        found: dict[str, np.ndarray] = {}
        for chunk in _chunks(sorted(wanted), self.client.get_max_batch_size()):
            got = self.collection.get(ids=chunk, include=["embeddings"])
            for doc_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                found[wanted[doc_id]] = np.asarray(vector, dtype=np.float32)
        return found

    def _embed_missing(
        self,
        to_embed: list[int],
        docs: Documents,
        metadatas: list[dict[str, Any]],
        hashes: list[str],
        vectors: dict[str, np.ndarray],
        progress: Progress | None,
    ) -> int:
        """Write the documents to (re)place: reused vectors first, then each distinct new text encoded once,
        longest first so batches pad little. Every chunk is stored as soon as it is encoded, so an interrupted
        run keeps its work and the next one resumes. Returns how many texts were encoded."""
        members: dict[str, list[int]] = {}
        for i in to_embed:
            members.setdefault(hashes[i], []).append(i)
        self._write([i for i in to_embed if hashes[i] in vectors], docs, metadatas, hashes, vectors)
        order = sorted(
            (h for h in members if h not in vectors), key=lambda h: -len(docs.texts[members[h][0]])
        )
        if progress:
            progress(0, len(order))
        for n, chunk in enumerate(_chunks(order, ENCODE_CHUNK)):
            encoded = self.embedder.encode([docs.texts[members[h][0]] for h in chunk], batch_size=64)
            vectors.update(zip(chunk, encoded, strict=True))
            self._write([i for h in chunk for i in members[h]], docs, metadatas, hashes, vectors)
            if progress:
                progress(min((n + 1) * ENCODE_CHUNK, len(order)), len(order))
        return len(order)

    def _write(
        self,
        rows: list[int],
        docs: Documents,
        metadatas: list[dict[str, Any]],
        hashes: list[str],
        vectors: dict[str, np.ndarray],
    ) -> None:
        for chunk in _chunks(rows, min(self.client.get_max_batch_size(), 4096)):
            self.collection.upsert(
                ids=[docs.ids[i] for i in chunk],
                embeddings=np.stack([vectors[hashes[i]] for i in chunk]),
                documents=[docs.texts[i] for i in chunk],
                metadatas=[metadatas[i] for i in chunk],
            )

    def query(self, text: str, top: int = 10, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The ``top`` nearest documents to ``text``: dicts with id, document, distance, score and metadata."""
        vector = self.embedder.encode([text])
        got = self.collection.query(
            query_embeddings=vector,
            n_results=top,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        rows = []
        for doc_id, doc, meta, dist in zip(
            got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
        ):
            meta = {k: v for k, v in (meta or {}).items() if not k.startswith("_")}
            rows.append(
                {
                    "id": doc_id,
                    "document": doc,
                    "distance": float(dist),
                    "score": 1.0 - float(dist),
                    "metadata": meta,
                }
            )
        return rows


def _clean(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata takes str, int, float and bool; drop missing values, turn numpy scalars to Python."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if value is None:
            continue
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()
        if isinstance(value, float) and value != value:  # NaN
            continue
        if not isinstance(value, (str, int, float, bool)):
            value = str(value)
        out[key] = value
    return out


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
