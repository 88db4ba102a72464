"""Issue 12 papercut, as a user types it: `export --format F -o env.lock`, then
`create -f env.lock`, for every format, and the CLI says what it read the file as.

The rattler engine (local channel) makes the conda envs and uv (local wheelhouse)
the venvs, so this runs without a conda install.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rattler.channel_builder import build_channel

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> str:
    return build_channel(tmp_path_factory.mktemp("channel"))


@pytest.fixture
def cli(tmp_path: Path, channel: str, wheelhouse: Path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "jupyter_env_manager_config.json").write_text(
        json.dumps(
            {
                "EnvManager": {
                    "default_engine": "rattler",
                    "channels": [channel],
                    "envs_dirs": [str(tmp_path / "envs")],
                    "venvs_dir": str(tmp_path / "venvs"),
                    "rattler_cache_dir": str(tmp_path / "cache"),
                    "locks_dir": str(tmp_path / "locks"),
                    "find_links": [str(wheelhouse)],
                    "offline": True,
                }
            }
        )
    )
    (tmp_path / "home").mkdir()
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PATH": os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if "conda" not in p
        ),
    }
    for variable in ("CONDA_PREFIX", "CONDA_EXE", "MAMBA_ROOT_PREFIX", "MAMBA_EXE"):
        env.pop(variable, None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [JUPYTER, "env-manager", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )

    return run


def packages(cli, name: str) -> list[tuple[str, str]]:
    done = cli("packages", "-n", name, "--json")
    assert done.returncode == 0, done.stderr
    return sorted((p["name"], p["version"]) for p in json.loads(done.stdout))


CASES = [
    pytest.param("conda", "lock", "a conda explicit lock", id="conda-lock"),
    pytest.param("conda", "yml", "a conda environment file", id="conda-yml"),
    pytest.param("conda", "no-builds", "a conda environment file", id="conda-no-builds"),
    pytest.param("conda", "from-history", "a conda environment file", id="conda-from-history"),
    pytest.param("venv", "lock", "a PyPI lock", id="venv-lock"),
    pytest.param("venv", "requirements", "a pip requirements file", id="venv-requirements"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "fmt", "label"), CASES)
def test_export_then_create_from_env_lock(cli, kind, fmt, label):
    if kind == "conda":
        made = cli("create", "-n", "orig", "delta", "gamma=1.5")
    else:
        made = cli("create", "-n", "orig", "--engine", "uv", "tiny-pkg==1.2")
    assert made.returncode == 0, made.stderr
    exported = cli("export", "-n", "orig", "--format", fmt, "-o", "env.lock")
    assert exported.returncode == 0, exported.stderr

    created = cli("create", "-n", "copy", "-f", "env.lock")

    assert created.returncode == 0, created.stderr
    assert f"Read env.lock as {label}" in created.stderr
    assert packages(cli, "copy") == packages(cli, "orig")
