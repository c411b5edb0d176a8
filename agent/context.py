"""What the model sees of the data: the schema card and the stored values a request mentions.

Both come from tools (``tools.schema.schema_prompt``, ``tools.values.match_values``) when those are
installed; until then a compact table/column listing stands in for the card and no values are matched.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from tools.values import CONFIDENT
from tools.workspace import Workspace

log = logging.getLogger(__name__)
SCHEMA_CHARS = 3000
MAX_VALUE_HINTS = 8
FUZZY_MIN = 0.8
# Words that are about the analysis, not values in the data.
STOP_WORDS = frozenset(
    """a an the and or of in on for to by with from at as is are was were be been do does did what which who how
    many much show me give list find only now then that those this these it its their our we us you my per each
    all any top best most least more less than over under between since during last first next same also not no
    revenue sales orders order customers customer units aov average rate share number count total sum mean
    month monthly week weekly day daily year yearly quarter hour weekday trend split group grouped by country
    countries product products table data please instead again just goes go bought buy buys sell sold together
    like similar want see tell about after before why when where can could would should will make get compare vs
    versus based value values lifetime spend price prices quantity""".split()  # noqa: SIM905
)


def schema_card(ws: Workspace, max_chars: int = SCHEMA_CHARS) -> str:
    """The compact schema card of the workspace's tables: the person's own (loaded) tables first, the
    current sales table first of them, in full detail while anything else can be shortened (beside a dozen
    demo tables, the table the person just loaded was a one-line afterthought)."""
    try:
        from tools.schema import schema_prompt
    except ImportError:
        return _column_listing(ws, max_chars)
    tables = ws.tables()
    own = sorted(
        (t for t in tables if ws.is_loaded(t)),
        key=lambda t: t != ws.sales_table(),
    )
    rest = [t for t in tables if t not in own]
    return schema_prompt(ws, own + rest, max_chars=max_chars, keep=len(own))


def _column_listing(ws: Workspace, max_chars: int) -> str:
    lines = []
    for table in ws.tables():
        columns = ", ".join(f"{name} {dtype.lower()}" for name, dtype in ws.columns(table))
        lines.append(f"{table}({columns})")
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 4].rsplit("\n", 1)[0] + "\n..."


def stated_values(ws: Workspace, text: str) -> list[tuple[str, Any]]:
    """(phrase, ``tools.values.ValueMatch``) for the stored values the request names, one per value.

    Each phrase of up to three words (stop words and analysis words left out) is matched on its own; only
    confident matches are kept (exact, case or synonym; fuzzy ones for phrases of two words or more), so a
    word like "revenue" never turns into a product name.
    """
    try:
        from tools.values import match_values
    except ImportError:
        return []
    found: dict[str, tuple[str, Any]] = {}
    named_in: dict[tuple[str, str], list[tuple[str, str]]] = {}  # column -> (phrase, the value it named)
    for phrase in candidate_phrases(text):
        try:
            matches = match_values(ws, phrase, limit=5, semantic=False)
        except Exception as e:  # noqa: BLE001 - a value index problem must not stop the question
            log.warning("value matching failed for %r: %s", phrase, e)
            return []
        # every table that stores the value exactly ("Canada" is a country of the demo data and of the
        # person's own table: the table choice must see both), else the best near match only
        exact = [m for m in matches if m.how in CONFIDENT]
        for m in exact or matches[:1]:
            confident = m.how in CONFIDENT or (len(phrase.split()) > 1 and m.score >= FUZZY_MIN)
            key = f"{m.table}.{m.column}={m.value}"
            others = [p for p, value in named_in.get((m.table, m.column), []) if value != m.value]
            if _inside_any(phrase, others):
                continue  # "refunded" of "partially refunded", which named another value of that column
            # one per value: the first phrase naming it, unless that was a near match and this one is exact
            # ("end up refunded" ~ 'refunded', then "refunded" itself)
            if confident and (key not in found or (found[key][1].how == "fuzzy" and m.how != "fuzzy")):
                found[key] = (phrase, m)
                named_in.setdefault((m.table, m.column), []).append((phrase, m.value))
    return list(found.values())[:MAX_VALUE_HINTS]


def _inside_any(phrase: str, longer: list[str]) -> bool:
    words = f" {phrase.lower()} "
    return any(words in f" {other.lower()} " and other != phrase for other in longer)


def value_hints(ws: Workspace, text: str, stated: list[tuple[str, Any]] | None = None) -> str:
    """Lines like ``"uk" -> online_retail.Country = 'United Kingdom'`` for stored values the request names."""
    stated = stated_values(ws, text) if stated is None else stated
    return "\n".join(f'"{phrase}" -> {m.table}.{m.column} = {m.value!r}' for phrase, m in stated)


def candidate_phrases(text: str, longest: int = 3) -> list[str]:
    """Runs of up to ``longest`` consecutive content words, longest first (quoted text kept whole)."""
    quoted = re.findall(r"[\"'“‘]([^\"'”’]{2,60})[\"'”’]", text)
    words = re.findall(r"[A-Za-z][\w&'-]*", text)
    runs: list[list[str]] = []
    current: list[str] = []
    for word in words:
        if word.lower() in STOP_WORDS:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(word)
    if current:
        runs.append(current)
    phrases = list(quoted)
    for n in range(longest, 0, -1):
        for run in runs:
            phrases += [" ".join(run[i : i + n]) for i in range(len(run) - n + 1)]
    return list(dict.fromkeys(p for p in phrases if len(p) >= 2))
