"""Grammar-constrained decoding with xgrammar: the output always parses and validates against a JSON schema.

A compiled grammar is cached per schema (compiling a tool schema takes milliseconds to a few tenths of a
second; the tokenizer info is built once per model). The logits processor masks every token the grammar does
not allow, so the only way a generation can end early is the token budget or the time limit, which the
backend turns into a ModelError instead of returning broken JSON.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import torch
import transformers


class JsonGrammar:
    """Compiles JSON schemas for one tokenizer and hands out fresh logits processors."""

    def __init__(self, tokenizer: Any, vocab_size: int, max_cached: int = 64):
        import xgrammar as xgr

        self._xgr = xgr
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
        # generate() must stop on the tokens the grammar ends with, or it would pad the budget with them.
        self.stop_token_ids = [int(t) for t in info.stop_token_ids]
        self._compiler = xgr.GrammarCompiler(info, max_threads=2)
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._max = max_cached
        self._lock = threading.Lock()

    def compiled(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        # The grammar keeps the schema's property order (the sorted key is only for the cache): fields
        # come in the order the model reads them in the prompt, or it must skip fields to write the one it
        # wants first. Indented like the model's own JSON (2 spaces, one field a line): with compact
        # separators the model, wanting a newline after a comma, closed objects early (measured: "by"
        # and "grain" dropped on most metric requests).
        grammar = self._compiler.compile_json_schema(
            json.dumps(schema), any_whitespace=False, indent=2, strict_mode=True
        )
        with self._lock:
            self._cache[key] = grammar
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return grammar

    def processor(self, schema: dict[str, Any]) -> GrammarLogitsProcessor:
        """A new processor (one per generate call: it holds the matcher state)."""
        return GrammarLogitsProcessor(self._xgr, self.compiled(schema))


class GrammarLogitsProcessor(transformers.LogitsProcessor):
    """Masks logits to the tokens the grammar allows; ``finished`` tells whether the JSON value is complete.

    Same idea as ``xgrammar.contrib.hf.LogitsProcessor`` (batch size one) plus the completion flag and a
    bitmask kept on the logits' device.
    """

    def __init__(self, xgr: Any, compiled: Any):
        self._xgr = xgr
        self.matcher = xgr.GrammarMatcher(compiled)
        self.vocab_size = compiled.tokenizer_info.vocab_size
        self.bitmask = xgr.allocate_token_bitmask(1, self.vocab_size)
        self._started = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != 1:
            raise ValueError("Constrained decoding runs one sequence at a time.")
        if self._started and not self.matcher.is_terminated():
            token = int(input_ids[0, -1])
            if not self.matcher.accept_token(token):  # cannot happen: the token was sampled under the mask
                raise RuntimeError(f"The grammar rejected token {token}.")
        self._started = True
        if not self.matcher.is_terminated():
            self.matcher.fill_next_token_bitmask(self.bitmask, 0)
        on_cpu = scores.device.type == "cpu"
        target = scores if on_cpu or scores.device.type == "cuda" else scores.to("cpu")
        if target.dtype != torch.float32 and on_cpu:
            # xgrammar's CPU kernel works on float32 logits; generate() hands us float32 already, but be safe.
            target = target.float()
        self._xgr.apply_token_bitmask_inplace(target, self.bitmask.to(target.device))
        return target.to(scores.device, scores.dtype) if target is not scores else scores

    def accept_last(self, token: int) -> None:
        """Feed the final sampled token (generate() does not call processors after the last step)."""
        if not self.matcher.is_terminated():
            self.matcher.accept_token(token)

    @property
    def finished(self) -> bool:
        return bool(self.matcher.is_terminated())
