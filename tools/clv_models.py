"""BG/NBD (purchases) and Gamma-Gamma (spend per purchase) models, fitted by maximum likelihood with scipy.

Our own implementation of the published formulas, kept small so it is easy to check:

- BG/NBD: Fader, Hardie and Lee (2005), "Counting your customers the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2); log-likelihood and conditional expectation from Fader and
  Hardie's note "Implementing the BG/NBD model for customer base analysis in Excel" (2005).
- Gamma-Gamma: Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for customer base
  analysis", JMR 42(4); Fader and Hardie, "The Gamma-Gamma model of monetary value" (2013).

The archived ``lifetimes`` package implements the same models; we do not depend on it (unmaintained since
2020), but the tests compare our fit with it where it is installed.

Inputs per customer, in one time unit (weeks here): ``x`` repeat purchases (purchase occasions after the
first), ``t_x`` time of the last purchase since the first, ``T`` time from the first purchase to the end
of the observation period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from tools.base import ToolError


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha); dropout probability ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")


def bgnbd_log_likelihood(params: tuple[float, float, float, float], x, t_x, T) -> np.ndarray:
    """Each customer's log-likelihood under BG/NBD (Fader, Hardie and Lee 2005, equation 6)."""
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    # The second term exists only for customers with repeat purchases (they may have dropped out after t_x).
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def fit_bgnbd(x, t_x, T) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters (optimised on the log scale so they stay positive)."""
    x, t_x, T = _check_rft(x, t_x, T)
    # Collapse identical (x, t_x, T) patterns: the same likelihood, fewer terms (many customers never return).
    patterns, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)

    def nll(log_params: np.ndarray) -> float:
        ll = bgnbd_log_likelihood(tuple(np.exp(log_params)), *patterns.T)
        return -float(np.sum(counts * ll))

    start = np.log([1.0, max(float(np.mean(T)), 1e-3), 1.0, 1.0])
    best = _minimise(nll, start)
    r, alpha, a, b = np.exp(best.x)
    return BgNbdParams(float(r), float(alpha), float(a), float(b), -float(best.fun))


def bgnbd_expected_purchases(params: BgNbdParams, t) -> np.ndarray:
    """E[X(t)]: expected purchases of a new customer in a period of length t (equation 7)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    hyp = special.hyp2f1(r, b, a + b - 1, z)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def bgnbd_conditional_purchases(params: BgNbdParams, t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units of a customer with that history
    (equation 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    t = np.asarray(t, dtype=float)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    return numerator / (1 + _dropout_odds(params, x, t_x, T))


def bgnbd_probability_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T); 1 for customers without repeat purchases (BG/NBD cannot drop them)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return 1.0 / (1.0 + _dropout_odds(params, x, t_x, T))


def _dropout_odds(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return np.where(x > 0, odds, 0.0)


def gamma_gamma_log_likelihood(params: tuple[float, float, float], x, m) -> np.ndarray:
    """Each customer's log-density of the mean spend ``m`` over ``x`` purchases (Fader and Hardie 2013)."""
    p, q, gamma = params
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


def fit_gamma_gamma(x, m) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from customers with x >= 1 purchases of mean value m > 0."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    if len(x) < 3 or np.any(x < 1) or np.any(m <= 0):
        raise ToolError("The spend model needs at least 3 customers with repeat purchases of positive value.")

    def nll(log_params: np.ndarray) -> float:
        return -float(np.sum(gamma_gamma_log_likelihood(tuple(np.exp(log_params)), x, m)))

    best = _minimise(nll, np.log([1.0, 1.0, max(float(np.mean(m)), 1e-3)]))
    p, q, gamma = np.exp(best.x)
    return GammaGammaParams(float(p), float(q), float(gamma), -float(best.fun))


def gamma_gamma_expected_spend(params: GammaGammaParams, x, m) -> np.ndarray:
    """E[spend per purchase | x, m]: a weighted mean of the population mean and the customer's own mean.

    A customer without repeat purchases (x = 0) gets the population mean p * gamma / (q - 1).
    """
    p, q, gamma = params.p, params.q, params.gamma
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    if q <= 1:
        raise ToolError("The fitted spend model has no finite mean (q <= 1); the spend data are too skewed.")
    return (gamma + m * x) * p / (p * x + q - 1)


def _check_rft(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if len(x) < 10:
        raise ToolError(f"The purchase model needs at least 10 customers; the data have {len(x)}.")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T + 1e-9):
        raise ToolError(
            "Purchase histories are inconsistent (negative counts or a last purchase after the end)."
        )
    if not np.any(x > 0):
        raise ToolError("No customer made a repeat purchase, so the purchase model cannot be fitted.")
    return x, t_x, T


def _minimise(nll, start: np.ndarray) -> optimize.OptimizeResult:
    """Nelder-Mead from the start, then a gradient polish: robust on these small, smooth problems."""
    coarse = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-9}
    )
    fine = optimize.minimize(nll, coarse.x, method="L-BFGS-B")
    best = fine if fine.fun <= coarse.fun else coarse
    if not np.isfinite(best.fun):
        raise ToolError("The model fit did not converge on these data.")
    return best
