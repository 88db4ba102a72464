"""Grid runner vs a sequential papermill loop, whole processes as a user types them.

    .venv/bin/python benchmarks/bench_grid.py [--workers 2] [--quick] [--json F]

Every figure comes from this one run, side by side on the same machine:

- the machine's parallel ceiling: how much faster two CPU-bound processes run side by
  side than one after the other (on shared virtual cores often well under 2);
- near-empty notebook (`result = x * 2`): `jupyter env-manager grid` with 12 and with
  48 points (each a whole CLI process). Per-run marginal cost = (t48 - t12) / 36,
  fixed cost = t12 - 12 x marginal. Baseline: a papermill loop over the same 12
  points (papermill's API in this process, one kernel start per run);
- CPU-bound: the scikit-learn example (examples/text_classification.ipynb, offline
  corpus) over 12 points, the grid CLI vs the same papermill loop.

Goals (issue 17, 2 workers): marginal <= 0.03 s per run, CLI fixed cost <= 1 s,
near-empty 12-point grid >= 10x the papermill loop, CPU-bound >= 1.9x. The CLI
grids run `--repeats` times each (default 3), alternating, and medians are used.
`--quick` runs 4 and 12 points once and 4 CPU-bound runs (for CI; rough figures).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
BIN = Path(sys.executable).parent
NEAR_EMPTY = "result = x * 2"
#: The example's alphas (6 x 2 norms = 12 points).
ALPHAS = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 1e-5]


def write_notebook(path: Path, work: str) -> Path:
    cells = [
        {"id": "parameters", "cell_type": "code", "metadata": {"tags": ["parameters"]},
         "source": "x = 0", "outputs": [], "execution_count": None},
        {"id": "work", "cell_type": "code", "metadata": {}, "source": work, "outputs": [],
         "execution_count": None},
    ]  # fmt: skip
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _burn(seconds: float) -> str:
    return f"import time\nt = time.process_time()\nwhile time.process_time() - t < {seconds}: pass"


def parallel_capacity(seconds: float = 1.0, repeats: int = 3) -> float:
    """Throughput of two concurrent CPU-bound processes relative to one (median)."""
    code = _burn(seconds)
    ratios = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        alone = time.perf_counter() - start
        start = time.perf_counter()
        pair = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
        for process in pair:
            process.wait()
        ratios.append(2 * alone / (time.perf_counter() - start))
    return statistics.median(ratios)


def user_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HOME=str(home), EXAMPLES_OFFLINE="1", PATH=f"{BIN}{os.pathsep}{env['PATH']}")
    return env


def papermill_loop(notebook: Path, points: list[dict], out: Path) -> float:
    import papermill

    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i, parameters in enumerate(points):
        papermill.execute_notebook(
            str(notebook),
            str(out / f"pm-{i}.ipynb"),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(notebook.parent),
        )
    return time.perf_counter() - start


def cli_grid(
    notebook: Path, params: list[str], runs: int, out: Path, workers: int, env: dict
) -> float:
    """Wall time of `jupyter env-manager grid ...` as a user types it."""
    argv = [str(BIN / "jupyter"), "env-manager", "grid", str(notebook), "--out", str(out)]
    argv += [f"--param={p}" for p in params] + [f"--workers={workers}"]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"grid failed: {done.stderr[-2000:]}")
    results = (out / "results.csv").read_text().splitlines()
    assert len(results) == runs + 1, (len(results), runs)  # every run recorded
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="CLI grids per size (median)")
    parser.add_argument("--json", help="write the goal rows here (for run_all.py)")
    parser.add_argument("--smoke", action="store_true", help="smallest run (run_all's test)")
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    small, large = (2, 4) if args.smoke else (4, 12) if args.quick else (12, 48)
    if args.quick or args.smoke:
        args.repeats = 1
    cpu_points = 2 if args.smoke else 4 if args.quick else 12

    ceiling = parallel_capacity(0.2 if args.smoke else 1.0, 1 if args.quick or args.smoke else 3)
    print(f"machine: 2 CPU-bound processes run {ceiling:.2f}x as fast as 1 (median)")
    with tempfile.TemporaryDirectory(prefix="bench-grid-") as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        env = user_env(home)
        empty = write_notebook(root / "empty.ipynb", NEAR_EMPTY)

        # Alternated and repeated: the machine is shared, so medians of side-by-side runs.
        smalls, larges = [], []
        for i in range(args.repeats):
            for runs, times in ((small, smalls), (large, larges)):
                out = root / f"g-{runs}-{i}"
                times.append(cli_grid(empty, [f"x=range(0,{runs})"], runs, out, args.workers, env))
        t_small, t_large = statistics.median(smalls), statistics.median(larges)
        pm_empty = papermill_loop(empty, [{"x": x} for x in range(small)], root / "pm-empty")
        marginal = (t_large - t_small) / (large - small)
        fixed = t_small - small * marginal
        print(f"near-empty notebook, {args.workers} workers, whole CLI processes:")
        print(f"  grid CLI {small:>2} points: {t_small:6.2f} s (median of {smalls})")
        print(f"  grid CLI {large:>2} points: {t_large:6.2f} s (median of {larges})")
        print(f"  marginal cost per run: {marginal:.3f} s; fixed cost: {fixed:.2f} s")
        print(f"  papermill loop, {small} runs: {pm_empty:6.2f} s ({pm_empty / small:.3f} s/run)")

        # The example reads text_corpus.py from its folder: run a copy in ours.
        example_dir = root / "example"
        example_dir.mkdir()
        for name in ("text_classification.ipynb", "text_corpus.py"):
            shutil.copy(EXAMPLES / name, example_dir / name)
        example = example_dir / "text_classification.ipynb"
        alphas = ALPHAS[: cpu_points // 2]
        points = [{"alpha": a, "norm": n} for a in alphas for n in ("l1", "l2")]
        params = [f"alpha={','.join(repr(a) for a in alphas)}", "norm='l1','l2'"]
        t_cpu = cli_grid(example, params, len(points), root / "g-cpu", args.workers, env)
        pm_cpu = papermill_loop(example, points, root / "pm-cpu")
        print(f"CPU-bound (scikit-learn example), {len(points)} points:")
        print(f"  grid CLI: {t_cpu:6.2f} s; papermill loop: {pm_cpu:6.2f} s")
        print(f"  speed-up {pm_cpu / t_cpu:.2f}x (machine ceiling {ceiling:.2f}x)")

    sys.path.insert(0, str(HERE))
    from bench_rows import Row, report

    rows = [
        Row(
            f"grid marginal cost per run, near-empty, {args.workers} workers",
            "papermill loop per run",
            pm_empty / small,
            marginal,
            "s",
            "<= 0.03 s",
            marginal <= 0.03,
        ),
        Row(
            "grid fixed cost from the CLI",
            "papermill loop, 1 run",
            pm_empty / small,
            fixed,
            "s",
            "<= 1 s",
            fixed <= 1.0,
        ),
        Row(
            f"near-empty {small}-point grid, whole CLI process",
            f"papermill loop ({small} runs)",
            pm_empty,
            t_small,
            "s",
            ">= 10x",
            pm_empty / t_small >= 10,
        ),
        Row(
            f"CPU-bound {len(points)}-point grid (scikit-learn example)",
            f"papermill loop ({len(points)} runs)",
            pm_cpu,
            t_cpu,
            "s",
            f">= 1.9x (ceiling {ceiling:.2f}x)",
            pm_cpu / t_cpu >= 1.9,
        ),
    ]
    report(rows, args.json)


if __name__ == "__main__":
    main()
