"""The environments `EnvManager.list()` shows, as functions of its settings.

The manager is a traitlets Configurable, so that config files can move its folders.
`jupyter env-manager list` is typed often and is mostly start-up time: when no config
file configures the manager, the CLI calls these with the manager's defaults and never
imports traitlets, the engines or asyncio. Both ways run this one code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from . import discovery, readonly
from .engines.install_journal import has_journal
from .errors import EnvironmentBusy
from .locks import EnvironmentLocks
from .models import Environment


def locations(
    venvs_dir: str, conda_executable: str, envs_dirs: Iterable[str]
) -> discovery.Locations:
    """Where to look, from the manager's `venvs_dir`, `conda_executable`, `envs_dirs`."""
    found = discovery.Locations.default(
        venvs_dir=Path(venvs_dir).expanduser(), conda_executable=conda_executable or None
    )
    dirs = list(envs_dirs)
    if dirs:
        found.conda_envs_dirs = [Path(d).expanduser() for d in dirs]
    return found


def interrupted(env: Environment, locks: EnvironmentLocks) -> bool:
    """A journal nobody is working on: a change that was cut short."""
    if not has_journal(env.prefix):
        return False
    try:
        locks.check_free(str(env.prefix))
    except EnvironmentBusy:
        return False  # the change is running now
    return True


def marked(env: Environment, locks: EnvironmentLocks, protected: Iterable[str]) -> Environment:
    """`env` with `needs_repair` and `read_only` (and why) set as they apply."""
    if interrupted(env, locks):
        env = dataclasses.replace(env, needs_repair=True)
    reason = readonly.read_only_reason(env, protected)
    if reason is None:
        return env
    return dataclasses.replace(env, read_only=True, read_only_reason=reason)


def usable(
    where: discovery.Locations,
    locks: EnvironmentLocks,
    protected: Iterable[str],
    *,
    with_sizes: bool = False,
) -> list[Environment]:
    """Every usable environment; ones still being built are not usable yet."""
    hidden = locks.building_prefixes()
    protected = list(protected)
    return [
        marked(env, locks, protected)
        for env in discovery.list_environments(where, with_sizes=with_sizes)
        if env.prefix not in hidden
    ]
