"""Arguments never invent business inputs: a number the person did not state is dropped before validation.

A small model under a grammar may still fill an optional number it was not given ("top": 1000, a made-up
spend). Each top-level numeric argument must appear in what the person said (the request, or the earlier
requests and calls the state shows); otherwise it is removed and the tool applies its documented default.
Percentages count both ways ("40%" states 0.4), and small number words count ("top five" states 5).
Filter conditions (list arguments ``filters``/``where`` of ``{column, op, value, values}``) are held to the
same rule: a condition whose value the person did not state (a made-up date, a country never named) goes.
So are groupings (``by``): a dimension the request never names ("by": ["country"] for "total revenue")
turns a total into a table the person did not ask for. And so are time restrictions (``date_range``,
``grain``): "last 3 months" for "What is the total net revenue?" silently answers a different question, so
a period stays only when the request speaks of time, and its count ("last 3") only when the person said it.
A SQL ``LIMIT`` is a number too: the model appends ``LIMIT 5`` to lists the person wants whole, so a limit
above 1 that the request does not state is removed (``LIMIT 1`` stays: "which product sold most?"). A sort
order stays only when the request ranks something. Each rule answers a call the default model really wrote:
it copies pieces of the worked examples (a country filter, "last 3 months", "top": 5) into unrelated calls.
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
    "half": 0.5,
    "dozen": 12,
    "a thousand": 1000,
}


def stated_numbers(text: str) -> set[float]:
    """Every number the text states, with its percentage reading (40 -> also 0.4)."""
    found: set[float] = set()
    for match in _NUMBER.findall(text):
        try:
            value = float(match.replace(",", ""))
        except ValueError:
            continue
        found |= {value, value / 100}
    lowered = text.lower()
    for word, value in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b", lowered):
            found.add(float(value))
    for k in re.findall(r"(\d+(?:\.\d+)?)\s*k\b", lowered):  # "5k"
        found.add(float(k) * 1000)
    return found


def drop_unstated_numbers(
    args: dict[str, Any], said: str, required: set[str]
) -> tuple[dict[str, Any], list[str]]:
    """``args`` without the optional numeric arguments whose value ``said`` does not state.

    Returns:
        The kept arguments and the names of the dropped ones.
    """
    numbers = stated_numbers(said)
    kept, dropped = {}, []
    for key, value in args.items():
        if key not in required and _is_number(value) and not _stated(float(value), numbers):
            dropped.append(key)
            continue
        kept[key] = value
    return kept, dropped


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _stated(value: float, numbers: set[float]) -> bool:
    return any(abs(value - n) <= 1e-9 * max(1.0, abs(n)) for n in numbers)


CONDITION_LISTS = ("filters", "where")


def drop_unstated_conditions(args: dict[str, Any], said: str) -> dict[str, Any]:
    """``args`` without the filter conditions whose value(s) ``said`` does not state."""
    numbers = stated_numbers(said)
    lowered = said.lower()
    kept = dict(args)
    for key in CONDITION_LISTS:
        conditions = args.get(key)
        if isinstance(conditions, list):
            kept[key] = [
                c for c in conditions if not isinstance(c, dict) or _condition_stated(c, lowered, numbers)
            ]
    return kept


def _condition_stated(condition: dict[str, Any], lowered: str, numbers: set[float]) -> bool:
    values = [condition.get("value"), *(condition.get("values") or [])]
    present = [v for v in values if v is not None]
    # A condition with no value at all is one the model started and never meant ("customer_id not in").
    return bool(present) and all(_value_stated(v, lowered, numbers) for v in present)


def _value_stated(value: Any, lowered: str, numbers: set[float]) -> bool:
    if isinstance(value, bool):
        return True
    if _is_number(value):
        return _stated(float(value), numbers)
    date = _ISO_DATE.match(str(value).strip())
    if date:  # "December 2010" states 2010-12; "last month" states a date in no year it names
        years = {n for n in numbers if 1900 <= n < 2100 and float(n).is_integer()}
        return float(date.group(1)) in years or (not years and bool(_DATE_WITHOUT_YEAR.search(lowered)))
    return str(value).strip().lower() in lowered


GROUPING_LISTS = ("by",)


def drop_unstated_groupings(args: dict[str, Any], said: str) -> dict[str, Any]:
    """``args`` without grouping dimensions that ``said`` never names (month counts for "monthly")."""
    lowered = said.lower().replace("_", " ")
    kept = dict(args)
    for key in GROUPING_LISTS:
        dims = args.get(key)
        if isinstance(dims, list):
            kept[key] = [d for d in dims if not isinstance(d, str) or _stem(d) in lowered]
        elif isinstance(dims, str) and _stem(dims) not in lowered:  # one dimension (forecast_sales' by)
            kept.pop(key)
    return kept


def _stem(word: str) -> str:
    """'country' -> 'countr' (countries), 'month' -> 'month' (monthly), 'stock_code' -> 'stock cod'."""
    word = word.lower().replace("_", " ").strip()
    return word[:-1] if len(word) > 3 and word.endswith(("y", "e", "s")) else word


PERIOD_ARGS = ("date_range", "grain")
_ISO_DATE = re.compile(r"^((?:19|20)\d\d)(?:-\d{1,2}){0,2}$")
# "May" is left out: it is also a verb ("may we...").
_MONTH_NAMES = "january|february|march|april|june|july|august|september|october|november|december"
# Words that name a date without its year ("per month" names none).
_DATE_WITHOUT_YEAR = re.compile(
    r"\b(?:last|past|previous|this|current|recent|latest|since|ytd|mtd|today|yesterday|christmas|"
    rf"{_MONTH_NAMES})\b"
)
_TIME_WORDS = re.compile(
    r"\b(?:(?:19|20)\d\d|q[1-4]|h[12]|ytd|mtd|day|week|month|quarter|year|season|holiday|christmas|"
    r"daily|weekly|monthly|quarterly|yearly|annual|annually|trend|over time|since|until|before|after|"
    r"between|during|last|past|previous|recent|recently|latest|today|yesterday|period|date|"
    rf"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|{_MONTH_NAMES})s?\b"
)
_RELATIVE_COUNT = re.compile(r"\b(?:last|past|previous|final)\s+(\d+)\b")


def speaks_of_time(text: str) -> bool:
    """The text names a time, a period or a time grouping ("2011", "last month", "monthly", "trend")."""
    return bool(_TIME_WORDS.search(text.lower()))


def drop_unstated_periods(args: dict[str, Any], said: str) -> dict[str, Any]:
    """``args`` without a date range or time grain that ``said`` gives no ground for."""
    timed = speaks_of_time(said)
    numbers = stated_numbers(said)
    kept = dict(args)
    for key in PERIOD_ARGS:
        value = args.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        counts = [float(n) for n in _RELATIVE_COUNT.findall(value.lower())]
        if not timed or not all(_stated(n, numbers) for n in counts):
            del kept[key]
    return kept


SORT_ARGS = ("sort_by", "sort")
_RANKING_WORDS = re.compile(
    r"\b(?:top|bottom|most|least|fewest|highest|lowest|best|worst|largest|smallest|biggest|greatest|strongest|weakest|"
    r"rank|ranked|ranking|sort|sorted|order by|ordered|descending|ascending|leading|max|min|maximum|minimum)\b"
)


def drop_unstated_sort(args: dict[str, Any], said: str) -> dict[str, Any]:
    """``args`` without a sort order when ``said`` ranks nothing: "revenue by month" stays in month order."""
    if _RANKING_WORDS.search(said.lower()):
        return args
    return {k: v for k, v in args.items() if k not in SORT_ARGS}


_TRAILING_LIMIT = re.compile(r"\s+LIMIT\s+(\d+)\s*;?\s*$", re.IGNORECASE)


def drop_unstated_limit(args: dict[str, Any], said: str) -> dict[str, Any]:
    """``args`` with the outer ``LIMIT n`` of its ``sql`` removed when n > 1 and ``said`` does not state n.

    Only a limit that ends the statement is the outer one (a subquery's is followed by its bracket); the
    rest of the SQL is left exactly as written.
    """
    sql = args.get("sql")
    if not isinstance(sql, str):
        return args
    match = _TRAILING_LIMIT.search(sql)
    if match is None:
        return args
    n = int(match.group(1))
    if n <= 1 or _stated(float(n), stated_numbers(said)):
        return args
    return {**args, "sql": sql[: match.start()]}


def drop_ungrounded(args: dict[str, Any], said: str, required: set[str]) -> dict[str, Any]:
    """``args`` after every rule of this module (``required`` arguments keep their numbers)."""
    kept, _dropped = drop_unstated_numbers(args, said, required)
    for rule in (
        drop_unstated_conditions,
        drop_unstated_groupings,
        drop_unstated_periods,
        drop_unstated_limit,
        drop_unstated_sort,
    ):
        kept = rule(kept, said)
    return kept
