"""Issue 12 papercut, as a user types it: `export --format F -o env.lock`, then
`create -f env.lock`, for every format, and the CLI says what it read the file as.

The rattler engine (local channel) makes the conda envs and uv (local wheelhouse)
the venvs, so this runs without a conda install.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli_user import CliUser
from tests.rattler.channel_builder import build_channel


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> str:
    return build_channel(tmp_path_factory.mktemp("channel"))


@pytest.fixture
def cli(tmp_path: Path, channel: str, wheelhouse: Path) -> CliUser:
    no_conda = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if "conda" not in p
    )
    return CliUser(
        tmp_path,
        {"default_engine": "rattler", "channels": [channel], "find_links": [str(wheelhouse)],
         "offline": True},
        environ={"PATH": no_conda}, cwd=tmp_path,
    )  # fmt: skip


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
