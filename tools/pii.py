"""Private data in text: e-mail addresses, phone numbers, card and account numbers, person names.

The detectors are maintained libraries plus narrow patterns: phone numbers by ``phonenumbers`` (Google's
libphonenumber, the matcher presidio's PhoneRecognizer runs), valid numbers only, national UK and US
formats and any international one written with ``+``; card numbers by pattern, issuer prefix and Luhn
checksum, IBANs by pattern and their mod-97 check (both from ``python-stdnum``); other account numbers only
after the word "account" (or "acct", "a/c", "sort code"), since a bare 8-17 digit number is as likely an
order id or a barcode; person names by tools.person_names. presidio-analyzer itself is not used: importing
it loads spaCy, transformers and torch (4 s), and its e-mail check fetches the public suffix list from the
internet; its pattern recognizers add nothing these checks lack.

Numbers that are not private (amounts, dates, stock codes, order and customer ids) are left alone: every
numeric detector needs a checksum, a valid phone numbering plan, or the word "account" next to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass

import phonenumbers
from stdnum import iban, luhn

from tools.person_names import find_names

KINDS = ("EMAIL", "IBAN", "CARD", "PHONE", "ACCOUNT", "PERSON")  # also the order overlaps are settled in
PHONE_REGIONS = ("GB", "US")  # national formats read; "+..." numbers of every country are read anyway

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_%+-])?"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
# 13-19 digits in groups separated by single spaces or hyphens, not inside a longer number or a decimal.
_CARD = re.compile(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d]|[.,]\d)")
_CARD_PREFIX = re.compile(r"3[47]|3[068]|4|5[1-5]|2[2-7]|6")  # Amex, Diners, Visa, Mastercard, Discover
_ACCOUNT = re.compile(
    r"(?i:\b(?:account|acct|a/c)(?:\s*(?:no\.?|number|num|#))?\s*[:#]?\s*)(\d(?:[ -]?\d){7,16})(?!\d)"
    r"|(?i:\bsort[ -]?code\s*[:#]?\s*)(\d\d-\d\d-\d\d)(?!\d)"
)
_PHONE_HINT = re.compile(r"\d[\d ().-]{5,}\d")  # the matcher is slow; skip texts without a digit run


@dataclass(frozen=True)
class Span:
    """One private value found in a text."""

    start: int
    end: int
    kind: str  # one of KINDS

    def of(self, text: str) -> str:
        return text[self.start : self.end]


def find_pii(text: str, known_names: Set[str] = frozenset()) -> list[Span]:
    """The private values in ``text``, sorted, never overlapping (an e-mail wins over a name inside it).

    Args:
        text: any text.
        known_names: values known to be person names (tools.pii_columns), matched exactly.
    """
    found: list[Span] = []
    for kind in KINDS:
        spans = find_names(text, known_names) if kind == "PERSON" else _PATTERNS[kind](text)
        for start, end in spans:
            if not any(s.start < end and start < s.end for s in found):
                found.append(Span(start, end, kind))
    return sorted(found, key=lambda s: s.start)


def _emails(text: str) -> Iterator[tuple[int, int]]:
    return ((m.start(), m.end()) for m in _EMAIL.finditer(text))


def _ibans(text: str) -> Iterator[tuple[int, int]]:
    for m in _IBAN.finditer(text):
        candidate = m.group()
        # The pattern may take in a following word ("... 7654 32 BANK"): drop trailing groups until valid.
        while len(candidate) >= 15:
            if iban.is_valid(candidate):
                yield m.start(), m.start() + len(candidate)
                break
            candidate = candidate[: candidate.rfind(" ")] if " " in candidate else candidate[:-1]


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if _CARD_PREFIX.match(digits) and luhn.is_valid(digits) and _grouped(m.group()):
            yield m.start(), m.end()


def _grouped(number: str) -> bool:
    """Written as a card is: no separators, or groups of 4 (Amex 4-6-5, Diners 4-6-4)."""
    groups = re.split(r"[ -]", number)
    return len(groups) == 1 or (len(groups[0]) == 4 and all(len(g) <= 6 for g in groups))


def _phones(text: str) -> Iterator[tuple[int, int]]:
    if not _PHONE_HINT.search(text):
        return
    seen: set[tuple[int, int]] = set()
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if (match.start, match.end) not in seen:
                seen.add((match.start, match.end))
                yield match.start, match.end


def _accounts(text: str) -> Iterator[tuple[int, int]]:
    for m in _ACCOUNT.finditer(text):
        group = 1 if m.group(1) else 2
        yield m.start(group), m.end(group)


_PATTERNS: dict[str, Callable[[str], Iterator[tuple[int, int]]]] = {
    "EMAIL": _emails,
    "IBAN": _ibans,
    "CARD": _cards,
    "PHONE": _phones,
    "ACCOUNT": _accounts,
}
