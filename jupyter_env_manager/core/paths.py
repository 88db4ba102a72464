"""Comparing prefixes: two spellings of one folder are one environment."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
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


def file_stats(root: str | os.PathLike[str]) -> Iterator[os.stat_result]:
    """The stat of every file and symlink under `root`, links not followed; folders
    that vanish or cannot be read mid-walk are passed over."""
    stack = [os.fspath(root)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                        continue
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                yield stat


def disk_bytes(st: os.stat_result) -> int:
    """What a file takes on disk (its blocks), the figure `du` and the Disk report show;
    an environment's listed size uses it too, so the two never disagree."""
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks is not None else st.st_size
