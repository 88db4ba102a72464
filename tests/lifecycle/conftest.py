"""Fixtures for the lifecycle suites (read-only shared envs, disk, history, rollback).

A real server whose environment manager and kernel spec manager look at the same
temporary folders: a user's envs dir, a venvs dir, and (for the shared-env tests) a
system envs dir made really read-only.

Read-only, for real: tests run as root here, and `chmod a-w` does not stop root. A
read-only bind mount does (the kernel answers EROFS to every write, root or not),
so as root the shared folder is bind-mounted read-only onto itself; a non-root run
gets `chmod a-w`, which stops it just as well. Where neither is possible the
shared-env tests skip and say why.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import rattler
from rattler import Subdir

from tests.conftest import SERVER_APP_CONFIG
from tests.kernels.conftest import uv
from tests.server.conftest import Api

SHARED_ENV = "shared"


@dataclass(frozen=True)
class Dirs:
    root: Path

    @property
    def shared_envs(self) -> Path:
        return self.root / "system" / "envs"

    @property
    def user_envs(self) -> Path:
        return self.root / "user" / "envs"

    @property
    def venvs(self) -> Path:
        return self.root / "venvs"

    @property
    def rattler_cache(self) -> Path:
        return self.root / "rattler-cache"

    @property
    def environments_txt(self) -> Path:
        return self.root / "environments.txt"


async def _rattler_install(channel: str, prefix: Path, cache: Path, specs: list[str]) -> None:
    gateway = rattler.Gateway(cache_dir=cache / "repodata")
    records = await rattler.solve(
        [channel], specs, gateway=gateway, platforms=[Subdir.current(), "noarch"]
    )
    await rattler.install(records, prefix, cache_dir=cache / "pkgs", show_progress=False)
    # A settle pause: py-rattler may abort the interpreter right after an awaited call.
    await asyncio.sleep(0.05)


def make_kernel_conda_prefix(channel: str, prefix: Path, cache: Path) -> None:
    """A conda prefix (rattler, local channel) whose Python has ipykernel (uv, PyPI)."""
    asyncio.run(_rattler_install(channel, prefix, cache, ["python", "alpha"]))
    uv("pip", "install", "--quiet", "--python", str(prefix / "bin" / "python"), "ipykernel")


def tree_snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under `folder` with (mode, size, mtime): equal snapshots mean no file
    was added, removed or written."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            found[os.path.relpath(path, folder)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def make_read_only(folder: Path) -> tuple[str, object]:
    """Make `folder` unwritable for this process; returns (how, undo token)."""
    if os.geteuid() != 0:
        modes = {}
        for dirpath, dirnames, _files in os.walk(folder):
            for name in [dirpath, *(os.path.join(dirpath, d) for d in dirnames)]:
                mode = os.stat(name).st_mode
                modes[name] = mode
                os.chmod(name, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        return "chmod", modes
    target = str(folder)
    bind = subprocess.run(["mount", "--bind", target, target], capture_output=True, text=True)
    if bind.returncode != 0:
        pytest.skip(f"cannot make a read-only folder as root here: {bind.stderr.strip()}")
    remount = subprocess.run(
        ["mount", "-o", "remount,ro,bind", target, target], capture_output=True, text=True
    )
    if remount.returncode != 0:
        subprocess.run(["umount", target], check=False)
        pytest.skip(f"cannot remount read-only: {remount.stderr.strip()}")
    return "mount", target


def undo_read_only(how: str, token: object) -> None:
    if how == "mount":
        subprocess.run(["umount", str(token)], check=False)
    else:
        for name, mode in reversed(list(token.items())):  # type: ignore[attr-defined]
            os.chmod(name, mode)


@pytest.fixture(scope="session")
def lifecycle_dirs(tmp_path_factory: pytest.TempPathFactory) -> Dirs:
    dirs = Dirs(tmp_path_factory.mktemp("lifecycle"))
    for folder in (dirs.shared_envs, dirs.user_envs, dirs.venvs):
        folder.mkdir(parents=True)
    return dirs


@pytest.fixture(scope="session")
def shared_env(lifecycle_dirs: Dirs, local_channel: str):
    """A kernel-ready conda env in the system envs dir, which is then made read-only."""
    prefix = lifecycle_dirs.shared_envs / SHARED_ENV
    make_kernel_conda_prefix(local_channel, prefix, lifecycle_dirs.root / "shared-cache")
    how, token = make_read_only(lifecycle_dirs.shared_envs.parent)
    yield prefix
    undo_read_only(how, token)


def server_config(
    dirs: Dirs, channel: str, wheelhouse: Path, *, shared: bool = False, **env_manager
) -> dict:
    """`shared`: the system envs dir comes first in envs_dirs, as conda lists it."""
    envs_dirs = [str(dirs.user_envs)]
    if shared:
        envs_dirs.insert(0, str(dirs.shared_envs))
    return {
        "ServerApp": dict(SERVER_APP_CONFIG),
        "EnvManager": {
            "default_engine": "rattler",
            "channels": [channel],
            "envs_dirs": envs_dirs,
            "venvs_dir": str(dirs.venvs),
            "find_links": [str(wheelhouse)],
            "offline": True,
            "rattler_cache_dir": str(dirs.rattler_cache),
            "locks_dir": str(dirs.root / "locks"),
            **env_manager,
        },
        "EnvKernelSpecManager": {
            "envs_dirs": envs_dirs,
            "venvs_dir": str(dirs.venvs),
            "environments_txt": str(dirs.environments_txt),
            "root_prefix": "",
        },
        "EnvManagerApp": {
            "tasks_db": str(dirs.root / "tasks.sqlite"),
            "warm_search_index": False,
        },
    }


@pytest.fixture
def api(jp_fetch) -> Api:
    return Api(jp_fetch)


@pytest.fixture
def clean_kernel_environ(jp_environ, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels must import from their env alone, not via the test runner's PYTHONPATH."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
