"""Turn a notebook, a grid and options into the exact list of runs, or refuse.

Everything a user can get wrong is checked here, before any kernel starts and
before anything is written: the notebook has a parameters cell, every swept name
is one of its parameters, the kernel or environment exists, the language can be
injected, the options make sense.

Seeds (reproducibility): when the notebook declares a `seed` parameter, every run
gets one injected, even when the grid does not sweep it. The base seed is
`seed=` if given, else the notebook's integer default, else 0; replicate `r`
(0-based, `repeats` of them per point) gets `base + r`, so replicate seeds are
deterministic and the same grid always runs with the same seeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jupyter_client.kernelspec import KernelSpecManager

from .errors import InvalidGrid
from .fingerprint import compute_fingerprint
from .kernels import KernelTarget, resolve_target
from .literals import check_language
from .notebook import NotebookInfo, inspect_notebook
from .spec import Grid, grid_names, grid_size, iter_points, normalize_grid

SEED_PARAMETER = "seed"
MAX_RUNS = 100_000
Goal = Literal["max", "min"]
_METRIC_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::(max|min|maximize|minimize))?$")


@dataclass(frozen=True)
class MetricSpec:
    name: str
    goal: Goal = "max"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "goal": self.goal}


def parse_metric(text: str, default_goal: Goal = "max") -> MetricSpec:
    """`accuracy`, `loss:min` or `f1:max`."""
    match = _METRIC_RE.match(text.strip())
    if not match:
        raise InvalidGrid(
            f"Invalid metric {text!r}: use a variable name, optionally with :max or :min "
            "(e.g. accuracy, loss:min)."
        )
    goal = match.group(2)
    resolved: Goal = default_goal if goal is None else ("max" if goal.startswith("max") else "min")
    return MetricSpec(match.group(1), resolved)


def replicate_seed(base: int, replicate: int) -> int:
    return base + replicate


@dataclass(frozen=True)
class PlannedRun:
    index: int
    replicate: int
    #: What is injected into the notebook: the grid point (and the seed).
    overrides: dict[str, Any]
    #: The run's full parameter set: the notebook's literal defaults, overridden.
    parameters: dict[str, Any]
    seed: int | None


@dataclass
class GridPlan:
    notebook: NotebookInfo
    grid: Grid
    target: KernelTarget
    fingerprint: str | None
    metrics: list[MetricSpec]
    repeats: int
    seed: int | None
    timeout: float | None
    runs: list[PlannedRun] = field(default_factory=list)

    @property
    def swept(self) -> list[str]:
        names = sorted(grid_names(self.grid))
        if self.seed is not None and SEED_PARAMETER not in names:
            names.append(SEED_PARAMETER)
        return names

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": str(self.notebook.path),
            "notebook_hash": self.notebook.hash,
            "language": self.notebook.language,
            "grid": self.grid,
            "target": self.target.to_json(),
            "fingerprint": self.fingerprint,
            "metrics": [m.to_json() for m in self.metrics],
            "repeats": self.repeats,
            "seed": self.seed,
            "timeout": self.timeout,
            "swept": self.swept,
            "size": len(self.runs),
        }


def _check_options(repeats: int, timeout: float | None) -> None:
    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise InvalidGrid(f"repeats must be a whole number of at least 1, got {repeats!r}.")
    if timeout is not None and not timeout > 0:
        raise InvalidGrid(f"timeout must be a positive number of seconds, got {timeout!r}.")


def _base_seed(info: NotebookInfo, seed: int | None, grid: Grid, repeats: int) -> int | None:
    declared = {p.name: p for p in info.parameters}
    if SEED_PARAMETER not in declared:
        if seed is not None:
            raise InvalidGrid(
                f"A seed was given but {info.path.name} declares no 'seed' parameter in its "
                "parameters cell; add `seed = 0` there to make runs reproducible."
            )
        return None
    if SEED_PARAMETER in grid_names(grid):
        if repeats > 1 or seed is not None:
            raise InvalidGrid(
                "The grid already sweeps 'seed'; drop it from the grid to use a base seed "
                "and repeats, or drop the seed/repeats options."
            )
        return None
    if seed is not None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidGrid(f"The seed must be an integer, got {seed!r}.")
        return seed
    default = declared[SEED_PARAMETER].default
    return default if isinstance(default, int) and not isinstance(default, bool) else 0


def plan_grid(
    notebook: str | Path,
    grid: Any,
    *,
    kernel_name: str | None = None,
    env: str | None = None,
    metrics: list[str] | list[MetricSpec] = (),  # type: ignore[assignment]
    goal: Goal = "max",
    repeats: int = 1,
    seed: int | None = None,
    timeout: float | None = None,
    ksm: KernelSpecManager | None = None,
) -> GridPlan:
    """Check everything and list the runs; raises an EnvManagerError, writes nothing."""
    _check_options(repeats, timeout)
    checked = normalize_grid(grid)
    size = grid_size(checked) * repeats
    if size > MAX_RUNS:
        raise InvalidGrid(f"The grid has {size} runs; the limit is {MAX_RUNS}.")
    metric_specs = [m if isinstance(m, MetricSpec) else parse_metric(m, goal) for m in metrics]
    if len({m.name for m in metric_specs}) != len(metric_specs):
        raise InvalidGrid("A metric is named twice.")
    info = inspect_notebook(notebook)
    unknown = sorted(grid_names(checked) - set(info.names))
    if unknown:
        known = ", ".join(info.names) or "none"
        raise InvalidGrid(
            f"Unknown parameter(s) {', '.join(unknown)}: the parameters cell of "
            f"{info.path.name} declares {known}.",
            details={"unknown": unknown, "declared": info.names},
        )
    base_seed = _base_seed(info, seed, checked, repeats)
    target = resolve_target(kernel_name=kernel_name, env=env, ksm=ksm)
    language = target.language or info.language
    check_language(language)
    if target.language and target.language.lower() != info.language.lower():
        raise InvalidGrid(
            f"The notebook is written in {info.language} but kernel {target.kernel_name!r} "
            f"runs {target.language}."
        )
    fingerprint = compute_fingerprint(target.prefix).digest if target.prefix else None
    defaults = info.defaults()
    runs: list[PlannedRun] = []
    for point in iter_points(checked):
        for replicate in range(repeats):
            overrides = dict(point)
            run_seed = overrides.get(SEED_PARAMETER)
            if base_seed is not None:
                run_seed = replicate_seed(base_seed, replicate)
                overrides[SEED_PARAMETER] = run_seed
            runs.append(
                PlannedRun(
                    index=len(runs),
                    replicate=replicate,
                    overrides=overrides,
                    parameters={**defaults, **overrides},
                    seed=run_seed if isinstance(run_seed, int) else None,
                )
            )
    return GridPlan(
        notebook=info,
        grid=checked,
        target=target,
        fingerprint=fingerprint,
        metrics=metric_specs,
        repeats=repeats,
        seed=base_seed,
        timeout=timeout,
        runs=runs,
    )
