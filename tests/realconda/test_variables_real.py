"""environment.yml's `variables:` are applied as conda applies them: stored where
`conda env config vars` keeps them, so conda itself lists them and our kernels'
activation exports them; a venv, which has no such place, refuses them up front."""

from __future__ import annotations

import json

from jupyter_env_manager.kernels.activation import compute_activation

from .helpers import conda, env_manager, user_environ

ENVIRONMENT_YML = """\
name: with-vars
channels: [{channel}]
dependencies: [alpha]
variables:
  DATA_DIR: /data/project
  THREADS: 4
"""


def test_variables_are_conda_config_vars_and_kernel_activation(real_conda, local_channel, tmp_path):
    env = user_environ(real_conda, tmp_path / "home")
    spec = tmp_path / "environment.yml"
    spec.write_text(ENVIRONMENT_YML.format(channel=local_channel))
    env_manager(env, "create", "-f", str(spec), "--engine", "rattler")
    prefix = real_conda.envs_dir / "with-vars"

    listed = json.loads(conda(real_conda, env, "env", "config", "vars", "list", "-p",
                              str(prefix), "--json").stdout)  # fmt: skip
    assert listed == {"DATA_DIR": "/data/project", "THREADS": "4"}
    activation = compute_activation(prefix, kind="conda", name="with-vars", environ={})
    assert activation.set["DATA_DIR"] == "/data/project"
    assert activation.set["THREADS"] == "4"


def test_a_venv_refuses_variables_and_makes_nothing(real_conda, local_channel, tmp_path):
    env = user_environ(real_conda, tmp_path / "home")
    spec = tmp_path / "environment.yml"
    spec.write_text(ENVIRONMENT_YML.format(channel=local_channel))
    refused = env_manager(
        env, "create", "-f", str(spec), "-n", "vars-venv", "--engine", "uv", check=False
    )
    assert refused.returncode == 1
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'variables' are set by conda activation" in errors[0]
    listed = json.loads(env_manager(env, "list", "--json").stdout)
    assert "vars-venv" not in [e["name"] for e in listed]
