"""The Data tab: load a file, browse the tables (schema card and preview), index a text column for search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from tools.schema import render_value_summary, schema_card
from tools.workspace import quote_ident
from ui.errors import friendly
from ui.session import UiContext

PREVIEW_ROWS = 50
FILE_TYPES = [".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xls", ".json", ".jsonl", ".ndjson"]
CARD_COLUMNS = ["column", "type", "roles", "null", "values"]


def error_box(message: str) -> str:
    return f'<div class="mm-error" role="alert">{_escape(message)}</div>'


def ok_box(message: str) -> str:
    return f'<div class="mm-ok" role="status">{_escape(message)}</div>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


# -- schema card ------------------------------------------------------------------------------------------
def table_card(ctx: UiContext, table: str) -> dict[str, Any]:
    """The schema card of one table."""
    return schema_card(ctx.ws, [table])[0]


def card_frame(card: dict[str, Any]) -> pd.DataFrame:
    """The card's columns as a table for the page."""
    rows = []
    for c in card["columns"]:
        null = c.get("null_share")
        rows.append(
            {
                "column": c["name"] + (f" (file: {c['original']})" if c.get("original") else ""),
                "type": c["type"],
                "roles": ", ".join(c.get("roles") or []),
                "null": "" if null is None else f"{null:.0%}" if null >= 0.005 else "",
                "values": render_value_summary(c, max_values=6),
            }
        )
    return pd.DataFrame(rows, columns=CARD_COLUMNS)


def card_header(card: dict[str, Any]) -> str:
    source = card.get("source") or ""
    origin = "demo data" if source.startswith("demo") else source
    if origin.startswith("file:"):  # an upload sits in a temporary folder: its name is what matters
        origin = Path(origin[5:]).name
    bits = [f"**{card['table']}**", f"{card['rows']:,} rows", f"{len(card['columns'])} columns"]
    if origin:
        bits.append(f"from {origin}")
    text = " · ".join(bits)
    for warning in card.get("warnings") or []:
        text += f"\n\n{warning}"
    return text


# -- handlers ---------------------------------------------------------------------------------------------
class DataHandlers:
    """The Data tab's handlers, bound to one UiContext."""

    def __init__(self, ctx: UiContext):
        self.ctx = ctx

    def table_choices(self, selected: str | None = None):
        tables = self.ctx.ws.tables()
        value = selected if selected in tables else (tables[0] if tables else None)
        return gr.update(choices=tables, value=value)

    def both_table_choices(self):
        """The table list and the index tab's table list (at page load)."""
        return self.table_choices(), self.table_choices()

    def upload(self, file: Any, table: str, sheet: str):
        """Load an uploaded file; returns (message, table dropdown, index-table dropdown)."""
        if file is None:
            return error_box("Choose a file first."), gr.skip(), gr.skip()
        # Gradio keeps the uploaded file's own name (in a folder of its cache), so the default table name
        # is the file's stem, as with `martmind load`.
        path = Path(file if isinstance(file, str) else getattr(file, "name", file))
        try:
            report = self.ctx.ws.load_file(
                path, table=(table or "").strip() or None, sheet=(sheet or "").strip() or None
            )
        except Exception as e:  # noqa: BLE001 - the loader's ToolError is already one sentence
            return error_box(f"{path.name} was not loaded: {friendly(e)}"), gr.skip(), gr.skip()
        name = getattr(report, "table", None) or (table or "").strip() or path.stem
        return (
            ok_box(load_message(report, path.name, name)),
            self.table_choices(name),
            self.table_choices(name),
        )

    def show_table(self, table: str | None):
        """Schema card header, card and preview of the chosen table."""
        if not table:
            return "No table yet: load a file above.", None, None
        try:
            card = table_card(self.ctx, table)
            preview = self.ctx.ws.query(f"SELECT * FROM {quote_ident(table)} LIMIT {PREVIEW_ROWS}")
        except Exception as e:  # noqa: BLE001
            return error_box(friendly(e)), None, None
        return card_header(card), card_frame(card), preview

    def text_columns(self, table: str | None):
        if not table:
            return gr.update(choices=[], value=None)
        columns = [n for n, t in self.ctx.ws.columns(table) if t.upper().startswith("VARCHAR")]
        return gr.update(choices=columns, value=columns[0] if columns else None)

    def index_column(self, table: str | None, column: str | None, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
        """Embed a text column into the search index, with a progress bar."""
        if not table or not column:
            return error_box("Choose a table and one of its text columns.")
        try:
            from tools.search import index_column
        except ImportError:
            return error_box("Search indexing is not available in this version of martmind yet.")

        def update(_source: str, done: int, total: int) -> None:
            progress((done, total), desc=f"Embedding {table}.{column}", unit="texts")

        try:
            progress(0, desc="Reading texts")
            stats = index_column(self.ctx.ws, table, column, None, progress=update)
        except Exception as e:  # noqa: BLE001
            return error_box(f"Indexing failed: {friendly(e)}")
        return ok_box(index_message(table, column, stats))


def load_message(report: Any, file_name: str, table: str) -> str:
    """The loader's summary and warnings (the column list is in the schema card below)."""
    if report is None:
        return f"Loaded {file_name} into table {table}."
    lines = [line for line in str(report).splitlines() if not line.startswith(" ")]
    return "\n".join(lines)


def index_message(table: str, column: str, stats: Any) -> str:
    data = stats.to_dict() if hasattr(stats, "to_dict") else dict(stats) if isinstance(stats, dict) else {}
    embedded = data.get("embedded")
    total = data.get("documents") or data.get("total") or data.get("count")
    bits = [f"Indexed {table}.{column} for search"]
    if total is not None:
        bits.append(f"{total:,} texts")
    if embedded is not None:
        bits.append(f"{embedded:,} newly embedded")
    return ", ".join(bits) + ". Ask the assistant to search it, e.g. 'find texts about delivery problems'."
