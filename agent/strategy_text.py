"""Writing a strategy: the model's words (goal, findings, one text per action) around computed actions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import prompts
from agent import grounding
from agent.models import ChatModel, ModelError
from agent.strategy import Action, Assumptions, actions_table
from tools.base import Fact, Table, ToolResult

MAX_FINDINGS = 3
MAX_FACTS = 25  # a short prompt: the CPU model reads every token of it


def strategy_schema(fact_names: list[str], action_keys: list[str]) -> dict[str, Any]:
    """The JSON the model fills: findings cite a fact by name (an enum, so a citation always exists)."""
    return {
        "type": "object",
        "properties": {
            "goal": {"type": "string", "minLength": 1, "maxLength": 120},
            "findings": {
                "type": "array",
                "minItems": 2,
                "maxItems": MAX_FINDINGS,
                "items": {
                    "type": "object",
                    "properties": {
                        "fact": {"type": "string", "enum": fact_names},
                        "statement": {"type": "string", "minLength": 1, "maxLength": 140},
                    },
                    "required": ["fact", "statement"],
                    "additionalProperties": False,
                },
            },
            "actions": {
                "type": "object",
                "properties": {k: {"type": "string", "minLength": 1, "maxLength": 160} for k in action_keys},
                "required": action_keys,
                "additionalProperties": False,
            },
        },
        "required": ["goal", "findings", "actions"],
        "additionalProperties": False,
    }


def _texts(data: dict[str, Any]) -> list[str]:
    findings = [str(f.get("statement", "")) for f in data.get("findings", []) if isinstance(f, dict)]
    actions = data.get("actions", {})
    return [str(data.get("goal", "")), *findings, *(str(v) for v in actions.values())]


def compose_strategy(
    model: ChatModel,
    goal: str,
    language: str,
    analyses: list[Any],
    actions: list[Action],
    assumptions: Assumptions,
    facts: list[Fact],
    grounds: grounding.Grounds,
) -> ToolResult:
    """Ask the model for the words, drop unsupported sentences, and render the strategy as Markdown."""
    from agent.writing import WrittenResult, grounded_json, prompt_facts, system_message

    shown = prompt_facts(_prompt_order(facts, actions)[:MAX_FACTS])
    user = prompts.render(
        "writing",
        "strategy_user",
        goal=goal,
        language=language,
        facts=shown,
        actions=[asdict(a) for a in actions],
    )
    schema = strategy_schema([f["name"] for f in shown], [a.key for a in actions])
    try:
        draft = grounded_json(
            model, [system_message(), {"role": "user", "content": user}], schema, grounds, _texts, 600
        )
        data, removed = _without_unsupported(draft.data, grounds)
        record = {
            **draft.record(),
            "after_regeneration": draft.final.to_dict(),
            "final": grounding.check("\n".join(_texts(data)), grounds).to_dict(),
            "removed": removed,
        }
    except ModelError as e:
        data, record = _without_model(actions, goal), {"error": f"the model failed ({e}); plain text used"}
    by_name = {f.name: f for f in facts}
    findings = [
        {
            "fact": f["fact"],
            "statement": f["statement"],
            "value": _show(by_name[f["fact"]].value) if f["fact"] in by_name else "?",
        }
        for f in data.get("findings", [])
    ]
    rendered = [_action_view(a, data.get("actions", {}).get(a.key, "")) for a in actions]
    markdown = prompts.render(
        "strategy",
        "strategy_markdown",
        goal=data.get("goal") or goal,
        findings=findings,
        actions=rendered,
        assumptions=asdict(assumptions),
        kinds=prompts.load("strategy")["action_kinds"],
    )
    final = grounding.check(markdown, grounds)
    note = grounding.flag_note(final)
    sources = grounding.sources(a.source() for a in analyses)
    text = "\n\n".join(p for p in (markdown, note, grounding.sources_markdown(sources)) if p)
    record["document"] = final.to_dict()
    return WrittenResult(
        text,
        tables=[Table("actions", actions_table(actions))],
        facts=facts,
        sql=[q for a in analyses for q in a.result.sql],
        grounding=record,
        sources=sources,
    )


def _prompt_order(facts: list[Fact], actions: list[Action]) -> list[Fact]:
    """Facts the actions rest on first (the prompt shows a bounded number of facts)."""
    basis = {name for a in actions for name in a.basis}
    first = [f for f in facts if f.name in basis]
    return first + [f for f in facts if f.name not in basis]


def _without_unsupported(
    data: dict[str, Any], grounds: grounding.Grounds
) -> tuple[dict[str, Any], list[str]]:
    """The model's words with every sentence that holds an unsupported number or claim removed.

    A finding left with no sentence goes; an action left with none keeps its computed impact and test.
    """
    removed: list[str] = []

    def keep(text: Any) -> str:
        kept, gone = grounding.remove_unsupported(str(text or ""), grounds)
        removed.extend(gone)
        return kept

    findings = [
        {**f, "statement": statement}
        for f in data.get("findings", [])
        if isinstance(f, dict) and (statement := keep(f.get("statement")))
    ]
    actions = {key: keep(text) for key, text in (data.get("actions") or {}).items()}
    return {"goal": keep(data.get("goal")), "findings": findings, "actions": actions}, removed


def _action_view(action: Action, text: str) -> dict[str, Any]:
    view = asdict(action)
    view["text"] = text
    view["impact_text"] = _show(action.impact_value) if action.impact_value is not None else ""
    view["inputs"] = {k: _show(v) for k, v in action.inputs.items()}
    if action.test:
        view["test"] = {
            **action.test,
            "n_per_group": _show(int(action.test["n_per_group"])),
            "baseline_pct": f"{action.test['baseline'] * 100:.1f}%",
            "expected_pct": f"{action.test['expected'] * 100:.1f}%",
        }
    return view


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _without_model(actions: list[Action], goal: str) -> dict[str, Any]:
    """The words when the model cannot write: the goal, and each action's basis listed."""
    return {"goal": goal, "findings": [], "actions": {a.key: "" for a in actions}}
