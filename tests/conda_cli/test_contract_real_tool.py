"""Contract tests against a REAL conda, mamba or micromamba, when one is on PATH.

They are skipped here ("<tool> not on PATH"): no conda-family tool can be installed
on this project's machines. On a developer machine with conda they check that the
parsers accept what the installed version prints today.
"""

from __future__ import annotations

import shutil

import pytest

from jupyter_env_manager.core.engines.conda_cli import CONDA_CLI_ENGINES, detect_conda_tools
from jupyter_env_manager.core.errors import PackagesNotFound
from jupyter_env_manager.core.models import Environment

TOOLS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(shutil.which(name) is None, reason=f"{name} not on PATH"),
    )
    for name in CONDA_CLI_ENGINES
]


@pytest.mark.parametrize("tool", TOOLS)
def test_version_is_detected(tool):
    found = detect_conda_tools()
    assert found[tool]["version"]
    assert CONDA_CLI_ENGINES[tool]().version() == found[tool]["version"]


@pytest.mark.parametrize("tool", TOOLS)
async def test_info_and_list_of_root(tool):
    engine = CONDA_CLI_ENGINES[tool]()
    info = await engine.info()
    assert info.root_prefix is not None
    if (info.root_prefix / "conda-meta").is_dir():
        env = Environment(name="base", prefix=info.root_prefix, kind="conda", engine=tool)
        packages = await engine.list_packages(env)
        assert all(p.name and p.version for p in packages)


@pytest.mark.parametrize("tool", TOOLS)
async def test_missing_package_maps_to_packages_not_found(tool, tmp_path):
    engine = CONDA_CLI_ENGINES[tool]()
    env = Environment(name="x", prefix=tmp_path / "x", kind="conda", engine=tool)
    with pytest.raises(PackagesNotFound):
        await engine.install(env, ["surely-no-such-package-jem-0a1b2c"], dry_run=True)
