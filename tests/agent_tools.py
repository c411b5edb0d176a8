"""Small real tools over the tiny `sales` table, for driving the agent loop in tests.

They run real DuckDB queries through the workspace, so the loop is tested end to end; their arguments
follow the state conventions (``table``, ``filters``) that the product's tools use.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.base import Table, Tool, ToolError, ToolResult, frame_facts
from tools.registry import ToolRegistry
from tools.sql import SqlQuery
from tools.workspace import quote_ident

GRAINS = {"month": "strftime(InvoiceDate, '%Y-%m')", "country": "Country"}


def _where(filters: dict[str, str] | None) -> tuple[str, list]:
    if not filters:
        return "", []
    parts = [f"{quote_ident(col)} = ?" for col in filters]
    return " WHERE " + " AND ".join(parts), list(filters.values())


class RevenueArgs(BaseModel):
    by: list[str] | None = Field(default=None, description="Group by: month or country.")
    filters: dict[str, str] | None = Field(default=None, description="Column -> value equality filters.")
    table: str = Field(default="sales", description="The sales table.")


class RevenueBy(Tool):
    """Net revenue, optionally grouped and filtered."""

    name = "revenue_by"
    description = "Net revenue of the sales table, optionally grouped by month or country and filtered."
    Args = RevenueArgs
    runs = 0

    def run(self, args: RevenueArgs) -> ToolResult:
        type(self).runs += 1
        unknown = [g for g in args.by or [] if g not in GRAINS]
        if unknown:
            raise ToolError(f"Cannot group by {unknown[0]}; use month or country.")
        keys = [f"{GRAINS[g]} AS {g}" for g in args.by or []]
        where, params = _where(args.filters)
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))} ORDER BY 1" if keys else ""
        sql = (
            f"SELECT {', '.join([*keys, 'round(sum(Quantity * UnitPrice), 2) AS revenue'])} "
            f"FROM {quote_ident(args.table)}{where}{group}"
        )
        df = self.ws.query(sql, params)
        if not keys and df["revenue"].isna().all():
            df = df.iloc[0:0]
        return ToolResult(
            text=df.to_string(index=False),
            tables=[Table("revenue", df)],
            facts=frame_facts(df, source=f"sql: {sql}"),
            sql=[sql],
        )


class CustomerArgs(BaseModel):
    filters: dict[str, str] | None = Field(default=None, description="Column -> value equality filters.")
    table: str = Field(default="sales", description="The sales table.")


class CountCustomers(Tool):
    """Distinct customers (stands in for a segmentation tool that inherits the active filters)."""

    name = "count_customers"
    description = "Count the distinct customers of the sales table, with optional filters."
    Args = CustomerArgs

    def run(self, args: CustomerArgs) -> ToolResult:
        where, params = _where(args.filters)
        sql = f"SELECT count(DISTINCT CustomerID) AS customers FROM {quote_ident(args.table)}{where}"
        df = self.ws.query(sql, params)
        return ToolResult(
            text=df.to_string(index=False),
            tables=[Table("customers", df)],
            facts=frame_facts(df, source=f"sql: {sql}"),
            sql=[sql],
        )


def make_registry(ws) -> ToolRegistry:
    registry = ToolRegistry()
    for tool_class in (SqlQuery, RevenueBy, CountCustomers):
        registry.register(tool_class(ws))
    return registry
