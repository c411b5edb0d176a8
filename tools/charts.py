"""A sensible default chart for a small result table (plotly), or None when no chart fits."""

from __future__ import annotations

from typing import Any

import pandas as pd


def auto_chart(df: pd.DataFrame, title: str = "", partial: dict[int, str] | None = None) -> Any | None:
    """Line chart over time, bar chart over categories, for one label column and numeric columns;
    ``partial``: row positions of periods the data covers only in part (drawn dotted)."""
    if df is None or df.empty or len(df.columns) < 2 or len(df) > 500:
        return None
    import plotly.express as px

    label = df.columns[0]
    numeric = [c for c in df.columns[1:] if pd.api.types.is_numeric_dtype(df[c])]
    if not numeric:
        return None
    if pd.api.types.is_datetime64_any_dtype(df[label]):
        if not partial:
            return px.line(df, x=label, y=numeric, title=title, markers=True)
        import plotly.graph_objects as go

        fig = go.Figure()
        flags = [i in partial for i in range(len(df))]
        for column in numeric:
            add_line(fig, list(df[label]), list(df[column]), str(column), flags)
        return fig.update_layout(title=title, xaxis_title=str(label))
    if pd.api.types.is_numeric_dtype(df[label]) and len(df) > 30:
        return None
    return px.bar(df.head(50), x=label, y=numeric[0], title=title)


def add_line(fig: Any, xs: list[Any], ys: list[Any], name: str, partial: list[bool]) -> None:
    """One series as a line; its partial periods (the data starts or ends inside them) dotted, with open
    markers, so a short last month does not read as a collapse."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    color = qualitative.Plotly[len({t.legendgroup for t in fig.data}) % len(qualitative.Plotly)]
    whole = [i for i, p in enumerate(partial) if not p]
    fig.add_trace(
        go.Scatter(
            x=[xs[i] for i in whole],
            y=[ys[i] for i in whole],
            name=name,
            mode="lines+markers",
            legendgroup=name,
            line={"color": color},
        )
    )
    for i in (i for i, p in enumerate(partial) if p):
        segment = sorted([i, *(j for j in (i - 1, i + 1) if 0 <= j < len(xs) and not partial[j])])
        fig.add_trace(
            go.Scatter(
                x=[xs[j] for j in segment],
                y=[ys[j] for j in segment],
                name=f"{name} (partial period)",
                mode="lines+markers",
                legendgroup=name,
                showlegend=False,
                line={"color": color, "dash": "dot"},
                marker={"symbol": ["circle-open" if partial[j] else "circle" for j in segment], "size": 9},
            )
        )
