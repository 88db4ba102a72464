"""Real environments for the kernel tests, built once per session.

- `venv_env`: `uv venv` + `uv pip install ipykernel` (PyPI) in the managed venvs dir.
- `conda_env`: a conda prefix made by `rattler.install` from the local test channel
  (`tests/rattler/channel_builder.py`: its `python` package makes the prefix a venv in
  conda clothes, its `activator` package has an activate.d script), then ipykernel
  installed into it with uv.

The server under test scans only these temporary directories, never ~/.conda.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import rattler
from rattler import Subdir

from jupyter_env_manager.core import discovery
from jupyter_env_manager.core.info import uv_binary
from jupyter_env_manager.core.models import Environment
from tests.conftest import SERVER_APP_CONFIG

# Fixed now, before pytest-jupyter points HOME at a temporary directory, so every
# session reuses uv's warm cache.
UV_CACHE_DIR = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")


@dataclass(frozen=True)
class KernelDirs:
    root: Path
    conda_envs: Path
    venvs: Path
    environments_txt: Path

    def locations(self) -> discovery.Locations:
        return discovery.Locations(
            conda_envs_dirs=[self.conda_envs],
            environments_txt=self.environments_txt,
            venvs_dir=self.venvs,
        )

    def spec_manager_config(self) -> dict[str, object]:
        return {
            "envs_dirs": [str(self.conda_envs)],
            "venvs_dir": str(self.venvs),
            "environments_txt": str(self.environments_txt),
            "root_prefix": "",
        }


def uv_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["UV_CACHE_DIR"] = UV_CACHE_DIR
    return env


def uv(*args: str) -> None:
    binary = uv_binary()
    assert binary is not None
    done = subprocess.run(
        [binary, *args], capture_output=True, text=True, env=uv_env(), timeout=300
    )
    assert done.returncode == 0, done.stderr


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def make_venv(prefix: Path, *, ipykernel: bool, requirement: str = "ipykernel") -> None:
    uv("venv", "--quiet", "--python", sys.executable, str(prefix))
    if ipykernel:
        uv("pip", "install", "--quiet", "--python", str(prefix / "bin" / "python"), requirement)


def find_env(dirs: KernelDirs, prefix: Path) -> Environment:
    for env in discovery.list_environments(dirs.locations()):
        if env.prefix == prefix:
            return env
    raise AssertionError(f"{prefix} is not discovered")


@pytest.fixture(scope="session")
def kernel_dirs(tmp_path_factory: pytest.TempPathFactory) -> KernelDirs:
    root = tmp_path_factory.mktemp("kernel-envs")
    dirs = KernelDirs(
        root=root,
        conda_envs=root / "conda" / "envs",
        venvs=root / "venvs",
        environments_txt=root / "conda" / "environments.txt",
    )
    dirs.conda_envs.mkdir(parents=True)
    dirs.venvs.mkdir()
    return dirs


@pytest.fixture(scope="session")
def venv_env(kernel_dirs: KernelDirs) -> Environment:
    prefix = kernel_dirs.venvs / "kvenv"
    make_venv(prefix, ipykernel=True)
    return find_env(kernel_dirs, prefix)


async def _rattler_install(channel: str, prefix: Path, cache: Path, specs: list[str]) -> None:
    gateway = rattler.Gateway(cache_dir=cache / "repodata")
    records = await rattler.solve(
        [channel], specs, gateway=gateway, platforms=[Subdir.current(), "noarch"]
    )
    await rattler.install(records, prefix, cache_dir=cache / "pkgs", show_progress=False)


def make_conda_prefix(channel: str, prefix: Path, cache: Path, specs: list[str]) -> None:
    asyncio.run(_rattler_install(channel, prefix, cache, specs))


@pytest.fixture(scope="session")
def conda_env(kernel_dirs: KernelDirs, local_channel: str) -> Environment:
    prefix = kernel_dirs.conda_envs / "kconda"
    make_conda_prefix(local_channel, prefix, kernel_dirs.root / "cache", ["python", "activator"])
    uv("pip", "install", "--quiet", "--python", str(prefix / "bin" / "python"), "ipykernel")
    return find_env(kernel_dirs, prefix)


@pytest.fixture
def jp_server_config(kernel_dirs: KernelDirs):
    return {
        "ServerApp": dict(SERVER_APP_CONFIG),
        "EnvKernelSpecManager": kernel_dirs.spec_manager_config(),
    }


@pytest.fixture
def clean_kernel_environ(jp_environ, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels must import from their env alone, not via the test runner's PYTHONPATH."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
