"""Plain questions answered right by the default model: the period the question states, the table it is
about, and follow-ups that keep the thread (agent/question.py, agent/tables.py, agent/followup.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.realmodel, pytest.mark.ci]

SHOP = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "shop_orders.csv"
NET_REVENUE = "sum(Quantity * UnitPrice)"


@pytest.fixture(scope="module")
def assistant(demo_ws):
    from agent.assistant import Assistant, default_model_spec

    return Assistant(model=default_model_spec(), workspace=demo_ws)


def first_value(answer, column: str):
    df = answer.tables[0].df
    return float(df[column].iloc[0])


def gold(ws, sql: str) -> float:
    return float(ws.query(sql).iloc[0, 0])


def test_a_year_total_is_the_year_s(assistant, demo_ws):
    assistant.new_conversation()
    answer = assistant.ask("What was the revenue in 2011?")
    assert answer.error is None, answer.error
    expected = gold(demo_ws, f"SELECT {NET_REVENUE} FROM online_retail WHERE year(InvoiceDate) = 2011")
    assert first_value(answer, "revenue") == pytest.approx(expected, rel=1e-6)


def test_a_month_total_is_the_month_s(assistant, demo_ws):
    assistant.new_conversation()
    answer = assistant.ask("How many units did we sell in December 2010?")
    assert answer.error is None, answer.error
    expected = gold(
        demo_ws,
        "SELECT sum(Quantity) FROM online_retail WHERE InvoiceDate >= DATE '2010-12-01' "
        "AND InvoiceDate < DATE '2011-01-01'",
    )
    assert first_value(answer, "units") == pytest.approx(expected)


def test_a_count_of_cancelled_orders(assistant, demo_ws):
    assistant.new_conversation()
    answer = assistant.ask("How many orders were cancelled?")
    assert answer.error is None, answer.error
    expected = gold(demo_ws, "SELECT count(DISTINCT InvoiceNo) FROM online_retail WHERE InvoiceNo LIKE 'C%'")
    values = answer.tables[0].df.select_dtypes("number").iloc[0].tolist()
    assert expected in values, answer.tables[0].df


def test_sql_over_a_stated_month_covers_the_month(assistant, demo_ws):
    assistant.new_conversation()
    answer = assistant.ask("Using SQL, how many rows of cdnow_transactions are dated in March 1997?")
    assert answer.error is None, answer.error
    assert answer.tool_calls[-1]["name"] == "sql_query"
    columns = dict(demo_ws.columns("cdnow_transactions"))
    date = next(c for c, kind in columns.items() if kind.upper().startswith(("DATE", "TIMESTAMP")))
    expected = gold(
        demo_ws,
        f"SELECT count(*) FROM cdnow_transactions WHERE \"{date}\" >= DATE '1997-03-01' "
        f"AND \"{date}\" < DATE '1997-04-01'",
    )
    assert first_value(answer, answer.tables[0].df.columns[0]) == expected


def test_a_question_about_a_freshly_loaded_table(tmp_path):
    from agent.assistant import Assistant, default_model_spec
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "own", demo=False)
    ws.load_file(SHOP)
    assistant = Assistant(model=default_model_spec(), workspace=ws)
    answer = assistant.ask("How much did we sell in 2023?")
    assert answer.error is None, answer.error
    expected = gold(
        ws,
        "SELECT sum(Qty * unit_price) FROM shop_orders WHERE year(order_date) = 2023 "
        "AND lower(order_status) NOT IN ('cancelled', 'refunded')",
    )
    assert first_value(answer, "revenue") == pytest.approx(expected, rel=1e-6)


def test_a_three_turn_follow_up_conversation(assistant, demo_ws):
    assistant.new_conversation()
    first = assistant.ask("Revenue by country, top 5")
    assert first.error is None and len(first.tables[0].df) == 5
    second = assistant.ask("Now the same for 2011")
    args = second.tool_calls[-1]["args"]
    assert second.error is None and args.get("date_range") == "2011" and args.get("top") == 5
    third = assistant.ask("And Germany by month")
    assert third.error is None, third.error
    df = third.tables[0].df
    expected = gold(
        demo_ws,
        f"SELECT {NET_REVENUE} FROM online_retail WHERE Country = 'Germany' AND year(InvoiceDate) = 2011",
    )
    assert len(df) == 12 and df["revenue"].sum() == pytest.approx(expected, rel=1e-6)


# "VIP" is this shop's own word (10 or more orders): no model can know it until a person teaches it.
VIP_QUESTION = "How much revenue came from our VIP customers?"
VIP_SQL = (
    "SELECT sum(Quantity * UnitPrice) AS vip_revenue FROM online_retail WHERE CustomerID IN "
    "(SELECT CustomerID FROM online_retail GROUP BY CustomerID HAVING count(DISTINCT InvoiceNo) >= 10)"
)


def test_a_question_answered_wrong_then_taught_once_is_right_the_next_time(tmp_path):
    from agent.assistant import Assistant, default_model_spec
    from tools.workspace import Workspace

    ws = Workspace(tmp_path / "teach")  # its own home: what is taught here stays here
    assistant = Assistant(model=default_model_spec(), workspace=ws)
    expected = gold(ws, VIP_SQL)

    def answered_right(answer) -> bool:
        if answer.error or not answer.tables:
            return False
        values = answer.tables[0].df.select_dtypes("number").iloc[0].tolist()
        return any(v == pytest.approx(expected, rel=1e-6) for v in values)

    assert not answered_right(assistant.ask(VIP_QUESTION))
    assistant.learn(VIP_QUESTION, sql=VIP_SQL)
    assistant.new_conversation()
    assert answered_right(assistant.ask(VIP_QUESTION))
