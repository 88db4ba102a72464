"""`jupyter env-manager` run as a user runs it in a terminal, for the CLI tests.

A `CliUser` has a HOME and a Jupyter config folder of its own under `root`, with
`EnvManager` traits in `jupyter_env_manager_config.json` (every folder the tool
writes to under `root` too), no conda activated unless its environment says so,
and runs the installed `jupyter` as a subprocess. Call it like the command:
`user("create", "-n", "x", "alpha")` returns the CompletedProcess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
_CONDA_VARIABLES = ("CONDA_PREFIX", "CONDA_EXE", "MAMBA_ROOT_PREFIX", "MAMBA_EXE")


def managed_dirs(root: Path) -> dict[str, Any]:
    """EnvManager traits that keep every folder the tool writes under `root`."""
    return {
        "envs_dirs": [str(root / "envs")],
        "venvs_dir": str(root / "venvs"),
        "rattler_cache_dir": str(root / "cache"),
        "locks_dir": str(root / "locks"),
    }


class CliUser:
    def __init__(
        self,
        root: Path,
        env_manager: dict[str, Any],
        *,
        sections: dict[str, dict[str, Any]] | None = None,
        environ: dict[str, str] | None = None,
        base_environ: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 300,
    ):
        self.tmp = root
        self.home = root / "home"
        self.config_dir = root / "config"
        self.envs = root / "envs"
        for folder in (self.home, self.config_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.config = {"EnvManager": {**managed_dirs(root), **env_manager}, **(sections or {})}
        self._write_config()
        env = dict(os.environ if base_environ is None else base_environ)
        if base_environ is None:
            for variable in _CONDA_VARIABLES:
                env.pop(variable, None)
        env.update(
            HOME=str(self.home),
            JUPYTER_CONFIG_DIR=str(self.config_dir),
            JUPYTER_RUNTIME_DIR=str(root / "runtime"),
            JUPYTER_DATA_DIR=str(root / "data"),
        )
        env.update(environ or {})
        self.environ = env
        self.cwd = cwd
        self.timeout = timeout

    def _write_config(self) -> None:
        (self.config_dir / "jupyter_env_manager_config.json").write_text(json.dumps(self.config))

    def configure(self, **changes: Any) -> None:
        """Change EnvManager traits, as a user edits the config file between commands."""
        self.config["EnvManager"].update(changes)
        self._write_config()

    def __call__(
        self, *args: str, stdin: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [JUPYTER, "env-manager", *args],
            capture_output=True,
            text=True,
            env=self.environ,
            cwd=self.cwd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            timeout=self.timeout,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def json(self, *args: str, check: bool = True) -> Any:
        return json.loads(self(*args, "--json", check=check).stdout)

    def prefix(self, name: str) -> Path:
        return Path(next(e["prefix"] for e in self.json("list") if e["name"] == name))
