"""KV-cache states of recent prompts for llama.cpp, so switching between prompts does not re-read them.

llama.cpp keeps one sequence in its KV cache. An ``ask`` alternates two long prompts (the planner's, with
the schema card, and the writer's), so without this each turn re-evaluates about 1,800 prompt tokens at
some 70 tokens/s on a 2-core CPU: 25 s. The planner prompt also differs per tool after the shared system
prompt. Each state here is the KV cache of one sequence (llama.cpp's per-sequence state: no logits, about
28 KB per token for the 1.5B model), keyed by its tokens; before a prompt is evaluated the state sharing
its longest prefix is put back. llama-cpp-python's own ``LlamaRAMCache`` stores a full logits buffer with
every state (about 300 MB for this vocabulary), so it could hold barely one.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from typing import Any

SEQUENCE = 0


class PrefixStates:
    """Least-recently-used KV states of one ``llama_cpp.Llama``, up to ``capacity_bytes`` in all."""

    def __init__(self, capacity_bytes: int):
        self.capacity_bytes = capacity_bytes
        self._states: OrderedDict[tuple[int, ...], bytes] = OrderedDict()

    def save(self, llm: Any) -> None:
        """Keep the state of what ``llm`` has evaluated; states it extends are dropped (it covers them)."""
        import llama_cpp

        key = tuple(llm.input_ids[: llm.n_tokens].tolist())
        if not key:
            return
        ctx = llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, SEQUENCE)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, SEQUENCE)
        for old in [k for k in self._states if key[: len(k)] == k]:
            del self._states[old]
        self._states[key] = bytes(buffer)[:written]
        while self._states and sum(map(len, self._states.values())) > self.capacity_bytes:
            self._states.popitem(last=False)

    def restore(self, llm: Any, ids: list[int]) -> int:
        """Put back the state sharing the longest prefix with ``ids``, if longer than what ``llm`` holds.

        Returns:
            How many leading tokens of ``ids`` ``llm`` now holds evaluated.
        """
        import llama_cpp

        held = common_prefix(llm.input_ids[: llm.n_tokens].tolist(), ids)
        best, best_len = None, held
        for key in self._states:
            shared = common_prefix(key, ids)
            if shared > best_len:
                best, best_len = key, shared
        if best is None:
            return held
        self._states.move_to_end(best)
        data = self._states[best]
        llm._ctx.kv_cache_seq_rm(SEQUENCE, 0, -1)
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(data), SEQUENCE) == 0:
            llm.n_tokens = 0  # not restored: evaluate from the start
            return 0
        llm.input_ids[: len(best)] = best
        llm.n_tokens = len(best)
        return best_len


def common_prefix(a: Any, b: Any) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
