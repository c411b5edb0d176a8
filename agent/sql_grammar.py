"""An xgrammar EBNF grammar for one DuckDB SELECT whose table and column names exist by construction.

The model writes SQL as SQL (not inside a JSON string) under this grammar, so it can name only the tables
it is given and, bare or after a qualifier (``alias.column``, ``table.column``), only their columns;
after a table name only that table's columns (after an alias any linked table's: aliases are not tracked). What
the model introduces itself stays free: aliases after ``AS``, short table aliases (the qualifiers before a
dot), CTE names, and whole ``GROUP BY`` / ``ORDER BY`` items (a select alias such as ``ORDER BY revenue``);
DuckDB checks those when the query runs, and its error goes back to the model.

The subset: WITH, SELECT [DISTINCT] items with aliases, FROM with JOINs (ON / USING) and subqueries,
WHERE, GROUP BY [ALL], HAVING, ORDER BY, LIMIT / OFFSET, UNION / INTERSECT / EXCEPT; expressions with
functions (a fixed list of DuckDB functions), aggregates with FILTER and OVER, CASE, CAST / ``::``,
EXTRACT, IN, BETWEEN, LIKE / ILIKE, IS [NOT] NULL, EXISTS, arithmetic, string, number, date and interval
literals and ``count(*)``.

The outer query of a ``WITH`` cannot know the CTEs' column names, so its names are free ("loose"): tables
are the given ones or CTE names, columns the given ones or any identifier (a subquery inside it is loose
too). Everything else is strict, including a query over a subquery in FROM: its outer columns must be
real columns (``SELECT avg(n) FROM (SELECT count(*) AS n ...)`` is refused; written with WITH it passes).
A strict query's table aliases have at most three characters (``s``, ``c``, ``T1``, ``oi``): a qualifier
before a dot is a table name or such an alias, so a made-up column cannot be started as a "qualifier".

Cost (measured on the idle 2-core development CPU, Qwen2.5 tokenizer): compiling takes 0.8-1.1 s for the
demo workspace (all 13 tables or the linked ones) or a Spider database (cached per table set); the mask
takes milliseconds where names are fixed and 0.5-0.8 s at a free name (an alias after AS, a GROUP BY /
ORDER BY item), where xgrammar checks every identifier-like token at run time.

Keywords and function names may be written in upper or lower case; table and column names exactly as
stored (DuckDB quoting where needed: ``"Review Text"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from tools.schema import ident

# DuckDB functions the model may call (lower or upper case). A fixed list keeps a made-up name from
# starting a call: "revenue(" cannot be written, so the model must use a real column.
FUNCTIONS = """
count sum avg min max median mode stddev stddev_samp stddev_pop variance var_samp var_pop string_agg
group_concat list array_agg any_value first last arg_max arg_min max_by min_by approx_count_distinct
quantile_cont quantile_disc quantile percentile_cont corr covar_pop bool_and bool_or count_if product
row_number rank dense_rank ntile lag lead first_value last_value nth_value percent_rank cume_dist
abs round ceil ceiling floor sqrt power pow ln log log10 log2 exp sign greatest least coalesce nullif
ifnull if length char_length lower upper trim ltrim rtrim substr substring left right replace concat
concat_ws strpos instr contains starts_with ends_with prefix suffix regexp_matches regexp_replace
regexp_extract regexp_full_match split_part string_split lpad rpad reverse repeat format printf
strftime strptime date_trunc date_part datepart date_diff datediff date_sub date_add year month day
dayofweek dayofyear dayofmonth week weekofyear isodow quarter hour minute second dayname monthname
last_day make_date make_timestamp epoch age to_timestamp now today list_value len array_length
list_contains typeof hash md5
""".split()  # noqa: SIM905
TYPES = """
INTEGER INT BIGINT SMALLINT HUGEINT UBIGINT DOUBLE FLOAT REAL DECIMAL NUMERIC VARCHAR TEXT STRING DATE
TIMESTAMP TIME BOOLEAN BOOL INTERVAL
""".split()  # noqa: SIM905
DATE_PARTS = """
year years month months day days hour hours minute minutes second seconds week weeks quarter quarters
dow doy isodow epoch decade century millennium millisecond milliseconds microsecond microseconds
""".split()  # noqa: SIM905

# The grammar for one strictness; ``_X`` becomes ``_s`` (strict) or ``_l`` (loose) in rule names.
_TEMPLATE = r"""
stmt_X ::= body_X (sp order_X)? (sp limit)?
body_X ::= core_X (sp setop sp core_X)*
plain_X ::= k_select sp (k_distinct sp)? items_X (sp k_from sp from_X)? tail_X
tail_X ::= (sp k_where sp expr_X)? (sp k_group sp k_by sp group_X)? (sp k_having sp expr_X)?
items_X ::= item_X (osp "," osp item_X)*
item_X ::= "*" | qual_X ".*" | expr_X (sp k_as sp alias)?
from_X ::= source_X (join_X)*
join_X ::= osp "," osp source_X | sp joinkw sp source_X (sp k_on sp expr_X | sp k_using osp "(" osp usingcols_X osp ")")?
derived_X ::= "(" osp stmt_X osp ")" (sp (k_as sp)? alias)?
group_X ::= k_all | groupitem_X (osp "," osp groupitem_X)*
groupitem_X ::= expr_X | ident
order_X ::= k_order sp k_by sp orderitem_X (osp "," osp orderitem_X)*
orderitem_X ::= (expr_X | ident) (sp (k_asc | k_desc))? (sp k_nulls sp (k_first | k_last))?
expr_X ::= and_X (sp k_or sp and_X)*
and_X ::= not_X (sp k_and sp not_X)*
not_X ::= (k_not sp)? pred_X
pred_X ::= sum_X (predtail_X)?
predtail_X ::= osp cmp osp sum_X | sp (k_not sp)? k_in osp "(" osp inlist_X osp ")" | sp (k_not sp)? k_between sp sum_X sp k_and sp sum_X | sp (k_not sp)? (k_like | k_ilike) sp sum_X | sp k_is sp (k_not sp)? (k_null | k_true | k_false | k_distinct sp k_from sp sum_X)
inlist_X ::= stmt_X | expr_X (osp "," osp expr_X)*
sum_X ::= unary_X (osp arith osp unary_X)*
unary_X ::= ("-" osp)? atom_X ("::" type)?
atom_X ::= literal | col_X | call_X | case_X | cast_X | extract_X | "(" osp expr_X osp ")" | "(" osp stmt_X osp ")" | k_exists osp "(" osp stmt_X osp ")"
call_X ::= func osp "(" osp (args_X)? osp ")" (sp k_filter osp "(" osp k_where sp expr_X osp ")")? (sp k_over osp "(" osp window_X osp ")")?
args_X ::= "*" | (k_distinct sp)? expr_X (osp "," osp expr_X)* (sp order_X)?
window_X ::= (k_partition sp k_by sp expr_X (osp "," osp expr_X)*)? (osp order_X)?
case_X ::= k_case (sp expr_X)? (sp k_when sp expr_X sp k_then sp expr_X)+ (sp k_else sp expr_X)? sp k_end
cast_X ::= (k_cast | k_try_cast) osp "(" osp expr_X sp k_as sp type osp ")"
extract_X ::= k_extract osp "(" osp datepart sp k_from sp expr_X osp ")"
"""

# Rules shared by both strictnesses (names and literals).
_COMMON = r"""
setop ::= (k_union | k_intersect | k_except) (sp k_all)?
joinkw ::= (k_natural sp)? ((k_left | k_right | k_full) (sp k_outer)? sp | k_inner sp | k_cross sp)? k_join
limit ::= k_limit sp int (sp k_offset sp int)?
cmp ::= "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
arith ::= "+" | "-" | "*" | "/" | "//" | "%" | "||"
literal ::= number | string | k_null | k_true | k_false | (k_date | k_timestamp) sp string | k_interval sp (string | int sp datepart) | k_current_date | k_current_timestamp
number ::= int ("." [0-9]+)? | "." [0-9]+
int ::= [0-9]+
string ::= "'" ([^'\\\n] | "''")* "'"
type ::= typename ("(" int (osp "," osp int)? ")")? ("[]")?
alias ::= ident | quoted
short ::= [A-Za-z_] [A-Za-z0-9_]? [A-Za-z0-9_]?
ident ::= [A-Za-z_] [A-Za-z0-9_]*
quoted ::= "\"" [^"\n]+ "\""
sp ::= [ \t\n]{1,12}
osp ::= [ \t\n]{0,12}
"""


def sql_grammar(tables: Mapping[str, Sequence[str]]) -> str:
    """The EBNF grammar of one SELECT over ``tables`` (name -> column names), root rule ``root``.

    Raises:
        ValueError: no tables, or a table without columns.
    """
    if not tables or not all(tables.values()):
        raise ValueError("The SQL grammar needs at least one table with columns.")
    columns = dict.fromkeys(c for cols in tables.values() for c in cols)
    parts = [
        'root ::= (stmt_s | with) osp (";" osp)?',
        'with ::= k_with sp cte_s (osp "," osp cte_l)* sp stmt_l',
        'cte_s ::= ident sp k_as osp "(" osp stmt_s osp ")"',
        'cte_l ::= ident sp k_as osp "(" osp stmt_l osp ")"',
        "core_s ::= plain_s",
        "core_l ::= plain_l",
        "source_s ::= table (sp (k_as sp)? short)? | derived_s",
        "source_l ::= (table | ident | quoted) (sp (k_as sp)? alias)? | derived_l",
        "qual_s ::= table | short",
        "qual_l ::= table | alias",
        'col_s ::= column | short "." column | tablecol',
        # ``table.column``: only that table's own columns (an alias cannot be tied to its table here).
        "tablecol ::= "
        + " | ".join(
            f"{_literal(ident(t) + '.')} ({_alternatives(ident(c) for c in cols)})"
            for t, cols in tables.items()
        ),
        'col_l ::= column | alias | qual_l "." (column | alias)',
        'usingcols_s ::= column (osp "," osp column)*',
        'usingcols_l ::= (column | ident) (osp "," osp (column | ident))*',
        _TEMPLATE.replace("_X", "_s").strip(),
        _TEMPLATE.replace("_X", "_l").strip(),
        _COMMON.strip(),
        "table ::= " + _alternatives(ident(t) for t in tables),
        "column ::= " + _alternatives(ident(c) for c in columns),
        "func ::= " + _alternatives(_cases(FUNCTIONS)),
        "typename ::= " + _alternatives(_cases(TYPES)),
        "datepart ::= " + _alternatives(_cases(DATE_PARTS)) + " | string",
        *_keyword_rules(),
    ]
    return "\n".join(parts) + "\n"


def _keyword_rules() -> list[str]:
    """``k_select ::= "SELECT" | "select"`` for every keyword the rules above use."""
    used = sorted(set(re.findall(r"\bk_(\w+)", _TEMPLATE + _COMMON + _ROOT_RULES)))
    return [f"k_{word} ::= " + _alternatives(_cases([word.upper()])) for word in used]


_ROOT_RULES = "k_with k_as k_select k_distinct k_from"


def _cases(words: Iterable[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out += [word.lower(), word.upper()]
    return list(dict.fromkeys(out))


def _alternatives(texts: Iterable[str]) -> str:
    return " | ".join(_literal(t) for t in texts)


def _literal(text: str) -> str:
    """``text`` as an EBNF string literal (backslash, double quote and control characters escaped)."""
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ord(ch) < 32:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def compile_check(ebnf: str) -> None:
    """Raise ValueError when xgrammar cannot parse ``ebnf`` (for tests and a clear early error)."""
    import xgrammar as xgr

    try:
        xgr.Grammar.from_ebnf(ebnf)
    except RuntimeError as e:
        raise ValueError(f"Invalid SQL grammar: {e}") from e
