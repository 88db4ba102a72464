"""An environment's revisions, and rolling it back to one (previewed first)."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core import history, rollback
from ..core.errors import InvalidRequest
from .base import EnvManagerHandler
from .validation import boolean


class HistoryHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        env = await asyncio.to_thread(self.manager.get, name)
        found = await asyncio.to_thread(history.revisions, env.prefix, env.kind)
        self.write_json(
            {
                "environment": env.name,
                "kind": env.kind,
                "read_only": env.read_only,
                "revisions": [r.to_json() for r in found],
            }
        )


class RollbackHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body({"revision", "dry_run"})
        if "revision" not in body:
            raise InvalidRequest("Give the 'revision' to roll back to.")
        number, dry_run = body["revision"], boolean(body, "dry_run")
        env = self.manager.get(name)
        self.manager.check_writable(env, "roll back")
        await asyncio.to_thread(history.revision, env.prefix, env.kind, number)  # exists?
        if dry_run:
            # A preview changes nothing, so it answers directly (like package plans).
            plan = await rollback.rollback(self.manager, name, number, dry_run=True)
            self.write_json(plan.to_json())
            return
        self.manager.check_idle(env)

        async def work(progress):  # type: ignore[no-untyped-def]
            plan = await rollback.rollback(
                self.manager, name, number, dry_run=False, progress=progress
            )
            return plan.to_json()

        # Locked when accepted: of two racing changes one gets 202, the other 409.
        operation = f"roll back {env.name} to revision {number}"
        reservation = self.manager.reserve_change(env, operation)
        self.accepted(self.tasks.submit("rollback", env.name, work, reservation=reservation))
