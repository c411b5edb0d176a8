"""Grammar-constrained decoding with xgrammar: the output always parses and validates against a JSON schema,
or always matches an EBNF grammar (the SQL of ``agent.sql_grammar``).

A compiled grammar is cached per schema or grammar text (compiling a tool schema takes milliseconds to a
few tenths of a second; the tokenizer info is built once per model). The mask removes every token the grammar does not
allow, so the only way a generation can end early is the token budget or the time limit, which the
backend turns into a ModelError instead of returning broken JSON. Sampling (temperature > 0) draws from
the masked scores, so a sampled reply is just as valid.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch

# Nucleus cut-off for sampled decoding: drops the long tail of unlikely tokens a retry should not try.
TOP_P = 0.95
NUCLEUS_PROBE = 64  # tokens looked at first for the nucleus (see choose_token)


class JsonGrammar:
    """Compiles JSON schemas (and EBNF grammars) for one tokenizer and hands out fresh grammar masks."""

    def __init__(self, tokenizer: Any, vocab_size: int, max_cached: int = 64):
        import xgrammar as xgr

        self._xgr = xgr
        self.tokenizer = tokenizer
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
        # Decoding stops on the tokens the grammar ends with.
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
        return self._keep(key, grammar)

    def compiled_ebnf(self, ebnf: str) -> Any:
        """The compiled EBNF grammar (root rule ``root``); ValueError when the text is no valid grammar."""
        key = "ebnf:" + ebnf
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            grammar = self._compiler.compile_grammar(ebnf)
        except RuntimeError as e:
            raise ValueError(f"Invalid grammar: {e}") from e
        return self._keep(key, grammar)

    def _keep(self, key: str, grammar: Any) -> Any:
        with self._lock:
            self._cache[key] = grammar
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return grammar

    def mask(self, schema: dict[str, Any] | None = None, *, grammar: str | None = None) -> GrammarMask:
        """A new mask for a JSON schema or an EBNF grammar (one per generate call: it holds the matcher
        state)."""
        if (schema is None) == (grammar is None):
            raise ValueError("Give exactly one of a JSON schema and a grammar.")
        compiled = self.compiled(schema) if schema is not None else self.compiled_ebnf(str(grammar))
        return GrammarMask(self._xgr, compiled)


class GrammarMask:
    """One generation's grammar state: masks scores to the allowed tokens and accepts the chosen ones.

    ``finished`` tells whether the output is complete (the stop token accepted).
    """

    def __init__(self, xgr: Any, compiled: Any):
        self._xgr = xgr
        self.matcher = xgr.GrammarMatcher(compiled)
        self.vocab_size = compiled.tokenizer_info.vocab_size
        self.bitmask = xgr.allocate_token_bitmask(1, self.vocab_size)

    def masked(self, scores: torch.Tensor) -> torch.Tensor:
        """``scores`` (one row) with every token the grammar does not allow next set to -inf."""
        if not self.matcher.is_terminated():
            self.matcher.fill_next_token_bitmask(self.bitmask, 0)
        # xgrammar's kernels work on float32 logits on the CPU or on CUDA; anything else goes via the CPU.
        target = scores.float() if scores.device.type in ("cpu", "cuda") else scores.float().cpu()
        self._xgr.apply_token_bitmask_inplace(target, self.bitmask.to(target.device))
        return target

    def accept(self, token: int) -> None:
        if not self.matcher.accept_token(token):  # cannot happen: the token was chosen under the mask
            raise RuntimeError(f"The grammar rejected token {token}.")

    @property
    def finished(self) -> bool:
        return bool(self.matcher.is_terminated())


def decode_with_jump_forward(
    forward: Callable[[list[int]], torch.Tensor],
    tokenizer: Any,
    grammar: GrammarMask,
    pending: list[int],
    *,
    max_new_tokens: int,
    deadline: float,
    on_tokens: Callable[[list[int]], None] | None = None,
    temperature: float = 0.0,
    seed: int | None = None,
) -> tuple[list[int], bool]:
    """Decoding under the grammar; returns the new tokens and whether the time ran out.

    ``forward(tokens)`` feeds tokens to the model (after those it has already seen: the prompt's cached
    prefix, then everything fed before) and returns the logits after the last one, shape (1, vocab).
    ``pending`` is the prompt's part the model has not seen yet.

    Jump-forward: after each chosen token, the text the grammar forces next (keys, quotes, indentation)
    is tokenized and fed in the same forward pass as that token, instead of one decode step per token.
    Most of a tool call's JSON is forced, and on a CPU a forward pass over a few tokens costs about what
    one token costs, so a call takes a fraction of the steps.

    ``temperature`` 0 picks the best allowed token (greedy); above 0 each token is sampled from the
    grammar-masked scores (see ``choose_token``) with a generator seeded by ``seed`` (a fresh random seed
    when None), so the same seed repeats a reply and different seeds give different valid replies.
    """
    matcher = grammar.matcher
    generator = sampling_generator(temperature, seed)
    new: list[int] = []
    while len(new) < max_new_tokens:
        token = choose_token(grammar.masked(forward(pending)), temperature, generator)
        grammar.accept(token)
        pending = [token] + _forced_tokens(matcher, tokenizer)
        new.extend(pending)
        if on_tokens:
            on_tokens(pending)
        if matcher.is_terminated() or time.monotonic() > deadline:
            return new, not matcher.is_terminated()
    return new, False


def sampling_generator(temperature: float, seed: int | None) -> torch.Generator | None:
    """The random generator one sampled generation draws from; None for greedy decoding."""
    if temperature <= 0:
        return None
    # On the CPU, where choose_token samples: a seed draws the same tokens whatever the model's device.
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def choose_token(
    scores: torch.Tensor,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    top_p: float = TOP_P,
) -> int:
    """The next token from one row of scores, shape (1, vocab), already masked by the grammar.

    Temperature 0 (or below) takes the argmax. Otherwise the scores are divided by the temperature,
    softmaxed, cut to the smallest set of tokens holding ``top_p`` of the probability (nucleus), and one
    is drawn with ``generator``. A token the grammar forbids has score -inf, so probability exactly 0: it
    is never drawn, and the sampled reply still parses and validates.
    """
    if temperature <= 0:
        return int(scores[0].argmax())
    probs = torch.softmax(scores[0].float().cpu() / temperature, dim=-1)
    if top_p >= 1.0:
        return int(torch.multinomial(probs, 1, generator=generator))
    # Sorting the whole vocabulary costs more than a CPU forward step; the nucleus of a real model's
    # distribution is nearly always among its top few dozen tokens, so look there first.
    ranked, order = probs.topk(min(NUCLEUS_PROBE, probs.numel()))
    if float(ranked.sum()) < top_p:  # a flat distribution: the nucleus is wider than the probe
        ranked, order = probs.sort(descending=True)
    keep = ranked.cumsum(0) - ranked < top_p  # the most likely token is always kept
    return int(order[keep][torch.multinomial(ranked[keep], 1, generator=generator)])


def _forced_tokens(matcher: Any, tokenizer: Any) -> list[int]:
    """The tokens of the text the grammar allows next and nothing else, accepted into the matcher."""
    # The forced text stops short of a trailing space, quote or bracket: BPE merges those with what
    # follows (' null', ' [\n', '",\n', ' },\n'), and a lone ' [', '"' or ' }' token puts the model off its
    # own tokenization. Measured: after a forced ' [' it closed the list at once; after a forced closing
    # quote or ' }' it repeated list items until the token budget ran out.
    if matcher.is_terminated():
        return []
    forced = matcher.find_jump_forward_string().rstrip(' "[]{}')
    if not forced:
        return []
    ids = tokenizer(forced, add_special_tokens=False).input_ids
    for n, token in enumerate(ids):
        if not matcher.accept_token(token):
            matcher.rollback(n)  # a tokenization the grammar refuses: decode those tokens one by one
            return []
    return ids
