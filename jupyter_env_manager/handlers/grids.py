"""Grid searches over REST: inspect a notebook, start, follow, cancel, resume, download."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.errors import InvalidRequest
from ..grid.service import GridService
from ..grid.spec import grid_from_sweeps
from ..grid.value_fields import preview
from .base import EnvManagerHandler
from .validation import boolean, optional_str, required_str, str_list

START_FIELDS = {
    "notebook", "grid", "sweeps", "env", "kernel", "metrics", "goal", "workers", "seed",
    "repeats", "timeout", "out_dir",
}  # fmt: skip


def _optional_int(data: dict, key: str, minimum: int) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidRequest(f"'{key}' must be a whole number of at least {minimum}.")
    return value


class GridHandlerBase(EnvManagerHandler):
    @property
    def grids(self) -> GridService:
        return self.extensionapp.grids


class GridsHandler(GridHandlerBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(await asyncio.to_thread(self.grids.list))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body(START_FIELDS)
        if ("grid" in body) == ("sweeps" in body):
            raise InvalidRequest("Give the grid either as 'grid' or as 'sweeps', not both.")
        grid = body["grid"] if "grid" in body else grid_from_sweeps(str_list(body, "sweeps"))
        timeout = body.get("timeout")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float))
        ):
            raise InvalidRequest("'timeout' must be a number of seconds.")
        goal = optional_str(body, "goal") or "max"
        if goal not in ("max", "min"):
            raise InvalidRequest("'goal' must be 'max' or 'min'.")
        # Planning reads the notebook and the environment's file list: quick, and the
        # grid task it launches must be created on the event loop.
        summary = self.grids.start(
            notebook=required_str(body, "notebook"),
            grid=grid,
            env=optional_str(body, "env"),
            kernel=optional_str(body, "kernel"),
            metrics=str_list(body, "metrics"),
            goal=goal,
            workers=_optional_int(body, "workers", 1),
            seed=_optional_int(body, "seed", 0),
            repeats=_optional_int(body, "repeats", 1) or 1,
            timeout=timeout,
            out_dir=optional_str(body, "out_dir"),
        )
        self.write_json(summary, status=202)


class GridInspectHandler(GridHandlerBase):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body({"notebook"})
        notebook = required_str(body, "notebook")
        self.write_json(await asyncio.to_thread(self.grids.inspect, notebook))


class GridValuesHandler(GridHandlerBase):
    """Parse the grid form's raw value fields with the CLI's grammar, for its preview."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body({"values"})
        fields = body.get("values")
        if not isinstance(fields, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fields.items()
        ):
            raise InvalidRequest("'values' must map parameter names to the text typed for them.")
        self.write_json(preview(fields))


class GridHandler(GridHandlerBase):
    @web.authenticated
    @authorized
    async def get(self, grid_id: str) -> None:
        summary = await asyncio.to_thread(self.grids.summary, grid_id, with_results=True)
        self.write_json(summary)

    @web.authenticated
    @authorized
    async def delete(self, grid_id: str) -> None:
        self.write_json(self.grids.cancel(grid_id), status=202)


class GridResumeHandler(GridHandlerBase):
    @web.authenticated
    @authorized
    async def post(self, grid_id: str) -> None:
        body = self.json_body({"rerun_failed"}) if self.request.body.strip() else {}
        summary = self.grids.resume(grid_id, rerun_failed=boolean(body, "rerun_failed"))
        self.write_json(summary, status=202)


class GridResultsHandler(GridHandlerBase):
    @web.authenticated
    @authorized
    async def get(self, grid_id: str) -> None:
        filename, content = await asyncio.to_thread(self.grids.results_csv, grid_id)
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.finish(content, set_content_type="text/csv; charset=utf-8")
