"""`jupyter env-manager grid NOTEBOOK ...`: run a notebook once per grid point.

Everything is validated (grid, notebook parameters, kernel/environment) before the
output directory is even created, so a bad grid exits non-zero having written
nothing. `--resume` continues the grid recorded in `--out` (runs that finished
are not executed again); `--rerun-failed` also retries its failed runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..core.models import ProgressEvent
from .progress import ProgressPrinter


async def _pinned_run(search: Any, rerun_failed: bool) -> Any:
    """Run, the output notebooks carrying the pin of the environment they ran in."""
    env_name = search.plan["target"].get("env_name")
    if env_name:
        from ..core.errors import EnvManagerError
        from ..notebooks.environments import pin_grid
        from .config import make_manager
        from .kernel import _spec_manager

        try:
            await pin_grid(make_manager(), _spec_manager(), search.out_dir, env_name)
        except EnvManagerError as error:
            print(f"warning: the outputs carry no environment pin: {error.message}",
                  file=sys.stderr)  # fmt: skip
    return await search.run(rerun_failed=rerun_failed)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "grid",
        help="Grid search: run a parameterised notebook once per combination of values.",
        description="Run NOTEBOOK once per grid point, each run in a fresh kernel, in "
        "parallel on Dask. The notebook needs a cell tagged 'parameters'.",
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="The .ipynb to run.")
    grid = parser.add_argument_group("grid")
    grid.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="Sweep a parameter over values (repeat for several), e.g. alpha=1e-3,1e-4; "
        "values are read as numbers, true/false, none, 'quoted strings' or [lists]; "
        "range(1,5) gives 1..4.",
    )
    grid.add_argument(
        "--grid", metavar="FILE", help="YAML/JSON grid: a mapping of name -> list, or a list."
    )
    grid.add_argument("--repeats", type=int, default=1, help="Replicates per point (seeds).")
    grid.add_argument(
        "--seed", type=int, default=None, help="Base seed for a notebook with a 'seed' parameter."
    )
    where = parser.add_argument_group("where")
    where.add_argument("--env", "-n", metavar="ENV", help="Environment name or prefix.")
    where.add_argument("--kernel", "-k", metavar="NAME", help="Kernel name (default python3).")
    where.add_argument("--workers", type=int, default=None, help="Local workers (default: cores).")
    where.add_argument(
        "--scheduler", metavar="ADDR", help="Existing Dask scheduler, e.g. tcp://host:8786."
    )
    where.add_argument("--timeout", type=float, default=None, help="Seconds per run.")
    where.add_argument(
        "--worker-processes",
        action="store_true",
        help="Run local Dask workers as processes (default: in this process; every run "
        "has its own kernel process either way).",
    )
    where.add_argument(
        "--no-fork-kernels",
        dest="fork_kernels",
        action="store_false",
        help="Launch every Python kernel as a new interpreter instead of forking it from "
        "a pre-imported template (slower starts; for kernels that misbehave when forked).",
    )
    where.add_argument(
        "--no-provision",
        dest="provision",
        action="store_false",
        help="Workers that lack the grid's environment refuse its runs instead of building "
        "it from the environment's lock (default: build it, once per machine).",
    )
    results = parser.add_argument_group("results")
    results.add_argument(
        "--metric",
        "-m",
        action="append",
        default=[],
        metavar="NAME[:max|min]",
        help="A variable (or glued value) to collect; the first ranks the runs.",
    )
    goal = results.add_mutually_exclusive_group()
    goal.add_argument("--maximize", dest="goal", action="store_const", const="max")
    goal.add_argument("--minimize", dest="goal", action="store_const", const="min")
    results.add_argument("--out", "-o", metavar="DIR", help="Output directory.")
    results.add_argument(
        "--mlflow",
        action="store_true",
        help="Also log each run (parameters, metrics, tags, output notebook) to MLflow "
        "(needs mlflow installed), in the store MLflow picks (MLFLOW_TRACKING_URI, else its "
        "default).",
    )
    results.add_argument(
        "--mlflow-uri", metavar="TRACKING_URI", help="MLflow tracking store (implies --mlflow)."
    )
    results.add_argument(
        "--mlflow-experiment",
        metavar="NAME",
        help="MLflow experiment (default: the notebook's name without .ipynb).",
    )
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--resume", action="store_true", help="Continue the grid recorded in --out.")
    state.add_argument(
        "--rerun-failed", action="store_true", help="Resume and also re-run failed runs."
    )
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
    parser.set_defaults(handler=run, goal="max")


def _default_out(notebook: str) -> Path:
    return Path.cwd() / f"{Path(notebook).stem}-grid"


def _grid_argument(args: argparse.Namespace) -> Any:
    from ..grid.errors import InvalidGrid
    from ..grid.spec import grid_from_sweeps, load_grid_file

    if args.grid and args.param:
        raise InvalidGrid("Give either --grid FILE or --param sweeps, not both.")
    if args.grid:
        return load_grid_file(args.grid)
    return grid_from_sweeps(args.param)


class _EventPrinter:
    """Grid events as progress: a bar on a terminal, one line per run otherwise."""

    def __init__(self) -> None:
        self.printer = ProgressPrinter()

    def __call__(self, event: Any) -> None:
        fraction = event.done / event.total if event.total else None
        if event.kind == "run_finished":
            text = f"run {event.index}: {event.status}"
            if event.message:
                text += f" ({event.message.splitlines()[0][:120]})"
        elif event.kind == "run_retry":
            text = f"run {event.index}: retrying after {event.status}"
        elif event.kind == "run_started":
            if not self.printer.interactive:
                return
            text = f"run {event.index} started"
        else:
            text = event.message or event.kind
        self.printer(ProgressEvent(stage="grid", message=text, fraction=fraction))

    def close(self) -> None:
        self.printer.close()


def _print_summary(summary: Any, table: Any, metrics: list[dict[str, str]]) -> None:
    counts = {k: v for k, v in summary.counts.items() if v}
    print(
        f"grid {summary.grid_id}: {summary.state}, "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
    )
    print(f"results: {summary.results_csv}")
    print(f"         {summary.results_parquet}")
    if summary.best:
        metric = metrics[0]["name"]
        params = ", ".join(f"{k}={v!r}" for k, v in summary.best["parameters"].items())
        print(f"best ({metric}, {metrics[0]['goal']}): {summary.best[metric]!r} with {params}")
    failed = [row for row in table.rows if row["status"] != "ok"]
    for row in failed[:5]:
        print(f"  run {row['run']} {row['status']}: {row['error']}", file=sys.stderr)


def _mlflow_tracker(args: argparse.Namespace) -> Any:
    """The MLflow tracker asked for, or None; refused here when mlflow is missing."""
    from ..grid.errors import InvalidGrid

    if not (args.mlflow or args.mlflow_uri):
        if args.mlflow_experiment:
            raise InvalidGrid("--mlflow-experiment needs --mlflow or --mlflow-uri.")
        return None
    from ..grid.tracking import MlflowTracker

    return MlflowTracker(args.mlflow_uri, args.mlflow_experiment)


def _prestart_kernel(args: argparse.Namespace) -> bool:
    """For a new grid whose workers will live here, start its first kernel (and the
    kernel template) before the plan and the rest of the imports: True when started."""
    if args.resume or args.rerun_failed or args.env or args.scheduler:
        return False
    if args.worker_processes or not args.fork_kernels:
        return False
    kernel_name = args.kernel or "python3"
    if kernel_name == "python3" and sys.executable:
        # A template boots for a quarter of a second, and the kernel pool's imports
        # (jupyter_client, nbclient) take as long again before it could spawn one: the
        # first runs waited for it. python3 is nearly always this interpreter's own
        # kernel in this environment, whose template can be spawned now. A kernel
        # found to be another leaves this one unused until the grid's end.
        from ..kernels.templates import spawn_template

        spawn_template([sys.executable], dict(os.environ))
    from ..grid.worker import prestart_kernel

    prestart_kernel(kernel_name, args.notebook)
    return True


def run(args: argparse.Namespace) -> int:
    # Until distributed is imported, which freezes what exists and turns it back on
    # (grid/distributed_import.py): collections would only walk the imports' objects.
    gc.disable()
    try:
        if not _prestart_kernel(args):
            return _run(args)
        from ..grid.worker import close_pool

        try:
            return _run(args)
        finally:
            # A refused grid never reaches the runner, which closes what the grid used.
            close_pool(None)
    finally:
        gc.enable()  # a refused grid never reaches the import that does it


def _run(args: argparse.Namespace) -> int:
    from ..grid.errors import InvalidGrid
    from ..grid.plan import plan_grid
    from ..grid.runner import GridSearch
    from ..grid.store import GridStore

    out = Path(args.out) if args.out else _default_out(args.notebook)
    tracker = _mlflow_tracker(args)
    printer = None if args.json else _EventPrinter()
    options: dict[str, Any] = {
        "workers": args.workers,
        "scheduler_address": args.scheduler,
        "worker_processes": args.worker_processes,
        "fork_kernels": args.fork_kernels,
        "provision": args.provision,
        "on_event": printer,
        "tracking": tracker,
        "lean_import": True,
    }
    if args.resume or args.rerun_failed:
        search = GridSearch.open(out, **options)
        if Path(search.record.notebook).resolve() != Path(args.notebook).resolve():
            raise InvalidGrid(
                f"{out} holds a grid of {search.record.notebook}, not {args.notebook}."
            )
        if tracker is not None:
            tracker.connect(Path(args.notebook).stem)
    else:
        if args.workers is not None and args.workers < 1:
            raise InvalidGrid("--workers must be at least 1.")
        plan = plan_grid(
            args.notebook,
            _grid_argument(args),
            kernel_name=args.kernel or (None if args.env else "python3"),
            env=args.env,
            metrics=args.metric,
            goal=args.goal,
            repeats=args.repeats,
            seed=args.seed,
            timeout=args.timeout,
        )
        if GridStore.holds_grid(out):
            raise InvalidGrid(
                f"{out} already holds a grid; use --resume to continue it or another --out."
            )
        if tracker is not None:
            # After the plan is checked, so a refused grid creates no experiment either.
            tracker.connect(Path(args.notebook).stem)
        search = GridSearch.create(plan, out, **options)
    try:
        summary = asyncio.run(_pinned_run(search, args.rerun_failed))
    finally:
        if printer is not None:
            printer.close()
    table = search.results_table()
    if args.json:
        print(json.dumps(summary.to_json(), indent=2, default=str))
    else:
        _print_summary(summary, table, search.plan["metrics"])
        if tracker is not None:
            print(f"mlflow: {tracker.describe()}")
    # The process exits next: its last garbage collection would walk every object of
    # Dask, pandas and IPython for nothing (a tenth of a short grid's wall time).
    gc.freeze()
    return 0 if summary.counts.get("ok", 0) == sum(summary.counts.values()) else 1
