"""A grid sent to a Dask cluster whose machines lack its environment.

Real processes only: `dask scheduler` and three `dask worker`s (one thread each,
under their nannies), each "machine" with its own HOME and caches and no
environment; the client made its uv env (ipykernel from PyPI) in its own HOME. The
12-point grid runs from the CLI as a user types it. Every worker provisions the
environment from the pin's hash lock once; one worker process is SIGKILLed while it
runs a point (its nanny starts a new one, which finds the machine's cache); every
point is recorded exactly once and the table equals the same grid run locally.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from jupyter_env_manager.grid.store import GridStore
from tests.grid.conftest import write_notebook
from tests.grid_cluster.machines import DaskCluster, Machine
from tests.kernels.conftest import UV_CACHE_DIR

SCHEDULER_PORT = 19201
GRID = ("-p", "a=range(1,13)", "--seed", "7", "-m", "score", "--timeout", "120")


@pytest.fixture
def client(tmp_path: Path) -> Machine:
    # The client's uv cache is the shared warm one (the client is not under test).
    return Machine(tmp_path / "client", UV_CACHE_DIR=UV_CACHE_DIR)


@pytest.fixture
def workers(tmp_path: Path) -> list[Machine]:
    return [Machine(tmp_path / f"machine-{n}") for n in range(3)]


@pytest.fixture
def cluster(tmp_path: Path, workers: list[Machine]):
    cluster = DaskCluster(SCHEDULER_PORT, workers, tmp_path / "dask-logs")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def sweep_notebook(folder: Path) -> Path:
    return write_notebook(
        folder / "sweep.ipynb",
        "a = 1\nseed = 0",
        "import random, sys, time\nrandom.seed(seed)\nscore = a + random.random()\n"
        "print(sys.prefix)\ntime.sleep(1.0)",
    )


def results(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(int(row["run"]) for row in rows) == list(range(12))  # every point once
    return rows


def table(rows: list[dict[str, str]]) -> dict[int, tuple[str, str, str]]:
    """The metric columns by run (the prefix differs between machines by design)."""
    return {int(r["run"]): (r["param_a"], r["seed"], r["score"]) for r in rows}


def printed_prefix(row: dict[str, str]) -> Path:
    """The `sys.prefix` the run's kernel printed, from its output notebook."""
    cells = json.loads(Path(row["output_notebook"]).read_text())["cells"]
    text = "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
    return Path(text.strip())


def kill_a_busy_worker(out: Path, cluster: DaskCluster, deadline: float) -> str:
    """SIGKILL a worker process in the middle of a point, once at least one point is done."""
    pids = cluster.worker_pids()
    host = socket.gethostname()
    while time.monotonic() < deadline:
        if (out / "grid.sqlite").exists():
            store = GridStore.in_dir(out)
            try:
                runs = store.runs(store.latest_grid_id())
            except Exception:  # noqa: BLE001 - the grid is not recorded yet
                runs = []
            finally:
                store.close()
            if any(run["status"] == "ok" for run in runs):
                for run in runs:
                    worker = run["status"] == "running" and run.get("worker")
                    # Started just now: its kernel is still in the notebook's 1 s sleep.
                    fresh = worker and time.time() - float(run["started"] or 0) < 0.3
                    if fresh and worker.startswith(f"{host}:"):
                        pid = int(worker.rsplit(":", 1)[1])
                        name = next((n for n, p in pids.items() if p == pid), None)
                        if name is not None:
                            os.kill(pid, signal.SIGKILL)
                            return name
        time.sleep(0.1)
    raise AssertionError("no point was running on a worker before the deadline")


def test_a_grid_provisions_fresh_machines_once_and_survives_a_killed_worker(
    tmp_path: Path, client: Machine, workers: list[Machine], cluster: DaskCluster
) -> None:
    client.env_manager("create", "-n", "sim", "--engine", "uv", "ipykernel")
    notebook = sweep_notebook(client.root)
    local = client.root / "local-grid"
    client.env_manager("grid", str(notebook), "--env", "sim", *GRID, "--out", str(local))

    # --no-provision: today's behaviour, workers without the environment refuse.
    refused = client.env_manager(
        "grid", str(notebook), "--env", "sim", "-p", "a=1,2", "--out", str(tmp_path / "no"),
        "--scheduler", cluster.address, "--no-provision", check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "No kernel named 'venv-sim-py' on this worker" in refused.stderr, refused.stderr
    assert all(machine.provision_log() == [] for machine in workers)

    remote = client.root / "cluster-grid"
    log = tmp_path / "cluster-grid.log"
    grid = client.start_env_manager(
        "grid", str(notebook), "--env", "sim", *GRID, "--out", str(remote),
        "--scheduler", cluster.address, log=log,
    )  # fmt: skip
    try:
        killed = kill_a_busy_worker(remote, cluster, time.monotonic() + 240)
        assert grid.wait(timeout=300) == 0, log.read_text()
    finally:
        if grid.poll() is None:
            grid.kill()

    # The same table as the local run: same points, seeds and metric values.
    local_rows, remote_rows = results(local), results(remote)
    assert table(remote_rows) == table(local_rows)
    assert len({row["score"] for row in local_rows}) == 12
    store = GridStore.in_dir(remote)
    runs = store.runs(store.latest_grid_id())
    assert [run["status"] for run in runs] == ["ok"] * 12
    assert any(run["attempts"] > 1 for run in runs)  # the killed worker's point, again
    pin_fingerprint = {run["fingerprint"] for run in runs}
    assert len(pin_fingerprint) == 1

    # Each machine built the environment exactly once, in its own HOME, from the lock.
    fingerprint = pin_fingerprint.pop()
    for machine in workers:
        built = [e for e in machine.provision_log() if e["event"] == "built"]
        assert len(built) == 1, (machine.root.name, machine.provision_log())
        assert built[0]["fingerprint"] == fingerprint
        assert Path(built[0]["prefix"]).is_relative_to(machine.home)
    # The nanny's new worker on the killed one's machine found the machine's cache.
    killed_machine = workers[int(killed.rsplit("-", 1)[1])]
    events = [e["event"] for e in killed_machine.provision_log()]
    assert events[0] == "built" and set(events[1:]) <= {"reused"}

    # Locally every point ran in the client's env; on the cluster in a worker's rebuilt one.
    assert all(printed_prefix(row).is_relative_to(client.home) for row in local_rows)
    homes = [machine.home for machine in workers]
    remote_prefixes = {printed_prefix(row) for row in remote_rows}
    for prefix in remote_prefixes:
        assert any(prefix.is_relative_to(home) for home in homes), prefix
    assert len(remote_prefixes) == 3  # each machine its own
    assert "environment built" in log.read_text()
