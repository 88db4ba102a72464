"""The environment travels with the notebook, through the CLI as a user types it:
pin an environment into a notebook, check it, remove the environment, and rebuild it
from the notebook alone on another "machine" (a fresh HOME with its own envs dirs and
caches): the same package set and fingerprint, and the notebook's kernel runs there."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from jupyter_env_manager.grid.fingerprint import compute_fingerprint, package_entries
from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager
from tests.cli_user import CliUser
from tests.grid.conftest import write_notebook
from tests.kernels.conftest import UV_CACHE_DIR


def machine(root: Path, channel: str, wheelhouse: Path) -> CliUser:
    """A user's HOME with its own config, envs dirs and caches: one of two machines."""
    foreign = ("JUPYTER", "CONDA", "MAMBA", "VIRTUAL_ENV", "PYTHONPATH")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(foreign)}
    return CliUser(
        root,
        {"default_engine": "rattler", "channels": [channel], "find_links": [str(wheelhouse)]},
        sections={"EnvKernelSpecManager": {"root_prefix": ""}},
        base_environ=clean,
        environ={"UV_CACHE_DIR": UV_CACHE_DIR},
        timeout=600,
    )


@pytest.fixture
def machines(tmp_path, local_channel, wheelhouse):
    return (machine(tmp_path / "a", local_channel, wheelhouse),
            machine(tmp_path / "b", local_channel, wheelhouse))  # fmt: skip


def pin_of(notebook: Path) -> dict:
    return json.loads(notebook.read_text())["metadata"]["jupyter_env_manager"]["pin"]


def run_in_notebook_kernel(user: CliUser, notebook: Path, code: str) -> str:
    """Start the kernel the notebook names, as the server would on that machine."""
    name = json.loads(notebook.read_text())["metadata"]["kernelspec"]["name"]
    from traitlets.config import Config

    saved = dict(os.environ)
    os.environ.update(user.environ)
    try:
        ksm = EnvKernelSpecManager(config=Config(user.config))
        km = KernelManager(kernel_name=name, kernel_spec_manager=ksm)
        km.start_kernel()
        client = km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive(code, timeout=60, output_hook=_collect)
            assert reply["content"]["status"] == "ok", reply
            return "".join(_collected)
        finally:
            client.stop_channels()
            km.shutdown_kernel(now=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)


_collected: list[str] = []


def _collect(message: dict) -> None:
    if message["msg_type"] == "stream":
        _collected.append(message["content"]["text"])


def test_a_uv_env_pinned_removed_and_reproduced_on_another_machine(machines, tmp_path):
    a, b = machines
    a("create", "-n", "pinned-uv", "--engine", "uv", "ipykernel", "tiny-pkg==1.2", check=True)
    notebook = write_notebook(tmp_path / "analysis.ipynb", "x = 1", "y = x")

    pinned = a.json("pin", str(notebook), "--env", "pinned-uv")
    assert pinned["changed"] is True
    pin = pin_of(notebook)
    assert pin["schema"] == 1
    assert pin["environment"] == {"name": "pinned-uv", "engine": "uv", "kind": "venv"}
    assert "pypi:tiny-pkg==1.2" in pin["packages"]
    assert "tiny-pkg==1.2" in pin["lock"]
    assert pin["fingerprint"] == compute_fingerprint(a.prefix("pinned-uv")).digest
    kernelspec = json.loads(notebook.read_text())["metadata"]["kernelspec"]
    assert kernelspec["name"] == pin["kernel"] == "venv-pinned-uv-py"
    # Idempotent: nothing changed, nothing rewritten.
    before = notebook.read_bytes()
    assert a.json("pin", str(notebook), "--env", "pinned-uv")["changed"] is False
    assert notebook.read_bytes() == before

    assert a.json("status", str(notebook))["state"] == "match"
    a("remove", "-n", "pinned-uv", "-y", check=True)
    missing = a("status", str(notebook))
    assert missing.returncode == 3 and missing.stdout.startswith("missing:")

    done = b.json("reproduce", str(notebook))
    assert done["how"] == "lock" and done["environment"] == "pinned-uv"
    rebuilt = b.prefix("pinned-uv")
    assert rebuilt.is_relative_to(tmp_path / "b")
    assert package_entries(rebuilt) == pin["packages"]
    assert compute_fingerprint(rebuilt).digest == pin["fingerprint"]
    assert b.json("status", str(notebook))["state"] == "match"
    printed = run_in_notebook_kernel(b, notebook, "import sys, tiny_pkg; print(sys.prefix)")
    assert printed.strip() == str(rebuilt)


def test_a_conda_env_is_rebuilt_from_its_lock_or_reused_under_another_name(machines, tmp_path):
    a, b = machines
    a("create", "-n", "pinned-conda", "alpha=1.0", "delta", check=True)
    notebook = write_notebook(tmp_path / "conda.ipynb", "x = 1", "y = x")
    a("pin", str(notebook), "--env", "pinned-conda", check=True)
    pin = pin_of(notebook)
    assert pin["environment"]["kind"] == "conda"
    assert pin["lock"].lstrip().startswith("#") and "@EXPLICIT" in pin["lock"]
    assert any(entry.startswith("conda:alpha-1.0-") for entry in pin["packages"])

    # On b, the same packages exist under another name: reused, nothing rebuilt.
    b("create", "-n", "same-stuff", "alpha=1.0", "delta", check=True)
    done = b.json("reproduce", str(notebook))
    assert done == {**done, "how": "reused", "environment": "same-stuff"}
    assert [e["name"] for e in b.json("list")] == ["same-stuff"]  # type: ignore[union-attr]

    # An env of the pinned name with other packages: status shows the difference.
    b("create", "-n", "pinned-conda", "alpha=2.0", "delta", check=True)
    b("remove", "-n", "same-stuff", "-y", check=True)
    differs = b.json("status", str(notebook), check=False)  # exit 3: no match
    assert differs["state"] == "differs"
    assert any(e.startswith("conda:alpha-2.0-") for e in differs["added"])
    assert any(e.startswith("conda:alpha-1.0-") for e in differs["removed"])
    refused = b("reproduce", str(notebook))
    assert refused.returncode == 1 and "give another name (-n)" in refused.stderr

    done = b.json("reproduce", str(notebook), "-n", "pinned-again")
    assert done["how"] == "lock"
    assert compute_fingerprint(b.prefix("pinned-again")).digest == pin["fingerprint"]


def test_a_notebook_from_a_newer_pin_schema_is_refused_in_one_line(machines, tmp_path):
    a, _ = machines
    notebook = write_notebook(tmp_path / "future.ipynb", "x = 1")
    data = json.loads(notebook.read_text())
    data["metadata"]["jupyter_env_manager"] = {"pin": {"schema": 99}}
    notebook.write_text(json.dumps(data))
    done = a("reproduce", str(notebook))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "newer jupyter-env-manager" in done.stderr


def test_every_output_notebook_of_a_grid_carries_the_pin(machines, tmp_path):
    a, b = machines
    a("create", "-n", "grid-env", "--engine", "uv", "ipykernel", "tiny-pkg==1.3", check=True)
    notebook = write_notebook(tmp_path / "sweep.ipynb", "x = 1", "import tiny_pkg\ny = x * 2")
    out = tmp_path / "sweep-runs"
    a("grid", str(notebook), "--env", "grid-env", "-p", "x=1,2", "--out", str(out), check=True)

    outputs = sorted((out / "runs").glob("run-*.ipynb"))
    assert len(outputs) == 2
    fingerprint = compute_fingerprint(a.prefix("grid-env")).digest
    for output in outputs:
        pin = pin_of(output)
        assert pin["environment"]["name"] == "grid-env"
        assert pin["fingerprint"] == fingerprint

    # Any one run can be reproduced alone, elsewhere.
    done = b.json("reproduce", str(outputs[1]))
    assert done["how"] == "lock"
    assert compute_fingerprint(b.prefix("grid-env")).digest == fingerprint
