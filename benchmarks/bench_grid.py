"""Grid runner vs a sequential papermill loop: the same 12-point grid, two notebooks.

    .venv/bin/python benchmarks/bench_grid.py [--workers 2] [--cpu-seconds 1.5]

Prints wall times, the speed-up, and the per-run overhead of the near-empty
notebook (wall time / runs, with and without the one-off cluster start). Targets
(issue 7, 2 cores): >= 1.8x for the CPU-bound notebook, < 0.25 s per run for the
near-empty one. First it prints how much faster this machine runs two CPU-bound
processes side by side than one after the other: the ceiling of any speed-up, which
on shared virtual cores is often well under 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

RUNS = 12


def make_notebook(path: Path, work: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nb.cells = [
        nbformat.v4.new_code_cell("x = 0\nloops = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(work),
    ]
    nbformat.write(nb, path)
    return path


def calibrate_loops(seconds: float) -> int:
    start, n = time.perf_counter(), 2_000_000
    total = 0
    for i in range(n):
        total += i * i
    return int(n * seconds / (time.perf_counter() - start))


def parallel_capacity(seconds: float = 1.0) -> float:
    """Throughput of two concurrent CPU-bound processes relative to one."""
    loops = calibrate_loops(seconds)
    code = f"t = 0\nfor i in range({loops}):\n    t += i * i"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    pair = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    for process in pair:
        process.wait()
    return 2 * alone / (time.perf_counter() - start)


def papermill_loop(notebook: Path, out: Path, loops: int) -> float:
    import papermill

    start = time.perf_counter()
    for x in range(RUNS):
        papermill.execute_notebook(
            str(notebook),
            str(out / f"pm-{x}.ipynb"),
            parameters={"x": x, "loops": loops},
            kernel_name="python3",
            progress_bar=False,
        )
    return time.perf_counter() - start


async def grid_runner(notebook: Path, out: Path, loops: int, workers: int) -> tuple[float, float]:
    from jupyter_env_manager.grid.plan import plan_grid
    from jupyter_env_manager.grid.runner import GridSearch

    start = time.perf_counter()
    first: list[float] = []

    def on_event(event) -> None:  # type: ignore[no-untyped-def]
        if event.kind == "grid_started" and not first:
            first.append(time.perf_counter())

    plan = plan_grid(
        notebook,
        {"x": list(range(RUNS)), "loops": [loops]},
        kernel_name="python3",
        metrics=["result"],
    )
    search = GridSearch.create(plan, out, workers=workers, on_event=on_event)
    summary = await search.run()
    assert summary.counts["ok"] == RUNS, summary.counts
    end = time.perf_counter()
    return end - start, end - (first[0] if first else start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cpu-seconds", type=float, default=1.5)
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(f"machine: 2 CPU-bound processes run {parallel_capacity():.2f}x as fast as 1")
    loops = calibrate_loops(args.cpu_seconds)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = {
            "near-empty": make_notebook(folder / "empty.ipynb", "result = x"),
            "cpu-bound": make_notebook(
                folder / "cpu.ipynb",
                "total = 0\nfor i in range(loops):\n    total += i * i\nresult = x",
            ),
        }
        for name, notebook in cases.items():
            n_loops = loops if name == "cpu-bound" else 0
            pm = papermill_loop(notebook, folder, n_loops)
            ours, after_start = asyncio.run(
                grid_runner(notebook, folder / f"grid-{name}", n_loops, args.workers)
            )
            print(f"{name}: {RUNS} runs, {args.workers} workers")
            print(f"  papermill sequential loop: {pm:6.2f} s  ({pm / RUNS:.3f} s/run)")
            print(f"  grid runner (total):       {ours:6.2f} s  ({ours / RUNS:.3f} s/run)")
            print(
                f"  grid runner (after cluster start): {after_start:6.2f} s "
                f"({after_start / RUNS:.3f} s/run)"
            )
            print(f"  speed-up: {pm / ours:.2f}x total, {pm / after_start:.2f}x after start")


if __name__ == "__main__":
    main()
