"""The binder image's install steps, run the way repo2docker runs them, then the kernel check.

repo2docker builds binder/environment.yml with conda, then runs `./binder/postBuild` from
the repository folder with that environment's bin first on PATH. No conda channel is
reachable here, so the environment is a venv holding the same packages from PyPI; every
line of postBuild runs as written. Not run here: `nodejs` from environment.yml (not a
PyPI package; the copy carries the built labextension, so `pip install .` does not call
the npm build that needs it on mybinder.org).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .client import (
    Api,
    create_over_rest,
    kernel_listed,
    kernel_unlisted,
    remove_over_rest,
    sys_prefix_of_kernel,
)
from .conftest import BINDER_PORT, start_lab
from .wheel_venv import REPO, install_venv, user_environ

# conda packages of environment.yml with no PyPI counterpart, and why the test can do without.
NOT_ON_PYPI = {"nodejs": "the npm build; the copied repository has the built labextension"}


# The first test's setup installs the image's packages and runs postBuild.
pytestmark = pytest.mark.timeout(900)


def binder_packages() -> tuple[str | None, list[str]]:
    """environment.yml's Python version and the rest of it as PyPI requirements."""
    spec = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    python, requirements = None, []
    for dependency in spec["dependencies"]:
        if isinstance(dependency, dict):
            requirements += dependency.get("pip", [])
            continue
        name = re.match(r"[A-Za-z0-9_.-]+", dependency).group(0)
        if name == "python":
            python = dependency[len(name) :].lstrip("=").strip()
        elif name not in NOT_ON_PYPI:
            requirements.append(dependency)
    return python, requirements


def interpreter(version: str | None) -> str:
    """An installed Python of the image's version; else the tests' own, with a warning."""
    if version:
        pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
        candidates = [
            shutil.which(f"python{version}"),
            *sorted(glob.glob(f"{pyenv_root}/versions/{version}*/bin/python{version}")),
        ]
        for candidate in filter(None, candidates):
            probe = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.returncode == 0:
                return candidate
    warnings.warn(
        f"No Python {version} here: the binder steps run on Python {sys.version.split()[0]}",
        stacklevel=1,
    )
    return sys.executable


def copy_repository(target: Path) -> Path:
    """What a clone of the work tree would hold, plus the built labextension.

    New files not yet committed count (as they do in the wheel built from the work
    tree); ignored ones do not.
    """
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for relative in filter(None, listed):
        source = REPO / relative
        if source.is_file():  # tracked files another agent is deleting right now
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    shutil.copytree(
        REPO / "jupyter_env_manager" / "labextension",
        target / "jupyter_env_manager" / "labextension",
    )
    return target


@dataclass
class BinderImage:
    venv: Path
    home: Path
    post_build: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def binder_image(installed_root: Path) -> BinderImage:
    folder = installed_root / "binder"
    repo = copy_repository(folder / "repo")
    python, requirements = binder_packages()
    venv = install_venv(folder / "venv", requirements, python=interpreter(python))
    home = folder / "home"
    home.mkdir()
    env = user_environ(home, venv)
    # repo2docker's PATH: ~/.local/bin and the repo's .local/bin before the environment.
    env["PATH"] = os.pathsep.join([str(home / ".local/bin"), str(repo / ".local/bin"), env["PATH"]])
    # repo2docker sets PYTHONUNBUFFERED only after postBuild.
    env.pop("PYTHONUNBUFFERED", None)
    done = subprocess.run(
        ["./binder/postBuild"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return BinderImage(venv, home, done)


@pytest.fixture(scope="module")
def binder_lab(binder_image: BinderImage, installed_root: Path):
    installed = list(binder_image.venv.glob("lib/python*/site-packages/jupyter_env_manager-*"))
    if not installed:
        pytest.fail(f"postBuild installed nothing:\n{_tail(binder_image.post_build)}")
    server = start_lab(binder_image.venv, installed_root / "binder", BINDER_PORT)
    yield server
    server.stop()


def _tail(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def test_post_build_runs_to_the_end(binder_image: BinderImage):
    # Its last lines check that the server extension and the labextension are enabled.
    assert binder_image.post_build.returncode == 0, _tail(binder_image.post_build)
    installed = list(binder_image.venv.glob("lib/python*/site-packages/jupyter_env_manager-*"))
    assert [(d / "INSTALLER").read_text().strip() for d in installed] == ["pip"]


def test_binder_environment_is_a_kernel(binder_lab):
    api = Api(binder_lab)
    assert api.info()["kernels"]["env_kernels"] == "spec-manager"
    env = create_over_rest(api, "binder-uv")
    kernel = kernel_listed(api, env["prefix"])
    assert os.path.samefile(sys_prefix_of_kernel(api, kernel), env["prefix"])
    remove_over_rest(api, env["name"])
    kernel_unlisted(api, env["prefix"])
