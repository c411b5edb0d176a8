"""The single, explicit list of tools. Registering a name twice is an error, not a silent override."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tools.base import Tool

if TYPE_CHECKING:
    from tools.workspace import Workspace


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, tool: Tool) -> Tool:
        if tool.name in self._tools:
            raise ValueError(f"A tool named {tool.name!r} is already registered.")
        undocumented = [n for n, f in tool.Args.model_fields.items() if not f.description]
        if undocumented:
            raise ValueError(
                f"Tool {tool.name!r}: arguments without a description: {', '.join(undocumented)}"
            )
        self._tools[tool.name] = tool
        return tool

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(f"Unknown tool {name!r}; known: {', '.join(self._tools)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self):
        return iter(self._tools.values())

    def names(self) -> list[str]:
        return list(self._tools)


def cues_of(tools: Iterable[Tool | type[Tool]]) -> dict[str, re.Pattern[str]]:
    """Tool name -> the words a request must state for it (``Tool.cue``), for the tools that have one."""
    return {tool.name: tool.cue for tool in tools if tool.cue is not None}


def default_registry(workspace: Workspace) -> ToolRegistry:
    """Every analysis tool of the product, bound to one workspace (the writing tools live in agent/)."""
    registry = ToolRegistry()
    for tool_class in analysis_tools():
        registry.register(tool_class(workspace))
    return registry


def analysis_tools() -> tuple[type[Tool], ...]:
    """The analysis tool classes, in the order their claims on a question are tried (agent.loop)."""
    from tools.anomalies import DetectAnomalies
    from tools.churn import PredictChurn
    from tools.clv import CustomerLifetimeValue
    from tools.forecast import ForecastSales
    from tools.metrics import MetricQuery
    from tools.recommend import RecommendProducts
    from tools.roi import RoiCalculator
    from tools.rules import AssociationRules
    from tools.search import SemanticSearch
    from tools.segments import SegmentCustomers
    from tools.sentiment import ReviewSentiment
    from tools.sequences import SequentialPatterns
    from tools.sql import SqlQuery
    from tools.topics import ClusterTexts
    from tools.uplift import CampaignUplift

    return (
        SqlQuery,
        # Before metric_query: a tool with a cue claims the questions stating it first.
        PredictChurn,
        DetectAnomalies,
        ForecastSales,
        MetricQuery,
        RoiCalculator,
        CampaignUplift,
        CustomerLifetimeValue,
        SegmentCustomers,
        AssociationRules,
        SequentialPatterns,
        RecommendProducts,
        SemanticSearch,
        ClusterTexts,
        ReviewSentiment,
    )
