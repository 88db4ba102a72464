"""Drive a grid on Dask: one task per run, retries, exactly-once records, cancel, resume.

`GridSearch` is what a CLI or a server holds: `await run()` executes every
unfinished run of a stored grid and returns a `GridSummary`; `cancel()` stops it
(kernels of running runs are killed; those runs become `cancelled` and `pending`
ones stay pending, so a later `run()` resumes them); `status()` is a snapshot for
polling; `on_event` receives a `GridEvent` for every run start and end.

Cluster: by default an embedded `LocalCluster` with one single-threaded worker per
core (never more workers than runs). Its workers live in this process: each run
already executes in a kernel process of its own, and a worker only drives that
kernel, so worker processes would add a second interpreter start (seconds of
imports on two cores) and no parallelism; `worker_processes=True` asks for them
anyway. Python kernels are forked from a pre-imported template unless
`fork_kernels=False` (see `grid/kernel_pool.py`). With `scheduler_address` the
same tasks go to an existing cluster, whose workers need this package and the
kernel. Where the environment is missing, workers build it from the pin kept beside
the results (`provision`, on by default; see `grid/provision.py`): once per
machine, verified by fingerprint; `provision=False` leaves such workers to refuse.
A server passes a `WarmCluster`: its local cluster and kernel templates then live
on between grids (see `grid/warm_cluster.py`). The Dask scheduler keeps nothing on
disk, so the store is the truth: runs are marked `running` when a worker reports
the start (a worker event), and final outcomes are written once by the coordinator.

Failures: a run whose kernel died is resubmitted on a fresh kernel; a task lost
with its worker is rescheduled by Dask (up to `distributed.scheduler.allowed-failures`),
and a `KilledWorker` or any other task error is resubmitted too; each run gets at
most `max_attempts` submissions, then it is recorded as `failed` with the reason.
A cell error, a timeout or a fingerprint refusal is final at once: repeating it
would give the same answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..notebooks.pin import GRID_PIN_FILE, with_pin
from .distributed_import import import_distributed
from .errors import InvalidGrid
from .execute import notebook_to_text
from .notebook import notebook_hash as compute_notebook_hash
from .notebook import read_notebook
from .plan import GridPlan
from .provision import ProvisionRequest
from .results import ResultsTable, best_parameters, results_table, write_results
from .store import FINAL_STATUSES, GridStore
from .warm_cluster import Lease, WarmCluster, close_cluster, start_local_cluster
from .worker import (
    RunRequest,
    begin_grid,
    cancel_grid,
    close_pool,
    event_topic,
    notebook_folder,
    run_point,
)

if TYPE_CHECKING:
    from .tracking import MlflowTracker

log = logging.getLogger(__name__)

RUNS_SUBDIR = "runs"


@dataclass(frozen=True)
class GridEvent:
    grid_id: str
    #: "grid_started", "provisioned", "run_started", "run_finished", "run_retry",
    #: "grid_finished"
    kind: str
    index: int | None = None
    status: str | None = None
    message: str = ""
    done: int = 0
    total: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GridSummary:
    grid_id: str
    out_dir: str
    state: str
    counts: dict[str, int]
    executed: int
    results_csv: str | None
    results_parquet: str | None
    best: dict[str, Any] | None
    wall_time: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


EventCallback = Callable[[GridEvent], None]


def _ignore(event: GridEvent) -> None:
    pass


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _finished_cleanly(task: asyncio.Task[None] | None) -> bool:
    if task is None or not task.done() or task.cancelled():
        return False
    return task.exception() is None


class GridSearch:
    def __init__(
        self,
        store: GridStore,
        grid_id: str,
        *,
        workers: int | None = None,
        scheduler_address: str | None = None,
        max_attempts: int = 3,
        on_event: EventCallback | None = None,
        prefetch: bool = True,
        worker_processes: bool = False,
        fork_kernels: bool = True,
        tracking: MlflowTracker | None = None,
        kernel_config: dict[str, Any] | None = None,
        provision: bool = True,
        warm_cluster: WarmCluster | None = None,
        lean_import: bool = False,
    ) -> None:
        if workers is not None and workers < 1:
            raise InvalidGrid(f"workers must be at least 1, got {workers}.")
        if max_attempts < 1:
            raise InvalidGrid(f"max_attempts must be at least 1, got {max_attempts}.")
        self.store = store
        self.grid_id = grid_id
        self.record = store.grid(grid_id)
        self.workers = workers
        self.scheduler_address = scheduler_address
        self.max_attempts = max_attempts
        self.on_event = on_event or _ignore
        self.prefetch = prefetch
        self.worker_processes = worker_processes
        self.fork_kernels = fork_kernels
        self.tracking = tracking
        self.kernel_config = kernel_config
        self.provision = provision
        #: A server's kept local cluster (see warm_cluster.py); None: one per run().
        self.warm_cluster = warm_cluster
        #: Import distributed without numpy (see distributed_import.py): only where no
        #: other thread imports meanwhile, as in the CLI.
        self.lean_import = lean_import
        self._lease: Lease | None = None
        self._provision: dict[str, Any] | None = None
        self.state = "created"
        self.running: dict[int, dict[str, Any]] = {}
        self.executed = 0
        self._cancel_requested = False
        self._consumer: asyncio.Task[None] | None = None
        self._client: Any = None
        #: Task key -> future of each run not yet handled (handled ones are dropped, so
        #: Dask forgets their outcomes: a 1,000-point grid holds no 1,000 notebooks).
        self._submitted: dict[str, Any] = {}

    # -- construction ---------------------------------------------------------

    @classmethod
    def create(cls, plan: GridPlan, out_dir: str | Path, **options: Any) -> GridSearch:
        store = GridStore.in_dir(out_dir)
        grid_id = store.create_grid(plan, out_dir)
        return cls(store, grid_id, **options)

    @classmethod
    def open(cls, out_dir: str | Path, grid_id: str | None = None, **options: Any) -> GridSearch:
        """A recorded grid, to resume or re-run its failures."""
        from .errors import GridNotFound

        if not GridStore.holds_grid(out_dir):
            raise GridNotFound(f"No grid to resume in {out_dir} (no grid.sqlite there).")
        store = GridStore.in_dir(out_dir)
        return cls(store, grid_id or store.latest_grid_id(), **options)

    # -- state ----------------------------------------------------------------

    @property
    def plan(self) -> dict[str, Any]:
        return self.record.plan

    @property
    def out_dir(self) -> Path:
        return Path(self.record.out_dir)

    def status(self) -> dict[str, Any]:
        counts = self.store.counts(self.grid_id)
        return {
            "grid_id": self.grid_id,
            "total": sum(counts.values()),
            "done": sum(counts[s] for s in FINAL_STATUSES),
            "counts": counts,
            **self.progress(),
        }

    def progress(self) -> dict[str, Any]:
        """What only this object knows, not the store: its state and running runs."""
        return {"state": self.state, "running": sorted(self.running), "executed": self.executed}

    def _emit(self, kind: str, **fields: Any) -> None:
        counts = self.store.counts(self.grid_id)
        event = GridEvent(
            grid_id=self.grid_id,
            kind=kind,
            done=sum(counts[s] for s in FINAL_STATUSES),
            total=sum(counts.values()),
            **fields,
        )
        try:
            self.on_event(event)
        except Exception:  # a broken listener must not break the grid
            log.exception("grid event callback failed")

    # -- running --------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the grid: running runs are killed and become `cancelled`."""
        self._cancel_requested = True
        if self._consumer is not None and not self._consumer.done():
            self._consumer.cancel()

    def _notebook_text(self) -> str:
        nb = read_notebook(self.record.notebook)
        if compute_notebook_hash(nb) != self.record.notebook_hash:
            raise InvalidGrid(
                f"{self.record.notebook} changed since grid {self.grid_id} was planned; its "
                "results would not be comparable. Start a new grid (another --out)."
            )
        return notebook_to_text(nb)  # checked as it was read

    def _request(self, run: dict[str, Any], attempt: int) -> RunRequest:
        plan = self.plan
        target = plan["target"]
        return RunRequest(
            grid_id=self.grid_id,
            index=run["index"],
            attempt=attempt,
            kernel_name=target["kernel_name"],
            language=target["language"] or plan["language"],
            cwd=notebook_folder(self.record.notebook),
            overrides=run["overrides"],
            metrics=[m["name"] for m in plan["metrics"]],
            timeout=plan["timeout"],
            expected_prefix=target["prefix"],
            expected_fingerprint=plan["fingerprint"],
            fork_kernels=self.fork_kernels,
            provision=self._provision,
            run_metadata={
                "grid": self.grid_id,
                "run": run["index"],
                "replicate": run["replicate"],
                "parameters": run["parameters"],
                "seed": run["seed"],
                "kernel_name": target["kernel_name"],
                "notebook_hash": self.record.notebook_hash,
            },
        )

    async def _start_client(self, n_runs: int) -> tuple[Any, Any]:
        import_distributed(lean=self.lean_import)
        from distributed import Client

        if self.scheduler_address:
            client = await Client(self.scheduler_address, asynchronous=True)
            return client, None
        n_workers = self._local_workers(n_runs)
        if self.warm_cluster is not None:
            # Sized by the workers asked for, not the runs: the next grid reuses it.
            self._lease = await self.warm_cluster.lease(n_workers, processes=self.worker_processes)
            return self._lease.client, None
        return await start_local_cluster(n_workers, self.worker_processes)

    def _provision_request(self) -> dict[str, Any] | None:
        """What workers need to build the grid's environment: its pin, when the pin is of
        the environment the grid was planned in."""
        pin = self._environment_pin() if self.provision else None
        if pin is None or pin.get("fingerprint") != self.plan.get("fingerprint"):
            return None
        if self.kernel_config is not None:
            env_manager = dict(self.kernel_config.get("EnvManager") or {})
        else:
            from ..cli.config import load_config

            env_manager = dict(load_config().get("EnvManager") or {})
        try:
            return ProvisionRequest.from_pin(pin, env_manager).to_json()
        except (KeyError, TypeError):
            log.warning("grid %s: its environment pin is damaged; workers will not "
                        "provision", self.grid_id)  # fmt: skip
            return None

    def _on_worker_event(self, event: tuple[float, dict[str, Any]]) -> None:
        _, message = event
        if message.get("event") == "provisioned":
            text = f"{message.get('process')}: environment {message.get('how')}"
            self._emit("provisioned", message=f"{text} in {message.get('seconds')} s",
                       details=dict(message))  # fmt: skip
            return
        # Worker events travel through the scheduler: a start reported after a cancel
        # arrives once its run is already marked stopped and must not revive it.
        if message.get("event") != "started" or self._cancel_requested:
            return
        index = int(message["index"])
        self.running[index] = message
        self.store.mark_running(
            self.grid_id,
            index,
            started=float(message["time"]),
            worker=str(message.get("process") or message.get("worker")),
        )
        self._emit("run_started", index=index, status="running", details=dict(message))

    def _save_notebook(self, index: int, text: str | None) -> str | None:
        if text is None:
            return None
        pin = self._environment_pin()
        if pin is not None:
            text = with_pin(text, pin)
        folder = self.out_dir / RUNS_SUBDIR
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"run-{index:04d}.ipynb"
        tmp = path.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return str(path)

    def _environment_pin(self) -> dict[str, Any] | None:
        """The pin kept beside the results (see notebooks.environments.pin_grid)."""
        try:
            return json.loads((self.out_dir / GRID_PIN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _record(self, index: int, outcome: dict[str, Any], status: str, error: str | None) -> None:
        final = {
            "status": status,
            "started": outcome.get("started"),
            "ended": outcome.get("ended") or time.time(),
            "error": error,
            "output": self._save_notebook(index, outcome.get("notebook")),
            "metrics": outcome.get("metrics"),
            "worker": outcome.get("worker"),
            "fingerprint": outcome.get("fingerprint"),
        }
        recorded = self.store.finish_run(self.grid_id, index, **final)
        self.running.pop(index, None)
        if recorded:
            self.executed += 1
            if self.tracking is not None:
                self.tracking.log_run(self, index, final)
            self._emit("run_finished", index=index, status=status, message=error or "")

    async def _consume(self, client: Any, runs: list[dict[str, Any]], notebook: str) -> None:
        from distributed import as_completed

        by_index = {run["index"]: run for run in runs}
        keys: dict[str, tuple[int, int]] = {}

        def submit(index: int, attempt: int) -> Any:
            key = f"jem-grid-{self.grid_id}-{index}-{attempt}"
            keys[key] = (index, attempt)
            request = self._request(by_index[index], attempt)
            future = client.submit(run_point, request, notebook, key=key, pure=False)
            self._submitted[key] = future
            return future

        futures = as_completed([submit(index, 1) for index in sorted(by_index)])
        async for future in futures:
            index, attempt = keys.pop(future.key)
            self._submitted.pop(future.key, None)
            if future.status == "cancelled":
                continue
            if future.status == "error":
                error = await future.exception()
                outcome: dict[str, Any] = {
                    "status": "lost",
                    "error": f"{type(error).__name__}: {error}",
                }
            else:
                outcome = await future
            future.release()
            del future
            status = outcome["status"]
            if status == "cancelled":
                continue
            if status in ("kernel_died", "lost"):
                if attempt < self.max_attempts:
                    self._emit(
                        "run_retry", index=index, status=status, message=str(outcome.get("error"))
                    )
                    futures.add(submit(index, attempt + 1))
                    continue
                self._record(
                    index,
                    outcome,
                    "failed",
                    f"Gave up after {attempt} attempts; last: {outcome.get('error')}",
                )
                continue
            self._record(index, outcome, status, outcome.get("error"))

    async def _stop_workers(self, client: Any) -> None:
        try:
            # Queued tasks first, so none starts after the running ones are killed.
            await client.cancel(list(self._submitted.values()))
            await client.run(cancel_grid, self.grid_id, on_error="return")
        except Exception as error:  # noqa: BLE001 - workers may already be gone
            log.debug("cancel on workers failed: %s", error)

    async def run(self, *, rerun_failed: bool = False) -> GridSummary:
        """Execute every unfinished run (and failed ones when asked); returns the summary."""
        started = time.monotonic()
        if rerun_failed:
            self.store.reset_failed(self.grid_id)
        runs = self.store.unfinished_runs(self.grid_id)
        self._cancel_requested = False
        self._submitted = {}
        self.executed = 0
        self.state = "running"
        self.store.set_grid_status(self.grid_id, "running")
        if runs:
            notebook = self._notebook_text()
            self._provision = self._provision_request()
            if not self.scheduler_address and not self.worker_processes:
                # The workers will live in this process and share its kernel pool:
                # start the kernel template and the first kernels now, so they boot
                # (a process of their own) while Dask is imported and started here.
                await asyncio.to_thread(
                    begin_grid, *self._begin_arguments(len(runs)),
                    threads=self._local_workers(len(runs)),
                )  # fmt: skip
            try:
                client, cluster = await self._start_client(len(runs))
            except BaseException:
                # No cluster, so no `_shutdown`: end what the early start began here.
                await asyncio.to_thread(close_pool, self.grid_id)
                raise
            self._client = client
            topic = event_topic(self.grid_id)
            try:
                client.subscribe_topic(topic, self._on_worker_event)
                await client.run(begin_grid, *self._begin_arguments(len(runs)), on_error="return")
                self._emit("grid_started", message=f"{len(runs)} runs to do")
                self._consumer = asyncio.ensure_future(self._consume(client, runs, notebook))
                if self._cancel_requested:
                    self._consumer.cancel()
                try:
                    await self._consumer
                except asyncio.CancelledError:
                    if not self._cancel_requested:
                        raise
            finally:
                if not _finished_cleanly(self._consumer):
                    await self._stop_workers(client)
                    self.store.mark_stopped(self.grid_id, list(self.running))
                    self.running.clear()
                await self._shutdown(client, cluster, topic)
        self.state = "cancelled" if self._cancel_requested else "finished"
        self.store.set_grid_status(self.grid_id, self.state)
        summary = self._summarize(time.monotonic() - started)
        self._emit("grid_finished", status=self.state)
        return summary

    def _begin_arguments(self, n_runs: int) -> tuple[Any, ...]:
        """`worker.begin_grid`'s arguments for this grid."""
        return (
            self.grid_id,
            self.plan["target"]["kernel_name"],
            notebook_folder(self.record.notebook),
            self.prefetch,
            self.fork_kernels,
            self.kernel_config,
            self._provision,
            self._warm_key(),
            None if self.warm_cluster is not None else n_runs,
        )

    def _local_workers(self, n_runs: int) -> int:
        """Workers of the local cluster: a kept one is sized for the next grid too."""
        if self.warm_cluster is not None:
            return self.workers or default_workers()
        return min(self.workers or default_workers(), max(1, n_runs))

    def _warm_key(self) -> str | None:
        """What a kept cluster's spares and templates may be reused for: this kernel in
        this environment as fingerprinted (None: nothing kept)."""
        target, fingerprint = self.plan["target"], self.plan.get("fingerprint")
        if self.warm_cluster is None or not fingerprint:
            return None
        return f"{target['kernel_name']}|{target.get('prefix')}|{fingerprint}"

    async def _shutdown(self, client: Any, cluster: Any, topic: str) -> None:
        lease, self._lease = self._lease, None
        kept = lease is not None and lease.kept
        try:
            client.unsubscribe_topic(topic)
            warm_key = self._warm_key() if kept else None
            await client.run(close_pool, self.grid_id, warm_key, on_error="return")
        except Exception as error:  # noqa: BLE001 - closing must finish regardless
            log.debug("closing kernel pools failed: %s", error)
        finally:
            self._client = None
            if lease is not None and self.warm_cluster is not None:
                await self.warm_cluster.give_back(lease)
            else:
                await close_cluster(client, cluster, pools=False)

    def results_table(self) -> ResultsTable:
        """The results table as recorded right now."""
        plan = self.plan
        return results_table(
            self.store.runs(self.grid_id), swept=plan["swept"], metrics=plan["metrics"]
        )

    def results(self) -> Any:
        """The results table as a pandas DataFrame."""
        return self.results_table().to_frame()

    def _summarize(self, wall_time: float) -> GridSummary:
        plan = self.plan
        table = self.results_table()
        csv_path, parquet_path = write_results(table, self.out_dir)
        best = (
            best_parameters(table, swept=plan["swept"], metric=plan["metrics"][0])
            if plan["metrics"]
            else None
        )
        return GridSummary(
            grid_id=self.grid_id,
            out_dir=str(self.out_dir),
            state=self.state,
            counts=self.store.counts(self.grid_id),
            executed=self.executed,
            results_csv=str(csv_path),
            results_parquet=str(parquet_path),
            best=best,
            wall_time=wall_time,
        )
