"""``campaign_uplift``: treatment vs control incrementality with confidence intervals and p-values.

Works on any table with a group column (control and one or more treatments) and an outcome: a binary
conversion (0/1, true/false) or a numeric amount. Group sizes, means and variances come from one SQL
aggregate; the statistics (``tools.uplift_stats``) run on those summaries.
"""

from __future__ import annotations

import math
import re
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, field_validator

from tools import uplift_stats as st
from tools.base import Fact, RetryableToolError, Table, Tool, ToolError, ToolResult, frame_facts
from tools.inputs import DEFAULT, InputLog, fraction_hint, from_data, notes_table
from tools.names import closest
from tools.sqlguard import check_sql
from tools.workspace import quote_ident

# The usual sample-ratio mismatch alarm threshold: a sound random split rarely misses its plan by this much.
SRM_ALPHA = 0.001
MIN_GROUP = 30
CONTROL_NAMES = ("control", "no e-mail", "no email", "holdout", "hold-out", "none", "no", "0", "false")


class UpliftArgs(BaseModel):
    table: str = Field(description="The table with one row per customer (or unit) in the experiment.")
    group_column: str = Field(description="The column naming each row's group (treatment or control).")
    outcome: str = Field(
        description="The outcome column: a 0/1 conversion or a numeric amount such as spend."
    )
    control: str | None = Field(
        None,
        description="The control group's value in group_column, as stated; null "
        "detects a value like 'control' or 'No E-Mail'.",
    )
    treatments: list[str] | None = Field(
        None, description="Treatment values to compare with the control; null compares every other group."
    )
    outcome_type: Literal["binary", "amount"] | None = Field(
        None, description="'binary' (rates) or 'amount' (means); null detects it from the values."
    )
    value_per_conversion: float | None = Field(
        None,
        gt=0,
        description="Revenue of one conversion, as stated "
        "(binary outcomes), to turn extra conversions into revenue.",
    )
    cost_per_contact: float | None = Field(
        None,
        ge=0,
        description="Cost of treating one customer (e.g. one e-mail), as stated; gives the incremental ROI.",
    )
    margin: float | None = Field(
        None, ge=0, le=1, description="Gross margin 0..1, as stated; null gives revenue ROI."
    )
    expected_shares: dict[str, float] | None = Field(
        None,
        description="Planned share of each group, e.g. "
        "{'A': 0.5, 'B': 0.5}, for the sample-ratio check; null "
        "expects equal groups.",
    )
    where: str | None = Field(
        None, description="An SQL condition restricting the rows, e.g. \"channel = 'Web'\"."
    )

    _check_margin = field_validator("margin", mode="before")(fraction_hint)


# An experiment is asked about in its words ("campaign", "e-mail", "treatment vs control", "uplift").
EXPERIMENT_WORDS = re.compile(
    r"\b(?:uplift|lift|campaigns?|e-?mails?|mail\w*|treatment|treated|control|experiment\w*|tests?|tested|"
    r"significan\w*|p-?values?|incremental\w*|a/b|holdout|variants?|hillstrom)\b",
    re.IGNORECASE,
)


class CampaignUplift(Tool):
    name = "campaign_uplift"
    description = (
        "Incrementality of a campaign from an experiment table: per group size and mean, lift vs "
        "control with 95% confidence interval and p-value, incremental revenue and ROI, with "
        "sample-ratio and small-sample warnings."
    )
    Args = UpliftArgs
    cue = EXPERIMENT_WORDS
    cue_claims = False

    def run(self, args: UpliftArgs) -> ToolResult:
        sql = self._summary_sql(args)
        summary = self.ws.query(sql)
        if summary.empty:
            raise ToolError(
                f"No rows with both {args.group_column} and {args.outcome} in {args.table}"
                + (f" where {args.where}." if args.where else ".")
            )
        groups = {
            str(r.grp): st.Group(str(r.grp), int(r.n), float(r.mean), _var(r.var))
            for r in summary.itertuples()
        }
        control, treatments = _pick_groups(args, list(groups))
        _refuse_tiny_groups(groups, [control, *treatments], args)
        binary = _is_binary(args, summary)
        inputs = _inputs(args, control, treatments, binary, sql)
        table = _comparison_table(groups, control, treatments, binary, args)
        warnings = _warnings(groups, [control, *treatments], binary, args.expected_shares)
        return _result(args, table, binary, inputs, warnings, sql)

    def _summary_sql(self, args: UpliftArgs) -> str:
        columns = dict(self.ws.columns(args.table))
        for column in (args.group_column, args.outcome):
            if column not in columns:
                hint = closest(column, list(columns))
                raise RetryableToolError(
                    f"Column {column!r} is not in {args.table}."
                    + (f" Did you mean {hint}?" if hint else f" Columns: {', '.join(columns)}.")
                )
        kind = columns[args.outcome].upper()
        if not (kind.startswith(("BOOL", "DECIMAL", "DOUBLE", "FLOAT", "REAL")) or "INT" in kind):
            numeric = [
                c for c, t in columns.items() if "INT" in t.upper() or t.upper().startswith(("DOUBLE", "DEC"))
            ]
            raise RetryableToolError(
                f"The outcome {args.outcome!r} is {kind}, not a number or 0/1; numeric "
                f"columns: {', '.join(numeric)}."
            )
        g, o = quote_ident(args.group_column), f"CAST({quote_ident(args.outcome)} AS DOUBLE)"
        where = f" AND ({args.where})" if args.where else ""
        sql = (
            f"SELECT CAST({g} AS VARCHAR) AS grp, count(*) AS n, avg({o}) AS mean, var_samp({o}) AS var, "
            f"bool_and({o} IN (0, 1)) AS zero_one FROM {quote_ident(args.table)} "
            f"WHERE {g} IS NOT NULL AND {o} IS NOT NULL{where} GROUP BY 1 ORDER BY 1"
        )
        check_sql(sql, self.ws.tables())
        return sql


def _var(value: float) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


def _pick_groups(args: UpliftArgs, names: list[str]) -> tuple[str, list[str]]:
    """The control and treatment group names, matched case-insensitively, with 'did you mean' on a miss."""

    def resolve(value: str, what: str) -> str:
        exact = [n for n in names if n.lower() == value.strip().lower()]
        if exact:
            return exact[0]
        hint = closest(value, names)
        raise RetryableToolError(
            f"{what} {value!r} is not a value of {args.group_column}."
            + (f" Did you mean {hint}?" if hint else "")
            + f" Values: {', '.join(names)}."
        )

    if args.control is not None:
        control = resolve(args.control, "The control group")
    else:
        found = [n for n in names if n.strip().lower() in CONTROL_NAMES]
        if len(found) != 1:
            raise ToolError(
                f"Which value of {args.group_column} is the control group? Values: {', '.join(names)}."
            )
        control = found[0]
    treatments = (
        [resolve(t, "The treatment") for t in args.treatments]
        if args.treatments
        else [n for n in names if n != control]
    )
    if not treatments or control in treatments:
        raise ToolError(f"Name at least one treatment other than the control; values: {', '.join(names)}.")
    return control, treatments


def _refuse_tiny_groups(groups: dict[str, st.Group], used: list[str], args: UpliftArgs) -> None:
    """A group of one row has no variance to compare: refused with a sentence, not a division by zero."""
    tiny = [f"{g!r} has {groups[g].n} row" for g in used if groups[g].n < 2]
    if tiny:
        raise ToolError(
            f"Too few rows to compare in {args.table}: {'; '.join(tiny)}. Every group needs at least 2 rows"
            + (" (the where condition may be too narrow)." if args.where else ".")
        )


def _is_binary(args: UpliftArgs, summary: pd.DataFrame) -> bool:
    zero_one = bool(summary["zero_one"].all())
    if args.outcome_type == "binary" and not zero_one:
        raise ToolError(
            f"The outcome {args.outcome!r} has values other than 0 and 1, so it is not a conversion; "
            "use outcome_type 'amount'."
        )
    return zero_one if args.outcome_type is None else args.outcome_type == "binary"


def _inputs(args: UpliftArgs, control: str, treatments: list[str], binary: bool, sql: str) -> InputLog:
    inputs = InputLog()
    inputs.stated("table", args.table)
    inputs.add(
        "control", control, "stated" if args.control else "default", "" if args.control else "detected"
    )
    inputs.add(
        "treatments",
        ", ".join(treatments),
        "stated" if args.treatments else DEFAULT,
        "" if args.treatments else "every other group",
    )
    inputs.add(
        "outcome_type",
        "binary" if binary else "amount",
        "stated" if args.outcome_type else "from data: 0/1 values" if binary else "from data: numeric values",
    )
    inputs.add("group summaries", f"{args.outcome} by {args.group_column}", from_data(sql))
    for name in ("value_per_conversion", "cost_per_contact", "margin", "where"):
        inputs.stated(name, getattr(args, name))
    if args.expected_shares is None:
        inputs.add("expected_shares", "equal", DEFAULT, "for the sample-ratio check")
    else:
        inputs.stated("expected_shares", str(args.expected_shares))
    return inputs


def _comparison_table(
    groups: dict[str, st.Group], control: str, treatments: list[str], binary: bool, args: UpliftArgs
) -> pd.DataFrame:
    c = groups[control]
    rows = [_group_row(c, "control", binary)]
    for name in treatments:
        t = groups[name]
        cmp = st.two_proportions(t, c) if binary else st.welch(t, c)
        row = _group_row(t, "treatment", binary)
        row.update(
            lift=cmp.diff,
            lift_ci_low=cmp.low,
            lift_ci_high=cmp.high,
            relative_lift=cmp.diff / c.mean if c.mean else math.nan,
            p_value=cmp.p_value,
        )
        row.update(_money(cmp, t.n, binary, args))
        rows.append(row)
    df = pd.DataFrame(rows)
    if len(treatments) > 1:  # several treatments against one control: guard against chance winners
        df.loc[df["role"] == "treatment", "p_value_holm"] = st.holm(
            df.loc[df["role"] == "treatment", "p_value"].tolist()
        )
    return df


def _group_row(g: st.Group, role: str, binary: bool) -> dict:
    low, high = st.mean_interval(g, binary)
    return {"group": g.name, "role": role, "n": g.n, "mean": g.mean, "mean_ci_low": low, "mean_ci_high": high}


def _money(cmp: st.Comparison, n: int, binary: bool, args: UpliftArgs) -> dict:
    """Incremental revenue per customer and in total, and the incremental ROI when a cost is known."""
    value = args.value_per_conversion if binary else 1.0
    if value is None:
        return {"incremental_conversions": cmp.diff * n}
    out = {
        "incremental_revenue_per_customer": cmp.diff * value,
        "incremental_revenue_total": cmp.diff * value * n,
        "incremental_revenue_ci_low": cmp.low * value * n,
        "incremental_revenue_ci_high": cmp.high * value * n,
    }
    if args.cost_per_contact:
        cost = args.cost_per_contact * n
        gain = out["incremental_revenue_total"] * (args.margin if args.margin is not None else 1.0)
        out.update(cost=cost, incremental_roi=(gain - cost) / cost)
    return out


def _warnings(
    groups: dict[str, st.Group], used: list[str], binary: bool, expected: dict[str, float] | None
) -> list[str]:
    notes = []
    counts = [groups[g].n for g in used]
    shares = None
    if expected is not None:
        missing = [g for g in used if g not in expected]
        if missing:
            raise ToolError(
                f"expected_shares lacks {', '.join(missing)}; give a share for every compared group."
            )
        shares = [expected[g] for g in used]
    p = st.sample_ratio_p(counts, shares)
    if p < SRM_ALPHA:
        notes.append(
            f"WARNING sample-ratio mismatch: group sizes {dict(zip(used, counts, strict=True))} are unlikely under the "
            f"planned split (chi-square p = {p:.2g}); the assignment or tracking may be broken, so the "
            "lift may be biased."
        )
    small = [g for g in used if groups[g].n < MIN_GROUP]
    if binary:
        small += [
            g
            for g in used
            if g not in small and min(groups[g].successes, groups[g].n - groups[g].successes) < 5
        ]
    if small:
        notes.append(
            f"WARNING small sample in {', '.join(small)}: fewer than {MIN_GROUP} rows or fewer than 5 "
            "conversions or non-conversions; the intervals and p-values are rough."
        )
    return notes


def _result(
    args: UpliftArgs, df: pd.DataFrame, binary: bool, inputs: InputLog, warnings: list[str], sql: str
) -> ToolResult:
    method = (
        "two-proportion z test, Newcombe-Wilson 95% interval" if binary else "Welch t test and 95% interval"
    )
    control = df.iloc[0]
    headline = "; ".join(
        f"{r['group']} {_pct(r['lift'], binary, sign=True)} (95% CI {_pct(r['lift_ci_low'], binary)} to "
        f"{_pct(r['lift_ci_high'], binary)}, p = {r['p_value']:.2g})"
        for r in df.iloc[1:].to_dict("records")
    )
    lines = [
        f"Lift in {'rate' if binary else 'mean'} of {args.outcome} vs {control['group']}: {headline}.",
        f"Method: {method}.",
    ]
    for row in df.iloc[1:].to_dict("records"):
        verdict = "significant" if row["p_value"] < 0.05 else "not significant"
        lines.append(
            f"{row['group']} vs {control['group']}: {_pct(row['mean'], binary)} vs {_pct(control['mean'], binary)}, "
            f"lift {_pct(row['lift'], binary)} (95% CI {_pct(row['lift_ci_low'], binary)} to "
            f"{_pct(row['lift_ci_high'], binary)}), relative {row['relative_lift']:+.1%}, p = {row['p_value']:.3g} "
            f"({verdict} at 5%)" + _money_text(row, args)
        )
    if binary and args.value_per_conversion is None:
        warnings = [
            *warnings,
            "Give value_per_conversion to turn extra conversions into incremental revenue.",
        ]
    lines += warnings
    facts = frame_facts(df.drop(columns=["role"]), source=f"campaign_uplift ({method}) on {sql}")
    facts = [f for f in facts if f.value is not None]  # the control has no lift of its own
    facts.append(Fact("method", method, "campaign_uplift"))
    money = [c for c in df.columns if c.startswith("incremental_") or c == "cost"]
    tables = [Table("uplift", df.drop(columns=money))]
    if money:
        tables.append(Table("incremental_value", df.loc[df["role"] == "treatment", ["group", *money]]))
    return ToolResult(
        text="\n".join(lines),
        tables=[*tables, Table("inputs", inputs.frame()), *notes_table(warnings)],
        chart=_chart(df, args, binary),
        facts=facts,
        sql=[sql],
    )


def _money_text(row: dict, args: UpliftArgs) -> str:
    if "incremental_revenue_total" not in row or pd.isna(row.get("incremental_revenue_total")):
        return "."
    text = (
        f"; incremental revenue {row['incremental_revenue_per_customer']:,.4f} per customer, "
        f"{row['incremental_revenue_total']:,.2f} in total"
    )
    if "incremental_roi" in row and not pd.isna(row["incremental_roi"]):
        kind = "incremental ROI" if args.margin is not None else "incremental revenue ROI (no margin given)"
        text += f"; {kind} {row['incremental_roi']:.1%} on a cost of {row['cost']:,.2f}"
    return text + "."


def _pct(value: float, binary: bool, sign: bool = False) -> str:
    plus = "+" if sign else ""
    return f"{value:{plus}.2%}" if binary else f"{value:{plus},.4f}"


def _chart(df: pd.DataFrame, args: UpliftArgs, binary: bool):
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Bar(
            x=df["group"],
            y=df["mean"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": df["mean_ci_high"] - df["mean"],
                "arrayminus": df["mean"] - df["mean_ci_low"],
            },
        )
    )
    fig.update_layout(
        title=f"{'Rate' if binary else 'Mean'} of {args.outcome} by {args.group_column} (95% CI)",
        yaxis_tickformat=".2%" if binary else None,
    )
    return fig
