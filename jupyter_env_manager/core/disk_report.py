"""The disk view of one EnvManager: environments and package caches together, and
the clean-up, previewed first. Shared by the CLI (`disk`, `clean`) and the server.

Both functions block (they walk folders): call them in a thread.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import disk, package_caches
from .errors import EnvironmentBusy
from .info import uv_binary

if TYPE_CHECKING:
    from .manager import EnvManager


@dataclass(frozen=True)
class Cache:
    kind: str
    path: Path


def caches(manager: EnvManager) -> list[Cache]:
    """Every package cache this machine's engines use, each folder once."""
    from .engines.rattler_engine import default_cache_dir

    rattler = Path(manager.rattler_cache_dir) if manager.rattler_cache_dir else default_cache_dir()
    found = [Cache("rattler", rattler / "pkgs")]
    root = manager.locations().root_prefix
    found += [Cache("conda", p) for p in package_caches.conda_pkgs_dirs(os.environ, root)]
    uv_dir = package_caches.uv_cache_dir(uv_binary(), os.environ)
    if uv_dir is not None:
        found.append(Cache("uv", uv_dir))
    seen, unique = set(), []
    for cache in found:
        key = os.path.normcase(os.path.abspath(cache.path))
        if key not in seen:
            seen.add(key)
            unique.append(cache)
    return unique


def _plans(manager: EnvManager, in_use: dict) -> list[package_caches.CachePlan]:
    plans = []
    for cache in caches(manager):
        if cache.kind == "uv":
            plans.append(package_caches.plan_uv(cache.path, in_use))
        else:
            plans.append(package_caches.plan_conda_layout(cache.kind, cache.path, in_use))
    return plans


def report(manager: EnvManager) -> dict[str, Any]:
    """Sizes of every listed environment (shared bytes counted once) and of every
    cache, with what a clean would free."""
    usage, in_use = disk.environments_usage(manager.list())
    plans = _plans(manager, in_use)
    return {
        **usage.to_json(),
        "caches": [p.to_json() for p in plans],
        "reclaimable_bytes": sum(p.reclaimable_bytes for p in plans),
    }


def check_no_change_running(manager: EnvManager) -> None:
    """A clean beside an install could take a package the install just extracted and
    has not linked yet: refuse while any environment is being changed."""
    folder = manager.locks.directory
    if not folder.is_dir():
        return
    for lock in folder.glob("*.lock"):
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_file(lock)
            raise EnvironmentBusy(
                "An environment is being changed"
                + (f" ({holder})" if holder else "")
                + "; clean the package caches when it has finished."
            ) from None
        finally:
            os.close(fd)


def _holder_file(lock: Path) -> str | None:
    try:
        return lock.with_suffix(".holder").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def clean(manager: EnvManager, *, dry_run: bool) -> dict[str, Any]:
    """Remove unused cached packages and tarballs (and prune uv's cache); with
    `dry_run`, only say what would go. The plan is made again at clean time."""
    if not dry_run:
        check_no_change_running(manager)
    usage, in_use = disk.environments_usage(manager.list())
    plans = _plans(manager, in_use)
    result = []
    for plan in plans:
        entry = plan.to_json()
        if dry_run or not plan.writable:
            entry["freed_bytes"] = 0
        elif plan.kind == "uv":
            uv = uv_binary()
            entry["freed_bytes"] = package_caches.prune_uv(uv, Path(plan.path)) if uv else 0
        else:
            removed = package_caches.apply_plan(plan, in_use)
            entry["removed"] = [i.to_json() for i in removed]
            entry["freed_bytes"] = sum(i.bytes for i in removed)
        result.append(entry)
    return {
        "dry_run": dry_run,
        "caches": result,
        "reclaimable_bytes": sum(p.reclaimable_bytes for p in plans),
        "freed_bytes": sum(e["freed_bytes"] for e in result),
    }
