"""`jupyter env-manager info` names the conda in use as that conda describes itself."""

from __future__ import annotations

import json
import os

import pytest

from .helpers import conda_info, env_manager, user_environ


@pytest.mark.parametrize("solver", [None, "rattler"])
def test_info_shows_path_version_and_solver_of_the_conda_on_path(real_conda, tmp_path, solver):
    extra = {"CONDA_SOLVER": solver} if solver else {}
    env = user_environ(real_conda, tmp_path / "home", **extra)
    theirs = conda_info(real_conda, env)
    ours = json.loads(env_manager(env, "info", "--json").stdout)["conda"]
    assert ours == {
        "path": str(real_conda.exe),
        "version": theirs["conda_version"],
        "solver": theirs["solver"]["name"],
        "root_prefix": str(real_conda.root),
        "envs_dirs": theirs["envs_dirs"],
    }
    assert ours["version"] == "26.7.1"
    assert ours["solver"] == (solver or "classic")


def test_a_conda_found_only_through_conda_exe_is_an_engine(real_conda, monkeypatch, tmp_path):
    """`conda init` exports CONDA_EXE; a shell without condabin on PATH still has conda."""
    from jupyter_env_manager.core.manager import EnvManager

    environ = real_conda.environ()
    monkeypatch.setenv("CONDA_EXE", environ["CONDA_EXE"])
    monkeypatch.setenv("PATH", os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if "condabin" not in p))  # fmt: skip
    monkeypatch.setenv("HOME", str(real_conda.home))
    manager = EnvManager(locks_dir=str(tmp_path / "locks"), default_engine="auto")
    assert manager.default_engine_info()["resolved"] == "conda"
    assert manager.engine("conda").executable == str(real_conda.exe)
