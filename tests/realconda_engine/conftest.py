"""Fixtures for driving the conda engine against the real conda (tests/real_conda.py).

The test process gets the environment of a shell where that conda is initialised
(condabin on PATH, CONDA_EXE, an isolated HOME), so `CondaEngine()` finds conda the
way it finds a user's, and a local channel built by channel_builder is conda's
configured channel (CONDA_CHANNELS, as `channels:` in .condarc would say).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from jupyter_env_manager.core.engines.conda_cli import CondaEngine
from jupyter_env_manager.core.models import Environment
from tests.rattler.channel_builder import PackageDef, build_channel, default_packages

#: Files in the `bulky` package: enough that linking it takes a while to cancel in.
BULKY_FILES = 3000


def bulky(version: str) -> PackageDef:
    files = {f"share/bulky/f{i:05d}.txt": f"bulky {version} {i}\n" for i in range(BULKY_FILES)}
    return PackageDef("bulky", version, files=files)


@pytest.fixture(scope="session")
def conda_channel(tmp_path_factory) -> str:
    packages = [*default_packages(), bulky("1.0"), bulky("2.0")]
    return build_channel(tmp_path_factory.mktemp("conda-channel"), packages)


@pytest.fixture
def conda_shell(real_conda, conda_channel, monkeypatch):
    """This process as a shell of a conda user whose configured channel is the test one.

    conda adds `pip` to python's dependencies (add_pip_as_python_dependency); the test
    channel has no pip package, so that is turned off as a user's .condarc could.
    """
    wanted = {
        **real_conda.environ(),
        "CONDA_CHANNELS": conda_channel,
        "CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY": "false",
    }
    for key in set(os.environ) - set(wanted):
        monkeypatch.delenv(key)
    for key, value in wanted.items():
        monkeypatch.setenv(key, value)
    return real_conda


@pytest.fixture
def engine(conda_shell) -> CondaEngine:
    found = CondaEngine()
    assert Path(found.executable) == conda_shell.exe
    return found


def env_at(prefix: Path) -> Environment:
    return Environment(name=prefix.name, prefix=prefix, kind="conda", engine="conda")


def conda(*args: str) -> subprocess.CompletedProcess:
    """conda as the user types it, in the environment the test set up."""
    return subprocess.run(
        [os.environ["CONDA_EXE"], *args], capture_output=True, text=True, timeout=300
    )


def conda_list(prefix: Path) -> list[tuple[str, str, str, str]]:
    """`conda list --json` of `prefix` as (name, version, build, channel) rows."""
    done = conda("list", "--prefix", str(prefix), "--json")
    rows = json.loads(done.stdout)
    assert done.returncode == 0, rows
    return sorted((r["name"], r["version"], r["build_string"], r["channel"]) for r in rows)


def versions(prefix: Path) -> dict[str, str]:
    return {name: version for name, version, _, _ in conda_list(prefix)}
