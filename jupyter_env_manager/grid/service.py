"""Grid searches run by the server: start, follow, cancel, resume, read results.

Each grid keeps its own state in its output folder (see GridStore); the service
only remembers which folders hold the server's grids, in a small SQLite index,
so the list survives restarts. Paths given by users are relative to the
server's root directory and must stay inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from ..core.errors import EnvManagerError, InvalidRequest
from ..core.locks import EnvironmentLocks
from ..core.sqlite_store import open_store
from .errors import GridNotFound
from .kernels import kernel_config_of
from .notebook import inspect_notebook
from .plan import plan_grid
from .results import best_parameters, write_csv
from .runner import GridEvent, GridSearch
from .store import GridStore
from .warm_cluster import DEFAULT_IDLE_TIMEOUT, WarmCluster

GridListener = Callable[[dict[str, Any]], None]


def resolve_inside(root: Path, relative: str, *, what: str) -> Path:
    """`root/relative`, refusing anything that escapes `root` (.., absolute, links)."""
    if not isinstance(relative, str) or not relative.strip():
        raise InvalidRequest(f"'{what}' must be a path relative to the server's root.")
    if any(ord(c) < 32 or ord(c) == 127 for c in relative):
        raise InvalidRequest(f"'{what}' must not contain control characters.")
    candidate = (root / relative.lstrip("/")).resolve()
    if candidate != root and root not in candidate.parents:
        raise InvalidRequest(f"'{what}' must stay inside the server's root directory.")
    return candidate


def _claim_folder(wanted: Path) -> Path:
    """Create and return `wanted`, or `wanted-2`, `wanted-3`... whichever did not exist:
    two grids started in the same second must not share a folder."""
    wanted.parent.mkdir(parents=True, exist_ok=True)
    candidate, count = wanted, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            count += 1
            candidate = wanted.with_name(f"{wanted.name}-{count}")


class GridIndex:
    #: The schema's history, oldest first (see core/sqlite_store.py).
    MIGRATIONS = [
        "CREATE TABLE IF NOT EXISTS grids (id TEXT PRIMARY KEY, out_dir TEXT NOT NULL, "
        "notebook TEXT NOT NULL, created REAL NOT NULL)"
    ]

    def __init__(self, path: Path):
        self._db = open_store(path, self.MIGRATIONS)
        self._lock = threading.Lock()

    def add(self, grid_id: str, out_dir: Path, notebook: Path) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO grids VALUES (?, ?, ?, ?)",
                (grid_id, str(out_dir), str(notebook), time.time()),
            )

    def out_dir(self, grid_id: str) -> Path:
        with self._lock:
            row = self._db.execute("SELECT out_dir FROM grids WHERE id=?", (grid_id,)).fetchone()
        if row is None:
            raise GridNotFound(f"No grid {grid_id!r}.")
        return Path(row[0])

    def all(self) -> list[tuple[str, Path, str, float]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, out_dir, notebook, created FROM grids ORDER BY created DESC"
            ).fetchall()
        return [(r[0], Path(r[1]), r[2], r[3]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class GridService:
    def __init__(
        self,
        root: Path,
        index: GridIndex,
        listener: GridListener,
        *,
        kernel_spec_manager: Any = None,
        scheduler_address: str | None = None,
        fork_kernels: bool = True,
        max_workers: int | None = None,
        locks: EnvironmentLocks | None = None,
        pin_environment: Callable[[Path, str], Awaitable[Any]] | None = None,
        log: logging.Logger | None = None,
        warm_idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    ):
        self.root = root.resolve()
        self.index = index
        self.listener = listener
        self.ksm = kernel_spec_manager
        #: The local cluster (and its kernel templates) kept between grids, closed after
        #: `warm_idle_timeout` seconds unused; None (or a scheduler): one per grid.
        self.warm_cluster = (
            WarmCluster(warm_idle_timeout)
            if warm_idle_timeout is not None and not scheduler_address
            else None
        )
        #: How every grid of this server runs (GridSearch options).
        self.run_options: dict[str, Any] = {
            "scheduler_address": scheduler_address,
            "fork_kernels": fork_kernels,
            "kernel_config": kernel_config_of(kernel_spec_manager),
            "warm_cluster": self.warm_cluster,
        }
        self.max_workers = max_workers
        self.locks = locks
        #: (out_dir, env name) -> keeps the env's pin beside the results.
        self.pin_environment = pin_environment
        self.log = log or logging.getLogger(__name__)
        self._live: dict[str, GridSearch] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def interrupt_unfinished(self) -> list[str]:
        """Grids a previous server left running ended with it: mark them interrupted
        (call at start, before any grid runs). Returns their ids."""
        interrupted = []
        for grid_id, out_dir, _notebook, _created in self.index.all():
            if not GridStore.holds_grid(out_dir):
                continue
            store = GridStore.in_dir(out_dir)
            try:
                if store.interrupt(grid_id):
                    interrupted.append(grid_id)
            except GridNotFound:
                continue
            finally:
                store.close()
        return interrupted

    # -- reading --------------------------------------------------------------

    def inspect(self, notebook: str) -> dict[str, Any]:
        info = inspect_notebook(resolve_inside(self.root, notebook, what="notebook"))
        data = info.to_json()
        data["path"] = notebook
        return data

    @contextlib.contextmanager
    def _reading(self, grid_id: str) -> Iterator[GridSearch]:
        """The grid on a store connection of the caller's own. Readers run in threads;
        a live grid closes its connection when it ends, maybe while one reads."""
        search = GridSearch.open(self.index.out_dir(grid_id), grid_id)
        try:
            yield search
        finally:
            search.store.close()

    def summary(self, grid_id: str, *, with_results: bool = False) -> dict[str, Any]:
        with self._reading(grid_id) as search:
            return self._summary(search, with_results=with_results)

    def _summary(self, search: GridSearch, *, with_results: bool) -> dict[str, Any]:
        grid_id = search.grid_id
        status = search.status()
        live = self._live.get(grid_id)
        if live is not None:
            status.update(live.progress())
        else:
            status["state"] = search.store.grid(grid_id).status  # as last recorded
        plan = search.plan
        status.update(
            notebook=self._shown(Path(search.record.notebook)),
            out_dir=self._shown(search.out_dir),
            metrics=plan["metrics"],
            swept=plan["swept"],
            target=plan["target"],
            active=grid_id in self._tasks,
        )
        if with_results:
            table = search.results_table()
            records = table.records()
            for record in records:
                if record.get("output_notebook"):
                    record["output_notebook"] = self._shown(Path(record["output_notebook"]))
            status["results"] = records
            status["best"] = (
                best_parameters(table, swept=plan["swept"], metric=plan["metrics"][0])
                if plan["metrics"]
                else None
            )
        return status

    def _shown(self, path: Path) -> str:
        """Paths as the file browser shows them: relative to the server's root."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def list(self) -> list[dict[str, Any]]:
        found = []
        for grid_id, out_dir, _notebook, _created in self.index.all():
            if not GridStore.holds_grid(out_dir):
                continue  # the user deleted the folder
            found.append(self.summary(grid_id))
        return found

    def results_csv(self, grid_id: str) -> tuple[str, bytes]:
        with self._reading(grid_id) as search:
            path = search.out_dir / "results.csv"
            if not path.is_file():
                write_csv(search.results_table(), path)
            return path.name, path.read_bytes()

    # -- running --------------------------------------------------------------

    def _emit(self, event: GridEvent) -> None:
        self.listener(event.to_json())

    def start(
        self,
        *,
        notebook: str,
        grid: Any,
        env: str | None,
        kernel: str | None,
        metrics: list[str],
        goal: str,
        workers: int | None,
        seed: int | None,
        repeats: int,
        timeout: float | None,
        out_dir: str | None,
    ) -> dict[str, Any]:
        if workers is not None and self.max_workers is not None and workers > self.max_workers:
            raise InvalidRequest(
                f"'workers' is {workers}; this server runs at most {self.max_workers} at once "
                "(EnvManagerApp.grid_max_workers)."
            )
        notebook_path = resolve_inside(self.root, notebook, what="notebook")
        # Every check that needs no work comes first: a refused grid leaves no trace.
        out = resolve_inside(self.root, out_dir, what="out_dir") if out_dir else None
        if out is not None and GridStore.holds_grid(out):
            raise InvalidRequest(f"{out_dir} already holds a grid; resume it or pick another.")
        plan = plan_grid(
            notebook_path,
            grid,
            kernel_name=kernel,
            env=env,
            metrics=metrics,
            goal=goal,  # type: ignore[arg-type]
            repeats=repeats,
            seed=seed,
            timeout=timeout,
            ksm=self.ksm,
        )
        prefix = plan.target.prefix
        if self.locks is not None and prefix:
            self.locks.check_free(prefix, label=plan.target.env_name or prefix, shared=True)
        if out is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            out = _claim_folder(notebook_path.parent / f"{notebook_path.stem}-grid-{stamp}")
        search = GridSearch.create(
            plan,
            out,
            workers=workers,
            on_event=self._emit,
            **self.run_options,
        )
        self.index.add(search.grid_id, out, notebook_path)
        self._launch(search, rerun_failed=False)
        return self.summary(search.grid_id)

    def _launch(self, search: GridSearch, *, rerun_failed: bool) -> None:
        grid_id = search.grid_id
        self._live[grid_id] = search

        async def run() -> None:
            try:
                await self._pin(search)
                async with self._holding_env(search):
                    await search.run(rerun_failed=rerun_failed)
            except Exception:
                self.log.exception("Grid %s failed", grid_id)
                # Not "running" forever: a resume picks up what did not finish.
                search.store.interrupt(grid_id)
                self.listener(
                    {"grid_id": grid_id, "kind": "grid_finished", "status": "failed",
                     "message": "The grid stopped on an unexpected error; see the server log."}
                )  # fmt: skip
            finally:
                self._tasks.pop(grid_id, None)
                self._live.pop(grid_id, None)
                search.store.close()

        self._tasks[grid_id] = asyncio.ensure_future(run())

    async def _pin(self, search: GridSearch) -> None:
        """Every output notebook carries the environment's pin; a grid without one (an
        env that cannot be exported) still runs, and says so."""
        env_name = search.plan["target"].get("env_name")
        if self.pin_environment is None or not env_name:
            return
        try:
            await self.pin_environment(search.out_dir, env_name)
        except EnvManagerError as error:
            self.log.warning("Grid %s: its outputs carry no environment pin: %s",
                             search.grid_id, error.message)  # fmt: skip

    def _holding_env(self, search: GridSearch) -> Any:
        """The grid's environment must not change under its runs: hold it (shared with
        other readers) for as long as the grid runs."""
        prefix = search.plan["target"].get("prefix")
        if self.locks is None or not prefix:
            return contextlib.nullcontext()
        return self.locks.hold(
            prefix, wait=False, shared=True,
            label=search.plan["target"].get("env_name") or prefix,
            operation=f"grid search {search.grid_id}",
        )  # fmt: skip

    def resume(self, grid_id: str, *, rerun_failed: bool) -> dict[str, Any]:
        if grid_id in self._tasks:
            raise InvalidRequest(f"Grid {grid_id} is already running.")
        search = GridSearch.open(
            self.index.out_dir(grid_id),
            grid_id,
            on_event=self._emit,
            **self.run_options,
        )
        self._launch(search, rerun_failed=rerun_failed)
        return self.summary(grid_id)

    def cancel(self, grid_id: str) -> dict[str, Any]:
        live = self._live.get(grid_id)
        if live is None:
            self.index.out_dir(grid_id)  # 404 for an unknown id
        else:
            live.cancel()
        return self.summary(grid_id)

    async def wait(self, grid_id: str) -> None:
        task = self._tasks.get(grid_id)
        if task is not None:
            await asyncio.shield(task)

    async def shutdown(self) -> None:
        for search in list(self._live.values()):
            search.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self.warm_cluster is not None:
            await self.warm_cluster.close()
        self.index.close()
