"""Loading users' files: formats, type inference, names, and every bad input of issue 2."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tools.base import ToolError
from tools.loader import load_file, sanitise
from tools.workspace import Workspace
from ui.cli import main


def write(folder, name, content):
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A workspace home (no demo data, for the CLI too) that already holds a loaded `orders` table."""
    monkeypatch.setenv("MARTMIND_DEMO", "0")
    home = tmp_path / "home"
    ws = Workspace(home, demo=False)
    load_file(ws, write(tmp_path, "orders.csv", "order_id,amount\n1,10.5\n2,20\n"))
    ws.close()
    return home


def state(home):
    """Everything a failed load must leave alone: tables, the orders rows, when it was loaded, its names."""
    ws = Workspace(home, demo=False)
    info = ws.table_info("orders")
    return (
        ws.tables(),
        ws.query("SELECT * FROM orders ORDER BY ALL"),
        info["loaded_at"],
        info["source"],
        ws.original_names("orders"),
    )


def assert_same_state(before, after, added=()):
    """Nothing changed but the tables in ``added`` (a successful load of another table)."""
    assert sorted([*before[0], *added]) == after[0]
    pd.testing.assert_frame_equal(before[1], after[1])
    assert before[2:] == after[2:]


def cli(capsys, home, *args):
    code = main(["--home", str(home), *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def make_workbook(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


# -- bad input: one sentence, non-zero exit, nothing changes ---------------------------------------------------
BAD_INPUTS = [
    ("missing", "missing.csv", None, [], r"File not found: .*missing\.csv\."),
    ("empty", "empty.csv", b"", [], r"The file empty\.csv is empty\."),
    ("blank lines only", "blank.csv", "\n\n  \n", [], r"The file blank\.csv is empty\."),
    (
        "binary junk",
        "junk.csv",
        b"\x00\x01" + random.Random(7).randbytes(4000),
        [],
        r"junk\.csv is not a text file \(it contains binary data\)",
    ),
    (
        "parquet named .csv",
        "data.csv",
        b"PAR1" + bytes(100),
        [],
        r"data\.csv is not a text file \(it is a Parquet file\)",
    ),
    (
        "ragged: extra field",
        "extra.csv",
        "a,b\n1,2\n3,4,5\n6,7\n",
        [],
        r"Line 3 of extra\.csv has 3 fields but the header has 2",
    ),
    (
        "ragged: missing field",
        "short.csv",
        "a,b,c\n1,2,3\n4,5\n",
        [],
        r"Line 3 of short\.csv has 2 fields but the header has 3",
    ),
    (
        "ragged after a multi-line value",
        "multi.csv",
        'a,b\n1,"two\nlines"\n3,4,5\n',
        [],
        r"Line 4 of multi\.csv has 3 fields",
    ),
    ("header only", "header.csv", "a,b\n", [], r"header\.csv has column names but no rows"),
    (
        "junk parquet",
        "junk.parquet",
        b"not parquet at all",
        [],
        r"junk\.parquet is not a readable Parquet file",
    ),
    ("junk xlsx", "junk.xlsx", b"not a workbook", [], r"junk\.xlsx is not a readable Excel workbook"),
    ("broken xls", "old.xls", b"\xd0\xcf\x11\xe0", [], r"old\.xls is not a readable Excel workbook"),
    ("broken ods", "sheet.ods", b"PK\x03\x04", [], r"sheet\.ods is not a readable spreadsheet"),
    (
        "unknown type",
        "notes.docx",
        b"PK\x03\x04",
        [],
        r"notes\.docx is not a file type martmind reads.*\.ods",
    ),
    ("unknown extension", "data.pdf", b"%PDF-1.4", [], r"data\.pdf is not a file type martmind reads"),
    ("invalid JSON", "bad.json", '[{"a": 1},', [], r"bad\.json is not valid JSON: .* at line 1"),
    ("NDJSON bad line", "bad.ndjson", '{"a": 1}\n{"a": \n', [], r"Line 2 of bad\.ndjson is not valid JSON"),
    ("JSON scalar", "scalar.json", "42", [], r"scalar\.json holds a single JSON value, not records"),
    ("sheet on a CSV", "ok.csv", "a\n1\n", ["--sheet", "x"], r"--sheet only applies to Excel files"),
    ("metadata table name", "ok.csv", "a\n1\n", ["--table", "_martmind_tables"], r"reserved for martmind"),
]


@pytest.mark.parametrize(
    ("case", "name", "content", "extra", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_one_sentence_nonzero_exit_and_changes_nothing(
    tmp_path, home, capsys, case, name, content, extra, message
):
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    before = state(home)
    code, out = cli(capsys, home, "load", str(path), "--table", "orders", *extra)
    assert code != 0
    error = out["error"]
    assert re.search(message, error), error
    assert "\n" not in error and error.endswith(".") and "Traceback" not in error
    assert_same_state(before, state(home))


def test_bad_excel_sheet_names_the_sheets(tmp_path, home, capsys):
    path = make_workbook(tmp_path / "book.xlsx", {"Orders": [["a"], [1]], "Returns": [["a"], [2]]})
    before = state(home)
    code, out = cli(capsys, home, "load", str(path), "--table", "orders", "--sheet", "Refunds")
    assert code != 0
    assert out["error"] == "book.xlsx has no sheet 'Refunds'; its sheets are 'Orders', 'Returns'."
    assert_same_state(before, state(home))


def test_a_failure_while_saving_rolls_back(tmp_path, home, monkeypatch):
    """Even a database error half way through the write leaves the previous table intact."""
    import duckdb

    def fail(*args, **kwargs):
        raise duckdb.IOException("disk full")

    before = state(home)
    monkeypatch.setattr(Workspace, "_record", staticmethod(fail))
    ws = Workspace(home, demo=False)
    with pytest.raises(ToolError, match="could not be saved as table orders .*nothing was changed"):
        load_file(ws, write(tmp_path, "new.csv", "order_id,amount\n9,99\n"), table="orders")
    ws.close()
    monkeypatch.undo()
    assert_same_state(before, state(home))


# -- handled with a warning: loads, says so, touches nothing else ----------------------------------------------
def test_duplicate_column_names_are_numbered_with_a_warning(tmp_path, home, capsys):
    before = state(home)
    code, out = cli(capsys, home, "load", str(write(tmp_path, "dup.csv", "amount,amount,Amount\n1,2,3\n")))
    assert code == 0
    assert [c["name"] for c in out["columns"]] == ["amount", "amount_2", "Amount_3"]
    assert out["warnings"] == [
        "Column name 'amount' appears 3 times; the repeats are named amount_2, Amount_3."
    ]
    ws = Workspace(home, demo=False)
    assert ws.query("SELECT amount, amount_2, Amount_3 FROM dup").iloc[0].tolist() == [1, 2, 3]
    assert_same_state(before, state(home), added=["dup"])


def test_latin1_and_cp1252_text_loads(tmp_path, home, capsys):
    path = write(
        tmp_path,
        "people.csv",
        "name,city,price\nJos\xe9,K\xf6ln,\x80 5\nZo\xeb,S\xe3o Paulo,\x80 7\n".encode("latin-1"),
    )
    code, out = cli(capsys, home, "load", str(path))
    assert code == 0
    assert out["encoding"] == "cp1252" and "not UTF-8; read it as Windows-1252" in out["warnings"][0]
    ws = Workspace(home, demo=False)
    df = ws.query("SELECT * FROM people")
    assert df["name"].tolist() == ["José", "Zoë"] and df["city"].tolist() == ["Köln", "São Paulo"]
    assert df["price"].tolist() == [5, 7]  # "€ 5": the cp1252 euro sign, stripped as a currency


@pytest.mark.parametrize("name", ["till_export.xls", "till_export.ods"])
def test_old_excel_and_opendocument_sheets_load_like_any_workbook(tmp_path, home, capsys, name):
    # tests/data/till_export.*: one till system's export, written by xlwt (BIFF8 .xls) and odfpy (.ods)
    path = tmp_path / name
    path.write_bytes((Path(__file__).parent / "data" / name).read_bytes())
    code, out = cli(capsys, home, "load", str(path))
    assert code == 0 and out["sheet"] == "Orders" and "has 2 sheets" in out["warnings"][0]
    types = {c["name"]: c["type"] for c in out["columns"]}
    assert types["order_date"] == "TIMESTAMP" and types["Qty"] == "BIGINT" and types["net_amount"] == "DOUBLE"
    df = Workspace(home, demo=False).query("SELECT * FROM till_export ORDER BY order_no")
    assert df["order_no"].tolist() == [9001, 9002, 9003] and df["net_amount"].sum() == pytest.approx(180.4)


def test_excel_with_two_sheets_loads_the_first_and_says_so(tmp_path, home, capsys):
    path = make_workbook(
        tmp_path / "book.xlsx",
        {
            "Orders": [
                ["Order Date", "Amount", "Region"],
                [dt.datetime(2011, 1, 3), 10.5, "North"],
                [dt.datetime(2011, 2, 4), 20, "South"],
            ],
            "Returns": [["Return Date", "Amount"], [dt.datetime(2011, 3, 1, 9, 30), -5]],
        },
    )
    before = state(home)
    code, out = cli(capsys, home, "load", str(path))
    assert code == 0 and out["table"] == "book" and out["sheet"] == "Orders"
    assert out["warnings"] == [
        "book.xlsx has 2 sheets; loaded the first, 'Orders' (others: 'Returns'); use --sheet to load another."
    ]
    types = {c["name"]: c["type"] for c in out["columns"]}
    assert types == {"order_date": "DATE", "Amount": "DOUBLE", "Region": "VARCHAR"}
    code, out = cli(capsys, home, "load", str(path), "--sheet", "Returns", "--table", "returns")
    assert code == 0 and out["warnings"] == []
    assert {c["name"]: c["type"] for c in out["columns"]} == {"return_date": "TIMESTAMP", "Amount": "BIGINT"}
    code, out = cli(capsys, home, "load", str(path), "--sheet", "2", "--table", "returns_by_number")
    assert code == 0 and out["sheet"] == "Returns"
    assert_same_state(before, state(home), added=["book", "returns", "returns_by_number"])


@pytest.mark.parametrize(
    ("args", "file_name", "table"),
    [
        (["--table", "order"], "data.csv", "order_table"),
        ([], "select.csv", "select_table"),
        (["--table", "My Sales 2011"], "data.csv", "my_sales_2011"),
    ],
)
def test_a_table_name_that_is_an_sql_keyword_is_renamed_and_said(
    tmp_path, home, capsys, args, file_name, table
):
    before = state(home)
    code, out = cli(capsys, home, "load", str(write(tmp_path, file_name, "a,b\n1,2\n")), *args)
    assert code == 0 and out["table"] == table
    assert f"the table is named {table}." in out["warnings"][0]
    ws = Workspace(home, demo=False)
    assert ws.query(f"SELECT a FROM {table}")["a"].tolist() == [1]  # usable unquoted
    assert_same_state(before, state(home), added=[table])


def test_huge_values_do_not_crash(tmp_path, home, capsys):
    content = "id,big,large,overflow\n1,123456789012345678901234567890,1e308,1e400\n2,5,2.5,3\n"
    code, out = cli(capsys, home, "load", str(write(tmp_path, "huge.csv", content)))
    assert code == 0
    types = {c["name"]: c["type"] for c in out["columns"]}
    assert types == {"id": "BIGINT", "big": "VARCHAR", "large": "DOUBLE", "overflow": "VARCHAR"}
    assert any("'big' has integers too long for a 64-bit number" in w for w in out["warnings"])
    assert any("'overflow' has a value too large" in w for w in out["warnings"])
    ws = Workspace(home, demo=False)
    row = ws.query("SELECT big, large FROM huge WHERE id = 1").iloc[0]
    assert row["big"] == "123456789012345678901234567890" and row["large"] == 1e308


def test_huge_integer_in_json_is_kept_exactly(tmp_path, home):
    ws = Workspace(home, demo=False)
    report = load_file(ws, write(tmp_path, "ids.json", '[{"id": 123456789012345678901234567890, "n": 1}]'))
    assert ws.query("SELECT id FROM ids")["id"][0] == "123456789012345678901234567890"
    assert any("too long for a 64-bit number" in w for w in report.warnings)


# -- type inference ------------------------------------------------------------------------------------------
def test_types_are_inferred_from_text(ws, tmp_path):
    content = (
        "Order Date,Ship Date,InvoiceNo,Revenue,Units,Discount,Active,Zip,Note\n"
        '12/1/2010 8:26,2010-12-03,C536379,"$1,234.50","1,200",12.5%,yes,02134,hello\n'
        "12/13/2010 18:05,2010-12-20,536380,$3.00,5,0%,no,10001,\n"
        "12/14/2010 09:00,2010-12-21,536381,($2.25),-7,1%,NA,00501,n/a\n"
    )
    report = load_file(ws, write(tmp_path, "orders.csv", content))
    types = {c["name"]: c["type"] for c in report.columns}
    assert types == {
        "order_date": "TIMESTAMP",
        "ship_date": "DATE",
        "InvoiceNo": "VARCHAR",
        "Revenue": "DOUBLE",
        "Units": "BIGINT",
        "Discount": "DOUBLE",
        "Active": "BOOLEAN",
        "Zip": "VARCHAR",
        "Note": "VARCHAR",
    }
    df = ws.query("SELECT * FROM orders ORDER BY order_date")
    assert df["order_date"].tolist() == [
        pd.Timestamp("2010-12-01 08:26"),
        pd.Timestamp("2010-12-13 18:05"),
        pd.Timestamp("2010-12-14 09:00"),
    ]
    assert df["ship_date"].tolist() == [pd.Timestamp(d) for d in ("2010-12-03", "2010-12-20", "2010-12-21")]
    assert df["Revenue"].tolist() == [1234.5, 3.0, -2.25]
    assert df["Units"].tolist() == [1200, 5, -7]
    assert df["Discount"].tolist() == pytest.approx([0.125, 0.0, 0.01])
    assert df["Active"].tolist()[:2] == [True, False] and pd.isna(df["Active"][2])
    assert df["Zip"].tolist() == ["02134", "10001", "00501"]  # leading zeros: a code, kept as text
    assert df["Note"].tolist()[2] == "n/a"  # text columns keep their values verbatim
    how = {c["name"]: c["inferred"] for c in report.columns}
    assert "currency $ stripped" in how["Revenue"] and "thousands separators removed" in how["Units"]
    assert "month/day/year" in how["order_date"]


def test_european_semicolon_file(ws, tmp_path):
    report = load_file(
        ws, write(tmp_path, "umsatz.csv", "Datum;Betrag;Menge\n25.12.2011;1.234,50;3\n01.02.2012;3,25;4\n")
    )
    assert {c["name"]: c["type"] for c in report.columns} == {
        "Datum": "DATE",
        "Betrag": "DOUBLE",
        "Menge": "BIGINT",
    }
    df = ws.query("SELECT * FROM umsatz ORDER BY Datum")
    assert df["Betrag"].tolist() == [1234.5, 3.25] and df["Datum"][0] == pd.Timestamp("2011-12-25")


def test_ambiguous_readings_are_said(ws, tmp_path):
    report = load_file(
        ws, write(tmp_path, "amb.csv", 'day,qty,price\n01/02/2011,"1,234",$3\n03/04/2011,"5,000",€4\n')
    )
    types = {c["name"]: c["type"] for c in report.columns}
    assert types == {"day": "DATE", "qty": "BIGINT", "price": "VARCHAR"}
    assert ws.query("SELECT day FROM amb ORDER BY day")["day"][0] == pd.Timestamp("2011-01-02")  # month first
    joined = " ".join(report.warnings)
    assert (
        "'day': dates like '01/02/2011' could be day/month or month/day; read them as month/day/year"
        in joined
    )
    assert "'qty': values like '1,234' could be read two ways; read as 1234" in joined
    assert "'price' mixes currencies" in joined


def test_day_first_dates_are_settled_by_the_data(ws, tmp_path):
    report = load_file(ws, write(tmp_path, "uk.csv", "day\n03/04/2011\n25/12/2011\n"))
    assert report.columns[0]["type"] == "DATE" and not report.warnings
    assert ws.query("SELECT min(day) AS d FROM uk")["d"][0] == pd.Timestamp("2011-04-03")


def test_iso_timestamps_with_zones_become_utc(ws, tmp_path):
    report = load_file(
        ws, write(tmp_path, "events.csv", "at\n2011-01-03T10:00:00Z\n2011-01-03T12:00:00+02:00\n")
    )
    assert report.columns[0]["name"] == "at_col"  # AT is an SQL keyword
    assert "converted to UTC" in report.columns[0]["inferred"]
    assert ws.query("SELECT DISTINCT at_col FROM events")["at_col"].tolist() == [
        pd.Timestamp("2011-01-03 10:00")
    ]


def test_pandas_style_whole_floats_become_integers(ws, tmp_path):
    load_file(ws, write(tmp_path, "ids.csv", "CustomerID,Quantity\n17850.0,6.0\n,-2.0\n"))
    assert dict(ws.columns("ids")) == {"CustomerID": "BIGINT", "Quantity": "BIGINT"}


# -- names ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Review Text", "review_text"),
        ("InvoiceNo", "InvoiceNo"),
        ("customer_id", "customer_id"),
        ("2019 Sales", "col_2019_sales"),
        ("Prénom", "prenom"),
        ("order", "order_col"),
        ("Order", "Order_col"),
        ("Unit Price ($)", "unit_price"),
        ("customer-id", "customer_id"),
        ("CustomerID (new)", "customer_id_new"),
        ("%", "column_9"),
        ("select", "select_col"),
    ],
)
def test_sanitise(name, expected):
    assert sanitise(name, fallback="column_9") == expected


def test_renamed_columns_keep_the_users_names(ws, tmp_path):
    report = load_file(
        ws, write(tmp_path, "reviews.csv", "Clothing ID,Review Text,Rating,InvoiceNo\n1,Nice,5,A1\n")
    )
    assert report.renames == {"Clothing ID": "clothing_id", "Review Text": "review_text"}
    assert ws.original_names("reviews") == {"clothing_id": "Clothing ID", "review_text": "Review Text"}
    assert [c for c, _ in ws.columns("reviews")] == ["clothing_id", "review_text", "Rating", "InvoiceNo"]


# -- other formats -------------------------------------------------------------------------------------------
def test_tsv_and_pipe_delimited(ws, tmp_path):
    load_file(ws, write(tmp_path, "a.tsv", "x\ty\n1\thello, world\n"))
    load_file(ws, write(tmp_path, "b.csv", "x|y\n1|a\n2|b\n"))
    assert ws.query("SELECT y FROM a")["y"][0] == "hello, world"
    assert ws.query("SELECT sum(x) AS s FROM b")["s"][0] == 3


def test_parquet_keeps_its_types(ws, tmp_path):
    df = pd.DataFrame(
        {
            "Order Id": ["001", "002"],
            "when": pd.to_datetime(["2011-01-01", "2011-01-02"]),
            "amount": [1.5, 2.0],
        }
    )
    df.to_parquet(tmp_path / "p.parquet")
    report = load_file(ws, tmp_path / "p.parquet")
    types = {c["name"]: c["type"] for c in report.columns}
    assert (
        types["order_id"] == "VARCHAR"
        and types["amount"] == "DOUBLE"
        and types["when_col"].startswith("TIMESTAMP")
    )
    assert ws.query("SELECT order_id FROM p ORDER BY 1")["order_id"].tolist() == ["001", "002"]


def test_json_records_nested_objects_flatten(ws, tmp_path):
    records = [
        {
            "customer": {"name": "Ann", "tier": "gold"},
            "total": "$5.00",
            "when": "2011-01-03T10:00:00",
            "tags": ["a"],
        },
        {
            "customer": {"name": "Bo", "tier": None},
            "total": "$7.50",
            "when": "2011-01-04T11:00:00",
            "tags": [],
        },
    ]
    report = load_file(ws, write(tmp_path, "orders.json", json.dumps(records)))
    types = {c["name"]: c["type"] for c in report.columns}
    assert types == {
        "total": "DOUBLE",
        "when_col": "TIMESTAMP",
        "tags": "VARCHAR",
        "customer_name": "VARCHAR",
        "customer_tier": "VARCHAR",
    }
    assert ws.original_names("orders")["customer_name"] == "customer.name"
    assert ws.query("SELECT tags FROM orders ORDER BY total")["tags"].tolist() == ['["a"]', "[]"]


def test_ndjson_and_wrapped_json(ws, tmp_path):
    load_file(ws, write(tmp_path, "lines.ndjson", '{"a": 1, "b": true}\n\n{"a": 2, "b": false}\n'))
    assert dict(ws.columns("lines")) == {"a": "BIGINT", "b": "BOOLEAN"}
    report = load_file(
        ws, write(tmp_path, "wrapped.json", '{"data": [{"a": 1}, {"a": 2}], "meta": {"n": 2}}')
    )
    assert report.rows == 2 and "records under its key 'data'" in report.warnings[0]
    load_file(ws, write(tmp_path, "many.json", '{"a": 1}\n{"a": 2}\n'))  # NDJSON under a .json name
    assert ws.query("SELECT count(*) AS n FROM many")["n"][0] == 2


def test_reload_replaces_and_reports_it_with_the_existing_spelling(home, tmp_path):
    ws = Workspace(home, demo=False)
    report = load_file(ws, write(tmp_path, "ORDERS.csv", "order_id,amount\n7,1\n8,2\n9,3\n"))
    assert report.table == "orders" and report.replaced_rows == 2
    assert "It replaced the previous table orders (2 rows)." in str(report)
    assert ws.tables().count("orders") == 1 and ws.query("SELECT count(*) AS n FROM orders")["n"][0] == 3


def test_cli_load_prints_a_readable_report(tmp_path, home, capsys):
    code = main(
        [
            "--home",
            str(home),
            "load",
            str(write(tmp_path, "Web Sales.csv", 'Order Date,Amount\n2011-01-03,"$1,200"\n')),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Loaded Web Sales.csv into table web_sales: 1 row, 2 columns." in out
    assert "order_date  DATE" in out and "from 'Order Date'" in out
    assert "Warning: The file name 'Web Sales' is not a plain SQL name; the table is named web_sales." in out


def test_a_shops_own_time_zone_keeps_its_wall_times(ws, tmp_path):
    # a shop export in one zone (summer and winter offsets): the evening order of 31 December stays in 2023
    text = "created\n2023-12-31 20:15:00 -0500\n2023-07-01 09:00:00 -0400\n"
    report = load_file(ws, write(tmp_path, "orders.csv", text))
    assert "local times" in report.columns[0]["inferred"]
    assert ws.query("SELECT max(created) AS m FROM orders")["m"][0] == pd.Timestamp("2023-12-31 20:15")
