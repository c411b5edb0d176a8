"""The llama.cpp backend (optional extra ``llamacpp``): the packaged GGUF run as is, quantized, on the CPU.

Spec: ``llamacpp:default|small|tiny`` (packaged; the assembled GGUF is kept in ``$MARTMIND_HOME/models``
because llama.cpp memory-maps it) or ``llamacpp:/path/to/model.gguf``.

- Structured output: the same xgrammar grammar and jump-forward decoding loop as the transformers backend
  (``agent.backends.constrained``), driving llama.cpp token by token, so both backends write a tool call
  in the same shape and honour the same schema (llama.cpp's own GBNF conversion let ``minimum`` slip,
  formats JSON differently and decodes every forced token). It is validated once more here. An EBNF
  ``grammar`` (the SQL of ``agent.sql_grammar``) takes the same loop.
- Sampling (``temperature`` > 0): under a grammar the loop samples from the masked logits; free text uses
  llama.cpp's sampler with the same settings (top-p 0.95) and ``seed``. The cached states stay exact: each
  is keyed by every token it holds, sampled ones included, and only its shared prefix with a prompt is
  reused.
- Prompt caching: llama.cpp keeps the evaluated tokens of the last prompt and only evaluates the new
  suffix; ``PrefixStates`` keeps the KV states of recent prompts (planner per tool, writer) so switching
  between them does not re-read them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.backends.llamacpp_states import PrefixStates
from agent.model_files import PACKAGED, assemble
from agent.models import ChatModel, Generation, Message, ModelError, ReplyCutOff, guard_real_load

DEFAULT_TIMEOUT_S = 180.0
CONTEXT_TOKENS = 8192
OUT_OF_MEMORY = "The model ran out of memory; close other programs or use a smaller model."


class LlamaCppModel(ChatModel):
    """A GGUF model in llama.cpp (CPU threads = all cores; GPU layers when llama.cpp was built with CUDA)."""

    def __init__(
        self,
        target: str = "default",
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        n_ctx: int = CONTEXT_TOKENS,
        n_threads: int | None = None,
        n_gpu_layers: int = -1,
        cache_bytes: int = 512 * 2**20,
    ):
        self.target = target
        self.spec = f"llamacpp:{target}"
        self.timeout_s = timeout_s
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 2
        self.n_gpu_layers = n_gpu_layers
        self.cache_bytes = cache_bytes
        self.llm: Any = None
        self.states = PrefixStates(cache_bytes)
        self._grammar: Any = None
        self.load_seconds = 0.0
        self._lock = threading.RLock()

    def load(self) -> LlamaCppModel:
        """Open the GGUF (idempotent)."""
        with self._lock:
            if self.llm is not None:
                return self
            guard_real_load(self.spec)
            try:
                from llama_cpp import Llama
            except ImportError as e:
                raise ModelError(
                    "The llama.cpp backend is not installed; run: pip install 'martmind[llamacpp]'."
                ) from e
            path = self._gguf()
            start = time.perf_counter()
            try:
                self.llm = Llama(
                    model_path=str(path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    n_gpu_layers=self.n_gpu_layers,
                    verbose=False,
                )
            except (ValueError, RuntimeError, MemoryError) as e:
                raise ModelError(
                    f"llama.cpp could not load {path.name} ({e}); check free memory and the file."
                ) from e
            self.load_seconds = time.perf_counter() - start
        return self

    def _gguf(self) -> Path:
        if self.target in PACKAGED:
            return assemble(PACKAGED[self.target])
        path = Path(self.target).expanduser()
        if not path.is_file():
            raise ModelError(f"No GGUF file at {path}; use llamacpp:default or a path to a .gguf file.")
        return path

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
        self.load()
        limit = timeout_s or self.timeout_s
        if json_schema is not None or grammar is not None:
            with self._lock:  # one sequence at a time: the constrained loop moves llama.cpp's KV cache
                return self._constrained(
                    messages,
                    json_schema,
                    max_new_tokens,
                    on_token,
                    limit,
                    temperature=temperature,
                    seed=seed,
                    ebnf=grammar,
                )
        kwargs: dict[str, Any] = {
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": 0.0,
            "stream": True,
            **_sampling_options(temperature, seed),
        }
        start = time.perf_counter()
        pieces: list[str] = []
        first, finish = None, "stop"
        with self._lock:
            self.states.restore(self.llm, self._prompt_ids(messages))
            try:
                for chunk in self.llm.create_chat_completion(**kwargs):
                    choice = chunk["choices"][0]
                    piece = choice.get("delta", {}).get("content") or ""
                    if piece:
                        first = first or time.perf_counter()
                        pieces.append(piece)
                        if on_token:
                            on_token(piece)
                    finish = choice.get("finish_reason") or finish
                    if time.perf_counter() - start > limit:
                        raise _too_slow(limit)
            except MemoryError as e:
                raise ModelError(OUT_OF_MEMORY) from e
            total_tokens = self.llm.n_tokens
            self.states.save(self.llm)
        text = "".join(pieces)
        completion = len(self.llm.tokenize(text.encode(), add_bos=False, special=False)) if text else 0
        return Generation(
            text=text,
            prompt_tokens=max(total_tokens - completion, 0),
            completion_tokens=completion,
            seconds=time.perf_counter() - start,
            first_token_seconds=(first - start) if first else None,
            finish_reason="length" if finish == "length" else "stop",
        )

    def _constrained(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None,
        max_new_tokens: int,
        on_token: Callable[[str], None] | None,
        limit: float,
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        ebnf: str | None = None,
    ) -> Generation:
        import numpy as np
        import torch

        from agent.backends.constrained import decode_with_jump_forward
        from agent.backends.transformers_backend import Streamer

        start = time.perf_counter()
        llm, tokenizer = self.llm, self.grammar.tokenizer
        ids = self._prompt_ids(messages)
        # Reuse the longest cached prefix (system prompt, tool section), feeding at least one token so
        # there are logits to start from.
        reused = min(self.states.restore(llm, ids), len(ids) - 1)
        llm.n_tokens = reused
        vocab = llm.n_vocab()

        def forward(tokens: list[int]) -> Any:
            llm.eval(tokens)
            return torch.from_numpy(np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(1, vocab)).copy())

        streamer = Streamer(tokenizer, on_token)
        streamer.put(torch.tensor(ids))  # the prompt (the streamer skips it)
        try:
            new, timed_out = decode_with_jump_forward(
                forward,
                tokenizer,
                self.grammar.mask(schema, grammar=ebnf) if ebnf is not None else self.grammar.mask(schema),
                ids[reused:],
                max_new_tokens=max_new_tokens,
                deadline=time.monotonic() + limit,
                on_tokens=lambda tokens: streamer.put(torch.tensor(tokens)),
                temperature=temperature,
                seed=seed,
            )
            streamer.end()
        except MemoryError as e:
            raise ModelError(OUT_OF_MEMORY) from e
        self.states.save(llm)
        if timed_out:
            raise _too_slow(limit)
        stops = set(self.grammar.stop_token_ids)
        stopped = bool(new) and new[-1] in stops
        text = tokenizer.decode(new[:-1] if stopped else new, skip_special_tokens=True)
        _check(text, schema, "stop" if stopped else "length", max_new_tokens)
        return Generation(
            text=text,
            prompt_tokens=len(ids),
            completion_tokens=len(new),
            seconds=time.perf_counter() - start,
            first_token_seconds=(streamer.first - start) if streamer.first else None,
            finish_reason="stop",
            cached_tokens=reused,
        )

    def _prompt_ids(self, messages: list[Message]) -> list[int]:
        prompt = self.grammar.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        return self.llm.tokenize(prompt.encode(), add_bos=False, special=True)

    @property
    def grammar(self) -> Any:
        if self._grammar is None:
            from agent.backends.constrained import JsonGrammar

            self._grammar = JsonGrammar(_tokenizer(self._gguf()), self.llm.n_vocab())
        return self._grammar

    def info(self) -> dict[str, Any]:
        from agent.backends.transformers_backend import memory_info

        return {
            "spec": self.spec,
            "backend": "llamacpp",
            "loaded": self.llm is not None,
            "device": "cpu",
            "threads": self.n_threads,
            "load_seconds": round(self.load_seconds, 2),
            **memory_info("cpu"),
        }


def _sampling_options(temperature: float, seed: int | None) -> dict[str, Any]:
    """llama.cpp's sampler settings for free text: none at temperature 0 (greedy), else the same sampling
    as the grammar path (temperature, then top-p; llama.cpp's default top-k 40 and min-p 0.05 off)."""
    if temperature <= 0:
        return {}
    from agent.backends.constrained import TOP_P

    # Without a seed llama-cpp-python derives the next one from the last, the same chain in every process.
    seed = random.randrange(2**31) if seed is None else seed
    return {"temperature": temperature, "top_p": TOP_P, "top_k": 0, "min_p": 0.0, "seed": seed}


def _too_slow(limit: float) -> ModelError:
    return ModelError(
        f"The model took longer than {limit:.0f} s; ask a shorter question or use a faster model."
    )


def _tokenizer(gguf: Path) -> Any:
    """The GGUF's tokenizer in transformers (xgrammar needs it), converted once and kept beside the GGUF."""
    from transformers import AutoTokenizer

    cached = gguf.parent / "tokenizer"
    if (cached / "tokenizer.json").is_file():
        return AutoTokenizer.from_pretrained(str(cached))
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    partial = cached.with_name(f"tokenizer.partial-{os.getpid()}")
    tokenizer.save_pretrained(str(partial))
    shutil.rmtree(cached, ignore_errors=True)
    partial.rename(cached)  # complete or absent: a crash mid-save never leaves a half-written cache
    return tokenizer


def _check(text: str, schema: dict[str, Any] | None, finish: str, max_new_tokens: int) -> None:
    """A reply cut off by the token budget is an error; a JSON reply is validated once more (an EBNF
    grammar's reply has no schema to check)."""
    if finish == "length":
        raise ReplyCutOff(max_new_tokens)
    if schema is None:
        return
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), schema)
    except (ValueError, jsonschema.ValidationError) as e:  # a grammar gap in llama.cpp's schema converter
        raise ModelError(
            f"llama.cpp produced output outside the schema ({e}); use the transformers backend "
            "for this request."
        ) from e
