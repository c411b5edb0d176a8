"""PrefixSpan for sequences of itemsets (Pei et al., 2001), small and exact.

The ``prefixspan`` package on PyPI handles sequences of single items only; a customer's history is a
sequence of baskets, so this module mines patterns like ``<{tea, mug}, {biscuits}>`` ("tea and a mug in
one order, biscuits in a later one").

A pattern is a tuple of elements, each a sorted tuple of items. A sequence supports it when the elements
are contained in distinct itemsets of the sequence in the same order. Support counts sequences, not
occurrences. Pattern length counts items (``<{a, b}, {c}>`` has length 3).

Each sequence supporting a pattern keeps two positions: ``end``, the earliest itemset index at which the
whole pattern can be matched, and ``before``, the same for the pattern without its last element. Earliest
matches are enough: an item can extend the pattern as a new element iff it occurs after ``end``, and can
join the last element iff some itemset after ``before`` holds the last element plus the item.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Pattern = tuple[tuple[int, ...], ...]


class TooManyPatterns(Exception):
    """The pattern count passed the cap: the minimum support is too low for these data."""


@dataclass
class _Seq:
    itemsets: list[frozenset[int]]
    sorted_sets: list[tuple[int, ...]]
    positions: dict[int, list[int]]  # item -> itemset indices holding it, ascending
    by_last: list[int]  # items, latest last occurrence first
    neg_last: list[int]  # minus the last occurrence of by_last[i] (ascending, for bisect)


@dataclass
class _State:
    seq: int
    before: int
    end: int


class PrefixSpan:
    """Frequent sequential patterns over sequences of itemsets.

    Args:
        sequences: each a list of itemsets (any hashable items), in time order.
        min_count: minimum number of supporting sequences.
    """

    def __init__(self, sequences: Sequence[Sequence[Sequence[Hashable]]], min_count: int):
        self.min_count = max(int(min_count), 1)
        counts = Counter(item for seq in sequences for item in {i for s in seq for i in s})
        frequent = sorted((i for i, c in counts.items() if c >= self.min_count), key=repr)
        self.items: list[Hashable] = frequent
        code = {item: n for n, item in enumerate(frequent)}
        self.n_sequences = len(sequences)
        self._seqs = [self._encode(seq, code) for seq in sequences]
        # item -> the first-occurrence states of the sequences holding it (the projected database of <{item}>)
        self._first: dict[int, list[_State]] = {}
        for n, s in enumerate(self._seqs):
            for item, pos in s.positions.items():
                self._first.setdefault(item, []).append(_State(n, -1, pos[0]))

    @staticmethod
    def _encode(seq: Sequence[Sequence[Hashable]], code: dict[Hashable, int]) -> _Seq:
        itemsets = [frozenset(code[i] for i in s if i in code) for s in seq]
        itemsets = [s for s in itemsets if s]
        positions: dict[int, list[int]] = {}
        for t, s in enumerate(itemsets):
            for i in s:
                positions.setdefault(i, []).append(t)
        by_last = sorted(positions, key=lambda i: -positions[i][-1])
        return _Seq(
            itemsets,
            [tuple(sorted(s)) for s in itemsets],
            positions,
            by_last,
            [-positions[i][-1] for i in by_last],
        )

    def mine(self, max_len: int = 3, cap: int = 100_000) -> dict[tuple[tuple[Hashable, ...], ...], int]:
        """Every frequent pattern of at most ``max_len`` items with its support count.

        Raises:
            TooManyPatterns: more than ``cap`` patterns.
        """
        found: dict[Pattern, int] = {}
        for item in range(len(self.items)):
            states = self._start(item)
            if len(states) >= self.min_count:
                self._grow(((item,),), states, 1, max_len, found, cap)
        return {self._decode(p): c for p, c in found.items()}

    def followers(self, item: Hashable) -> tuple[int, Counter]:
        """Sequences holding ``item``, and per other item how many of them hold it in a later itemset."""
        try:
            code = self.items.index(item)
        except ValueError:
            return 0, Counter()
        states = self._start(code)
        later: Counter = Counter()
        for st in states:
            later.update(self._after(st.seq, st.end))
        return len(states), Counter({self.items[i]: c for i, c in later.items()})

    def _start(self, item: int) -> list[_State]:
        return self._first.get(item, [])

    def _after(self, seq: int, end: int) -> list[int]:
        """Items occurring in an itemset after index ``end``."""
        s = self._seqs[seq]
        # Items whose last occurrence is after `end` form a prefix of by_last.
        return s.by_last[: bisect_left(s.neg_last, -end)]

    def _grow(
        self,
        pattern: Pattern,
        states: list[_State],
        length: int,
        max_len: int,
        found: dict[Pattern, int],
        cap: int,
    ) -> None:
        found[pattern] = len(states)
        if len(found) > cap:
            raise TooManyPatterns(f"more than {cap:,} sequential patterns")
        if length >= max_len:
            return
        last = pattern[-1]
        s_counts: Counter = Counter()
        i_counts: Counter = Counter()
        for st in states:
            s_counts.update(self._after(st.seq, st.end))
            i_counts.update(self._joinable(st, last))
        if length + 1 >= max_len:  # children are leaves: their counts are all that is needed
            for item, c in i_counts.items():
                if c >= self.min_count:
                    found[pattern[:-1] + (last + (item,),)] = c
            for item, c in s_counts.items():
                if c >= self.min_count:
                    found[pattern + ((item,),)] = c
            if len(found) > cap:
                raise TooManyPatterns(f"more than {cap:,} sequential patterns")
            return
        for item in sorted(i for i, c in i_counts.items() if c >= self.min_count):
            grown = last + (item,)
            new_states = [ns for st in states if (ns := self._join(st, grown)) is not None]
            self._grow(pattern[:-1] + (grown,), new_states, length + 1, max_len, found, cap)
        for item in sorted(i for i, c in s_counts.items() if c >= self.min_count):
            new_states = [ns for st in states if (ns := self._extend(st, item)) is not None]
            self._grow(pattern + ((item,),), new_states, length + 1, max_len, found, cap)

    def _joinable(self, st: _State, last: tuple[int, ...]) -> set[int]:
        """Items greater than the last element's items that share an itemset with all of it after ``before``."""
        s = self._seqs[st.seq]
        out: set[int] = set()
        top = last[-1]
        for t in s.positions[last[0]][bisect_right(s.positions[last[0]], st.before) :]:
            if s.itemsets[t].issuperset(last):
                ordered = s.sorted_sets[t]
                out.update(ordered[bisect_right(ordered, top) :])
        return out

    def _join(self, st: _State, grown: tuple[int, ...]) -> _State | None:
        s = self._seqs[st.seq]
        anchor = s.positions.get(grown[-1])
        if anchor is None:
            return None
        for t in anchor[bisect_right(anchor, st.before) :]:
            if s.itemsets[t].issuperset(grown):
                return _State(st.seq, st.before, t)
        return None

    def _extend(self, st: _State, item: int) -> _State | None:
        pos = self._seqs[st.seq].positions.get(item)
        if pos is None:
            return None
        k = bisect_right(pos, st.end)
        return _State(st.seq, st.end, pos[k]) if k < len(pos) else None

    def _decode(self, pattern: Pattern) -> tuple[tuple[Hashable, ...], ...]:
        return tuple(tuple(self.items[i] for i in element) for element in pattern)
