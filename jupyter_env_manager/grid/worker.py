"""What runs inside a Dask worker: one task per grid point.

Each process running workers holds one `KernelPool` on a private asyncio loop in a
daemon thread (Dask runs tasks in plain threads; the kernel and nbclient APIs are async).
The task thread waits for its run on that loop. The coordinator reaches a worker
outside the task queue with `Client.run`: to start spare kernels before the first
task (`prewarm`), to kill the kernels of a cancelled grid (`cancel_grid`) and to
drop spares at the end (`close_pool`).

Before executing, the worker computes the fingerprint of the environment its
kernel really runs in (the kernel reports `sys.prefix`) and refuses the run when
it differs from the fingerprint recorded when the grid was planned.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import nbformat

from .errors import FingerprintMismatch
from .execute import execute_notebook
from .fingerprint import check_fingerprint
from .kernel_pool import KernelPool
from .kernels import default_spec_manager
from .notebook import inject_parameters

T = TypeVar("T")


def event_topic(grid_id: str) -> str:
    return f"jupyter-env-manager-grid-{grid_id}"


@dataclass(frozen=True)
class RunRequest:
    grid_id: str
    index: int
    attempt: int
    kernel_name: str
    language: str
    cwd: str
    overrides: dict[str, Any]
    metrics: list[str]
    timeout: float | None
    expected_prefix: str | None
    expected_fingerprint: str | None
    run_metadata: dict[str, Any] = field(default_factory=dict)
    fork_kernels: bool = True


class _Runtime:
    """The per-process loop thread and kernel pool."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="jem-grid-kernels", daemon=True
        )
        self.thread.start()
        #: Where the coordinator's kernel spec manager looks (its EnvKernelSpecManager and
        #: EnvManager config), so kernel names mean the same environments here.
        self.kernel_config: dict[str, Any] = {}
        self.pool = KernelPool(lambda: default_spec_manager(self.kernel_config))
        self.running: dict[str, set[asyncio.Task[Any]]] = {}
        #: Grids cancelled here: their tasks still queued on this worker must not run.
        self.cancelled: set[str] = set()
        #: Grids between `begin_grid` and `close_pool`: the pool stays up while any runs.
        self.active: set[str] = set()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def runtime() -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = _Runtime()
        return _runtime


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _log_event(grid_id: str, message: dict[str, Any]) -> None:
    try:
        from distributed import get_worker

        get_worker().log_event(event_topic(grid_id), message)
    except (ImportError, ValueError):
        # Not inside a Dask worker (direct call): nobody listens.
        pass


def _usable_cwd(cwd: str) -> str:
    # On another machine the notebook's folder may not exist; run somewhere harmless.
    return cwd if os.path.isdir(cwd) else tempfile.gettempdir()


async def _run(request: RunRequest, notebook_text: str) -> dict[str, Any]:
    rt = runtime()
    outcome: dict[str, Any] = {
        "grid_id": request.grid_id,
        "index": request.index,
        "attempt": request.attempt,
        "worker": _worker_name(),
        "metrics": {},
        "missing_metrics": [],
        "notebook": None,
        "fingerprint": None,
        "kernel_pid": None,
    }
    if request.grid_id in rt.cancelled:
        outcome.update(status="cancelled", error="Cancelled.", started=None, ended=time.time())
        return outcome
    task = asyncio.current_task()
    assert task is not None
    rt.running.setdefault(request.grid_id, set()).add(task)
    kernel = None
    try:
        kernel = await rt.pool.acquire(
            request.kernel_name, _usable_cwd(request.cwd), fork=request.fork_kernels
        )
        started = time.time()
        outcome["kernel_pid"] = kernel.pid
        _log_event(
            request.grid_id,
            {
                "event": "started",
                "index": request.index,
                "attempt": request.attempt,
                # Dask sets "worker" to the worker's address; ours is host:pid.
                "process": outcome["worker"],
                "pid": os.getpid(),
                "kernel_pid": kernel.pid,
                "time": started,
            },
        )
        prefix = kernel.prefix or request.expected_prefix
        if prefix is not None and request.expected_fingerprint is not None:
            try:
                found = check_fingerprint(
                    prefix, request.expected_fingerprint, host=socket.gethostname()
                )
                outcome["fingerprint"] = found.digest
            except FingerprintMismatch as refused:
                outcome.update(status="refused", error=refused.message, started=started)
                outcome["ended"] = time.time()
                return outcome
        nb = nbformat.reads(notebook_text, as_version=4)
        nb = inject_parameters(nb, request.overrides, language=request.language)
        nb.metadata["jupyter_env_manager"] = {
            **request.run_metadata,
            "attempt": request.attempt,
            "worker": outcome["worker"],
            "fingerprint": outcome["fingerprint"],
        }
        result = await execute_notebook(
            nb, kernel, metrics=request.metrics, timeout=request.timeout
        )
        outcome.update(
            status=result.status,
            error=result.error,
            started=result.started,
            ended=result.ended,
            metrics=result.metrics,
            missing_metrics=result.missing_metrics,
            notebook=nbformat.writes(result.notebook) if result.notebook is not None else None,
        )
        return outcome
    except asyncio.CancelledError:
        outcome.update(status="cancelled", error="Cancelled.", ended=time.time())
        outcome.setdefault("started", None)
        return outcome
    finally:
        if kernel is not None:
            rt.pool.release(kernel)
        rt.running.get(request.grid_id, set()).discard(task)


def run_point(request: RunRequest, notebook_text: str) -> dict[str, Any]:
    """The Dask task: execute one grid point and return its outcome as plain data."""
    return runtime().call(_run(request, notebook_text))


def _task_threads_here() -> int:
    """Dask task threads in this process: every one of them may draw a kernel at once
    (an embedded cluster runs all its workers in the coordinator's process)."""
    try:
        from distributed import Worker
        from distributed.core import Status

        live = [w for w in list(Worker._instances) if w.status == Status.running]
        return max(1, sum(worker.state.nthreads for worker in live))
    except (ImportError, AttributeError):
        return 1


def begin_grid(
    grid_id: str,
    kernel_name: str,
    cwd: str,
    prefetch: bool = True,
    fork_kernels: bool = True,
    kernel_config: dict[str, Any] | None = None,
) -> bool:
    """Before a grid's tasks: forget an earlier cancel of it (a resume), look for kernels
    where the coordinator does, and start spare kernels now, so the first tasks do not
    wait for them."""
    rt = runtime()
    if kernel_config is not None and kernel_config != rt.kernel_config:
        rt.kernel_config = kernel_config
        rt.pool.forget_spec_manager()
    rt.cancelled.discard(grid_id)
    rt.active.add(grid_id)

    async def start() -> None:
        rt.pool.reserve(kernel_name, _usable_cwd(cwd), _task_threads_here(), fork=fork_kernels)

    if prefetch:
        rt.call(start())
    return True


def cancel_grid(grid_id: str) -> int:
    """Cancel this worker's runs of `grid_id` (their kernels are killed); returns how many."""
    rt = runtime()
    rt.cancelled.add(grid_id)

    async def cancel() -> int:
        tasks = list(rt.running.get(grid_id, ()))
        for task in tasks:
            task.cancel()
        return len(tasks)

    return rt.call(cancel())


def close_pool(grid_id: str) -> bool:
    """End of a grid: unless another grid still runs here, kill spare kernels and kernel
    templates (the pool starts new ones on demand)."""
    if _runtime is None:
        return True
    _runtime.active.discard(grid_id)
    if not _runtime.active:
        _runtime.call(_runtime.pool.close())
    return True
