"""Property-based tests of the readers and type inference on hostile files (hypothesis).

Whatever the bytes, a load ends in a table or in one ToolError sentence, never a traceback; a typed column
never turns a written value into a null; a table has every row and column the file had; a failed load
leaves the previous table as it was. ``MARTMIND_HYPOTHESIS=long`` runs many more examples (`make` does
not: the default keeps the suite fast).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.base import ToolError
from tools.infer import NULL_TOKENS, infer_strings
from tools.loader import load_file
from tools.workspace import Workspace

settings.register_profile(
    "fast", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "long", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("MARTMIND_HYPOTHESIS", "fast"))

# Cell text as exports have it: any printable text, with the characters that break naive CSV readers.
CELL = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(['"', '""', ",", ";", "\t", "a\nb", " ", "£1,234.50", "(12.00)", "12%", "03/04/2011"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)
HEADER = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10), min_size=1, max_size=6
)


def is_empty(value: str) -> bool:
    return value.strip().lower() in NULL_TOKENS


@pytest.fixture
def home(tmp_path) -> Workspace:
    ws = Workspace(tmp_path / "hostile", demo=False)
    ws.save_table("kept", pd.DataFrame({"a": [1, 2, 3]}), source="test")
    yield ws
    ws.close()


def load_or_refuse(ws: Workspace, path: Path, table: str = "incoming"):
    """The load's report, or None when it was refused with a ToolError; the earlier table is intact."""
    try:
        return load_file(ws, path, table=table)
    except ToolError as e:
        assert str(e).strip() and "Traceback" not in str(e)
        return None
    finally:
        assert ws.query("SELECT sum(a) AS s FROM kept")["s"][0] == 6


@given(values=st.lists(CELL, min_size=1, max_size=30))
def test_inference_never_turns_a_written_value_into_a_null(values):
    inferred = infer_strings(pd.Series(values, dtype="object"), "col")
    assert len(inferred.values) == len(values)
    for written, read in zip(values, inferred.values, strict=True):
        if not is_empty(written):
            assert not pd.isna(read), (written, inferred.kind)
        if inferred.kind == "text":
            assert read == written or pd.isna(read)  # text stays verbatim


@given(
    amounts=st.lists(st.decimals(-(10**7), 10**7, places=2, allow_nan=False), min_size=2, max_size=20),
    symbol=st.sampled_from(["", "£", "$", "€"]),
    thousands=st.booleans(),
)
def test_amounts_written_in_a_shop_export_style_read_back_exactly(amounts, symbol, thousands):
    shown = [
        f"{'-' if a < 0 else ''}{symbol}{abs(a):,.2f}"
        if thousands
        else f"{'-' if a < 0 else ''}{symbol}{abs(a):.2f}"
        for a in amounts
    ]
    inferred = infer_strings(pd.Series(shown, dtype="object"), "amount")
    assert inferred.kind in ("number", "integer"), shown
    assert [round(float(v), 2) for v in inferred.values] == [float(a) for a in amounts]


@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".tsv", ".json", ".xlsx", ".parquet"]))
def test_random_bytes_load_as_a_table_or_one_sentence(home, tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    load_or_refuse(home, path)


@given(
    header=HEADER,
    rows=st.lists(st.lists(CELL, min_size=1, max_size=6), max_size=25),
    delimiter=st.sampled_from(",;\t|"),
)
def test_any_csv_shape_keeps_every_row_and_value_or_is_refused(home, tmp_path, header, rows, delimiter):
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in rows]  # a rectangular file (ragged ones: the next test)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows([header, *rows])
    path = tmp_path / "shape.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    report = load_or_refuse(home, path)
    if report is None:
        return
    table = home.query('SELECT * FROM "incoming"')
    assert len(table) == report.rows
    assert report.rows <= len(rows)  # never a row the file did not have
    non_empty = sum(not is_empty(v) for r in rows for v in r)
    assert int(table.notna().sum().sum()) >= non_empty - _blank_rows_values(rows)


def _blank_rows_values(rows: list[list[str]]) -> int:
    """Values in rows a reader may drop as blank lines (only whitespace in every cell)."""
    return sum(sum(not is_empty(v) for v in r) for r in rows if all(not v.strip() for v in r))


@given(
    rows=st.lists(
        st.lists(st.sampled_from(["1", "x", "2011-01-01", ""]), min_size=1, max_size=5),
        min_size=2,
        max_size=10,
    )
)
def test_ragged_rows_are_refused_or_padded_never_shifted(home, tmp_path, rows):
    text = "a,b,c\n" + "\n".join(",".join(r) for r in rows) + "\n"
    path = tmp_path / "ragged.csv"
    path.write_text(text)
    report = load_or_refuse(home, path)
    if report is not None:
        assert report.rows == sum(1 for r in rows if any(v for v in r) or len(r) > 1)


@given(
    utf8=st.text(
        st.characters(min_codepoint=0x80, max_codepoint=0x2FFF, blacklist_categories=("Cs",)),
        min_size=1,
        max_size=8,
    ),
    latin=st.text(st.characters(min_codepoint=0xA0, max_codepoint=0xFF), min_size=1, max_size=8),
)
def test_a_file_of_mixed_encodings_keeps_every_row(home, tmp_path, utf8, latin):
    payload = (
        b"name,amount\n"
        + utf8.replace(",", "").replace("\n", "").encode("utf-8")
        + b",1\n"
        + latin.replace(",", "").encode("latin-1")
        + b",2\n"
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(payload)
    report = load_or_refuse(home, path)
    if report is not None:
        assert report.rows == 2
        assert sorted(home.query('SELECT amount FROM "incoming"')["amount"].astype(int)) == [1, 2]


def test_a_huge_field_is_kept_whole(home, tmp_path):
    huge = "word " * 400_000  # 2 MB in one cell
    path = tmp_path / "huge.csv"
    path.write_text(f'id,review\n1,"{huge}"\n2,short\n')
    report = load_file(home, path, table="huge")
    assert report.rows == 2
    lengths = home.query("SELECT length(review) AS n FROM huge ORDER BY id")["n"].tolist()
    assert lengths == [len(huge), len("short")]


def test_a_header_with_an_unclosed_quote_is_one_sentence(home, tmp_path):
    path = tmp_path / "unclosed.csv"
    path.write_text('id,"review\n' + "word " * 40_000 + "\n1,2\n")
    assert load_or_refuse(home, path) is None


def test_a_file_with_old_mac_line_ends_loads_every_row(home, tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"id,amount\r1,2.50\r2,3.00\r")
    report = load_or_refuse(home, path)
    assert report is not None and report.rows == 2


@given(
    name=st.text(max_size=40) | st.sampled_from(["../../etc/passwd", "/tmp/x", "..", "a/../../b", "C:\\x"])
)
def test_no_name_leads_a_write_outside_its_folder(tmp_path, name):
    from types import SimpleNamespace

    from agent.conversations import ConversationStore
    from agent.reports import _slug
    from tools.loader import table_name
    from ui.chat import export_csv

    try:
        table = table_name(name, [], [], explicit=True)
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table), table
    except ToolError:
        pass
    assert re.fullmatch(r"[a-z0-9-]+", _slug(name))
    session = SimpleNamespace(export_dir=str(tmp_path), answers=1)
    written = Path(export_csv(session, name, pd.DataFrame({"a": [1]})))
    assert written.resolve().parent == tmp_path.resolve()
    store = ConversationStore(tmp_path / "conversations")
    with contextlib.suppress(ToolError):  # an id that cannot be a file name is refused: also fine
        assert store.path(name).resolve().parent == store.folder.resolve()
