"""Reading the question with code, before any model call: what it states is the ground truth of the call.

A small model re-typing "December 2010" writes ``{"op": "between", "value": "2010-12-01"}`` and a month
becomes a day; asked about the table a person just loaded, it copies ``online_retail`` from a worked
example. So code reads what the question states — its period, its top-N, the metrics it names, the
groupings it asks for, the stored values it names, the table it is about — and the call is made to agree:
the model's value is replaced where it contradicts the question and added where it was dropped. The model
decides only what is still open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from agent.arg_guard import NUMBER_WORDS, speaks_of_time
from tools.arg_types import COMPARED, PERIOD, PERIOD_END, PERIOD_START, TABLE, TOP, fields_with_role
from tools.base import ToolError
from tools.names import AVERAGE
from tools.periods import MONTHS, Period, parse_period
from tools.values import CONFIDENT
from tools.workspace import quote_ident

if TYPE_CHECKING:
    from agent.state import ConversationState
    from tools.base import Tool
    from tools.values import ValueMatch
    from tools.workspace import Workspace

# -- periods ---------------------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19|20)\d\d"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_TH = r"(?:st|nd|rd|th)?"
_NOT_A_COUNT = r"(?<!top )(?<!bottom )(?<!first )(?<!last )"  # "top 5 March 2011 ..." ranks, it is no day
# A day written without its year ("Nov 29 - Dec 2, 2024"): the range's other end gives the year.
_NO_YEAR = "----"
_ORDINAL_QUARTER = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
# One period as written, most specific first; each alternative is turned into text parse_period reads.
_POINT = re.compile(
    # a financial year: "FY 2023/24", "financial year 2024-25", "FY23/24", or "2023/24" alone
    r"(?P<fy>(?:\b(?:fy|financial\s+year|fiscal\s+year|tax\s+year)\s*'?(?P<fa>(?:19|20)?\d\d)\s*[/-]"
    rf"|\b(?P<fc>{_YEAR})/)(?P<fb>\d\d)\b)"
    rf"|(?P<iso>{_YEAR}-\d{{1,2}}-\d{{1,2}})"
    rf"|(?P<qy>\bq(?P<q1>[1-4])\s*(?:of\s+|,\s*)?(?P<y1>{_YEAR})\b)"
    rf"|(?P<yq>\b(?P<y2>{_YEAR})\s*[-/ ]?\s*q(?P<q2>[1-4])\b)"
    rf"|(?P<oq>\b(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+(?:of\s+)?(?P<y3>{_YEAR})\b)"
    rf"|(?P<half>\b(?:(?P<hord>first|second|1st|2nd)\s+half|h(?P<hn>[12]))\s+(?:of\s+)?(?P<y6>{_YEAR})\b)"
    rf"|(?P<yh>\b(?P<y7>{_YEAR})\s*[-/ ]?\s*h(?P<hn2>[12])\b)"
    rf"|(?P<mdd>\b(?P<m8>{_MONTH})\.?\s+(?P<da>{_DAY}){_TH}\s*(?:-|–|to|through|until)\s*(?P<db>{_DAY}){_TH},?\s+"
    rf"(?P<y10>{_YEAR})\b)"
    rf"|(?P<ddm>{_NOT_A_COUNT}\b(?P<dc>{_DAY}){_TH}\s*(?:-|–|to|through|until)\s*(?P<dd>{_DAY}){_TH}\s+(?:of\s+)?"
    rf"(?P<m9>{_MONTH})\.?,?\s+(?P<y11>{_YEAR})\b)"
    rf"|(?P<dmy>{_NOT_A_COUNT}\b(?P<d1>{_DAY}){_TH}\s+(?:of\s+)?(?P<m4>{_MONTH})\.?,?\s+(?P<y8>{_YEAR})\b)"
    rf"|(?P<mdy>\b(?P<m5>{_MONTH})\.?\s+(?P<d2>{_DAY}){_TH},?\s+(?P<y9>{_YEAR})\b)"
    rf"|(?P<dm>{_NOT_A_COUNT}\b(?P<d3>{_DAY}){_TH}\s+(?:of\s+)?(?P<m6>{_MONTH})\b\.?(?!,?\s*\d))"
    rf"|(?P<md>\b(?P<m7>{_MONTH})\.?\s+(?P<d4>{_DAY}){_TH}\b(?!,?\s*(?:\d|{_MONTH})))"
    rf"|(?P<my>\b(?P<m1>{_MONTH})\.?,?\s+(?:of\s+)?(?P<y4>{_YEAR})\b)"
    rf"|(?P<ym>\b(?P<y5>{_YEAR})[-/](?P<m2>0?[1-9]|1[0-2])\b(?!-\d))"
    rf"|(?P<rel>\b(?:last|past|previous|final)\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+"
    r"(?:day|week|month|quarter|year)s?\b)"
    r"|(?P<cal>\b(?:last|previous|this|current)\s+(?:week|month|quarter|year)\b)"
    r"|(?P<ytd>\b(?:ytd|year[\s-]to[\s-]date)\b)"
    rf"|(?P<year>(?<![\d-]){_YEAR}(?![\d-]))"
    rf"|(?P<month>\b(?P<prep>in|during|for|since|from|until|before|after|to|and|of)\s+(?P<m3>{_MONTH})\b(?!\s+\d))",
    re.IGNORECASE,
)
_RANGE_WORDS = re.compile(r"\b(?:from|between)\s*$", re.IGNORECASE)
_RANGE_JOIN = re.compile(r"^\s*(?:to|and|until|through|-)\s*(?:the\s+end\s+of\s+)?$", re.IGNORECASE)
_OPEN_START = re.compile(r"\b(?:since|from|after|starting(?:\s+in)?)\s*$", re.IGNORECASE)
_OPEN_END = re.compile(r"\b(?:until|till|up\s+to|through)\s+(?:the\s+end\s+of\s+)?$", re.IGNORECASE)
_BEFORE = re.compile(r"\bbefore\s*$", re.IGNORECASE)
# Whole counts written as words ("top five"), from the argument guard's list of number words.
_NUMBER_WORDS = {
    w: int(n) for w, n in NUMBER_WORDS.items() if float(n).is_integer() and n >= 1 and " " not in w
}


# "(April to March)", "our year runs July to June": twelve months from the first, a financial year's months
_YEAR_SPAN = re.compile(
    rf"\b(?P<first>{_MONTH})\s+(?:to|-|–|through|until)\s+(?P<last>{_MONTH})\b", re.IGNORECASE
)
FISCAL_START = 4  # a split year ("2023/24") starts in April unless the question says otherwise (UK, India)


def _fiscal_start(text: str) -> tuple[int, tuple[int, int] | None]:
    """The month a financial year starts in, and where the question says so (a span of twelve months)."""
    for m in _YEAR_SPAN.finditer(text):
        first, last = MONTHS[m["first"][:3].lower()], MONTHS[m["last"][:3].lower()]
        if (first - last) % 12 == 1:
            return first, m.span()
    return FISCAL_START, None


def _fiscal_year(m: re.Match[str], start: int) -> str | None:
    """ "2023-04..2024-03" for "FY 2023/24" starting in April; None for two years that do not follow."""
    first = m["fa"] or m["fc"]
    year = int(first) if len(first) == 4 else 2000 + int(first)
    if (year + 1) % 100 != int(m["fb"]):
        return None
    end_month = (start - 2) % 12 + 1  # the month before the first
    return f"{year}-{start:02d}..{year + (start > 1)}-{end_month:02d}"


def _point_text(m: re.Match[str], fiscal_start: int = FISCAL_START) -> str:
    """One matched period as text that tools.periods.parse_period reads."""
    g = m.groupdict()
    if g["fy"]:
        return _fiscal_year(m, fiscal_start) or m.group(0)
    if g["iso"]:
        return g["iso"]
    if g["qy"]:
        return f"{g['y1']}-Q{g['q1']}"
    if g["yq"]:
        return f"{g['y2']}-Q{g['q2']}"
    if g["oq"]:
        return f"{g['y3']}-Q{_ORDINAL_QUARTER[g['ord'].lower()]}"
    if g["half"]:
        half = g["hn"] or ("1" if g["hord"].lower() in ("first", "1st") else "2")
        return f"{g['y6']}-H{half}"
    if g["yh"]:
        return f"{g['y7']}-H{g['hn2']}"
    if g["mdd"] or g["ddm"]:  # "March 3-9, 2024", "1 - 7 June 2011"
        name, year, first, last = (
            (g["m8"], g["y10"], g["da"], g["db"]) if g["mdd"] else (g["m9"], g["y11"], g["dc"], g["dd"])
        )
        return f"{_iso(year, name, first)}..{_iso(year, name, last)}"
    if g["dmy"] or g["mdy"]:
        month_name, day, year = (g["m4"], g["d1"], g["y8"]) if g["dmy"] else (g["m5"], g["d2"], g["y9"])
        return _iso(year, month_name, day)
    if g["dm"] or g["md"]:
        month_name, day = (g["m6"], g["d3"]) if g["dm"] else (g["m7"], g["d4"])
        return _iso(_NO_YEAR, month_name, day)
    if g["my"]:
        return f"{g['m1'].lower()} {g['y4']}"
    if g["ym"]:
        return f"{g['y5']}-{int(g['m2']):02d}"
    if g["rel"]:
        words = g["rel"].lower().split()
        count = words[1] if words[1].isdigit() else str(_NUMBER_WORDS[words[1]])
        return f"last {count} {words[2]}"
    if g["cal"]:
        return " ".join(g["cal"].lower().split())
    if g["ytd"]:
        return "this year"
    if g["year"]:
        return g["year"]
    return g["m3"].lower()


def _iso(year: str, month_name: str, day: str) -> str:
    """``2024-11-29`` from the year, the month's name as written ("Nov", "november") and the day."""
    return f"{year}-{MONTHS[month_name[:3].lower()]:02d}-{int(day):02d}"


def _before(text: str, point: re.Match[str]) -> str:
    """The text before a matched period, with the preposition a bare month's match swallowed."""
    return text[: point.start()] + (f" {point.group('prep')} " if point.group("prep") else "")


# A date of another event than a sale ("customers born before 1970", "who signed up in 2024") is a condition
# on that event's own column (a birth year, a sign-up date), not the period of the sales.
_OTHER_EVENT = re.compile(
    r"\b(?P<event>born|birth|signed\s+up|sign[\s-]?ups?|joined|registered|registration|founded|established)\b"
    r"(?:\s+[\w-]+){0,2}\s*$",
    re.IGNORECASE,
)


def read_event_periods(text: str) -> list[tuple[str, str]]:
    """(the event, its period) for each date of another event than a sale: "customers who signed up in
    2024" -> ("signed up", "2024"); a condition on that event's own date column."""
    out = []
    for point in _POINT.finditer(text):
        before = _before(text, point)
        event = _OTHER_EVENT.search(before)
        if event and not point.group("fy"):
            period = _point_text(point)
            if _BEFORE.search(before):
                period = f"before {period}"
            elif _OPEN_START.search(before):
                period = f"since {period}"
            out.append((" ".join(event.group("event").lower().split()), period))
    return out


def _period_points(text: str) -> tuple[list[re.Match[str]], int]:
    """The periods written in ``text`` (not those of another event than a sale), and the month its
    financial years start in."""
    points = [p for p in _POINT.finditer(text) if not _OTHER_EVENT.search(_before(text, p))]
    start, span = _fiscal_start(text)
    if span and any(p.group("fy") for p in points):  # "(April to March)" says when the year starts
        points = [p for p in points if not span[0] <= p.start() < span[1]]
    return [p for p in points if not p.group("fy") or _fiscal_year(p, start)], start


# Words that set two periods against each other: "Q4 2024 compared with Q4 2023", "grow from 2023 to 2024"
_COMPARES_PERIODS = re.compile(
    r"\b(?:vs\.?|versus|compar\w*|against|grow\w*|grew|growth|chang\w*|increas\w*|decreas\w*|declin\w*|"
    r"drop\w*|dropped|ris(?:e|en)|rose|f[ae]ll\w*|differ\w*|yoy|year[- ]on[- ]year|year[- ]over[- ]year)\b",
    re.IGNORECASE,
)


def read_comparison(text: str) -> tuple[str, str] | None:
    """(the later period, the earlier one) when the question sets two periods against each other ("how did
    Q4 2024 compare with Q4 2023", "growth from FY 2023/24 to FY 2024/25"); None otherwise."""
    if not _COMPARES_PERIODS.search(text):
        return None
    points, start = _period_points(text)
    texts = list(dict.fromkeys(_point_text(m, start) for m in points))
    if len(texts) != 2 or any(t.startswith(_NO_YEAR) for t in texts):
        return None
    try:
        first, second = (parse_period(t, date.today) for t in texts)
    except ToolError:
        return None
    if first.relative or second.relative or first.start is None or second.start is None:
        return None
    return (texts[0], texts[1]) if first.start > second.start else (texts[1], texts[0])


def read_period(text: str) -> str | None:
    """The one period the question states, as text ``parse_period`` reads; None when it states none.

    Two points joined by to/and/until make a range ("from March to June 2011"), "since X" an open range;
    two unrelated periods ("2010 against 2011") are not one period, so None: the model handles comparisons.
    """
    points, start = _period_points(text)
    fiscal = [p for p in points if p.group("fy")]
    if len(fiscal) == 1 and len(points) > 1:  # "FY 2024/25 (April 2024 to March 2025)": restated in full
        restated = read_period(text[: fiscal[0].start()] + text[fiscal[0].end() :])
        if restated and _same_period(restated, _point_text(fiscal[0], start)):
            return restated
    # a year restated by a finer period of it ("Black Week 2024, I mean 25 Nov to 2 Dec 2024") is that period
    points = [
        p
        for p in points
        if not (p.group("year") and any(p.group("year") in o.group(0) for o in points if o is not p))
    ]
    if not points:
        return None
    texts = [_point_text(m, start) for m in points]
    between = text[points[0].end() : points[1].start()] if len(points) == 2 else ""
    ranged = _RANGE_JOIN.match(between) and (
        not re.fullmatch(r"\s*and\s*", between) or _RANGE_WORDS.search(_before(text, points[0]))
    )
    if ranged:
        left, right = texts[0].split("..")[0], texts[1].split("..")[-1]  # a financial year is a range
        if re.fullmatch(r"[a-z]+", left) and re.search(_YEAR, right):  # "March to June 2011"
            left = f"{left} {right[-4:]}" if re.fullmatch(rf"[a-z]+ {_YEAR}", right) else left
        if left.startswith(_NO_YEAR) and re.match(_YEAR, right):  # "Nov 29 - Dec 2, 2024"
            left = right[:4] + left[len(_NO_YEAR) :]
        return None if _NO_YEAR in f"{left}{right}" else f"{left}..{right}"
    if len(set(texts)) != 1 or texts[0].startswith(_NO_YEAR):  # a day without a year: the model decides
        return None
    before = _before(text, points[0])
    if _OPEN_START.search(before):
        return f"since {texts[0]}"
    if _OPEN_END.search(before):
        return f"..{texts[0]}"  # up to the end of it
    if _BEFORE.search(before):
        return f"before {texts[0]}"
    return texts[0]


def _same_period(a: str, b: str) -> bool:
    try:
        first, second = (parse_period(t, date.today) for t in (a, b))
    except ToolError:
        return False
    return (first.start, first.end) == (second.start, second.end)


# -- top-N -----------------------------------------------------------------------------------------------

_COUNT = r"(\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")"
_RANK = (
    r"(?:best|top|biggest|largest|most|highest|leading|worst|lowest|smallest|least|bottom|fewest|greatest|"
    r"minimum|maximum|cheapest|oldest|youngest|newest|earliest|longest|shortest)"
)
_TOP_PATTERNS = (
    re.compile(rf"\b(?:top|bottom)[\s-]*{_COUNT}\b", re.IGNORECASE),
    re.compile(
        rf"\b(?:which|what|the|our|list|show|name)\s+{_COUNT}\s+(?!(?:days?|weeks?|months?|quarters?|years?|times?)\b)[a-z]",
        re.IGNORECASE,
    ),
    re.compile(rf"\b(?:the\s+)?{_COUNT}\s+{_RANK}\b", re.IGNORECASE),
    re.compile(rf"\b(?:first|best|worst|leading)\s+{_COUNT}\b", re.IGNORECASE),
)
# "Which country had the most orders?" asks for one row; "which products sold most" for a ranking.
_WHICH_ONE = (
    re.compile(rf"\b(?:which|what)\s+(?:single\s+)?([a-z]+)\b[^?]*?\b{_RANK}\b", re.IGNORECASE),
    re.compile(
        rf"\b(?:the|our|my)\s+{_RANK}[\s-]+(?:selling\s+|performing\s+|spending\s+|ordering\s+)?([a-z]+)\b"
        rf"(?!\s+(?:\d|{'|'.join(_NUMBER_WORDS)}))",
        re.IGNORECASE,
    ),
)


def read_top(text: str) -> int | None:
    """The number of rows the question asks for ("top 5", "the 10 best", "which country ... most" = 1)."""
    for pattern in _TOP_PATTERNS:
        if m := pattern.search(text):
            word = m.group(1).lower()
            n = int(word) if word.isdigit() else _NUMBER_WORDS[word]
            if not (1900 <= n < 2100):  # "top 2011" is no count
                return n
    for pattern in _WHICH_ONE:
        for m in pattern.finditer(text):
            noun = m.group(1).lower()
            if not noun.endswith("s") and noun not in _NOT_NOUNS:
                return 1
    return None


_NOT_NOUNS = frozenset(
    [
        "much",
        "many",
        "time",
        "is",
        "was",
        "are",
        "were",
        "has",
        "had",
        "did",
        "does",
        "do",
        "of",
        "the",
        "a",
        "an",
    ]
)


# How a table choice was made from the question itself (not from the conversation or the workspace).
EVIDENCE = ("named", "values", "columns", "column", "period")
STRONG_EVIDENCE = ("named", "values", "columns")

_AGGREGATE = re.compile(
    r"\b(?:how\s+many|how\s+much|share|proportion|percentage|percent|average|avg|mean|count|number\s+of|"
    r"total|sum|most|least|fewest|highest|lowest|per|each)\b",
    re.IGNORECASE,
)


def asks_aggregate(text: str) -> bool:
    """The question asks for a count, share, average, total or ranking ("how many reviews gave 5 stars")."""
    return bool(_AGGREGATE.search(text))


_ONE_FIGURE = re.compile(
    r"^\W*(?:(?:on\s+average|overall|in\s+total|all\s+in\s+all)\W+)?"
    r"(?:how\s+(?:many|much)|what\s+(?:share|percentage|proportion|fraction|percent)"
    r"|(?:count|find|give|return|show|tell\s+me|what\s+is|what's|what\s+was)\s+(?:me\s+)?(?:the\s+|our\s+)?"
    r"(?:total\s+|overall\s+)?(?:number|count)\s+of"
    r"|what\s+(?:is|was|were|are|'s)\s+(?:the\s+|our\s+)?(?:total|overall|average|mean)"
    r"|what\s+did\b(?![^?.]*\b(?:most|least|best|worst)\b)(?=[^?.]*\b(?:make|earn|bring|spend|generate)\b))\b",
    re.IGNORECASE,
)
# "What have we sold in total over the two years?": one figure, whatever the sentence opens with
_IN_TOTAL = re.compile(r"\b(?:in\s+total|altogether|all\s+in\s+all|all\s+told|combined)\b", re.IGNORECASE)
# Words that ask for rows, not one figure: "how many orders did each country place".
_BREAKDOWN = re.compile(
    r"\b(?:which|each|every|per|by|across|split|breakdown|broken|respectively|list|trend|over\s+time|"
    r"compare[ds]?|versus|vs|top|rank(?:ed|ing)?)\b",
    re.IGNORECASE,
)


# The thing a count is of: "how many different households ...", "the number of orders ...".
_COUNTED = re.compile(
    r"\b(?:how\s+many|number\s+of|count\s+(?:of\s+)?(?:the\s+)?(?!number\b|total\b))\s*"
    r"(?:different\s+|distinct\s+|unique\s+|individual\s+|separate\s+)?([a-z]+)",
    re.IGNORECASE,
)


def read_counted(text: str) -> str | None:
    """The noun a question counts ("How many households redeemed a coupon?" -> households), else None."""
    nouns = (m.group(1).lower() for m in _COUNTED.finditer(text))
    return next((noun for noun in nouns if noun not in _NOT_NOUNS), None)


def asks_for_rows(text: str) -> bool:
    """The question asks for rows: a breakdown, a ranking, a list or a comparison ("each", "by", "top")."""
    return bool(_BREAKDOWN.search(text))


def asks_one_figure(text: str) -> bool:
    """The question asks for a single number ("How many customers ordered in 2024?", "How much did London
    customers spend?"): a grouping the model adds (per customer) answers something else."""
    asked = _ONE_FIGURE.search(text) or _IN_TOTAL.search(text)
    return bool(asked) and not _BREAKDOWN.search(text)


# -- the reading -----------------------------------------------------------------------------------------


@dataclass
class Reading:
    """What the question states, read by code.

    Attributes:
        period: the period as text ``parse_period`` reads ("2011", "december 2010", "2011-Q3", "last month").
        top: the number of rows asked for.
        table: the table the question is about, and ``table_why`` how that was decided.
        named_tables: every table whose name the question uses (``table`` among them when it is
            ``named``).
        sales_table: the same choice among sales tables only, for the tools that need one.
        values: stored values it names (confident matches of the value index).
        groupings: words after "by"/"per"/"each" ("region", "month").
        one_figure: it asks for a single number (``asks_one_figure``).
        rows: it asks for rows (``asks_for_rows``); neither this nor ``one_figure`` when it does not say.
        counted: the noun it counts ("how many households" -> households; ``read_counted``).
        names_time: it names a time, period or time grouping (``speaks_of_time``).
        continues: it is asked after an earlier call in the conversation (a period may come from there).
        compared: (the later period, the earlier one) when it sets two periods against each other
            (``read_comparison``); ``period`` is then None: neither is the one period of the question.
        records: (column, value) of the orders or customers it names by their id ("order KH-24210").
        summary: it asks for a figure over rows (how many, how much, an average, a share).
        events: (event, period) of dates of another event than a sale (``read_event_periods``).
    """

    @property
    def looks_up(self) -> bool:
        """It asks about named orders or customers themselves ("pull up order KH-24210"), not a figure."""
        return bool(self.records) and not self.summary

    question: str
    period: str | None = None
    compared: tuple[str, str] | None = None
    top: int | None = None
    table: str | None = None
    table_why: str = ""
    named_tables: list[str] = field(default_factory=list)
    sales_table: str | None = None
    values: list[ValueMatch] = field(default_factory=list)
    groupings: list[str] = field(default_factory=list)
    one_figure: bool = False
    rows: bool = False
    counted: str | None = None
    names_time: bool = False
    continues: bool = False
    records: list[tuple[str, str]] = field(default_factory=list)
    summary: bool = False
    events: list[tuple[str, str]] = field(default_factory=list)

    def states_same_as(self, other: Reading) -> bool:
        """Both questions state the same period, top-N, groupings, values and numbers (a rewording of one
        request, not the same words about another year or country)."""

        def stated(r: Reading) -> tuple[Any, ...]:
            values = sorted((v.table, v.column, v.value) for v in r.values)
            numbers = sorted(re.findall(r"\d+(?:\.\d+)?", r.question))
            return r.period, r.compared, r.top, sorted(r.groupings), values, numbers

        return stated(self) == stated(other)

    def describe(self) -> str:
        """Lines for the model's prompt: what is already settled, so it need not re-type it."""
        lines = []
        if self.table and self.table_why in EVIDENCE:
            lines.append(f"The question is about table {self.table}.")
        if self.period:
            lines.append(f"Period stated: {self.period}.")
        if self.compared:
            lines.append(f"Periods compared: {self.compared[0]} against {self.compared[1]}.")
        return "\n".join(lines)

    # -- making a call agree ------------------------------------------------------------------------------
    def apply(
        self, tool: Tool, args: dict[str, Any], ws: Workspace, follow_up: bool = False
    ) -> dict[str, Any]:
        """``args`` made to agree with what the question states (each rule acts through argument roles).

        In a follow-up, ``args`` are the previous call's: the table changes only when the question names
        another one (by name, columns or values), and the tool's own refinement knows it is a follow-up.
        """
        out = dict(args)
        model = tool.Args
        table = self.sales_table if not follow_up or self.table_why in EVIDENCE else None
        for name in fields_with_role(model, TABLE):
            if table:
                out[name] = table
        if self.top is not None:
            for name in fields_with_role(model, TOP):
                out[name] = self.top
        compared_fields = fields_with_role(model, COMPARED)
        for name in compared_fields:  # a comparison is the question's, never the model's idea
            if self.compared:
                out[name] = self.compared[1]
            elif not follow_up:
                out.pop(name, None)
        if self.compared and compared_fields:
            for name in fields_with_role(model, PERIOD):
                out[name] = self.compared[0]
        elif self.period:
            out = self._apply_period(out, model, ws)
        elif not follow_up and not speaks_of_time(self.question):
            # The guard keeps a period when what was said speaks of time, and hint lines said "date";
            # a question that names no time is about all of it.
            for role in (PERIOD, PERIOD_START, PERIOD_END):
                for name in fields_with_role(model, role):
                    out.pop(name, None)
        refine = getattr(
            tool, "refine_args", None
        )  # a tool may read more of the question (metrics, groupings)
        return refine(out, self, follow_up) if callable(refine) else out

    def _apply_period(self, args: dict[str, Any], model: Any, ws: Workspace) -> dict[str, Any]:
        text_fields = fields_with_role(model, PERIOD)
        starts, ends = fields_with_role(model, PERIOD_START), fields_with_role(model, PERIOD_END)
        for name in text_fields:
            args[name] = self.period
        if (starts or ends) and not text_fields:
            period = self.resolved_period(ws)
            if period is not None:
                for name in starts:
                    args[name] = period.start.isoformat() if period.start else None
                last = period.last_day()
                for name in ends:
                    args[name] = last.isoformat() if last else None
        return args

    def resolved_period(self, ws: Workspace) -> Period | None:
        """The period as dates (relative ones counted from the table's last date); None if it cannot be."""
        if not self.period:
            return None
        try:
            return parse_period(self.period, lambda: _last_date(ws, self.sales_table))
        except ToolError:
            return None


def _last_date(ws: Workspace, table: str | None):
    from tools.metric_sql import TableContext

    return TableContext(ws, table or ws.sales_table()).last_date()


def read_question(
    ws: Workspace, question: str, state: ConversationState | None, values: list[ValueMatch]
) -> Reading:
    """Read ``question`` (``values``: the stored values it names, from ``agent.context.stated_values``)."""
    from agent.tables import choose_table, named_tables

    # Only values the question names exactly (any case, or a known synonym) are ground truth: a fuzzy
    # match ("discount code" ~ a product called "Discount") is a hint for the model, not a filter.
    exact = [m for m in values if m.how in CONFIDENT]
    compared = read_comparison(question)
    period = None if compared else read_period(question)
    reading = Reading(
        question=question, period=period, top=read_top(question), values=exact, compared=compared
    )
    reading.groupings = read_groupings(question)
    reading.one_figure = asks_one_figure(question)
    reading.rows = asks_for_rows(question)
    reading.counted = read_counted(question)
    reading.names_time = speaks_of_time(question)
    reading.continues = bool(state and state.last_call)
    reading.table, reading.table_why = choose_table(ws, question, reading, state)
    reading.named_tables = named_tables(ws, question)
    reading.sales_table, _ = choose_table(ws, question, reading, state, sales_only=True)
    reading.records = read_records(ws, question, reading.sales_table)
    reading.summary = bool(_SUMMARY.search(question))
    reading.events = read_event_periods(question)
    return reading


# Words of the sales themselves: a question without them about a customers file is about that file alone
_SALES_WORDS = re.compile(
    r"\b(?:revenue|sales?|sold|sell\w*|spen[dt]\w*|orders?|ordered|ordering|bought|buy\w*|purchas\w*|units?|"
    r"aov|baskets?|turnover|takings|made|make|earn\w*|paid|pay\w*)\b",
    re.IGNORECASE,
)
# "accounts that never placed an order", "customers who have not bought yet": rows without sales, which
# only a query of both tables finds
_WITHOUT_SALES = re.compile(
    r"\b(?:never|not\s+yet|haven'?t|hasn'?t|have\s+not|has\s+not|did\s+not|didn'?t|no)\s+(?:\w+\s+){0,2}?"
    r"(?:ordered|order|orders|bought|buy|purchased|purchase|placed|sold|shopped)\b",
    re.IGNORECASE,
)


def speaks_of_sales(text: str) -> bool:
    """The question names the sales (revenue, orders, what was bought), not only who or what exists."""
    return bool(_SALES_WORDS.search(text))


def asks_without_sales(text: str) -> bool:
    """It asks for the customers or products that have no sales ("accounts that never ordered")."""
    return bool(_WITHOUT_SALES.search(text))


_SUMMARY = re.compile(
    r"\b(?:how\s+many|how\s+much|average|avg|mean|number\s+of|count|in\s+total|sum\s+of|share|percentage|"
    r"proportion|fraction)\b",
    re.IGNORECASE,
)
# A token that may be a record's id: letters, digits and dashes with a digit in it ("KH-24210", "#2500"), or
# an e-mail address (a shop keys its customers by it)
_ID_TOKEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|#?\b(?=[\w-]*\d)[A-Za-z0-9][\w-]{2,}\b")


def read_records(ws: Workspace, question: str, table: str | None) -> list[tuple[str, str]]:
    """(column, stored value) of each order or customer id of ``table`` the question names."""
    tokens = [t for t in dict.fromkeys(_ID_TOKEN.findall(question)) if not re.fullmatch(r"(?:19|20)\d\d", t)]
    if not table or not tokens:  # most questions name no id: no roles to read, no query to run
        return []
    roles = ws.roles(table)
    columns = [c for c in (roles["order_id"], roles["customer_id"]) if c]
    forms = list(dict.fromkeys([*tokens, *(f"#{t}" for t in tokens if not t.startswith("#"))]))
    marks = ", ".join("?" for _ in forms)
    found = []
    for column in columns:
        q = f"CAST({quote_ident(column)} AS VARCHAR)"
        df = ws.query(f"SELECT DISTINCT {q} AS v FROM {quote_ident(table)} WHERE {q} IN ({marks})", forms)
        found += [(column, v) for v in df["v"]]
    return found


# The words after the keyword are looked ahead at, not consumed: "per customer in each segment" has two.
_GROUPING = re.compile(
    r"\b(?:by|per|for\s+each|each|across|split\s+by|broken\s+down\s+by)\s+(?=([^.,;:?!()]+))",
    re.IGNORECASE,
)
# Where a grouping's words end: "by region in 2023", "per customer for the top 5".
_GROUPING_END = re.compile(
    r"\s+(?:in|for|during|since|from|with|top|of|the|on|at|where|who|which|that|over|between|only|now|"
    r"instead|please|sorted|ordered|showing|show|as|to|is|was|were|are|last|this|first)\b.*$|\s+\d.*$",
    re.IGNORECASE,
)


_DENOMINATOR = re.compile(
    r"(?:an?\s+)?(?:orders?|invoices?|transactions?|baskets?|purchases?|customers?|buyers?|visits?)\b",
    re.IGNORECASE,
)

_TIME_ADVERBS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "hourly": "hour",
    "weekdays?": "weekday",  # "which day of the week ..." reads as "which weekday ..." (_TIME_PHRASES)
}
# Time groupings written in several words, read as one ("by day of the week" is no grouping by day)
_TIME_PHRASES = (
    (re.compile(r"\bdays?\s+of\s+(?:the\s+)?week\b", re.IGNORECASE), "weekday"),
    (re.compile(r"\bhours?\s+of\s+(?:the\s+)?day\b", re.IGNORECASE), "hour"),
)


def read_groupings(text: str) -> list[str]:
    """The words after "by", "per", "each" ("revenue by region and channel" -> region, channel), and the
    grain of "monthly", "weekly"..."""
    for phrase, word in _TIME_PHRASES:
        text = phrase.sub(word, text)
    found: list[str] = [
        grain for word, grain in _TIME_ADVERBS.items() if re.search(rf"\b{word}\b", text, re.IGNORECASE)
    ]
    averaging = bool(AVERAGE.search(text))
    for m in _GROUPING.finditer(text):
        tail = _GROUPING_END.sub("", " " + m.group(1)).strip()
        if averaging and m.group(0).lower().startswith("per") and _DENOMINATOR.match(tail):
            continue  # "average spend per order" divides by orders; it groups by nothing
        for piece in re.split(r"\s*(?:,|&|\band\b|\bor\b)\s*", tail):
            words = " ".join(piece.split()[:2]).lower()
            if words and not re.fullmatch(rf"{_YEAR}|\d+", words):
                found.append(words)
    return list(dict.fromkeys(found))


# -- requests that name two analyses ----------------------------------------------------------------------

_ANALYSIS_VERBS = (
    r"write|draft|suggest|propose|create|make|find|show|list|compute|calculate|segment|cluster|recommend|"
    r"build|give|run|compare|predict|estimate|plot|draw|summari[sz]e|analy[sz]e|mine|search|score|report"
)
_STEP_JOIN = re.compile(
    rf"(?:,\s*|\s+)(?:and\s+then|then|and\s+also|and|;)\s+(?=(?:{_ANALYSIS_VERBS})\b)|;\s*|\.\s+(?:then\s+)?(?=(?:{_ANALYSIS_VERBS})\b)",
    re.IGNORECASE,
)
MAX_STEPS = 3


def split_requests(text: str) -> list[str]:
    """The analyses a request names in order ("segment the customers and write a strategy for each
    segment" -> two); one part when it names one. Whether the parts really need different tools is the
    router's call (agent.assistant)."""
    parts = [p.strip(" ,.;") for p in _STEP_JOIN.split(text) if p and p.strip(" ,.;")]
    if len(parts) < 2 or any(len(p.split()) < 2 for p in parts):
        return [text]
    return parts[:MAX_STEPS]
