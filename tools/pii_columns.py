"""The person names a workspace holds: values of columns whose name says they are a person's name.

Name lists (tools.person_names) cannot know every surname, nor tell a lone first name from a word; a CRM
export's ``first_name`` or ``customer_name`` column can. Its values are matched exactly wherever they appear
in a prompt. A column called just ``name`` may hold products, so it counts only when most of a sample of
its values read as person names.
"""

from __future__ import annotations

from tools.person_names import find_names
from tools.roles import normalise
from tools.workspace import Workspace, quote_ident

PERSON_COLUMNS = frozenset(
    {
        "firstname",
        "lastname",
        "fullname",
        "surname",
        "forename",
        "givenname",
        "familyname",
        "middlename",
        "customername",
        "contactname",
        "clientname",
        "personname",
        "recipientname",
        "buyername",
        "shiptoname",
        "billtoname",
        "billingname",
        "shippingname",
    }
)
AMBIGUOUS_COLUMNS = frozenset({"name", "customer", "contact"})
MAX_VALUES = 50_000  # per column: a bound on memory and on the first prompt's wait
SAMPLE = 50

_cache: dict[str, frozenset[str]] = {}


def person_name_values(ws: Workspace) -> frozenset[str]:
    """Every distinct value of the workspace's person-name columns, read again after a table changes."""
    version = ws.version()
    if version not in _cache:
        _cache.clear()  # one workspace version at a time is what a process needs
        _cache[version] = frozenset(_read(ws))
    return _cache[version]


def _read(ws: Workspace) -> set[str]:
    values: set[str] = set()
    for table, columns in ws.columns_by_table().items():
        for column in columns:
            kind = normalise(column)
            if kind not in PERSON_COLUMNS and kind not in AMBIGUOUS_COLUMNS:
                continue
            sql = (
                f"SELECT DISTINCT trim(CAST({quote_ident(column)} AS VARCHAR)) AS v FROM {quote_ident(table)} "
                f"WHERE {quote_ident(column)} IS NOT NULL LIMIT {MAX_VALUES}"
            )
            found = [v for v in ws.query(sql, max_rows=MAX_VALUES)["v"].tolist() if _usable(v)]
            if kind in PERSON_COLUMNS or _mostly_people(found[:SAMPLE]):
                values.update(found)
    return values


def _usable(value: str) -> bool:
    """A value worth matching: letters, not a one-letter initial or a number."""
    return len(value) > 1 and any(c.isalpha() for c in value)


def _mostly_people(sample: list[str]) -> bool:
    whole = sum(1 for v in sample if [(0, len(v))] == list(find_names(v)))
    return bool(sample) and whole >= len(sample) / 2
