"""Disk use of environments and package caches, and cleaning the caches."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core import disk_report
from .base import EnvManagerHandler
from .validation import boolean

#: The task list names what a task works on; a clean works on no one environment.
CLEAN_TASK_SUBJECT = "package caches"


class DiskHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        # Walking prefixes and caches takes a while: never on the event loop.
        self.write_json(await asyncio.to_thread(disk_report.report, self.manager))


class CleanHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        dry_run = boolean(self.json_body({"dry_run"}), "dry_run")
        if dry_run:
            plan = await asyncio.to_thread(disk_report.clean, self.manager, dry_run=True)
            self.write_json(plan)
            return

        disk_report.check_no_change_running(self.manager)  # 409 now, not a failed task

        async def work(progress):  # type: ignore[no-untyped-def]
            return await asyncio.to_thread(disk_report.clean, self.manager, dry_run=False)

        self.accepted(self.tasks.submit("clean", CLEAN_TASK_SUBJECT, work))
