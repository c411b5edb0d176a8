"""A sensible default chart for a small result table (plotly), or None when no chart fits."""

from __future__ import annotations

from typing import Any

import pandas as pd


def auto_chart(df: pd.DataFrame, title: str = "") -> Any | None:
    """Line chart over time, bar chart over categories, for one label column and numeric columns."""
    if df is None or df.empty or len(df.columns) < 2 or len(df) > 500:
        return None
    import plotly.express as px

    label = df.columns[0]
    numeric = [c for c in df.columns[1:] if pd.api.types.is_numeric_dtype(df[c])]
    if not numeric:
        return None
    if pd.api.types.is_datetime64_any_dtype(df[label]):
        return px.line(df, x=label, y=numeric, title=title, markers=True)
    if pd.api.types.is_numeric_dtype(df[label]) and len(df) > 30:
        return None
    return px.bar(df.head(50), x=label, y=numeric[0], title=title)
