"""Several "machines" on one host, for grids sent to a real Dask cluster.

A `Machine` is a HOME of its own (so its caches, its Jupyter folders, its venvs and
its provisioning cache are its own) and an environment without anything of this
test process's: no JUPYTER_*, CONDA_*, UV_* or XDG_* variables. `DaskCluster`
starts `dask scheduler` and one `dask worker` process per machine (each under its
nanny, one thread), as separate processes that only share the network.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
DASK = str(BIN / "dask")
JUPYTER = str(BIN / "jupyter")
_FOREIGN = ("JUPYTER", "CONDA", "MAMBA", "VIRTUAL_ENV", "PYTHONPATH", "UV_", "XDG_", "PIP_")


class Machine:
    def __init__(self, root: Path, **environ: str) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
        # Kernels keep their compiled imports (this host sets the variable globally).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(HOME=str(self.home), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
        env.update(environ)
        self.environ = env

    @property
    def provision_dir(self) -> Path:
        return self.home / ".cache" / "jupyter-env-manager" / "provisioned"

    def provision_log(self) -> list[dict[str, Any]]:
        path = self.provision_dir / "provision-log.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def env_manager(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [JUPYTER, "env-manager", *args],
            capture_output=True,
            text=True,
            env=self.environ,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def start_env_manager(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            return subprocess.Popen(
                [JUPYTER, "env-manager", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.environ,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
            )


class DaskCluster:
    """`dask scheduler` on `port` and a `dask worker` (with nanny) per machine."""

    def __init__(self, port: int, machines: list[Machine], logs: Path) -> None:
        self.address = f"tcp://127.0.0.1:{port}"
        self.machines = machines
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.processes: list[subprocess.Popen[bytes]] = []
        self._port = port

    def _spawn(self, argv: list[str], env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
        with open(self.logs / log, "wb") as out:
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL
            )
        self.processes.append(process)
        return process

    def start(self, timeout: float = 90) -> None:
        first = self.machines[0]
        self._spawn(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self._port),
             "--no-dashboard"],
            first.environ,
            "scheduler.log",
        )  # fmt: skip
        for number, machine in enumerate(self.machines):
            low = self._port + 10 + 10 * number
            self._spawn(
                [DASK, "worker", self.address, "--nthreads", "1", "--nworkers", "1",
                 "--host", "127.0.0.1", "--worker-port", f"{low}:{low + 4}",
                 "--nanny-port", f"{low + 5}:{low + 9}", "--no-dashboard",
                 "--name", f"machine-{number}",
                 "--local-directory", str(machine.root / "dask-worker-space")],
                machine.environ,
                f"worker-{number}.log",
            )  # fmt: skip
        self.wait_for_workers(len(self.machines), timeout)

    def worker_pids(self) -> dict[str, int]:
        """Worker name -> pid of its worker process (the nanny's child)."""
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            info = client.scheduler_info()["workers"]
            pids = client.run(os.getpid)
        return {info[address]["name"]: pid for address, pid in pids.items()}

    def wait_for_workers(self, count: int, timeout: float) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        while True:
            try:
                with Client(self.address, timeout=10) as client:
                    client.wait_for_workers(count, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
