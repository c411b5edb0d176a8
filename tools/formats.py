"""How figures and periods are written for people: one formatter for the chat's table, the command line,
reports, the headline and the fallback answer.

Only what is shown is formatted: the data keeps its exact values (the CSV download, ``--json`` and the
facts a write-up quotes). A column's *kind* says how it is written:

- ``count``: an integer with thousands separators (``4,339``)
- ``money``: two decimals after the table's currency symbol (``£8,998,790.91``; no symbol when unknown)
- ``ratio``: a fraction shown as a percentage (``12.34%``; the headline adds the fraction)
- ``percent``: a value already in percent (``12.34%``)
- ``number``: two decimals, or four significant digits below 1
- a time grain (``year``, ``quarter``, ``month``, ``week``, ``day``, ``time``): ``2011``, ``2011-Q3``,
  ``2011-01``, ``2011-W14``, ``2011-01-31``, ``2011-01-31 08:26``
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "CNY": "¥", "JPY": "¥", "INR": "₹"}
# A symbol in the amounts names one currency; ¥ is read as yuan (roles.yaml says JPY where it is yen).
_SYMBOL_CURRENCY = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "CNY", "₹": "INR"}
_CODE_IN_NAME = re.compile(r"(?i)(?:^|[^a-z])(gbp|usd|eur|cny|rmb|jpy|inr)(?:$|[^a-z])")
SYMBOLS = "".join(_SYMBOL_CURRENCY)
SYMBOL = re.compile(f"[{SYMBOLS}]")  # one currency symbol, in amounts or in a column's name

GRAINS = ("year", "quarter", "month", "week", "day", "time")
UNIT_KINDS = {"currency": "money", "count": "count", "ratio": "ratio", "%": "percent", "percent": "percent"}
COUNT_NAME = re.compile(
    r"(?i)(count|^n$|^num_|number|orders|customers|baskets|lines|rows|units|quantity|items|transactions)"
)
RATIO_NAME = re.compile(r"(?i)(rate|share|ratio|confidence|support|probability|proportion|conversion)")
# "value" alone is no money word: a metric/value table lists rates and counts too.
MONEY_NAME = re.compile(
    r"(?i)(revenue|sales|spend|spent|amount|price|order_value|basket_value|lifetime_value|aov|clv|ltv|"
    r"profit|margin_earned|income|turnover|gmv|cost|paid|refund)"
)
_PERCENT_NAME = re.compile(r"(?i)(pct|percent)")
_ID_NAME = re.compile(r"(?i)(id|code|_no|number|year)$")


# -- currencies ------------------------------------------------------------------------------------------
def currency_of_symbol(symbol: str | None) -> str | None:
    """The ISO code a currency symbol in the amounts stands for, or None."""
    return _SYMBOL_CURRENCY.get(symbol or "")


def currency_in_name(name: str) -> str | None:
    """The currency a column's name states ("Amount (EUR)", "price_usd", "Sales £"), or None."""
    code = _CODE_IN_NAME.search(name)
    if code:
        found = code.group(1).upper()
        return "CNY" if found == "RMB" else found
    symbol = SYMBOL.search(name)
    return currency_of_symbol(symbol.group(0)) if symbol else None


def one_currency(currencies: Iterable[str | None]) -> str | None:
    """The one currency among several (of the tables or analyses a result comes from); None when none is
    known or they differ (no symbol is better than a wrong one)."""
    found = set(currencies) - {None}
    return found.pop() if len(found) == 1 else None


def currency_symbol(currency: str | None) -> str:
    """£ for GBP; an unlisted code written before the figure ("CHF 12.00"); "" when unknown."""
    if not currency:
        return ""
    return CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")


# -- one value -------------------------------------------------------------------------------------------
def number(value: float, kind: str, currency: str | None = None) -> str:
    """A figure as the product writes it (see the module docstring); ``percentage``: a ratio as % only."""
    if kind == "count":
        return f"{round(value):,}"
    if kind == "ratio":
        return f"{value:.4f} ({value:.2%})"
    if kind == "percentage":
        return f"{value:.2%}"
    if kind == "percent":
        return f"{value:,.2f}%"
    if kind == "money":
        sign = "-" if value < 0 else ""
        return f"{sign}{currency_symbol(currency)}{abs(value):,.2f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    if value == 0 or abs(value) < 1e-6:
        return "0"
    decimals = min(6, max(2, 3 - math.floor(math.log10(abs(value)))))  # four significant digits
    return f"{value:.{decimals}f}"


def period(value: Any, grain: str) -> str:
    """A time bucket at its grain: 2011, 2011-Q3, 2011-01, 2011-W14, 2011-01-31, or the time of day."""
    stamp = pd.Timestamp(value)
    if grain == "year":
        return str(stamp.year)
    if grain == "quarter":
        return f"{stamp.year}-Q{(stamp.month - 1) // 3 + 1}"
    if grain == "month":
        return stamp.strftime("%Y-%m")
    if grain == "week":
        year, week, _ = stamp.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "day" or stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M") if stamp.second == 0 else stamp.isoformat(sep=" ")


def cell(value: Any, kind: str, currency: str | None = None) -> str:
    """One table cell as shown: blank for a missing value, the kind's format for a figure or a period."""
    if value is None or (not isinstance(value, str) and _missing(value)):
        return ""
    if kind in GRAINS and isinstance(value, (pd.Timestamp, dt.date, np.datetime64)):
        return period(value, kind)
    if is_number(value):
        if kind in ("number", "text") and float(value).is_integer():
            return f"{int(value):,}" if kind == "number" else str(int(value))
        return number(float(value), "percentage" if kind == "ratio" else kind, currency)
    return str(value)


# -- a whole column or table -------------------------------------------------------------------------------
def grain_of(series: pd.Series, name: str = "") -> str:
    """The grain a column of times is bucketed at: its name's (a "month" column), else what its values allow."""
    said = str(name).lower()
    if said in GRAINS:
        return said
    stamps = pd.to_datetime(series.dropna(), errors="coerce").dropna()
    if stamps.empty:
        return "day"
    if not (stamps == stamps.dt.normalize()).all():
        return "time"
    if said == "date" or stamps.nunique() < 3:  # two dates on the 1st may be a coincidence, not months
        return "day"
    if (stamps.dt.day == 1).all():
        if (stamps.dt.month == 1).all():
            return "year"
        return "month"
    days = stamps.drop_duplicates().sort_values().diff().dropna().dt.days
    if (stamps.dt.weekday == 0).all() and len(days) and (days % 7 == 0).all():
        return "week"
    return "day"


def kind_of(series: pd.Series, name: str, unit: str = "") -> str:
    """How a column is written: its stated unit (a fact's), else what its name and values say."""
    if unit in UNIT_KINDS:
        return UNIT_KINDS[unit]
    if pd.api.types.is_datetime64_any_dtype(series) or _holds_dates(series):
        return grain_of(series, name)
    if not is_figure(series):
        return "text"
    values = pd.to_numeric(series.dropna(), errors="coerce").dropna()
    col = str(name)
    if _ID_NAME.search(col) and not COUNT_NAME.search(col.removesuffix("number")):
        return "text"  # an id or a year is a name, not a quantity: 14646, 2011 (no separators)
    integral = bool(len(values)) and bool((values == values.round()).all())
    if RATIO_NAME.search(col) and bool(len(values)) and bool(values.between(0, 1).all()):
        return "ratio"
    if _PERCENT_NAME.search(col):
        return "percent"
    if MONEY_NAME.search(col) and not COUNT_NAME.search(col):
        return "money"
    if pd.api.types.is_integer_dtype(series) or (integral and COUNT_NAME.search(col)):
        return "count"
    return "number"


def display(
    df: pd.DataFrame, kinds: dict[str, str] | None = None, currency: str | None = None
) -> pd.DataFrame:
    """``df`` as text a person reads at a glance; ``kinds`` (a tool's own, by column) win over guesses."""
    kinds = kinds or {}
    shown = pd.DataFrame(index=df.index)
    for col in df.columns:
        kind = kinds.get(str(col)) or kind_of(df[col], str(col))
        shown[col] = [cell(v, kind, currency) for v in df[col]]
    return shown


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal, np.number)) and not isinstance(value, (bool, np.bool_))


def is_figure(series: pd.Series) -> bool:
    """Numbers, including DuckDB's DECIMAL and HUGEINT (held as Python objects), but not booleans."""
    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    values = series.dropna()
    return series.dtype == object and len(values) > 0 and all(is_number(v) for v in values)


def _holds_dates(series: pd.Series) -> bool:
    values = series.dropna()
    return series.dtype == object and len(values) > 0 and all(isinstance(v, dt.date) for v in values)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
