"""Packages of an environment, and searching what can be installed."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.errors import InvalidRequest
from .base import EnvManagerHandler
from .validation import MAX_QUERY_CHARS, boolean, optional_str, str_list

PACKAGE_FIELDS = {"action", "packages", "pip", "channels", "all", "dry_run"}
ACTIONS = ("install", "update", "remove")


class PackagesHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        packages = await self.manager.packages(name)
        self.write_json([p.to_json() for p in packages])

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body(PACKAGE_FIELDS)
        action = optional_str(body, "action")
        if action not in ACTIONS:
            raise InvalidRequest(f"'action' must be one of: {', '.join(ACTIONS)}.")
        packages, pip = str_list(body, "packages"), str_list(body, "pip")
        channels = str_list(body, "channels") or None
        update_all, dry_run = boolean(body, "all"), boolean(body, "dry_run")
        env = self.manager.get(name)
        self.manager.check_writable(env, "uninstall" if action == "remove" else action)

        if action == "install" and not packages and not pip:
            raise InvalidRequest("Name at least one package to install.")
        if action == "remove" and not packages:
            raise InvalidRequest("Name at least one package to remove.")
        if action == "update" and not packages and not update_all:
            raise InvalidRequest("Name packages to update, or set 'all' to true.")
        if action == "install":
            self.manager.check_package_request(env, packages, pip)

        def run(dry: bool):  # type: ignore[no-untyped-def]
            async def work(progress):  # type: ignore[no-untyped-def]
                if action == "install":
                    plan = await self.manager.install(
                        name, packages, pip=pip, channels=channels, dry_run=dry, progress=progress
                    )
                elif action == "update":
                    plan = await self.manager.update(
                        name, packages or None, channels=channels, dry_run=dry, progress=progress
                    )
                else:
                    plan = await self.manager.uninstall(
                        name, packages, dry_run=dry, progress=progress
                    )
                return plan.to_json()

            return work

        if dry_run:
            # A preview changes nothing, so it answers directly.
            self.write_json(await run(True)(lambda event: None))
            return
        self.manager.check_idle(env)
        operation = "uninstall" if action == "remove" else action
        reservation = self.manager.reserve_change(env, f"{operation} in {env.name}")
        self.accepted(self.tasks.submit(operation, env.name, run(False), reservation=reservation))


class SearchHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.get_query_argument("q", "")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidRequest(f"Search text is longer than {MAX_QUERY_CHARS} characters.")
        kind = self.get_query_argument("kind", "conda")
        if kind not in ("conda", "venv"):
            raise InvalidRequest("'kind' must be 'conda' or 'venv'.")
        found = await self.manager.search(query, kind=kind)  # type: ignore[arg-type]
        self.write_json([p.to_json() for p in found])
