"""Column roles: which column of a table plays order id, customer id, timestamp, quantity, price, ...

The semantic layer and the mining tools work through roles, so they run on a user's own sales table, not
only on the demo. Detection uses name patterns, types and value checks; ``<home>/roles.yaml`` overrides::

    my_sales:
      customer_id: client_no
      cancelled: "status = 'cancelled'"   # an SQL condition marking cancelled lines
      currency: EUR                        # the currency of its amounts (read from them at load)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import yaml

from tools.base import ToolError
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from tools.workspace import Workspace

ROLE_NAMES = (
    "order_id",
    "customer_id",
    "timestamp",
    "quantity",
    "unit_price",
    "amount",
    "refunded",
    "product_id",
    "product_name",
    "category",
)

# Normalised column names (lower case, no separators) per role, most specific first.
_PATTERNS: dict[str, tuple[str, ...]] = {
    "order_id": (
        "invoiceno",
        "invoiceid",
        "invoice",
        "orderid",
        "orderno",
        "ordernumber",
        "order",
        "basketid",
        "transactionid",
        "receiptid",
        "receipt",
        "basket",
    ),
    "customer_id": (
        "customerid",
        "custid",
        "customer",
        "customerno",
        "clientid",
        "client",
        "userid",
        "householdid",
        "householdkey",
        "household",
        "memberid",
        "buyerid",
        "accountid",
        # an export without a customer number keys its customers by e-mail (Shopify, WooCommerce)
        "customeremail",
        "buyeremail",
        "email",
        "emailaddress",
    ),
    "timestamp": (
        "invoicedate",
        "orderdate",
        "transactiontimestamp",
        "transactiondate",
        "purchasedate",
        "timestamp",
        "datetime",
        "date",
        "createdat",
        "orderedat",
        "placedon",
        "placedat",
        "saledate",
        "time",
        "day",
    ),
    "quantity": (
        "quantity",
        "qty",
        "units",
        "unitssold",
        "quantityordered",
        "numberofitems",
        "items",
        "itemcount",
        "pieces",
    ),
    "unit_price": ("unitprice", "priceeach", "itemprice", "price", "unitcost"),
    "amount": (
        "salesvalue",
        "amount",
        "sales",
        "revenue",
        "linetotal",
        "ordertotal",
        "total",
        "totalprice",
        "spend",
        "value",
        "dollarvalue",
        "netsales",
    ),
    # the money a row's order got back (an order-level export's "Refunded" beside its "Order Total")
    "refunded": (
        "refunded",
        "refundedamount",
        "amountrefunded",
        "refundamount",
        "totalrefunded",
        "refundtotal",
        "refunds",
        "refund",
    ),
    "product_id": (
        "stockcode",
        "productid",
        "sku",
        "itemid",
        "productcode",
        "itemcode",
        "productno",
        "itemno",
        "articleno",
        "articlenumber",
        "articleid",
        "articlecode",
        "upc",
        "ean",
        "gtin",
        "asin",
    ),
    "product_name": (
        "description",
        "productname",
        "itemname",
        "articlename",
        "productdescription",
        "product",
        "item",
        "article",
        "title",
        "name",
    ),
    "category": (
        "category",
        "productcategory",
        "department",
        "classname",
        "class",
        "division",
        "subcategory",
        "productgroup",
        "commodity",
        "commoditydesc",
        "brand",
    ),
}
_NUMERIC_ROLES = {"quantity", "unit_price", "amount", "refunded"}
NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
    "UBIGINT",
    "UINTEGER",
    "USMALLINT",
    "UTINYINT",
)


@dataclass
class Roles:
    """The role -> column mapping of one table, the SQL condition for a cancelled line, and the currency
    of its amounts (an ISO code such as GBP; None when unknown)."""

    table: str
    columns: dict[str, str | None] = field(default_factory=dict)
    cancelled: str = "FALSE"
    currency: str | None = None
    # When a status column marks whole orders that did not stand: that column and its cancelling values
    # (lower case). Such lines are positive, so every sum must leave them out (unlike 'C' invoices,
    # whose negative lines net out).
    cancel_status: tuple[str, tuple[str, ...]] | None = None

    def __getitem__(self, role: str) -> str | None:
        return self.columns.get(role)

    def is_sales(self) -> bool:
        """Sales lines: a time and a value (an amount, or a quantity and a unit price)."""
        c = self.columns
        return bool(c.get("timestamp") and (c.get("amount") or (c.get("quantity") and c.get("unit_price"))))

    def require(self, *roles: str, purpose: str) -> dict[str, str]:
        """The columns for ``roles``, or a ToolError saying which are missing and how to name them."""
        missing = [r for r in roles if not self.columns.get(r)]
        if missing:
            raise ToolError(
                f"Table {self.table!r} has no column for {', '.join(r.replace('_', ' ') for r in missing)}, "
                f"needed for {purpose}. Name it in roles.yaml in the martmind home "
                f"(e.g. {self.table}: {{{missing[0]}: your_column}})."
            )
        return {r: self.columns[r] for r in roles}  # type: ignore[misc]


_SETTINGS = ("cancelled", "currency")  # roles.yaml keys that are not a role's column


def normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def detect_roles(ws: Workspace, table: str) -> Roles:
    """Detect the roles of ``table``'s columns, then apply the overrides in ``roles.yaml``."""
    columns = ws.columns(table)
    chosen: dict[str, str | None] = dict.fromkeys(ROLE_NAMES)
    used: set[str] = set()
    # Names that are a role's own word first, for every role; a name containing one after: "Product
    # Group" is the category's own name before it is a longer name holding the product's.
    numbered = _numbers_as_text(ws, table, columns)
    for exact in (True, False):
        for role in ROLE_NAMES:
            if chosen[role] is None:
                # a text column of numbers ("#1001") names no product or category, whatever its header
                skip = used | (set(numbered) if role in ("product_name", "category") else set())
                chosen[role] = _best_column(role, columns, skip, exact)
                if chosen[role]:
                    used.add(chosen[role])  # type: ignore[arg-type]
    if chosen["order_id"] is None:  # "#1001" in a column called Name: Shopify's order number
        chosen["order_id"] = next((c for c, hashed in numbered.items() if hashed and c not in used), None)
    if chosen["timestamp"] is None:  # "Placed On", "Booked": a date by its type, whatever its header
        chosen["timestamp"] = next(
            (c for c, t in columns if c not in used and _type_fits("timestamp", t)), None
        )
    overrides = load_overrides(ws).get(table, {})
    unknown = set(overrides) - set(ROLE_NAMES) - set(_SETTINGS)
    if unknown:
        raise ToolError(f"roles.yaml names unknown roles for {table}: {', '.join(sorted(unknown))}.")
    names = {c for c, _ in columns}
    for role, column in overrides.items():
        if role in _SETTINGS:
            continue
        if column is not None and column not in names:
            raise ToolError(f"roles.yaml maps {role} of {table} to {column!r}, which is not a column.")
        chosen[role] = column
    roles = Roles(table=table, columns=chosen)
    if own := overrides.get("cancelled"):
        roles.cancelled = str(own)
    else:
        roles.cancelled, roles.cancel_status = _cancelled_condition(ws, table, roles)
    currency = overrides.get("currency") or ws.table_info(table).get("currency")
    roles.currency = str(currency).strip().upper() if isinstance(currency, str) and currency.strip() else None
    return roles


def load_overrides(ws: Workspace) -> dict[str, dict[str, str | None]]:
    path = ws.home / "roles.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ToolError(f"roles.yaml is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ToolError("roles.yaml must map table names to {role: column}.")
    return data


def _numbers_as_text(ws: Workspace, table: str, columns: list[tuple[str, str]]) -> dict[str, bool]:
    """Text columns whose values are all numbers, each with whether they are written ``#1001``."""
    text = [c for c, t in columns if t.upper().startswith("VARCHAR")]
    if not text:
        return {}
    parts = ", ".join(
        f"coalesce(bool_and(regexp_full_match(trim({quote_ident(c)}), '#?[0-9][0-9-]*')), FALSE) AS n{i}, "
        f"coalesce(bool_and(starts_with(trim({quote_ident(c)}), '#')), FALSE) AS h{i}"
        for i, c in enumerate(text)
    )
    row = ws.query(f"SELECT {parts} FROM (SELECT * FROM {quote_ident(table)} LIMIT 10000)").iloc[0]
    return {c: bool(row[f"h{i}"]) for i, c in enumerate(text) if bool(row[f"n{i}"])}


# Patterns that are a role's name only on their own: a "Business Name" or "Customer Name" names no product.
_ALONE = {"name"}


def _best_column(role: str, columns: list[tuple[str, str]], used: set[str], exact: bool) -> str | None:
    """The column whose name is the role's earliest pattern (``exact``), else contains one (a short
    pattern only as a word of the name: "Lineitem sku", not "skull")."""
    patterns = _PATTERNS[role]
    best: tuple[int, str] | None = None
    for name, dtype in columns:
        if name in used or not _type_fits(role, dtype):
            continue
        norm = normalise(name)
        words = set(re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()))
        for rank, pattern in enumerate(patterns):
            contains = (
                not exact
                and pattern not in _ALONE
                and (pattern in norm and len(pattern) > 3 or pattern in words)
            )
            score = rank if norm == pattern else (100 + rank if contains else None)
            if score is not None and (best is None or score < best[0]):
                best = (score, name)
    return best[1] if best else None


def _type_fits(role: str, dtype: str) -> bool:
    dtype = dtype.upper()
    if role in _NUMERIC_ROLES:
        return dtype.startswith(NUMERIC_TYPES)
    if role == "timestamp":
        return dtype.startswith(("DATE", "TIMESTAMP"))
    if role in ("product_name", "category"):
        return dtype.startswith("VARCHAR")
    return True


# Values of a status column that mark an order that did not stand (exports write the status per line).
CANCELLED_STATUSES = ("cancelled", "canceled", "refunded", "returned", "voided", "void", "rejected")


def _cancelled_condition(
    ws: Workspace, table: str, roles: Roles
) -> tuple[str, tuple[str, tuple[str, ...]] | None]:
    """Cancelled lines: order ids like 'C536379' beside plain numbers (Online Retail), else a status column
    saying Cancelled / Refunded / Returned ... (returned with the column and its values), else negative
    quantity."""
    from tools.workspace import quote_ident

    order, quantity = roles["order_id"], roles["quantity"]
    if order:
        o = quote_ident(order)
        counts = ws.query(
            f"SELECT count(*) FILTER (WHERE regexp_matches(CAST({o} AS VARCHAR), '^C[0-9]')) AS c, "
            f"count(*) FILTER (WHERE regexp_matches(CAST({o} AS VARCHAR), '^[0-9]')) AS n FROM {quote_ident(table)}"
        ).iloc[0]
        if counts["c"] > 0 and counts["n"] > 0:
            return f"starts_with(CAST({o} AS VARCHAR), 'C')", None
    status = _cancel_status(ws, table)
    if status:
        return status_condition(quote_ident(status[0]), status[1]), status
    if quantity:
        return f"{quote_ident(quantity)} < 0", None
    return "FALSE", None


def status_condition(column_sql: str, values: tuple[str, ...]) -> str:
    """``lower(trim(status)) IN ('refunded', ...)`` for a quoted (or qualified) status column."""
    return f"lower(trim({column_sql})) IN ({', '.join(repr(v) for v in values)})"


def _cancel_status(ws: Workspace, table: str) -> tuple[str, tuple[str, ...]] | None:
    """The status column holding cancelling values (Cancelled, Refunded, ...) and those values, else None."""
    from tools.workspace import quote_ident

    for column, dtype in ws.columns(table):
        if "status" not in normalise(column) and normalise(column) not in ("state", "orderstate"):
            continue
        if not dtype.upper().startswith("VARCHAR"):
            continue
        c = f"lower(trim({quote_ident(column)}))"
        found = ws.query(
            f"SELECT DISTINCT {c} AS v FROM {quote_ident(table)} WHERE {c} IN "
            f"({', '.join(repr(v) for v in CANCELLED_STATUSES)}) ORDER BY v"
        )["v"].tolist()
        if found:
            return column, tuple(found)
    return None
