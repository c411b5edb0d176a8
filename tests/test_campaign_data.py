"""The Complete Journey campaign joins documented in README.md work through sql_query and add up."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tools.sql import SqlQuery
from tools.workspace import demo_data_path

README = Path(__file__).resolve().parents[1] / "README.md"


def documented_query() -> str:
    """The SQL block of the README's campaign section: the example people copy must keep working."""
    section = README.read_text().split("### Campaigns, coupons and redemptions", 1)[1]
    return re.search(r"```sql\n(.*?)```", section, re.DOTALL).group(1)


def cj(name: str) -> pd.DataFrame:
    return pd.read_parquet(demo_data_path(f"complete_journey/{name}.parquet"))


@pytest.mark.slow
def test_campaign_redemptions_and_sales_query(demo_ws):
    result = SqlQuery(demo_ws)(sql=documented_query())
    df = result.table.set_index("campaign_id")
    assert len(df) == 27  # every campaign, also those without redemptions
    redemptions = cj("coupon_redemptions")
    assert df["redemptions"].sum() == len(redemptions)
    expected = redemptions.groupby("campaign_id").size()
    assert df.loc[expected.index, "redemptions"].tolist() == expected.tolist()
    assert df.index[0] == expected.idxmax() == "18"

    # Sales of campaign 18 recomputed in pandas: its coupon products bought by its households while it ran.
    desc = cj("campaign_descriptions").set_index("campaign_id").loc["18"]
    households = set(cj("campaigns").query("campaign_id == '18'")["household_id"])
    products = set(cj("coupons").query("campaign_id == '18'")["product_id"])
    tx = cj("transactions_sample")
    day = tx["transaction_timestamp"].dt.date
    mask = (
        tx["household_id"].isin(households)
        & tx["product_id"].isin(products)
        & (day >= pd.Timestamp(desc["start_date"]).date())
        & (day <= pd.Timestamp(desc["end_date"]).date())
    )
    assert df.loc["18", "coupon_product_sales"] == pytest.approx(round(tx.loc[mask, "sales_value"].sum(), 2))
    assert df.loc["18", "baskets"] == tx.loc[mask, "basket_id"].nunique()
    assert result.fact("18.redemptions") == 653
