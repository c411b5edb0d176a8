"""Any OpenAI-compatible chat server (vLLM, llama.cpp server, Ollama, a hosted API) over plain HTTP.

Spec: ``openai:<model>@<base_url>``, e.g. ``openai:Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1`` or
``openai:qwen2.5-coder:1.5b@http://localhost:11434/v1``. The API key, when the server needs one, comes from
``MARTMIND_OPENAI_API_KEY`` or ``OPENAI_API_KEY``.

Structured output uses the server's ``response_format={"type": "json_schema", ...}`` (vLLM, llama.cpp
server and Ollama enforce it with their own grammar engines). The reply is still validated here: a server
that ignores the schema gives a clear ModelError, never a half-parsed call. ``temperature`` and ``seed``
are passed through (with top-p 0.95 when sampling); the server applies its grammar to the sampled tokens.

An EBNF ``grammar`` (the SQL of ``agent.sql_grammar``) has no standard request field: it is sent only when
``grammar_field`` names the server's own (``guided_grammar`` for vLLM, ``grammar`` for the llama.cpp
server, both GBNF-like); otherwise the reply is unconstrained text and the caller checks it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from agent.models import ChatModel, Generation, Message, ModelError, ReplyCutOff

DEFAULT_TIMEOUT_S = 120.0
CONNECT_TIMEOUT_S = 5.0
# httpcore's debug log writes every request header, the bearer token with them: never below INFO.
logging.getLogger("httpcore").setLevel(logging.INFO)
TOP_P = 0.95  # as in agent.backends.constrained (not imported: this backend needs no torch)


class OpenAIModel(ChatModel):
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        model: the server's model name.
        base_url: the API root, usually ending in ``/v1``.
        api_key: bearer token (default from the environment; many local servers need none).
        timeout_s: limit for one whole request (reading included).
        grammar_field: the request field that carries an EBNF grammar on this server (``guided_grammar``
            on vLLM, ``grammar`` on the llama.cpp server); None sends no grammar.
    """

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        grammar_field: str | None = None,
    ):
        self.model = model
        # A user:password in the URL is sent as basic auth, never as part of the URL: httpx logs every URL,
        # and the URL is in messages, settings and the spec.
        self.base_url, self._basic_auth = split_credentials(base_url.rstrip("/"))
        self.api_key = (
            api_key or os.environ.get("MARTMIND_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
        )
        self.spec = f"openai:{model}@{self.base_url}"
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.grammar_field = grammar_field

    @classmethod
    def from_target(cls, target: str, **options: Any) -> OpenAIModel:
        """Parse ``<model>@<base_url>`` (the model name may itself contain ``:`` or ``/``)."""
        at = target.rfind("@http")
        if at <= 0:
            raise ModelError(
                f"Write the OpenAI-compatible model as openai:<model>@<base_url>, not openai:{target}."
            )
        return cls(target[:at], target[at + 1 :], **options)

    def generate(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_new_tokens: int = 512,
        on_token: Callable[[str], None] | None = None,
        timeout_s: float | None = None,
        temperature: float = 0.0,
        seed: int | None = None,
        grammar: str | None = None,
    ) -> Generation:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": temperature if temperature > 0 else 0,
        }
        if seed is not None:
            body["seed"] = seed  # honoured by vLLM, llama.cpp server and Ollama; best effort elsewhere
        if temperature > 0:
            body["top_p"] = TOP_P
        if json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": json_schema, "strict": True},
            }
        if grammar is not None and self.grammar_field:
            body[self.grammar_field] = grammar
        timeout = httpx.Timeout(timeout_s or self.timeout_s, connect=self.connect_timeout_s)
        start = time.perf_counter()
        try:
            if on_token is None:
                text, usage, finish, first = self._complete(body, timeout)
            else:
                text, usage, finish, first = self._stream(body, timeout, on_token)
        except httpx.ConnectError as e:
            raise ModelError(
                f"The model server at {self.base_url} is not reachable; start it (vLLM, llama.cpp "
                "server or Ollama) or fix the URL in the model setting."
            ) from e
        except httpx.TimeoutException as e:
            raise ModelError(
                f"The model server at {self.base_url} did not answer within "
                f"{timeout_s or self.timeout_s:.0f} s; try again or use a faster model."
            ) from e
        except (httpx.RemoteProtocolError, httpx.ReadError) as e:
            raise ModelError(
                f"The model server at {self.base_url} stopped in the middle of its reply (it may have "
                "crashed or run out of memory); nothing of that reply is used. Ask again once it is back."
            ) from e
        except httpx.HTTPError as e:
            raise ModelError(f"The request to the model server failed ({self._safe(str(e))}).") from None
        seconds = time.perf_counter() - start
        if json_schema is not None:
            _check_structured(text, json_schema, finish, max_new_tokens)
        return Generation(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            seconds=seconds,
            first_token_seconds=(first - start) if first else None,
            finish_reason="length" if finish == "length" else "stop",
        )

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _complete(self, body: dict[str, Any], timeout: httpx.Timeout) -> tuple[str, dict, str, float | None]:
        response = httpx.post(
            f"{self.base_url}/chat/completions",
            json=body,
            headers=self._headers(),
            auth=self._basic_auth,
            timeout=timeout,
        )
        self._raise_for_status(response)
        data = response.json()
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError) as e:
            raise ModelError(f"The model server sent an unexpected reply: {str(data)[:200]}") from e
        return text, data.get("usage") or {}, choice.get("finish_reason") or "stop", None

    def _stream(
        self, body: dict[str, Any], timeout: httpx.Timeout, on_token: Callable[[str], None]
    ) -> tuple[str, dict, str, float | None]:
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        pieces: list[str] = []
        usage: dict[str, Any] = {}
        finish, first, complete = "stop", None, False
        with httpx.stream(
            "POST",
            f"{self.base_url}/chat/completions",
            json=body,
            headers=self._headers(),
            auth=self._basic_auth,
            timeout=timeout,
        ) as response:
            if response.status_code >= 400:
                response.read()
                self._raise_for_status(response)
            for event in _sse_events(response.iter_lines()):
                complete = complete or event is _DONE
                usage = event.get("usage") or usage
                for choice in event.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        first = first or time.perf_counter()
                        pieces.append(piece)
                        on_token(piece)
                    complete = complete or bool(choice.get("finish_reason"))
                    finish = choice.get("finish_reason") or finish
        if not complete:  # the connection closed cleanly, but before the reply's end
            raise httpx.RemoteProtocolError("the stream ended before the reply was finished")
        return "".join(pieces), usage, finish, first

    def _raise_for_status(self, response: httpx.Response) -> None:
        try:
            _raise_for_status(response, self.model)
        except ModelError as e:  # the server's own words may echo the request, token and all
            raise ModelError(self._safe(str(e))) from None

    def _safe(self, text: str) -> str:
        """``text`` with the token and the URL's password taken out."""
        for secret in (self.api_key, self._basic_auth[1] if self._basic_auth else None):
            if secret:
                text = text.replace(secret, "***")
        return text

    def info(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "backend": "openai",
            "loaded": True,
            "base_url": self.base_url,
            "model": self.model,
        }


# The event that ends a stream ("data: [DONE]").
_DONE: dict[str, Any] = {}


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``http://ana:s3cret@host/v1`` -> (``http://host/v1``, ("ana", "s3cret")); a plain URL, None."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host)), (unquote(parts.username), unquote(parts.password or ""))


def _sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            yield _DONE
            return
        try:
            yield json.loads(payload)
        except ValueError:
            continue


def _raise_for_status(response: httpx.Response, model: str) -> None:
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("error", response.text)
        detail = detail.get("message", detail) if isinstance(detail, dict) else detail
    except ValueError:
        detail = response.text
    if response.status_code in (401, 403):
        raise ModelError(
            "The model server refused the request (authentication); set MARTMIND_OPENAI_API_KEY."
        )
    if response.status_code == 404:
        raise ModelError(f"The model server does not know the model {model!r} ({str(detail)[:120]}).")
    raise ModelError(f"The model server answered HTTP {response.status_code}: {str(detail)[:200]}")


def _check_structured(text: str, schema: dict[str, Any], finish: str, max_new_tokens: int) -> None:
    if finish == "length":
        raise ReplyCutOff(max_new_tokens)
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ModelError(
            "The model server ignored the JSON schema (its reply is not JSON); use a server with "
            "structured output (vLLM, llama.cpp server, Ollama 0.5+)."
        ) from e
    import jsonschema

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as e:
        raise ModelError(
            f"The model server ignored the JSON schema ({e.message}); use a server with "
            "structured output (vLLM, llama.cpp server, Ollama 0.5+)."
        ) from e
