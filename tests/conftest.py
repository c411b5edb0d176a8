"""Shared fixtures: every test gets its own home directory; tiny sales data; one demo workspace per run."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch) -> Path:
    """Point MARTMIND_HOME at a fresh temporary directory so no test touches ~/.martmind."""
    home = tmp_path / "home"
    monkeypatch.setenv("MARTMIND_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _no_unplanned_model_load(request, monkeypatch):
    """Make an unplanned real model load fail loudly unless the test is marked ``realmodel``.

    The backends call ``agent.models.guard_real_load`` before loading weights; it raises and records the
    attempt, and the record is checked here too, so code that catches the exception cannot hide the load.
    """
    if request.node.get_closest_marker("realmodel"):
        # Real models convert once (minutes on a CPU) into a cache shared by test runs, not per test home.
        default_cache = Path.home() / ".cache" / "martmind-test-models"
        monkeypatch.setenv("MARTMIND_MODELS_DIR", os.environ.get("MARTMIND_MODELS_DIR", str(default_cache)))
        yield
        return
    from agent import models

    monkeypatch.setenv("MARTMIND_FORBID_REAL_MODELS", "1")
    models.FORBIDDEN_LOADS.clear()
    yield
    if models.FORBIDDEN_LOADS:
        attempts = list(models.FORBIDDEN_LOADS)
        models.FORBIDDEN_LOADS.clear()
        pytest.fail(f"unplanned real model load {attempts}; mark the test @pytest.mark.realmodel")


# The columns of an Online Retail export, as the tests' sales tables have them.
SALES_COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]


def tiny_sales() -> pd.DataFrame:
    """12 invoices of 5 customers in 3 countries, with one cancellation and one guest (no customer id)."""
    rows = [
        # InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
        ("1001", "A", "RED MUG", 2, "2011-01-03 10:00", 3.0, 1, "United Kingdom"),
        ("1001", "B", "BLUE MUG", 1, "2011-01-03 10:00", 4.0, 1, "United Kingdom"),
        ("1002", "A", "RED MUG", 4, "2011-01-10 11:00", 3.0, 2, "Germany"),
        ("1002", "C", "TEA TOWEL", 2, "2011-01-10 11:00", 2.5, 2, "Germany"),
        ("1003", "B", "BLUE MUG", 3, "2011-02-01 09:30", 4.0, 1, "United Kingdom"),
        ("1003", "C", "TEA TOWEL", 1, "2011-02-01 09:30", 2.5, 1, "United Kingdom"),
        ("1004", "D", "CAKE TIN", 1, "2011-02-14 15:00", 10.0, 3, "France"),
        ("1005", "A", "RED MUG", 6, "2011-03-02 12:00", 3.0, 2, "Germany"),
        ("1005", "B", "BLUE MUG", 6, "2011-03-02 12:00", 4.0, 2, "Germany"),
        ("C1006", "A", "RED MUG", -2, "2011-03-05 12:00", 3.0, 2, "Germany"),
        ("1007", "D", "CAKE TIN", 2, "2011-03-20 16:00", 10.0, 4, "United Kingdom"),
        ("1007", "C", "TEA TOWEL", 2, "2011-03-20 16:00", 2.5, 4, "United Kingdom"),
        ("1008", "A", "RED MUG", 1, "2011-04-01 08:00", 3.0, None, "United Kingdom"),
        ("1009", "B", "BLUE MUG", 2, "2011-04-11 10:00", 4.0, 5, "France"),
        ("1009", "D", "CAKE TIN", 1, "2011-04-11 10:00", 10.0, 5, "France"),
        ("1010", "A", "RED MUG", 3, "2011-05-02 10:00", 3.0, 3, "France"),
        ("1010", "B", "BLUE MUG", 3, "2011-05-02 10:00", 4.0, 3, "France"),
        ("1011", "C", "TEA TOWEL", 5, "2011-05-20 13:00", 2.5, 4, "United Kingdom"),
        ("1012", "A", "RED MUG", 2, "2011-06-01 14:00", 3.0, 1, "United Kingdom"),
        ("1012", "D", "CAKE TIN", 1, "2011-06-01 14:00", 10.0, 1, "United Kingdom"),
    ]
    df = pd.DataFrame(
        rows,
        columns=SALES_COLUMNS,
    )
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    df["CustomerID"] = df["CustomerID"].astype("Int64")
    return df


@pytest.fixture
def ws(tmp_path):
    """A workspace without the demo data, holding the tiny `sales` table."""
    from tools.workspace import Workspace

    workspace = Workspace(tmp_path / "ws", demo=False)
    workspace.save_table("sales", tiny_sales(), source="test")
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory):
    """One workspace with all demo tables for the whole run (loading takes about a second)."""
    from tools.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("demo"))
    yield workspace
    workspace.close()
