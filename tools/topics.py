"""``cluster_texts``: topics of a set of texts (reviews, products, any indexed column, or search results).

Texts come from a search index, so their embeddings are computed once and reused by every analysis. They
are clustered (k-means with k chosen by silhouette, or HDBSCAN), each cluster is described by class-based
TF-IDF keywords (the words frequent in that cluster and rare in the others) and its most central examples,
and a 2-D map (PCA, or UMAP when installed) shows how the topics sit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools.base import Fact, RetryableToolError, Table, Tool, ToolError, ToolResult
from tools.search import Condition, describe_where, ensure_index, to_where
from tools.textsources import get_source

if TYPE_CHECKING:
    from tools.workspace import Workspace

MIN_TEXTS = 10


class TopicsArgs(BaseModel):
    source: str = Field("reviews", description="'reviews', 'products' or 'TABLE.COLUMN' (a text column).")
    query: str | None = Field(None, description="Cluster only the texts closest to this search (optional).")
    where: list[Condition] | None = Field(
        None, description="Metadata filters, e.g. rating <= 2 for unhappy reviews."
    )
    k: int | None = Field(None, ge=2, le=30, description="Number of topics; default: chosen by silhouette.")
    method: Literal["kmeans", "hdbscan"] = Field("kmeans", description="Clustering method.")
    max_texts: int = Field(
        2000, ge=MIN_TEXTS, le=20000, description="Cluster a random sample of at most this many texts."
    )


@dataclass
class Corpus:
    ids: list[str]
    texts: list[str]
    vectors: np.ndarray


class ClusterTexts(Tool):
    name = "cluster_texts"
    description = (
        "Group texts (reviews, product descriptions, a text column, or search results) into topics: "
        "each topic's size, keywords and typical examples, with a 2-D map."
    )
    Args = TopicsArgs

    def run(self, args: TopicsArgs) -> ToolResult:
        source = get_source(self.ws, args.source)
        corpus = load_corpus(self.ws, args)
        labels = cluster(corpus.vectors, args.k, args.method)
        unassigned = int((labels == NOISE).sum())
        if unassigned == len(labels):
            raise ToolError(
                f"{args.method} found no topic among {len(labels):,} texts (every one is noise); "
                "try method kmeans or more texts."
            )
        topics = describe_topics(corpus, labels)
        topic = pd.Series(labels, dtype="Int64").mask(labels == NOISE)  # noise belongs to no topic
        assignments = pd.DataFrame({source.id_label: corpus.ids, "topic": topic, "text": corpus.texts})
        scope = f" ({describe_where(args.where)})" if args.where else ""
        scope += f" near {args.query!r}" if args.query else ""
        lines = [f"{len(corpus.ids):,} {source.name}{scope} in {len(topics)} topics ({args.method}):"]
        lines += [
            f"- topic {r.topic}: {r.size:,} texts ({r.share:.0%}), keywords: {r.keywords}"
            for r in topics.itertuples()
        ]
        facts = [
            Fact("texts", len(corpus.ids), "cluster_texts"),
            Fact("topics", len(topics), "cluster_texts"),
        ]
        if unassigned:
            lines.append(
                f"- no topic: {unassigned:,} texts ({unassigned / len(labels):.0%}) fit none of them (noise)"
            )
            facts.append(Fact("texts_without_topic", unassigned, "cluster_texts"))
        for r in topics.itertuples():
            facts += [
                Fact(f"topic_{r.topic}.size", int(r.size), "cluster_texts"),
                Fact(f"topic_{r.topic}.share", round(float(r.share), 4), "cluster_texts"),
            ]
        return ToolResult(
            text="\n".join(lines),
            tables=[Table("topics", topics), Table("assignments", assignments)],
            chart=topic_map(corpus, labels, topics),
            facts=facts,
        )


def load_corpus(ws: Workspace, args: TopicsArgs) -> Corpus:
    """The texts to cluster and their stored embeddings (indexing the source first if needed)."""
    source = get_source(ws, args.source)
    index = ensure_index(ws, source)
    where = to_where(ws, source, args.where or [])
    if args.query:
        ids = [h["id"] for h in index.query(args.query, top=min(args.max_texts, 1000), where=where)]
        got = index.collection.get(ids=ids, include=["documents", "embeddings"]) if ids else {"ids": []}
    else:
        got = index.fetch(["documents", "embeddings"], where=where)
    if len(got["ids"]) < MIN_TEXTS:
        raise ToolError(f"Only {len(got['ids'])} texts match; topics need at least {MIN_TEXTS}.")
    order = np.random.default_rng(0).permutation(len(got["ids"]))[: args.max_texts]
    order.sort()
    vectors = np.asarray(got["embeddings"], dtype=np.float32)[order]
    return Corpus([got["ids"][i] for i in order], [got["documents"][i] for i in order], vectors)


# HDBSCAN's label for a text that belongs to no cluster.
NOISE = -1


def cluster(vectors: np.ndarray, k: int | None = None, method: str = "kmeans") -> np.ndarray:
    """Cluster labels (0..k-1; NOISE for a text HDBSCAN puts in no cluster). k-means picks k by silhouette when not given."""
    if method == "hdbscan":
        from sklearn.cluster import HDBSCAN

        return HDBSCAN(
            min_cluster_size=max(5, len(vectors) // 50), metric="euclidean", copy=True
        ).fit_predict(vectors)
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if k is not None:
        if k >= len(vectors):
            raise RetryableToolError(f"k={k} needs more than {len(vectors)} texts; choose a smaller k.")
        return KMeans(n_clusters=k, n_init=5, random_state=0).fit_predict(vectors)
    best: tuple[float, np.ndarray] | None = None
    for candidate in range(2, min(10, len(vectors) // 5) + 1):
        labels = KMeans(n_clusters=candidate, n_init=5, random_state=0).fit_predict(vectors)
        score = silhouette_score(
            vectors, labels, metric="cosine", sample_size=min(2000, len(vectors)), random_state=0
        )
        if best is None or score > best[0]:
            best = (score, labels)
    if best is None:
        raise ToolError(f"{len(vectors)} texts are too few to find topics.")
    return best[1]


def keywords(texts: list[str], labels: np.ndarray, top: int = 6) -> dict[int, list[str]]:
    """Class-based TF-IDF: per cluster, the terms frequent in it and rare across the clusters (noise is none)."""
    from sklearn.feature_extraction.text import CountVectorizer

    classes = sorted(set(labels.tolist()) - {NOISE})
    joined = [" ".join(t for t, lab in zip(texts, labels, strict=True) if lab == c) for c in classes]
    vectorizer = CountVectorizer(
        stop_words="english", ngram_range=(1, 2), token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b", min_df=1
    )
    counts = vectorizer.fit_transform(joined).toarray().astype(float)
    terms = np.array(vectorizer.get_feature_names_out())
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg_words = counts.sum() / len(classes)
    idf = np.log(1 + avg_words / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    return {c: terms[np.argsort(-scores[i])[:top]].tolist() for i, c in enumerate(classes)}


def describe_topics(corpus: Corpus, labels: np.ndarray, examples: int = 3) -> pd.DataFrame:
    """One row per topic: size, share, keywords and the examples nearest its centre, largest first."""
    words = keywords(corpus.texts, labels)
    rows: list[dict[str, Any]] = []
    for c in sorted(set(labels.tolist()) - {NOISE}):
        members = np.flatnonzero(labels == c)
        centre = corpus.vectors[members].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        nearest = members[np.argsort(-(corpus.vectors[members] @ centre))[:examples]]
        rows.append(
            {
                "topic": int(c),
                "size": len(members),
                "share": len(members) / len(labels),
                "keywords": ", ".join(words[c]),
                "examples": " | ".join(_short(corpus.texts[i]) for i in nearest),
            }
        )
    df = pd.DataFrame(rows).sort_values(["size", "topic"], ascending=[False, True]).reset_index(drop=True)
    return df


def topic_map(corpus: Corpus, labels: np.ndarray, topics: pd.DataFrame):
    """A 2-D scatter of the texts coloured by topic (UMAP when installed, else PCA)."""
    import plotly.express as px

    coords, method = _reduce(corpus.vectors)
    names = {r.topic: f"{r.topic}: {', '.join(r.keywords.split(', ')[:3])}" for r in topics.itertuples()}
    names[NOISE] = "no topic"
    df = pd.DataFrame(
        {
            "x": coords[:, 0],
            "y": coords[:, 1],
            "topic": [names[int(c)] for c in labels],
            "text": [_short(t, 120) for t in corpus.texts],
        }
    )
    return px.scatter(
        df,
        x="x",
        y="y",
        color="topic",
        hover_data={"text": True, "x": False, "y": False},
        title=f"Topics ({method} map)",
    )


def _reduce(vectors: np.ndarray) -> tuple[np.ndarray, str]:
    try:
        import umap  # type: ignore[import-not-found]

        return umap.UMAP(n_components=2, random_state=0).fit_transform(vectors), "UMAP"
    except ImportError:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=0).fit_transform(vectors), "PCA"


def _short(text: str, length: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"
