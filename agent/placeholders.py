"""Stable placeholders for private values: ``<EMAIL_1>`` in what the model reads, the address in what the
person sees.

One ``Placeholders`` lives as long as its conversation's model wrapper (agent.privacy): the same value
always gets the same placeholder, numbered per kind in order of first appearance, so a prompt is
byte-identical from call to call (the backends' prefix cache keeps working) and a placeholder the model
read in one turn means the same value in the next.

Restoring is exact in the contexts replies have: plain text, a JSON string (the value is JSON-escaped) and
an SQL string literal (``'<PERSON_1>'`` gets ``'O''Brien'``). The model may drop the angle brackets
(``EMAIL_1``); that is restored too. A streamed reply is restored piece by piece, holding back a piece that
ends inside what may still become a placeholder (``<EMA`` + ``IL_1>``).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Set

from tools.pii import KINDS, find_pii

PLACEHOLDER = re.compile(r"<?\b(" + "|".join(KINDS) + r")_(\d+)\b>?")
_TAIL = re.compile(r"<?\w*$")  # the end of a streamed text that may be the start of a placeholder
# Long redacted texts are remembered: the system prompt and schema card recur on every call (short ones,
# an enum value or a grammar literal, are quick to redact and would only crowd them out).
_CACHED_TEXTS = 64
_CACHED_MIN_CHARS = 200


class Placeholders:
    """The private values seen so far and their placeholders (thread-safe)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}  # "EMAIL_1" -> the address
        self._keys: dict[str, str] = {}  # the address -> "EMAIL_1"
        self._counts: Counter[str] = Counter()
        self._redacted: OrderedDict[str, str] = OrderedDict()
        self._known: Set[str] = frozenset()
        self._lock = threading.Lock()

    def redact(self, text: str, known_names: Set[str] = frozenset()) -> str:
        """``text`` with each private value replaced by its placeholder.

        Args:
            text: any text bound for the model.
            known_names: person names the workspace holds (tools.pii_columns), matched exactly.
        """
        with self._lock:
            if known_names is not self._known:  # other names: texts cached before may redact differently
                self._known, self._redacted = known_names, OrderedDict()
            if text in self._redacted:
                self._redacted.move_to_end(text)
                return self._redacted[text]
            out, last = [], 0
            for span in find_pii(text, known_names):
                out += [text[last : span.start], f"<{self._key(span.kind, span.of(text))}>"]
                last = span.end
            redacted = "".join(out) + text[last:]
            if len(text) >= _CACHED_MIN_CHARS:
                self._redacted[text] = redacted
                if len(self._redacted) > _CACHED_TEXTS:
                    self._redacted.popitem(last=False)
            return redacted

    def _key(self, kind: str, value: str) -> str:
        value = value.replace("''", "'")  # as quoted in SQL ('O''Neill'): restore quotes it again
        if value not in self._keys:
            self._counts[kind] += 1
            key = f"{kind}_{self._counts[kind]}"
            self._keys[value], self._values[key] = key, value
        return self._keys[value]

    def restore(self, text: str, *, json_strings: bool = False) -> str:
        """``text`` with every known placeholder put back (unknown ones stay as written).

        Args:
            text: the model's reply.
            json_strings: the reply is JSON, so a value is escaped as inside a JSON string.
        """

        def value(m: re.Match[str]) -> str:
            found = self._values.get(f"{m.group(1)}_{m.group(2)}")
            if found is None:
                return m.group()
            if m.string[m.start() - 1 : m.start()] == "'" and m.string[m.end() : m.end() + 1] == "'":
                found = found.replace("'", "''")  # inside an SQL string literal
            return json.dumps(found)[1:-1] if json_strings else found

        with self._lock:
            return PLACEHOLDER.sub(value, text)

    def streaming(self, on_token: Callable[[str], None], *, json_strings: bool = False) -> StreamRestorer:
        """An ``on_token`` for the inner model that hands restored pieces to ``on_token``."""
        return StreamRestorer(self, on_token, json_strings)


class StreamRestorer:
    """Restores a streamed reply piece by piece; ``flush`` after the last piece."""

    def __init__(self, placeholders: Placeholders, on_token: Callable[[str], None], json_strings: bool):
        self._placeholders, self._on_token, self._json = placeholders, on_token, json_strings
        self._held = ""

    def __call__(self, piece: str) -> None:
        self._held += piece
        cut = _safe_end(self._held)
        if cut:
            ready, self._held = self._held[:cut], self._held[cut:]
            self._on_token(self._placeholders.restore(ready, json_strings=self._json))

    def flush(self) -> None:
        if self._held:
            ready, self._held = self._held, ""
            self._on_token(self._placeholders.restore(ready, json_strings=self._json))


def _safe_end(text: str) -> int:
    """How much of ``text`` can be restored now: all of it, unless it ends in what may still grow into a
    placeholder (``<``, ``<EM``, ``EMAIL_``, ``<EMAIL_1`` before its ``>`` or next digit)."""
    tail = _TAIL.search(text)
    assert tail is not None  # the pattern matches the empty end of any text
    core = tail.group().lstrip("<")
    if tail.group() == "<" or (core and _may_become_placeholder(core)):
        return tail.start()
    return len(text)


def _may_become_placeholder(core: str) -> bool:
    kind, sep, digits = core.partition("_")
    if not sep:
        return any(k.startswith(kind) for k in KINDS)
    return kind in KINDS and (digits == "" or digits.isdigit())
