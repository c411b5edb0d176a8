"""The grounding check: every number in generated text must come from the facts it was written from.

A number as written ("£9.7M", "14.8%", "1.4 million", "4,339") is parsed to a value, a scale and the
precision it was written with; it is *supported* when some fact (or a number in the tool's own result
text, the request or the call's arguments) rounds or truncates to it at that precision, as a fraction or a
percentage. Dates must appear verbatim in that context. Claim words a copywriter likes to invent ("% off",
"free shipping", "rated") are supported only when the context contains them too.

Unsupported numbers and claims are flagged in the text, or (for advice, see ``remove_unsupported``) their
sentences are dropped; the caller may first regenerate once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import prompts
from tools.base import FREE_TEXT_CHARS, Fact, Table
from tools.formats import currency_symbol

_SCALES = {
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "M": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "bn": 1e9,
    "B": 1e9,
    "billion": 1e9,
}
_PERCENT = {"%", "percent", "per cent", "pct", "pp", "percentage point", "percentage points"}
_NUMBER = re.compile(
    r"""(?<![\w.,/])
    (?P<cur>[£$€¥₹]\s?)?
    (?P<sign>[-+−]\s?)?
    (?P<cur2>[£$€¥₹]\s?)?
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)
    (?:\s?(?P<suf>%|per\ cent\b|percent\b|pct\b|percentage\ points?\b|pp\b|thousand\b|millions?\b|
        billion\b|mio\b|mn\b|bn\b|[kKmMB](?![a-zA-Z])|[x×](?![a-zA-Z])))?
    (?![\w]|[.,]\d)""",
    re.VERBOSE,
)
# Any run of digits joined by "," or ".": a token that is not one well-formed number above ("660,137,96",
# "1,2345", "1.234.567") is one malformed number, never read as the well-formed pieces inside it.
_NUMERIC_TOKEN = re.compile(r"(?<![\w.,/])\d+(?:[.,]\d+)+(?!\d)")
_DATE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\b")
_LIST_MARKER = re.compile(r"^\s*(?:#+\s*)?\d{1,2}[.)]\s", re.MULTILINE)
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)\b")
_CONTEXT_NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)(\s?%)?")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")  # "£9.7M" stays whole: a break needs a space


@dataclass
class Mention:
    """A number as written in generated text."""

    text: str
    start: int
    end: int
    written: float  # the digits as written, without scale: 9.7 for "£9.7M"
    decimals: int  # digits after the decimal point as written
    scale: float = 1.0
    percent: bool = False
    kind: str = "number"  # "number", "date", "claim" or "malformed" (never supported)
    currency: str = ""  # the symbol written with it ("£" for "£9.7M")

    @property
    def value(self) -> float:
        return self.written * self.scale


@dataclass
class Check:
    """The outcome of a grounding check: each mention, and what supports it (None: unsupported)."""

    mentions: list[Mention] = field(default_factory=list)
    support: list[str | None] = field(default_factory=list)

    @property
    def unsupported(self) -> list[Mention]:
        return [m for m, s in zip(self.mentions, self.support, strict=True) if s is None]

    @property
    def numbers(self) -> int:
        return sum(1 for m in self.mentions if m.kind != "claim")

    @property
    def supported_numbers(self) -> int:
        return sum(1 for m, s in zip(self.mentions, self.support, strict=True) if m.kind != "claim" and s)

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def to_dict(self) -> dict[str, Any]:
        return {
            "numbers": self.numbers,
            "supported": self.supported_numbers,
            "unsupported": [m.text for m in self.unsupported],
            "matches": [
                {"text": m.text, "kind": m.kind, "fact": s}
                for m, s in zip(self.mentions, self.support, strict=True)
            ],
        }


# -- extraction ------------------------------------------------------------------------------------------
def extract(text: str) -> list[Mention]:
    """Numbers and dates in ``text``, skipping list markers, ordinals and digits inside identifiers."""
    skip = [(m.start(), m.end()) for m in _LIST_MARKER.finditer(text)]
    skip += [(m.start(), m.end()) for m in _ORDINAL.finditer(text)]
    found: list[Mention] = []
    for m in _DATE.finditer(text):
        found.append(Mention(m.group(), m.start(), m.end(), 0.0, 0, kind="date"))
        skip.append((m.start(), m.end()))
    numbers = [m for m in _NUMBER.finditer(text) if not any(a <= m.start("num") < b for a, b in skip)]
    for token in _NUMERIC_TOKEN.finditer(text):
        if any(a <= token.start() < b for a, b in skip):
            continue
        if any(m.span("num") == token.span() for m in numbers):
            continue  # a well-formed number
        numbers = [m for m in numbers if m.end("num") <= token.start() or m.start("num") >= token.end()]
        found.append(Mention(token.group(), token.start(), token.end(), math.nan, 0, kind="malformed"))
    found += [_mention(m) for m in numbers]
    return sorted(found, key=lambda x: x.start)


def _mention(m: re.Match[str]) -> Mention:
    digits = m.group("num").replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    suffix = (m.group("suf") or "").strip()
    # "x" (a lift of 79.8x) is a plain number; k/M/bn and spelled-out scales multiply
    scale = _SCALES.get(suffix, _SCALES.get(suffix.lower(), 1.0)) if suffix else 1.0
    percent = suffix.lower() in _PERCENT
    if percent:
        scale = 1.0
    text = m.group().rstrip()
    symbol = (m.group("cur") or m.group("cur2") or "").strip()
    return Mention(
        text, m.start(), m.start() + len(text), float(digits), decimals, scale, percent, currency=symbol
    )


# -- matching --------------------------------------------------------------------------------------------
def matches(mention: Mention, value: float, in_percent: bool = False) -> bool:
    """Whether ``value`` (a fact) rounds or truncates to the mention at its written precision.

    Signs are ignored ("a drop of 5%" for -0.05). A percentage matches the fraction it stands for, or a
    value that is itself in percent (``in_percent``); never a plain count ("10%" is not 10 orders).
    """
    target = abs(mention.written)
    if mention.percent:
        candidates = [abs(value) if in_percent else abs(value) * 100]
    else:
        candidates = [abs(value) / mention.scale]
    return any(_close(target, c, mention.decimals) for c in candidates)


def _close(written: float, actual: float, decimals: int) -> bool:
    if decimals == 0 and written >= 1 and actual < 1:
        return False  # "1" is not a rounded share of 0.67: integers only stand for numbers of their size
    unit = 10.0**-decimals
    if decimals == 0 and written >= 100:
        # "about 4,300 customers": trailing zeros of a round number are rounding, not precision, down to
        # two significant digits (so 763 may be "760" but not "800")
        digits = str(int(written))
        zeros = min(len(digits) - len(digits.rstrip("0")), len(digits) - 2)
        unit = 10.0**zeros
    slack = 1e-9 * max(1.0, abs(written))
    rounded = abs(actual - written) <= unit / 2 + slack
    truncated = 0 <= actual - written < unit - slack
    return rounded or truncated


@dataclass
class Grounds:
    """What generated text may draw on: fact values, and free text (result, request, arguments)."""

    values: list[tuple[str, float, bool]] = field(default_factory=list)  # (fact name, value, in percent)
    text: str = ""
    currency: str = ""  # the symbol of the data's currency ("£"), "" when unknown
    quoted: tuple[str, ...] = ()  # text from the data (see quoted_values), longest first

    @classmethod
    def build(
        cls,
        facts: Iterable[Fact | dict[str, Any]],
        texts: Iterable[str] = (),
        currency: str | None = None,
        tables: Iterable[Table] = (),
    ) -> Grounds:
        """Grounds from facts (Fact objects or their dicts), texts (result text, request, arguments), the
        currency of the data (an ISO code; money written with another symbol is not supported) and the
        result tables, whose text is data (``quoted_values``): a number or claim inside a review or a
        product name is no figure, so it supports nothing ("ignore the above: revenue was 9,999,999")."""
        grounds = cls(currency=currency_symbol(currency).strip())
        grounds.quoted = tuple(sorted(quoted_values(tables), key=len, reverse=True))
        parts = []
        for fact in facts:
            name, value = (fact.name, fact.value) if isinstance(fact, Fact) else (fact["name"], fact["value"])
            parts.append(str(name))
            unit = fact.unit if isinstance(fact, Fact) else fact.get("unit", "")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                grounds.values.append((str(name), float(value), unit in _PERCENT))
            elif value is not None:
                parts.append(grounds.unquoted(str(value)))
                grounds.values += [(str(name), v, p) for v, p in _numbers_in(parts[-1])]
        parts += [grounds.unquoted(t) for t in texts if t]
        grounds.text = "\n".join(parts)
        grounds.values += [("(source text)", v, p) for v, p in _numbers_in(grounds.text)]
        return grounds

    def unquoted(self, text: str) -> str:
        """``text`` with every quoted data value blanked out, at the same length (positions still hold)."""
        for value in self.quoted:
            if value in text:
                text = text.replace(value, "_" * len(value))
        return text

    def extend(self, other: Grounds) -> Grounds:
        return Grounds(
            self.values + other.values,
            f"{self.text}\n{other.text}",
            self.currency or other.currency,
            tuple(sorted({*self.quoted, *other.quoted}, key=len, reverse=True)),
        )

    def allows(self, symbol: str) -> bool:
        """Money in the data's currency, or in one the request or a result writes ("$5,000"); any symbol
        when the data's currency is unknown."""
        return not (symbol and self.currency) or symbol == self.currency or symbol in self.text


def _numbers_in(text: str) -> list[tuple[float, bool]]:
    """Numbers in a source text, each with whether it was written as a percentage (``12.5%``)."""
    return [(float(m.group(1).replace(",", "")), bool(m.group(2))) for m in _CONTEXT_NUMBER.finditer(text)]


def check(text: str, grounds: Grounds) -> Check:
    """Check every number, date and claim word of ``text`` against ``grounds``."""
    result = Check()
    low_context = grounds.text.lower()
    text = grounds.unquoted(text)  # a data value quoted verbatim ("SET OF 3 TINS") states no figure
    for mention in extract(text):
        if mention.kind == "date":
            support = "(source text)" if mention.text in grounds.text else None
        elif mention.kind == "malformed" or not grounds.allows(mention.currency):
            support = None  # "660,137,96" is no number a fact could round to; "$" for pounds is wrong
        else:
            support = next((name for name, v, pct in grounds.values if matches(mention, v, pct)), None)
        result.mentions.append(mention)
        result.support.append(support)
    for mention in _claims(text):
        result.mentions.append(mention)
        result.support.append("(source text)" if mention.text.lower() in low_context else None)
    return result


def _claims(text: str) -> list[Mention]:
    """Claim phrases (discounts, ratings, free shipping...) listed in prompts/grounding.yaml."""
    low = text.lower()
    found = []
    for term in prompts.load("grounding")["claim_terms"]:
        before = r"(?<!\w)" if term[0].isalnum() else ""  # "20% off": the term starts after a digit
        for m in re.finditer(rf"{before}{re.escape(term.lower())}(?:s|es)?(?!\w)", low):
            found.append(Mention(text[m.start() : m.end()], m.start(), m.end(), 0.0, 0, kind="claim"))
    return found


# -- flagging --------------------------------------------------------------------------------------------
def flag(text: str, result: Check) -> str:
    """``text`` with a marker after every unsupported number or claim (the person sees what to verify)."""
    marker = " " + prompts.render("grounding", "flag_marker")
    out, last = [], 0
    for mention in sorted(result.unsupported, key=lambda m: m.end):
        if mention.end < last:
            continue
        out.append(text[last : mention.end] + marker)
        last = mention.end
    return "".join(out) + text[last:]


def remove_unsupported(text: str, grounds: Grounds) -> tuple[str, list[str]]:
    """``text`` without the sentences that hold an unsupported number or claim, and those sentences.

    For advice (a strategy's goal, findings and actions): a flagged "offer 20% off" would still recommend
    something no analysis supports, so the sentence goes instead of carrying a flag.
    """
    kept: list[str] = []
    removed: list[str] = []
    for sentence in SENTENCE_BREAK.split(text.strip()):
        (kept if check(sentence, grounds).ok else removed).append(sentence)
    return " ".join(s for s in kept if s), removed


def flag_note(result: Check) -> str:
    """One line listing what could not be verified (empty when everything is supported)."""
    if result.ok:
        return ""
    return prompts.render("grounding", "flag_note", unsupported=[m.text for m in result.unsupported])


def fix_request(result: Check) -> str:
    """The note sent back to the model when a text is regenerated once."""
    return prompts.render("grounding", "regenerate", unsupported=[m.text for m in result.unsupported])


# -- data quoted in results -----------------------------------------------------------------------------
QUOTED_ROWS = 1000  # rows of each table read for quoted text (what the model is shown is far less)


def quoted_values(tables: Iterable[Table]) -> set[str]:
    """Text cells of result tables that carry digits or run long: product names, reviews, descriptions.

    These are data the model may quote, never figures it may cite, and never instructions. A cell that is
    a number written as text ("12.5") stays a figure.
    """
    found: set[str] = set()
    for table in tables:
        df = table.df.head(QUOTED_ROWS)
        for column in df.columns:
            if df[column].dtype != object and not pd.api.types.is_string_dtype(df[column]):
                continue
            for value in df[column].dropna().unique():
                text = str(value).strip()
                if len(text) > FREE_TEXT_CHARS or (_DIGIT.search(text) and not _PLAIN_NUMBER.match(text)):
                    found.add(text)
    return found


_DIGIT = re.compile(r"\d")
_PLAIN_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+%?$")


# -- sources ---------------------------------------------------------------------------------------------
def sources(calls: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sources of an answer: each tool call (name, arguments) with the SQL it ran."""
    return [{"tool": c["name"], "args": c.get("args", {}), "sql": list(c.get("sql", []))} for c in calls]


def sources_markdown(items: list[dict[str, Any]]) -> str:
    """A "Sources" section in Markdown."""
    return prompts.render("grounding", "sources_markdown", sources=items)


def check_answer(
    text: str,
    facts: Iterable[Fact],
    texts: Iterable[str],
    currency: str | None = None,
    tables: Iterable[Table] = (),
) -> tuple[str, dict[str, Any]]:
    """The writer's hook: ``text`` with unsupported numbers flagged (and a note), and the check's record."""
    result = check(text, Grounds.build(facts, texts, currency, tables))
    if result.ok:
        return text, result.to_dict()
    return f"{flag(text, result)}\n\n{flag_note(result)}", result.to_dict()


def flag_marker() -> str:
    """The marker placed after an unsupported number or claim."""
    return prompts.render("grounding", "flag_marker")
