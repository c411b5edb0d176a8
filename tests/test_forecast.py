"""forecast_sales: the floor model's arithmetic, the backtest's choice, intervals, refusals, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SALES_COLUMNS
from tools.base import ToolError
from tools.forecast import NAIVE, ForecastSales, Score, backtest, choose, seasonal_naive
from ui.cli import main

WEEKDAY = np.array([1.0, 1.2, 1.1, 1.3, 1.6, 0.5, 0.3])  # Monday .. Sunday


def daily_sales(days: int = 280, countries: tuple[str, ...] = ("France",), seed: int = 0) -> pd.DataFrame:
    """One line per day and country: revenue 100 x a weekday pattern x 5% noise, slowly growing."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2011-01-03", periods=days, freq="D")  # a Monday
    rows = []
    for c, country in enumerate(countries):
        level = 100.0 * (c + 1)
        for i, d in enumerate(dates):
            value = level * WEEKDAY[d.weekday()] * (1 + 0.001 * i) * rng.normal(1, 0.05)
            rows.append(
                (
                    f"{c}{i:05d}",
                    "A",
                    "RED MUG",
                    1,
                    d + pd.Timedelta(hours=10),
                    round(value, 2),
                    i % 40,
                    country,
                )
            )
    return pd.DataFrame(rows, columns=SALES_COLUMNS)


@pytest.mark.parametrize(
    ("question", "claimed"),
    [
        ("forecast revenue per week", True),
        ("how many units will we sell over the next two weeks", True),
        ("predict the number of orders in December", True),
        ("revenue by month in 2011", False),
        ("expected purchases per customer over the next 6 months", False),  # lifetime value
        ("what do customers buy next", False),
    ],
)
def test_forecast_questions_are_claimed_by_code_and_taken_from_the_metric_layer(demo_ws, question, claimed):
    from types import SimpleNamespace

    from tools.metrics import MetricQuery

    reading = SimpleNamespace(question=question, one_figure=question.startswith("how many"))
    assert ForecastSales(demo_ws).claims(reading) is claimed
    if "next" in question:
        assert not MetricQuery(demo_ws).claims(reading)  # no metric of a period after the data


def test_seasonal_naive_repeats_the_last_season_and_widens_per_season():
    y = np.array([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])
    fit = seasonal_naive(y, 5, 3)
    assert fit.mean.tolist() == [1.5, 2.5, 3.5, 1.5, 2.5]
    sigma = np.std(y[3:] - y[:3], ddof=1)
    assert sigma == 0  # a season repeated exactly: no width
    noisy = seasonal_naive(np.array([1.0, 2.0, 4.0, 3.0, 5.0]), 3, 1)
    lower, upper = noisy.bounds[95]
    width = (upper - lower) / 2
    assert noisy.mean.tolist() == [5.0, 5.0, 5.0]
    assert width[1] / width[0] == pytest.approx(np.sqrt(2))  # a random walk's interval grows with sqrt(h)


def test_the_floor_wins_unless_a_model_beats_it():
    naive = Score(NAIVE, 1.0, 0.1, 3)
    assert choose([Score("ETS(A,N,A)", 0.8, 0.08, 3), naive]) == "ETS(A,N,A)"
    assert choose([naive, Score("ARIMA(1,1,1)", 1.2, 0.12, 3)]) == NAIVE


def test_a_weekly_pattern_is_learned_and_scored_against_the_naive():
    y = daily_sales()["UnitPrice"].to_numpy()
    ranked = backtest(y, 14, 7)
    names = [s.model for s in ranked]
    assert sorted(names) == ["ARIMA", "ETS", NAIVE]
    assert all(s.folds == 3 for s in ranked)
    assert ranked[0].mase < next(s.mase for s in ranked if s.model == NAIVE)  # trend + season beat repeating


def test_forecast_follows_the_pattern_with_ordered_intervals(ws):
    ws.save_table("daily", daily_sales(), source="test")
    result = ForecastSales(ws)(metric="revenue", grain="day", horizon=14, table="daily")
    forecast = result.tables[0].df
    assert len(forecast) == 14 and forecast["period"].iloc[0] == pd.Timestamp("2011-10-10")
    expected = 100 * WEEKDAY[[d.weekday() for d in forecast["period"]]] * (1 + 0.001 * np.arange(280, 294))
    assert np.abs(forecast["forecast"] / expected - 1).max() < 0.12
    cols = ["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]
    assert (forecast[cols].diff(axis=1).iloc[:, 1:] >= 0).all().all()
    backtest_table = result.tables[1].df
    assert backtest_table["chosen"].sum() == 1 and NAIVE in set(backtest_table["model"])
    family = backtest_table.loc[backtest_table["chosen"], "model"].iloc[0]
    assert str(result.fact("model")).startswith(family)  # ETS -> ETS(A,Ad,A), the form fitted last
    assert result.fact("forecast_total") == pytest.approx(forecast["forecast"].sum(), abs=0.1)
    assert "2011-10-10.forecast" in {f.name for f in result.facts}
    assert result.chart is not None and "seasonal naive MASE" in result.text
    total = f"{forecast['forecast'].sum():,.2f}"
    assert result.headline.startswith(
        f"Revenue forecast for the next 14 days (2011-10-10 to 2011-10-23): {total}"
    )


def test_each_value_of_a_dimension_is_forecast_apart(ws):
    ws.save_table("daily", daily_sales(countries=("France", "Germany")), source="test")
    result = ForecastSales(ws)(metric="revenue", grain="week", horizon=4, by="country", table="daily")
    forecast = result.tables[0].df
    assert list(forecast["country"].unique()) == ["Germany", "France"]  # the larger first
    germany = forecast.loc[forecast["country"] == "Germany", "forecast"].mean()
    france = forecast.loc[forecast["country"] == "France", "forecast"].mean()
    assert germany / france == pytest.approx(2.0, rel=0.15)
    assert {"Germany.forecast_total", "France.backtest_mase"} <= {f.name for f in result.facts}


def test_a_horizon_the_history_cannot_test_is_refused(ws):
    with pytest.raises(ToolError, match=r"4 whole months of revenue: too short .* \(none can be backtested"):
        ForecastSales(ws)(metric="revenue", grain="month", horizon=3, table="sales")
    ws.save_table("daily", daily_sales(days=60), source="test")
    with pytest.raises(ToolError, match=r"at most \d+ can be backtested"):
        ForecastSales(ws)(metric="orders", grain="day", horizon=30, table="daily")


def test_demo_weeks_leave_out_the_partial_last_week(demo_ws):
    result = ForecastSales(demo_ws)(metric="revenue", grain="week", horizon=4)
    forecast = result.tables[0].df
    assert forecast["period"].iloc[0] == pd.Timestamp("2011-12-05")  # the week the data ends inside
    assert "Left out, a partial week: 2011-12-05" in result.text
    assert result.tables[0].currency == "GBP"
    assert "Model: the seasonal naive (no model beat it in the backtest" in result.headline


def test_cli_forecast_json(demo_ws, capsys):
    code = main(
        ["--home", str(demo_ws.home), "forecast", "orders", "--grain", "month", "--horizon", "2", "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [t["name"] for t in out["tables"]] == ["forecast", "backtest"]
    assert len(out["tables"][0]["rows"]) == 2
    code = main(["--home", str(demo_ws.home), "forecast", "--grain", "month", "--horizon", "9", "--json"])
    assert code == 1 and "backtested" in json.loads(capsys.readouterr().out)["error"]


@pytest.mark.parametrize(
    ("question", "grain", "horizon"),
    [
        ("Forecast weekly revenue for the next 4 weeks", "week", 4),
        ("what revenue should we expect per week over the next two months", "week", 9),
        ("orders in the coming quarter", "month", 3),
        ("daily orders for the next month", "day", 30),
        ("forecast revenue", None, None),  # nothing stated: the model's (or the tool's default) stands
    ],
)
def test_the_grain_and_horizon_the_question_states_are_read_by_code(demo_ws, question, grain, horizon):
    from types import SimpleNamespace

    args = ForecastSales(demo_ws).refine_args({"metric": "revenue"}, SimpleNamespace(question=question))
    assert (args.get("grain"), args.get("horizon")) == (grain, horizon)


def test_a_time_word_is_no_evidence_for_a_table_with_a_week_column(demo_ws):
    from agent.question import read_question
    from agent.state import ConversationState

    reading = read_question(demo_ws, "Forecast weekly revenue for the next 4 weeks", ConversationState(), [])
    assert reading.table == "online_retail"  # cj_transactions has a column named week


def test_a_table_name_two_tables_share_picks_the_fuller_one_not_the_current_table(demo_ws):
    from agent.question import read_question
    from agent.state import ConversationState

    question = "What is the customer lifetime value for the cdnow customers?"
    reading = read_question(demo_ws, question, ConversationState(), [])
    assert reading.table == "cdnow_transactions"  # not online_retail, which the question never names
