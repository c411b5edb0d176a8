"""Person names in free text, without an NER model (none can be downloaded here).

A name is found three ways, all bounded so product and place names stay readable:

- a title and the capitalised words after it: "Mr Patel", "Dr. Ana Lopes";
- a first name followed by a surname, both from Faker's person lists (a maintained package, several
  locales): "Olivia Bennett", "Mary Ann Smith", "Sean O'Neill";
- a value the workspace holds in a column whose name says it is a person's name (``known``, see
  tools.pii_columns): catches a lone "Olivia" from a first_name column, or a surname no list has.

Only Title-case words count (not ALL CAPS, so the demo's "ROSE CARAVAN DOORSTOP" stays), and words must be
separated by one space (table cells are not joined into one name). Missed by design: a lone first name in
prose ("thanks, Emma"), names in lower case or all caps, surnames outside the lists that no column holds,
names in other scripts. benchmarks/pii_eval.py measures precision and recall.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Set
from functools import cache

# Latin-script locales whose people a European or American shop mostly sees.
LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_NZ",
    "en_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "es_MX",
    "it_IT",
    "nl_NL",
    "pt_PT",
    "pt_BR",
    "pl_PL",
    "sv_SE",
    "da_DK",
    "no_NO",
    "fi_FI",
)
TITLES = frozenset(
    [
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Mx",
        "Dr",
        "Prof",
        "Sir",
        "Dame",
        "Lady",
        "Lord",
        "Mister",
        "Madam",
        "Herr",
        "Frau",
        "Monsieur",
        "Madame",
    ]
)
MAX_WORDS = 4  # "Mary Ann J. Smith" is as long as a name gets here
# A word: an initial ("J.") or letters with inner apostrophes or hyphens (O'Neill, Smith-Jones), the
# apostrophe also doubled as inside an SQL string ('O''Neill' in the schema card's sample values).
_WORD = re.compile(r"[^\W\d_]\.|[^\W\d_]+(?:(?:''|['’-])[^\W\d_]+)*")


@cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) from Faker's person providers, loaded once (about 60 ms)."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
            first.update(getattr(provider, attr, ()))
        last.update(getattr(provider, "last_names", ()))
    return frozenset(first), frozenset(last)


def find_names(text: str, known: Set[str] = frozenset()) -> Iterator[tuple[int, int]]:
    """(start, end) of each person name in ``text``, left to right, not overlapping; a title before a
    name stays outside it ("Dr <name>"), so the model still knows how to address the person.

    Args:
        text: any text (a prompt, a review, a table preview).
        known: exact values known to be person names (from the workspace's name columns).
    """
    for run in _capitalised_runs(text):
        i = 0
        while i < len(run):
            found = _name_at(run, i, known)
            if found is None:
                i += 1
                continue
            start, end = found
            yield run[start][0], run[end - 1][1]
            i = end


Run = list[tuple[int, int, str]]  # (start, end, word) of each word


def _capitalised_runs(text: str) -> Iterator[Run]:
    """Runs of Title-case words separated by one space (or ". " after a title)."""
    run: Run = []
    for m in _WORD.finditer(text):
        word = m.group()
        gap = text[run[-1][1] : m.start()] if run else ""
        joined = gap == " " or (gap == ". " and run[-1][2] in TITLES)
        if run and not (joined and _is_capitalised(word)):
            yield run
            run = []
        if _is_capitalised(word):
            run.append((m.start(), m.end(), word))
    if run:
        yield run


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and (_is_initial(word) or not word.isupper())


def _after_title(words: list[str], i: int, first: Set[str], last: Set[str]) -> tuple[int, int] | None:
    """The name after a title: its words from the lists ("Dr Ana Lopes"), or one word that ends the run
    ("Mrs Okafor and ..."); a longer run of other words is a product ("Dr. Jam's Arouzer Stress Ball")."""
    end = i
    while end < min(len(words), i + MAX_WORDS - 1) and (
        words[end] in first or words[end] in last or _is_initial(words[end])
    ):
        end += 1
    if end > i:
        return i, end
    return (i, i + 1) if i + 1 == len(words) else None


def _is_initial(word: str) -> bool:
    return len(word) == 2 and word.endswith(".")


def _name_at(run: Run, i: int, known: Set[str]) -> tuple[int, int] | None:
    """(start, end) word indexes of the name beginning at ``run[i]`` (after a title there), or None."""
    words = [w.replace("''", "'").replace("’", "'") for _, _, w in run]
    for j in range(min(len(run), i + MAX_WORDS), i, -1):  # a known value, longest first
        if " ".join(words[i:j]) in known:
            return i, j
    first, last = name_lists()
    if words[i] in TITLES and i + 1 < len(run):
        return _after_title(words, i + 1, first, last)
    if _is_initial(words[i]) and i + 1 < len(run) and words[i + 1] in last:
        return i, i + 2  # "J. Smith"
    if words[i] not in first:
        return None
    end = None
    for j in range(i + 1, min(len(run), i + MAX_WORDS)):
        if words[j] in last:
            end = j + 1
        elif not (words[j] in first or _is_initial(words[j])):
            break
    return None if end is None else (i, end)
