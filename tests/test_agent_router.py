"""The router on requests worded differently from its examples (real packaged embedding model)."""

from __future__ import annotations

import pytest

import prompts
from agent.router import Router
from tools.registry import analysis_tools, cues_of

ALL_TOOLS = [name for name in prompts.load("router_examples") if name != "none"]


@pytest.fixture(scope="module")
def router():
    return Router(ALL_TOOLS, cues=cues_of(analysis_tools()))


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("net sales broken down by country for 2011", "metric_query"),
        ("what do shoppers put in the same basket as the cake stand", "association_rules"),
        ("find reviews mentioning a broken zip", "semantic_search"),
        ("did sending the email lift conversions versus the holdout", "campaign_uplift"),
        ("put our clients into RFM groups", "segment_customers"),
        ("we spent 900 and earned 4000, what's the return on investment", "roi_calculator"),
        ("suggest products customer 15311 might buy", "recommend_products"),
        ("hi there", "none"),
        ("what revenue should we expect over the next 6 weeks", "forecast_sales"),
        ("who is likely to stop ordering from us", "predict_churn"),
        ("what is the lifetime value of each customer", "customer_lifetime_value"),
    ],
)
def test_router_ranks_the_right_tool_first(router, request_text, tool):
    assert router.rank(request_text)[0][0] == tool


def test_a_tool_with_a_cue_is_never_ranked_for_a_question_without_it(router):
    for request in ("weekly orders in 2011", "monthly revenue trend", "orders per day in November"):
        assert "forecast_sales" not in router.route(request, "auto").names
    assert router.route("weekly orders for the coming two months", "auto").names[0] == "forecast_sales"


@pytest.mark.parametrize(
    ("request_text", "not_ranked"),
    [
        ("who are our 5 best customers by total spend?", "segment_customers"),
        ("on average how many items are in an order?", "sequential_patterns"),
        ("on average how many items are in an order?", "association_rules"),
        ("Revenue by sales channel for 2023", "roi_calculator"),  # no figures to calculate with
        ("What share of our buyers came back to order again?", "customer_lifetime_value"),
        ("How many customers are on each subscription tier?", "campaign_uplift"),
        # an e-mail address is no request for an outlook
        ("List all the orders from cwalsh@outlook.com with their dates", "forecast_sales"),
    ],
)
def test_an_analysis_is_ranked_only_for_a_request_in_its_own_words(router, request_text, not_ranked):
    assert not_ranked not in router.route(request_text, "top1").names


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("Can you break our customer base into groups?", "segment_customers"),
        ("What do shoppers typically pick up next?", "sequential_patterns"),
        ("Products that customers buy with candles", "association_rules"),
    ],
)
def test_an_analysis_in_its_own_words_is_still_ranked(router, request_text, tool):
    assert tool in router.route(request_text, "top1").names


def test_shortlist_never_fixes_and_off_does_not_rank(router):
    assert router.route("revenue by country, top 5", "shortlist").fixed is None
    assert router.route("revenue by country, top 5", "off").ranked == []
    assert router.route("revenue by country, top 5", "top1").fixed == "metric_query"


def test_a_confident_router_fixes_the_tool_and_a_vague_request_is_left_to_the_model(router):
    assert router.route("monthly revenue trend", "auto").fixed == "metric_query"
    assert router.route("tell me something interesting about the data", "auto").fixed is None


def test_examples_of_tools_that_do_not_exist_are_ignored():
    router = Router(["metric_query"], embedder=object())
    assert set(router._labels) == {"metric_query", "none"}


def test_examples_must_be_plain_strings():
    with pytest.raises(ValueError, match="plain strings"):
        Router(["x"], examples={"x": [{"compare": "a"}]}, embedder=object())


def test_a_request_that_names_sql_gets_sql_whatever_its_neighbours_say(router):
    request = "How many reviews are there per department name? Use SQL."
    assert router.rank(request)[0][0] != "sql_query"  # the neighbours alone would miss it
    for mode in ("top1", "auto", "shortlist"):
        route = router.route(request, mode)
        assert route.fixed == "sql_query" and route.names[0] == "sql_query"
    assert router.route("what does a consolidated report show", "top1").fixed != "sql_query"


def test_a_question_about_tables_unlike_any_example_goes_to_sql(router):
    """Another business's data (our own wording): the nearest examples are no real match, so SQL."""
    for request in (
        "Which pilots logged more than 200 flight hours?",
        "List the names of students enrolled in at least two courses",
        "Which concert hall has the most seats?",
    ):
        assert router.rank(request)[0][1] < router.unfamiliar, request
        assert router.route(request, "top1").fixed == "sql_query"
        for mode in ("auto", "shortlist"):  # the model chooses, with SQL first among the candidates
            assert router.route(request, mode).names[0] == "sql_query", (request, mode)
    assert router.route("thanks!", "top1").fixed == "none"  # small talk stays small talk
    assert router.route("revenue by country, top 5", "top1").fixed == "metric_query"
