"""The OpenAI-compatible backend against a small fake server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.models import ModelError, load_model

CALL = {"name": "metric_query", "arguments": {"metric": "revenue", "by": None}}
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"const": "metric_query"},
        "arguments": {
            "type": "object",
            "properties": {"metric": {"enum": ["revenue", "orders"]}, "by": {"type": ["string", "null"]}},
            "required": ["metric", "by"],
        },
    },
    "required": ["name", "arguments"],
}


class FakeServer:
    """Answers /v1/chat/completions with ``reply``; records the request bodies."""

    def __init__(
        self,
        reply: str = "Revenue rose 4%.",
        delay: float = 0.0,
        status: int = 200,
        die_after: int | None = None,
    ):
        self.reply, self.delay, self.status, self.requests = reply, delay, status, []
        self.die_after = die_after  # stream this many pieces, then close the connection (a crashed server)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                time.sleep(outer.delay)
                if outer.status != 200:
                    self._send(outer.status, {"error": {"message": "model 'nope' not found"}})
                elif body.get("stream"):
                    self._stream(outer.reply)
                else:
                    self._send(
                        200,
                        {
                            "choices": [
                                {
                                    "message": {"role": "assistant", "content": outer.reply},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {"prompt_tokens": 11, "completion_tokens": 5},
                        },
                    )

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for n, piece in enumerate(text.split(" ")):
                    if n == outer.die_after:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    chunk = {"choices": [{"delta": {"content": piece + " "}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                usage = {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 4}}
                self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    servers = []

    def start(**kwargs):
        servers.append(FakeServer(**kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def test_plain_completion_and_usage(server, monkeypatch):
    monkeypatch.setenv("MARTMIND_OPENAI_API_KEY", "sk-test")
    fake = server()
    model = load_model(f"openai:qwen2.5-coder:1.5b@{fake.url}")
    generation = model.generate([{"role": "user", "content": "How did revenue do?"}], max_new_tokens=50)
    assert generation.text == "Revenue rose 4%."
    assert (generation.prompt_tokens, generation.completion_tokens) == (11, 5)
    request = fake.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "qwen2.5-coder:1.5b"  # the ':' in an Ollama tag survives parsing
    assert request["body"]["max_tokens"] == 50 and request["body"]["temperature"] == 0
    assert request["auth"] == "Bearer sk-test"


def test_sampling_settings_are_passed_through(server):
    fake = server()
    model = load_model(f"openai:m@{fake.url}")
    model.generate([{"role": "user", "content": "x"}])
    model.generate([{"role": "user", "content": "x"}], temperature=0.7, seed=5)
    model.generate([{"role": "user", "content": "x"}], temperature=0.7, on_token=lambda piece: None)
    greedy, seeded, streamed = (request["body"] for request in fake.requests)
    assert greedy["temperature"] == 0 and "seed" not in greedy and "top_p" not in greedy
    assert (seeded["temperature"], seeded["seed"], seeded["top_p"]) == (0.7, 5, 0.95)
    assert streamed["stream"] and streamed["temperature"] == 0.7 and "seed" not in streamed


def test_streaming_passes_pieces_to_on_token(server):
    fake = server()
    pieces = []
    generation = load_model(f"openai:m@{fake.url}").generate(
        [{"role": "user", "content": "hi"}], on_token=pieces.append
    )
    assert "".join(pieces).strip() == "Revenue rose 4%."
    assert generation.text.strip() == "Revenue rose 4%." and generation.completion_tokens == 4


def test_a_server_dying_mid_stream_is_one_clear_sentence(server):
    fake = server(reply="Revenue rose by four percent in December.", die_after=2)
    pieces = []
    with pytest.raises(ModelError, match="stopped in the middle of its reply"):
        load_model(f"openai:m@{fake.url}").generate(
            [{"role": "user", "content": "hi"}], on_token=pieces.append
        )
    assert "".join(pieces).strip() == "Revenue rose"  # it did stream, then died


def test_json_schema_is_sent_as_response_format_and_the_reply_validated(server):
    fake = server(reply=json.dumps(CALL))
    generation = load_model(f"openai:m@{fake.url}").generate(
        [{"role": "user", "content": "revenue"}], json_schema=SCHEMA
    )
    assert json.loads(generation.text) == CALL
    response_format = fake.requests[0]["body"]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["schema"] == SCHEMA


def test_a_server_that_ignores_the_schema_gives_a_clear_error(server):
    fake = server(reply=json.dumps({"name": "metric_query", "arguments": {"metric": "profit", "by": None}}))
    with pytest.raises(ModelError, match="ignored the JSON schema"):
        load_model(f"openai:m@{fake.url}").generate([{"role": "user", "content": "x"}], json_schema=SCHEMA)


def test_server_down_is_one_clear_sentence():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ModelError, match=r"not reachable; start it"):
        load_model(f"openai:m@http://127.0.0.1:{port}/v1").generate([{"role": "user", "content": "x"}])


def test_slow_server_times_out(server):
    fake = server(delay=1.0)
    model = load_model(f"openai:m@{fake.url}", timeout_s=0.2)
    with pytest.raises(ModelError, match="did not answer within"):
        model.generate([{"role": "user", "content": "x"}])


def test_unknown_model_on_the_server(server):
    fake = server(status=404)
    with pytest.raises(ModelError, match="does not know the model 'nope'"):
        load_model(f"openai:nope@{fake.url}").generate([{"role": "user", "content": "x"}])


def test_spec_without_url_is_rejected():
    with pytest.raises(ModelError, match="openai:<model>@<base_url>"):
        load_model("openai:qwen")


def test_a_password_in_the_url_is_sent_as_basic_auth_and_kept_out_of_the_spec(server, monkeypatch):
    monkeypatch.delenv("MARTMIND_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake = server()
    model = load_model(f"openai:m@{fake.url.replace('http://', 'http://ana:p%40ss@')}")
    model.generate([{"role": "user", "content": "hi"}])
    assert fake.requests[0]["auth"] == "Basic " + base64.b64encode(b"ana:p@ss").decode()
    assert "p%40ss" not in model.spec and "ana" not in model.spec
