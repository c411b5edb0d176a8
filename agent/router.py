"""The router: a nearest-neighbour prior over labelled example requests per tool.

Examples live in ``prompts/router_examples.yaml`` (our own wording). Each request is embedded with the
shared embedder; a tool's score is the mean cosine similarity of its ``k`` nearest examples, so one lucky
example does not outvote a tool whose examples agree. The model then sees the few best tools (or, when the
router is very sure, the tool is fixed and the model only fills the arguments).

Modes (``RouterMode``), so they can be measured against each other:
- ``off``: no router; the model chooses among all tools.
- ``shortlist``: the model chooses among the top ``shortlist`` tools.
- ``auto``: like shortlist, but a confident router fixes the tool.
- ``top1``: always take the router's first tool; the model only fills the arguments (default: on the
  development set it chose the right tool more often than the model did, in one model call instead of two).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

import prompts
from tools.names import prose

RouterMode = Literal["off", "shortlist", "auto", "top1"]
# A request that names its tool ("use SQL", "as a SQL query") gets that tool, whatever its neighbours say.
NAMED_TOOLS = {"sql_query": re.compile(r"\bsql\b", re.IGNORECASE)}
ROUTER_MODES: tuple[str, ...] = ("off", "shortlist", "auto", "top1")
NO_TOOL = "none"
# A data question unlike every example (another business's tables: students, flights, concerts) is an
# ad-hoc question, and SQL is the one tool that can express any of them. On our own development set the
# top score is 0.60 at the median and 0.36 at the lowest (93 requests); on tables outside retail the
# neighbours rank tools like segment_customers first on scores around 0.25.
FALLBACK_TOOL = "sql_query"
# A request at least this similar to a question the person taught (agent.learned) is that question again,
# reworded at most: its tool is the person's word, whatever the other examples say.
LEARNED_MATCH = 0.9


@dataclass(frozen=True)
class Route:
    """The router's ranking for one request: (tool, score) best first, and whether the tool is fixed."""

    ranked: list[tuple[str, float]]
    fixed: str | None = None

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.ranked]

    def to_dict(self) -> dict:
        return {"ranked": [[n, round(s, 3)] for n, s in self.ranked], "fixed": self.fixed}


class Router:
    """Ranks tools for a request by similarity to labelled examples.

    Args:
        tools: the names of the tools that exist (examples of other tools are ignored).
        examples: tool name -> example requests (default: ``prompts/router_examples.yaml``).
        embedder: object with ``encode(list[str]) -> ndarray`` of L2-normalised rows (default: shared one).
        k: how many nearest examples of a tool make its score.
        fix_score: a top score at least this high ...
        fix_margin: ... and this far above the second tool fixes the tool in ``auto`` mode.
        unfamiliar: a best tool scoring below this is no real match: ``FALLBACK_TOOL`` leads the ranking
            instead, and ``top1`` fixes it (unless the best match is ``none``, e.g. "thanks!").
        learned: returns tool -> questions the person taught (agent.learned); called on the first
            ranking, not here, so building a Router stays cheap. More come with ``add_examples``.
        cues: tool -> the words a request must state for that tool (``Tool.cue``); a request that does
            not state them never ranks the tool.
    """

    def __init__(
        self,
        tools: Iterable[str],
        examples: dict[str, list[str]] | None = None,
        embedder=None,
        *,
        k: int = 2,
        fix_score: float = 0.65,
        fix_margin: float = 0.10,
        unfamiliar: float = 0.35,
        learned: Callable[[], dict[str, list[str]]] | None = None,
        cues: Mapping[str, re.Pattern[str]] | None = None,
    ):
        known = set(tools) | {NO_TOOL}
        examples = examples if examples is not None else prompts.load("router_examples")
        self._labels: list[str] = []
        self._texts: list[str] = []
        for tool, requests in examples.items():
            if any(not isinstance(r, str) for r in requests):
                raise ValueError(
                    f"Router examples of {tool!r} must be plain strings (quote text with colons)."
                )
            if tool in known:
                self._labels.extend([tool] * len(requests))
                self._texts.extend(requests)
        self._embedder = embedder
        self._matrix: np.ndarray | None = None
        self.k, self.fix_score, self.fix_margin = k, fix_score, fix_margin
        self.unfamiliar = unfamiliar
        self._known = known
        self._is_learned: list[bool] = [False] * len(self._texts)
        self._pending_learned = learned
        self._cues = dict(cues or {})

    @property
    def embedder(self):
        if self._embedder is None:
            from tools.embeddings import get_embedder

            self._embedder = get_embedder()
        return self._embedder

    def _examples_matrix(self) -> np.ndarray:
        # Embedded on first use, not at construction: building an Assistant stays cheap.
        if self._matrix is None:
            self._matrix = self.embedder.encode(self._texts)
        return self._matrix

    # -- learned examples ---------------------------------------------------------------------------------
    def add_examples(self, tool: str, texts: Iterable[str]) -> None:
        """Add questions the person taught as examples of ``tool`` (a text taught before moves to ``tool``)."""
        texts = [t for t in dict.fromkeys(texts) if t.strip()]
        if tool not in self._known or not texts:
            return
        self.forget_examples(texts)
        self._labels.extend([tool] * len(texts))
        self._texts.extend(texts)
        self._is_learned.extend([True] * len(texts))
        if self._matrix is not None:  # embed only the new rows
            self._matrix = np.vstack([self._matrix, self.embedder.encode(texts)])

    def forget_examples(self, texts: Iterable[str]) -> None:
        """Drop learned examples with these texts (the examples in prompts/ stay)."""
        gone = {t.strip().lower() for t in texts}
        keep = [
            i
            for i, (text, learned) in enumerate(zip(self._texts, self._is_learned, strict=True))
            if not (learned and text.strip().lower() in gone)
        ]
        if len(keep) == len(self._texts):
            return
        self._labels = [self._labels[i] for i in keep]
        self._texts = [self._texts[i] for i in keep]
        self._is_learned = [self._is_learned[i] for i in keep]
        if self._matrix is not None:
            self._matrix = self._matrix[keep]

    def _load_learned(self) -> None:
        if self._pending_learned is not None:
            load, self._pending_learned = self._pending_learned, None
            for tool, texts in load().items():
                self.add_examples(tool, texts)

    # -- ranking -----------------------------------------------------------------------------------------
    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every tool with examples, with its score, best first."""
        return self._rank(text)[0]

    def _rank(self, text: str) -> tuple[list[tuple[str, float]], str | None]:
        """The ranking, and the tool of a learned question that ``text`` matches (LEARNED_MATCH)."""
        self._load_learned()
        if not self._texts:
            return [], None
        query = self.embedder.encode([text])[0]
        sims = self._examples_matrix() @ query
        by_tool: dict[str, list[float]] = {}
        learned: tuple[str, float] | None = None
        for label, sim, is_learned in zip(self._labels, sims, self._is_learned, strict=True):
            by_tool.setdefault(label, []).append(float(sim))
            if is_learned and sim >= LEARNED_MATCH and (learned is None or sim > learned[1]):
                learned = (label, float(sim))
        words = prose(text)
        scores = {
            tool: float(np.mean(sorted(s, reverse=True)[: self.k]))
            for tool, s in by_tool.items()
            if tool not in self._cues or self._cues[tool].search(words)
        }
        if learned is not None:  # the taught question itself: its own similarity, not a mean with others
            scores[learned[0]] = max(scores[learned[0]], learned[1])
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return ranked, learned[0] if learned else None

    def route(self, text: str, mode: RouterMode = "auto") -> Route:
        """The ranking, and the tool fixed by the router when ``mode`` allows and the router is sure."""
        if mode not in ROUTER_MODES:
            raise ValueError(f"Unknown router mode {mode!r}; use one of {', '.join(ROUTER_MODES)}.")
        if mode == "off":
            return Route(ranked=[])
        ranked, learned = self._rank(text)
        if not ranked:
            return Route(ranked=[])
        if learned is not None:
            return Route(ranked=put_first(ranked, learned), fixed=learned if mode != "shortlist" else None)
        named = [n for n, _ in ranked if n in NAMED_TOOLS and NAMED_TOOLS[n].search(text)]
        if named:
            return Route(ranked=put_first(ranked, named[0]), fixed=named[0])
        best, score = ranked[0]
        if score < self.unfamiliar and best != NO_TOOL and FALLBACK_TOOL in self._known:
            # top1 takes it; a model choosing from the shortlist gets it first among the candidates
            fixed = FALLBACK_TOOL if mode == "top1" else None
            return Route(ranked=put_first(ranked, FALLBACK_TOOL), fixed=fixed)
        if mode == "top1":
            return Route(ranked=ranked, fixed=ranked[0][0])
        if mode == "auto" and self.confident(ranked):
            return Route(ranked=ranked, fixed=ranked[0][0])
        return Route(ranked=ranked)

    def confident(self, ranked: list[tuple[str, float]]) -> bool:
        """Sure enough to skip the model's choice: a high top score, well clear of the runner-up."""
        top = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        return top >= self.fix_score and top - second >= self.fix_margin


def put_first(ranked: list[tuple[str, float]], tool: str) -> list[tuple[str, float]]:
    """The ranking with ``tool`` moved to the front."""
    return sorted(ranked, key=lambda item: item[0] != tool)
