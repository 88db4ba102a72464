"""A manager wired to real engines: rattler on a local channel, uv on local wheels."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_env_manager.core.manager import EnvManager


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME: ~/.conda/environments.txt and ~/.condarc are the test's own."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable in ("CONDA_PREFIX", "CONDA_EXE", "MAMBA_ROOT_PREFIX", "CONDA_ENVS_PATH"):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture
def manager(
    home: Path, tmp_path: Path, local_channel: str, wheelhouse: Path
) -> EnvManager:
    return EnvManager(
        default_engine="rattler",
        channels=[local_channel],
        envs_dirs=[str(tmp_path / "envs")],
        venvs_dir=str(tmp_path / "venvs"),
        find_links=[str(wheelhouse)],
        offline=True,
        rattler_cache_dir=str(tmp_path / "rattler-cache"),
        locks_dir=str(tmp_path / "locks"),
    )
