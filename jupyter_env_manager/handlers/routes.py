"""The extension's URL table, relative to the server's base_url."""

from __future__ import annotations

from .disk import CleanHandler, DiskHandler
from .environments import CloneHandler, EnvironmentHandler, EnvironmentsHandler, ExportHandler
from .grids import (
    GridHandler,
    GridInspectHandler,
    GridResultsHandler,
    GridResumeHandler,
    GridsHandler,
    GridValuesHandler,
)
from .history import HistoryHandler, RollbackHandler
from .info import InfoHandler
from .kernels import KernelHandler
from .notebooks import PinHandler, PinStatusHandler, ReproduceHandler
from .packages import PackagesHandler, SearchHandler
from .tasks import TaskHandler, TasksHandler

API_PREFIX = "/env-manager/api"
# Names may be URL-encoded prefix paths, so anything but a raw slash.
_ENV = r"(?P<name>[^/]+)"
_GRID = r"(?P<grid_id>[0-9a-f]{8,64})"


def api_routes() -> list[tuple[str, type]]:
    return [
        (rf"{API_PREFIX}/info", InfoHandler),
        (rf"{API_PREFIX}/environments", EnvironmentsHandler),
        (rf"{API_PREFIX}/environments/{_ENV}", EnvironmentHandler),
        (rf"{API_PREFIX}/environments/{_ENV}/clone", CloneHandler),
        (rf"{API_PREFIX}/environments/{_ENV}/export", ExportHandler),
        (rf"{API_PREFIX}/environments/{_ENV}/packages", PackagesHandler),
        (rf"{API_PREFIX}/environments/{_ENV}/kernel", KernelHandler),
        (rf"{API_PREFIX}/environments/{_ENV}/history", HistoryHandler),
        (rf"{API_PREFIX}/environments/{_ENV}/rollback", RollbackHandler),
        (rf"{API_PREFIX}/disk", DiskHandler),
        (rf"{API_PREFIX}/disk/clean", CleanHandler),
        (rf"{API_PREFIX}/packages/search", SearchHandler),
        (rf"{API_PREFIX}/notebooks/pin", PinHandler),
        (rf"{API_PREFIX}/notebooks/status", PinStatusHandler),
        (rf"{API_PREFIX}/notebooks/reproduce", ReproduceHandler),
        (rf"{API_PREFIX}/grids", GridsHandler),
        (rf"{API_PREFIX}/grids/inspect", GridInspectHandler),
        (rf"{API_PREFIX}/grids/values", GridValuesHandler),
        (rf"{API_PREFIX}/grids/{_GRID}", GridHandler),
        (rf"{API_PREFIX}/grids/{_GRID}/resume", GridResumeHandler),
        (rf"{API_PREFIX}/grids/{_GRID}/results", GridResultsHandler),
        (rf"{API_PREFIX}/tasks", TasksHandler),
        (rf"{API_PREFIX}/tasks/(?P<task_id>[0-9a-f]{{32}})", TaskHandler),
    ]
