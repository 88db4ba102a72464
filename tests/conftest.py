"""Fixtures shared by the server tests: a real Jupyter server with the extension."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_env_manager": True},
            # Tests must see what a locked-down deployment sees.
            "allow_unauthenticated_access": False,
        }
    }
