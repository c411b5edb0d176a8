"""Schema linking: the tables and columns a question is about, and a compact card of just those.

Three signals score each column, and a table by its best columns and its own name:

- names: the question's words against the words of table and column names (split on ``_``, spaces and
  camelCase, lightly stemmed: "singers" meets ``Singer_ID``, "invoice dates" meets ``InvoiceDate``);
- stored values: a phrase of the question that is a stored value (the value index, as in
  ``agent.context.value_hints``: "Germany" -> ``online_retail.Country``);
- meaning: embedding similarity of the question to ``table column`` texts (all-MiniLM), a weaker signal
  that finds "how old" -> ``Age`` where no word is shared.

The chosen tables are the best one, the others scoring close to it, and any table that joins two chosen
ones that share no key (a bridge such as ``singer_in_concert``); join keys are the declared ones
(tools.joins), else columns of the same name or an ``<table>_id`` naming another table's key. Linking favours recall: the SQL grammar can name only the
linked tables, so a table left out cannot be used at all.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.joins import JoinKey, declared_keys
from tools.schema import ident
from tools.values import CONFIDENT
from tools.workspace import Workspace

log = logging.getLogger(__name__)
# One line of agent.context.value_hints: "uk" -> online_retail.Country = 'United Kingdom'
HINT_LINE = re.compile(r'^".*" -> ([^.]+)\.(.+?) = (.*)$')

MAX_TABLES = 5
CLOSE_TO_BEST = 0.6  # a table scoring this share of the best one's score is linked too
MIN_TABLE_SCORE = 0.35
EMBED_FLOOR, EMBED_SPAN = 0.25, 0.45  # cosine similarity mapped to 0..1 over [floor, floor + span]
EMBED_WEIGHT = 0.6
VALUE_SCORE = 1.0
FUZZY_VALUE_MIN = 0.8
DESCRIPTIVE = frozenset({"name", "type", "date", "description", "title", "value", "age", "year", "price"})
GENERIC = frozenset({"id", "no", "num", "number", "code", "key", "name", "type", "date", "value", "count"})
STOP = frozenset(
    """a an the and or of in on for to by with from at as is are was were be been do does did what which who
    whom whose how many much show me give list find all any each every that those this these it its their
    there our we us you my per than then also not no only please tell return display get""".split()  # noqa: SIM905
)


@dataclass
class LinkedSchema:
    """The tables and columns a question is about.

    Attributes:
        tables: chosen tables, most relevant first.
        columns: table -> its full column list (what the SQL grammar allows).
        linked: table -> the columns the question points at (by name, value or meaning), best first.
        joins: ``(table, column, table, column)`` keys between chosen tables.
        values: ``"phrase" -> table.column = 'value'`` lines for the stored values the question names.
        scores: table -> relevance score (every table of the workspace).
        card: the compact text for the prompt.
    """

    tables: list[str]
    columns: dict[str, list[str]]
    linked: dict[str, list[str]] = field(default_factory=dict)
    joins: list[JoinKey] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    card: str = ""


def link(
    ws: Workspace,
    question: str,
    budget_chars: int = 2000,
    *,
    embed: bool = True,
    max_tables: int = MAX_TABLES,
    value_hints: str | None = None,
) -> LinkedSchema:
    """The tables and columns ``question`` is about, with their card in at most ``budget_chars``.

    Args:
        ws: the workspace.
        question: the person's request.
        budget_chars: the card's length limit.
        embed: also score by embedding similarity (loads the embedding model on first use).
        max_tables: at most this many tables (bridges included).
        value_hints: the stored values already matched (``agent.context.value_hints`` lines); None
            matches them here.
    """
    schema = ws.columns_by_table()
    if not schema:
        raise ValueError("The workspace has no tables.")
    words = question_words(question)
    scores: dict[tuple[str, str], float] = {}
    for table, cols in schema.items():
        for column in cols:
            scores[(table, column)] = name_score(words, column)
    values = _value_links(ws, question, scores) if value_hints is None else _hinted(value_hints, scores)
    if embed:
        _add_embedding_scores(ws, question, schema, scores)
    table_scores = {t: _table_score(words, t, cols, scores) for t, cols in schema.items()}
    joins_all = join_keys(schema, declared_keys(ws))
    chosen = _choose(table_scores, joins_all, ws, max_tables)
    order = {t: i for i, t in enumerate(chosen)}
    joins = [
        (a, ca, b, cb) if order[a] < order[b] else (b, cb, a, ca)  # the more relevant table first
        for a, ca, b, cb in joins_all
        if a in order and b in order
    ]
    linked = {
        t: [c for c in sorted(schema[t], key=lambda c: -scores[(t, c)]) if scores[(t, c)] > 0] for t in chosen
    }
    result = LinkedSchema(
        tables=chosen,
        columns={t: list(schema[t]) for t in chosen},
        linked=linked,
        joins=joins,
        values=[line for line in values if line.split(" -> ", 1)[1].split(".", 1)[0] in chosen],
        scores={t: round(s, 3) for t, s in table_scores.items()},
    )
    result.card = render_card(ws, result, budget_chars)
    return result


# -- words ---------------------------------------------------------------------------------------------------
def name_words(name: str) -> list[str]:
    """``CustomerID`` -> customer, id; ``order_date`` -> order, date; ``Review Text`` -> review, text."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [stem(w) for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def question_words(question: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", question.lower()) if w not in STOP}


def stem(word: str) -> str:
    """A light English stemmer: plural and -ing/-ed endings off ("countries" -> countri, "stores" -> store)."""
    w = word.lower()
    for suffix, keep in (("ies", "i"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if w.endswith(suffix) and len(w) > len(suffix) + 1:
            return w[: -len(suffix)] + keep
    if w.endswith("y") and len(w) > 3:
        return w[:-1] + "i"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) > len(suffix) + 3:
            return w[: -len(suffix)]
    return w


def name_score(words: set[str], name: str) -> float:
    """Share of the name's words the question uses (generic words like id, name count half); a name of
    generic words only ("Name") scores 0.5 when the question uses it, 0 when it uses only part of it."""
    parts = [p for p in name_words(name) if p not in STOP] or name_words(name)
    if not parts:
        return 0.0
    weights = [0.5 if p in GENERIC else 1.0 for p in parts]
    hit = [w for p, w in zip(parts, weights, strict=True) if p in words]
    if not hit:
        return 0.0
    if all(w < 1 for w in hit):  # only generic words ("name", "id"): weak, and nothing when partial
        return 0.5 if len(hit) == len(parts) else 0.0
    return sum(hit) / sum(weights)


# -- signals ---------------------------------------------------------------------------------------------------
def _value_links(ws: Workspace, question: str, scores: dict[tuple[str, str], float]) -> list[str]:
    """Stored values the question names; their columns score as if named."""
    try:
        from tools.values import match_values
    except ImportError:
        return []
    from agent.context import MAX_VALUE_HINTS, candidate_phrases

    lines: dict[str, str] = {}
    for phrase in candidate_phrases(question):
        if phrase.lower() in STOP or len(phrase) < 3:
            continue
        try:
            matches = match_values(ws, phrase, limit=1, semantic=False)
        except Exception as e:  # noqa: BLE001 - a value index problem must not stop the question
            log.warning("value matching failed for %r: %s", phrase, e)
            return list(lines.values())
        for m in matches:
            confident = m.how in CONFIDENT or (len(phrase.split()) > 1 and m.score >= FUZZY_VALUE_MIN)
            if not confident:
                continue
            key = (m.table, m.column)
            if key in scores:
                scores[key] = max(scores[key], VALUE_SCORE)
            lines.setdefault(
                f"{m.table}.{m.column}={m.value}", f'"{phrase}" -> {m.table}.{m.column} = {m.value!r}'
            )
    return list(lines.values())[:MAX_VALUE_HINTS]


def _hinted(hints: str, scores: dict[tuple[str, str], float]) -> list[str]:
    """The lines of ``value_hints``; their columns score as if named."""
    lines = []
    for line in hints.splitlines():
        match = HINT_LINE.match(line.strip())
        if match and (match.group(1), match.group(2)) in scores:
            scores[(match.group(1), match.group(2))] = VALUE_SCORE
            lines.append(line.strip())
    return lines


_vectors: dict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], np.ndarray] = {}
_vectors_lock = threading.Lock()


def _add_embedding_scores(
    ws: Workspace, question: str, schema: dict[str, list[str]], scores: dict[tuple[str, str], float]
) -> None:
    keys = [(t, c) for t, cols in schema.items() for c in cols]
    try:
        from tools.embeddings import get_embedder

        embedder = get_embedder()
        cache_key = (str(ws.db_path), tuple((t, tuple(c)) for t, c in schema.items()))
        with _vectors_lock:
            vectors = _vectors.get(cache_key)
        if vectors is None:
            texts = [" ".join(name_words(t) + [":"] + name_words(c)) for t, c in keys]
            vectors = embedder.encode(texts)
            with _vectors_lock:
                _vectors[cache_key] = vectors
        query = embedder.encode([question])[0]
    except Exception as e:  # noqa: BLE001 - without embeddings the names and values still link
        log.warning("schema linking without embeddings: %s", e)
        return
    similarity = vectors @ query
    for key, sim in zip(keys, similarity, strict=True):
        soft = min(max((float(sim) - EMBED_FLOOR) / EMBED_SPAN, 0.0), 1.0) * EMBED_WEIGHT
        scores[key] = max(scores[key], soft)


def _table_score(
    words: set[str], table: str, columns: list[str], scores: dict[tuple[str, str], float]
) -> float:
    """The table's own name, its best column, and a little for each further column the question names."""
    ranked = sorted((scores[(table, c)] for c in columns), reverse=True)
    best = ranked[0] if ranked else 0.0
    more = sum(s for s in ranked[1:4] if s >= 0.5) * 0.25
    return name_score(words, table) + best + more


# -- choosing and joining ----------------------------------------------------------------------------------------
def join_keys(schema: dict[str, list[str]], declared: Sequence[JoinKey] = ()) -> list[JoinKey]:
    """``(a, col, b, col)`` for columns that join two tables: the declared keys, then for tables with
    none declared between them the same id-like or shared name, or a ``<b>_id`` column of ``a`` meeting
    ``b``'s ``id`` (a declared key says how two tables join; a look-alike name beside it only misleads)."""
    out: list[JoinKey] = [k for k in declared if k[0] in schema and k[2] in schema]
    paired = {frozenset((a, b)) for a, _, b, _ in out}
    tables = list(schema)
    for i, a in enumerate(tables):
        for b in tables[i + 1 :]:
            if frozenset((a, b)) in paired:
                continue
            b_cols = {c.lower(): c for c in schema[b]}
            for col in schema[a]:
                other = b_cols.get(col.lower())
                if other is not None and _key_like(col, schema[a], schema[b]):
                    out.append((a, col, b, other))
            out += _id_links(a, schema[a], b, schema[b])
            out += [(a, ca, b, cb) for b2, cb, a2, ca in _id_links(b, schema[b], a, schema[a])]
    return list(dict.fromkeys(out))


def _key_like(column: str, a_cols: list[str], b_cols: list[str]) -> bool:
    """A shared name joins when it looks like a key (id, code, no, key), or is the only shared column and
    not a descriptive one (two tables that both have a ``Name`` are not joined on it). A bare ``id`` is
    each table's own row number: two tables that both have one are not joined on it."""
    words = name_words(column)
    if set(words) <= GENERIC:
        return False
    if words and words[-1] in ("id", "code", "no", "num", "key") or column.lower().endswith("id"):
        return True
    shared = {c.lower() for c in a_cols} & {c.lower() for c in b_cols}
    return len(shared) == 1 and not (set(words) & DESCRIPTIVE)


def _id_links(a: str, a_cols: list[str], b: str, b_cols: list[str]) -> list[JoinKey]:
    """``a.<b>_id = b.id``: a column of ``a`` named after table ``b`` plus id, and ``b``'s own ``id``."""
    b_id = next((c for c in b_cols if c.lower() == "id"), None)
    if b_id is None:
        return []
    stems = {stem(w) for w in name_words(b)}
    out = []
    for col in a_cols:
        words = name_words(col)
        if len(words) >= 2 and words[-1] == "id" and set(words[:-1]) <= stems:
            out.append((a, col, b, b_id))
    return out


def _choose(
    table_scores: dict[str, float], joins: list[JoinKey], ws: Workspace, max_tables: int
) -> list[str]:
    ranked = sorted(table_scores, key=lambda t: -table_scores[t])
    best = table_scores[ranked[0]]
    if best < MIN_TABLE_SCORE:  # nothing points anywhere: the current sales table, or every small schema
        fallback = _fallback_table(ws, ranked)
        return ranked[:max_tables] if len(ranked) <= max_tables else [fallback]
    chosen = [t for t in ranked if table_scores[t] >= max(MIN_TABLE_SCORE, CLOSE_TO_BEST * best)]
    chosen = chosen[:max_tables]
    neighbours: dict[str, set[str]] = {}
    for a, _, b, _ in joins:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    for i, a in enumerate(list(chosen)):
        for b in chosen[i + 1 :]:
            if b in neighbours.get(a, set()) or len(chosen) >= max_tables:
                continue
            bridges = (neighbours.get(a, set()) & neighbours.get(b, set())) - set(chosen)
            if bridges:
                chosen.append(max(bridges, key=lambda t: table_scores[t]))
    return chosen


def _fallback_table(ws: Workspace, ranked: list[str]) -> str:
    try:
        current = ws.sales_table()
    except Exception:  # noqa: BLE001 - no sales table configured
        current = None
    return current if current in ranked else ranked[0]


# -- the card ---------------------------------------------------------------------------------------------------
def render_card(ws: Workspace, linked: LinkedSchema, budget_chars: int) -> str:
    """The chosen tables' schema card (tools.schema.schema_prompt), then join keys and matched values."""
    extra = []
    if linked.joins:
        extra.append(
            "Join keys: "
            + ", ".join(f"{ident(a)}.{ident(ca)} = {ident(b)}.{ident(cb)}" for a, ca, b, cb in linked.joins)
        )
    if linked.values:
        extra.append("Values the request mentions (exact spellings):\n" + "\n".join(linked.values))
    tail = "\n".join(extra)
    room = max(budget_chars - len(tail) - 1, 200)
    card = _tables_card(ws, linked, room)
    return f"{card}\n{tail}".strip() if tail else card


_cards: dict[tuple[Any, ...], str] = {}
_cards_lock = threading.Lock()


def _tables_card(ws: Workspace, linked: LinkedSchema, room: int) -> str:
    """``tools.schema.schema_prompt`` of the chosen tables, cached until one of them is reloaded."""
    try:
        from tools.schema import schema_prompt
        from tools.values import table_versions

        versions = table_versions(ws)
        key = (str(ws.db_path), tuple((t, versions.get(t)) for t in linked.tables), room)
        with _cards_lock:
            if key in _cards:
                return _cards[key]
        card = schema_prompt(ws, linked.tables, max_chars=room)
    except Exception as e:  # noqa: BLE001 - statistics failing must not stop the question
        log.warning("schema card failed: %s", e)
        return "\n".join(
            f"{ident(t)}: " + ", ".join(ident(c) for c in linked.columns[t]) for t in linked.tables
        )[:room]
    with _cards_lock:
        if len(_cards) > 512:
            _cards.clear()
        _cards[key] = card
    return card


def grammar_tables(linked: LinkedSchema) -> dict[str, list[str]]:
    """Table -> full column list of the linked tables: the identifier sets of the SQL grammar."""
    return {t: linked.columns[t] for t in linked.tables}


def describe(linked: LinkedSchema) -> dict[str, Any]:
    """A JSON-ready summary (for logs and benchmarks)."""
    return {"tables": linked.tables, "linked": linked.linked, "joins": linked.joins, "values": linked.values}
