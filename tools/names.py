"""Name matching: fuzzy "did you mean ...?" hints (tables, columns, products), and the words of a name."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process, utils


def closest(name: str, candidates: list[str], cutoff: float = 60.0) -> str | None:
    """The candidate most like ``name`` (case-insensitive), or None when nothing is close."""
    found = closest_many(name, candidates, limit=1, cutoff=cutoff)
    return found[0][0] if found else None


def closest_many(
    name: str, candidates: list[str], limit: int = 5, cutoff: float = 60.0
) -> list[tuple[str, float]]:
    """Up to ``limit`` (candidate, score 0..100) pairs, best first."""
    if not candidates:
        return []
    matches = process.extract(
        name,
        candidates,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [(m[0], float(m[1])) for m in matches]


# Parts of column names that say nothing about what a column holds ("customer_id" is about customers).
_GENERIC_WORDS = frozenset(
    [
        "id",
        "no",
        "nr",
        "num",
        "number",
        "name",
        "code",
        "type",
        "key",
        "value",
        "values",
        "date",
        "time",
        "timestamp",
        "text",
        "the",
        "of",
        "and",
        "a",
        "per",
        "in",
        "to",
    ]
)


def stem(word: str) -> str:
    """A light stem, so "orders", "ordered" and "order" meet, "categories" meets "category" and "partially"
    meets "partial"."""
    word = word.lower()
    for suffix, keep, least in (
        ("ies", "y", 4),
        ("ing", "", 3),  # "opting" -> opt
        ("ed", "", 3),  # "opted" -> opt (Marketing Opt-In)
        ("es", "", 4),
        ("s", "", 4),
        ("ally", "al", 4),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= least:
            return word[: -len(suffix)] + keep
    return word


def name_words(name: str) -> set[str]:
    """The stemmed words of a name: ``CustomerID`` -> customer; ``customer_region`` -> customer, region."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    words = re.findall(r"[A-Za-z]+", spaced)
    return {stem(w) for w in words if w.lower() not in _GENERIC_WORDS and len(w) > 1}


def text_words(text: str) -> list[str]:
    """The stemmed words of a question, in order (generic words left out)."""
    return [stem(w) for w in re.findall(r"[A-Za-z]+", text) if w.lower() not in _GENERIC_WORDS]


_LITERALS = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+|\"[^\"]*\"|“[^”]*”")


def prose(text: str) -> str:
    """The person's own words: the text without e-mail and web addresses and double-quoted names, which
    may hold any word ("orders from cwalsh@outlook.com" asks for no outlook)."""
    return _LITERALS.sub(" ", text)


# Words that ask for an average: "average spend per order" divides by orders, it groups by nothing.
AVERAGE = re.compile(r"\b(?:average|avg|(?<!\bi )mean|typical|typically)\b", re.IGNORECASE)  # not "I mean"
