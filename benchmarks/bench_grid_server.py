"""Grids through a real `jupyter server` with the extension: fixed cost of a grid after
the first one, and the server's resident memory over a 1,000-point grid.

    .venv/bin/python benchmarks/bench_grid_server.py [--points 1000] [--quick] [--json F]

The server runs as its own process (token, root folder, HOME under a temporary
folder). Grids are started with `POST /env-manager/api/grids` and polled with
`GET .../grids/<id>` until finished, as the browser does.

- fixed cost: a 2-point grid's whole wall time (POST to finished), the first grid
  (cluster and kernel template cold), then twice right after (the server keeps
  them warm). The warm figure includes its two runs, so it bounds the fixed cost
  from above. Baseline: the first grid. Goal (issue 17) <= 0.3 s.
- memory: the server's RSS (psutil, the server process itself; kernels are
  processes of their own) sampled every 0.2 s during a near-empty `--points` grid;
  growth = peak - RSS before the grid. Goal (issue 17): under 50 MB for 1,000 points.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
TOKEN = "bench-grid-server"
#: Ports tried for the server; BENCH_PORTS=LOW-HIGH picks another range (shared machines).
_LOW, _HIGH = (int(n) for n in os.environ.get("BENCH_PORTS", "19440-19479").split("-"))
PORTS = range(_LOW, _HIGH + 1)
API = "env-manager/api/grids"


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


class Server:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "root"
        self.home = base / "home"
        self.root.mkdir()
        (self.home / ".jupyter").mkdir(parents=True)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "CONDA"))}
        env.update(
            HOME=str(self.home),
            JUPYTER_CONFIG_DIR=str(self.home / ".jupyter"),
            JUPYTER_DATA_DIR=str(self.home / ".local/share/jupyter"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
        )
        argv = [
            sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={self.port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={self.root}", "--EnvManagerApp.warm_search_index=False",
        ]  # fmt: skip
        if os.getuid() == 0:
            argv.append("--allow-root")
        log = open(base / "server.log", "wb")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.root
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                self.call("GET", "api/status")
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start")

    def call(self, method: str, path: str, body: object | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read()[:500]!r}") from None

    def rss_mb(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def write_notebook(path: Path) -> None:
    cells = [
        {"id": "parameters", "cell_type": "code", "metadata": {"tags": ["parameters"]},
         "source": "x = 0", "outputs": [], "execution_count": None},
        {"id": "work", "cell_type": "code", "metadata": {}, "source": "result = x * 2",
         "outputs": [], "execution_count": None},
    ]  # fmt: skip
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


def run_grid(server: Server, points: int, out: str, samples: list[float] | None = None) -> float:
    """Wall time from the POST to the grid reported finished (every run ok)."""
    start = time.perf_counter()
    started = server.call(
        "POST",
        API,
        {
            "notebook": "empty.ipynb",
            "grid": {"x": list(range(points))},
            "kernel": "python3",
            "metrics": ["result"],
            "workers": 2,
            "out_dir": out,
        },
    )
    grid_id = started["grid_id"]
    while True:
        status = server.call("GET", f"{API}/{grid_id}")
        if samples is not None:
            samples.append(server.rss_mb())
        if not status["active"] and status["state"] != "running":
            break
        time.sleep(0.2 if samples is not None else 0.02)
    elapsed = time.perf_counter() - start
    assert status["counts"].get("ok") == points, status["counts"]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 points")
    parser.add_argument("--json", help="write the goal rows here (for run_all.py)")
    parser.add_argument("--smoke", action="store_true", help="smallest run (run_all's test)")
    args = parser.parse_args()
    points = 10 if args.smoke else 200 if args.quick else args.points
    with tempfile.TemporaryDirectory(prefix="bench-grid-server-") as tmp:
        server = Server(Path(tmp))
        try:
            write_notebook(server.root / "empty.ipynb")
            first = run_grid(server, 2, "first")
            second = run_grid(server, 2, "second")
            third = run_grid(server, 2, "third")
            before = server.rss_mb()
            samples: list[float] = []
            big = run_grid(server, points, "big", samples)
            after = server.rss_mb()
        finally:
            server.stop()
    per_run = big / points
    warm = min(second, third)
    peak = max([before, after, *samples])
    growth = peak - before
    print(f"2-point grids through the server: first {first:.2f} s, then {second:.2f} s, "
          f"{third:.2f} s")  # fmt: skip
    print(f"{points}-point grid: {big:.1f} s ({per_run:.3f} s/run)")
    print(f"server RSS: {before:.1f} MB before, peak {peak:.1f} MB, {after:.1f} MB after "
          f"({len(samples)} samples)")  # fmt: skip
    sys.path.insert(0, str(HERE))
    from bench_rows import Row, report

    report(
        [
            Row(
                "grid fixed cost from the server after the first grid (2-point grid, "
                "whole wall time incl. its runs)",
                "the first grid",
                first,
                warm,
                "s",
                "<= 0.3 s",
                warm <= 0.3,
            ),
            Row(
                f"server RSS growth over a {points}-point grid",
                "-",
                None,
                growth,
                "MB",
                "< 50 MB" + ("" if points == 1000 else " (goal is for 1,000)"),
                growth < 50 and points >= 1000,
            ),
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
