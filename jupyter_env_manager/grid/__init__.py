"""Notebook grid searches: run a parameterised notebook once per grid point.

Layers, each its own module: `spec` (grids), `notebook` (parameters cell,
injection), `literals`, `kernels` (kernel/environment choice), `fingerprint`,
`plan` (validation before anything runs), `store` (SQLite state), `kernel_pool`
and `execute` and `worker` (inside Dask workers), `runner` (the coordinator) and
`results` (the cv_results_-like table).

Typical use (what the CLI does)::

    plan = plan_grid("train.ipynb", {"C": [0.1, 1.0]}, kernel_name="python3",
                     metrics=["accuracy"])
    search = GridSearch.create(plan, "out/")
    summary = await search.run()

Heavy imports (Dask, pandas) happen only when a grid runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import FingerprintMismatch, GridNotFound, InvalidGrid, KernelNotFound, NotebookError

if TYPE_CHECKING:
    from .plan import GridPlan, MetricSpec, plan_grid
    from .runner import GridEvent, GridSearch, GridSummary

__all__ = [
    "FingerprintMismatch",
    "GridEvent",
    "GridNotFound",
    "GridPlan",
    "GridSearch",
    "GridSummary",
    "InvalidGrid",
    "KernelNotFound",
    "MetricSpec",
    "NotebookError",
    "plan_grid",
]

_LAZY = {
    "GridPlan": "plan",
    "MetricSpec": "plan",
    "plan_grid": "plan",
    "GridEvent": "runner",
    "GridSearch": "runner",
    "GridSummary": "runner",
    "grid_search": "interactive",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
