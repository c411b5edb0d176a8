"""``semantic_search``: embedding search over products, reviews or any indexed text column, with filters.

Indexes live in Chroma (persistent under the workspace, or a Chroma server when ``$MARTMIND_CHROMA_URL``
is set) and are built on first use, then kept in step incrementally (see tools.textindex).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from tools.base import Fact, RetryableToolError, Table, Tool, ToolResult
from tools.textindex import SyncStats, TextIndex, chroma_client
from tools.textsources import TextSource, get_source
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from tools.workspace import Workspace

DEMO_SOURCES = ("products", "reviews")
RECIPE = "1"  # bump when the way sources build their texts changes: every index then re-syncs
SourceProgress = Callable[[str, int, int], None]  # (source name, embedded so far, to embed)

_OPS = {
    "==": "$eq",
    "=": "$eq",
    "!=": "$ne",
    "<": "$lt",
    "<=": "$lte",
    ">": "$gt",
    ">=": "$gte",
    "in": "$in",
    "not in": "$nin",
}


class Condition(BaseModel):
    field: str = Field(
        description="Metadata field, e.g. rating, department, class, age (reviews) or revenue, "
        "units, orders (products)."
    )
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"] = Field(
        "==", description="Comparison operator."
    )
    value: str | int | float | bool | list[str | int | float] = Field(
        description="Value to compare with (a list for 'in' / 'not in')."
    )


class SearchArgs(BaseModel):
    query: str = Field(description="What to look for, in plain words (searched by meaning, not keywords).")
    source: str = Field(
        "reviews",
        description="'reviews' (clothing reviews), 'products' (Online Retail "
        "products) or 'TABLE.COLUMN' for a text column of a table.",
    )
    top: int = Field(10, ge=1, le=200, description="How many matches to return.")
    where: list[Condition] | None = Field(
        None,
        description="Metadata filters, all of which must hold, e.g. rating <= 2 and department == Dresses.",
    )


class SemanticSearch(Tool):
    name = "semantic_search"
    description = (
        "Find reviews, products or other texts by meaning (embedding search in Chroma), optionally "
        "filtered by metadata such as rating, department or revenue; returns matches with ids that "
        "join back to the table in SQL."
    )
    Args = SearchArgs
    progress: SourceProgress | None = None  # set by a front end to show a first index build
    chroma_url: str | None = None  # a Chroma server (default: $MARTMIND_CHROMA_URL, else the workspace's)

    def run(self, args: SearchArgs) -> ToolResult:
        if not args.query.strip():
            raise RetryableToolError("The search query is empty; say what to look for.")
        source = get_source(self.ws, args.source)
        where = to_where(self.ws, source, args.where or [])
        df = search(
            self.ws,
            args.query,
            source=source,
            top=args.top,
            where=where,
            url=self.chroma_url,
            progress=self.progress,
        )
        sql = source.join_sql(df[source.id_label].astype(str).tolist()) if len(df) else ""
        shown = f" where {describe_where(args.where)}" if args.where else ""
        if df.empty:
            text = f"No {source.name} match {args.query!r}{shown}."
        else:
            preview = df.head(5)[[source.id_label, "score", "text"]].to_string(index=False, max_colwidth=80)
            text = f"{len(df)} {source.name} closest to {args.query!r}{shown}:\n{preview}"
        facts = [Fact("matches", len(df), source=f"semantic_search {source.name}")]
        if len(df):
            facts.append(
                Fact(
                    "top_score", round(float(df["score"].iloc[0]), 4), source=f"semantic_search {source.name}"
                )
            )
        return ToolResult(text=text, tables=[Table("matches", df)], facts=facts, sql=[sql] if sql else [])


# -- indexing -----------------------------------------------------------------------------------------------
def open_index(ws: Workspace, source: TextSource, url: str | None = None) -> TextIndex:
    """The Chroma collection of ``source`` (persistent in the workspace, or on the configured server)."""
    client = chroma_client(path=ws.subdir("chroma"), url=url)
    return TextIndex(client, source.collection)


def index_source(
    ws: Workspace, source: TextSource | str, progress: SourceProgress | None = None, url: str | None = None
) -> SyncStats:
    """Bring the index of ``source`` up to date; only new or changed texts are embedded."""
    if isinstance(source, str):
        source = get_source(ws, source)
    index = open_index(ws, source, url)
    docs = source.documents(ws)
    name = source.name
    stats = index.sync(docs, progress=(lambda done, total: progress(name, done, total)) if progress else None)
    meta = dict(index.collection.metadata or {})
    meta.update(
        source_version=_version(ws, source),
        source=source.name,
        table=source.table,
        id_column=source.id_column,
    )
    index.collection.modify(metadata=meta)
    return stats


def index_column(
    ws: Workspace,
    table: str,
    column: str,
    id_column: str | None = None,
    progress: SourceProgress | None = None,
    url: str | None = None,
) -> SyncStats:
    """Index one text column of a workspace table (searchable as source ``TABLE.COLUMN``)."""
    from tools.textsources import column_source

    return index_source(ws, column_source(ws, table, column, id_column), progress=progress, url=url)


def index_demo(
    ws: Workspace, progress: SourceProgress | None = None, url: str | None = None
) -> list[SyncStats]:
    """Build or refresh the demo indexes (products and reviews)."""
    return [index_source(ws, name, progress=progress, url=url) for name in DEMO_SOURCES]


def ensure_index(
    ws: Workspace, source: TextSource, progress: SourceProgress | None = None, url: str | None = None
) -> TextIndex:
    """The index of ``source``, synced first when it is new or its table was reloaded since."""
    index = open_index(ws, source, url)
    stored = (index.collection.metadata or {}).get("source_version")
    if stored != _version(ws, source):
        index_source(ws, source, progress=progress, url=url)
    return index


def _version(ws: Workspace, source: TextSource) -> str:
    return f"{RECIPE}:{source.version(ws)}"


# -- querying -----------------------------------------------------------------------------------------------
def search(
    ws: Workspace,
    query: str,
    source: TextSource | str = "reviews",
    top: int = 10,
    where: dict[str, Any] | None = None,
    url: str | None = None,
    progress: SourceProgress | None = None,
) -> pd.DataFrame:
    """The ``top`` texts of ``source`` nearest in meaning to ``query``, as a table.

    Columns: rank, the source's id (joins back to its table), score (cosine similarity), distance, text,
    then the metadata fields.
    """
    if isinstance(source, str):
        source = get_source(ws, source)
    from chromadb.errors import ChromaError

    index = ensure_index(ws, source, progress=progress, url=url)
    try:
        hits = index.query(query, top=top, where=where)
    except (ValueError, TypeError, ChromaError) as e:  # how Chroma rejects a filter it cannot apply
        raise RetryableToolError(f"The search filter was not accepted: {str(e).splitlines()[0]}") from None
    rows = [
        {
            "rank": i + 1,
            source.id_label: h["id"],
            "score": round(h["score"], 4),
            "distance": round(h["distance"], 4),
            "text": h["document"],
            **h["metadata"],
        }
        for i, h in enumerate(hits)
    ]
    df = pd.DataFrame(
        rows, columns=["rank", source.id_label, "score", "distance", "text"] if not rows else None
    )
    if source.id_numeric and len(df):
        df[source.id_label] = df[source.id_label].astype(int)
    return df


# -- filters ------------------------------------------------------------------------------------------------
_CONDITION = re.compile(r"^\s*(.+?)\s*(<=|>=|!=|==|=|<|>|\bnot\s+in\b|\bin\b)\s*(.+?)\s*$", re.IGNORECASE)


def parse_condition(text: str) -> Condition:
    """``"rating <= 2"``, ``"department = Dresses"``, ``"class in Knits,Blouses"`` -> Condition."""
    match = _CONDITION.match(text)
    if not match:
        raise RetryableToolError(
            f"Cannot read the filter {text!r}; write it like 'rating <= 2' or 'department = Dresses'."
        )
    field, op, raw = (
        match.group(1).strip(),
        re.sub(r"\s+", " ", match.group(2).lower()),
        match.group(3).strip(),
    )
    value: Any = (
        [v.strip().strip("'\"") for v in raw.split(",")] if op in ("in", "not in") else raw.strip("'\"")
    )
    return Condition.model_validate({"field": field, "op": "==" if op == "=" else op, "value": value})


def to_where(ws: Workspace, source: TextSource, conditions: list[Condition]) -> dict[str, Any] | None:
    """Chroma's ``where`` for conditions that must all hold; field names and text values are matched
    to the stored ones (``Department Name`` -> ``department``, ``dresses`` -> ``Dresses``)."""
    clauses = []
    for cond in conditions:
        key = _field_key(source, cond.field)
        column = source.fields[key]
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        values = [_coerce(ws, source, column, v) for v in values]
        op = _OPS[cond.op]
        clauses.append({key: {op: values if op in ("$in", "$nin") else values[0]}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def describe_where(conditions: list[Condition]) -> str:
    return " and ".join(f"{c.field} {c.op} {c.value}" for c in conditions)


def _field_key(source: TextSource, name: str) -> str:
    from tools.names import closest

    if name in source.fields:
        return name
    lowered = {k.lower(): k for k in source.fields} | {v.lower(): k for k, v in source.fields.items()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    hint = closest(name, list(source.fields))
    known = ", ".join(source.fields) or "none"
    raise RetryableToolError(
        f"The {source.name} index has no field {name!r}."
        + (f" Did you mean {hint}?" if hint else "")
        + f" Fields: {known}."
    )


def _coerce(ws: Workspace, source: TextSource, column: str, value: Any) -> Any:
    """A number for a numeric column; for a text column, the stored spelling of the value."""
    sql_type = dict(ws.columns(source.table)).get(column, "DOUBLE")  # computed fields are numbers
    if sql_type.startswith("BOOLEAN"):
        return str(value).lower() in ("1", "true", "yes")
    if not sql_type.startswith(("VARCHAR", "DATE", "TIMESTAMP")):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RetryableToolError(f"{column} is numeric; {value!r} is not a number.") from None
        is_int = sql_type.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "U"))
        return int(number) if is_int and number.is_integer() else number
    stored = ws.query(
        f"SELECT DISTINCT CAST({quote_ident(column)} AS VARCHAR) AS v FROM {quote_ident(source.table)} "
        f"WHERE lower(CAST({quote_ident(column)} AS VARCHAR)) = lower(?) LIMIT 1",
        [str(value)],
    )
    return stored["v"][0] if len(stored) else str(value)


def index_report(stats: list[SyncStats]) -> dict[str, Any]:
    """The JSON of `martmind index`: totals and one entry per source."""
    return {
        "embedded": sum(s.embedded for s in stats),
        "documents": sum(s.documents for s in stats),
        "sources": [s.to_dict() for s in stats],
    }
