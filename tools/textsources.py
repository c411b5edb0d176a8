"""Where indexed texts come from: demo products, demo reviews, or any text column of a workspace table.

A source turns workspace rows into ``Documents`` (id, text, flat metadata) and knows how its ids join back
to the table in SQL, so a search result can feed a query.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from tools.base import RetryableToolError, ToolError
from tools.textindex import Documents
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from tools.workspace import Workspace

PRODUCTS_TABLE = "online_retail"
REVIEWS_TABLE = "clothing_reviews"
ROWID = "row_id"
_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)  # the name we give DuckDB's rowid when a table has no unique id column

# Review metadata key -> column of clothing_reviews.
REVIEW_FIELDS = {
    "rating": "Rating",
    "recommended": "Recommended IND",
    "department": "Department Name",
    "class": "Class Name",
    "division": "Division Name",
    "age": "Age",
    "positive_feedback": "Positive Feedback Count",
    "clothing_id": "Clothing ID",
}
# Product metadata key -> column; the sales figures are computed, not columns (empty).
PRODUCT_FIELDS = {"stock_code": "StockCode", "revenue": "", "units": "", "orders": "", "customers": ""}


@dataclass
class TextSource:
    """A named set of texts in the workspace.

    Attributes:
        name: what the user types (``products``, ``reviews``, ``TABLE.COLUMN``).
        collection: the Chroma collection name.
        table: the workspace table the ids join back to.
        id_column: the id's column in that table (``rowid`` for DuckDB's row number).
        id_label: the id's column name in search results.
        fields: metadata key -> table column (what filters can use).
        text_column: the indexed column (for a table column source).
        id_numeric: ids are integers (Chroma keeps them as text; results turn them back).
    """

    name: str
    collection: str
    table: str
    id_column: str
    id_label: str
    fields: dict[str, str] = field(default_factory=dict)
    text_column: str = ""
    id_numeric: bool = False

    def documents(self, ws: Workspace) -> Documents:
        raise NotImplementedError

    def join_sql(self, ids: list[str]) -> str:
        """A SELECT of the matched rows, for joining search results back in SQL."""
        values = ", ".join(_sql_literal(i, numeric=self.id_numeric) for i in ids) or "NULL"
        return f"SELECT * FROM {quote_ident(self.table)} WHERE {_id_expr(self.id_column)} IN ({values})"

    def version(self, ws: Workspace) -> str:
        """Changes when the table is reloaded, so a stale index is synced before a query."""
        return str(ws.table_info(self.table).get("loaded_at", ""))


class ProductsSource(TextSource):
    """Distinct products of a sales table (StockCode labelled by its most common Description) with sales."""

    def documents(self, ws: Workspace) -> Documents:
        df = ws.query(self._sql(ws))
        metas = df[["stock_code", "revenue", "units", "orders", "customers"]].to_dict("records")
        return Documents(df["stock_code"].astype(str).tolist(), df["description"].tolist(), metas)

    def _sql(self, ws: Workspace) -> str:
        roles = ws.roles(self.table)
        c = {
            k: quote_ident(v)
            for k, v in roles.require(
                "product_id",
                "product_name",
                "quantity",
                "unit_price",
                "order_id",
                purpose="indexing products",
            ).items()
        }
        customer = quote_ident(roles["customer_id"]) if roles["customer_id"] else "NULL"
        t = quote_ident(self.table)
        # The label is each code's most frequent description on priced lines (ties broken alphabetically).
        return f"""
            WITH names AS (
                SELECT {c["product_id"]} AS code, {c["product_name"]} AS description, count(*) AS n
                FROM {t} WHERE {c["product_name"]} IS NOT NULL AND {c["unit_price"]} > 0 GROUP BY 1, 2
                QUALIFY row_number() OVER (PARTITION BY code ORDER BY n DESC, description) = 1)
            SELECT CAST(s.{c["product_id"]} AS VARCHAR) AS stock_code, any_value(names.description) AS description,
                round(sum(s.{c["quantity"]} * s.{c["unit_price"]}), 2) AS revenue,
                CAST(sum(s.{c["quantity"]}) AS BIGINT) AS units,
                count(DISTINCT s.{c["order_id"]}) FILTER (WHERE NOT ({roles.cancelled})) AS orders,
                count(DISTINCT s.{customer}) AS customers
            FROM {t} s JOIN names ON s.{c["product_id"]} = names.code
            GROUP BY 1 ORDER BY 1"""


class ReviewsSource(TextSource):
    """Clothing reviews (title and text), one document per review; the id is the table's row number."""

    def documents(self, ws: Workspace) -> Documents:
        cols = ", ".join(f"{quote_ident(col)} AS {key}" for key, col in REVIEW_FIELDS.items())
        df = ws.query(
            f"SELECT rowid AS review_id, concat_ws('. ', Title, \"Review Text\") AS text, {cols} "
            f'FROM {quote_ident(self.table)} WHERE Title IS NOT NULL OR "Review Text" IS NOT NULL ORDER BY rowid'
        )
        return Documents(
            df["review_id"].astype(str).tolist(), df["text"].tolist(), _records(df[list(REVIEW_FIELDS)])
        )


class ColumnSource(TextSource):
    """One text column of any table; the other short columns ride along as metadata for filtering."""

    def documents(self, ws: Workspace) -> Documents:
        text_col = self.text_column
        id_expr = _id_expr(self.id_column)
        meta_cols = ", ".join(f"{quote_ident(col)} AS {quote_ident(key)}" for key, col in self.fields.items())
        df = ws.query(
            f"SELECT CAST({id_expr} AS VARCHAR) AS __id, CAST({quote_ident(text_col)} AS VARCHAR) AS __text"
            f"{', ' + meta_cols if meta_cols else ''} FROM {quote_ident(self.table)} "
            f"WHERE {quote_ident(text_col)} IS NOT NULL AND trim(CAST({quote_ident(text_col)} AS VARCHAR)) <> ''"
        )
        if df["__id"].duplicated().any():
            raise ToolError(
                f"Column {self.id_column!r} of {self.table!r} is not unique, so it cannot identify rows."
            )
        return Documents(df["__id"].tolist(), df["__text"].tolist(), _records(df[list(df.columns[2:])]))


# -- resolving a source name ------------------------------------------------------------------------------
def get_source(ws: Workspace, name: str, id_column: str | None = None) -> TextSource:
    """The source called ``name``: ``products``, ``reviews``, or ``TABLE.COLUMN`` of a workspace table."""
    key = name.strip()
    if key.lower() == "products":
        _need_table(ws, PRODUCTS_TABLE, "products")
        return ProductsSource(
            "products",
            "products",
            PRODUCTS_TABLE,
            ws.roles(PRODUCTS_TABLE)["product_id"] or "StockCode",
            "stock_code",
            dict(PRODUCT_FIELDS),
        )
    if key.lower() == "reviews":
        _need_table(ws, REVIEWS_TABLE, "reviews")
        return ReviewsSource(
            "reviews", "reviews", REVIEWS_TABLE, "rowid", "review_id", dict(REVIEW_FIELDS), id_numeric=True
        )
    if "." not in key:
        raise RetryableToolError(
            f"Unknown search source {name!r}: use 'products', 'reviews' or 'TABLE.COLUMN' of an indexed table."
        )
    table, column = key.split(".", 1)
    return column_source(ws, table, column, id_column)


def column_source(ws: Workspace, table: str, column: str, id_column: str | None = None) -> ColumnSource:
    """The source for one text column of ``table``, identified by ``id_column`` (or a detected one)."""
    from tools.names import closest

    columns = dict(ws.columns(table))
    if column not in columns:
        hint = closest(column, list(columns))
        raise RetryableToolError(
            f"Table {table!r} has no column {column!r}." + (f" Did you mean {hint}?" if hint else "")
        )
    if id_column and id_column not in columns:
        raise RetryableToolError(f"Table {table!r} has no id column {id_column!r}.")
    ident = id_column or _unique_id_column(ws, table, columns) or "rowid"
    fields = _metadata_fields(ws, table, columns, skip={column, ident})
    digest = hashlib.blake2b(f"{table}.{column}".encode(), digest_size=4).hexdigest()
    collection = re.sub(r"[^a-zA-Z0-9_-]+", "_", f"col_{table}_{column}")[:50].strip("_-") + f"_{digest}"
    label = ROWID if ident == "rowid" else ident
    numeric = ident == "rowid" or columns[ident].startswith(_INTEGER_TYPES)
    return ColumnSource(
        f"{table}.{column}", collection, table, ident, label, fields, text_column=column, id_numeric=numeric
    )


def _unique_id_column(ws: Workspace, table: str, columns: dict[str, str]) -> str | None:
    """A column named like an id whose values are unique and present, if the table has one."""
    for col in columns:
        norm = re.sub(r"[^a-z0-9]", "", col.lower())
        if norm == "id" or norm.endswith("id"):
            q = quote_ident(col)
            found = ws.query(
                f"SELECT count(*) = count(DISTINCT {q}) AND count({q}) = count(*) AS ok "
                f"FROM {quote_ident(table)}"
            )
            if bool(found["ok"][0]):
                return col
    return None


def _metadata_fields(
    ws: Workspace, table: str, columns: dict[str, str], skip: set[str], limit: int = 20
) -> dict[str, str]:
    """Numeric, boolean, date and short text columns (at most ``limit``): usable as filters."""
    fields: dict[str, str] = {}
    for col, sql_type in columns.items():
        if col in skip or len(fields) >= limit:
            continue
        if sql_type.startswith(("VARCHAR", "TEXT")):
            longest = ws.query(f"SELECT max(length({quote_ident(col)})) AS n FROM {quote_ident(table)}")["n"][
                0
            ]
            if pd.isna(longest) or longest > 100:
                continue
        elif not sql_type.startswith(
            (
                "TINYINT",
                "SMALLINT",
                "INTEGER",
                "BIGINT",
                "HUGEINT",
                "FLOAT",
                "DOUBLE",
                "DECIMAL",
                "BOOLEAN",
                "DATE",
                "TIMESTAMP",
                "U",
            )
        ):
            continue
        fields[col] = col
    return fields


def _need_table(ws: Workspace, table: str, source: str) -> None:
    if not ws.has_table(table):
        raise ToolError(
            f"The {source} source needs the demo table {table!r}, which this workspace does not have."
        )


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Row dicts with dates as ISO text (Chroma metadata holds only str, int, float, bool)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S").where(out[col].notna(), None)
    return out.astype(object).where(out.notna(), None).to_dict("records")


def _id_expr(id_column: str) -> str:
    return "rowid" if id_column == "rowid" else quote_ident(id_column)


def _sql_literal(value: str, numeric: bool) -> str:
    if numeric and re.fullmatch(r"-?\d+", value):
        return value
    return "'" + value.replace("'", "''") + "'"
