"""Interop with the real conda, both ways, as users type it:

- our lock (`jupyter env-manager export --format lock`, from the rattler engine and from
  the conda engine) → `conda create --file` gives the identical environment;
- `conda list --explicit --md5` and `conda env export` output → our `create -f` gives
  the identical environment, with either engine.

"Identical" is `conda list --json` equal (name, version, build, channel).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import conda, conda_list

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


@pytest.fixture
def cli(conda_shell, conda_channel, tmp_path):
    """`jupyter env-manager` in a shell where the real conda is initialised."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "jupyter_env_manager_config.json").write_text(
        json.dumps(
            {
                "EnvManager": {
                    "channels": [conda_channel],
                    "envs_dirs": [str(tmp_path / "envs")],
                    "venvs_dir": str(tmp_path / "venvs"),
                    "rattler_cache_dir": str(tmp_path / "cache"),
                    "locks_dir": str(tmp_path / "locks"),
                    "offline": True,
                }
            }
        )
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [JUPYTER, "env-manager", *args], capture_output=True, text=True, env=env, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done

    run.envs = tmp_path / "envs"  # type: ignore[attr-defined]
    return run


SPECS = ["delta", "gamma=1.5", "beta", "scripty"]


@pytest.mark.parametrize("engine", ["rattler", "conda"])
def test_our_lock_rebuilds_identically_with_conda(cli, engine, tmp_path):
    cli("create", "-n", "orig", "--engine", engine, *SPECS)
    lock = tmp_path / "env.lock"
    cli("export", "-n", "orig", "--format", "lock", "-o", str(lock))
    rebuilt = tmp_path / "by-conda"
    done = conda("create", "--prefix", str(rebuilt), "--yes", "--file", str(lock))
    assert done.returncode == 0, done.stdout + done.stderr
    assert conda_list(rebuilt) == conda_list(cli.envs / "orig")


@pytest.mark.parametrize("engine", ["rattler", "conda"])
def test_condas_explicit_lock_rebuilds_identically_with_us(cli, engine, tmp_path):
    made = tmp_path / "made-by-conda"
    assert conda("create", "--prefix", str(made), "--yes", *SPECS).returncode == 0
    lock = tmp_path / "conda-explicit.txt"
    lock.write_text(conda("list", "--prefix", str(made), "--explicit", "--md5").stdout)
    cli("create", "-n", "copy", "--engine", engine, "-f", str(lock))
    assert conda_list(cli.envs / "copy") == conda_list(made)


@pytest.mark.parametrize("engine", ["rattler", "conda"])
def test_conda_env_export_rebuilds_identically_with_us(cli, engine, tmp_path):
    made = tmp_path / "made-by-conda"
    assert conda("create", "--prefix", str(made), "--yes", *SPECS).returncode == 0
    exported = tmp_path / "environment.yml"
    exported.write_text(conda("env", "export", "--prefix", str(made)).stdout)
    cli("create", "-n", "copy", "--engine", engine, "-f", str(exported))
    assert conda_list(cli.envs / "copy") == conda_list(made)
