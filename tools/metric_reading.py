"""What a question states about a metric query, made true of its arguments: the metrics it names, the
groupings it asks for ("by region"), the stored values it names ("Germany"), and no date condition beside
a stated period (the period is the ``date_range``; a model-written date filter is where a year became a
day).

``reading`` is the agent's reading of the question (``agent.question.Reading``): this module only uses its
``question``, ``period``, ``groupings``, ``values`` (``tools.values.ValueMatch``) and ``sales_table``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from tools.base import ToolError
from tools.metric_defs import Catalog
from tools.metric_sql import DIMENSION_ALIASES, NAMED_DIMENSIONS, TIME_GRAINS, TableContext
from tools.names import AVERAGE, name_words, stem, text_words

# A metric word right after these is what is ranked or grouped, not what is measured:
# "top 5 customers by revenue", "revenue per customer" ("by revenue" still names the metric).
_GROUPED_BEFORE = re.compile(
    r"(?:\btop\s*\w*|\bbottom\s*\w*|\bwhich|\bwhat|\beach|\bper|\bevery|\bbest|\bworst|\bfor\s+each|"
    r"\bthe\s+\d+)\s+$",
    re.IGNORECASE,
)
_TIME_COLUMNS = {*TIME_GRAINS, "date", "time", "timestamp", "period", "weekday", "hour"}


# Words people use for the entities the metrics count, read as the metric names' own words: "what share
# of invoices were cancelled" names the cancellation rate as "share of orders cancelled" does.
_ENTITY_WORDS = {
    "order": re.compile(r"\b(?:invoice|transaction|purchase)(?=s?\b)"),
    "customer": re.compile(r"\b(?:client|buyer|shopper)(?=s?\b)"),
}


_ASKS_SHARE = re.compile(
    r"\b(?:share|fraction|proportion|percentage|percent|portion)\s+of\b|\bas\s+a\s+(?:share|percentage|"
    r"fraction|proportion)\b|%\s+of\b"
)


_ARTICLES = re.compile(r"\b(?:a|an|the)\s+", re.IGNORECASE)


def _in_metric_words(question: str) -> str:
    """The question as metric names are matched: lower case, without articles ("items in a web order"
    names "items in an order"), entity words as the metrics name them."""
    low = _ARTICLES.sub("", question.lower())
    for word, synonyms in _ENTITY_WORDS.items():
        low = synonyms.sub(word, low)
    return low


def stated_metrics(catalog: Catalog, question: str) -> list[str]:
    """The metrics ``question`` names (name or alias, longest phrase first), in the order it names them."""
    low = _in_metric_words(question)
    phrases = []
    for metric in catalog.metrics.values():
        for phrase in (metric.name, metric.name.replace("_", " "), *metric.aliases):
            phrases.append((_ARTICLES.sub("", phrase.lower()), metric.name))
    phrases.sort(key=lambda p: -len(p[0]))
    taken = [False] * len(low)
    found: list[tuple[int, str]] = []
    for phrase, name in phrases:
        # the words of a longer name may stand apart: "orders were cancelled" names "orders cancelled", and
        # its last word may be any form of its verb ("orders did we refund" names "orders refunded")
        words = [re.escape(w) + "(?:s|es)?" for w in phrase.split()]
        if len(words) > 1:
            last = phrase.split()[-1]
            words[-1] = rf"(?:{re.escape(last)}|{re.escape(stem(last))}(?:s|es|ed|d|ing)?)"
        pattern = r"\s+(?:\w+\s+){0,2}?".join(words)
        for m in re.finditer(rf"\b{pattern}\b", low):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            before = low[: m.start()]
            # "by revenue" ranks by a metric; "by customer" groups by the customer dimension; a phrase
            # of several words is measured ("what share of orders were cancelled")
            grouped = (len(words) == 1 and _GROUPED_BEFORE.search(before)) or (
                name == "customers" and re.search(r"\bby\s+$", before)
            )
            if not grouped:
                found.append((m.start(), name))
    share = _ASKS_SHARE.search(low)
    if share:
        # "what fraction of orders end up refunded": the share of orders that are cancelled orders is the
        # cancellation rate (the count's ratio metric), not their number
        found = [(at, catalog.rate_of(name) or name if at >= share.start() else name) for at, name in found]
    if _asks_for_money(question):
        # "how much" asks for an amount, never a count: "how much did London customers spend" is money
        found = [(at, name) for at, name in found if catalog.metrics[name].format != "count"]
        if not found and "revenue" in catalog.metrics:
            return ["revenue"]
    return list(dict.fromkeys(name for _, name in sorted(found)))


_HOW_MUCH_MONEY = re.compile(
    r"\bhow\s+much\b[^?.]*?\b(?:sell|sold|make|made|earn|earned|take|took|bring|brought|spend|spent|come|"
    r"came|generate|generated)\b"
    # "what did Dutch customers spend", "what did Black Week bring in" ("what did we sell" asks for products)
    r"|\bwhat\s+did\b[^?.]*?\b(?:make|earn|bring|spend|generate)\b",
    re.IGNORECASE,
)
_RANKING = re.compile(r"\b(?:most|least|best|worst|top|bottom)\b", re.IGNORECASE)


def _asks_for_money(question: str) -> bool:
    """ "How much did we sell / make / spend", "what did the app bring in", "how much came through the
    app" (an average of it is another metric: aov; "what did we make the most on" ranks)."""
    return bool(_HOW_MUCH_MONEY.search(question)) and not (
        AVERAGE.search(question) or _RANKING.search(question)
    )


def names_metric_in_full(catalog: Catalog, question: str) -> bool:
    """The question names a metric by a name of two or more words, written out ("average basket value",
    "repeat customer rate"), or by its acronym ("AOV"): a metric question, whatever tool its single words
    ("basket") suggest."""

    def words_of(text: str) -> str:
        return " ".join(stem(w) for w in re.findall(r"[a-z]+", text.lower()))

    low = words_of(question)
    # a one-word name written as an acronym ("AOV", "GMV") is a term of art, as good as written out
    acronyms = {w.lower() for w in re.findall(r"\b[A-Z]{2,5}\b", question)}
    for metric in catalog.metrics.values():
        for phrase in (metric.name.replace("_", " "), *metric.aliases):
            words = words_of(phrase)
            if len(words.split()) >= 2 and re.search(rf"\b{re.escape(words)}\b", low):
                return True
            if phrase.lower() in acronyms:
                return True
    return False


_HOW_MANY = re.compile(
    r"^\W*(?:(?:on\s+average|overall|in\s+total)\W+)?how\s+(?:many|much)\s+((?:[\w-]+\s+){0,2}[\w-]+)",
    re.IGNORECASE,
)


def asks_for_a_metric(catalog: Catalog, question: str) -> bool:
    """ "How many orders ...", "how many different customers ...", "how much did we sell": the figure
    asked for is a metric ("how many lines have a quantity over 2" counts lines, which no metric is)."""
    m = _HOW_MANY.match(question)
    return bool(m and stated_metrics(catalog, m.group(1))) or _asks_for_money(question)


def refine_metric_args(
    catalog: Catalog, ctx_of, args: dict[str, Any], reading: Any, follow_up: bool = False
) -> dict[str, Any]:
    """``args`` of ``metric_query`` agreeing with ``reading``; ``ctx_of(table)`` gives a TableContext.

    In a follow-up (``args`` are the previous call's): a named value replaces the filter on its column and
    that column's grouping ("now United Kingdom by month" is no longer by country); new groupings are
    added, or replace the old ones with "instead"; a new time grouping drops an unrestated top-N and sort
    (a monthly series keeps all its months, in order).
    """
    out = dict(args)
    out["metrics"] = _agreeing_metrics(catalog, reading.question, out.get("metrics"))
    try:
        ctx: TableContext = ctx_of(out.get("table"))
    except ToolError:
        return out  # an unknown table: the tool's own error says so
    metric_words = _metric_words(catalog, out["metrics"])
    filters = [
        f
        for f in out.get("filters") or []
        if isinstance(f, dict) and not _names_the_metric_value(metric_words, f)
    ]
    values = _values_beside_metrics(metric_words, reading.values)
    # a metric is no grouping ("10 best-selling products by units" ranks by units), nor is a stated value
    # ("sales of Garden Tools": its filter is added below)
    stated = {m.value.lower() for m in values if ctx.reaches(m.table, m.column)}
    by = [
        d
        for d in _as_list(out.get("by"))
        if not _is_metric(catalog, str(d))
        and str(d).lower() not in stated
        and not _names_the_metric(metric_words, str(d), reading.groupings)
    ]
    if follow_up:
        named = {m.column for m in values if ctx.reaches(m.table, m.column)}
        filters = [f for f in filters if _column_of(ctx, f.get("column")) not in named]
        by = [d for d in by if _column_of(ctx, d) not in named]
        if _INSTEAD.search(reading.question) and reading.groupings:
            by = []
    if getattr(reading, "one_figure", False) and not follow_up and not reading.groupings:
        by = _one_figure_groupings(ctx, by, values)
        for key in ("grain", "top", "sort", "sort_by"):
            out.pop(key, None)
    if not follow_up and any(_is_time_dimension(ctx, g, parts=True) for g in reading.groupings):
        # the question states its time grouping ("which day of the week"): the model's other one goes
        by = [d for d in by if not _is_time_dimension(ctx, d, parts=True)]
    had_time = any(_is_time_dimension(ctx, d) for d in [*by, out.get("grain")] if d)
    out["by"] = _with_groupings(ctx, catalog, by, reading.groupings)
    if reading.top and not out["by"]:  # a top-N ranks something: the dimension the question names
        out["by"] = _with_groupings(ctx, catalog, [], _named_dimensions(reading.question))[:1]
    if follow_up and not had_time and any(_is_time_dimension(ctx, d) for d in out["by"]):
        if reading.top is None:
            out.pop("top", None)
        if not _RANKS.search(reading.question):
            out.pop("sort", None)
            out.pop("sort_by", None)
    if reading.period or getattr(reading, "compared", None):
        filters = [f for f in filters if not _is_time_filter(ctx, f)]
    out["filters"] = _with_values(ctx, filters, values)
    if not follow_up:
        out["filters"] = _with_flags(ctx, out["filters"], out["by"], reading.question)
        out["filters"] = _with_event_dates(ctx, out["filters"], getattr(reading, "events", []))
    out = _cancelled_part(catalog, ctx, out, reading.values)
    if not follow_up:  # a share only where the question asks for one (a follow-up keeps the last call's)
        out.pop("share", None)
        if _ASKS_SHARE.search(reading.question.lower()):
            # "what fraction of orders were voided": the voided orders' count became cancelled orders; its
            # share of the orders is the count's rate
            metrics = [catalog.rate_of(m) or m for m in _resolved(catalog, out.get("metrics"))]
            rates = [m for m in metrics if m in catalog.metrics and catalog.metrics[m].quotient]
            out["metrics"] = rates or metrics  # the share itself, not the count beside it
            out = _cancelled_part(catalog, ctx, out, reading.values)
            if _a_part_of_counts(catalog, out):
                out["share"] = True
    return {k: v for k, v in out.items() if v not in ([], None) or k in args}


def _a_part_of_counts(catalog: Catalog, args: dict[str, Any]) -> bool:
    """ "What share of 2024 revenue came through the app": an amount or count of a part (a filter or a
    grouping) has a share of the whole (a ratio metric is a share already)."""
    metrics = [catalog.metrics[m] for m in _resolved(catalog, args.get("metrics")) if m in catalog.metrics]
    part = bool(args.get("filters") or args.get("by"))
    return part and bool(metrics) and not any(m.quotient for m in metrics)


_ORDER_COUNTS = {"orders", "cancelled_orders"}
_CANCELLATIONS = {"cancelled_orders", "cancellation_rate"}


def _cancelled_part(
    catalog: Catalog, ctx: TableContext, args: dict[str, Any], values: list[Any]
) -> dict[str, Any]:
    """Statuses the question names, where a status column marks cancelled orders, say which cancellations
    are meant: "how many orders have been refunded" (voided orders cancel too) counts the refunded ones, and
    "voided orders" are no orders that stood (which exclude them); "what proportion of orders get refunded"
    is the cancellation rate of refunded orders (metric_query narrows what counts as cancelled to the
    statuses filtered); all of them named ("refunded or voided", "orders, not counting cancelled or
    refunded ones") is the metric as a whole. A named status filters; it is no grouping."""
    metrics = set(_resolved(catalog, args.get("metrics")))
    if ctx.roles.cancel_status is None or not metrics:
        return args
    column, statuses = ctx.roles.cancel_status[0], set(ctx.roles.cancel_status[1])
    named = list(dict.fromkeys(v.value for v in values if v.table == ctx.table and v.column == column))
    said = {v.lower().strip() for v in named}
    if named and not said & statuses and metrics <= _CANCELLATIONS:
        # "how many orders got a partial refund": a status of orders that stood, counted as orders (a
        # share of them as the orders' share), not as cancellations
        out = {**args, "metrics": ["orders"]}
        return {**out, "share": True} if "cancellation_rate" in metrics else out
    if not named or not said <= statuses:
        return args  # no status named, or one that stands ("paid") beside them: the model's call as it is
    if metrics <= _ORDER_COUNTS and said != statuses:
        metrics = {"cancelled_orders"}
    elif not metrics <= _CANCELLATIONS | _ORDER_COUNTS:
        return args
    filters = [f for f in args.get("filters") or [] if _column_of(ctx, f.get("column")) != column]
    if said != statuses:
        filters.append(
            {"column": column, "op": "=", "value": named[0]}
            if len(named) == 1
            else {"column": column, "op": "in", "values": named}
        )
    by = [d for d in _as_list(args.get("by")) if _column_of(ctx, d) != column]  # named, so not a grouping
    return {**args, "metrics": sorted(metrics), "filters": filters, "by": by}


_INSTEAD = re.compile(r"(?:instead|rather)|^\s*(?:now\s+)?by", re.IGNORECASE)
_RANKS = re.compile(r"(?:top|most|least|highest|lowest|best|worst|rank|sort|sorted|largest|smallest)", re.I)


_RANKED_NOUNS = re.compile(
    r"\b(products?|items?|best[\s-]?sellers?|countr(?:y|ies)|customers?|categor(?:y|ies)|regions?|channels?|"
    r"months?|days?|weeks?|stores?|brands?|departments?)\b",
    re.IGNORECASE,
)
_NOUN_DIMENSION = {"item": "product", "items": "product", "best seller": "product", "best sellers": "product"}


def _metric_words(catalog: Catalog, metrics: Any) -> set[str]:
    """The words of the chosen metrics' names and aliases."""
    words: set[str] = set()
    for name in _resolved(catalog, metrics):
        if name in catalog.metrics:
            for phrase in (name, *catalog.metrics[name].aliases):
                words |= name_words(phrase.replace(" ", "_"))
    return words


def _names_the_metric(metric_words: set[str], dimension: str, groupings: list[str]) -> bool:
    """A grouping the question does not ask for whose word is part of the metric's name: "customer" in
    "what is the repeat customer rate" names the rate; it is no row per customer."""
    words = name_words(dimension)
    if any(words & name_words(g.replace(" ", "_")) for g in groupings):
        return False
    return bool(words) and words <= metric_words


def _names_the_metric_value(metric_words: set[str], condition: dict[str, Any]) -> bool:
    """A condition whose values are words of a chosen metric's names: "status = Cancelled" beside the
    cancellation rate is the rate's own numerator; as a filter it would make every order a cancelled one."""
    values = condition.get("values") or [condition.get("value")]
    words = [name_words(str(v).replace(" ", "_")) for v in values if v not in (None, "")]
    return bool(words) and all(w and w <= metric_words for w in words)


def _values_beside_metrics(metric_words: set[str], values: list[Any]) -> list[Any]:
    """The stated values that are no words of a chosen metric's names: in "how many orders were cancelled
    or refunded", the statuses Cancelled and Refunded name cancelled_orders; they filter nothing."""
    return [m for m in values if not (name_words(m.value.replace(" ", "_")) or {""}) <= metric_words]


def _one_figure_groupings(ctx: TableContext, by: list[Any], values: list[Any]) -> list[Any]:
    """The groupings a one-figure question keeps: only a column it names two values of ("how many orders
    came from Scotland and Wales" is a figure for each); "how many customers" is no row per customer."""
    named = Counter(match.column for match in values if ctx.reaches(match.table, match.column))
    return [d for d in by if named[_column_of(ctx, d) or ""] >= 2]


# "top 5 SKUs", "the 10 best brands": the noun after a top-N is what is ranked
_TOP_NOUN = re.compile(
    r"\b(?:top|bottom|best|worst|the|our)\s+(?:\d+|[a-z]+)\s+(?:best[\s-]selling\s+|selling\s+)?([a-z]+)",
    re.IGNORECASE,
)


def _named_dimensions(question: str) -> list[str]:
    """What a ranking is over, as dimension names: the noun after the top-N ("top 5 SKUs" -> skus), then
    nouns a ranking is usually over ("our 3 best sellers" -> product)."""
    found = [m.group(1).lower() for m in _TOP_NOUN.finditer(question)]
    for m in _RANKED_NOUNS.finditer(question):
        noun = re.sub(r"[\s-]+", " ", m.group(1).lower())
        found.append(_NOUN_DIMENSION.get(noun, noun))
    return found


def _as_list(value: Any) -> list[Any]:
    return [v for v in (value if isinstance(value, list) else [value]) if v]


def _is_time_dimension(ctx: TableContext, name: Any, parts: bool = False) -> bool:
    """Whether ``name`` is a time grain (with ``parts``, also a part of the day or week: hour, weekday)."""
    try:
        kind = ctx.dimension(str(name).replace(" ", "_")).kind
    except ToolError:
        return False
    return kind in TIME_GRAINS or (parts and kind in ("weekday", "hour"))


def _agreeing_metrics(catalog: Catalog, question: str, chosen: Any) -> Any:
    """The metrics the question names, then the model's others that the question's words support
    ("cancelled_orders" for "how many orders were cancelled"); the model's own when it names none."""
    stated = stated_metrics(catalog, question)
    if not stated:
        return chosen
    words = set(text_words(question))
    supported = [m for m in _resolved(catalog, chosen) if m in catalog.metrics and name_words(m) <= words]
    both = list(dict.fromkeys([*supported, *stated])) if supported else stated
    # "orders" read in "orders were cancelled" is part of cancelled_orders, not a metric of its own
    return [m for m in both if not any(m != o and name_words(m) < name_words(o) for o in both)]


def _resolved(catalog: Catalog, names: Any) -> list[str]:
    out = []
    for name in names if isinstance(names, list) else [names] if isinstance(names, str) else []:
        try:
            out.append(catalog.resolve(str(name)).name)
        except ToolError:
            out.append(str(name))
    return out


MISSPELT = 85  # rapidfuzz ratio of a word to a column name it misspells (chanel / channel: 92)


def _with_groupings(ctx: TableContext, catalog: Catalog, by: Any, groupings: list[str]) -> list[str]:
    """``by`` plus each grouping the question asks for that names a dimension of the table."""
    dims = _as_list(by)
    have = {_dimension_name(ctx, d) for d in dims}
    for words in groupings:
        if _is_metric(catalog, words):  # "by quantity" ranks by units; it groups by nothing
            continue
        for candidate in (words, words.replace(" ", "_"), words.split()[-1]):
            name = _dimension_name(ctx, candidate)
            if name and name not in catalog.metrics:
                if name not in have:
                    dims.append(candidate if _dimension_name(ctx, candidate, plural=False) else name)
                    have.add(name)
                break
        else:
            misspelt = _misspelt_column(ctx, words)
            if misspelt and misspelt not in have:
                dims.append(misspelt)
                have.add(misspelt)
    return dims


def _misspelt_column(ctx: TableContext, word: str) -> str | None:
    """The one column of the table a misspelt word means ("per chanel": Channel)."""
    from rapidfuzz import fuzz

    scores = {c: fuzz.ratio(word.lower(), c.lower().replace("_", " ")) for c in ctx.columns}
    close = [c for c, score in scores.items() if score >= MISSPELT]
    return close[0] if len(close) == 1 else None


def _is_metric(catalog: Catalog, words: str) -> bool:
    """A metric's name that is no dimension's ("quantity" is; "customers" is a dimension too)."""
    if words.replace(" ", "_") in NAMED_DIMENSIONS or words.replace(" ", "_") in DIMENSION_ALIASES:
        return False
    try:
        catalog.resolve(words)
    except ToolError:
        return False
    return True


def _dimension_name(ctx: TableContext, word: str, plural: bool = True) -> str | None:
    """The dimension ``word`` names (with ``plural``, also as its singular: "skus" -> sku)."""
    forms = (word, word[:-1] if plural and word.endswith("s") else word)
    for candidate in dict.fromkeys(forms):
        try:
            return ctx.dimension(candidate).name
        except ToolError:
            continue
    return None


_ISO_DAY = re.compile(r"^(?:19|20)\d\d-\d\d(?:-\d\d)?$")


def _is_time_filter(ctx: TableContext, condition: dict[str, Any]) -> bool:
    column = str(condition.get("column", "")).strip().lower()
    if column in _TIME_COLUMNS:
        return True
    try:
        dim = ctx.dimension(column)
    except ToolError:
        # a date column of another table, copied from an example ("InvoiceDate" over a shop's export)
        return bool(re.search(r"date|time", column)) or any(
            _ISO_DAY.match(str(v)) for v in [condition.get("value"), *(condition.get("values") or [])]
        )
    return dim.kind in TIME_GRAINS or dim.dtype.upper().startswith(("DATE", "TIMESTAMP"))


def _with_values(ctx: TableContext, filters: list[dict[str, Any]], values: list[Any]) -> list[dict[str, Any]]:
    """``filters`` plus an equality for each stored value of this table that the question names."""
    filtered = {_column_of(ctx, f.get("column")) for f in filters}
    named: dict[str, list[str]] = {}
    for match in values:
        if ctx.reaches(match.table, match.column) and match.column not in filtered:
            named.setdefault(match.column, []).append(match.value)
    added = [
        {"column": column, "op": "=", "value": found[0]}
        if len(found) == 1
        else {"column": column, "op": "in", "values": list(dict.fromkeys(found))}
        for column, found in named.items()
    ]
    return [*filters, *added]


# A yes/no column named beside these words is compared, not a condition ("subscribers vs non-subscribers")
_COMPARES = re.compile(r"\b(?:vs|versus|compared?|against|or\s+not|split|by|per|each)\b", re.IGNORECASE)
_NEGATED = re.compile(
    r"(?:\b(?:non|not|no|without|never|excluding|exclude|except|other\s+than|apart\s+from|leave\s+out|"
    r"leaving\s+out)|n't)[\s-]*(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


def _with_flags(
    ctx: TableContext, filters: list[dict[str, Any]], by: list[Any], question: str
) -> list[dict[str, Any]]:
    """``filters`` plus a condition on each yes/no or optional column the question names and neither
    filters nor groups by: "orders from newsletter subscribers" keeps the rows where Newsletter is true ("not
    on the newsletter": false), "orders that used a discount code" those where the code is present ("without
    a discount code": absent)."""
    if _COMPARES.search(question):
        return filters
    grouped = {_column_of(ctx, d) for d in by}
    filtered = {_column_of(ctx, f.get("column")) for f in filters}
    words = set(text_words(question))
    added: list[dict[str, Any]] = []
    for column in [*ctx.flags(), *ctx.optional_columns()]:
        named = name_words(column)
        flag = _dtype(ctx, column) == "BOOLEAN"
        if column in grouped or not named or not named <= words or (column in filtered and not flag):
            continue
        # a yes/no column: the question says which way ("leave out subscription renewals"), not the model
        filters = [f for f in filters if _column_of(ctx, f.get("column")) != column]
        found = (m.start() for w in named for m in re.finditer(rf"\b{re.escape(w)}", question.lower()))
        said = not _NEGATED.search(question[: min(found, default=0)])
        if flag:
            added.append({"column": column, "op": "=", "value": said})
        else:
            added.append({"column": column, "op": "present" if said else "absent"})
    return [*filters, *added]


# The first letters of the words of a column that dates an event: "Signed Up", "Registration Date", "Birth Year"
_EVENT_COLUMNS = {
    "born": ("birth", "born", "dob"),
    "birth": ("birth", "born", "dob"),
    "founded": ("found", "establish"),
    "established": ("found", "establish"),
}
_JOINING = ("sign", "join", "regist", "member", "creat", "account", "enrol")


def _with_event_dates(
    ctx: TableContext, filters: list[dict[str, Any]], events: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """``filters`` with the condition on each event's own date column, in place of the model's: "customers
    who signed up in 2024" is Signup Date in 2024 (the whole year: the model tends to write >= its first
    day), "born before 1970" a Birth Year below 1970."""
    for event, period in events:
        column = _event_column(ctx, _EVENT_COLUMNS.get(event, _JOINING))
        if column is None:
            continue
        filters = [f for f in filters if _column_of(ctx, f.get("column")) != column]
        filters.append(_event_condition(column, _dtype(ctx, column), period))
    return filters


def _event_column(ctx: TableContext, roots: tuple[str, ...]) -> str | None:
    """The one date or year column (of the table or a lookup) whose name starts a word with one of
    ``roots``; the sales' own timestamp is never it."""
    columns = dict(ctx.columns) | {c: t for cols in ctx.described().values() for c, t in cols.items()}
    found = [
        c
        for c, t in columns.items()
        if c != ctx.roles["timestamp"]
        and (
            t.upper().startswith(("DATE", "TIMESTAMP"))
            or (t.upper().startswith(("BIGINT", "INTEGER")) and "year" in c.lower())
        )
        and any(w.startswith(roots) for w in name_words(c))
    ]
    return found[0] if len(found) == 1 else None


def _event_condition(column: str, dtype: str, period: str) -> dict[str, Any]:
    """The filter for a period on a date column, or on a column of years ("before 1970": < 1970)."""
    if dtype.upper().startswith(("DATE", "TIMESTAMP")):
        op, _, value = period.partition(" ") if period.startswith(("before ", "since ")) else ("", "", period)
        return {"column": column, "op": {"before": "<", "since": ">=", "": "="}[op], "value": value}
    year = re.search(r"\d{4}", period)
    op = "<" if period.startswith("before ") else ">=" if period.startswith("since ") else "="
    return {"column": column, "op": op, "value": int(year.group(0)) if year else period}


def _dtype(ctx: TableContext, column: str) -> str:
    """The type of a column of the table or of a lookup table of it."""
    found = ctx.lookup_column(column) if column not in ctx.columns else None
    return ctx.columns.get(column) or (found[2] if found else "")


def _column_of(ctx: TableContext, name: Any) -> str | None:
    try:
        return ctx.dimension(str(name)).label
    except ToolError:
        return None
