"""Tasks: status, progress, log, result; DELETE cancels."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import EnvManagerHandler
from .validation import MAX_LIST_ITEMS


class TasksHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json([task.to_json() for task in self.tasks.list(MAX_LIST_ITEMS)])


class TaskHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.write_json(self.tasks.get(task_id).to_json())

    @web.authenticated
    @authorized
    async def delete(self, task_id: str) -> None:
        self.write_json(self.tasks.cancel(task_id).to_json(), status=202)
