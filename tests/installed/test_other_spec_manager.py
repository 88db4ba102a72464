"""A user (or a JupyterHub image) whose own config names another kernel spec manager.

The extension must leave that choice alone, say so in /info, and still make every
environment with ipykernel a kernel, through kernelspec files the other manager reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .client import (
    API,
    Api,
    create_over_rest,
    kernel_listed,
    kernel_unlisted,
    remove_over_rest,
    sys_prefix_of_kernel,
)
from .conftest import OTHER_SPEC_MANAGER_PORT, start_lab

OTHER_MANAGER = "jupyter_client.kernelspec.KernelSpecManager"


# The first test to need the venv pays for building and installing it in its setup.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def other_lab(installed_venv: Path, installed_root: Path):
    folder = installed_root / "other-ksm"
    # The user's own config file, where a user writes such a choice.
    user_config = folder / "home" / ".jupyter" / "jupyter_server_config.json"
    user_config.parent.mkdir(parents=True)
    user_config.write_text(json.dumps({"ServerApp": {"kernel_spec_manager_class": OTHER_MANAGER}}))
    server = start_lab(installed_venv, folder, OTHER_SPEC_MANAGER_PORT)
    yield server
    server.stop()


@pytest.fixture
def other_api(other_lab) -> Api:
    return Api(other_lab)


def test_info_says_another_manager_is_in_charge(other_api: Api):
    kernels = other_api.info()["kernels"]
    assert kernels["spec_manager"] == OTHER_MANAGER, kernels
    assert kernels["env_kernels"] == "kernelspec-files", kernels
    assert kernels["message"] and "KernelSpecManager" in kernels["message"], kernels
    assert "jupyter-env-manager" in other_api.server.log(20000)  # said in the log too


def test_environment_is_still_a_kernel_through_kernelspec_files(other_api: Api):
    env = create_over_rest(other_api, "other-ksm-uv")
    prefix = env["prefix"]

    kernel = kernel_listed(other_api, prefix)
    assert os.path.samefile(sys_prefix_of_kernel(other_api, kernel), prefix)
    # The other manager found it as a file in the user's own Jupyter data dir.
    home = other_api.server.home
    assert (home / ".local" / "share" / "jupyter" / "kernels" / kernel / "kernel.json").is_file()

    remove_over_rest(other_api, env["name"])
    kernel_unlisted(other_api, prefix)
    code, _ = other_api.call("GET", API, "environments", env["name"])
    assert code == 404
