"""Notebooks that carry their environment over REST: pin, status, reproduce.

Notebook paths are relative to the server's root, as the file browser shows them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..grid.service import resolve_inside
from ..notebooks.environments import pin_notebook, reproduce, required_pin, status
from .base import EnvManagerHandler
from .validation import optional_str, required_str


class NotebookHandlerBase(EnvManagerHandler):
    def notebook(self, relative: str) -> Path:
        root = Path(self.serverapp.root_dir).resolve()
        return resolve_inside(root, relative, what="path")


class PinHandler(NotebookHandlerBase):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body({"path", "env"})
        path = self.notebook(required_str(body, "path"))
        pin, changed = await pin_notebook(
            self.manager, self.extensionapp.env_kernel_specs, path, required_str(body, "env")
        )
        self.write_json({"pin": pin.to_json(), "changed": changed})


class PinStatusHandler(NotebookHandlerBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.notebook(self.get_query_argument("path", ""))
        found = await asyncio.to_thread(status, self.manager, path)
        self.write_json(found.to_json())


class ReproduceHandler(NotebookHandlerBase):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body({"path", "name"})
        relative = required_str(body, "path")
        path = self.notebook(relative)
        name = optional_str(body, "name")
        required_pin(path)  # a notebook without a usable pin is a 400 now, not a failed task
        ksm = self.extensionapp.env_kernel_specs

        async def work(progress):  # type: ignore[no-untyped-def]
            return await reproduce(self.manager, ksm, path, name, progress=progress)

        self.accepted(self.tasks.submit("reproduce", name or relative, work))
