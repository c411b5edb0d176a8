"""Statistics for treatment-vs-control comparisons: Welch t, two proportions, Wilson, sample-ratio checks.

Plain functions of group summaries (size, mean, variance), so the tool can aggregate in SQL and any table
size costs the same here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Group:
    """One group's summary: size, mean outcome and sample variance (for a rate, mean = share of 1s)."""

    name: str
    n: int
    mean: float
    var: float

    @property
    def successes(self) -> int:
        return round(self.mean * self.n)


@dataclass(frozen=True)
class Comparison:
    """Treatment minus control: the difference, its confidence interval and two-sided p-value."""

    diff: float
    low: float
    high: float
    p_value: float
    method: str


def welch(treat: Group, control: Group, level: float = 0.95) -> Comparison:
    """Difference of means with a Welch t interval and test (unequal variances); both groups need 2 rows."""
    if min(treat.n, control.n) < 2:
        raise ValueError(f"Welch's t needs at least 2 rows per group, got {treat.n} and {control.n}")
    diff = treat.mean - control.mean
    a, b = treat.var / treat.n, control.var / control.n
    se = math.sqrt(a + b)
    if se == 0:
        return Comparison(diff, diff, diff, 1.0 if diff == 0 else 0.0, "Welch t (no variance)")
    # Welch-Satterthwaite degrees of freedom.
    df = (a + b) ** 2 / (a**2 / (treat.n - 1) + b**2 / (control.n - 1))
    q = stats.t.ppf(0.5 + level / 2, df)
    p = 2 * stats.t.sf(abs(diff) / se, df)
    return Comparison(diff, diff - q * se, diff + q * se, float(p), "Welch t")


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (good at small counts and rates near 0 or 1)."""
    if n == 0:
        return (math.nan, math.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half, centre + half)


def two_proportions(treat: Group, control: Group, level: float = 0.95) -> Comparison:
    """Difference of rates: Newcombe's hybrid score interval (from two Wilson intervals) and the pooled
    two-proportion z test."""
    k1, k2 = treat.successes, control.successes
    p1, p2 = k1 / treat.n, k2 / control.n
    l1, u1 = wilson(k1, treat.n, level)
    l2, u2 = wilson(k2, control.n, level)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (k1 + k2) / (treat.n + control.n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / treat.n + 1 / control.n))
    p = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(diff) / se))
    return Comparison(diff, low, high, p, "two-proportion z test, Newcombe-Wilson interval")


def mean_interval(group: Group, binary: bool, level: float = 0.95) -> tuple[float, float]:
    """A group's own mean with its interval: Wilson for a rate, t for an amount."""
    if binary:
        return wilson(group.successes, group.n, level)
    if group.n < 2:
        return (math.nan, math.nan)
    half = stats.t.ppf(0.5 + level / 2, group.n - 1) * math.sqrt(group.var / group.n)
    return (group.mean - half, group.mean + half)


def sample_ratio_p(counts: list[int], expected_shares: list[float] | None = None) -> float:
    """Chi-square goodness-of-fit p-value of the group sizes against the planned split (equal if None)."""
    observed = np.asarray(counts, dtype=float)
    shares = np.full(len(counts), 1 / len(counts)) if expected_shares is None else np.asarray(expected_shares)
    expected = observed.sum() * shares / shares.sum()
    return float(stats.chisquare(observed, expected).pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (several treatments against one control)."""
    order = np.argsort(p_values)
    m = len(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted.tolist()
