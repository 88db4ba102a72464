"""`jupyter env-manager list` with and without a config file that configures EnvManager.

Without one, `list` uses the manager's defaults without loading traitlets; with one,
it reads the config as the server does. Both must show the same environments, marks
included, for the same folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.discovery.test_discovery import make_conda_prefix, make_venv

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    make_conda_prefix(home / ".conda" / "envs" / "analysis", ipykernel=True)
    make_venv(home / ".local" / "share" / "jupyter-env-manager" / "venvs" / "web")
    (tmp_path / "config").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "JUPYTER"))}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        PATH=str(Path(sys.executable).parent),
    )
    return env


def _list(env: dict[str, str]) -> list[dict]:
    done = subprocess.run(
        [JUPYTER, "env-manager", "list", "--json"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _write(env: dict[str, str], name: str, text: str) -> None:
    Path(env["JUPYTER_CONFIG_DIR"], name).write_text(text)


def test_defaults_and_a_config_naming_them_list_the_same(user):
    plain = _list(user)
    assert [(e["name"], e["kind"], e["has_ipykernel"]) for e in plain] == [
        ("analysis", "conda", True),
        ("web", "venv", True),
    ]
    # A config for other classes only changes nothing.
    _write(user, "jupyter_server_config.json", json.dumps({"ServerApp": {"open_browser": False}}))
    assert _list(user) == plain
    # The same folders named in a config: read through traitlets, same answer.
    home = Path(user["HOME"])
    named = {
        "EnvManager": {
            "envs_dirs": [str(home / ".conda" / "envs")],
            "venvs_dir": str(home / ".local" / "share" / "jupyter-env-manager" / "venvs"),
        }
    }
    _write(user, "jupyter_env_manager_config.json", json.dumps(named))
    assert _list(user) == plain


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        (
            "jupyter_env_manager_config.json",
            json.dumps({"EnvManager": {"protected_environments": ["analysis"]}}),
        ),
        ("jupyter_server_config.py", "c.EnvManager.protected_environments = ['analysis']\n"),
        (
            "jupyter_server_config.json",
            json.dumps({"LoggingConfigurable": {"protected_environments": ["analysis"]}}),
        ),
    ],
)
def test_a_config_that_configures_the_manager_is_honoured(user, filename, text):
    _write(user, filename, text)
    marks = {e["name"]: e["read_only"] for e in _list(user)}
    assert marks == {"analysis": True, "web": False}


def test_list_without_manager_config_loads_no_traitlets_engines_or_asyncio(user):
    probe = (
        "import sys\n"
        "from jupyter_env_manager.cli import main\n"
        "code = main(['list', '--json'])\n"
        "loaded = sorted(m for m in ('traitlets', 'asyncio', 'yaml', 'hashlib',\n"
        "    'jupyter_env_manager.core.manager') if m in sys.modules)\n"
        "print(code, loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=user)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"
