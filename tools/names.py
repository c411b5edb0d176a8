"""Fuzzy name matching for "did you mean ...?" hints (tables, columns, products)."""

from __future__ import annotations

from rapidfuzz import fuzz, process, utils


def closest(name: str, candidates: list[str], cutoff: float = 60.0) -> str | None:
    """The candidate most like ``name`` (case-insensitive), or None when nothing is close."""
    found = closest_many(name, candidates, limit=1, cutoff=cutoff)
    return found[0][0] if found else None


def closest_many(
    name: str, candidates: list[str], limit: int = 5, cutoff: float = 60.0
) -> list[tuple[str, float]]:
    """Up to ``limit`` (candidate, score 0..100) pairs, best first."""
    if not candidates:
        return []
    matches = process.extract(
        name,
        candidates,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [(m[0], float(m[1])) for m in matches]
