from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.info import collect_info
from .base import EnvManagerHandler


class InfoHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        # The first call probes tools with subprocesses; keep the event loop free.
        info = await asyncio.to_thread(collect_info, self.manager.conda_executable or None)
        info["default_engine"] = self.manager.default_engine_info()
        info["kernels"] = self.extensionapp.kernel_route.to_json()
        self.write_json(info)
