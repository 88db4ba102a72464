"""Reproducing a pinned environment vs creating it from its spec; provisioning grid workers.

    .venv/bin/python benchmarks/bench_reproduce.py [--runs 3] [--workers 3] [--quick] [--json F]

1. The lock path should skip solving. For a rattler env on a conda-forge-shaped
   channel of real archives (synthetic_channel.py, offline) and for a uv env
   (ipykernel from PyPI), with warm package caches, each round times
   `create` from the spec (solve + install), pins it into a notebook, removes it and
   times `reproduce NOTEBOOK` (install from the exact lock, verified by fingerprint),
   the product's own functions in this process. Reported: medians and the ratio.
2. Per-worker provisioning in the cluster simulation of tests/grid_cluster: `dask
   scheduler` and N `dask worker` processes, each with its own HOME and empty caches;
   the client creates the uv env from its spec (its own empty cache: the baseline a
   fresh machine would pay), then runs a grid there from the CLI; every worker builds
   the env from the pin's hash lock. Reported: the median build per worker from the
   machines' provisioning logs, and the reuse cost of a second grid.

`--quick` (for run_all): a small channel, one round, two workers; `--smoke`: the
smallest run (one worker), figures meaningless.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_rows import Row, report  # noqa: E402
from synthetic_channel import build_channel, generate  # noqa: E402

SCHEDULER_PORT = 19250


def notebook(path: Path) -> Path:
    cells = [
        {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["parameters"]},
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": "import sys\ny = x * 2\nprint(sys.prefix)",
         "metadata": {}, "outputs": [], "execution_count": None},
    ]  # fmt: skip
    data = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


async def spec_vs_lock(
    folder: Path, engine: str, request: list[str], runs: int, settings: dict
) -> tuple[list[float], list[float]]:
    """(create-from-spec seconds, reproduce-from-lock seconds) per round, warm caches."""
    from traitlets.config import Config

    from jupyter_env_manager.core.manager import EnvManager
    from jupyter_env_manager.core.models import EnvSpec
    from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager
    from jupyter_env_manager.notebooks.environments import pin_notebook, reproduce

    config = Config({"EnvManager": {
        "envs_dirs": [str(folder / "envs")], "venvs_dir": str(folder / "venvs"),
        "locks_dir": str(folder / "locks"), "rattler_cache_dir": str(folder / "cache"),
        **settings}})  # fmt: skip
    manager = EnvManager(config=config)
    ksm = EnvKernelSpecManager(config=config)
    spec = EnvSpec(conda=list(request))
    await manager.create("warm-up", spec, engine=engine)  # fills the package caches
    await manager.remove("warm-up")
    from_spec, from_lock = [], []
    for round_ in range(runs):
        name = f"{engine}-{round_}"
        started = time.perf_counter()
        await manager.create(name, spec, engine=engine)
        from_spec.append(time.perf_counter() - started)
        pinned = notebook(folder / f"{name}.ipynb")
        await pin_notebook(manager, ksm, pinned, name)
        await manager.remove(name)
        started = time.perf_counter()
        done = await reproduce(manager, ksm, pinned)
        from_lock.append(time.perf_counter() - started)
        assert done["how"] == "lock", done
        await manager.remove(name)
    await manager.aclose()
    return from_spec, from_lock


def cluster_provisioning(folder: Path, workers: int) -> tuple[float, list[float], list[float]]:
    """(client create from spec, per-worker build seconds, per-worker reuse seconds)."""
    from tests.grid_cluster.machines import DaskCluster, Machine

    client = Machine(folder / "client")
    machines = [Machine(folder / f"machine-{n}") for n in range(workers)]
    started = time.perf_counter()
    client.env_manager("create", "-n", "sim", "--engine", "uv", "ipykernel")
    create_seconds = time.perf_counter() - started
    nb = notebook(client.root / "sweep.ipynb")
    points = f"x=range(1,{2 * workers + 1})"
    # The second grid runs on new worker processes of the same machines: they find the
    # machines' caches (worker processes of one grid share one placement in memory).
    for out in ("first", "second"):
        cluster = DaskCluster(SCHEDULER_PORT, machines, folder / f"dask-logs-{out}")
        try:
            cluster.start()
            grid = ["grid", str(nb), "--env", "sim", "-p", points, "--out", str(client.root / out)]
            client.env_manager(*grid, "--scheduler", cluster.address)
        finally:
            cluster.stop()
    logs = [m.provision_log() for m in machines]
    built = [e["seconds"] for log in logs for e in log if e["event"] == "built"]
    reused = [e["seconds"] for log in logs for e in log if e["event"] == "reused"]
    return create_seconds, built, reused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small channel, 1 round, 2 workers")
    parser.add_argument("--smoke", action="store_true", help="smallest run (run_all's test)")
    parser.add_argument("--json", metavar="F", help="Write the goal rows there (run_all).")
    parser.add_argument("--keep", action="store_true", help="Keep the work folder.")
    parser.add_argument("--workdir", metavar="DIR", help="Where to work (default: system tmp).")
    args = parser.parse_args()
    small = args.quick or args.smoke
    runs = 1 if small else args.runs
    workers = 1 if args.smoke else 2 if args.quick else args.workers
    layers, width = (4, 8) if args.smoke else (8, 10) if args.quick else (21, 20)
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-reproduce-", dir=args.workdir))
    os.environ["UV_CACHE_DIR"] = str(folder / "uv-cache")
    # conda's environments.txt and the Jupyter data dir live under HOME: the benchmark's
    # creates and removals must not touch the user's.
    os.environ["HOME"] = str(folder / "home")
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start; work in {folder}")
    try:
        started = time.perf_counter()
        packages = generate(layers=layers, width=width)
        channel = build_channel(folder / "channel", packages)
        print(f"channel: {len(packages)} records ({time.perf_counter() - started:.0f} s to build)")
        top = f"p{layers - 1:02d}"
        request = [f"{top}-00", f"{top}-07", "interp=3.12"]
        conda = asyncio.run(spec_vs_lock(
            folder / "rattler", "rattler", request, runs,
            {"channels": [channel], "offline": True}))  # fmt: skip
        pypi = asyncio.run(spec_vs_lock(folder / "uv", "uv", ["ipykernel"], runs, {}))
        create, built, reused = cluster_provisioning(folder / "cluster", workers)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    med = statistics.median
    print(f"\nper round, {runs} round(s), warm caches:")
    print(f"{'env':<8} {'create from spec s':>19} {'reproduce from lock s':>22} {'ratio':>6}")
    for label, (spec_s, lock_s) in (("rattler", conda), ("uv", pypi)):
        print(f"{label:<8} {med(spec_s):>19.3f} {med(lock_s):>22.3f} "
              f"{med(spec_s) / med(lock_s):>5.1f}x")  # fmt: skip
    print(f"\ncluster simulation, {workers} workers with empty caches (uv env, ipykernel):")
    print(f"  client create from spec, empty cache: {create:.2f} s")
    print(f"  per-worker build from the lock: {', '.join(f'{s:.2f}' for s in built)} s "
          f"(median {med(built):.2f} s)")  # fmt: skip
    print(f"  builds: {len(built)} for {workers} machines; per-worker reuse (second grid, new "
          f"worker processes): median {med(reused) * 1000:.1f} ms")  # fmt: skip
    rows = [
        Row("reproduce a rattler env from its lock, warm cache",
            "create from its spec (solve)", med(conda[0]), med(conda[1]), "s",
            "lock no slower than spec (<= 1.1x)", med(conda[1]) <= 1.1 * med(conda[0])),
        Row("reproduce a uv env from its hash lock, warm cache",
            "create from its spec (resolve)", med(pypi[0]), med(pypi[1]), "s",
            "lock faster than spec", med(pypi[1]) < med(pypi[0])),
        Row(f"provision a grid worker from the lock ({workers} at once, empty caches)",
            "client create from spec alone, empty cache", create, med(built), "s",
            "one build per machine", len(built) == workers),
        Row("a new worker process on a provisioned machine (reuse)",
            "per-worker build", med(built), med(reused), "s",
            "< 5% of a build", med(reused) < 0.05 * med(built)),
    ]  # fmt: skip
    report(rows, args.json)


if __name__ == "__main__":
    main()
