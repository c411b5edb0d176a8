"""Probabilistic CLV: the published CDNOW fit, parameter recovery on simulated data, the formulas by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SALES_COLUMNS
from tools import clv_models as m
from tools.base import ToolError
from tools.clv import CustomerLifetimeValue, probabilistic_clv, purchase_histories

# Fader, Hardie and Lee (2005): BG/NBD on the CDNOW sample, 39-week calibration from 1997-01-01, weeks.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4
# Fader, Hardie and Lee (2005), "RFM and CLV": Gamma-Gamma on the same calibration data.
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CALIBRATION_END = date(1997, 9, 30)


@pytest.fixture(scope="module")
def cdnow(demo_ws):
    return probabilistic_clv(
        demo_ws, "cdnow_sample", calibration_end=CALIBRATION_END, margin=0.3, annual_discount_rate=0.0
    )


@pytest.mark.slow
def test_cdnow_histories_follow_the_paper_conventions(demo_ws):
    df = purchase_histories(demo_ws, "cdnow_sample", CALIBRATION_END).frame
    assert len(df) == 2357
    assert int(df["x"].sum()) == 2457  # repeat purchase days in weeks 1-39 (first purchase not counted)
    assert df["T"].max() == pytest.approx(38.857, abs=1e-3)  # a 1997-01-01 buyer: 272 days
    assert (df["t_x"] <= df["T"]).all()


@pytest.mark.slow
def test_cdnow_reproduces_the_published_bgnbd_fit(cdnow):
    for name, published in PUBLISHED_BGNBD.items():
        assert cdnow.fact(f"bgnbd.{name}") == pytest.approx(published, abs=1e-3), name
    assert cdnow.fact("bgnbd.log_likelihood") == pytest.approx(PUBLISHED_LL, abs=0.1)


@pytest.mark.slow
def test_cdnow_reproduces_the_published_gamma_gamma_fit(cdnow):
    for name, published in PUBLISHED_GG.items():
        assert cdnow.fact(f"gamma_gamma.{name}") == pytest.approx(published, abs=0.01), name


@pytest.mark.slow
def test_log_likelihood_at_the_published_parameters(demo_ws):
    df = purchase_histories(demo_ws, "cdnow_sample", CALIBRATION_END).frame
    ll = m.bgnbd_log_likelihood(tuple(PUBLISHED_BGNBD.values()), df["x"], df["t_x"], df["T"]).sum()
    assert ll == pytest.approx(PUBLISHED_LL, abs=0.1)


@pytest.mark.slow
def test_clv_is_purchases_times_spend_times_margin_without_discount(cdnow):
    df = cdnow.tables[0].df
    expected = df["expected_purchases"] * df["expected_spend_per_purchase"] * 0.3
    assert np.allclose(df["clv"], expected)
    assert cdnow.fact("customers") == 2357
    assert df["clv"].is_monotonic_decreasing


@pytest.mark.slow
def test_holdout_forecast_is_reported(cdnow):
    assert cdnow.fact("holdout.weeks") == pytest.approx(39.0)
    assert cdnow.fact("holdout.actual_purchases") == 1882
    # The fitted model forecasts 1,653 repeat purchase days for weeks 40-78; CDNOW buyers came back more.
    assert cdnow.fact("holdout.forecast_purchases") == pytest.approx(1653.4, abs=1.0)
    inputs = cdnow.tables[2].df.set_index("input")
    assert inputs.loc["gross_margin", "source"] == "stated"
    assert inputs.loc["horizon_months", "source"] == "default"
    assert inputs.loc["purchase_histories", "source"].startswith("from data: WITH days AS")


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, T: float, seed: int = 3):
    """Customers from the BG/NBD story: Poisson purchases at rate lambda, dropout with chance p after each."""
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < p[i]:
                break
    return x, t_x, np.full(n, T)


def test_fit_recovers_simulated_parameters():
    x, t_x, T = simulate_bgnbd(4000, r=0.5, alpha=5.0, a=0.8, b=3.0, T=52.0)
    fit = m.fit_bgnbd(x, t_x, T)
    assert fit.r == pytest.approx(0.5, rel=0.15)
    assert fit.alpha == pytest.approx(5.0, rel=0.2)
    assert fit.a == pytest.approx(0.8, rel=0.35)
    assert fit.b == pytest.approx(3.0, rel=0.5)


def test_formulas_by_hand():
    params = m.BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
    # A tiny period: expected purchases ~ mean purchase rate r / alpha times t.
    assert m.bgnbd_expected_purchases(params, 1e-4) == pytest.approx(0.25 / 4.0 * 1e-4, rel=1e-3)
    # Without repeat purchases a customer cannot have dropped out yet.
    assert m.bgnbd_probability_alive(params, 0, 0, 30) == 1.0
    # P(alive) = 1 / (1 + a / (b + x - 1) x ((alpha + T) / (alpha + t_x))^(r + x)).
    odds = 0.8 / (2.5 + 3 - 1) * ((4 + 30) / (4 + 10)) ** (0.25 + 3)
    assert m.bgnbd_probability_alive(params, 3, 10, 30) == pytest.approx(1 / (1 + odds))
    gg = m.GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    assert m.gamma_gamma_expected_spend(gg, 2, 30.0) == pytest.approx((15 + 60) * 6 / (12 + 4 - 1))
    assert m.gamma_gamma_expected_spend(gg, 0, 1.0) == pytest.approx(6 * 15 / 3)  # population mean


def test_agrees_with_lifetimes_where_installed():
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, T = simulate_bgnbd(800, r=0.4, alpha=3.0, a=0.7, b=2.0, T=40.0, seed=11)
    ours = m.fit_bgnbd(x, t_x, T)
    theirs = lifetimes.BetaGeoFitter().fit(x, t_x, T).params_
    assert (ours.r, ours.alpha, ours.a, ours.b) == pytest.approx(tuple(theirs), rel=1e-3)
    bgf = lifetimes.BetaGeoFitter()
    bgf.params_ = pd.Series({"r": ours.r, "alpha": ours.alpha, "a": ours.a, "b": ours.b})
    expected = bgf.conditional_expected_number_of_purchases_up_to_time(26, x, t_x, T)
    assert np.allclose(m.bgnbd_conditional_purchases(ours, 26, x, t_x, T), expected, rtol=1e-6)


def test_runs_on_a_retail_shaped_table_with_cancellations(ws):
    rng = np.random.default_rng(5)
    rows = []
    for c in range(40):
        for k in range(int(rng.integers(1, 6))):
            day = pd.Timestamp("2011-01-01") + timedelta(days=int(rng.integers(0, 300)))
            rows.append((f"{c}{k}", "A", "MUG", int(rng.integers(1, 5)), day, 3.0, c, "UK"))
    rows.append(("C999", "A", "MUG", -50, pd.Timestamp("2011-06-01"), 3.0, 0, "UK"))  # a return-only day
    df = pd.DataFrame(rows, columns=SALES_COLUMNS)
    ws.save_table("shop", df, source="test")
    r = CustomerLifetimeValue(ws)(table="shop", horizon_months=6)
    assert r.fact("customers") == 40
    assert "revenue CLV (no margin given)" in r.text
    assert r.fact("horizon_months") == 6
    assert (r.tables[0].df["clv"] >= 0).all()
    # The return-only day is no purchase occasion: customer 0's repeat purchases count its buying days only.
    hist = purchase_histories(ws, "shop").frame.set_index("customer")
    buying_days = df[(df["CustomerID"] == 0) & (df["Quantity"] > 0)]["InvoiceDate"].dt.date.nunique()
    assert hist.loc["0", "x"] == buying_days - 1


def test_bad_clv_inputs(ws):
    with pytest.raises(ToolError, match="calibration end"):
        probabilistic_clv(ws, "sales", calibration_end=date(2020, 1, 1))
    with pytest.raises(ToolError, match="fraction from 0 to 1"):
        probabilistic_clv(ws, "sales", margin=30)
