"""`GET /api/kernelspecs` latency: EnvKernelSpecManager with 0, 10, 100 environments
versus the stock KernelSpecManager, each in a real `jupyter server` subprocess.

Environments are fake conda prefixes (conda-meta/, lib/python3.12/, bin/python and
a kernel.json with a logo), which is all listing reads. The baseline is the stock
manager serving the same 100 kernels as kernelspec files (what
`jupyter kernelspec install` or nb_conda_kernels' files give), and with none.
Timed over one kept-alive HTTP connection: the first request, the median / p90 of
warm requests, and the first request after a change (an env copied in between two
requests; for stock, a kernelspec folder), median over several changes.
Goals (issue 17): 100 envs <= 5 ms warm, <= 20 ms for the first call after a change.

    .venv/bin/python benchmarks/bench_kernelspecs.py [--requests 60] [--quick] [--json F]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
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
#: The servers' ports: 19400-19439, or BENCH_PORTS=LOW-HIGH (as bench_grid_server.py
#: reads it) or `--ports LOW-HIGH` on a shared machine.
PORTS: list[int] = []


def _port_range(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


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


def make_kernelspec_files(kernels_dir: Path, count: int, stem: str = "env") -> None:
    """The same kernels as `make_envs`, as plain kernelspec folders for the stock manager."""
    for i in range(count):
        folder = kernels_dir / f"{stem}{i:03d}"
        folder.mkdir(parents=True)
        spec = {**KERNEL_JSON, "display_name": f"Python [conda env:env{i:03d}]"}
        (folder / "kernel.json").write_text(json.dumps(spec))
        (folder / "logo-64x64.png").write_bytes(b"\x89PNG")


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


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


def measure(manager: str, envs: int, requests: int, files: int = 0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        envs_dir = root / "envs"
        envs_dir.mkdir()
        make_envs(envs_dir, envs)
        make_kernelspec_files(root / "data" / "kernels", files)
        process, port = start_server(root, manager, envs_dir)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            cold, count = get_specs(conn)
            for _ in range(3):
                get_specs(conn)
            warm = sorted(get_specs(conn)[0] for _ in range(requests))
            changed = []
            for i in range(max(3, requests // 10)):
                if envs:
                    shutil.copytree(envs_dir / "env000", envs_dir / f"new{i:03d}")
                else:
                    make_kernelspec_files(root / "data" / "kernels", 1, stem=f"new{i:03d}-")
                elapsed, seen = get_specs(conn)
                assert seen == count + i + 1, (seen, count, i)  # the change is listed
                changed.append(elapsed)
                get_specs(conn)
            conn.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    return {
        "specs": count,
        "cold_ms": cold * 1000,
        "median_ms": statistics.median(warm) * 1000,
        "p90_ms": warm[int(len(warm) * 0.9) - 1] * 1000,
        "changed_ms": statistics.median(changed) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="20 requests, no 10-env case")
    parser.add_argument("--json", help="write the goal rows here (for run_all.py)")
    parser.add_argument("--smoke", action="store_true", help="smallest run (run_all's test)")
    parser.add_argument("--ports", help="LOW-HIGH: the servers' port range (see PORTS)")
    args = parser.parse_args()
    PORTS[:] = _port_range(args.ports or os.environ.get("BENCH_PORTS") or "19400-19439")
    args.quick = args.quick or args.smoke
    requests = 5 if args.smoke else 20 if args.quick else args.requests
    cases = [
        ("stock", STOCK, 0, 0),
        ("stock", STOCK, 0, 100),
        ("ours", OURS, 0, 0),
        *([] if args.quick else [("ours", OURS, 10, 0)]),
        ("ours", OURS, 10 if args.smoke else 100, 0),
    ]
    results = []
    for label, manager, envs, files in cases:
        results.append((label, envs, files, measure(manager, envs, requests, files)))
    baseline = results[0][3]["median_ms"]
    print(f"GET /api/kernelspecs, {requests} warm requests per case (one connection)")
    print(
        f"{'manager':<8} {'envs':>5} {'files':>6} {'specs':>6} {'first ms':>9} "
        f"{'median ms':>10} {'p90 ms':>8} {'changed ms':>11} {'x stock':>8}"
    )
    for label, envs, files, r in results:
        print(
            f"{label:<8} {envs:>5} {files:>6} {r['specs']:>6} {r['cold_ms']:>9.1f} "
            f"{r['median_ms']:>10.2f} {r['p90_ms']:>8.2f} {r['changed_ms']:>11.2f} "
            f"{r['median_ms'] / baseline:>8.2f}"
        )
    stock100, ours100 = results[1][3], results[-1][3]
    envs = results[-1][1]
    from bench_rows import Row, report

    report(
        [
            Row(
                f"/api/kernelspecs, {envs} envs (stock: 100 files), warm median",
                "stock manager, 100 kernelspec files",
                stock100["median_ms"],
                ours100["median_ms"],
                "ms",
                "<= 5 ms",
                ours100["median_ms"] <= 5 and envs == 100,
            ),
            Row(
                f"/api/kernelspecs, {envs} envs, first call after a change",
                "stock manager, 100 kernelspec files",
                stock100["changed_ms"],
                ours100["changed_ms"],
                "ms",
                "<= 20 ms",
                ours100["changed_ms"] <= 20 and envs == 100,
            ),
        ],
        args.json,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
