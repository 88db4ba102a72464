"""Where the disk went: each environment's size, and how much of it is shared.

conda, rattler and uv hard-link files from their package caches, so two
environments holding the same package often hold the same bytes once. Adding up
`du` of each env overstates the total; this counts every inode once:

- an environment's `size_bytes` is the disk use of the inodes under its prefix
  (each counted once even if linked twice inside it);
- `shared_bytes` is the part of it whose inodes some other listed environment
  links too; `own_bytes` the rest (what removing only this env would free,
  package caches aside);
- the report's `total_bytes` counts each inode once across all environments.

Disk use is `st_blocks * 512` (what `du` reports), not the apparent size.

Walking a prefix takes 10-100 ms, so a walk's result (its inode -> bytes map) is
cached per prefix and reused while the package-set stamp (site_packages.
package_set_stamp, the key the discovery size cache uses too) is unchanged.
Callers run `report` in a thread: never on the event loop.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .models import Environment
from .paths import disk_bytes, file_stats, path_key
from .site_packages import package_set_stamp

Inode = tuple[int, int]


def walk_inodes(root: Path) -> dict[Inode, int]:
    """Every file and symlink under `root` (not following links): inode -> disk bytes."""
    return {(st.st_dev, st.st_ino): disk_bytes(st) for st in file_stats(root)}


class InodeCache:
    """A prefix's inode map, kept until its package set changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._maps: dict[str, tuple[tuple[int | None, ...], dict[Inode, int]]] = {}

    def inodes(self, prefix: Path) -> dict[Inode, int]:
        key = path_key(prefix)
        stamp = package_set_stamp(prefix)
        with self._lock:
            cached = self._maps.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found = walk_inodes(prefix)
        with self._lock:
            self._maps[key] = (stamp, found)
        return found

    def forget(self, prefix: Path) -> bool:
        """Drop what is cached for `prefix` (it was removed); True when there was some."""
        with self._lock:
            return self._maps.pop(path_key(prefix), None) is not None

    def cached_prefixes(self) -> list[str]:
        with self._lock:
            return list(self._maps)


#: One per process: the server and a CLI run each keep their own.
inode_cache = InodeCache()


@dataclass(frozen=True)
class EnvUsage:
    name: str
    prefix: str
    size_bytes: int
    shared_bytes: int
    own_bytes: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EnvironmentsUsage:
    environments: tuple[EnvUsage, ...]
    #: Each inode once across every environment: what they really take together.
    total_bytes: int
    #: The naive sum of the environments' sizes (what adding up `du` says).
    sum_of_sizes_bytes: int
    #: Bytes of inodes that two or more environments link.
    shared_bytes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "environments": [e.to_json() for e in self.environments],
            "total_bytes": self.total_bytes,
            "sum_of_sizes_bytes": self.sum_of_sizes_bytes,
            "shared_bytes": self.shared_bytes,
        }


def environments_usage(
    envs: Sequence[Environment], cache: InodeCache = inode_cache
) -> tuple[EnvironmentsUsage, dict[Inode, int]]:
    """The usage of `envs`, and the union of their inodes (what a cache clean must keep)."""
    maps = [cache.inodes(env.prefix) for env in envs]
    holders: Counter[Inode] = Counter()
    for inodes in maps:
        holders.update(inodes.keys())
    union: dict[Inode, int] = {}
    rows = []
    for env, inodes in zip(envs, maps, strict=True):
        size = sum(inodes.values())
        shared = sum(b for ino, b in inodes.items() if holders[ino] > 1)
        rows.append(EnvUsage(env.name, str(env.prefix), size, shared, size - shared))
        union.update(inodes)
    usage = EnvironmentsUsage(
        environments=tuple(rows),
        total_bytes=sum(union.values()),
        sum_of_sizes_bytes=sum(r.size_bytes for r in rows),
        shared_bytes=sum(b for ino, b in union.items() if holders[ino] > 1),
    )
    return usage, union


def forget(prefixes: Iterable[Path], cache: InodeCache = inode_cache) -> None:
    """Drop every size cached for `prefixes` (they were removed): the inode maps here
    and the listing's `size_bytes` cache."""
    from . import discovery

    for prefix in prefixes:
        cache.forget(prefix)
        with discovery._size_lock:
            discovery._size_cache.pop(path_key(prefix), None)
