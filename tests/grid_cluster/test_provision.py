"""Provisioning one machine from a pin, as grid workers do, in real processes
(`python -m jupyter_env_manager.grid.provision`): rattler from the explicit lock's
`file://` URLs, uv from the hash lock; once per machine even when workers race or
one is killed halfway; and a clear refusal for a lock of another platform."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from jupyter_env_manager.grid.fingerprint import compute_fingerprint, package_entries
from jupyter_env_manager.grid.provision import ProvisionRequest
from tests.grid.conftest import write_notebook
from tests.grid_cluster.machines import Machine
from tests.kernels.conftest import UV_CACHE_DIR
from tests.notebooks.test_pin_reproduce import machine, pin_of


def provisioner(worker: Machine, request: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jupyter_env_manager.grid.provision", str(request)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker.environ,
    )


def finish(process: subprocess.Popen[str]) -> dict:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return json.loads(out)


def pinned_request(client, env: str, folder: Path, **changes: str) -> tuple[Path, dict]:
    notebook = write_notebook(folder / f"{env}.ipynb", "x = 1")
    client("pin", str(notebook), "--env", env, check=True)
    pin = pin_of(notebook)
    request = folder / f"{env}-request.json"
    data = {**ProvisionRequest.from_pin(pin, client.config["EnvManager"]).to_json(), **changes}
    request.write_text(json.dumps(data))
    return request, pin


def test_a_rattler_env_is_provisioned_from_its_lock_then_reused(
    tmp_path, local_channel, wheelhouse
):
    client = machine(tmp_path / "client", local_channel, wheelhouse)
    client("create", "-n", "ml", "alpha=1.0", "delta", check=True)
    request, pin = pinned_request(client, "ml", tmp_path)
    worker = Machine(tmp_path / "worker")

    built = finish(provisioner(worker, request))
    assert built["how"] == "built"
    prefix = Path(built["prefix"])
    assert prefix.is_relative_to(worker.home) and prefix.name == "ml"
    assert package_entries(prefix) == pin["packages"]
    assert compute_fingerprint(prefix).digest == pin["fingerprint"]
    again = finish(provisioner(worker, request))
    assert (again["how"], again["prefix"]) == ("reused", built["prefix"])
    assert [e["event"] for e in worker.provision_log()] == ["built", "reused"]


def test_a_worker_killed_mid_provision_leaves_nothing_trusted_and_racers_build_once(
    tmp_path, local_channel, wheelhouse
):
    client = machine(tmp_path / "client", local_channel, wheelhouse)
    client.environ["UV_CACHE_DIR"] = UV_CACHE_DIR
    client("create", "-n", "kern", "--engine", "uv", "ipykernel", check=True)
    request, pin = pinned_request(client, "kern", tmp_path)
    worker = Machine(tmp_path / "worker")  # a cold uv cache: the build takes seconds

    first = provisioner(worker, request)
    site = None
    deadline = time.monotonic() + 120
    while site is None and time.monotonic() < deadline:
        site = next(worker.provision_dir.glob("*/venvs/kern/lib/python*/site-packages"), None)
        time.sleep(0.05)
    assert site is not None and first.poll() is None, "the build ended before the kill"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert worker.provision_log() == []  # a killed build is no build
    assert not list(worker.provision_dir.glob("*/provisioned.json"))

    # Two workers of the machine race for it: one builds (anew), the other waits and reuses.
    racers = [provisioner(worker, request), provisioner(worker, request)]
    results = sorted(finish(p)["how"] for p in racers)
    assert results == ["built", "reused"]
    prefix = Path(worker.provision_log()[0]["prefix"])
    assert compute_fingerprint(prefix).digest == pin["fingerprint"]
    assert package_entries(prefix) == pin["packages"]


def test_a_lock_of_another_platform_is_refused_in_one_line(tmp_path, local_channel, wheelhouse):
    client = machine(tmp_path / "client", local_channel, wheelhouse)
    client("create", "-n", "mac", "delta", check=True)
    request, _ = pinned_request(client, "mac", tmp_path, platform="osx-arm64")
    worker = Machine(tmp_path / "worker")
    done = provisioner(worker, request)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 1 and out == ""
    assert err.strip().count("\n") == 0
    assert "locked on osx-arm64" in err and "linux-64" in err
    assert worker.provision_log() == []
