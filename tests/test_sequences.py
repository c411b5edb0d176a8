"""PrefixSpan on itemset sequences (paper example, brute force) and the sequential_patterns tool."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from tools.base import RetryableToolError, ToolError
from tools.prefixspan import PrefixSpan
from tools.sequences import SequentialPatterns

# Pei et al. (2001), Table 1.
PAPER = [
    [["a"], ["a", "b", "c"], ["a", "c"], ["d"], ["c", "f"]],
    [["a", "d"], ["c"], ["b", "c"], ["a", "e"]],
    [["e", "f"], ["a", "b"], ["d", "f"], ["c"], ["b"]],
    [["e"], ["g"], ["a", "f"], ["c"], ["b"], ["c"]],
]


def _text(pattern) -> str:
    return "".join("(" + "".join(e) + ")" if len(e) > 1 else e[0] for e in pattern)


def test_paper_example():
    found = PrefixSpan(PAPER, 2).mine(max_len=10)
    assert len(found) == 53  # the paper's complete set at min_support 2
    with_a = sorted(_text(p) for p in found if p[0][0] == "a")
    assert with_a == sorted(
        [
            "a",
            "aa",
            "ab",
            "a(bc)",
            "a(bc)a",
            "aba",
            "abc",
            "(ab)",
            "(ab)c",
            "(ab)d",
            "(ab)f",
            "(ab)dc",
            "ac",
            "aca",
            "acb",
            "acc",
            "ad",
            "adc",
            "af",
        ]
    )
    assert found[(("a", "b"), ("c",))] == 2


def _contains(seq, pattern) -> bool:
    t = 0
    for element in pattern:
        while t < len(seq) and not set(element) <= set(seq[t]):
            t += 1
        if t == len(seq):
            return False
        t += 1
    return True


@pytest.mark.parametrize("max_len", [2, 3])
def test_matches_brute_force(max_len):
    rng = random.Random(3)
    seqs = [
        [sorted(rng.sample("abcde", rng.randint(1, 3))) for _ in range(rng.randint(1, 4))] for _ in range(40)
    ]
    found = PrefixSpan(seqs, 4).mine(max_len=max_len)
    for pattern, count in found.items():
        assert count == sum(_contains(s, pattern) for s in seqs)
    # every brute-force frequent 2-item pattern is found
    for x in "abcde":
        for y in "abcde":
            for pattern in ([(x,), (y,)], [tuple(sorted({x, y}))] if x < y else None):
                if pattern and sum(_contains(s, pattern) for s in seqs) >= 4:
                    assert tuple(pattern) in found


def test_tiny_patterns_are_the_hand_computed_ones(ws):
    result = SequentialPatterns(ws)(table="sales", min_support=0.4)
    rows = result.table.set_index("pattern")
    assert set(rows.index) == {"RED MUG → RED MUG", "RED MUG → BLUE MUG", "TEA TOWEL → RED MUG"}
    assert rows.loc["RED MUG → BLUE MUG", "customers"] == 2
    assert rows.loc["RED MUG → BLUE MUG", "confidence"] == pytest.approx(2 / 3, abs=1e-4)
    assert result.fact("customers") == 5


def test_what_after_a_product(ws):
    result = SequentialPatterns(ws)(table="sales", item="red mug")
    assert result.fact("RED MUG.buyers") == 3
    assert list(result.table["then_buy"]) == ["BLUE MUG"]
    assert result.table["share_of_buyers"].iloc[0] == pytest.approx(2 / 3, abs=1e-4)


def test_unknown_product_and_missing_timestamps(ws):
    with pytest.raises(RetryableToolError, match="TEA TOWEL"):
        SequentialPatterns(ws)(table="sales", item="tea towl")
    ws.save_table(
        "undated", pd.DataFrame({"InvoiceNo": ["1"], "CustomerID": [1], "StockCode": ["A"]}), source="test"
    )
    with pytest.raises(ToolError, match="timestamp"):
        SequentialPatterns(ws)(table="undated")
