"""Agent commands: ``martmind ask``, ``martmind plan`` and ``martmind chat`` (a terminal REPL).

The model spec comes from ``--model``, else ``$MARTMIND_MODEL``, else the embedded default.
"""

from __future__ import annotations

import argparse
import sys

from ui.output import add_command, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "ask", run_ask, "answer one question with the assistant")
    p.add_argument("question", help='e.g. "revenue by country, top 5"')
    p.add_argument(
        "--brief",
        action="store_true",
        help="answer with the headline composed from the result only (no write-up by the model)",
    )
    _agent_options(p)
    p = add_command(sub, "plan", run_plan, "show the tool call a question would make, without running it")
    p.add_argument("question", help='e.g. "which products are bought together?"')
    _agent_options(p)
    p = add_command(sub, "chat", run_chat, "chat with the assistant in the terminal (steps are streamed)")
    _agent_options(p)
    p.add_argument("--conversation", help="continue a stored conversation (id)")


def _agent_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model spec (default $MARTMIND_MODEL or the embedded model)")
    p.add_argument(
        "--router",
        default="top1",
        choices=["top1", "auto", "shortlist", "off"],
        help="router mode (default top1: the router picks the tool, the model fills the arguments)",
    )


def make_assistant(args: argparse.Namespace, conversation_id: str | None = None):
    """The Assistant for a command line (tests replace this to inject a scripted model)."""
    from agent.assistant import Assistant, default_model_spec

    return Assistant(
        model=args.model or default_model_spec(),
        home=args.home,
        router_mode=args.router,
        conversation_id=conversation_id,
    )


def run_ask(args: argparse.Namespace):
    from tools.base import ToolError

    assistant = make_assistant(args)
    if getattr(args, "brief", False):
        assistant.agent.brief = True  # read by Agent._write: the model is not asked to write
    if args.json:
        answer = assistant.ask(args.question)
        if answer.error:
            raise ToolError(answer.error)
        return answer
    answer = _stream_turn(assistant, args.question)
    if answer is not None and answer.error:
        raise ToolError(answer.error)
    return None


def run_plan(args: argparse.Namespace):
    from tools.base import ToolError

    plan = make_assistant(args).plan(args.question)
    if plan.error:
        raise ToolError(plan.error)
    return plan.to_dict() if args.json else {c.name: c.args for c in plan.calls} or {"tool": "none"}


def run_chat(args: argparse.Namespace):
    assistant = make_assistant(args, args.conversation)
    print(
        f"martmind chat ({assistant.model_spec}); conversation {assistant.conversation.id}. "
        "Empty line or Ctrl-D to quit.",
        file=sys.stderr,
    )
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            break
        if not question:
            break
        _stream_turn(assistant, question)
    return None


def _stream_turn(assistant, question: str):
    """Print the steps of one turn as they happen, then the answer's tables and SQL."""
    from agent.types import Answer

    answer = None
    streamed = ""
    for event in assistant.stream(question):
        if isinstance(event, Answer):
            answer = event
            break
        if event.kind == "writing":
            streamed += event.text
            print(event.text, end="", flush=True)
        elif event.kind == "route" and event.text:
            print(f"[route] {event.text}", file=sys.stderr)
        elif event.kind == "tool_call":
            print(f"[call] {event.tool} {event.args}", file=sys.stderr)
        elif event.kind in ("retry", "error"):
            print(f"[{event.kind}] {event.text}", file=sys.stderr)
    if answer is None:
        return None
    if streamed.strip() != answer.text.strip():  # nothing streamed, or a fallback replaced a failed write-up
        print(("\n" if streamed else "") + answer.text)
    elif streamed:
        print()
    for table in answer.tables:
        print_table(table, title=table.name, max_rows=20)
    for sql in answer.sql:
        print(f"SQL: {sql}", file=sys.stderr)
    return answer
