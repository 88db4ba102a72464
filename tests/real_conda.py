"""A real conda for tests: conda 26.7.1 from `../shared/conda`, laid out like Miniforge.

`install_real_conda(folder)` runs `shared/conda/install-conda.sh` (about 8 s, PyPI
only) and returns a `RealConda`: the base prefix, its `condabin/conda`, and the
environment variables a user of that base has after `conda init` (condabin on
PATH, `CONDA_EXE`, `CONDA_ROOT_PREFIX`-free: conda finds its root from its own
location). Every test that touches a conda code path uses this, never a recording
alone.

In CI (`CI=true`) a missing installer is an error, not a skip: the conda paths
must run there.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALLER_CANDIDATES = (
    ROOT.parent / "shared" / "conda" / "install-conda.sh",
    ROOT / "shared" / "conda" / "install-conda.sh",
)


def installer() -> Path | None:
    override = os.environ.get("JEM_CONDA_INSTALLER")
    if override:
        return Path(override)
    for candidate in INSTALLER_CANDIDATES:
        if candidate.is_file():
            return candidate
    return None


def require_installer() -> Path:
    found = installer()
    if found is not None:
        return found
    message = "the real conda installer (../shared/conda/install-conda.sh) is missing"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class RealConda:
    root: Path
    home: Path

    @property
    def exe(self) -> Path:
        return self.root / "condabin" / "conda"

    @property
    def envs_dir(self) -> Path:
        return self.root / "envs"

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Variables of a shell where this base is initialised (HOME isolated)."""
        env = dict(os.environ if base is None else base)
        for name in ("CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_SHLVL", "MAMBA_ROOT_PREFIX",
                     "CONDA_ENVS_PATH", "CONDA_ENVS_DIRS", "CONDA_PKGS_DIRS"):  # fmt: skip
            env.pop(name, None)
        env["HOME"] = str(self.home)
        env["CONDA_EXE"] = str(self.exe)
        env["PATH"] = f"{self.root / 'condabin'}{os.pathsep}{env.get('PATH', '')}"
        # Never ask a remote channel: none is reachable here.
        env["CONDA_OFFLINE"] = "true"
        return env

    def run(self, *args: str, check: bool = True, env: dict[str, str] | None = None):
        """`conda ARGS` as a user types it; returns the CompletedProcess."""
        return subprocess.run(
            [str(self.exe), *args],
            capture_output=True,
            text=True,
            check=check,
            env=env or self.environ(),
            timeout=300,
        )

    def json(self, *args: str) -> object:
        return json.loads(self.run(*args, "--json").stdout)


def install_real_conda(folder: Path) -> RealConda:
    """Install conda into `folder/base`, with `folder/home` as the user's HOME."""
    script = require_installer()
    root = folder / "base"
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(["bash", str(script), str(root)], check=True, capture_output=True, timeout=600)
    return RealConda(root=root, home=home)
