"""`martmind ui`: the web app on 127.0.0.1 (another host needs --auth; never a public share link)."""

from __future__ import annotations

import argparse
import os

from ui.output import CommandError, add_command


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "ui", run_ui, "start the web app (chat, data, reports, settings)")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this computer only)"
    )
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument(
        "--auth",
        help="user:password required to sign in (needed for any host other than localhost; "
        "or set $MARTMIND_UI_AUTH)",
    )
    p.add_argument("--model", help="model spec (default $MARTMIND_MODEL or the embedded default model)")


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """``user:password`` -> (user, password); the password may contain colons."""
    if not text:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise CommandError("--auth must be user:password, both non-empty.")
    return user, password


def run_ui(args: argparse.Namespace):
    from ui.app import LOCAL_HOSTS

    auth = parse_auth(args.auth or os.environ.get("MARTMIND_UI_AUTH"))
    if args.host not in LOCAL_HOSTS and auth is None:
        raise CommandError(
            f"Serving on {args.host} lets other computers see your data: add --auth user:password."
        )
    if not 0 < args.port < 65536:
        raise CommandError("--port must be between 1 and 65535.")
    from tools.workspace import Workspace
    from ui.app import build_app, launch
    from ui.session import UiContext

    print("Opening the workspace (the first start loads the demo data) ...", flush=True)
    ctx = UiContext(Workspace(args.home), model=args.model)
    print(f"martmind ui: http://{args.host}:{args.port}  (model {ctx.model_spec}; Ctrl+C stops)", flush=True)
    try:
        launch(build_app(ctx), ctx, host=args.host, port=args.port, auth=auth, quiet=True)
    finally:
        ctx.close()
    return None
