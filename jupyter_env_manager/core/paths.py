"""Comparing prefixes: two spellings of one folder are one environment."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def path_key(path: str | os.PathLike[str]) -> str:
    """Absolute and case-folded where the file system folds case (not resolved: a
    symlinked envs dir is where the user said it is)."""
    return os.path.normcase(os.path.abspath(os.fspath(path)))


def unique_paths(paths: Iterable[Path]) -> list[Path]:
    """`paths` in order, each folder once."""
    seen: set[str] = set()
    result = []
    for path in paths:
        key = path_key(path)
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result
