"""Environment resources: list, create, get, remove, clone, export."""

from __future__ import annotations

import asyncio
import posixpath

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.errors import InvalidRequest
from ..core.models import EXPORT_FORMATS, EnvSpec
from ..core.specfiles import read_spec_file
from .base import EnvManagerHandler
from .validation import optional_str, query_bool, required_str, str_list

CREATE_FIELDS = {"name", "engine", "python", "packages", "pip", "channels", "file"}
EXPORT_FILES = {
    "yml": ("environment.yml", "text/yaml"),
    "no-builds": ("environment.yml", "text/yaml"),
    "from-history": ("environment.yml", "text/yaml"),
    "requirements": ("requirements.txt", "text/plain"),
    "lock": ("{name}.lock.txt", "text/plain"),
}


def _uploaded_file(value: object) -> tuple[str, str]:
    if not isinstance(value, dict) or set(value) != {"filename", "content"}:
        raise InvalidRequest("'file' must be an object with 'filename' and 'content'.")
    filename, content = value["filename"], value["content"]
    if not isinstance(filename, str) or not isinstance(content, str):
        raise InvalidRequest("'file.filename' and 'file.content' must be strings.")
    base = posixpath.basename(filename.replace("\\", "/"))
    if not base or base != filename or base in {".", ".."}:
        raise InvalidRequest("'file.filename' must be a plain file name, not a path.")
    return base, content


class EnvironmentsHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        sizes = query_bool(self.get_query_argument("sizes", None), "sizes")
        envs = await asyncio.to_thread(self.manager.list, with_sizes=sizes)
        self.write_json([env.to_json() for env in envs])

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body(CREATE_FIELDS)
        engine = optional_str(body, "engine")
        if body.get("file") is not None:
            filename, content = _uploaded_file(body["file"])
            found = read_spec_file(filename, content)  # refuse bad files before accepting
            spec = found.spec or EnvSpec()
            name = optional_str(body, "name") or spec.name
            if not name:
                raise InvalidRequest(f"{filename} names no environment; give a 'name'.")
            if set(body) - {"name", "engine", "file"}:
                raise InvalidRequest("Give either 'file' or package fields, not both.")
            kind = found.env_kind if engine is None else None
            _chosen, prefix = self.manager.check_new_environment(name, engine, spec, kind=kind)
            task = self.tasks.submit(
                "create",
                name,
                lambda progress: self._create_from_file(filename, content, name, engine, progress),
                reservation=self.manager.reserve_create(prefix, name),
            )
        else:
            name = required_str(body, "name")
            spec = EnvSpec(
                name=name,
                python=optional_str(body, "python"),
                conda=str_list(body, "packages"),
                pip=str_list(body, "pip"),
                channels=str_list(body, "channels"),
            )
            if engine is None and spec.pip and not spec.conda:
                engine = "uv"
            _chosen, prefix = self.manager.check_new_environment(name, engine, spec)
            task = self.tasks.submit(
                "create",
                name,
                lambda progress: self._create(name, spec, engine, progress),
                reservation=self.manager.reserve_create(prefix, name),
            )
        self.accepted(task)

    async def _create(self, name, spec, engine, progress):  # type: ignore[no-untyped-def]
        env = await self.manager.create(name, spec, engine=engine, progress=progress)
        return env.to_json()

    async def _create_from_file(self, filename, content, name, engine, progress):  # type: ignore[no-untyped-def]
        env = await self.manager.create_from_file(
            filename, content, name=name, engine=engine, progress=progress
        )
        return env.to_json()


class EnvironmentHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        env = await asyncio.to_thread(self.manager.get, name)
        self.write_json(env.to_json())

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        env = self.manager.get(name)
        self.manager.check_removable(env)
        self.manager.check_idle(env)
        # Over REST only what the panel lists can go: an absolute path to any folder
        # holding pyvenv.cfg or conda-meta/ is not a licence to delete it.
        await asyncio.to_thread(self.manager.check_listed, env)

        async def remove(progress):  # type: ignore[no-untyped-def]
            await self.manager.remove(name, progress=progress)
            return {"removed": env.name, "prefix": str(env.prefix)}

        # Locked in the same loop step that accepts: nothing can start in between.
        reservation = self.manager.reserve_change(env, f"remove {env.name}")
        self.accepted(self.tasks.submit("remove", env.name, remove, reservation=reservation))


class CloneHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body({"name"})
        new_name = required_str(body, "name")
        source = self.manager.get(name)
        # Undo a cut-short change first: the task holds the source shared, too late.
        await self.manager.repair(source)
        self.manager.check_idle(source, reading=True)
        _chosen, prefix = self.manager.check_new_environment(
            new_name, None, EnvSpec(), kind=source.kind
        )

        async def clone(progress):  # type: ignore[no-untyped-def]
            env = await self.manager.clone(name, new_name, progress=progress)
            return env.to_json()

        reservation = self.manager.reserve_clone(source, prefix, new_name)
        self.accepted(self.tasks.submit("clone", new_name, clone, reservation=reservation))


class ExportHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        fmt = self.get_query_argument("format", "yml", strip=False)
        if fmt not in EXPORT_FORMATS:
            raise InvalidRequest(
                f"Unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}."
            )
        env = self.manager.get(name)
        text = await self.manager.export(name, fmt)
        filename, content_type = EXPORT_FILES[fmt]
        safe_name = env.prefix.name  # names of prefix-path envs contain slashes
        self.set_header(
            "Content-Disposition", f'attachment; filename="{filename.format(name=safe_name)}"'
        )
        self.finish(text, set_content_type=f"{content_type}; charset=utf-8")
