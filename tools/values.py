"""Value matching for SQL: map the words of a question to the values stored in the tables.

"Eire" -> ``EIRE``, "UK" -> ``United Kingdom``, "lantern" -> ``WHITE METAL LANTERN``. The index holds the
distinct values of low-cardinality text columns (countries, categories, product names), built once per table
load and cached in the process. Matches come from five matchers, each with a score in 0..1:

==========  =====  ============================================================
how         score  when
==========  =====  ============================================================
exact       1.00   the text is a stored value
case        0.97   equal ignoring case and spacing
synonym     0.93   a known other name (``tools/value_synonyms.yaml``, ISO 3166 country codes)
stem        0.92   the same words but for their endings ("partial refund" -> ``partially_refunded``)
fuzzy       <0.90  rapidfuzz WRatio (typos, words inside a longer value)
semantic    <0.85  cosine similarity of embeddings (meaning, different words)
==========  =====  ============================================================
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tools.base import RetryableToolError
from tools.names import stem
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from tools.workspace import Workspace

MAX_DISTINCT = 10_000  # more distinct values than this is free text or ids, not a vocabulary
MAX_AVG_LENGTH = 60
EMBED_ON_DEMAND = 1_000  # larger columns are embedded only by warm_value_embeddings (martmind index --demo)
FUZZY_CUTOFF = 70.0
SEMANTIC_CUTOFF = 0.55
# How a match was made when it is the value the text names, not a guess near it.
CONFIDENT = ("exact", "case", "synonym", "stem")


@dataclass(frozen=True)
class ValueMatch:
    """A stored value that matches the text: where it lives, how well and how it matched."""

    table: str
    column: str
    value: str
    score: float
    how: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ColumnValues:
    """The distinct values of one column, with the normalised forms the matchers use."""

    table: str
    column: str
    values: list[str]
    keys: list[str]  # normalised: lower case, single spaces

    def __post_init__(self) -> None:
        self.by_key: dict[str, list[str]] = {}
        self.by_words: dict[str, list[str]] = {}
        for value, key in zip(self.values, self.keys, strict=True):
            self.by_key.setdefault(key, []).append(value)
            self.by_words.setdefault(word_key(key), []).append(value)
        self.vectors: np.ndarray | None = None


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def word_key(text: str) -> str:
    """The stemmed words of a text, so "partial refund" meets ``partially_refunded``."""
    return " ".join(stem(w) for w in re.findall(r"[a-z0-9]+", str(text).lower()))


@lru_cache(maxsize=1)
def _synonym_file() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(
        resources.files("tools").joinpath("value_synonyms.yaml").read_text(encoding="utf-8")
    )


@lru_cache(maxsize=1)
def adjectives() -> dict[str, frozenset[str]]:
    """Normalised country -> the normalised words for its people and things ("netherlands" -> dutch)."""
    return {
        normalise(k): frozenset(normalise(w) for w in v) for k, v in _synonym_file()["adjectives"].items()
    }


@lru_cache(maxsize=1)
def synonyms() -> dict[str, frozenset[str]]:
    """Normalised name -> every normalised name of its group (from tools/value_synonyms.yaml)."""
    out: dict[str, frozenset[str]] = {}
    for group in _synonym_file()["groups"]:
        names = frozenset(normalise(n) for n in group)
        for name in names:
            out[name] = out.get(name, frozenset()) | names
    return out


def other_names(text: str) -> frozenset[str]:
    """The normalised other names of ``text``: its synonyms, and for a country its ISO 3166 codes and name
    ("Germany" -> de, deu; "DE" -> germany). Exports store countries either way. A code counts only when
    written in capitals, so the words "at", "it" or "de" of a sentence are no Austria, Italy or Germany."""
    query = normalise(text)
    names = set(synonyms().get(query, frozenset()))
    if len(query) > 3 or text.strip().isupper():
        names |= _countries().get(query, frozenset())
    return frozenset(names - {query})


@lru_cache(maxsize=1)
def _countries() -> dict[str, frozenset[str]]:
    """Normalised ISO 3166 name or code -> every normalised name and code of that country."""
    import iso3166

    out: dict[str, frozenset[str]] = {}
    for c in iso3166.countries:
        names = frozenset(normalise(n) for n in (c.name, c.apolitical_name, c.alpha2, c.alpha3))
        for name in names:
            out[name] = names
    return out


# -- the index ----------------------------------------------------------------------------------------------
_cache: dict[tuple[str, str, str], list[ColumnValues]] = {}
_cache_lock = threading.Lock()


def value_columns(
    ws: Workspace, table: str, column: str | None = None, versions: dict[str, str] | None = None
) -> list[ColumnValues]:
    """The value vocabularies of ``table`` (or of one ``column``), cached until the table is reloaded."""
    version = (versions or table_versions(ws)).get(table, "")
    key = (str(ws.db_path), table, version)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _load_table(ws, table)
        found = _cache[key]
    if column is None:
        return found
    chosen = [c for c in found if c.column == column]
    return chosen or [_load_column(ws, table, column)]


def table_versions(ws: Workspace) -> dict[str, str]:
    """Table -> when it was last loaded, in one query (a reload invalidates that table's cache)."""
    from tools.workspace import META_TABLES

    df = ws.query(f"SELECT name, CAST(loaded_at AS VARCHAR) AS v FROM {META_TABLES}")
    return dict(zip(df["name"], df["v"], strict=True))


def _load_table(ws: Workspace, table: str) -> list[ColumnValues]:
    text_columns = [c for c, t in ws.columns(table) if t.startswith("VARCHAR") and not _looks_like_id(c)]
    if not text_columns:
        return []
    stats = ws.query(
        "SELECT "
        + ", ".join(
            f"approx_count_distinct({q}) AS d{i}, count({q}) AS n{i}, avg(length({q})) AS l{i}, "
            f"avg(CASE WHEN regexp_full_match({q}, '[0-9 .,/:-]+') THEN 1 ELSE 0 END) AS g{i}"
            for i, q in enumerate(quote_ident(c) for c in text_columns)
        )
        + f" FROM {quote_ident(table)}"
    )
    row = stats.iloc[0]
    chosen = [
        c
        for i, c in enumerate(text_columns)
        if row[f"n{i}"]
        and row[f"d{i}"] <= MAX_DISTINCT
        and (row[f"d{i}"] <= 50 or row[f"d{i}"] <= 0.5 * row[f"n{i}"])
        and row[f"l{i}"] <= MAX_AVG_LENGTH
        and row[f"g{i}"] < 0.5
    ]
    return [_load_column(ws, table, c) for c in chosen]


def _load_column(ws: Workspace, table: str, column: str) -> ColumnValues:
    types = dict(ws.columns(table))
    if column not in types:
        from tools.names import closest

        hint = closest(column, list(types))
        raise RetryableToolError(
            f"Table {table!r} has no column {column!r}." + (f" Did you mean {hint}?" if hint else "")
        )
    q = quote_ident(column)
    df = ws.query(
        f"SELECT DISTINCT CAST({q} AS VARCHAR) AS v FROM {quote_ident(table)} WHERE {q} IS NOT NULL "
        f"ORDER BY 1 LIMIT {MAX_DISTINCT * 5}"
    )
    values = [v for v in df["v"].tolist() if v.strip()]
    return ColumnValues(table, column, values, [normalise(v) for v in values])


def _looks_like_id(column: str) -> bool:
    norm = re.sub(r"[^a-z0-9]", "", column.lower())
    return norm == "id" or norm.endswith(("id", "no", "code", "key", "number"))


# -- matching -----------------------------------------------------------------------------------------------
def match_values(
    ws: Workspace,
    text: str,
    table: str | None = None,
    column: str | None = None,
    limit: int = 5,
    semantic: bool = True,
) -> list[ValueMatch]:
    """Stored values that ``text`` most likely means, best first.

    Args:
        ws: the workspace.
        text: a word or phrase from a question ("Eire", "heart holder").
        table: look only in this table (default: every table).
        column: look only in this column (needs ``table``; any text column, even a large one).
        limit: at most this many matches.
        semantic: also match by embedding similarity (columns above 1,000 values only once
            ``warm_value_embeddings`` has embedded them).

    Returns:
        ValueMatch rows (table, column, value, score 0..1, how), best first; several columns may match.
    """
    query = normalise(text)
    if not query:
        return []
    if column and not table:
        raise RetryableToolError("Name the table of the column to match values in.")
    tables = [table] if table else ws.tables()
    versions = table_versions(ws)
    columns = [c for t in tables for c in value_columns(ws, t, column, versions)]
    best: dict[tuple[str, str, str], ValueMatch] = {}
    query_vector = _LazyVector(text) if semantic else None
    for cv in columns:
        for match in _match_column(ws, cv, text, query, limit, query_vector):
            k = (match.table, match.column, match.value)
            if k not in best or match.score > best[k].score:
                best[k] = match
    return sorted(best.values(), key=lambda m: (-m.score, len(m.value), m.value))[:limit]


class _LazyVector:
    """The query's embedding, computed on first need and only once for all columns."""

    def __init__(self, text: str):
        self.text = text
        self._vector: np.ndarray | None = None

    def get(self) -> np.ndarray:
        if self._vector is None:
            from tools import embeddings

            self._vector = embeddings.get_embedder().encode([self.text])[0]
        return self._vector


def _match_column(
    ws: Workspace, cv: ColumnValues, text: str, query: str, limit: int, query_vector: _LazyVector | None
) -> list[ValueMatch]:
    out: list[ValueMatch] = []
    for value in cv.by_key.get(query, []):
        out.append(
            ValueMatch(
                cv.table,
                cv.column,
                value,
                1.0 if value == text.strip() else 0.97,
                "exact" if value == text.strip() else "case",
            )
        )
    for name in other_names(text):
        out += [ValueMatch(cv.table, cv.column, v, 0.93, "synonym") for v in cv.by_key.get(name, [])]
    if not out and len(query.split()) > 1:  # one word differing in its ending is often another word
        out += [
            ValueMatch(cv.table, cv.column, v, 0.92, "stem") for v in cv.by_words.get(word_key(query), [])
        ]
    if out:  # an exact, case, synonym or stem hit is what the person meant; fuzzy neighbours would add noise
        return out
    out += _fuzzy(cv, query, limit)
    if query_vector is not None:
        out += _semantic(ws, cv, query_vector, limit)
    return out


def _fuzzy(cv: ColumnValues, query: str, limit: int) -> list[ValueMatch]:
    """Blend of three rapidfuzz scorers over all values at once (vectorised in C).

    token_set rewards values holding every word of the query ("heart holder" in "... HEART T-LIGHT HOLDER"),
    WRatio tolerates typos and partial words, plain ratio prefers the value closest as a whole.
    """
    from rapidfuzz import fuzz, process

    if not cv.keys:
        return []
    scores = sum(
        weight * process.cdist([query], cv.keys, scorer=scorer)[0]
        for weight, scorer in ((0.5, fuzz.token_set_ratio), (0.35, fuzz.WRatio), (0.15, fuzz.ratio))
    )
    top = np.argsort(-scores, kind="stable")[:limit]
    return [
        ValueMatch(cv.table, cv.column, cv.values[i], round(0.9 * float(scores[i]) / 100, 4), "fuzzy")
        for i in top
        if scores[i] >= FUZZY_CUTOFF
    ]


def _semantic(ws: Workspace, cv: ColumnValues, query_vector: _LazyVector, limit: int) -> list[ValueMatch]:
    vectors = _value_vectors(ws, cv, create=len(cv.values) <= EMBED_ON_DEMAND)
    if vectors is None or not len(vectors):
        return []
    sims = vectors @ query_vector.get()
    top = np.argsort(-sims)[:limit]
    return [
        ValueMatch(cv.table, cv.column, cv.values[i], round(0.85 * float(sims[i]), 4), "semantic")
        for i in top
        if sims[i] >= SEMANTIC_CUTOFF
    ]


def _value_vectors(ws: Workspace, cv: ColumnValues, create: bool) -> np.ndarray | None:
    """Embeddings of the column's values: in memory, else from the workspace's cache file, else computed."""
    if cv.vectors is not None:
        return cv.vectors
    path = _vectors_path(ws, cv)
    if path.exists():
        cv.vectors = np.load(path)
    elif create:
        from tools import embeddings

        cv.vectors = embeddings.get_embedder().encode(cv.values)
        np.save(path, cv.vectors)
    return cv.vectors


def _vectors_path(ws: Workspace, cv: ColumnValues) -> Path:
    """The cache file: named after the column, keyed by the model and the exact values."""
    from tools import embeddings

    model = embeddings.get_embedder().name
    digest = hashlib.blake2b("\n".join([model, *cv.values]).encode(), digest_size=10).hexdigest()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{cv.table}.{cv.column}")[:60]
    return ws.subdir("values") / f"{stem}-{digest}.npy"


def warm_value_embeddings(ws: Workspace, tables: list[str] | None = None) -> int:
    """Embed the values of every vocabulary column ahead of time; returns how many values were embedded."""
    total = 0
    for table in tables or ws.tables():
        for cv in value_columns(ws, table):
            if cv.vectors is None and not _vectors_path(ws, cv).exists():
                total += len(cv.values)
            _value_vectors(ws, cv, create=True)
    return total
