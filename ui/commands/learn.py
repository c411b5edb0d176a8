"""`martmind learn`: teach the assistant that an answer is right (agent.learned).

martmind learn "QUESTION" --sql "SELECT ..." [--json]     a sql_query call for the question
martmind learn "QUESTION" --tool NAME --args '{...}'       any tool's call
martmind learn --from-last [--json]                       the last turn of the latest conversation
martmind learn --list [--json]                            what was learned
martmind learn --forget ID [--json]                       forget one example
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ui.output import CommandError, add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub,
        "learn",
        run_learn,
        "teach the assistant a right answer (a question and its SQL or tool call), list or forget them",
    )
    p.add_argument("question", nargs="?", help='e.g. "how many orders came from Germany?"')
    p.add_argument("--sql", help="the SELECT that answers the question (a sql_query call)")
    p.add_argument("--tool", help="the tool that answers the question (with --args)")
    p.add_argument("--args", help="the tool's arguments as a JSON object")
    p.add_argument(
        "--from-last", action="store_true", help="the last turn of the most recent stored conversation"
    )
    p.add_argument("--list", action="store_true", help="list the learned examples")
    p.add_argument("--forget", metavar="ID", help="forget one learned example")


def make_assistant(args: argparse.Namespace, conversation_id: str | None = None):
    """The Assistant whose workspace learns (no model is loaded: learning needs none)."""
    from agent.assistant import Assistant

    return Assistant(home=args.home, conversation_id=conversation_id)


def run_learn(args: argparse.Namespace) -> Any:
    modes = [bool(args.question), args.from_last, args.list, bool(args.forget)]
    if sum(modes) != 1:
        raise CommandError(
            'Usage: martmind learn "QUESTION" --sql "SELECT ...", martmind learn --from-last, '
            "martmind learn --list or martmind learn --forget ID."
        )
    if args.list:
        return list_learned(args)
    if args.forget:
        removed = make_assistant(args).forget_learned(args.forget)
        return {"forgotten": removed.to_dict()}
    if args.from_last:
        return {"learned": _from_last(args).to_dict()}
    if not args.sql and not args.tool:
        raise CommandError("Give the answer: --sql \"SELECT ...\" or --tool NAME --args '{...}'.")
    learned = make_assistant(args).learn(
        args.question, tool=args.tool, args=_json_object(args.args), sql=args.sql
    )
    return {"learned": learned.to_dict()}


def list_learned(args: argparse.Namespace) -> Any:
    from agent.learned import LearnedExamples
    from tools.workspace import Workspace

    examples = LearnedExamples(Workspace(args.home)).all()
    if args.json:
        return {"learned": [e.to_dict() for e in examples]}
    if not examples:
        return "Nothing learned yet."
    for e in examples:
        print(f"{e.id}  {e.question}\n    {e.tool} {json.dumps(e.args, ensure_ascii=False)}")
    return None


def _from_last(args: argparse.Namespace):
    from agent.assistant import list_conversations

    stored = [c for c in list_conversations(args.home) if c.get("turns")]
    if not stored:
        raise CommandError("There is no stored conversation to learn from; ask a question first.")
    return make_assistant(args, stored[0]["id"]).learn_last()


def _json_object(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise CommandError(f"--args is not valid JSON ({e.msg}).") from None
    if not isinstance(value, dict):
        raise CommandError("--args must be a JSON object.")
    return value
