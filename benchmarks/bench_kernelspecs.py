"""`GET /api/kernelspecs` latency: EnvKernelSpecManager with 0, 10, 100 environments
versus the stock KernelSpecManager, each in a real `jupyter server` subprocess.

Environments are fake conda prefixes (conda-meta/, lib/python3.12/, bin/python and
a kernel.json with a logo), which is all listing reads. Timed over one kept-alive
HTTP connection: the first request (cold cache) and then the median / p90 of
warm requests. Target: 100 envs under 50 ms warm.

    .venv/bin/python benchmarks/bench_kernelspecs.py [--requests 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STOCK = "jupyter_client.kernelspec.KernelSpecManager"
OURS = "jupyter_env_manager.kernels.spec_manager.EnvKernelSpecManager"
TOKEN = "bench-token"
KERNEL_JSON = {
    "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "metadata": {"debugger": True},
}


def make_envs(envs_dir: Path, count: int) -> None:
    for i in range(count):
        prefix = envs_dir / f"env{i:03d}"
        (prefix / "conda-meta").mkdir(parents=True)
        (prefix / "conda-meta" / "history").write_text("")
        (prefix / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
        (prefix / "bin").mkdir()
        (prefix / "bin" / "python").write_text("#!/bin/sh\n")
        (prefix / "bin" / "python").chmod(0o755)
        kernel = prefix / "share" / "jupyter" / "kernels" / "python3"
        kernel.mkdir(parents=True)
        (kernel / "kernel.json").write_text(json.dumps(KERNEL_JSON))
        (kernel / "logo-64x64.png").write_bytes(b"\x89PNG")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(root: Path, manager: str, envs_dir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    home = root / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA"))}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(root / "config"),
        JUPYTER_DATA_DIR=str(root / "data"),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
    )
    # A config file, not flags: list traits are awkward on the command line.
    config_dir = root / "config"
    config_dir.mkdir(exist_ok=True)
    config = {
        "EnvKernelSpecManager": {
            "envs_dirs": [str(envs_dir)],
            "venvs_dir": str(root / "venvs"),
            "environments_txt": str(root / "environments.txt"),
            "root_prefix": "",
        }
    }
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(config))
    argv = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.kernel_spec_manager_class={manager}",
        f"--ServerApp.root_dir={root}",
        "--allow-root",
    ]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/status", headers={"Authorization": f"token {TOKEN}"})
            if conn.getresponse().status == 200:
                conn.close()
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def get_specs(conn: http.client.HTTPConnection) -> tuple[float, int]:
    started = time.perf_counter()
    conn.request("GET", "/api/kernelspecs", headers={"Authorization": f"token {TOKEN}"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    assert response.status == 200, response.status
    return elapsed, len(json.loads(body)["kernelspecs"])


def measure(manager: str, envs: int, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        envs_dir = root / "envs"
        envs_dir.mkdir()
        make_envs(envs_dir, envs)
        process, port = start_server(root, manager, envs_dir)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            cold, count = get_specs(conn)
            for _ in range(3):
                get_specs(conn)
            warm = sorted(get_specs(conn)[0] for _ in range(requests))
            conn.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    return {
        "specs": count,
        "cold_ms": cold * 1000,
        "median_ms": statistics.median(warm) * 1000,
        "p90_ms": warm[int(len(warm) * 0.9) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    cases = [("stock", STOCK, 0), ("ours", OURS, 0), ("ours", OURS, 10), ("ours", OURS, 100)]
    results = []
    for label, manager, envs in cases:
        result = measure(manager, envs, args.requests)
        results.append((label, envs, result))
    baseline = results[0][2]["median_ms"]
    print(f"GET /api/kernelspecs, {args.requests} warm requests per case (one connection)")
    print(
        f"{'manager':<8} {'envs':>5} {'specs':>6} {'cold ms':>9} {'median ms':>10} "
        f"{'p90 ms':>8} {'x stock':>8}"
    )
    for label, envs, r in results:
        print(
            f"{label:<8} {envs:>5} {r['specs']:>6} {r['cold_ms']:>9.1f} {r['median_ms']:>10.2f} "
            f"{r['p90_ms']:>8.2f} {r['median_ms'] / baseline:>8.2f}"
        )
    hundred = results[-1][2]["median_ms"]
    verdict = "PASS" if hundred < 50 else "FAIL"
    print(f"target: 100 envs warm median < 50 ms -> {hundred:.1f} ms {verdict}")


if __name__ == "__main__":
    main()
