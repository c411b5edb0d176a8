"""The grounding check: planted wrong numbers are caught, honest roundings pass, answers are flagged."""

from __future__ import annotations

import pytest

from agent.grounding import Grounds, check, check_answer, extract, flag
from agent.strategy import sample_size_two_proportions
from tools.base import Fact

FACTS = [
    Fact("revenue", 9_747_747.93, "sql: SELECT sum(...)", "currency"),
    Fact("champions.share_customers", 0.1481, "segment_customers"),
    Fact("champions.customers", 763, "segment_customers"),
    Fact("Mens E-Mail.relative_lift", 1.188, "campaign_uplift"),
]


@pytest.fixture
def grounds() -> Grounds:
    return Grounds.build(FACTS, ["revenue by month in 2011-12"])


@pytest.mark.parametrize(
    "text",
    [
        "Revenue was 9,747,747.93.",
        "Revenue reached 9.75 million.",
        "We sold £9.7M in total.",
        "Net sales of $9,748k.",
        "about 9,700,000 in revenue",
        "Champions are 14.8% of customers.",
        "Champions are 14.81 per cent of customers.",
        "a share of 0.15",
        "763 champions",
        "mails lifted conversion by +118.8%",
        "In 2011-12 the trend reversed.",
        "1. Grow the champions\n2. Win back the others",
    ],
)
def test_rounding_variants_pass(text, grounds):
    result = check(text, grounds)
    assert result.ok, result.to_dict()


@pytest.mark.parametrize(
    "text, wrong",
    [
        ("Revenue was £12.5M last year.", "£12.5M"),
        ("Revenue reached 9.9 million.", "9.9 million"),
        ("Champions are 18% of customers.", "18%"),
        ("We have 800 champions.", "800"),
        ("Sales closed on 2012-01-15.", "2012-01-15"),
        ("Champions get 763% more.", "763%"),  # a count is not a percentage
    ],
)
def test_a_planted_wrong_number_is_caught_and_flagged(text, wrong, grounds):
    result = check(text, grounds)
    assert [m.text for m in result.unsupported] == [wrong]
    assert f"{wrong} [unverified]" in flag(text, result)


@pytest.mark.parametrize(
    "text, token",
    [
        ("Revenue was 660,137,96.", "660,137,96"),  # thousands groups not of three digits
        ("about 1,2345 orders", "1,2345"),
        ("Revenue was £9,747,747,93 in total.", "9,747,747,93"),  # its piece 9,747,747 would round to a fact
        ("1.234.567 lines", "1.234.567"),
        ("a share of 0,1481", "0,1481"),
    ],
)
def test_a_malformed_number_is_one_unsupported_number(text, token, grounds):
    numbers = [m for m in extract(text) if m.kind != "claim"]
    assert [(m.text, m.kind) for m in numbers] == [(token, "malformed")]  # never skipped, never split
    result = check(text, grounds)
    assert [m.text for m in result.unsupported] == [token] and result.numbers == 1
    assert f"{token} [unverified]" in flag(text, result)


def test_a_malformed_number_does_not_hide_the_well_formed_ones(grounds):
    text = "Revenue was 9,747,747.93 (9.75 million), not 9,747,74.93; champions are 14.8%."
    result = check(text, grounds)
    assert [m.text for m in result.mentions] == ["9,747,747.93", "9.75 million", "9,747,74.93", "14.8%"]
    assert [m.text for m in result.unsupported] == ["9,747,74.93"]
    flagged, record = check_answer(text, FACTS, [])
    assert "9,747,74.93 [unverified]" in flagged and record["unsupported"] == ["9,747,74.93"]


def test_invented_claims_are_caught_unless_the_data_holds_them(grounds):
    text = "Get 20% off and free shipping on our best-selling mugs, plus discounts!"
    unsupported = {m.text.lower() for m in check(text, grounds).unsupported}
    assert unsupported == {"20%", "% off", "free shipping", "best-selling", "discounts"}
    with_discount = Grounds.build([Fact("discount_share", 0.2, "sql")], ["rows with a discount"])
    assert {m.text for m in check("a discount for 20% of orders", with_discount).unsupported} == set()


def test_a_percentage_in_the_source_text_supports_the_same_percentage():
    grounds = Grounds.build([], ["Mens E-Mail +0.68% (95% CI 0.50% to 0.86%)"])
    assert check("a lift of 0.68% (95% confidence)", grounds).ok
    assert not check("a lift of 68%", grounds).ok


def test_digits_inside_identifiers_and_ordinals_are_not_numbers():
    assert extract("Q4 plan, an A/B test, the 3rd wave, SKU 85123A") == []


def test_check_answer_flags_and_notes_unsupported_numbers():
    text, record = check_answer(
        "Germany brought in 53.0, and France 99.", [Fact("Germany.revenue", 53.0, "s")], []
    )
    assert "99 [unverified]" in text and "could not be traced" in text
    assert record["numbers"] == 2 and record["supported"] == 1 and record["unsupported"] == ["99"]


def test_sample_size_matches_the_textbook_value():
    # 10% -> 15% at alpha 0.05 and 80% power needs 686 per group (Fleiss without continuity correction)
    assert sample_size_two_proportions(0.10, 0.15) == 686
    assert sample_size_two_proportions(0.02, 0.05) > sample_size_two_proportions(0.02, 0.08)
    with pytest.raises(ValueError):
        sample_size_two_proportions(0.1, 0.1)
