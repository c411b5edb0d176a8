"""One turn of the agent: route, choose, fill, run (with self-correction), write.

A plain generator rather than a LangGraph graph: a turn is a straight line with one bounded retry loop,
a generator streams its steps to the UI for free, and conversation checkpoints are our own JSON files
(agent/conversations.py), so a graph framework would add indirection without adding a capability.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import prompts
from agent.calls import ToolCall, ToolCaller, validate_call
from agent.context import SCHEMA_CHARS, schema_card, stated_values, value_hints
from agent.followup import follow_up_args, is_follow_up
from agent.grounding import check_answer
from agent.headline import headline
from agent.learned import LearnedExamples, safe_similar
from agent.models import ChatModel, ModelError
from agent.question import (
    STRONG_EVIDENCE,
    Reading,
    asks_aggregate,
    asks_without_sales,
    read_question,
    speaks_of_sales,
)
from agent.router import (
    FALLBACK_TOOL,
    LEARNED_MATCH,
    NAMED_TOOLS,
    NO_TOOL,
    Route,
    Router,
    RouterMode,
    put_first,
)
from agent.sql_fill import SqlMode
from agent.state import DATE_FIELDS, FILTER_FIELDS, ConversationState
from agent.tables import table_facts
from agent.types import Answer, Step
from agent.writer import (
    INTERPRETATION_TOKENS,
    WRITER_TOKENS,
    answer_messages,
    chat_messages,
    fallback_answer,
    interpretation,
    stream_text,
)
from tools.arg_types import TABLE, fields_with_role
from tools.base import RetryableToolError, Tool, ToolError, ToolResult
from tools.joins import lookups
from tools.registry import ToolRegistry
from tools.workspace import Workspace

MAX_RETRIES = 2


class RetriesExhausted(ToolError):
    """Every call the model wrote for a tool was refused (the message says the last reason)."""


SHORTLIST = 3
# A retry samples this many candidate calls (greedy decoding would repeat the refused one): one that runs
# beats one that fails, and among those that run the most common result wins.
RETRY_SAMPLES = 3
RETRY_TEMPERATURE = 0.7


@dataclass
class Plan:
    """The call(s) the agent would make for a request, without running them."""

    calls: list[ToolCall] = field(default_factory=list)
    route: Route | None = None
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tool_calls": [c.to_dict() for c in self.calls],
            "route": self.route.to_dict() if self.route else None,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class _Turn:
    """What one turn accumulates for its Answer."""

    started: float = field(default_factory=time.perf_counter)
    steps: list[Step] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def step(self, kind: str, **kwargs: Any) -> Step:
        step = Step(kind=kind, **kwargs)
        self.steps.append(step)
        return step

    def answer(
        self,
        text: str,
        result: ToolResult | None = None,
        error: str | None = None,
        grounding: dict[str, Any] | None = None,
    ) -> Answer:
        self.timings["total"] = time.perf_counter() - self.started
        sql = list(result.sql) if result else []
        sources = [{"tool": c.name, "args": c.args, "sql": sql} for c in self.calls]
        return Answer(
            text=text,
            tool_calls=[c.to_dict() for c in self.calls],
            sql=list(result.sql) if result else [],
            tables=list(result.tables) if result else [],
            charts=[result.chart] if result and result.chart else [],
            facts=list(result.facts) if result else [],
            timings=dict(self.timings),
            steps=list(self.steps),
            error=error,
            sources=getattr(result, "sources", None) or sources,
            grounding=grounding if grounding is not None else getattr(result, "grounding", None),
        )


class Agent:
    """Drives one workspace's tools with one model.

    Args:
        ws: the workspace the tools are bound to.
        registry: the tools (the single list; nothing here names a tool).
        model: a callable returning the chat model (called on first use, so loading is lazy).
        router: the example-based router.
        router_mode: see agent.router.
        max_retries: how many times a retryable error goes back to the model.
        explicit_args: make the model write every argument (null when not stated); see calls.args_schema.
        learned: approved examples (agent.learned) shown to the model for similar requests.
        sql_mode: how ``sql_query``'s SQL is written: ``json`` (a JSON string) or ``grammar`` (plain SQL
            under a grammar of the linked tables' names; agent.sql_fill).

    Attributes:
        brief: answer with the code's headline alone, the model not asked to write (``ask --brief``).
    """

    brief: bool = False

    def __init__(
        self,
        ws: Workspace,
        registry: ToolRegistry,
        model: Callable[[], ChatModel],
        router: Router,
        *,
        router_mode: RouterMode = "top1",
        shortlist: int = SHORTLIST,
        max_retries: int = MAX_RETRIES,
        schema_chars: int = SCHEMA_CHARS,
        explicit_args: bool = False,
        learned: LearnedExamples | None = None,
        sql_mode: SqlMode = "json",
    ):
        self.ws, self.registry, self._model, self.router = ws, registry, model, router
        self.sql_mode = sql_mode
        self.learned = learned  # the person's approved calls, worked examples of the fill step
        self.router_mode, self.shortlist, self.max_retries = router_mode, shortlist, max_retries
        self.schema_chars = schema_chars
        self.explicit_args = explicit_args
        self._system: str | None = None

    def system_prompt(self) -> str:
        # Built once per agent: the same text every call lets a backend reuse its prompt cache.
        if self._system is None:
            self._system = prompts.render(
                "agent", "system", schema_card=schema_card(self.ws, self.schema_chars)
            )
        return self._system

    def _caller(self) -> ToolCaller:
        return ToolCaller(
            self._model(), self.system_prompt(), self.explicit_args, self.learned, sql_mode=self.sql_mode
        )

    # -- choosing ----------------------------------------------------------------------------------------
    def _route(self, question: str, turn: _Turn) -> Route:
        start = time.perf_counter()
        route = self.router.route(question, self.router_mode)
        turn.timings["route"] = time.perf_counter() - start
        return route

    def _select(self, caller: ToolCaller, question: str, state: ConversationState, route: Route) -> str:
        """The tool's name: fixed by the router, or chosen by the model among the candidates."""
        if route.fixed and (route.fixed == NO_TOOL or route.fixed in self.registry):
            return route.fixed
        if route.ranked:
            names = [n for n in route.names if n in self.registry or n == NO_TOOL][: self.shortlist]
            allow_none = NO_TOOL in names
            tools = [self.registry.get(n) for n in names if n != NO_TOOL]
        else:
            tools, allow_none = list(self.registry), True
        if not tools:
            return NO_TOOL
        return caller.choose(question, tools, state, ranked=bool(route.ranked), allow_none=allow_none)

    # -- reading the question ----------------------------------------------------------------------------
    def read(self, question: str, state: ConversationState) -> tuple[Reading, str]:
        """What code reads in the question, and the hint lines the model sees (values, table, period)."""
        stated = stated_values(self.ws, question)
        reading = read_question(self.ws, question, state, [m for _, m in stated])
        if reading.table and not self.ws.is_demo(reading.table):  # their own data: no demo values as hints
            stated = [(phrase, m) for phrase, m in stated if not self.ws.is_demo(m.table)]
        hints = "\n".join(h for h in (value_hints(self.ws, question, stated), reading.describe()) if h)
        return reading, hints

    def _prepare(
        self, question: str, state: ConversationState, turn: _Turn
    ) -> tuple[Route, Reading, str, ToolCall | None]:
        """Route (a follow-up keeps its tool) and read; a follow-up whose changes code can state is
        returned as a ready call, so the model is not asked at all."""
        start = time.perf_counter()
        reading, hints = self.read(question, state)
        turn.timings["read"] = time.perf_counter() - start
        previous: str = state.last_call["name"] if state.last_call else ""
        follow_up = is_follow_up(question, state) if previous in self.registry else None
        taught = None if follow_up else self._taught_call(question, reading, state)
        if taught is not None:
            turn.timings.setdefault("route", 0.0)
            return Route(ranked=[(taught.name, 1.0)], fixed=taught.name), reading, hints, taught
        route = None if follow_up == "opens" else self._route(question, turn)
        if follow_up and (route is None or route.names[:1] == [previous]):
            route = Route(ranked=[(previous, 1.0)], fixed=previous)
            turn.timings.setdefault("route", 0.0)
            return route, reading, hints, self._follow_up_call(self.registry.get(previous), state, reading)
        assert route is not None
        return self._fit_route(route, reading), reading, hints, None

    def _fit_route(self, route: Route, reading: Reading) -> Route:
        """A question about a sales table (or a table describing its rows) that a tool claims by code (a
        metric named in full: "average basket value" is no association rule, "our AOV in 2024" no ad-hoc
        SQL) goes to that tool, unless the person named another ("use SQL"). A question about a table that
        is no sales table (reviews, an e-mail test) goes to SQL when the routed tool works on sales tables,
        or when it asks for a count, share or average that only SQL computes over that table ("how many
        reviews gave 5 stars" is no sentiment prediction). A question a figures-only tool cannot answer (the
        rows of named orders, customers without sales, the customers file alone) goes to SQL too."""
        if not any(f.sales for f in table_facts(self.ws).values()):
            route = self._without_sales_tools(route)
        tool = self.registry.get(route.fixed) if route.fixed and route.fixed in self.registry else None
        if tool is not None and getattr(tool, "writes_answer", False):
            return route
        on_sales = reading.table == reading.sales_table or reading.table_why not in STRONG_EVIDENCE
        # "the average order value of Gold tier members": the tier is in the customers file, which
        # describes the sales table's rows, so a claiming tool can answer it (tools.joins.lookups)
        sales = reading.sales_table
        describes_sales = bool(sales) and (
            on_sales or reading.table in {lk.table for lk in lookups(self.ws, sales or "")}
        )
        # a tool the person names ("use SQL") is their word; a claim does not override it
        named = any(rx.search(reading.question) for rx in NAMED_TOOLS.values())
        claimant = None
        if describes_sales and not named:
            claimant = next((t.name for t in self.registry if t.claims(reading)), None)
            if claimant:
                route = Route(ranked=put_first(route.ranked, claimant), fixed=claimant)
                tool = self.registry.get(claimant)
        about_lookup = (
            bool(reading.table) and reading.table != sales and not speaks_of_sales(reading.question)
        )
        beyond_figures = reading.looks_up or about_lookup or asks_without_sales(reading.question)
        if beyond_figures and tool is not None and tool.figures_only and FALLBACK_TOOL in self.registry:
            # "the date and status of order KH-24210": the rows themselves; "how many customers are on each
            # plan": the customers file alone; "accounts that never ordered": no sales to compute over.
            # Only SQL answers these.
            return Route(ranked=put_first(route.ranked, FALLBACK_TOOL), fixed=FALLBACK_TOOL)
        if claimant:
            return route
        if tool is None or tool.name == FALLBACK_TOOL or FALLBACK_TOOL not in self.registry or on_sales:
            return route
        if not fields_with_role(tool.Args, TABLE) and not asks_aggregate(reading.question):
            return route
        return Route(ranked=put_first(route.ranked, FALLBACK_TOOL), fixed=FALLBACK_TOOL)

    def _without_sales_tools(self, route: Route) -> Route:
        """The route without the tools that read a sales table, for a workspace that has none (a school's
        database): its questions go to SQL, not to a metric layer that cannot find an amount column."""
        needs_sales = {t.name for t in self.registry if fields_with_role(t.Args, TABLE)}
        ranked = [(name, score) for name, score in route.ranked if name not in needs_sales]
        if route.fixed not in needs_sales:
            return Route(ranked=ranked, fixed=route.fixed)
        fixed = FALLBACK_TOOL if FALLBACK_TOOL in self.registry else next(iter(ranked), (None, 0.0))[0]
        return Route(ranked=put_first(ranked, fixed) if fixed else ranked, fixed=fixed)

    def _taught_call(self, question: str, reading: Reading, state: ConversationState) -> ToolCall | None:
        """The person's own call for this request: a taught question at least LEARNED_MATCH alike that
        states the same period, top-N, values and numbers runs as taught (a small model does not copy a
        worked example reliably; "VIP" means what the person said it means)."""
        best = next(iter(safe_similar(self.learned, question, None)), None)
        if best is None or best.score < LEARNED_MATCH or best.tool not in self.registry:
            return None
        taught, _ = self.read(best.question, ConversationState())
        if not reading.states_same_as(taught):
            return None
        try:
            return validate_call(self.registry.get(best.tool), best.args, state, follow_up=False)
        except RetryableToolError:
            return None  # the workspace changed under it (a table dropped): the model writes the call

    def _follow_up_call(self, tool: Tool, state: ConversationState, reading: Reading) -> ToolCall | None:
        args = follow_up_args(tool, state, reading, self.ws)
        if args is None:
            return None
        try:
            return validate_call(tool, args, state, follow_up=False)
        except RetryableToolError:
            return None  # code's change does not fit: the model writes the call

    # -- planning ----------------------------------------------------------------------------------------
    def plan(self, question: str, state: ConversationState) -> Plan:
        """The validated call the agent would make; nothing runs."""
        turn = _Turn()
        route, reading, hints, ready = self._prepare(question, state, turn)
        plan = Plan(route=route, timings=turn.timings)
        try:
            if ready is not None:
                plan.calls.append(ready)
            else:
                caller = self._caller()
                start = time.perf_counter()
                name = self._select(caller, question, state, route)
                turn.timings["choose"] = time.perf_counter() - start
                if name != NO_TOOL:
                    start = time.perf_counter()
                    tool = self.registry.get(name)
                    plan.calls.append(self._fill_valid(caller, question, tool, state, reading, hints))
                    turn.timings["fill"] = time.perf_counter() - start
        except ModelError as e:
            plan.error = model_failed_message(e)
        except ToolError as e:
            plan.error = str(e)
        turn.timings["total"] = time.perf_counter() - turn.started
        return plan

    def _fill_valid(
        self,
        caller: ToolCaller,
        question: str,
        tool: Tool,
        state: ConversationState,
        reading: Reading,
        hints: str,
    ) -> ToolCall:
        messages = caller.fill_messages(question, tool, state, hints)
        error = ""
        for attempt in range(1 + self.max_retries):
            try:
                call, _raw = caller.fill(
                    tool, messages, state, f"{question}\n{hints}", reading=reading, **_sampling(attempt, 0)
                )
                return call
            except RetryableToolError as e:
                error = str(e)
                messages = caller.retry_messages(messages, tool, getattr(e, "raw", ""), error)
        raise ToolError(
            prompts.render(
                "messages",
                "retries_exhausted",
                tool_name=tool.name,
                attempts=1 + self.max_retries,
                error=error,
            )
        )

    # -- running -----------------------------------------------------------------------------------------
    def run(self, question: str, state: ConversationState) -> Iterator[Step | Answer]:
        """Yield the turn's steps as they happen, then its Answer (always; failures become its text)."""
        turn = _Turn()
        route, reading, hints, ready = self._prepare(question, state, turn)
        yield turn.step(
            "route",
            args=route.to_dict(),
            text=", ".join(route.names[:SHORTLIST]),
            seconds=turn.timings["route"],
        )
        try:
            caller = self._caller()
            start = time.perf_counter()
            name = ready.name if ready is not None else self._select(caller, question, state, route)
            turn.timings["choose"] = time.perf_counter() - start
            if name == NO_TOOL:
                yield from self._chat(question, turn)
                return
            call, result = yield from self._call_or_fall_back(
                caller, question, self.registry.get(name), state, turn, reading, hints, ready
            )
            name = call.name
        except ModelError as e:
            message = model_failed_message(e)
            yield turn.step("error", text=message)
            yield turn.answer(message, error=message)
            return
        except ToolError as e:
            yield turn.step("error", text=str(e))
            yield turn.answer(str(e), error=str(e))
            return
        if result_is_empty(result):
            yield turn.answer(empty_message(call), result)
            return
        if getattr(self.registry.get(name), "writes_answer", False):
            yield turn.answer(result.text, result)  # a writing tool's text is the answer, already checked
            return
        yield from self._write(question, call, result, turn)

    def _call_tool(
        self,
        caller: ToolCaller,
        question: str,
        tool: Tool,
        state: ConversationState,
        turn: _Turn,
        reading: Reading,
        hints: str,
        ready: ToolCall | None = None,
    ):
        """Fill and run; on a retryable error, sample candidates with the error shown; returns (call, result).

        ``ready`` is a call code already made (a follow-up): it runs first, without the model.
        """
        start = time.perf_counter()
        messages: list | None = None
        error, raw = "", ""
        for attempt in range(1 + self.max_retries):
            if attempt:
                yield turn.step("retry", tool=tool.name, text=error)
            if attempt == 0 and ready is not None:
                candidates = [(ready, json.dumps(ready.args))]
            else:
                if messages is None:
                    messages = caller.fill_messages(question, tool, state, hints)
                if attempt:  # the refused reply (or code's refused call) and its error, for the model
                    messages = caller.retry_messages(messages, tool, raw, error)
                candidates, failures = self._candidates(
                    caller, tool, messages, state, question, hints, reading, attempt
                )
                if failures:
                    error, raw = failures[0]
            ran: list[tuple[ToolCall, ToolResult]] = []
            for call, call_raw in candidates:
                turn.calls.append(call)
                yield turn.step("tool_call", tool=tool.name, args=call.args)
                tool_start = time.perf_counter()
                try:
                    ran.append((call, run_tool(tool, call)))
                except RetryableToolError as e:
                    if not ran:
                        error, raw = str(e), call_raw
                finally:
                    turn.timings["tool"] = turn.timings.get("tool", 0.0) + time.perf_counter() - tool_start
            if not ran:
                continue
            call, result = most_common(ran)
            turn.calls.remove(call)
            turn.calls.append(call)  # the call whose result is the answer is the turn's last call
            turn.timings["call"] = time.perf_counter() - start
            if attempt:
                turn.timings["candidates"] = turn.timings.get("candidates", 0) + len(candidates)
            yield turn.step(
                "tool_result",
                tool=tool.name,
                args=call.args,
                sql=list(result.sql),
                text=result.text,
                result=result,
                seconds=time.perf_counter() - start,
            )
            return call, result
        raise RetriesExhausted(
            prompts.render(
                "messages",
                "retries_exhausted",
                tool_name=tool.name,
                attempts=1 + self.max_retries,
                error=error,
            )
        )

    def _call_or_fall_back(
        self,
        caller: ToolCaller,
        question: str,
        tool: Tool,
        state: ConversationState,
        turn: _Turn,
        reading: Reading,
        hints: str,
        ready: ToolCall | None,
    ):
        """``_call_tool``; when every call of a data tool failed, SQL gets a turn: it can express any
        question about the data ("total turnover across the whole export" read as a Country filter by the
        metric layer). When SQL fails too, the first tool's reason is the one said."""
        try:
            return (yield from self._call_tool(caller, question, tool, state, turn, reading, hints, ready))
        except RetriesExhausted as e:
            fallback = FALLBACK_TOOL in self.registry and tool.name != FALLBACK_TOOL
            if not fallback or getattr(tool, "writes_answer", False):  # a writing request is no data question
                raise
            yield turn.step("retry", tool=FALLBACK_TOOL, text=f"{e} Trying {FALLBACK_TOOL} instead.")
            sql = self.registry.get(FALLBACK_TOOL)
            try:
                return (yield from self._call_tool(caller, question, sql, state, turn, reading, hints))
            except RetriesExhausted:
                raise e from None

    def _candidates(
        self,
        caller: ToolCaller,
        tool: Tool,
        messages: list,
        state: ConversationState,
        question: str,
        hints: str,
        reading: Reading,
        attempt: int,
    ) -> tuple[list[tuple[ToolCall, str]], list[tuple[str, str]]]:
        """Valid calls (greedy on the first attempt, ``RETRY_SAMPLES`` sampled after) with their raw
        replies, and the failures as (error, raw reply)."""
        calls: list[tuple[ToolCall, str]] = []
        failures: list[tuple[str, str]] = []
        for index in range(1 if attempt == 0 else RETRY_SAMPLES):
            try:
                call, raw = caller.fill(
                    tool,
                    messages,
                    state,
                    f"{question}\n{hints}",
                    reading=reading,
                    **_sampling(attempt, index),
                )
                calls.append((call, raw))
            except RetryableToolError as e:
                failures.append((str(e), getattr(e, "raw", "")))
            except ModelError:
                if index == 0:
                    raise
                break  # the model failed on a later sample: go on with the candidates it gave
        return calls, failures

    def _write(
        self, question: str, call: ToolCall, result: ToolResult, turn: _Turn
    ) -> Iterator[Step | Answer]:
        """The headline (code, shown at once), then the model's interpretation (grounding-checked).

        With ``brief`` set on the agent the model is skipped: the headline (else the plain result) answers.
        """
        start = time.perf_counter()
        lead = headline(question, call, result)
        brief = self.brief
        if lead:
            yield Step(kind="writing", tool=call.name, text=lead if brief else lead + " ")
        text, cut_off = "", False
        if not brief:
            tokens = INTERPRETATION_TOKENS if lead else WRITER_TOKENS
            try:
                messages = answer_messages(question, call, result, lead)
                for kind, value in stream_text(self._model(), messages, max_new_tokens=tokens):
                    if kind == "token":
                        yield Step(kind="writing", tool=call.name, text=value)
                    else:
                        text, cut_off = value.text.strip(), value.finish_reason == "length"
            except ModelError as e:
                yield turn.step("error", text=model_failed_message(e))
                text = ""
        if lead:
            text = interpretation(text, lead, cut_off)
        if not (lead or text):
            text = fallback_answer(result)
        context = [question, json.dumps(call.args, ensure_ascii=False), result.text]
        # the model's sentences only: the headline is code's, composed from the facts
        text, checked = check_answer(text, result.facts, context, result.currency, result.tables)
        text = f"{lead} {text}".strip() if lead else text
        turn.timings["write"] = time.perf_counter() - start
        turn.steps.append(Step(kind="writing", tool=call.name, text=text, seconds=turn.timings["write"]))
        yield turn.answer(text, result, grounding=checked)

    def _chat(self, question: str, turn: _Turn) -> Iterator[Step | Answer]:
        """A request that needs no tool: a short reply, never a number about the data."""
        start = time.perf_counter()
        tools = [{"name": t.name, "description": t.description} for t in self.registry]
        text = ""
        try:
            for kind, value in stream_text(self._model(), chat_messages(question, tools), max_new_tokens=160):
                if kind == "token":
                    yield Step(kind="writing", text=value)
                else:
                    text = value.text.strip()
        except ModelError as e:
            yield turn.step("error", text=model_failed_message(e))
        text = text or prompts.render("messages", "no_tools_reply")
        turn.timings["write"] = time.perf_counter() - start
        turn.steps.append(Step(kind="writing", text=text, seconds=turn.timings["write"]))
        yield turn.answer(text)


def _sampling(attempt: int, index: int) -> dict[str, Any]:
    """Greedy for the first attempt; sampled, with a distinct seed per candidate, for the retries."""
    return {} if attempt == 0 else {"temperature": RETRY_TEMPERATURE, "seed": attempt * 100 + index}


def most_common(ran: list[tuple[ToolCall, ToolResult]]) -> tuple[ToolCall, ToolResult]:
    """The (call, result) whose result most candidates share (the first such one on a tie)."""
    keys = [result_key(result) for _, result in ran]
    best = max(range(len(ran)), key=lambda i: (keys.count(keys[i]), -i))
    return ran[best]


def result_key(result: ToolResult) -> str:
    """What two results must share to count as the same answer: their first table, else their text."""
    if result.tables:
        return json.dumps(result.tables[0].to_dict(max_rows=50), default=str, sort_keys=True)
    return result.text


def run_tool(tool: Tool, call: ToolCall) -> ToolResult:
    """Run a validated call; an unexpected crash becomes one clear sentence."""
    try:
        return tool.answer(call.parsed if call.parsed is not None else tool.parse_args(call.args))
    except ToolError:
        raise
    except Exception as e:  # noqa: BLE001 - a tool bug must not end the conversation
        raise ToolError(
            prompts.render("messages", "tool_crashed", tool_name=tool.name, error=f"{type(e).__name__}: {e}")
        ) from None


def result_is_empty(result: ToolResult) -> bool:
    """A result whose tables are all empty (a tool without tables is never 'empty')."""
    return bool(result.tables) and all(t.df.empty for t in result.tables)


def empty_message(call: ToolCall) -> str:
    """'No rows matched' with the filters that caused it (or all arguments when none are filters)."""
    filters = {k: v for k, v in call.args.items() if k in FILTER_FIELDS or k in DATE_FIELDS} or call.args
    return prompts.render("messages", "empty_result", filters=json.dumps(filters, ensure_ascii=False))


def model_failed_message(error: ModelError) -> str:
    text = str(error)
    hint = "a smaller model may fit" if "memory" in text.lower() else ""
    return prompts.render("messages", "model_failed", error=text.rstrip(". "), hint=hint)
