"""Exposure: a UI served beyond this computer signs people in, and no secret (a token, a password in a
model URL) reaches an error, a log, a setting, a prompt or a saved conversation."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from agent.assistant import Assistant
from agent.conversations import ConversationStore
from agent.models import ModelError, load_model
from tests.ui_harness import Analyst, free_port, scripted_context

TOKEN = "sk-test-SECRET-4f9a"
PASSWORD = "hunter2-pw"


@pytest.fixture
def exposed(ws):
    from ui.app import build_app, launch

    ctx = scripted_context(ws, Analyst())
    demo = build_app(ctx)
    port = free_port()
    launch(demo, ctx, host="0.0.0.0", port=port, auth=("ana", "s3cret"), block=False, quiet=True)
    yield f"http://127.0.0.1:{port}"
    demo.close()
    ctx.close()


def test_an_exposed_ui_refuses_requests_without_signing_in(exposed):
    from gradio_client import Client

    assert httpx.get(f"{exposed}/gradio_api/info").status_code == 401
    assert httpx.get(f"{exposed}/config").status_code == 401
    joined = httpx.post(f"{exposed}/gradio_api/queue/join", json={"data": ["revenue"], "fn_index": 0})
    assert joined.status_code == 401
    with pytest.raises(Exception, match="credentials were not provided"):
        Client(f"{exposed}/", verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(f"{exposed}/", auth=("ana", "wrong"), verbose=False)
    signed_in = Client(f"{exposed}/", auth=("ana", "s3cret"), verbose=False)
    job = signed_in.submit("revenue in France", api_name="/respond")
    list(job)
    assert "France" in json.dumps(job.outputs()[-1][0])


def test_serving_beyond_localhost_without_a_password_is_refused(ws):
    from ui.app import build_app, launch

    ctx = scripted_context(ws, Analyst())
    with pytest.raises(ValueError, match="exposes your data"):
        launch(build_app(ctx), ctx, host="0.0.0.0", port=free_port(), block=False, quiet=True)
    ctx.close()


class EchoingServer:
    """A model server that fails and echoes the request's headers and URL in its error (the worst case)."""

    def __init__(self, status: int):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                body = json.dumps(
                    {"error": {"message": f"bad request {self.path} {self.headers.get('Authorization')}"}}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://ana:{PASSWORD}@127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [500, 404])
def test_no_token_or_password_in_an_error_a_setting_a_log_or_a_conversation(ws, monkeypatch, caplog, status):
    monkeypatch.setenv("MARTMIND_OPENAI_API_KEY", TOKEN)
    server = EchoingServer(status)
    try:
        model = load_model(f"openai:m@{server.url}")
        with pytest.raises(ModelError) as failed:
            model.generate([{"role": "user", "content": "hi"}])
        shown = [str(failed.value), model.spec, json.dumps(model.info())]
        with caplog.at_level(logging.DEBUG):
            assistant = Assistant(model=model, workspace=ws, router_mode="off")
            answer = assistant.ask("revenue by country")
        saved = [p.read_text() for p in ConversationStore(ws.subdir("conversations")).folder.glob("*.json")]
    finally:
        server.close()
    assert answer.error and len(saved) == 1  # the failed turn was saved: it must not hold the secrets
    for text in [*shown, answer.text, answer.error or "", caplog.text, *saved]:
        assert TOKEN not in text and PASSWORD not in text, text[:300]
    assert model.spec == f"openai:m@{server.url.replace(f'ana:{PASSWORD}@', '')}"
