"""Type inference for loaded columns: booleans, numbers, currency amounts, percentages, dates, timestamps.

A column becomes typed only when *every* non-empty value reads the same way; otherwise it stays text, so
nothing is silently turned into a null. Readings that could go two ways are settled by the data where it
can (a value like "1,234.50" or "25/12/2011" decides the convention) and otherwise said in a warning.
Work is done on the distinct values, so a 500k-row column with a few thousand distinct values is cheap.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tools.formats import SYMBOL, currency_of_symbol

# Values that mean "missing" in a typed column (kept verbatim in a text column).
NULL_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "#n/a", "nil"}
_BOOLS = ({"true", "false"}, {"yes", "no"})
_INT64_MAX = 2**63 - 1

_NUMBER = re.compile(
    r"^(?P<open>\()?\s*(?P<sign>[-+])?\s*(?P<cur>[$£€¥₹])?\s*(?P<sign2>[-+])?\s*"
    r"(?P<num>\d[\d,.]*|\.\d+)(?P<exp>[eE][-+]?\d+)?\s*(?P<cur2>[$£€¥₹])?\s*(?P<pct>%)?\s*(?P<close>\))?$"
)
_US = re.compile(r"^(\d+(\.\d+)?|\d{1,3}(,\d{3})+(\.\d+)?|\.\d+)$")
_EU = re.compile(r"^(\d+(,\d+)?|\d{1,3}(\.\d{3})+(,\d+)?)$")

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$")
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
# (format, label, order): day-first and month-first readings are settled by the data where it can.
_DATE_FORMATS = (
    ("%Y/%m/%d", "year/month/day", "ymd"),
    ("%Y.%m.%d", "year.month.day", "ymd"),
    ("%m/%d/%Y", "month/day/year", "mdy"),
    ("%d/%m/%Y", "day/month/year", "dmy"),
    ("%m-%d-%Y", "month-day-year", "mdy"),
    ("%d-%m-%Y", "day-month-year", "dmy"),
    ("%d.%m.%Y", "day.month.year", "dmy"),
    ("%m/%d/%y", "month/day/two-digit year", "mdy"),
    ("%d/%m/%y", "day/month/two-digit year", "dmy"),
    ("%d %b %Y", "day month-name year", "dmy"),
    ("%d-%b-%Y", "day-month-name-year", "dmy"),
    ("%d-%b-%y", "day-month-name-two-digit-year", "dmy"),
    ("%b %d, %Y", "month-name day, year", "mdy"),
    ("%d %B %Y", "day month-name year", "dmy"),
    ("%B %d, %Y", "month-name day, year", "mdy"),
)
_DATEISH = re.compile(r"^[\d\sA-Za-z,./:+-]{6,40}$")


@dataclass
class Inferred:
    """A typed column and how it was read."""

    values: pd.Series
    kind: str  # text, boolean, integer, number, date, timestamp, time
    note: str = ""  # how it was read, e.g. "currency $ stripped"
    warning: str | None = None
    currency: str | None = None  # the ISO code of the symbol its amounts carried ("£12.50" -> GBP)


def infer_column(series: pd.Series, name: str, *, decimal_comma: bool = False) -> Inferred:
    """Type one column; ``decimal_comma`` prefers 1.234,5 over 1,234.5 when the data cannot tell."""
    if series.dtype != object and not pd.api.types.is_string_dtype(series.dtype):
        return _typed(series)
    if series.dtype == object and not series.dropna().map(type).eq(str).all():
        return _infer_objects(series, name, decimal_comma)
    return infer_strings(series.astype("str"), name, decimal_comma=decimal_comma)


def infer_strings(series: pd.Series, name: str, *, decimal_comma: bool = False) -> Inferred:
    """Type a column of text values (nulls allowed)."""
    stripped = series.str.strip()
    codes, distinct = pd.factorize(stripped)  # typing works on distinct values; codes put them back in place
    uniques = [str(u) for u in distinct]
    values = [u for u in uniques if u.lower() not in NULL_TOKENS]
    if not values:
        return Inferred(series, "text")
    for attempt in (_as_bool, _as_number, _as_date, _as_time):
        result = attempt(values, name, decimal_comma)
        if result is None:
            continue
        mapping, kind, note, warning = result
        if kind == "text":  # a typed reading was rejected with a reason worth telling
            return Inferred(series, "text", note, warning)
        typed = _apply(codes, uniques, mapping, kind, series.index)
        return Inferred(typed, kind, note, warning, _currency(values) if attempt is _as_number else None)
    return Inferred(series, "text")


def _currency(values: list[str]) -> str | None:
    """The currency of a number column's symbol (one symbol: _as_number keeps mixed ones as text)."""
    symbols = {s for v in values for s in SYMBOL.findall(v)}
    return currency_of_symbol(symbols.pop()) if len(symbols) == 1 else None


def _apply(codes: np.ndarray, uniques: list[str], mapping: dict, kind: str, index: pd.Index) -> pd.Series:
    """Each row's typed value: the distinct values' readings (null tokens -> null) taken by code."""
    typed = [mapping.get(u) for u in uniques] + [None]  # the last slot is null, for nulls (code -1)
    codes = np.where(codes < 0, len(uniques), codes)
    if kind == "boolean":
        values = pd.array(typed, dtype="boolean").take(codes)
    elif kind == "integer":
        values = pd.array(typed, dtype="Int64").take(codes)
    elif kind == "number":
        values = np.array([np.nan if v is None else v for v in typed], dtype="float64").take(codes)
    elif kind in ("date", "time"):
        values = np.array(typed, dtype=object).take(codes)
    else:
        values = pd.DatetimeIndex([pd.NaT if v is None else v for v in typed]).take(codes)
    return pd.Series(values, index=index)


# -- booleans --------------------------------------------------------------------------------------------------
def _as_bool(values: list[str], name: str, decimal_comma: bool):
    lowered = {v.lower() for v in values}
    for pair in _BOOLS:
        if lowered <= pair:
            true_word = sorted(pair)[1] if "true" in pair else "yes"
            mapping = {v: v.lower() == true_word for v in values}
            return mapping, "boolean", "/".join(sorted(pair, reverse=True)), None
    return None


# -- numbers ---------------------------------------------------------------------------------------------------
def _as_number(values: list[str], name: str, decimal_comma: bool):
    found = [_NUMBER.match(v) for v in values]
    matches = [m for m in found if m and bool(m["open"]) == bool(m["close"])]
    if len(matches) < len(values):
        return None
    currencies = {m["cur"] or m["cur2"] for m in matches} - {None}
    if len(currencies) > 1:
        return (
            {},
            "text",
            "",
            f"Column {name!r} mixes currencies ({', '.join(sorted(currencies))}); kept it as text.",
        )
    percents = {bool(m["pct"]) for m in matches}
    if len(percents) > 1:
        return None
    cores = [m["num"] for m in matches]
    exponent = any(m["exp"] for m in matches)
    us_ok = all(_US.match(c) for c in cores)
    eu_ok = not exponent and all(_EU.match(c) for c in cores)
    if not (us_ok or eu_ok):
        return None
    if any(len(c) > 1 and c[0] == "0" and c[1].isdigit() for c in cores):
        return {}, "text", "leading zeros kept (a code, not a number)", None
    style, warning = _number_style(cores, us_ok, eu_ok, decimal_comma, name)
    note = _number_note(cores, style, currencies, percents == {True})
    decimal_mark = "," if style == "eu" else "."
    # Whole numbers written as "17850.0" (how pandas exports an integer column with gaps) are integers.
    point_zero = style == "us" and all(c.endswith(".0") and "." not in c[:-2] for c in cores)
    if not exponent and percents == {False} and (point_zero or not any(decimal_mark in c for c in cores)):
        if point_zero:
            note = ", ".join(filter(None, [note, "whole numbers written as 1.0"]))
        ints = {v: _int_value(m, point_zero) for v, m in zip(values, matches, strict=True)}
        big = next((v for v, i in ints.items() if abs(i) > _INT64_MAX), None)
        if big is not None:
            return (
                {},
                "text",
                "",
                (
                    f"Column {name!r} has integers too long for a 64-bit number (e.g. {big[:40]}); "
                    "kept it as text so no digit is lost."
                ),
            )
        return ints, "integer", note, warning
    numbers = {v: _float_value(m, style) for v, m in zip(values, matches, strict=True)}
    big = next((v for v, x in numbers.items() if math.isinf(x)), None)
    if big is not None:
        return (
            {},
            "text",
            "",
            f"Column {name!r} has a value too large for a number ({big[:40]!r}); kept it as text.",
        )
    return numbers, "number", note, warning


def _number_style(cores: list[str], us_ok: bool, eu_ok: bool, decimal_comma: bool, name: str):
    """'us' (1,234.5) or 'eu' (1.234,5), with a warning when the values alone could not tell."""
    if us_ok != eu_ok:
        return ("us" if us_ok else "eu"), None
    example = next((c for c in cores if "," in c or "." in c), None)
    if example is None:  # plain digits read the same either way
        return "us", None
    style = "eu" if decimal_comma else "us"
    comma_is = "the decimal mark" if style == "eu" else "a thousands separator"
    dot_is = "a thousands separator" if style == "eu" else "the decimal mark"
    how = f"comma as {comma_is}" if "," in example else f"dot as {dot_is}"
    return style, (
        f"Column {name!r}: values like {example!r} could be read two ways; read as "
        f"{_core_float(example, style):g} ({how})."
    )


def _number_note(cores: list[str], style: str, currencies: set[str], percent: bool) -> str:
    notes = []
    if currencies:
        notes.append(f"currency {next(iter(currencies))} stripped")
    if percent:
        notes.append("percent as a fraction (12.5% -> 0.125)")
    if style == "eu" and any("," in c for c in cores):
        notes.append("decimal comma")
    if any(("," if style == "us" else ".") in c for c in cores):
        notes.append("thousands separators removed")
    return ", ".join(notes)


def _core_float(core: str, style: str) -> float:
    if style == "us":
        return float(core.replace(",", ""))
    return float(core.replace(".", "").replace(",", "."))


def _negative(m: re.Match) -> bool:
    return bool(m["open"]) or ((m["sign"] == "-") != (m["sign2"] == "-"))


def _float_value(m: re.Match, style: str) -> float:
    value = float(m["num"].replace(",", "") + m["exp"]) if m["exp"] else _core_float(m["num"], style)
    if m["pct"]:
        value /= 100
    return -value if _negative(m) else value


def _int_value(m: re.Match, point_zero: bool = False) -> int:
    """Exact, even past 2**53 where a float would lose digits."""
    digits = int(re.sub(r"\D", "", m["num"][:-2] if point_zero else m["num"]))
    return -digits if _negative(m) else digits


# -- dates -----------------------------------------------------------------------------------------------------
def _as_date(values: list[str], name: str, decimal_comma: bool):
    if not all(_DATEISH.match(v) and any(ch.isdigit() for ch in v) for v in values[:200]):
        return None
    sample = pd.Series(values, dtype=object)
    if all(_ISO.match(v) for v in values):
        return _iso(sample)
    fits = []  # (format, label, order, parsed) for each date format that reads every value
    for date_fmt, label, order in _DATE_FORMATS:
        for time in _TIMES:
            if not _parses(values[0], date_fmt + time):  # cheap filter before pandas parses them all
                continue
            parsed = _try_format(sample, date_fmt + time)
            if parsed is not None:
                fits.append((date_fmt + time, label, order, parsed))
                break
    if not fits:
        return None
    fmt, label, _, parsed = fits[0]
    warning = None
    orders = {f[2] for f in fits}
    if {"dmy", "mdy"} <= orders:  # every day number is <= 12: the values cannot tell
        fmt, label, _, parsed = next(f for f in fits if f[2] == ("dmy" if decimal_comma else "mdy"))
        warning = f"Column {name!r}: dates like {values[0]!r} could be day/month or month/day; read them as {label}."
    kind = "timestamp" if "%H" in fmt or "%I" in fmt else "date"
    return dict(zip(values, parsed.dt.date if kind == "date" else parsed, strict=True)), kind, label, warning


_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?$")


def _as_time(values: list[str], name: str, decimal_comma: bool):
    """A time of day beside a date ("Time": 12:54:04, 7:05 PM): hours and minutes, not text."""
    times = {}
    for v in values:
        m = _TIME_OF_DAY.match(v)
        if m is None:
            return None
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
        if m[4]:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if m[4].lower() == "pm" else 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        times[v] = dt.time(hour, minute, second)
    return times, "time", "", None


_ZONE = r"(?:Z|[+-]\d{2}:?\d{2})$"


def _iso(sample: pd.Series):
    zones = sample.str.extract(f"({_ZONE})", expand=False).dropna()
    local = len(zones) == len(sample) and _one_local_zone(zones)
    # one shop's export keeps its own wall times: its day and month as its people count them
    written = sample.str.replace(_ZONE, "", regex=True).str.rstrip() if local else sample
    has_zone = bool(len(zones)) and not local
    parsed = pd.to_datetime(written, format="ISO8601", errors="coerce", utc=has_zone)
    if parsed.isna().any():
        return None
    note = "ISO 8601" + (", local times as written (one time zone)" if local else "")
    if has_zone:
        parsed = parsed.dt.tz_convert(None)
        note += ", converted to UTC"
    if sample.str.len().max() <= 10:
        return dict(zip(sample, parsed.dt.date, strict=True)), "date", note, None
    return dict(zip(sample, parsed, strict=True)), "timestamp", note, None


def _one_local_zone(zones: pd.Series) -> bool:
    """Whether every value carries an offset of one time zone (at most an hour apart: summer time).

    A shop writes its orders in its own zone ("2023-12-31 20:15:00 -0500"): converted to UTC, an evening
    order would move into the next day, month or year. Offsets of several zones (an event log) are
    converted to UTC instead, so that their order holds.
    """
    if zones.empty:
        return False
    minutes = {0 if z == "Z" else int(z[0] + "1") * (int(z[1:3]) * 60 + int(z[-2:])) for z in zones}
    return max(minutes) - min(minutes) <= 60 and zones.ne("Z").all()


def _parses(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _try_format(sample: pd.Series, fmt: str) -> pd.Series | None:
    """All values parsed with ``fmt``, or None; a failing head short-cuts the full parse."""
    if pd.to_datetime(sample.head(50), format=fmt, errors="coerce").isna().any():
        return None
    parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
    return None if parsed.isna().any() else parsed


# -- columns that already hold Python objects (Excel, JSON) ----------------------------------------------------
def _infer_objects(series: pd.Series, name: str, decimal_comma: bool) -> Inferred:
    present = series.dropna()
    types = set(present.map(type))
    if types <= {bool}:
        return Inferred(series.astype("boolean"), "boolean")
    if types <= {int, float}:
        if types == {int} and present.map(lambda x: abs(x) > _INT64_MAX).any():
            return Inferred(
                series.map(lambda x: None if x is None or x != x else str(x)).astype("str"),
                "text",
                warning=f"Column {name!r} has integers too long for a 64-bit number; kept it as text "
                "so no digit is lost.",
            )
        numeric = pd.to_numeric(series)
        return _typed(numeric)
    if all(issubclass(t, (dt.datetime, pd.Timestamp)) for t in types):
        stamps = pd.to_datetime(series)
        if (stamps.dropna() == stamps.dropna().dt.normalize()).all():
            return Inferred(
                pd.Series(
                    [None if pd.isna(v) else v.date() for v in stamps], index=series.index, dtype=object
                ),
                "date",
            )
        return Inferred(stamps, "timestamp")
    if all(issubclass(t, dt.date) for t in types):
        return Inferred(series, "date")
    if all(issubclass(t, dt.time) for t in types):  # a spreadsheet's time cell
        return Inferred(series, "time")
    as_text = series.map(_to_text)
    result = infer_strings(as_text.astype("str"), name, decimal_comma=decimal_comma)
    if any(t in (list, dict) for t in types):
        result.note = (result.note + "; " if result.note else "") + "nested values as JSON text"
    return result


def _to_text(value) -> str | None:
    import json

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _typed(series: pd.Series) -> Inferred:
    """A column that already has a real dtype: name its kind, make integers with nulls nullable."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return Inferred(series, "boolean")
    if pd.api.types.is_integer_dtype(dtype):
        return Inferred(series, "integer")
    if pd.api.types.is_float_dtype(dtype):
        present = series.dropna()
        if (
            len(present)
            and np.isfinite(present).all()
            and (present == present.round()).all()
            and present.abs().max() < 2**53
            and len(present) < len(series)
        ):
            return Inferred(series.astype("Int64"), "integer", "whole numbers with gaps")
        return Inferred(series, "number")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return Inferred(series, "timestamp")
    return Inferred(series, "text")
