"""The parsers against what the installed tool prints today.

conda runs for real (the `real_conda` fixture: conda 26.7.1 as a Miniforge-like base,
found through PATH like a user's). mamba and micromamba run when they are on PATH;
they cannot be installed on this project's machines (no conda channel is reachable,
neither is on PyPI), so there they are skipped.
"""

from __future__ import annotations

import shutil

import pytest

from jupyter_env_manager.core.engines.conda_cli import CONDA_CLI_ENGINES, detect_conda_tools
from jupyter_env_manager.core.errors import PackagesNotFound
from jupyter_env_manager.core.models import Environment
from tests.contract.test_engine_contract import use_real_conda

TOOLS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            name != "conda" and shutil.which(name) is None, reason=f"{name} not on PATH"
        ),
    )
    for name in CONDA_CLI_ENGINES
]


@pytest.fixture
def tool(request, local_channel, monkeypatch):
    if request.param == "conda":
        use_real_conda(request.getfixturevalue("real_conda"), monkeypatch, local_channel)
    return request.param


@pytest.mark.parametrize("tool", TOOLS, indirect=True)
def test_version_is_detected(tool):
    found = detect_conda_tools()
    assert found[tool]["version"]
    assert CONDA_CLI_ENGINES[tool]().version() == found[tool]["version"]


@pytest.mark.parametrize("tool", TOOLS, indirect=True)
async def test_info_and_list_of_root(tool):
    engine = CONDA_CLI_ENGINES[tool]()
    info = await engine.info()
    assert info.root_prefix is not None
    assert (info.root_prefix / "conda-meta").is_dir()
    env = Environment(name="base", prefix=info.root_prefix, kind="conda", engine=tool)
    packages = await engine.list_packages(env)
    assert all(p.name and p.version for p in packages)


@pytest.mark.parametrize("tool", TOOLS, indirect=True)
async def test_missing_package_maps_to_packages_not_found(tool):
    engine = CONDA_CLI_ENGINES[tool]()
    root = (await engine.info()).root_prefix
    env = Environment(name="base", prefix=root, kind="conda", engine=tool, is_base=True)
    with pytest.raises(PackagesNotFound):
        await engine.install(env, ["surely-no-such-package-jem-0a1b2c"], dry_run=True)
