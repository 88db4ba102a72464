"""The Jupyter server extension application."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Integer, Unicode, default

from . import __version__
from .core.errors import EnvManagerError
from .core.manager import EnvManager
from .events import (
    ENVIRONMENTS_EVENT_SCHEMA_ID,
    GRID_EVENT_SCHEMA_ID,
    SCHEMA_FILES,
    TASK_EVENT_SCHEMA_ID,
)
from .grid.service import GridIndex, GridService
from .handlers.routes import api_routes
from .kernels import registration, server_route
from .kernels.spec_manager import EnvKernelSpecManager
from .kernels.watcher import EnvironmentWatcher
from .tasks.runner import TaskRunner
from .tasks.store import TaskStore


class EnvManagerApp(ExtensionApp):
    name = "jupyter_env_manager"
    description = "Manage conda environments and virtualenvs, and run notebook grid searches."
    version = __version__
    load_other_extensions = True
    classes = [EnvManager]

    tasks_db = Unicode(help="SQLite file holding the task history.").tag(config=True)

    grid_scheduler = Unicode(
        "",
        help=(
            "Address of an existing Dask scheduler (tcp://host:port) to run grid searches "
            "on; empty: a local cluster sized to this machine."
        ),
    ).tag(config=True)

    grid_fork_kernels = Bool(
        True,
        help=(
            "Fork grid runs' Python kernels from a pre-imported template process (a kernel "
            "start then costs a fraction of the CPU); False launches each as a new process."
        ),
    ).tag(config=True)

    grid_max_workers = Integer(
        help="Most workers one grid search may ask for. Default: twice the CPU count."
    ).tag(config=True)

    @default("grid_max_workers")
    def _default_grid_max_workers(self) -> int:
        return 2 * (os.cpu_count() or 1)

    write_kernelspecs = Bool(
        True,
        help=(
            "When another kernel spec manager is in charge (configured by the user, a "
            "JupyterHub image, nb_conda_kernels), keep a kernelspec file per environment "
            "kernel in the user's Jupyter data dir, so environments are kernels there too."
        ),
    ).tag(config=True)

    watch_interval = Float(
        1.0, help="Seconds between looks for environments made or removed outside the server."
    ).tag(config=True)

    warm_search_index = Bool(
        True, help="Load the default channels' package index in the background at start."
    ).tag(config=True)

    @default("tasks_db")
    def _default_tasks_db(self) -> str:
        return os.path.join(jupyter_data_dir(), "env_manager", "tasks.sqlite")

    def _link_jupyter_server_extension(self, serverapp) -> None:  # type: ignore[no-untyped-def]
        super()._link_jupyter_server_extension(serverapp)
        # Linking comes before the server builds its kernel spec manager: the one
        # moment the extension can still choose it.
        server_route.take_over_spec_manager(serverapp)

    def _env_kernel_specs(self) -> EnvKernelSpecManager:
        """The server's manager when it is ours, else a private one for our own uses."""
        ksm = self.serverapp.kernel_spec_manager
        if isinstance(ksm, EnvKernelSpecManager):
            return ksm
        return EnvKernelSpecManager(parent=self.serverapp, log=self.log)

    def initialize_settings(self) -> None:
        self.manager = EnvManager(parent=self, log=self.log)
        self.kernel_route = server_route.route_for(
            self.serverapp, write_kernelspecs=self.write_kernelspecs
        )
        if self.kernel_route.message:
            self.log.warning("jupyter-env-manager: %s", self.kernel_route.message)
        self.env_kernel_specs = self._env_kernel_specs()
        files = self.kernel_route.env_kernels == server_route.KERNELSPEC_FILES
        self.watcher = EnvironmentWatcher(
            self.env_kernel_specs,
            self._emit_environments_event,
            kernelspec_dir=registration.destination(user=True) if files else None,
            interval=self.watch_interval,
            log=self.log,
        )
        for schema in SCHEMA_FILES:
            self.serverapp.event_logger.register_event_schema(schema)
        self.task_store = TaskStore(Path(self.tasks_db))
        self.tasks = TaskRunner(self.task_store, self._emit_task_event, self.log)
        self.grids = GridService(
            Path(self.serverapp.root_dir),
            GridIndex(Path(self.tasks_db).with_name("grids.sqlite")),
            self._emit_grid_event,
            kernel_spec_manager=self.env_kernel_specs,
            scheduler_address=self.grid_scheduler or None,
            fork_kernels=self.grid_fork_kernels,
            max_workers=self.grid_max_workers,
            locks=self.manager.locks,
            pin_environment=self._pin_grid,
            log=self.log,
        )
        for grid_id in self.grids.interrupt_unfinished():
            self.log.warning("Grid %s was interrupted; resume it from the Grid searches view",
                             grid_id)  # fmt: skip
        # Whatever a previous server left running ended with it: say so, and take
        # away environments it did not finish building.
        for task in self.task_store.interrupt_unfinished():
            self.log.warning("Task %s (%s %s) was interrupted", task.id, task.operation,
                             task.environment)  # fmt: skip
        self.manager.clean_interrupted_builds()
        if self.warm_search_index:
            self.serverapp.io_loop.add_callback(self._warm_search)
        self.serverapp.io_loop.add_callback(self.watcher.start)

    async def _pin_grid(self, out_dir: Path, env_name: str) -> None:
        from .notebooks.environments import pin_grid

        await pin_grid(self.manager, self.env_kernel_specs, out_dir, env_name)

    def _warm_search(self) -> None:
        try:
            self.manager.warm_search()
        except EnvManagerError as error:  # e.g. no engine for the configured default
            self.log.info("Not warming the package index: %s", error.message)

    def _emit_task_event(self, data: dict[str, object]) -> None:
        self.serverapp.event_logger.emit(schema_id=TASK_EVENT_SCHEMA_ID, data=data)

    def _emit_environments_event(self, data: dict[str, object]) -> None:
        self.serverapp.event_logger.emit(schema_id=ENVIRONMENTS_EVENT_SCHEMA_ID, data=data)

    def _emit_grid_event(self, data: dict[str, object]) -> None:
        self.serverapp.event_logger.emit(schema_id=GRID_EVENT_SCHEMA_ID, data=data)

    def initialize_handlers(self) -> None:
        self.handlers.extend(api_routes())

    async def stop_extension(self) -> None:
        await self.watcher.stop()
        await self.grids.shutdown()
        await self.tasks.shutdown()
        await self.manager.aclose()
        self.task_store.close()
