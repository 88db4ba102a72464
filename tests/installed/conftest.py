"""The as-installed tier: the built wheel and JupyterLab in a fresh venv, a server started
as a user starts it, and nothing else. A missing prerequisite fails the tier, never skips it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from .client import Api
from .wheel_venv import InstallError, LabServer, wheel_venv

# Ports given to this tier: one per server, so servers of one session never collide.
LAB_PORT = 18130
OTHER_SPEC_MANAGER_PORT = 18131
BINDER_PORT = 18132


@pytest.fixture(scope="session")
def installed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("installed")


@pytest.fixture(scope="session")
def installed_venv(installed_root: Path) -> Path:
    try:
        return wheel_venv(installed_root)
    except InstallError as error:
        pytest.fail(f"Cannot install the wheel as a user would: {error}", pytrace=False)


def start_lab(venv: Path, folder: Path, port: int, *extra: str) -> LabServer:
    server = LabServer(
        venv=venv, home=folder / "home", root_dir=folder / "work", port=port,
        token=secrets.token_hex(16), extra_args=extra,
    )  # fmt: skip
    try:
        return server.start()
    except InstallError as error:
        pytest.fail(str(error), pytrace=False)


# Module scope: its Dask cluster (started by the grid test) must not outlive these tests.
@pytest.fixture(scope="module")
def lab(installed_venv: Path, installed_root: Path):
    server = start_lab(installed_venv, installed_root / "lab", LAB_PORT)
    yield server
    server.stop()


@pytest.fixture
def api(lab: LabServer) -> Api:
    return Api(lab)
