"""``forecast_sales``: a metric some periods ahead, with 80% and 95% intervals and the backtest that says
how far to trust it.

Three candidates, all from statsmodels or plain arithmetic, none fitted by hand:
- ETS (``ETSModel``, additive errors), its trend (none or damped additive) and season (none or additive)
  chosen by AICc on each fit's own history;
- ARIMA (``SARIMAX``): (1,1,1), or (1,0,1)(0,1,1) with a season of up to 12 periods;
- the seasonal naive (the last season repeated; the last value without a season): the floor.
A season (7 days a week, 52 weeks or 12 months a year) is modelled only when the history holds two.

Every candidate is scored on a rolling-origin backtest: up to three origins, each forecasting ``horizon``
periods from the history before it. MASE divides the errors by the in-sample mean absolute error of the
seasonal naive (below 1: better than repeating the last season); sMAPE is the symmetric percentage error.
The candidate with the lowest mean MASE forecasts, unless it does not beat the seasonal naive, which then
does. A horizon longer than a third of the history is refused: no fold could test it.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from tools import formats
from tools.arg_types import TableName, TopN
from tools.base import Fact, Table, Tool, ToolError, ToolResult
from tools.names import prose
from tools.periods import FUTURE_PERIOD, future_span, span_in
from tools.series import SEASON, Series, SeriesGrain, SeriesMetric, SeriesSet, metric_series

FOLDS = 3
MIN_HISTORY = 8  # periods of history below which no model is fitted
Z = {80: 1.2816, 95: 1.9600}  # normal quantiles of the two intervals
DEFAULT_HORIZON = {"day": 14, "week": 8, "month": 3}
NAIVE = "seasonal naive"
# A forecast is asked for in words ("forecast", "outlook", "predict revenue") or by a period after the data
# ("next 8 weeks"): only such a question can be this tool's (its cue). It claims one by code when a forecast
# word or a sales measure is stated; "expected purchases per customer next year" is lifetime value.
_FORECAST_WORDS = re.compile(
    r"\b(?:forecast\w*|projections?|projected|outlook)\b"
    r"|\b(?:predict|expect|anticipat)\w*\b.*\b(?:revenue|sales|orders|units|demand|turnover)\b",
    re.IGNORECASE,
)
_SALES_MEASURE = re.compile(r"\b(?:revenue|sales|sell|orders|units|turnover|demand)\b", re.IGNORECASE)
FUTURE = re.compile(f"{_FORECAST_WORDS.pattern}|{FUTURE_PERIOD.pattern}", re.IGNORECASE)
_GRAIN_WORDS = {
    grain: re.compile(rf"\b(?:{adverb}|(?:per|each|every|by)\s+{grain})\b", re.IGNORECASE)
    for grain, adverb in (("day", "daily"), ("week", "weekly"), ("month", "monthly"))
}


class ForecastArgs(BaseModel):
    metric: SeriesMetric = Field(
        "revenue", description="What to forecast: revenue, orders, units or customers."
    )
    grain: SeriesGrain = Field("week", description="Period of the forecast: day, week (default) or month.")
    horizon: int | None = Field(
        None, ge=1, le=366, description="How many periods ahead (default 14 days, 8 weeks or 3 months)."
    )
    by: str | None = Field(
        None, description="A dimension (country, product, ...) to forecast each of its top values apart."
    )
    top: TopN = Field(None, ge=1, le=10, description="How many values of `by` to forecast (default 5).")
    table: TableName = Field(None, description="Sales table; null for the workspace's current sales table.")


@dataclass
class Fit:
    """One candidate's forecast: the mean and its interval bounds per step ahead."""

    model: str  # the fitted form, e.g. ETS(A,Ad,A)
    mean: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]  # level -> (lower, upper)


@dataclass
class Score:
    model: str  # the family: ETS, ARIMA or the seasonal naive
    mase: float
    smape: float
    folds: int


class ForecastSales(Tool):
    name = "forecast_sales"
    description = (
        "Forecast revenue, orders, units or customers per day, week or month some periods ahead, overall "
        "or per country/product, with 80% and 95% intervals and a backtest against the seasonal naive."
    )
    Args = ForecastArgs
    cue = FUTURE

    def claims(self, reading) -> bool:
        question = prose(reading.question)
        return bool(
            _FORECAST_WORDS.search(question)
            or (FUTURE_PERIOD.search(question) and _SALES_MEASURE.search(question))
        )

    def refine_args(self, args: dict, reading, follow_up: bool = False) -> dict:
        """The grain and horizon the question states, read by code: "weekly ... for the next 2 months"
        is 9 weeks ahead (the model often leaves the horizon at its default)."""
        out = dict(args)
        stated = next((g for g, words in _GRAIN_WORDS.items() if words.search(reading.question)), None)
        span = future_span(reading.question)
        if stated:
            out["grain"] = stated
        if span:
            out["grain"] = out.get("grain") or (span[1] if span[1] in SEASON else "month")
            out["horizon"] = span_in(span, out["grain"])
        return out

    def run(self, args: ForecastArgs) -> ToolResult:
        horizon = args.horizon or DEFAULT_HORIZON[args.grain]
        history = metric_series(self.ws, args.metric, args.grain, args.table, args.by, args.top or 5)
        forecasts, scores, chosen = [], [], []
        for series in history.series:
            _check_horizon(series, horizon, history)
            season = _season(len(series.values), history.season, horizon)
            ranked = backtest(series.values.to_numpy(), horizon, season)
            best = choose(ranked)
            fit = candidates(series.values.to_numpy(), horizon, season)[best]
            forecasts.append(_forecast_frame(series, fit, horizon, args.grain))
            scores.append(_score_frame(series.label, ranked, best))
            chosen.append(best)
        forecast = pd.concat(forecasts, ignore_index=True)
        backtest_table = pd.concat(scores, ignore_index=True)
        if not args.by:
            forecast, backtest_table = forecast.drop(columns="series"), backtest_table.drop(columns="series")
        else:
            forecast = forecast.rename(columns={"series": args.by})
            backtest_table = backtest_table.rename(columns={"series": args.by})
        kind = history.format
        kinds = {c: kind for c in ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")}
        return ToolResult(
            text=_summary(history, forecast, backtest_table, horizon, args.by),
            tables=[
                Table("forecast", forecast, kinds | {"period": args.grain}, history.currency),
                Table("backtest", backtest_table, {"mase": "number", "smape": "ratio", "folds": "count"}),
            ],
            chart=_chart(history, forecast, args.by),
            facts=_facts(history, forecast, backtest_table, args.by),
            sql=history.sql,
            headline=_headline(history, forecast, backtest_table, horizon, args.by),
        )


# -- models ----------------------------------------------------------------------------------------------


def candidates(y: np.ndarray, horizon: int, season: int) -> dict[str, Fit]:
    """Each model's forecast of ``horizon`` periods after ``y``; a model that cannot fit is left out."""
    # Imported before the filter below: importing statsmodels adds an "always" filter for its warnings.
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401
    import statsmodels.tsa.statespace.sarimax  # noqa: F401

    fits = {NAIVE: seasonal_naive(y, horizon, season)}
    # Keyed by family: ETS's form is chosen anew on each history, so folds compare families.
    for family, make in (("ETS", _ets), ("ARIMA", _arima)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels warns on every hard optimisation; scores judge
            try:
                fit = make(y, horizon, season)
            except (ValueError, np.linalg.LinAlgError):
                continue
        if np.all(np.isfinite(fit.mean)):
            fits[family] = fit
    return fits


def seasonal_naive(y: np.ndarray, horizon: int, season: int) -> Fit:
    """The last season repeated; intervals from its in-sample errors, widening with each season ahead."""
    m = max(season, 1)
    steps = np.arange(horizon)
    mean = y[len(y) - m + steps % m]
    sigma = float(np.std(y[m:] - y[:-m], ddof=1)) if len(y) > m + 1 else 0.0
    width = sigma * np.sqrt(steps // m + 1)
    return Fit(NAIVE, mean, {lv: (mean - z * width, mean + z * width) for lv, z in Z.items()})


def _ets(y: np.ndarray, horizon: int, season: int) -> Fit:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    best, best_aicc, name = None, math.inf, ""
    for trend in (None, "add"):
        for seasonal in (None, "add") if season > 1 else (None,):
            model = ETSModel(
                pd.Series(y),  # numpy input breaks get_prediction (statsmodels 0.15)
                error="add",
                trend=trend,
                damped_trend=trend is not None,
                seasonal=seasonal,
                seasonal_periods=season if seasonal else None,
            )
            fit = model.fit(disp=False, maxiter=200)
            if np.isfinite(fit.aicc) and fit.aicc < best_aicc:
                best, best_aicc = fit, fit.aicc
                name = "ETS(A," + ("Ad" if trend else "N") + "," + ("A" if seasonal else "N") + ")"
    if best is None:
        raise ValueError("no ETS model fitted")
    frame = {
        lv: best.get_prediction(len(y), len(y) + horizon - 1).summary_frame(alpha=1 - lv / 100) for lv in Z
    }
    mean = frame[80]["mean"].to_numpy()
    return Fit(
        name, mean, {lv: (f["pi_lower"].to_numpy(), f["pi_upper"].to_numpy()) for lv, f in frame.items()}
    )


def _arima(y: np.ndarray, horizon: int, season: int) -> Fit:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    seasonal = 1 < season <= 12  # a 52-week season makes the state space too large to fit in seconds
    order, seasonal_order = ((1, 0, 1), (0, 1, 1, season)) if seasonal else ((1, 1, 1), (0, 0, 0, 0))
    fit = SARIMAX(y, order=order, seasonal_order=seasonal_order).fit(disp=False, maxiter=100)
    forecast = fit.get_forecast(horizon)
    bounds = {}
    for lv in Z:
        interval = np.asarray(forecast.conf_int(alpha=1 - lv / 100))
        bounds[lv] = (interval[:, 0], interval[:, 1])
    name = f"ARIMA{order}" + (
        f"({seasonal_order[0]},{seasonal_order[1]},{seasonal_order[2]})" if seasonal else ""
    )
    return Fit(name.replace(" ", ""), np.asarray(forecast.predicted_mean), bounds)


# -- backtest --------------------------------------------------------------------------------------------


def backtest(y: np.ndarray, horizon: int, season: int) -> list[Score]:
    """Rolling-origin scores per candidate, best first: origins n-h, n-2h, n-3h where history allows."""
    origins = [len(y) - horizon * k for k in range(1, FOLDS + 1)]
    origins = [o for o in origins if o >= _min_train(season)]
    errors: dict[str, list[tuple[float, float]]] = {}
    for origin in origins:
        train, test = y[:origin], y[origin : origin + horizon]
        scale = _naive_mae(train, season)
        for name, fit in candidates(train, horizon, season).items():
            errors.setdefault(name, []).append((_mase(test, fit.mean, scale), _smape(test, fit.mean)))
    scores = [
        Score(name, float(np.mean([e[0] for e in errs])), float(np.mean([e[1] for e in errs])), len(errs))
        for name, errs in errors.items()
        if len(errs) == len(origins)  # a model that failed on one fold is not comparable
    ]
    return sorted(scores, key=lambda s: (s.mase, s.model != NAIVE))


def choose(ranked: list[Score]) -> str:
    """The best-scoring model, if it beats the seasonal naive; else the seasonal naive."""
    naive = next(s for s in ranked if s.model == NAIVE)
    best = ranked[0]
    return best.model if best.mase < naive.mase else NAIVE


def _naive_mae(y: np.ndarray, season: int) -> float:
    m = max(season, 1)
    mae = float(np.mean(np.abs(y[m:] - y[:-m]))) if len(y) > m else 0.0
    return mae or float(np.mean(np.abs(y))) or 1.0  # a constant history: scale by its level


def _mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(actual - forecast)) / scale)


def _smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    denominator = np.abs(actual) + np.abs(forecast)
    terms = np.where(
        denominator == 0, 0.0, 2 * np.abs(actual - forecast) / np.where(denominator == 0, 1, denominator)
    )
    return float(np.mean(terms))


def _min_train(season: int) -> int:
    return max(MIN_HISTORY, 2 * season if season > 1 else 0)


def _season(n: int, season: int, horizon: int) -> int:
    """The season to model: the grain's, when the history before the earliest useful fold holds two."""
    return season if n - horizon >= 2 * season else 1


def longest_horizon(n: int, season: int) -> int:
    """The most periods ahead a history of ``n`` can backtest: at most a third of it, and the history
    before the forecast long enough to fit (two seasons where a season is modelled)."""
    fits = [h for h in range(1, n // 3 + 1) if n - h >= _min_train(_season(n, season, h))]
    return max(fits, default=0)


def _check_horizon(series: Series, horizon: int, history: SeriesSet) -> None:
    n, grain = len(series.values), history.grain
    longest = longest_horizon(n, history.season)
    if horizon <= longest:
        return
    of = f" of {series.label}" if series.label else ""
    finer = {"month": "week or day", "week": "day"}.get(grain)
    if longest:
        can = f"at most {longest} can be backtested; ask for {longest} or fewer"
        can += f", or a finer grain ({finer})" if finer else ""
    else:
        can = f"none can be backtested; try a finer grain ({finer})" if finer else "more history is needed"
    raise ToolError(
        f"The history{of} has {n} whole {grain}s of {history.metric}: too short to test a forecast of "
        f"{horizon} {grain}s ({can})."
    )


# -- presentation ----------------------------------------------------------------------------------------


def _forecast_frame(series: Series, fit: Fit, horizon: int, grain: str) -> pd.DataFrame:
    index = series.values.index
    step = pd.DateOffset(months=1) if grain == "month" else pd.Timedelta(days=7 if grain == "week" else 1)
    periods = [index[-1] + step * (i + 1) for i in range(horizon)]
    # Sums of sales are never negative: a bound below zero says "could be nothing", shown as zero.
    frame = pd.DataFrame({"series": series.label, "period": periods, "forecast": np.clip(fit.mean, 0, None)})
    for level, (lower, upper) in fit.bounds.items():
        frame[f"lower_{level}"] = np.clip(lower, 0, None)
        frame[f"upper_{level}"] = np.clip(upper, 0, None)
    frame["model"] = fit.model
    return frame.round({c: 2 for c in frame.columns if c.startswith(("forecast", "lower", "upper"))})


def _score_frame(label: str | None, ranked: list[Score], best: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": label,
            "model": [s.model for s in ranked],
            "mase": [round(s.mase, 3) for s in ranked],
            "smape": [round(s.smape, 4) for s in ranked],
            "folds": [s.folds for s in ranked],
            "chosen": [s.model == best for s in ranked],
        }
    )


def _label(value, grain: str) -> str:
    return formats.period(pd.Timestamp(value), grain)


def _summary(
    history: SeriesSet, forecast: pd.DataFrame, scores: pd.DataFrame, horizon: int, by: str | None
) -> str:
    grain, metric = history.grain, history.metric
    lines = [
        f"Forecast of {metric} per {grain} from {history.table}, {horizon} {grain}s after the last whole "
        f"{grain}{f', for the top {len(history.series)} values of {by}' if by else ''}. Model per series "
        f"chosen by a rolling-origin backtest (MASE: below 1 beats the seasonal naive's in-sample error); "
        "intervals at 80% and 95%."
    ]
    for series in history.series:
        part = _of(forecast, by, series.label)
        chosen, naive = _chosen_and_naive(_of(scores, by, series.label))
        name = f"{series.label}: " if by else ""
        total = _fmt(part["forecast"].sum(), history)
        lines.append(
            f"{name}{part['model'].iloc[0]} (backtest MASE {chosen['mase']:.2f}, sMAPE {chosen['smape']:.1%} over "
            f"{chosen['folds']} folds; seasonal naive MASE {naive['mase']:.2f}); history {len(series.values)} "
            f"{grain}s to {_label(series.values.index[-1], grain)}; total forecast {total}."
        )
        for row in part.head(6).itertuples():
            lines.append(
                f"  {_label(row.period, grain)}: {_fmt(row.forecast, history)} (80%: {_fmt(row.lower_80, history)}"
                f" to {_fmt(row.upper_80, history)}; 95%: {_fmt(row.lower_95, history)} to "
                f"{_fmt(row.upper_95, history)})"
            )
        if len(part) > 6:
            lines.append(f"  ... {len(part) - 6} more {grain}s in the table")
    lines += [f"Left out, a partial {grain}: {p}." for p in history.partial]
    return "\n".join(lines)


def _headline(
    history: SeriesSet, forecast: pd.DataFrame, scores: pd.DataFrame, horizon: int, by: str | None
) -> str:
    """The forecast in one or two sentences: the total, the first period with its 95% interval and the
    model with its backtest (or, per value of ``by``, each value's total)."""
    grain = history.grain
    span = f"{_label(forecast['period'].min(), grain)} to {_label(forecast['period'].max(), grain)}"
    lead = f"{history.metric.capitalize()} forecast for the next {horizon} {grain}s ({span})"
    if by:
        totals = forecast.groupby(by, sort=False)["forecast"].sum()
        return f"{lead}, by {by}: " + ", ".join(f"{k} {_fmt(v, history)}" for k, v in totals.items()) + "."
    first = forecast.iloc[0]
    chosen, naive = _chosen_and_naive(scores)
    model = (
        f"the seasonal naive (no model beat it in the backtest; MASE {naive['mase']:.2f})"
        if chosen["model"] == NAIVE
        else f"{first['model']}, backtest MASE {chosen['mase']:.2f} against {naive['mase']:.2f} for the "
        "seasonal naive"
    )
    return (
        f"{lead}: {_fmt(forecast['forecast'].sum(), history)} in total; "
        f"{_label(first['period'], grain)}: {_fmt(first['forecast'], history)} (95% interval "
        f"{_fmt(first['lower_95'], history)} to {_fmt(first['upper_95'], history)}). Model: {model}."
    )


def _of(frame: pd.DataFrame, by: str | None, label: str | None) -> pd.DataFrame:
    """The rows of one series in a forecast or backtest table (all of them without ``by``)."""
    return frame[frame[by] == label] if by else frame


def _chosen_and_naive(scores: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """One series' backtest rows of the model that forecasts and of the seasonal naive."""
    return scores[scores["chosen"]].iloc[0], scores[scores["model"] == NAIVE].iloc[0]


def _fmt(value: float, history: SeriesSet) -> str:
    return formats.number(float(value), history.format, history.currency)


def _facts(history: SeriesSet, forecast: pd.DataFrame, scores: pd.DataFrame, by: str | None) -> list[Fact]:
    source = f"forecast_sales {history.metric} per {history.grain} on {history.table}"
    unit = "currency" if history.format == "money" else "count"
    facts = []
    for series in history.series:
        prefix = f"{series.label}." if by else ""
        part = _of(forecast, by, series.label)
        chosen, naive = _chosen_and_naive(_of(scores, by, series.label))
        facts += [
            Fact(f"{prefix}forecast_total", round(float(part["forecast"].sum()), 2), source, unit),
            Fact(f"{prefix}model", str(part["model"].iloc[0]), source),
            Fact(f"{prefix}backtest_mase", float(chosen["mase"]), source),
            Fact(f"{prefix}backtest_smape", float(chosen["smape"]), source, "ratio"),
            Fact(f"{prefix}naive_mase", float(naive["mase"]), source),
        ]
        for row in part.itertuples():
            label = f"{prefix}{_label(row.period, history.grain)}"
            facts += [
                Fact(f"{label}.forecast", float(row.forecast), source, unit),
                Fact(f"{label}.lower_95", float(row.lower_95), source, unit),
                Fact(f"{label}.upper_95", float(row.upper_95), source, unit),
            ]
    return facts


def _chart(history: SeriesSet, forecast: pd.DataFrame, by: str | None):
    """History as a line, the forecast dashed, the 95% and 80% intervals as bands."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    fig = go.Figure()
    for i, series in enumerate(history.series):
        colour = qualitative.Plotly[i % len(qualitative.Plotly)]
        part = _of(forecast, by, series.label)
        name = series.label or history.metric
        x = list(part["period"])
        for level, opacity in ((95, 0.12), (80, 0.25)):
            fig.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=list(part[f"upper_{level}"]) + list(part[f"lower_{level}"])[::-1],
                    fill="toself",
                    fillcolor=colour,
                    opacity=opacity,
                    line={"width": 0},
                    name=f"{name} {level}% interval",
                    hoverinfo="skip",
                )
            )
        fig.add_trace(
            go.Scatter(x=list(series.values.index), y=list(series.values), name=name, line={"color": colour})
        )
        fig.add_trace(
            go.Scatter(
                x=x, y=list(part["forecast"]), name=f"{name} forecast", line={"color": colour, "dash": "dash"}
            )
        )
    return fig.update_layout(
        title=f"{history.metric} per {history.grain}: history and forecast", xaxis_title=history.grain
    )
