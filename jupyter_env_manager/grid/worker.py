"""What runs inside a Dask worker: one task per grid point.

Each process running workers holds one `KernelPool` on a private asyncio loop in a
daemon thread (Dask runs tasks in plain threads; the kernel and nbclient APIs are async).
The task thread waits for its run on that loop. The coordinator reaches a worker
outside the task queue with `Client.run`: to start spare kernels before the first
task (`begin_grid`), to kill the kernels of a cancelled grid (`cancel_grid`) and to
drop spares at the end (`close_pool`).

Before executing, the worker computes the fingerprint of the environment its
kernel really runs in (the kernel reports `sys.prefix`) and refuses the run when
it differs from the fingerprint recorded when the grid was planned.

A request that carries `provision` (the grid's pinned lock) may run where the
environment is missing: unless the kernel the coordinator named is here with the
planned fingerprint, the worker builds the environment from the lock once per
machine (`grid/provision.py`) and runs its kernels from there, through a kernel
pool of their own. Every run of the process shares that one placement.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..kernels.templates import on_template_request
from .errors import FingerprintMismatch
from .execute import execute_notebook, notebook_from_text, notebook_to_text
from .fingerprint import check_fingerprint, compute_fingerprint
from .kernel_pool import KernelPool
from .kernels import default_spec_manager
from .notebook import inject_parameters
from .provision import (
    Provisioned,
    ProvisionRefused,
    ProvisionRequest,
    ensure_environment,
    spec_manager_config,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


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
    #: `ProvisionRequest.to_json()`: build the environment here when it is missing.
    provision: dict[str, Any] | None = None


@dataclass
class _Placement:
    """Where a grid's kernels start in this process: the pool and the kernel's name."""

    pool: KernelPool
    kernel_name: str
    provisioned: Provisioned | None = None
    #: The coordinator has heard about the provisioning (one event per placement).
    announced: bool = False


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
        #: Fingerprint -> where its kernels run (the default pool, or a provisioned env's).
        self.placements: dict[str, asyncio.Future[_Placement]] = {}
        self.provisioned_pools: dict[str, KernelPool] = {}
        #: What the kept spares and templates were made for (see `begin_grid`'s warm_key).
        self.warm_key: str | None = None
        self.background: set[asyncio.Future[Any]] = set()

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


def notebook_folder(notebook: str | Path) -> str:
    """Where a grid's kernels start: the folder of the notebook, as its path was given."""
    return str(Path(notebook).parent)


def _matches_here(pool: KernelPool, kernel_name: str, fingerprint: str) -> bool:
    """The kernel the coordinator named is here, in an env with the planned packages."""
    find = getattr(pool.spec_manager(False), "find_env_kernel", None)
    env_kernel = find(kernel_name) if find is not None else None
    if env_kernel is None:
        return False
    return compute_fingerprint(env_kernel.env.prefix).digest == fingerprint


def _provisioned_pool(rt: _Runtime, done: Provisioned) -> KernelPool:
    pool = rt.provisioned_pools.get(done.fingerprint)
    if pool is None:
        config = spec_manager_config(Path(done.home))
        pool = KernelPool(lambda: default_spec_manager(config))
        rt.provisioned_pools[done.fingerprint] = pool
    return pool


def _kernel_of(pool: KernelPool, wanted: str, env_name: str) -> str:
    """The coordinator's kernel name when the rebuilt env has it (the same env name gives
    the same kernel names), else the env's Python kernel."""
    ksm = pool.spec_manager(False)
    names = sorted(ksm.find_kernel_specs())
    if wanted in names:
        return wanted
    for name in names:
        spec = ksm.get_kernel_spec(name)
        if (spec.language or "").lower() == "python":
            return name
    raise ProvisionRefused(
        f"The environment {env_name!r} was rebuilt from its lock here but has no Jupyter "
        "kernel (pin an environment with ipykernel)."
    )


async def _placement(rt: _Runtime, kernel_name: str, provision: ProvisionRequest) -> _Placement:
    if _matches_here(rt.pool, kernel_name, provision.fingerprint):
        return _Placement(rt.pool, kernel_name)
    done = await ensure_environment(provision)
    pool = _provisioned_pool(rt, done)
    return _Placement(pool, _kernel_of(pool, kernel_name, provision.name), done)


async def _place(
    rt: _Runtime, kernel_name: str, provision_json: dict[str, Any] | None
) -> _Placement:
    """Where a grid's kernels start; provisions the environment first when asked to."""
    if provision_json is None:
        return _Placement(rt.pool, kernel_name)
    provision = ProvisionRequest.from_json(provision_json)
    future = rt.placements.get(provision.fingerprint)
    if future is None:
        future = asyncio.ensure_future(_placement(rt, kernel_name, provision))
        rt.placements[provision.fingerprint] = future
    try:
        # Shielded: a cancelled run must not stop a build other runs wait for.
        return await asyncio.shield(future)
    except ProvisionRefused:
        raise  # final: every run here gets the same answer
    except Exception:
        # Anything else (a network error, a full disk) may pass: the next run tries again.
        if rt.placements.get(provision.fingerprint) is future:
            del rt.placements[provision.fingerprint]
        raise


async def _forget_placement(rt: _Runtime, fingerprint: str) -> None:
    future = rt.placements.get(fingerprint)
    if future is not None and future.done():
        del rt.placements[fingerprint]


def _announce(request: RunRequest, placement: _Placement) -> None:
    if placement.provisioned is None or placement.announced:
        return
    placement.announced = True
    _log_event(
        request.grid_id,
        {"event": "provisioned", "process": _worker_name(), **placement.provisioned.to_json()},
    )


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
    pool = rt.pool
    try:
        try:
            placement = await _place(rt, request.kernel_name, request.provision)
        except ProvisionRefused as refused:
            outcome.update(status="refused", error=refused.message, started=None)
            outcome["ended"] = time.time()
            return outcome
        pool = placement.pool
        _announce(request, placement)
        kernel = await pool.acquire(
            placement.kernel_name,
            _usable_cwd(request.cwd),
            fork=request.fork_kernels,
            grid=request.grid_id,
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
        nb = notebook_from_text(notebook_text)
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
            notebook=notebook_to_text(result.notebook) if result.notebook is not None else None,
        )
        return outcome
    except asyncio.CancelledError:
        outcome.update(status="cancelled", error="Cancelled.", ended=time.time())
        outcome.setdefault("started", None)
        return outcome
    finally:
        if kernel is not None:
            pool.release(kernel)
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
    provision: dict[str, Any] | None = None,
    warm_key: str | None = None,
    runs: int | None = None,
    threads: int | None = None,
) -> bool:
    """Before a grid's tasks: forget an earlier cancel of it (a resume), look for kernels
    where the coordinator does, and start spare kernels now, so the first tasks do not
    wait for them. With `provision`, the environment is found or built first, in the
    background (its tasks wait for the same placement).

    `warm_key` names what an earlier grid on a kept cluster left warm (kernel, env
    prefix, env fingerprint): spares and templates kept for another key, or while the
    kernel config changed, are closed first, so no grid forks from a template whose
    imports predate a change to its environment.

    `runs`: how many runs the grid has (at most what this process will run); spare
    kernels then stop once every run has one. None (a kept cluster) keeps spares
    starting, for the next grid. `threads`: how many runs may draw kernels here at
    once (default: the Dask task threads of this process's running workers)."""
    rt = runtime()
    stale = rt.warm_key is not None and rt.warm_key != warm_key
    if kernel_config is not None and kernel_config != rt.kernel_config:
        rt.kernel_config = kernel_config
        rt.pool.forget_spec_manager()
        stale = stale or rt.warm_key is not None
    if stale and not rt.active:
        rt.call(_close_pools(rt))
    rt.warm_key = None
    rt.cancelled.discard(grid_id)
    rt.active.add(grid_id)
    if provision is not None:
        # Each grid looks again (milliseconds when the machine has it): the cached env may
        # have been cleaned up, or the env made here since, between two grids.
        rt.call(_forget_placement(rt, str(provision["fingerprint"])))

    threads = threads or _task_threads_here()

    async def place_and_start() -> None:
        try:
            placement = await _place(rt, kernel_name, provision)
        except Exception as error:  # noqa: BLE001 - the runs report it, each with its outcome
            log.info("grid %s: no placement yet: %s", grid_id, error)
            return
        if prefetch:
            placement.pool.reserve(
                placement.kernel_name,
                _usable_cwd(cwd),
                threads,
                fork=fork_kernels,
                grid=grid_id,
                runs=runs,
            )

    async def start() -> None:
        if provision is None:
            if prefetch:
                rt.pool.reserve(
                    kernel_name, _usable_cwd(cwd), threads, fork=fork_kernels,
                    grid=grid_id, runs=runs,
                )  # fmt: skip
            return
        rt.background.add(task := asyncio.ensure_future(place_and_start()))
        task.add_done_callback(rt.background.discard)

    rt.call(start())
    return True


#: Seconds `prestart_kernel` waits at most for its start to reach the template.
PRESTART_WAIT = 0.5


def prestart_kernel(kernel_name: str, notebook: str | Path) -> None:
    """Start one kernel for a grid not planned yet; returns once the start has its
    template process (spawned, not necessarily ready).

    The kernel is a spare like those `begin_grid` starts (same kernel name, folder and
    forking), so the grid's first run takes it; a grid refused or planned for another
    kernel leaves it to `close_pool`."""
    rt = runtime()
    cwd = _usable_cwd(notebook_folder(notebook))
    # Until then the caller waits: the start's preparation (spec lookup, provisioner,
    # ports) would otherwise share the GIL with the caller's imports, and reach a
    # template that is not spawned yet a tenth of a second later.
    reached = threading.Event()
    stop_listening = on_template_request(reached.set)

    def reserve() -> None:
        for task in rt.pool.reserve(kernel_name, cwd):
            # A kernel that needs no template (or cannot have one) ends the wait too.
            task.add_done_callback(lambda _: reached.set())

    try:
        rt.loop.call_soon_threadsafe(reserve)
        reached.wait(PRESTART_WAIT)
    finally:
        stop_listening()


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


async def _close_pools(rt: _Runtime, keep_warm: bool = False) -> None:
    for pool in [rt.pool, *rt.provisioned_pools.values()]:
        await pool.close(keep_warm=keep_warm)


def close_pool(grid_id: str | None, warm_key: str | None = None) -> bool:
    """End of a grid: unless another grid still runs here, kill spare kernels and kernel
    templates (the pool starts new ones on demand). With a `warm_key` (a kept cluster)
    spares and templates stay for the next grid of the same key; `grid_id` None (the
    kept cluster closing) closes everything."""
    if _runtime is None:
        return True
    if grid_id is not None:
        _runtime.active.discard(grid_id)
        for pool in [_runtime.pool, *_runtime.provisioned_pools.values()]:
            _runtime.loop.call_soon_threadsafe(pool.forget_grid, grid_id)
    if not _runtime.active:
        _runtime.call(_close_pools(_runtime, keep_warm=warm_key is not None))
        _runtime.warm_key = warm_key
    return True
