"""`jupyter env-manager kernel ...` as a user runs it: a real subprocess reading its
directories from a Jupyter config file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .fake_envs import fake_conda_env, fake_venv

CLI = shutil.which("jupyter-env-manager") or str(
    Path(__file__).resolve().parents[2] / ".venv" / "bin" / "jupyter-env-manager"
)


@pytest.fixture
def home(tmp_path: Path) -> dict[str, Path]:
    dirs = {
        "home": tmp_path / "home",
        "config": tmp_path / "config",
        "data": tmp_path / "data",
        "envs": tmp_path / "conda-envs",
        "venvs": tmp_path / "venvs",
    }
    for path in dirs.values():
        path.mkdir()
    config = {
        "EnvManager": {"envs_dirs": [str(dirs["envs"])], "venvs_dir": str(dirs["venvs"])},
        "EnvKernelSpecManager": {"root_prefix": ""},
    }
    (dirs["config"] / "jupyter_env_manager_config.json").write_text(json.dumps(config))
    return dirs


def run(home: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONDA", "MAMBA", "JUPYTER")) and k != "PYTHONPATH"
    }
    env.update(
        HOME=str(home["home"]),
        JUPYTER_CONFIG_DIR=str(home["config"]),
        JUPYTER_DATA_DIR=str(home["data"]),
    )
    return subprocess.run(
        [CLI, "kernel", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_list_register_unregister_clean(home):
    prefix = fake_conda_env(home["envs"] / "analysis", kernels=("python3", "ir"))
    fake_venv(home["venvs"] / "tools")

    listed = run(home, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {"conda-env-analysis-py", "conda-env-analysis-r", "venv-tools-py"}
    assert rows["conda-env-analysis-r"]["environment"] == "analysis"
    assert rows["conda-env-analysis-r"]["registered"] is False

    registered = run(home, "register", "analysis", "--json")
    assert registered.returncode == 0, registered.stderr
    paths = sorted(Path(r["path"]) for r in json.loads(registered.stdout))
    assert paths == [
        home["data"] / "kernels" / "conda-env-analysis-py",
        home["data"] / "kernels" / "conda-env-analysis-r",
    ]
    spec = json.loads((paths[1] / "kernel.json").read_text())
    assert spec["argv"][0] == str(prefix / "bin" / "R")
    assert spec["env"]["CONDA_PREFIX"] == str(prefix)

    text = run(home, "list")
    assert "conda-env-analysis-py" in text.stdout and "(registered)" in text.stdout

    removed = run(home, "unregister", "analysis")
    assert removed.returncode == 0, removed.stderr
    assert "Removed conda-env-analysis-py" in removed.stdout
    assert not any((home["data"] / "kernels").iterdir())

    run(home, "register", "tools")
    shutil.rmtree(home["venvs"] / "tools")
    cleaned = run(home, "clean", "--json")
    assert [r["name"] for r in json.loads(cleaned.stdout)] == ["venv-tools-py"]


def test_errors_are_one_clear_line(home):
    missing = run(home, "register", "no-such-env")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: No environment named 'no-such-env'."

    fake_conda_env(home["envs"] / "bare", kernels=())
    no_kernel = run(home, "register", "bare")
    assert no_kernel.returncode == 1
    assert "has no kernel" in no_kernel.stderr and "kernel add bare" in no_kernel.stderr
    assert not (home["data"] / "kernels").exists()

    not_ours = run(home, "unregister", "python3")
    assert not_ours.returncode == 1
    assert "No kernel registered by jupyter-env-manager" in not_ours.stderr

    both = run(home, "register", "bare", "--user", "--sys-prefix")
    assert both.returncode == 2  # argparse: mutually exclusive
