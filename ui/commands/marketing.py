"""Marketing math commands: `martmind roi`, `martmind uplift`, `martmind clv` (no LLM involved).

Each builds the tool's arguments from the flags the person gave (nothing else: an unset flag stays null,
so the tool applies its documented default or asks) and runs the same tool the assistant uses.
"""

from __future__ import annotations

import argparse

from tools.workspace import Workspace
from ui.output import CommandError, add_command

ROI_FLAGS = (
    "spend",
    "revenue",
    "baseline_revenue",
    "margin",
    "order_value",
    "new_customers",
    "monthly_margin_per_customer",
    "purchases_per_year",
    "lifetime_years",
    "table",
)


def register(sub: argparse._SubParsersAction) -> None:
    _register_roi(sub)
    _register_uplift(sub)
    _register_clv(sub)


def _register_roi(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "roi", run_roi, "ROI, ROAS, profit, break-even, CAC, payback and simple CLV")
    p.add_argument("--spend", type=float, help="campaign spend")
    p.add_argument("--revenue", type=float, help="revenue attributed to the campaign (taken as incremental)")
    p.add_argument("--baseline-revenue", type=float, help="revenue expected without the campaign")
    p.add_argument("--margin", type=float, help="gross margin 0..1 (0.4 = 40%%); without it: revenue ROI")
    p.add_argument("--order-value", type=float, help="average order value (break-even conversions, CLV)")
    p.add_argument("--new-customers", type=int, help="new customers acquired (CAC)")
    p.add_argument(
        "--monthly-margin-per-customer", type=float, help="gross margin per customer per month (payback)"
    )
    p.add_argument("--purchases-per-year", type=float, help="purchases per customer per year (CLV)")
    p.add_argument("--lifetime-years", type=float, help="expected customer lifetime in years (CLV)")
    p.add_argument("--table", help="transaction table to compute order value and purchases per year from")
    p.add_argument(
        "--scenario",
        action="append",
        metavar="NAME:SPEND:REVENUE[:MARGIN[:NEW_CUSTOMERS]]",
        help="a campaign or channel to compare (repeat the flag; --margin is the shared margin)",
    )


def _register_uplift(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "uplift", run_uplift, "treatment vs control lift with confidence interval and p-value"
    )
    p.add_argument("--table", required=True, help="experiment table, one row per customer")
    p.add_argument("--group", required=True, help="column naming each row's group")
    p.add_argument("--outcome", required=True, help="outcome column: 0/1 conversion or an amount")
    p.add_argument(
        "--control", help="the control group's value (default: detect 'control', 'No E-Mail', ...)"
    )
    p.add_argument(
        "--treatment", action="append", help="a treatment value (repeat; default: all other groups)"
    )
    p.add_argument("--outcome-type", choices=["binary", "amount"], help="default: detected from the values")
    p.add_argument("--value-per-conversion", type=float, help="revenue of one conversion (binary outcomes)")
    p.add_argument("--cost-per-contact", type=float, help="cost of treating one customer (incremental ROI)")
    p.add_argument("--margin", type=float, help="gross margin 0..1 for the incremental ROI")
    p.add_argument(
        "--expected-share",
        action="append",
        metavar="GROUP=SHARE",
        help="planned share of a group for the sample-ratio check (repeat; default: equal)",
    )
    p.add_argument("--where", help="SQL condition restricting the rows")


def _register_clv(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "clv", run_clv, "probabilistic customer lifetime value (BG/NBD + Gamma-Gamma)")
    p.add_argument("--table", help="transaction table (default: the current sales table)")
    p.add_argument("--months", type=int, help="horizon in months (default 12)")
    p.add_argument("--discount-rate", type=float, help="annual discount rate (default 0.10)")
    p.add_argument("--margin", type=float, help="gross margin 0..1; without it: revenue CLV")
    p.add_argument(
        "--calibration-end", help="fit up to this date (YYYY-MM-DD) and check the forecast after it"
    )


def run_roi(args: argparse.Namespace):
    from tools.roi import RoiCalculator

    kwargs = {name: getattr(args, name) for name in ROI_FLAGS if getattr(args, name) is not None}
    if args.scenario:
        kwargs["scenarios"] = [_scenario(text) for text in args.scenario]
    return RoiCalculator(Workspace(args.home))(**kwargs)


def _scenario(text: str) -> dict:
    parts = text.split(":")
    if not 3 <= len(parts) <= 5:
        raise CommandError(f"--scenario {text!r}: write NAME:SPEND:REVENUE[:MARGIN[:NEW_CUSTOMERS]].")
    keys = ("name", "spend", "revenue", "margin", "new_customers")
    return {k: v for k, v in zip(keys, parts, strict=False) if v != ""}


def run_uplift(args: argparse.Namespace):
    from tools.uplift import CampaignUplift

    kwargs = {
        "table": args.table,
        "group_column": args.group,
        "outcome": args.outcome,
        "control": args.control,
        "treatments": args.treatment,
        "outcome_type": args.outcome_type,
        "where": args.where,
        "value_per_conversion": args.value_per_conversion,
        "cost_per_contact": args.cost_per_contact,
        "margin": args.margin,
    }
    if args.expected_share:
        kwargs["expected_shares"] = dict(_share(text) for text in args.expected_share)
    return CampaignUplift(Workspace(args.home))(**{k: v for k, v in kwargs.items() if v is not None})


def _share(text: str) -> tuple[str, str]:
    group, sep, share = text.rpartition("=")
    if not sep or not group:
        raise CommandError(f"--expected-share {text!r}: write GROUP=SHARE, e.g. 'No E-Mail=0.33'.")
    return group, share


def run_clv(args: argparse.Namespace):
    from tools.clv import CustomerLifetimeValue

    kwargs = {
        "table": args.table,
        "horizon_months": args.months,
        "annual_discount_rate": args.discount_rate,
        "margin": args.margin,
        "calibration_end": args.calibration_end,
    }
    return CustomerLifetimeValue(Workspace(args.home))(**{k: v for k, v in kwargs.items() if v is not None})
