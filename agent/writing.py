"""Grounded writing tools: ``write_strategy`` and ``write_copy``.

They follow the Tool contract but live in agent/ because they call the model. The numbers they need come
from analysis tools (the conversation's, or ones they run themselves); the model writes words around
facts under a JSON schema; the grounding check verifies every number and claim, the text is regenerated
once when something is unsupported, and whatever is still unsupported is flagged (copy, reports) or its
sentence removed (strategies: advice no analysis supports should not be given at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

import prompts
from agent import grounding
from agent.calls import call_model
from agent.models import ChatModel, Message, ModelError
from agent.strategy import Assumptions, plan_actions
from agent.writer import readable
from tools.base import Fact, Table, Tool, ToolError, ToolResult
from tools.formats import one_currency
from tools.registry import ToolRegistry

WRITING_TOOLS = ("write_strategy", "write_copy", "build_report")
STRATEGY_TOOLS = (
    "segment_customers",
    "association_rules",
    "campaign_uplift",
    "roi_calculator",
    "predict_churn",
    "forecast_sales",
)
MAX_PROMPT_FACTS = 40
# A strategy or several copy variants is a long reply: on a CPU it takes minutes, not the seconds a tool
# call takes, so writing gets its own wall-time limit.
WRITING_TIMEOUT_S = 600.0


@dataclass
class WritingContext:
    """What the writing tools need beyond a workspace: the model, the analysis tools, earlier calls."""

    model: Callable[[], ChatModel] | None = None
    registry: ToolRegistry | None = None
    history: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])  # [{"name", "args"}]


@dataclass
class Analysis:
    """One analysis a write-up rests on: the call and its result."""

    name: str
    args: dict[str, Any]
    result: ToolResult

    def source(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args, "sql": self.result.sql}


def analyses_currency(analyses: list[Analysis]) -> str | None:
    """The one currency of the analyses' money (None when unknown or mixed): what written money must use."""
    return one_currency(a.result.currency for a in analyses)


class WrittenResult(ToolResult):
    """A ToolResult whose text is the answer itself, with its grounding record and sources."""

    def __init__(
        self,
        *args: Any,
        grounding: dict[str, Any],
        sources: list[dict[str, Any]],
        extra: dict[str, Any] | None = None,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.grounding = grounding
        self.sources = sources
        self.extra = extra or {}

    def to_dict(self, max_rows: int | None = 1000) -> dict[str, Any]:
        return {
            **super().to_dict(max_rows),
            **self.extra,
            "grounding": self.grounding,
            "sources": self.sources,
        }


class WritingTool(Tool):
    """Base of the tools that write: the answer is their text (the agent's writer does not rewrite it)."""

    writes_answer = True

    def __init__(self, workspace, context: WritingContext | None = None):
        super().__init__(workspace)
        self.context = context or WritingContext()

    def model(self) -> ChatModel:
        if self.context.model is None:
            raise ToolError(f"{self.name} needs a language model; none is configured.")
        return self.context.model()

    def registry(self) -> ToolRegistry:
        if self.context.registry is not None:
            return self.context.registry
        from tools.registry import default_registry

        return default_registry(self.ws)

    def run_analysis(self, name: str, args: dict[str, Any]) -> Analysis:
        """Run one analysis tool; its ToolError propagates (one sentence)."""
        registry = self.registry()
        if name not in registry:
            raise ToolError(f"The tool {name} is not available in this workspace.")
        return Analysis(name, args, registry.get(name)(**args))

    def earlier(self, names: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
        """The conversation's earlier calls of these tools, latest per tool and arguments."""
        out: list[tuple[str, dict[str, Any]]] = []
        for call in self.context.history():
            item = (call["name"], dict(call.get("args") or {}))
            if item[0] in names and item not in out:
                out.append(item)
        return out


# -- generation with one regeneration --------------------------------------------------------------------
@dataclass
class Draft:
    """Parsed JSON from the model, its texts, and the checks of the first and the final draft."""

    data: dict[str, Any]
    first: grounding.Check
    final: grounding.Check
    regenerated: bool

    def record(self) -> dict[str, Any]:
        return {
            "first_draft": self.first.to_dict(),
            "final": self.final.to_dict(),
            "regenerated": self.regenerated,
        }


def grounded_json(
    model: ChatModel,
    messages: list[Message],
    schema: dict[str, Any],
    grounds: grounding.Grounds,
    texts: Callable[[dict[str, Any]], list[str]],
    max_new_tokens: int = 400,
) -> Draft:
    """Generate JSON under ``schema``; if a text has an unsupported number or claim, regenerate once.

    Raises:
        ModelError: the model failed or its reply was not JSON.
    """
    data, raw = _generate(model, messages, schema, max_new_tokens)
    first = grounding.check("\n".join(texts(data)), grounds)
    if first.ok:
        return Draft(data, first, first, False)
    retry = [
        *messages,
        {"role": "assistant", "content": raw},
        {"role": "user", "content": grounding.fix_request(first)},
    ]
    try:
        data2, _ = _generate(model, retry, schema, max_new_tokens)
    except ModelError:
        return Draft(data, first, first, False)
    final = grounding.check("\n".join(texts(data2)), grounds)
    # Keep the second draft only when it is no worse (a worse retry would lose a good first text).
    if len(final.unsupported) <= len(first.unsupported):
        return Draft(data2, first, final, True)
    return Draft(data, first, first, True)


def _generate(
    model: ChatModel, messages: list[Message], schema: dict[str, Any], max_new_tokens: int
) -> tuple[dict[str, Any], str]:
    gen = call_model(
        model, messages, json_schema=schema, max_new_tokens=max_new_tokens, timeout_s=WRITING_TIMEOUT_S
    )
    try:
        data = json.loads(gen.text)
    except json.JSONDecodeError as e:
        raise ModelError(f"the reply was not valid JSON ({e.msg})") from None
    if not isinstance(data, dict):
        raise ModelError("the reply was not a JSON object")
    return data, gen.text


def flag_text(text: str, grounds: grounding.Grounds) -> tuple[str, grounding.Check]:
    """``text`` with its unsupported numbers and claims marked, and the check."""
    result = grounding.check(text, grounds)
    return grounding.flag(text, result), result


def prompt_facts(facts: list[Fact]) -> list[dict[str, Any]]:
    return [{"name": f.name, "value": readable(f.value)} for f in facts[:MAX_PROMPT_FACTS]]


def system_message() -> Message:
    return {"role": "system", "content": prompts.render("writing", "writing_system")}


def _string(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


# -- write_strategy --------------------------------------------------------------------------------------
class StrategyArgs(BaseModel):
    goal: str | None = Field(
        None, description="The business goal in the person's words (default: grow revenue)."
    )
    language: str = Field("English", description="Language to write in.")
    cross_sell_take_rate: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Assumed share of baskets that add a suggested bundle item (default 0.05).",
    )
    winback_response_rate: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Assumed share of lapsed customers a win-back offer brings back (default 0.05).",
    )


class WriteStrategy(WritingTool):
    name = "write_strategy"
    description = (
        "A marketing strategy from the analyses (segments, basket rules, campaign uplift, ROI): goal, "
        "findings citing their facts, actions per segment or product group, expected impact with its "
        "calculation, and the A/B test to measure it."
    )
    Args = StrategyArgs

    def run(self, args: StrategyArgs) -> ToolResult:
        analyses = self.analyses()
        defaults = Assumptions()
        assumptions = Assumptions(
            cross_sell_take_rate=args.cross_sell_take_rate or defaults.cross_sell_take_rate,
            winback_response_rate=args.winback_response_rate or defaults.winback_response_rate,
        )
        actions = plan_actions({a.name: a.result for a in analyses}, assumptions)
        if not actions:
            raise ToolError(
                "No analysis gave anything to act on; run segments, basket rules or a campaign test first."
            )
        facts = [f for a in analyses for f in a.result.facts] + [f for x in actions for f in x.facts()]
        facts += [Fact(f"assumption.{k}", v, "assumption (default)") for k, v in asdict(assumptions).items()]
        goal = args.goal or prompts.load("writing").get("default_goal", "grow revenue")
        texts = [goal, *(a.result.text for a in analyses)]
        tables = [t for a in analyses for t in a.result.tables]
        grounds = grounding.Grounds.build(facts, texts, analyses_currency(analyses), tables)
        from agent.strategy_text import compose_strategy

        return compose_strategy(
            self.model(), goal, args.language, analyses, actions, assumptions, facts, grounds
        )

    def analyses(self) -> list[Analysis]:
        """The conversation's strategy analyses, else the default ones (each skipped if it cannot run)."""
        calls = self.earlier(STRATEGY_TOOLS)
        if not calls:
            calls = list(prompts.load("writing")["strategy_default_analyses"].items())
        out = []
        for name, call_args in calls:
            try:
                out.append(self.run_analysis(name, dict(call_args)))
            except ToolError:
                continue  # e.g. no basket table: the strategy rests on what could run
        return out


# -- write_copy ------------------------------------------------------------------------------------------
class CopyArgs(BaseModel):
    kind: Literal["product_description", "email", "subject_lines", "ad"] = Field(
        "email", description="What to write: product_description, email, subject_lines or ad."
    )
    about: Literal["product", "bundle", "segment"] = Field(
        "product", description="Write about a product, a bundle (from basket rules) or a customer segment."
    )
    name: str | None = Field(
        None, description="The product (name or code), the bundle's first item, or the segment name."
    )
    tone: str = Field("friendly", description="Tone of voice, e.g. friendly, premium, playful.")
    length: Literal["short", "medium", "long"] = Field("short", description="Length of each variant.")
    language: str = Field("English", description="Language to write in.")
    variants: int = Field(3, ge=1, le=5, description="Number of variants to write (1 to 5).")


class WriteCopy(WritingTool):
    name = "write_copy"
    description = (
        "Marketing copy grounded in the data: product descriptions, e-mails, subject lines or ad variants "
        "for a product, a bundle from basket rules or a customer segment; tone, length, language, variants."
    )
    Args = CopyArgs

    def run(self, args: CopyArgs) -> ToolResult:
        from agent.copy import compose_copy, copy_facts

        subject, analyses = copy_facts(self, args)
        return compose_copy(self.model(), args, subject, analyses)


def register_writing_tools(registry: ToolRegistry, workspace, context: WritingContext) -> None:
    """Add write_strategy, write_copy and build_report to an assistant's registry."""
    from agent.reports import BuildReport

    for tool_class in (WriteStrategy, WriteCopy, BuildReport):
        registry.register(tool_class(workspace, context))


def result_table(rows: list[dict[str, Any]], name: str) -> Table:
    import pandas as pd

    return Table(name, pd.DataFrame(rows))
