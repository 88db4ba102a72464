"""As installed: the environment travels with a notebook between two users' machines,
through the installed `jupyter env-manager` (the wheel in a clean venv, each user with
their own HOME and no test config): pin on one, reproduce from the notebook alone on
the other, with the same packages, and its kernel named in the notebook."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .wheel_venv import user_environ


def terminal(venv: Path, home: Path):
    home.mkdir(parents=True, exist_ok=True)
    env = user_environ(home, venv)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "jupyter"), "env-manager", *args],
            capture_output=True, text=True, env=env, cwd=home, timeout=600,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    return run


def test_a_notebook_pinned_by_one_user_is_reproduced_by_another(installed_venv, tmp_path):
    alice = terminal(installed_venv, tmp_path / "alice")
    bob = terminal(installed_venv, tmp_path / "bob")
    made = alice("create", "-n", "travels", "--engine", "uv", "ipykernel")
    assert made.returncode == 0, made.stderr
    notebook = tmp_path / "shared" / "analysis.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                    "nbformat_minor": 5}))  # fmt: skip
    pinned = alice("pin", str(notebook), "--env", "travels")
    assert pinned.returncode == 0 and pinned.stdout.startswith("Pinned travels"), pinned

    missing = bob("status", str(notebook))
    assert missing.returncode == 3 and missing.stdout.startswith("missing:"), missing
    done = bob("reproduce", str(notebook), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["how"] == "lock" and result["kernel"] == "venv-travels-py"
    assert Path(result["prefix"]).is_relative_to(tmp_path / "bob")
    assert bob("status", str(notebook)).stdout.startswith("match:")
    saved = json.loads(notebook.read_text())["metadata"]
    assert saved["kernelspec"]["name"] == "venv-travels-py"
    assert saved["jupyter_env_manager"]["pin"]["environment"]["name"] == "travels"
