"""The `martmind` command line: every command takes --json and prints one JSON object.

Each group of commands lives in its own module under ui/commands with a ``register(subparsers)`` function;
the list below is the single place that names them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ui.commands import agent as agent_commands
from ui.commands import data as data_commands
from ui.commands import eval as eval_commands
from ui.commands import learn as learn_commands
from ui.commands import marketing as marketing_commands
from ui.commands import metrics as metric_commands
from ui.commands import mining as mining_commands
from ui.commands import models as models_commands
from ui.commands import predict as predict_commands
from ui.commands import reports as report_commands
from ui.commands import text as text_commands
from ui.commands import ui as ui_commands
from ui.output import CommandError, emit, emit_error

COMMAND_MODULES = [
    data_commands,
    metric_commands,
    marketing_commands,
    mining_commands,
    predict_commands,
    eval_commands,
    models_commands,
    ui_commands,
    text_commands,
    agent_commands,
    learn_commands,
    report_commands,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="martmind", description="Analytics assistant for e-commerce and marketing."
    )
    parser.add_argument("--home", help="workspace directory (default $MARTMIND_HOME or ~/.martmind)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    args = build_parser().parse_args(argv)
    as_json = getattr(args, "json", False)
    try:
        result = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except CommandError as e:
        emit_error(str(e), as_json)
        return 2
    except Exception as e:  # noqa: BLE001 - the CLI prints one sentence, never a traceback
        from tools.base import ToolError

        message = str(e) if isinstance(e, ToolError) else f"{type(e).__name__}: {e}"
        emit_error(message, as_json)
        if os.environ.get("MARTMIND_DEBUG"):
            raise
        return 1
    if result is not None:
        try:
            emit(result, as_json)
        except BrokenPipeError:  # `martmind ... | head` closed the pipe early: not an error
            sys.stderr.close()
    # A result may carry its own exit status (`eval --compare` fails when a question broke).
    return int(getattr(result, "exit_code", 0) or 0)


if __name__ == "__main__":
    sys.exit(main())
