"""Roll an environment back to one of its revisions (core/history.py), previewed first.

The result is the revision's exact package set:

- conda prefixes: what `conda install --revision N` gives. With conda itself as the
  engine, that command runs (conda writes its own history); otherwise rattler
  restores the set (Engine.restore_package_set) from the records still installed
  plus the missing builds found on their channels (or in a package cache), and a
  history block like conda's is appended, so `conda list --revisions` shows it.
- venvs: the revision's freeze pins are reinstalled exactly (no dependency
  resolution), and the rollback is logged as a new revision.

pip packages inside a conda prefix are not part of its conda history, and stay.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import history
from .conda_prefix import append_history, read_history, read_records
from .engines.rattler_install import settles
from .engines.venv_state import write_requested
from .errors import EnvManagerError, PackagesNotFound
from .models import ChangePlan, Environment, ProgressCallback, ProgressEvent, ignore_progress
from .package_set import PackageSet, pypi_pins

if TYPE_CHECKING:
    from .manager import EnvManager

COMMAND = "jupyter-env-manager"


def _current_state(records: list[dict[str, Any]]) -> dict[str, history.Dist]:
    state = {}
    for record in records:
        name = str(record["name"]).lower()
        state[name] = history.Dist(
            str(record.get("channel") or ""),
            str(record.get("subdir") or ""),
            name,
            str(record["version"]),
            str(record.get("build") or ""),
        )
    return state


def plan(env: Environment, target: history.Revision) -> ChangePlan:
    """What rolling `env` back to `target` changes."""
    if env.kind == "conda":
        changes = history._conda_changes(_current_state(read_records(env.prefix)),
                                         target.conda_state)  # fmt: skip
    else:
        changes = history._diff_versions(
            history._pin_versions(pypi_pins(env.prefix)),
            history._pin_versions(target.pins),
            "pypi",
            history._pypi_newer,
        )
    return ChangePlan(changes=tuple(changes), dry_run=True)


def _cached_record(packages_dirs: list[Path], dist: history.Dist) -> dict[str, Any] | None:
    """conda keeps each package's repodata record beside its extracted files."""
    for folder in packages_dirs:
        path = folder / dist.label() / "info" / "repodata_record.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and dist.matches(data):
            return data
    return None


async def _channel_records(engine: Any, wanted: list[history.Dist]) -> dict[str, dict]:
    from rattler import Gateway

    from .engines.rattler_repodata import query_records

    found: dict[str, dict] = {}
    by_channel: dict[str, list[history.Dist]] = {}
    for dist in wanted:
        if dist.channel:
            by_channel.setdefault(dist.channel, []).append(dist)
    gateway = Gateway(cache_dir=engine.repodata_dir)
    for channel, dists in by_channel.items():
        records = await query_records(
            gateway, [channel], engine._platforms(), {d.name for d in dists}
        )
        for dist in dists:
            for record in records:
                if (record.name.normalized, str(record.version), str(record.build)) == (
                    dist.name, dist.version, dist.build,
                ):  # fmt: skip
                    raw = record.to_json()
                    found[dist.label()] = json.loads(raw) if isinstance(raw, str) else raw
                    break
    return found


@settles
async def target_records(
    engine: Any, prefix: Path, target: history.Revision, packages_dirs: list[Path]
) -> list[dict[str, Any]]:
    """conda-meta-style records of every package of `target`, or PackagesNotFound
    naming the builds that are nowhere to be had."""
    installed = read_records(prefix)
    records, missing = [], []
    for dist in target.conda_state.values():
        record = next((r for r in installed if dist.matches(r)), None)
        record = record or _cached_record(packages_dirs, dist)
        if record is None:
            missing.append(dist)
        else:
            records.append(record)
    if missing:
        found = await _channel_records(engine, missing)
        still = [d for d in missing if d.label() not in found]
        if still:
            raise PackagesNotFound([d.label() for d in still], where="their channels or caches")
        records += [found[d.label()] for d in missing]
    return records


def _uses_conda(manager: EnvManager, env: Environment) -> bool:
    try:
        return manager.engine_for(env).name == "conda"
    except EnvManagerError:
        return False


async def rollback(
    manager: EnvManager,
    name: str,
    number: object,
    *,
    dry_run: bool,
    progress: ProgressCallback = ignore_progress,
) -> ChangePlan:
    env = manager.get(name)
    manager.check_writable(env, "roll back")
    target = history.revision(env.prefix, env.kind, number)
    preview = plan(env, target)
    rattler = None
    if env.kind == "conda" and not _uses_conda(manager, env):
        rattler = manager.engine("rattler")
    if dry_run:
        if rattler is not None and preview.changes:
            # A preview that could not be carried out would mislead: find every build now.
            await target_records(rattler, env.prefix, target, _packages_dirs(manager, rattler))
        return preview
    if not preview.changes:
        return ChangePlan(changes=(), dry_run=False)
    operation = f"roll back {env.name} to revision {target.number}"
    async with manager.locks.hold(str(env.prefix), wait=False, label=env.name,
                                  operation=operation):  # fmt: skip
        progress(ProgressEvent("rollback", f"Rolling {env.name} back to revision {target.number}"))
        if env.kind == "venv":
            engine = manager.engine_for(env)
            await engine.restore_package_set(
                env.prefix, PackageSet(kind="venv", pypi=target.pins), progress=progress
            )
            if isinstance(target.requested, tuple):
                # What was asked for then, so the next install does not undo the rollback.
                write_requested(env.prefix, target.requested)
            await asyncio.to_thread(
                history.append_venv_revision, env.prefix, f"rollback --revision {target.number}"
            )
        elif rattler is None:
            conda = manager.engine_for(env)
            await conda._transaction(  # conda's own rollback writes conda's own history
                ["install", "--prefix", env.prefix, "--revision", str(target.number)],
                False, progress, stage="rollback",
            )  # fmt: skip
        else:
            await _rattler_rollback(manager, rattler, env, target, progress)
    return ChangePlan(changes=preview.changes, dry_run=False)


def _packages_dirs(manager: EnvManager, rattler: Any) -> list[Path]:
    from .package_caches import conda_pkgs_dirs

    return [rattler.packages_dir, *conda_pkgs_dirs(os.environ, manager.locations().root_prefix)]


@settles
async def _rattler_rollback(
    manager: EnvManager, rattler: Any, env: Environment, target: history.Revision,
    progress: ProgressCallback,
) -> None:  # fmt: skip
    before = read_records(env.prefix)
    records = await target_records(rattler, env.prefix, target, _packages_dirs(manager, rattler))
    await rattler.restore_package_set(
        env.prefix, PackageSet(kind="conda", conda=tuple(records)), progress=progress
    )
    keys = {_key(r) for r in records}
    old = {_key(r) for r in before}
    requested = read_history(env.prefix).conda
    wanted = dict(target.requested or {})
    append_history(
        env.prefix,
        command=f"{COMMAND} install --prefix {env.prefix} --revision {target.number}",
        added=[_entry(r) for r in records if _key(r) not in old],
        removed=[_entry(r) for r in before if _key(r) not in keys],
        # What was asked for then is asked for again: the next install solves with
        # the revision's specs, not the ones rolled back (and from-history says so).
        update_specs=[spec for name, spec in sorted(wanted.items()) if requested.get(name) != spec],
        remove_specs=sorted(n for n in requested if n not in wanted),
        tool="rattler",
        tool_version=rattler.version() or "",
    )


def _key(record: dict[str, Any]) -> tuple[str, str, str]:
    return str(record["name"]).lower(), str(record["version"]), str(record.get("build"))


def _entry(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": str(record["name"]).lower(),
        "version": str(record["version"]),
        "build": str(record.get("build") or ""),
        "channel": record.get("channel"),
        "subdir": record.get("subdir"),
    }
