"""`jupyter env-manager info` names the conda in use as that conda describes itself."""

from __future__ import annotations

import json
import subprocess

import pytest

from .helpers import JUPYTER, conda_info, user_environ


@pytest.mark.parametrize("solver", [None, "rattler"])
def test_info_shows_path_version_and_solver_of_the_conda_on_path(real_conda, tmp_path, solver):
    extra = {"CONDA_SOLVER": solver} if solver else {}
    env = user_environ(real_conda, tmp_path / "home", **extra)
    theirs = conda_info(real_conda, env)
    done = subprocess.run(
        [JUPYTER, "env-manager", "info", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    ours = json.loads(done.stdout)["conda"]
    assert ours == {
        "path": str(real_conda.exe),
        "version": theirs["conda_version"],
        "solver": theirs["solver"]["name"],
        "root_prefix": str(real_conda.root),
        "envs_dirs": theirs["envs_dirs"],
    }
    assert ours["version"] == "26.7.1"
    assert ours["solver"] == (solver or "classic")
