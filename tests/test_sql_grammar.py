"""The SQL grammar: real SELECTs over the given tables pass, a name that is not there cannot be written.

Acceptance is checked with xgrammar's own matcher (no tokenizer: ``accept_string``), every accepted query
also runs in DuckDB on the same tables, and one query is fed token by token through the backends' mask
with the real tokenizer of the packaged SmolLM2 (no weights are loaded).
"""

from __future__ import annotations

import duckdb
import pytest

from agent.sql_grammar import sql_grammar

xgr = pytest.importorskip("xgrammar")

SCHEMA = {
    "sales": ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"],
    "customers": ["CustomerID", "Name", "Segment", "Review Text"],
}
DDL = [
    "CREATE TABLE sales (InvoiceNo VARCHAR, StockCode VARCHAR, Quantity INTEGER, InvoiceDate TIMESTAMP, "
    "UnitPrice DOUBLE, CustomerID INTEGER, Country VARCHAR)",
    'CREATE TABLE customers (CustomerID INTEGER, Name VARCHAR, Segment VARCHAR, "Review Text" VARCHAR)',
    "INSERT INTO sales VALUES ('1', 'A', 2, '2011-01-03', 3.0, 1, 'Germany')",
    "INSERT INTO customers VALUES (1, 'Ann', 'gold', 'nice')",
]

VALID = [
    "SELECT count(*) FROM sales",
    "SELECT COUNT(*) AS n FROM sales;",
    "SELECT DISTINCT Country FROM sales",
    "select Country, sum(Quantity * UnitPrice) as revenue from sales group by Country order by revenue desc limit 5",
    "SELECT Country, SUM(Quantity) AS units\nFROM sales\nWHERE Country = 'Germany'\nGROUP BY Country",
    "SELECT s.Country, c.Name FROM sales AS s JOIN customers AS c ON s.CustomerID = c.CustomerID",
    "SELECT T1.Name FROM customers T1 LEFT JOIN sales T2 ON T1.CustomerID = T2.CustomerID WHERE T2.InvoiceNo IS NULL",
    "SELECT Name FROM customers JOIN sales USING (CustomerID)",
    "SELECT sales.Country FROM sales, customers WHERE sales.CustomerID = customers.CustomerID",
    'SELECT "Review Text" FROM customers WHERE "Review Text" ILIKE \'%nice%\'',
    "SELECT Name FROM customers WHERE CustomerID IN (SELECT CustomerID FROM sales WHERE Quantity > 1)",
    "SELECT Name FROM customers WHERE NOT EXISTS (SELECT 1 FROM sales WHERE sales.CustomerID = customers.CustomerID)",
    "SELECT date_trunc('month', InvoiceDate) AS month, count(DISTINCT InvoiceNo) AS orders FROM sales GROUP BY month ORDER BY month",
    "SELECT strftime(InvoiceDate, '%Y') AS year, avg(UnitPrice) FROM sales GROUP BY 1 ORDER BY 1",
    "SELECT extract(year FROM InvoiceDate) AS y FROM sales",
    "SELECT CAST(Quantity AS DOUBLE) / 2, Quantity::VARCHAR FROM sales",
    "SELECT CASE WHEN Quantity > 1 THEN 'many' ELSE 'one' END AS size FROM sales",
    "SELECT count(*) FILTER (WHERE Country = 'Germany') AS german FROM sales",
    "SELECT Country FROM sales GROUP BY Country HAVING count(*) > 1 AND sum(Quantity) >= 2",
    "SELECT Country FROM sales WHERE Quantity BETWEEN 1 AND 10 AND Country NOT IN ('France', 'Spain')",
    "SELECT Country FROM sales WHERE InvoiceDate >= DATE '2011-01-01' AND InvoiceDate < DATE '2011-01-01' + INTERVAL 1 MONTH",
    "SELECT Country FROM sales UNION SELECT Segment FROM customers",
    "SELECT Name, rank() OVER (ORDER BY CustomerID DESC) AS r FROM customers",
    "SELECT Country, row_number() OVER (PARTITION BY Country ORDER BY Quantity) FROM sales",
    "SELECT * FROM sales ORDER BY Quantity DESC NULLS LAST LIMIT 3 OFFSET 1",
    "SELECT s.* FROM sales s",
    "SELECT -Quantity, (Quantity + 1) * 2, Country || '!' FROM sales WHERE Country <> 'x' OR Quantity != 3",
    "SELECT coalesce(Name, 'unknown') FROM customers WHERE Name IS NOT NULL AND Name LIKE 'A%'",
    "SELECT count(*) FROM (SELECT DISTINCT Country FROM sales) AS t",
    "SELECT t.Country FROM (SELECT Country, Quantity FROM sales) t WHERE Quantity > 1",
    "WITH per_country AS (SELECT Country, sum(Quantity) AS units FROM sales GROUP BY Country) "
    "SELECT Country, units FROM per_country ORDER BY units DESC",
    "SELECT (SELECT count(*) FROM sales) - (SELECT count(*) FROM customers) AS diff",
    "SELECT max(UnitPrice) FROM sales WHERE Country = 'It''s'",
]

INVALID = [
    "SELECT count(*) FROM orders",  # no such table
    "SELECT revenue FROM sales",  # no such column
    "SELECT Country, total_sales FROM sales",
    "SELECT s.revenue FROM sales s",  # qualified, still no such column
    "SELECT customers.Country FROM customers JOIN sales USING (CustomerID)",  # a column of the other table
    "SELECT Country FROM sales WHERE region = 'EU'",
    "SELECT Country FROM sales JOIN products ON sales.StockCode = products.StockCode",
    "SELECT Review Text FROM customers",  # a name with a space must be quoted
    "SELECT made_up_function(Quantity) FROM sales",
    "DELETE FROM sales",
    "SELECT 1 FROM sales; DROP TABLE sales",
    "SELECT * FROM read_csv('/etc/passwd')",
    # A subquery's own aliases are not names the outer query may use; WITH is the way (see VALID).
    "SELECT avg(n) FROM (SELECT count(*) AS n FROM sales GROUP BY Country) AS t",
]


@pytest.fixture(scope="module")
def compiled():
    compiler = xgr.GrammarCompiler(xgr.TokenizerInfo([]), cache_enabled=False)
    return compiler.compile_grammar(sql_grammar(SCHEMA))


def accepts(compiled, sql: str) -> bool:
    matcher = xgr.GrammarMatcher(compiled, terminate_without_stop_token=True)
    return bool(matcher.accept_string(sql)) and matcher.is_terminated()


@pytest.mark.parametrize("sql", VALID)
def test_grammar_accepts_real_selects_and_duckdb_runs_them(compiled, sql):
    assert accepts(compiled, sql), sql
    con = duckdb.connect()
    for statement in DDL:
        con.execute(statement)
    con.execute(sql).fetchall()


@pytest.mark.parametrize("sql", INVALID)
def test_grammar_rejects_names_that_do_not_exist_and_other_statements(compiled, sql):
    assert not accepts(compiled, sql), sql


def test_identifiers_are_exactly_the_given_ones():
    ebnf = sql_grammar({"t": ["a", "order", "Review Text", 'say "hi"']})
    compiler = xgr.GrammarCompiler(xgr.TokenizerInfo([]), cache_enabled=False)
    grammar = compiler.compile_grammar(ebnf)
    assert accepts(grammar, 'SELECT a, "order", "Review Text" FROM t')
    assert accepts(grammar, 'SELECT "say ""hi""" FROM t')  # DuckDB's doubled quote inside a name
    assert not accepts(grammar, "SELECT order FROM t")  # a keyword as a name needs quotes
    assert not accepts(grammar, "SELECT b FROM t")
    with pytest.raises(ValueError):
        sql_grammar({})


def test_backend_mask_follows_the_sql_grammar_token_by_token():
    """The path the backends use (JsonGrammar.mask(grammar=...)) lets a valid query's tokens through and
    masks the first token of a made-up column."""
    import torch
    from transformers import AutoTokenizer

    from agent.backends.constrained import JsonGrammar
    from agent.model_files import gguf_path, packaged

    path = gguf_path(packaged("tiny"))
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    grammar = JsonGrammar(tokenizer, len(tokenizer))
    ebnf = sql_grammar(SCHEMA)

    def allowed_all(text: str) -> bool:
        mask = grammar.mask(grammar=ebnf)
        for token in tokenizer(text, add_special_tokens=False).input_ids:
            scores = mask.masked(torch.zeros(1, len(tokenizer)))
            if scores[0, token] == float("-inf"):
                return False
            mask.accept(token)
        stop = grammar.stop_token_ids[0]
        return bool(mask.masked(torch.zeros(1, len(tokenizer)))[0, stop] > float("-inf"))

    assert allowed_all("SELECT Country, count(*) AS n FROM sales GROUP BY Country")
    assert not allowed_all("SELECT revenue FROM sales")
    assert grammar.compiled_ebnf(ebnf) is grammar.compiled_ebnf(ebnf)  # cached per grammar text
    with pytest.raises(ValueError):
        grammar.mask({"type": "object"}, grammar=ebnf)
