"""Shared parts of the benchmarks that run against a real conda (bench_conda_*.py).

- `install_conda(folder)`: conda 26.7.1 from `shared/conda` (found the way the tests find it,
  `tests/real_conda.py`), a Miniforge-like base with an isolated HOME;
- `JupyterServer`: a `jupyter server` subprocess of any Python, token auth, on the first free
  port of a range, queried over one kept-alive HTTP connection;
- `timed_run` / `median_ms` / `print_table`: how the numbers are taken and shown.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_conda import RealConda, installer  # noqa: E402

TOKEN = "bench-token"


def install_conda(folder: Path) -> RealConda:
    script = installer()
    if script is None:
        raise SystemExit("shared/conda/install-conda.sh not found (set JEM_CONDA_INSTALLER)")
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    root = folder / "base"
    subprocess.run(["bash", str(script), str(root)], check=True, capture_output=True, timeout=600)
    return RealConda(root=root, home=home)


def make_venv(target: Path, requirements: Sequence[str]) -> Path:
    """A venv with `requirements` from PyPI (uv when the project venv has it); its python."""
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    python = target / "bin" / "python"
    if Path(uv).is_file():
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(target)], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), *requirements], check=True
        )
    else:
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    return python


def free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {ports.start}-{ports.stop - 1}")


class JupyterServer:
    """`python -m jupyter_server` with its own config, data and runtime dirs under `root`."""

    def __init__(self, python: Path, root: Path, ports: range, environ: dict[str, str]):
        self.python = python
        self.root = root
        self.ports = ports
        self.environ = environ
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.conn: http.client.HTTPConnection | None = None

    def start(self, timeout: float = 120) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        env = dict(self.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.root / "config"),
            JUPYTER_DATA_DIR=str(self.root / "data"),
            JUPYTER_RUNTIME_DIR=str(self.root / "runtime"),
        )
        self.port = free_port(self.ports)
        argv = [
            str(self.python), "-m", "jupyter_server", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={self.root}",
        ]  # fmt: skip
        log = (self.root / "server.log").open("wb")
        self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited; see {self.root / 'server.log'}")
            try:
                status, _ = self.get("/api/status")
                if status == 200:
                    return
            except OSError:
                self.conn = None
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"server did not start in {timeout:.0f} s")

    def get(self, path: str) -> tuple[int, object]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        self.conn.request("GET", path, headers={"Authorization": f"token {TOKEN}"})
        response = self.conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else None

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def timed_run(argv: Sequence[str], env: dict[str, str], timeout: float = 900) -> float | None:
    """Seconds one command takes, as a user waits for it; None when it ran out of time.

    A command that fails stops the benchmark: a failed run's time means nothing.
    """
    started = time.perf_counter()
    try:
        result = subprocess.run(
            list(argv), env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
        raise SystemExit(f"{argv[0]} failed ({result.returncode}):\n" + "\n".join(tail))
    return elapsed


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, so the output can go into the README as it is."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for index, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def machine_note() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, load average {load:.1f} at the start"
