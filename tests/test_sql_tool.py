from __future__ import annotations

import pytest

from tools.base import RetryableToolError
from tools.sql import SqlQuery


def test_select_returns_table_facts_and_sql(ws):
    result = SqlQuery(ws)(
        sql="SELECT Country, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1 ORDER BY 2 DESC"
    )
    assert result.table["Country"].tolist() == ["United Kingdom", "Germany", "France"]
    # hand-computed: 4*3 + 2*2.5 + 6*3 + 6*4 - 2*3 (the cancellation nets out)
    assert result.fact("Germany.revenue") == pytest.approx(53.0)
    assert result.fact("United Kingdom.revenue") == pytest.approx(81.0)
    assert result.sql == [
        "SELECT Country, sum(Quantity * UnitPrice) AS revenue FROM sales GROUP BY 1 ORDER BY 2 DESC"
    ]


def test_unknown_column_is_retryable_and_names_the_real_one(ws):
    with pytest.raises(RetryableToolError, match="Did you mean CustomerID"):
        SqlQuery(ws)(sql="SELECT customer_idd FROM sales")
