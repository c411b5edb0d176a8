"""The schema card: statistics, roles, original names, caching, the compact prompt and `martmind schema`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import tools.schema as schema
from tools.base import RetryableToolError
from tools.loader import load_file
from tools.schema import schema_card, schema_prompt
from ui.cli import main


def column(card, name):
    return next(c for c in card["columns"] if c["name"] == name)


def test_card_of_the_tiny_sales_table(ws):
    (card,) = schema_card(ws, ["sales"])
    assert card["table"] == "sales" and card["rows"] == 20
    country = column(card, "Country")
    assert country["values"] == [
        {"value": "United Kingdom", "count": 10},
        {"value": "France", "count": 5},
        {"value": "Germany", "count": 5},
    ]
    assert column(card, "CustomerID")["null_share"] == pytest.approx(0.05)  # the guest line
    quantity = column(card, "Quantity")
    assert (quantity["min"], quantity["max"], quantity["type"]) == (-2, 6, "BIGINT")
    date = column(card, "InvoiceDate")
    assert (date["min"], date["max"]) == ("2011-01-03T10:00:00", "2011-06-01T14:00:00")
    assert card["roles"]["customer_id"] == "CustomerID" and card["roles"]["order_id"] == "InvoiceNo"
    assert column(card, "CustomerID")["roles"] == ["customer_id"]
    assert column(card, "Country")["original"] is None


def test_high_cardinality_text_gets_examples_not_values(ws, tmp_path):
    ws.save_table(
        "codes", pd.DataFrame({"code": [f"SKU-{i:03d}" for i in range(30)], "n": range(30)}), source="test"
    )
    code = column(schema_card(ws, ["codes"])[0], "code")
    assert code["values"] is None and code["examples"] == ["SKU-000", "SKU-001", "SKU-002"]
    assert code["distinct"] == 30


def test_card_shows_the_users_own_column_names(ws, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("Review Text,Rating\nLovely,5\nMeh,2\n")
    load_file(ws, path)
    (card,) = schema_card(ws, ["reviews"])
    assert column(card, "review_text")["original"] == "Review Text"
    assert "review_text text" in schema_prompt(ws, ["reviews"]) and "(file: 'Review Text')" in schema_prompt(
        ws, ["reviews"]
    )


def test_statistics_are_cached_until_the_table_is_reloaded(ws, monkeypatch):
    calls = []
    real = schema.compute_stats
    monkeypatch.setattr(schema, "compute_stats", lambda *a: calls.append(a[1]) or real(*a))
    schema_card(ws, ["sales"])
    schema_card(ws, ["sales"])
    assert calls == ["sales"]
    schema._memory.clear()  # a new process: the card comes from the file cache
    schema_card(ws, ["sales"])
    assert calls == ["sales"]
    ws.save_table("sales", pd.DataFrame({"Country": ["Spain"]}), source="test")  # a reload invalidates it
    (card,) = schema_card(ws, ["sales"])
    assert (
        calls == ["sales", "sales"]
        and card["rows"] == 1
        and [c["name"] for c in card["columns"]] == ["Country"]
    )


def test_roles_yaml_overrides_show_up_without_recomputing(ws):
    schema_card(ws, ["sales"])
    (ws.home / "roles.yaml").write_text("sales:\n  product_name: StockCode\n")
    ws._roles_cache.clear()
    (card,) = schema_card(ws, ["sales"])
    assert card["roles"]["product_name"] == "StockCode"


def test_a_bad_roles_yaml_is_a_warning_not_a_crash(ws):
    (ws.home / "roles.yaml").write_text("sales:\n  customer_id: no_such_column\n")
    ws._roles_cache.clear()
    (card,) = schema_card(ws, ["sales"])
    assert card["roles"] == {} and "no_such_column" in card["warnings"][0]


def test_unknown_table_suggests_the_closest(ws):
    with pytest.raises(RetryableToolError, match="Did you mean sales"):
        schema_card(ws, ["sale"])


def test_prompt_for_one_table_has_ranges_values_and_roles(ws):
    text = schema_prompt(ws, ["sales"])
    assert text.startswith("sales (20 rows)")
    assert "Quantity int [quantity] -2..6" in text
    assert "InvoiceDate timestamp [timestamp] 2011-01-03 10:00..2011-06-01 14:00" in text
    assert "Country text one of 'United Kingdom', 'France', 'Germany'" in text
    assert "CustomerID int [customer_id] 1..5 5% null" in text


def test_all_demo_tables_fit_a_small_models_budget(demo_ws):
    text = schema_prompt(demo_ws)
    assert len(text) <= 4000
    for table in demo_ws.tables():
        assert text.count(f"{table} (") == 1, table
    assert "InvoiceDate timestamp [timestamp] 2010-12-01 08:26..2011-12-09 12:50" in text
    assert '"Review Text" text' in text  # names that need quotes are shown quoted


def test_a_tiny_budget_names_the_tables_left_out(demo_ws):
    text = schema_prompt(demo_ws, max_chars=600)
    assert len(text) <= 600
    assert "more tables not shown:" in text and text.rstrip().endswith("online_retail)")


def test_a_question_specific_subset_gets_full_detail(demo_ws):
    text = schema_prompt(demo_ws, ["online_retail", "hillstrom_email"])
    assert "Country text 38 distinct, e.g. 'United Kingdom', 'France'" in text
    assert "segment text one of 'Womens E-Mail', 'Mens E-Mail', 'No E-Mail'" in text
    assert "e.g. '536365'" in text  # how invoice numbers are spelled


def test_cli_schema_json_and_terminal(ws, capsys, monkeypatch):
    monkeypatch.setenv("MARTMIND_DEMO", "0")
    assert main(["--home", str(ws.home), "schema", "sales", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [t["table"] for t in payload["tables"]] == ["sales"]
    assert column(payload["tables"][0], "Quantity")["max"] == 6
    assert main(["--home", str(ws.home), "schema"]) == 0
    out = capsys.readouterr().out
    assert (
        "sales (20 rows)" in out
        and "InvoiceDate" in out
        and "United Kingdom" in out
        and "2011-01-03 10:00" in out
    )
    assert main(["--home", str(ws.home), "schema", "sale", "--json"]) == 1
    assert "Did you mean sales" in json.loads(capsys.readouterr().out)["error"]
