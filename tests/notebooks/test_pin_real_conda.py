"""Pin and reproduce with the real conda (tests/real_conda.py) as the engine: the lock
is conda's explicit list; `reproduce` rebuilds it with conda, and a fresh grid worker
without conda provisions the same pin with rattler: the same packages either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jupyter_env_manager.grid.fingerprint import compute_fingerprint, package_entries
from jupyter_env_manager.grid.provision import ProvisionRequest
from tests.grid.conftest import write_notebook
from tests.grid_cluster.machines import Machine
from tests.notebooks.test_pin_reproduce import pin_of
from tests.realconda_engine.conftest import conda_channel, conda_shell  # noqa: F401

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


def test_a_conda_env_pinned_removed_reproduced_and_provisioned(
    conda_shell,  # noqa: F811
    conda_channel,  # noqa: F811
    tmp_path,
):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "jupyter_env_manager_config.json").write_text(json.dumps({"EnvManager": {
        "default_engine": "conda", "channels": [conda_channel], "offline": True,
        "envs_dirs": [str(tmp_path / "envs")], "locks_dir": str(tmp_path / "locks"),
        "venvs_dir": str(tmp_path / "venvs")}}))  # fmt: skip
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}  # fmt: skip

    def cli(*args: str) -> dict:
        done = subprocess.run([JUPYTER, "env-manager", *args, "--json"], capture_output=True,
                              text=True, env=env, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    cli("create", "-n", "condaml", "alpha=1.0", "delta")
    prefix = tmp_path / "envs" / "condaml"
    notebook = write_notebook(tmp_path / "conda.ipynb", "x = 1")
    pinned = cli("pin", str(notebook), "--env", "condaml")["pin"]
    assert pinned["environment"] == {"name": "condaml", "engine": "conda", "kind": "conda"}
    assert "@EXPLICIT" in pinned["lock"]
    fingerprint = compute_fingerprint(prefix).digest
    assert pin_of(notebook)["fingerprint"] == fingerprint

    cli("remove", "-n", "condaml", "-y")
    assert not prefix.exists()
    done = cli("reproduce", str(notebook))
    assert (done["how"], done["environment"]) == ("lock", "condaml")
    assert compute_fingerprint(prefix).digest == fingerprint
    conda_meta = json.loads(
        subprocess.run([os.environ["CONDA_EXE"], "list", "-p", str(prefix), "--json"],
                       capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert {row["name"] for row in conda_meta} >= {"alpha", "delta"}

    # A grid worker on a machine without conda: rattler from the same explicit lock.
    worker = Machine(tmp_path / "worker")
    request = tmp_path / "request.json"
    request.write_text(json.dumps(ProvisionRequest.from_pin(pinned).to_json()))
    worker.environ["PATH"] = os.pathsep.join(
        p for p in worker.environ["PATH"].split(os.pathsep) if "condabin" not in p
    )
    worker.environ.pop("CONDA_EXE", None)
    built = subprocess.run(
        [sys.executable, "-m", "jupyter_env_manager.grid.provision", str(request)],
        capture_output=True, text=True, env=worker.environ, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    provisioned = Path(json.loads(built.stdout)["prefix"])
    assert provisioned.is_relative_to(worker.home)
    assert package_entries(provisioned) == package_entries(prefix) == pinned["packages"]
