"""The order search results are shown in, the same for PyPI and conda channels.

A name equal to what was typed comes first, then names starting with it, then names
merely containing it; alphabetical within each group. Indexes carry no popularity,
so this is the whole ranking: it makes `numpy` first for "numpy", not `numpy-ext`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable


def match_rank(needle: str, name: str) -> tuple[int, str]:
    """Sort key of `name` for the search `needle` (both normalised the same way)."""
    return (0 if name == needle else 1 if name.startswith(needle) else 2, name)


def ranked(needle: str, names: Iterable[str], limit: int | None = None) -> list[str]:
    """The distinct `names` containing `needle`, best match first, at most `limit`.

    Ranking before cutting keeps the exact name even when thousands of names match.
    """
    hits = {name for name in names if needle in name}
    if limit is None:
        return sorted(hits, key=lambda name: match_rank(needle, name))
    # A one-letter query matches most of PyPI: keep the best `limit` without sorting all.
    return heapq.nsmallest(limit, hits, key=lambda name: match_rank(needle, name))
