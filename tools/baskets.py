"""Market baskets and purchase histories from any sales table, through its column roles.

One basket per non-cancelled order (DESIGN.md "Market baskets"); items are distinct product ids labelled by
their most common product name, or product names when the table has no id. Lines with a non-positive
quantity are left out too: in Online Retail they are stock adjustments, not purchases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from tools.base import RetryableToolError, ToolError
from tools.names import closest_many
from tools.workspace import Workspace, quote_ident

# Service lines that are not products (postage, fees, manual adjustments): mining them yields rules like
# "postage => postage" that no marketer wants. Matched against the item label, case-insensitive.
NON_PRODUCT = re.compile(
    r"^(postage|dotcom postage|carriage|manual|discount|bank charges|amazon fee|samples|cruk commission|"
    r"adjust bad debt|pads to match all cushions)$",
    re.IGNORECASE,
)


@dataclass
class BasketData:
    """Purchase lines reduced to (basket, item) pairs, with customers, dates and item labels.

    ``lines`` has columns basket_id, item, and where the table has them customer_id and ts.
    ``labels`` maps item -> readable name.
    """

    table: str
    lines: pd.DataFrame
    labels: dict[str, str]
    sql: str

    @property
    def n_baskets(self) -> int:
        return int(self.lines["basket_id"].nunique())

    def label(self, item: str) -> str:
        return self.labels.get(item, str(item))

    def resolve(self, product: str) -> list[str]:
        """Item ids whose label or id is ``product`` (case-insensitive), else a retryable 'did you mean'."""
        wanted = product.strip().lower()
        exact = [i for i, name in self.labels.items() if name.lower() == wanted or str(i).lower() == wanted]
        if exact:
            return exact
        names = sorted(set(self.labels.values()))
        contains = [n for n in names if wanted and wanted in n.lower()]
        if len(contains) == 1:
            return [i for i, name in self.labels.items() if name == contains[0]]
        close = [n for n, _ in closest_many(product, names, limit=5)]
        options = contains[:5] or close
        hint = f" Did you mean: {'; '.join(options)}?" if options else ""
        raise RetryableToolError(f"No product called {product!r} in {self.table}.{hint}")


def load_baskets(
    ws: Workspace,
    table: str | None = None,
    *,
    country: str | None = None,
    start: date | None = None,
    end: date | None = None,
    need_customers: bool = False,
    need_time: bool = False,
    purpose: str = "market baskets",
) -> BasketData:
    """Read the baskets of ``table`` (default: the workspace's current sales table) with optional country and date filters.

    Raises:
        ToolError: a needed column role is missing (order id, product, customer, timestamp) or nothing is left.
    """
    table = table or ws.sales_table()
    ws.columns(table)  # clear error for an unknown table
    roles = ws.roles(table)
    order = roles.require("order_id", purpose=purpose)["order_id"]
    item_col = roles["product_id"] or roles["product_name"]
    if not item_col:
        roles.require("product_id", purpose=purpose)
    if need_customers:
        roles.require("customer_id", purpose=purpose)
    if need_time or start or end:
        roles.require("timestamp", purpose=purpose if need_time else "a date filter")
    item_sql = f"CAST({quote_ident(item_col)} AS VARCHAR)"
    select = [f"CAST({quote_ident(order)} AS VARCHAR) AS basket_id", f"{item_sql} AS item"]
    if roles["customer_id"]:
        select.append(f"min(CAST({quote_ident(roles['customer_id'])} AS VARCHAR)) AS customer_id")
    if roles["timestamp"]:
        select.append(f"min({quote_ident(roles['timestamp'])}) AS ts")
    where = [
        f"NOT ({roles.cancelled})",
        f"{quote_ident(item_col)} IS NOT NULL",
        f"{quote_ident(order)} IS NOT NULL",
    ]
    params: list = []
    if roles["quantity"]:
        where.append(f"{quote_ident(roles['quantity'])} > 0")
    if country:
        where.append(f"lower({quote_ident(_country_column(ws, table))}) = lower(?)")
        params.append(_check_country(ws, table, country))
    if start:
        where.append(f"{quote_ident(roles['timestamp'])} >= ?")
        params.append(pd.Timestamp(start))
    if end:
        where.append(f"{quote_ident(roles['timestamp'])} < ?")
        params.append(pd.Timestamp(end) + pd.Timedelta(days=1))
    # One row per (basket, item): the same product on two lines of an order is one item of the basket.
    sql = f"SELECT {', '.join(select)} FROM {quote_ident(table)} WHERE {' AND '.join(where)} GROUP BY 1, 2"
    lines = ws.query(sql, params, timeout_s=max(ws.sql_timeout_s, 120))
    if lines.empty:
        raise ToolError(f"No purchases left in {table} after the filters; widen the country or dates.")
    name_col = roles["product_name"] if roles["product_name"] and roles["product_name"] != item_col else None
    labels = _labels(ws, table, item_sql, name_col)
    services = {i for i, name in labels.items() if NON_PRODUCT.match(name.strip())}
    if services:
        lines = lines[~lines["item"].isin(services)].reset_index(drop=True)
    return BasketData(table=table, lines=lines, labels=labels, sql=_inline(sql, params))


def customer_sequences(data: BasketData) -> pd.DataFrame:
    """One row per (customer, basket) in time order with the basket's items as a sorted tuple."""
    lines = data.lines.dropna(subset=["customer_id"])
    if lines.empty:
        raise ToolError(
            f"{data.table} has no purchases with a customer id, so there are no customer histories."
        )
    grouped = (
        lines.groupby(["customer_id", "basket_id"], sort=False)
        .agg(ts=("ts", "min"), items=("item", lambda s: tuple(sorted(set(s)))))
        .reset_index()
    )
    return grouped.sort_values(["customer_id", "ts", "basket_id"], ignore_index=True)


def _labels(ws: Workspace, table: str, item_sql: str, name_col: str | None) -> dict[str, str]:
    """Item -> its most common name (ties broken alphabetically), or the item itself."""
    if name_col is None:
        items = ws.query(
            f"SELECT DISTINCT {item_sql} AS item FROM {quote_ident(table)} WHERE {item_sql} IS NOT NULL"
        )
        return {i: i for i in items["item"]}
    name = f"trim(CAST({quote_ident(name_col)} AS VARCHAR))"
    found = ws.query(
        f"SELECT item, first(name ORDER BY n DESC, name) AS name FROM (SELECT {item_sql} AS item, {name} AS name, "
        f"count(*) AS n FROM {quote_ident(table)} WHERE {item_sql} IS NOT NULL GROUP BY 1, 2) GROUP BY item"
    )
    return {i: (n if isinstance(n, str) and n else i) for i, n in found.itertuples(index=False, name=None)}


def _country_column(ws: Workspace, table: str) -> str:
    for name, _ in ws.columns(table):
        if name.lower() in ("country", "country_name", "countryname", "market", "region"):
            return name
    raise ToolError(f"Table {table!r} has no country column, so it cannot be filtered by country.")


def _check_country(ws: Workspace, table: str, country: str) -> str:
    column = quote_ident(_country_column(ws, table))
    known = ws.query(
        f"SELECT DISTINCT CAST({column} AS VARCHAR) AS c FROM {quote_ident(table)} WHERE {column} IS NOT NULL"
    )["c"].tolist()
    if country.lower() in (k.lower() for k in known):
        return country
    hint = [n for n, _ in closest_many(country, known, limit=3)]
    suggestion = f" Did you mean {' or '.join(hint)}?" if hint else ""
    raise RetryableToolError(f"No country {country!r} in {table}.{suggestion}")


def _inline(sql: str, params: list) -> str:
    """The SQL with its parameters written in, for the record in ToolResult.sql."""
    for value in params:
        sql = sql.replace("?", "'" + str(value).replace("'", "''") + "'", 1)
    return sql
