"""`jupyter env-manager` as a user runs it: through the `jupyter` launcher."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupyter_env_manager

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([JUPYTER, "env-manager", *args], capture_output=True, text=True)


def test_version():
    done = run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == jupyter_env_manager.__version__


def test_info_json_lists_engines():
    done = run("info", "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["version"] == jupyter_env_manager.__version__
    names = [engine["name"] for engine in info["engines"]]
    assert names == ["conda", "mamba", "micromamba", "rattler", "uv"]


def test_info_human_readable():
    done = run("info")
    assert done.returncode == 0
    assert f"jupyter-env-manager {jupyter_env_manager.__version__}" in done.stdout
    assert "rattler" in done.stdout


def test_unknown_command_fails_with_message():
    done = run("frobnicate")
    assert done.returncode != 0
    assert "invalid choice" in done.stderr


def test_info_resolves_auto_to_the_embedded_engine_without_conda(tmp_path):
    import os
    import shutil

    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [JUPYTER, "env-manager", "info", "--json"], capture_output=True, text=True, env=env
    )
    default = json.loads(done.stdout)["default_engine"]
    assert default["configured"] == "auto"
    if not any(shutil.which(tool) for tool in ("mamba", "conda", "micromamba")):
        assert default["resolved"] == "rattler"
