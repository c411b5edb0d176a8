"""roi_calculator: every number against a hand calculation, every input with its source, clear refusals."""

from __future__ import annotations

import pytest

from tools.base import RetryableToolError, ToolError
from tools.registry import default_registry
from tools.roi import RoiCalculator


def inputs_of(result) -> dict[str, tuple[object, str]]:
    df = result.tables[1].df
    return {row.input: (row.value, row.source) for row in df.itertuples()}


def test_full_campaign_economics_match_hand_calculation(ws):
    r = RoiCalculator(ws)(
        spend=10_000,
        revenue=50_000,
        margin=0.4,
        order_value=80,
        new_customers=200,
        purchases_per_year=3,
        lifetime_years=2,
    )
    assert r.fact("roas") == pytest.approx(5.0)  # 50,000 / 10,000
    assert r.fact("gross_margin_earned") == pytest.approx(20_000)  # 50,000 x 0.4
    assert r.fact("profit") == pytest.approx(10_000)  # 20,000 - 10,000
    assert r.fact("roi") == pytest.approx(1.0)  # 10,000 / 10,000
    assert r.fact("break_even_revenue") == pytest.approx(25_000)  # 10,000 / 0.4
    assert r.fact("break_even_roas") == pytest.approx(2.5)
    assert r.fact("break_even_conversions") == 313  # 25,000 / 80 = 312.5, rounded up
    assert r.fact("cac") == pytest.approx(50.0)  # 10,000 / 200
    assert r.fact("payback_months") == pytest.approx(6.25)  # 50 / (80 x 3 / 12 x 0.4 = 8)
    assert r.fact("clv") == pytest.approx(192.0)  # 80 x 3 x 0.4 x 2
    assert r.fact("clv_to_cac") == pytest.approx(3.84)
    sources = inputs_of(r)
    assert sources["spend"] == (10_000, "stated")
    assert sources["monthly_margin_per_customer"][0] == pytest.approx(8.0)
    assert sources["monthly_margin_per_customer"][1].startswith("derived: order_value x purchases_per_year")
    formulas = dict(zip(r.table["metric"], r.table["formula"], strict=True))
    assert formulas["roi"] == "(revenue x margin - spend) / spend"
    assert r.chart is not None
    assert r.text.splitlines()[0].startswith("roi 1.0000 (100.0%)")


def test_baseline_revenue_makes_roi_incremental(ws):
    r = RoiCalculator(ws)(spend=5_000, revenue=50_000, baseline_revenue=30_000, margin=0.5)
    assert r.fact("incremental_revenue") == pytest.approx(20_000)
    assert r.fact("incremental_roas") == pytest.approx(4.0)
    assert r.fact("roi") == pytest.approx(1.0)  # (20,000 x 0.5 - 5,000) / 5,000
    assert "treated as incremental" not in r.text


def test_without_margin_it_is_revenue_roi_and_says_so(ws):
    r = RoiCalculator(ws)(spend=2_000, revenue=5_000)
    assert r.fact("revenue_roi") == pytest.approx(1.5)
    with pytest.raises(KeyError):
        r.fact("roi")
    notes = " ".join(r.tables[2].df["note"])
    assert "revenue ROI, not profit ROI" in notes and "treated as incremental" in notes


def test_missing_inputs_are_named_not_invented(ws):
    r = RoiCalculator(ws)(spend=1_000, new_customers=10, purchases_per_year=4)
    assert r.fact("cac") == pytest.approx(100.0)
    with pytest.raises(KeyError):
        r.fact("payback_months")
    assert "Payback needs the monthly gross margin" in r.text
    assert "Simple CLV needs lifetime_years, order_value" in r.text
    assert set(inputs_of(r)) == {"spend", "new_customers", "purchases_per_year"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spend": 0, "revenue": 10}, "spend: Input should be greater than 0"),
        ({"spend": -5, "revenue": 10}, "spend: Input should be greater than 0"),
        ({"spend": 10, "revenue": 10, "margin": 40}, "if 40 means 40%, write 0.4"),
        ({"spend": 10, "revenue": 10, "margin": 1.5}, "a margin is a fraction from 0 to 1"),
        ({"spend": 10, "new_customers": -3}, "new_customers: Input should be greater than or equal to 0"),
        ({"spend": 10, "revenue": -1}, "revenue: Input should be greater than or equal to 0"),
    ],
)
def test_invalid_inputs_get_one_clear_sentence(ws, kwargs, message):
    with pytest.raises(RetryableToolError, match=message):
        RoiCalculator(ws)(**kwargs)


def test_nothing_to_compute_asks_for_inputs(ws):
    with pytest.raises(ToolError, match="Nothing to calculate: give spend and revenue"):
        RoiCalculator(ws)(revenue=100)


def test_zero_new_customers_is_explained_not_divided(ws):
    r = RoiCalculator(ws)(spend=100, revenue=300, new_customers=0)
    assert "CAC is undefined" in r.text


def test_order_value_and_frequency_come_from_data_with_their_sql(ws):
    r = RoiCalculator(ws)(spend=100, new_customers=4, margin=0.5, lifetime_years=2, table="sales")
    # Tiny sales: 189.0 of non-cancelled revenue over 11 orders; 10 customer orders by 5 customers over the
    # 149 days from 2011-01-03 to 2011-06-01.
    order_value, purchases = 189.0 / 11, 10 / 5 / (149 / 365.25)
    sources = inputs_of(r)
    assert sources["order_value"][0] == pytest.approx(order_value)
    assert sources["order_value"][1].startswith("from data: SELECT")
    assert sources["purchases_per_year"][0] == pytest.approx(purchases)
    assert r.fact("clv") == pytest.approx(order_value * purchases * 0.5 * 2)
    assert r.fact("payback_months") == pytest.approx(25 / (order_value * purchases / 12 * 0.5))
    assert r.sql and 'FROM "sales"' in r.sql[0]


def test_stated_inputs_win_over_data(ws):
    r = RoiCalculator(ws)(order_value=50, purchases_per_year=2, lifetime_years=3, margin=0.5, table="sales")
    assert r.fact("clv") == pytest.approx(150.0)
    assert inputs_of(r)["order_value"] == (50, "stated")


def test_scenarios_are_ranked_by_roi(ws):
    r = RoiCalculator(ws)(
        margin=0.5,
        scenarios=[
            {"name": "Social", "spend": 2_000, "revenue": 7_000, "new_customers": 40},
            {"name": "Search", "spend": 1_000, "revenue": 5_000},
            {"name": "Display", "spend": 1_000, "revenue": 1_000, "margin": 0.3},
        ],
    )
    df = r.table
    assert df["scenario"].tolist() == ["Search", "Social", "Display"]
    assert df["roi"].tolist() == pytest.approx([1.5, 0.75, -0.7])  # (5,000 x .5 - 1,000)/1,000, ...
    assert r.fact("Social.cac") == pytest.approx(50.0)
    assert r.fact("Search.rank") == 1
    assert inputs_of(r)["Display.margin"] == (0.3, "stated")


def test_scenarios_refuse_mixed_margin_bases(ws):
    with pytest.raises(ToolError, match="Give a margin for B"):
        RoiCalculator(ws)(
            scenarios=[
                {"name": "A", "spend": 1, "revenue": 2, "margin": 0.4},
                {"name": "B", "spend": 1, "revenue": 3},
            ]
        )
    with pytest.raises(ToolError, match="at least two scenarios"):
        RoiCalculator(ws)(scenarios=[{"name": "A", "spend": 1, "revenue": 2}])


def test_probabilistic_clv_is_its_own_tool_and_needs_enough_customers(ws):
    from tools.clv import CustomerLifetimeValue

    with pytest.raises(ToolError, match="Nothing to calculate"):
        RoiCalculator(ws)(table="sales")  # a table alone is no ROI question any more
    with pytest.raises(ToolError, match="at least 10 customers"):
        CustomerLifetimeValue(ws)(table="sales")  # the tiny table has 5 customers
    assert "customer_lifetime_value" in default_registry(ws)


def test_registered_with_described_null_defaults(ws):
    registry = default_registry(ws)
    for name in ("roi_calculator", "campaign_uplift"):
        tool = registry.get(name)
        for field_name, field in tool.Args.model_fields.items():
            assert field.description, field_name
            if not field.is_required():
                assert field.default is None, f"{name}.{field_name} must default to null, not a made-up value"
