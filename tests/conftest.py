"""Fixtures shared by all test folders: a real Jupyter server with the extension,
a local conda channel and a local wheelhouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rattler.channel_builder import build_channel, build_wheel

pytest_plugins = ["pytest_jupyter.jupyter_server"]

#: What every test server runs with: the extension on, and no anonymous access,
#: so tests see what a locked-down deployment sees.
SERVER_APP_CONFIG = {
    "jpserver_extensions": {"jupyter_env_manager": True},
    "allow_unauthenticated_access": False,
}


@pytest.fixture
def jp_server_config():
    return {"ServerApp": dict(SERVER_APP_CONFIG)}


@pytest.fixture(scope="session")
def local_channel(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`file://` URL of the standard test conda channel (see channel_builder)."""
    return build_channel(tmp_path_factory.mktemp("channel"))


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of tiny-pkg 1.2 and 1.3, for offline uv installs."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    for version in ("1.2", "1.3"):
        build_wheel(folder, "tiny-pkg", version)
    return folder


@pytest.fixture(scope="session")
def real_conda(tmp_path_factory: pytest.TempPathFactory):
    """conda 26.7.1 installed as a Miniforge-like base (see tests/real_conda.py)."""
    from tests.real_conda import install_real_conda

    return install_real_conda(tmp_path_factory.mktemp("real-conda"))
