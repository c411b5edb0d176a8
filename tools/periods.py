"""Date ranges people write: "2011-Q3", "2011-05", "May 2011", "2011", "2011-01-01..2011-03-31", "since 2011-06",
"last 3 months of the data", "last 30 days".

A period is a half-open range [start, end) of dates. Relative ranges count back from the LAST date in the
data, not from today, because demo and exported data are historical.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from tools.base import RetryableToolError

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MONTH_WORDS = frozenset(
    (
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    )
)
_UNITS = {"day": 1, "week": 7, "month": 1, "quarter": 3, "year": 12}
_RELATIVE = re.compile(
    r"^(?:the\s+)?(?:last|past|previous|final)\s+(\d+\s+)?(day|week|month|quarter|year)s?"
    r"(?:\s+(?:of|in)\s+(?:the\s+)?data(?:set)?)?$"
)
# A calendar period named from the data's last date, as a person names it from today: "last month" is the
# month before the one the data ends in, "this year" the year it ends in. (A count makes it a rolling
# window instead: "last 3 months".)
# A period after the data, in a question: "next month", "the coming 8 weeks", "the following quarter".
# No metric answers it (the data is history); a forecast does.
FUTURE_PERIOD = re.compile(
    r"\b(?:next|coming|upcoming|following|future)\s+(?:[\w-]+\s+)?"
    r"(?:days?|weeks?|months?|quarters?|years?|season)\b",
    re.IGNORECASE,
)
_COUNT_WORDS = {
    w: i + 1
    for i, w in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
    )
}
_COUNT = r"(\d{1,3}|" + "|".join(_COUNT_WORDS) + r")"
# "the next 8 weeks", "next month", and, for a question already about the future (a forecast, a lifetime
# value, a churn window), "over 2 years" or "within 60 days" with its count.
_FUTURE_SPAN = re.compile(
    rf"\b(?:(?:next|coming|upcoming|following)\s+(?:{_COUNT}\s+)?|(?:over|within)\s+(?:the\s+)?(?:next\s+)?"
    rf"{_COUNT}\s+)(day|week|month|quarter|year)s?\b",
    re.IGNORECASE,
)
DAYS_PER = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}
_CALENDAR = re.compile(r"^(?:the\s+)?(previous|last|this|current)\s+(week|month|quarter|year)$")
EXAMPLES = (
    '"2011-Q3", "2011-H1", "2011-05", "May 2011", "2011", "2011-01-01..2011-03-31", "since 2011-06", '
    '"last 3 months of the data", "last 30 days", "last month", "this year", "June"'
)


@dataclass(frozen=True)
class Period:
    """Dates ``start <= d < end`` (either side open when None); ``relative`` when counted from the data's end."""

    start: date | None
    end: date | None
    text: str
    relative: bool = False

    def last_day(self) -> date | None:
        """The last date inside the period (its end is exclusive)."""
        return self.end - timedelta(days=1) if self.end else None

    def describe(self) -> str:
        """E.g. "2011-Q3 (2011-07-01 to 2011-09-30)"."""
        first = self.start.isoformat() if self.start else "the start"
        last = (self.end - timedelta(days=1)).isoformat() if self.end else "the end"
        return f"{self.text} ({first} to {last})"


def future_span(question: str) -> tuple[int, str] | None:
    """The span after the data a question about the future asks about: "the next 8 weeks" -> (8, "week"),
    "next month" -> (1, "month"), "over 2 years" -> (2, "year"); None when it names none."""
    m = _FUTURE_SPAN.search(question)
    if not m:
        return None
    count = m.group(1) or m.group(2)
    n = 1 if count is None else int(count) if count.isdigit() else _COUNT_WORDS[count.lower()]
    return n, m.group(3).lower()


def span_in(span: tuple[int, str], unit: str) -> int:
    """A span as a whole number (at least 1) of ``unit`` (day, week, month, quarter, year)."""
    n, of = span
    return max(1, round(n * DAYS_PER[of] / DAYS_PER[unit]))


def parse_period(text: str, last_date: Callable[[], date]) -> Period:
    """The period ``text`` names; ``last_date()`` gives the data's last date for relative ranges.

    Raises:
        RetryableToolError: the text is no date range this understands (the message shows examples).
    """
    raw = " ".join(str(text).split())
    low = re.sub(r"^(?:from|between)\s+(?=.*(?:\.\.|\s(?:to|and|until)\s))", "", raw.lower())
    for sep in ("..", " to ", " until ", " and "):
        if sep in low:
            left, right = (s.strip() for s in low.split(sep, 1))
            start = _single(left, last_date).start if left else None
            end = _single(right, last_date).end if right else None
            return Period(start, end, raw)
    for word in ("since ", "from ", "after "):
        if low.startswith(word):
            p = _single(low[len(word) :], last_date)
            return Period(p.end if word == "after " else p.start, None, raw)
    if low.startswith("before "):
        return Period(None, _single(low[7:], last_date).start, raw)
    period = _single(low, last_date)
    return Period(period.start, period.end, raw, period.relative)


def _single(low: str, last_date: Callable[[], date]) -> Period:
    """One calendar period (year, quarter, month, day) or a relative range."""
    low = low.strip()
    if m := re.fullmatch(r"(\d{4})", low):
        y = int(m[1])
        return Period(date(y, 1, 1), date(y + 1, 1, 1), low)
    if (m := re.fullmatch(r"(\d{4})[\s\-/]?q([1-4])", low)) or (
        m := re.fullmatch(r"q([1-4])[\s\-/]?(\d{4})", low)
    ):
        y, q = (int(m[1]), int(m[2])) if len(m[1]) == 4 else (int(m[2]), int(m[1]))
        return Period(date(y, 3 * q - 2, 1), _add_months(date(y, 3 * q - 2, 1), 3), low)
    if (m := re.fullmatch(r"(\d{4})[\s\-/]?h([12])", low)) or (
        m := re.fullmatch(r"h([12])[\s\-/]?(\d{4})", low)
    ):
        y, h = (int(m[1]), int(m[2])) if len(m[1]) == 4 else (int(m[2]), int(m[1]))
        return Period(date(y, 6 * h - 5, 1), _add_months(date(y, 6 * h - 5, 1), 6), low)
    if m := re.fullmatch(r"(\d{4})[-/](\d{1,2})", low):
        return _month(int(m[1]), int(m[2]), low)
    if (m := re.fullmatch(r"([a-z]+)\.?,?\s+(\d{4})", low)) and m[1][:3] in MONTHS:
        return _month(int(m[2]), MONTHS[m[1][:3]], low)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", low):
        day = _date(int(m[1]), int(m[2]), int(m[3]), low)
        return Period(day, day + timedelta(days=1), low)
    if m := _CALENDAR.fullmatch(low):
        return _calendar(m[2], 0 if m[1] in ("this", "current") else -1, last_date(), low)
    if m := _RELATIVE.fullmatch(low):
        return _relative(int(m[1] or 1), m[2], last_date(), low)
    if low.rstrip(".") in _MONTH_WORDS:  # a month without its year: the latest one the data reaches
        last = last_date()
        month = MONTHS[low[:3]]
        return _month(last.year if month <= last.month else last.year - 1, month, low, relative=True)
    raise RetryableToolError(f"Cannot read the date range {low!r}; write it like {EXAMPLES}.")


def _relative(n: int, unit: str, last: date, text: str) -> Period:
    end = last + timedelta(days=1)
    if unit in ("day", "week"):
        start = end - timedelta(days=n * _UNITS[unit])
    else:
        start = (pd.Timestamp(end) - pd.DateOffset(months=n * _UNITS[unit])).date()
    return Period(start, end, text, relative=True)


def _calendar(unit: str, offset: int, last: date, text: str) -> Period:
    """The calendar ``unit`` holding ``last``, moved by ``offset`` units (-1: the one before)."""
    if unit == "week":
        start = last - timedelta(days=last.weekday()) + timedelta(weeks=offset)
        return Period(start, start + timedelta(weeks=1), text, relative=True)
    months = _UNITS[unit]
    first = (
        date(last.year, 1, 1)
        if unit == "year"
        else date(last.year, (last.month - 1) // months * months + 1, 1)
    )
    start = _add_months(first, offset * months)
    return Period(start, _add_months(start, months), text, relative=True)


def _month(year: int, month: int, text: str, relative: bool = False) -> Period:
    start = _date(year, month, 1, text)
    return Period(start, _add_months(start, 1), text, relative)


def _date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise RetryableToolError(f"{text!r} is not a valid date.") from None


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partial_periods(starts: Iterable[Any], grain: str, first: date, last: date) -> dict[date, str]:
    """The time buckets the data covers only in part, because it starts or ends inside them.

    Returns bucket start -> what it covers ("covers 1 December 2011 to 9 December 2011 only"): December
    2011 of a shop whose data ends on 9 December is not a collapse in sales, and must not read as one.
    Days are never partial; buckets the data does not reach at all are not either (they have no rows).
    """
    out: dict[date, str] = {}
    if grain not in _BUCKETMONTHS and grain != "week":
        return out
    for value in starts:
        start = pd.Timestamp(value).date()
        end = start + timedelta(days=7) if grain == "week" else _add_months(start, _BUCKETMONTHS[grain])
        covered = (max(start, first), min(end - timedelta(days=1), last))
        if covered == (start, end - timedelta(days=1)) or covered[0] > covered[1]:
            continue
        days = _day(covered[0]) if covered[0] == covered[1] else f"{_day(covered[0])} to {_day(covered[1])}"
        out[start] = f"covers {days} only"
    return out


_BUCKETMONTHS = {"month": 1, "quarter": 3, "year": 12}


def partial_rows(values: Iterable[Any], partial: dict[date, str]) -> dict[int, str]:
    """Row position -> what its bucket covers, for the rows of a column of bucket starts that are partial."""
    starts = [pd.Timestamp(v).date() if pd.notna(v) else None for v in values]
    return {i: partial[s] for i, s in enumerate(starts) if s in partial}


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"
