"""martmind models at the LangChain boundary: bind_tools gives constrained tool calls as AIMessages."""

from __future__ import annotations

import jsonschema
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from agent.langchain_adapter import LangChainChatModel
from agent.models import ModelError, ScriptedModel
from agent.tool_schema import parse_tool_call, tool_call_schema


class MetricArgs(BaseModel):
    metric: str = Field(description="metric name", json_schema_extra={"enum": ["revenue", "orders", "aov"]})
    country: str | None = Field(None, description="a country filter, null for all")


class RoiArgs(BaseModel):
    spend: float = Field(description="campaign spend")
    revenue: float = Field(description="attributed revenue")


def metric_tool() -> StructuredTool:
    return StructuredTool.from_function(
        lambda metric, country=None: f"{metric} {country}",
        name="metric_query",
        description="A metric by dimension.",
        args_schema=MetricArgs,
    )


def roi_tool() -> StructuredTool:
    return StructuredTool.from_function(
        lambda spend, revenue: revenue / spend,
        name="roi_calculator",
        description="ROI from spend and revenue.",
        args_schema=RoiArgs,
    )


def test_bound_tools_become_one_constrained_call_schema_and_an_ai_tool_call():
    scripted = ScriptedModel().enqueue(
        {"name": "metric_query", "arguments": {"metric": "revenue", "country": "Germany"}}
    )
    llm = LangChainChatModel(model=scripted).bind_tools([metric_tool(), roi_tool()], tool_choice="any")
    message = llm.invoke([SystemMessage("You are an analyst."), HumanMessage("Revenue in Germany?")])
    assert isinstance(message, AIMessage)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("metric_query", {"metric": "revenue", "country": "Germany"})
    ]
    sent = scripted.sent[0]
    assert sent["messages"] == [
        {"role": "system", "content": "You are an analyst."},
        {"role": "user", "content": "Revenue in Germany?"},
    ]
    schema = sent["json_schema"]
    jsonschema.validate({"name": "roi_calculator", "arguments": {"spend": 10, "revenue": 30}}, schema)
    for bad in (
        {"name": "metric_query", "arguments": {"metric": "profit", "country": None}},  # not in enum
        {"name": "roi_calculator", "arguments": {"metric": "revenue"}},  # other tool's arguments
        {"name": "drop_table", "arguments": {}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_auto_tool_choice_lets_the_model_answer_in_text_and_tool_results_go_back():
    scripted = ScriptedModel().enqueue({"name": "respond", "arguments": {"text": "ROI is 200%."}})
    llm = LangChainChatModel(model=scripted).bind_tools([roi_tool()])
    history = [
        HumanMessage("ROI of 10 spend and 30 revenue?"),
        AIMessage(
            "", tool_calls=[{"name": "roi_calculator", "args": {"spend": 10, "revenue": 30}, "id": "c1"}]
        ),
        ToolMessage("2.0", tool_call_id="c1"),
    ]
    message = llm.invoke(history)
    assert message.content == "ROI is 200%." and not message.tool_calls
    sent = scripted.sent[0]["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": '{"name": "roi_calculator", "arguments": {"spend": 10, "revenue": 30}}',
    }
    assert sent[2]["role"] == "user" and "2.0" in sent[2]["content"]


def test_tool_choice_by_name_restricts_the_schema_to_that_tool():
    scripted = ScriptedModel().enqueue({"name": "roi_calculator", "arguments": {"spend": 1, "revenue": 2}})
    LangChainChatModel(model=scripted).bind_tools(
        [metric_tool(), roi_tool()], tool_choice="roi_calculator"
    ).invoke("x")
    schema = scripted.sent[0]["json_schema"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"name": "metric_query", "arguments": {"metric": "revenue", "country": None}}, schema
        )


def test_without_tools_it_is_a_plain_chat_model_with_usage():
    scripted = ScriptedModel().enqueue("Hello there")
    message = LangChainChatModel(model=scripted).invoke("hi")
    assert message.content == "Hello there" and scripted.sent[0]["json_schema"] is None
    assert message.usage_metadata["output_tokens"] == 2


def test_model_errors_surface_unchanged():
    with pytest.raises(ModelError, match="no reply queued"):
        LangChainChatModel(model=ScriptedModel()).invoke("hi")


def test_parse_tool_call_rejects_non_calls():
    schemas = {"metric_query": MetricArgs.model_json_schema()}
    assert parse_tool_call('{"name": "metric_query", "arguments": {"metric": "aov"}}', schemas) == (
        "metric_query",
        {"metric": "aov"},
    )
    with pytest.raises(ModelError, match="did not produce a tool call"):
        parse_tool_call("I think revenue", schemas)
    with pytest.raises(ModelError, match="unknown tool 'x'"):
        parse_tool_call('{"name": "x", "arguments": {}}', schemas)


def test_tool_call_schema_hoists_nested_definitions():
    class Window(BaseModel):
        start: str = Field(description="first day")
        end: str | None = Field(None, description="last day")

    class Args(BaseModel):
        window: Window = Field(description="date range")

    schema = tool_call_schema({"metric_query": Args.model_json_schema()})
    jsonschema.validate(
        {"name": "metric_query", "arguments": {"window": {"start": "2011-01-01", "end": None}}}, schema
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "metric_query", "arguments": {"window": {"end": None}}}, schema)
