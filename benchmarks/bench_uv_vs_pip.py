"""Time making a kernel-ready venv (ipykernel + numpy): uv engine vs venv + pip.

Not a test; it prints seconds per engine and the ratio. Both engines get one
untimed warm-up run first, so both read from warm caches (uv's wheel cache,
pip's HTTP/wheel cache) and the numbers compare the tools, not the network.
Packages come from each tool's configured indexes (PyPI by default; pip also
honours pip.conf / PIP_* settings of the machine).

    python benchmarks/bench_uv_vs_pip.py [--repeat 3] [--packages ipykernel numpy]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from jupyter_env_manager.core.engines.base import Engine
from jupyter_env_manager.core.engines.uv_engine import UvEngine
from jupyter_env_manager.core.engines.venv_pip_engine import VenvPipEngine
from jupyter_env_manager.core.models import EnvSpec
from jupyter_env_manager.core.site_packages import has_ipykernel


async def one_run(engine: Engine, workdir: Path, packages: list[str], label: str) -> float:
    prefix = workdir / label
    started = time.perf_counter()
    await engine.create(prefix, EnvSpec(pip=packages))
    elapsed = time.perf_counter() - started
    if not has_ipykernel(prefix) and "ipykernel" in packages:
        raise SystemExit(f"{engine.name}: ipykernel missing from {prefix}")
    shutil.rmtree(prefix)
    return elapsed


async def bench(engine: Engine, repeat: int, packages: list[str]) -> list[float]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{engine.name}-") as tmp:
        workdir = Path(tmp)
        await one_run(engine, workdir, packages, "warmup")
        return [await one_run(engine, workdir, packages, f"run{i}") for i in range(repeat)]


def describe(name: str, times: list[float]) -> str:
    runs = ", ".join(f"{t:.2f}" for t in times)
    return f"{name:>5}: mean {statistics.mean(times):6.2f} s  min {min(times):6.2f} s  ({runs})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--packages", nargs="+", default=["ipykernel", "numpy"])
    args = parser.parse_args()

    uv_engine, pip_engine = UvEngine(), VenvPipEngine()
    print(f"packages: {' '.join(args.packages)}; {args.repeat} timed runs each after a warm-up")
    print(f"uv {uv_engine.version()}, pip {pip_engine.version()} (seeded by ensurepip)")
    uv_times = await bench(uv_engine, args.repeat, args.packages)
    print(describe("uv", uv_times), flush=True)
    pip_times = await bench(pip_engine, args.repeat, args.packages)
    print(describe("pip", pip_times))
    ratio = statistics.mean(pip_times) / statistics.mean(uv_times)
    verdict = "meets" if ratio >= 5 else "misses"
    print(f"ratio (venv+pip / uv, means): {ratio:.1f}x faster with uv ({verdict} the 5x target)")


if __name__ == "__main__":
    asyncio.run(main())
