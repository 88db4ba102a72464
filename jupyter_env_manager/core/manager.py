"""The environment manager: the one entry point the CLI, the server and tests use.

It owns what no single engine should decide: where environments live, which
engine serves a request, name validation, one operation per environment at a
time, registering conda environments where conda looks for them, and never
leaving a half-made environment behind.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_core.paths import jupyter_runtime_dir
from traitlets import Bool, Enum, Float, List, Unicode, default
from traitlets.config import LoggingConfigurable

from . import discovery, listing, readonly
from .engines.install_journal import has_journal, read_journal, tool_alive
from .env_vars import save_env_vars
from .errors import (
    DiskFull,
    EngineUnavailable,
    EnvironmentBusy,
    EnvironmentExists,
    EnvironmentNotFound,
    EnvManagerError,
    InvalidRequest,
    ProtectedEnvironment,
    is_disk_full,
)
from .locks import LOCKS_SUBDIR, EnvironmentLocks, LockRequest, Reservation
from .models import (
    EXPORT_FORMATS,
    ChangePlan,
    Environment,
    EnvKind,
    EnvSpec,
    Package,
    ProgressCallback,
    ProgressEvent,
    ignore_progress,
)
from .names import validate_env_name
from .removal import RemovalIncomplete, sweep_leftovers
from .search_cache import SearchCache

if TYPE_CHECKING:
    from .engines.base import Engine

ENGINE_CHOICES = ("auto", "conda", "mamba", "micromamba", "rattler", "uv", "venv")
CONDA_CLI_PREFERENCE = ("mamba", "conda", "micromamba")


def _unknown_engine(name: object) -> EngineUnavailable:
    return EngineUnavailable(
        f"Unknown engine {name!r}; choose one of: {', '.join(ENGINE_CHOICES)}."
    )


def _same_path(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


class EnvManager(LoggingConfigurable):
    """Configurable under `EnvManager` in any Jupyter config file (server and CLI alike)."""

    default_engine = Enum(
        ENGINE_CHOICES,
        default_value="auto",
        help=(
            "Engine for new conda environments: 'auto' prefers mamba, then conda, then "
            "micromamba, then the embedded rattler engine. 'uv' (or 'venv') makes PyPI "
            "virtual environments instead."
        ),
    ).tag(config=True)

    conda_executable = Unicode(
        "", help="Path of a conda, mamba or micromamba executable to use instead of PATH."
    ).tag(config=True)

    channels = List(
        Unicode(), default_value=["conda-forge"], help="Default channels for conda engines."
    ).tag(config=True)

    envs_dirs = List(
        Unicode(),
        default_value=[],
        help=(
            "Directories holding named conda environments. Empty: conda's own "
            "(.condarc envs_dirs, <root>/envs, ~/.conda/envs). New environments go to the "
            "first writable one."
        ),
    ).tag(config=True)

    venvs_dir = Unicode(
        str(discovery.DEFAULT_VENVS_DIR), help="Directory of the virtualenvs this tool manages."
    ).tag(config=True)

    pypi_index_url = Unicode("", help="PyPI index for the uv engine (empty: uv's default).").tag(
        config=True
    )

    find_links = List(
        Unicode(), default_value=[], help="Local wheel directories offered to uv/pip."
    ).tag(config=True)

    offline = Bool(False, help="Never touch the network (uv --offline).").tag(config=True)

    rattler_cache_dir = Unicode("", help="Package cache of the embedded rattler engine.").tag(
        config=True
    )

    locks_dir = Unicode(help="Where per-environment lock files live.").tag(config=True)

    protected_environments = List(
        Unicode(),
        default_value=[],
        help=(
            "Environments (names or prefixes) users may use as kernels but not change or "
            "remove, even where they could write them: shared environments of a "
            "multi-user server. Environments in folders the user cannot write are "
            "read-only anyway."
        ),
    ).tag(config=True)

    search_cache_seconds = Float(
        3600.0, help="How long a search answer is fresh; older ones refresh in the background."
    ).tag(config=True)

    search_first_wait = Float(
        15.0,
        allow_none=True,
        help=(
            "How long a search on a cold index may wait before answering 'still loading' "
            "(None: wait)."
        ),
    ).tag(config=True)

    @default("locks_dir")
    def _default_locks_dir(self) -> str:
        return os.path.join(jupyter_runtime_dir(), LOCKS_SUBDIR)

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._engines: dict[str, Engine] = {}
        self.locks = EnvironmentLocks(Path(self.locks_dir))
        self.search_cache = SearchCache(
            ttl=self.search_cache_seconds, first_wait=self.search_first_wait
        )

    # -- where things are ---------------------------------------------------

    def locations(self) -> discovery.Locations:
        return listing.locations(self.venvs_dir, self.conda_executable, self.envs_dirs)

    def _new_conda_envs_dir(self) -> Path:
        # conda's rule for `-n`: the first writable of its envs_dirs (<base>/envs for a
        # writable Miniforge base), whichever engine builds the env.
        target = self.locations().new_env_dir()
        if target is None:
            raise InvalidRequest(
                "No writable conda envs directory; configure EnvManager.envs_dirs."
            )
        return target

    def _protected_prefixes(self) -> list[Path]:
        protected = [Path(sys.prefix)]
        root = self.locations().root_prefix
        if root is not None:
            protected.append(root)
        return protected

    # -- engines ------------------------------------------------------------

    def _make_engine(self, name: str) -> Engine:
        if name == "rattler":
            from .engines.rattler_engine import RattlerEngine

            cache = Path(self.rattler_cache_dir) if self.rattler_cache_dir else None
            return RattlerEngine(channels=list(self.channels), cache_dir=cache)
        if name in ("uv", "venv"):
            from .engines.uv_engine import UvEngine
            from .engines.venv_pip_engine import VenvPipEngine

            cls = UvEngine if name == "uv" and UvEngine.is_available() else VenvPipEngine
            return cls(
                index_url=self.pypi_index_url or None,
                find_links=list(self.find_links) or None,
                offline=self.offline,
            )
        if name in CONDA_CLI_PREFERENCE:
            from .engines.conda_cli import CONDA_CLI_ENGINES

            executable = self.conda_executable or None
            if executable and Path(executable).name.split(".")[0] != name:
                executable = None
            return CONDA_CLI_ENGINES[name](executable)
        raise _unknown_engine(name)

    def _available(self, name: str) -> bool:
        if name in CONDA_CLI_PREFERENCE:
            if self.conda_executable:
                return Path(self.conda_executable).name.split(".")[0] == name
            from .engines.conda_cli import find_tool

            # As the engine finds it: on PATH, else the one its shell hook exported.
            return find_tool(name) is not None
        return True

    def engine(self, name: str | None = None, *, kind: EnvKind = "conda") -> Engine:
        """The engine called `name`, or the configured default for `kind`."""
        requested = name or ("uv" if kind == "venv" else self.default_engine)
        if requested not in ENGINE_CHOICES:
            raise _unknown_engine(requested)
        if requested == "auto":
            requested = next((n for n in CONDA_CLI_PREFERENCE if self._available(n)), "rattler")
        if not self._available(requested):
            raise EngineUnavailable(f"The {requested} engine is not installed on this machine.")
        if requested not in self._engines:
            self._engines[requested] = self._make_engine(requested)
        return self._engines[requested]

    def default_engine_info(self) -> dict[str, str | None]:
        """What `default_engine` is set to and which engine that means here."""
        try:
            resolved: str | None = self.engine().name
        except EnvManagerError:
            resolved = None
        return {"configured": self.default_engine, "resolved": resolved}

    async def aclose(self) -> None:
        """Stop background lookups; let engines finish their clean-ups (rattler deletes
        staging folders)."""
        await self.search_cache.close()
        for engine in self._engines.values():
            drain = getattr(engine, "drain", None)
            if drain is not None:
                await drain()

    def engine_for(self, env: Environment) -> Engine:
        """The engine that manages an existing environment."""
        if env.kind == "venv":
            return self.engine("uv")
        if env.engine in CONDA_CLI_PREFERENCE and self._available(env.engine):
            return self.engine(env.engine)
        # Any conda prefix can be handled by whichever conda engine is here.
        return self.engine(None if self.default_engine not in ("uv", "venv") else "auto")

    # -- lookups ------------------------------------------------------------

    def _with_protection(self, env: Environment) -> Environment:
        return listing.marked(env, self.locks, self.protected_environments)

    def list(self, *, with_sizes: bool = False) -> list[Environment]:
        """Every usable environment; ones still being built are not usable yet."""
        return listing.usable(
            self.locations(), self.locks, self.protected_environments, with_sizes=with_sizes
        )

    def get(self, name: str) -> Environment:
        if not isinstance(name, str) or not name:
            raise InvalidRequest("Environment name must be a non-empty string.")
        # An absolute path is found only when it really is an environment prefix.
        env = discovery.find_environment(self.locations(), name)
        if env is None or env.prefix in self.locks.building_prefixes():
            raise EnvironmentNotFound(f"No environment named {name!r}.")
        return self._with_protection(env)

    def check_writable(self, env: Environment, what: str = "change") -> None:
        """Refuse up front (403, offering a clone) any change to a read-only env."""
        if env.read_only:
            raise readonly.refuse_change(env, what)

    def check_idle(self, env: Environment, *, reading: bool = False) -> None:
        """Refuse now (409 naming the holder) what would find `env` busy: a change while
        anything runs in it, or a read (`reading`) while it is being changed."""
        self.locks.check_free(str(env.prefix), label=env.name, shared=reading)
        # A tool a stopped server started (conda) may still be changing it, lockless.
        try:
            journal = read_journal(env.prefix) if has_journal(env.prefix) else None
        except ValueError:
            journal = None  # unreadable: the repair before its next change reports it
        if journal is not None and tool_alive(journal):
            doing = f"{journal.engine} {journal.operation} (process {journal.tool_pid})"
            raise EnvironmentBusy(
                f"Environment {env.name!r} is busy: {doing} is running, started by a "
                "server that has stopped; try again when it has finished.",
                details={"holder": doing},
            )

    # Locks a request takes when it is accepted (see locks.py), named as the
    # operations themselves name them, so a 409 says what holds the env.

    def reserve_change(self, env: Environment, operation: str) -> Reservation:
        """For a task that changes or removes `env` (`operation`: "install in X")."""
        return self.locks.reserve(LockRequest(str(env.prefix), label=env.name, operation=operation))

    def reserve_create(self, prefix: Path, name: str) -> Reservation:
        return self.locks.reserve(LockRequest(str(prefix), label=name, operation=f"create {name}"))

    def reserve_clone(self, source: Environment, prefix: Path, name: str) -> Reservation:
        return self.locks.reserve(
            LockRequest(str(source.prefix), shared=True, label=source.name,
                        operation=f"clone {source.name} to {name}"),
            LockRequest(str(prefix), label=name, operation=f"create {name}"),
        )  # fmt: skip

    def check_listed(self, env: Environment) -> None:
        """Refuse an environment `list()` does not show: a folder that merely looks like
        one (a project's `.venv`, a prefix nobody registered)."""
        if not any(_same_path(env.prefix, listed.prefix) for listed in self.list()):
            raise EnvironmentNotFound(
                f"{env.name!r} is not an environment this tool lists; remove it from a "
                "terminal (`jupyter env-manager remove -n PATH`) if you really mean to."
            )

    def _check_new_name(self, name: str, kind: EnvKind) -> Path:
        validate_env_name(name)
        if any(env.name == name for env in self.list()):
            raise EnvironmentExists(f"An environment named {name!r} already exists.")
        parent = Path(self.venvs_dir).expanduser() if kind == "venv" else self._new_conda_envs_dir()
        prefix = parent / name
        if prefix.exists():
            raise EnvironmentExists(f"{prefix} already exists.")
        return prefix

    # -- guarded operations -------------------------------------------------

    @asynccontextmanager
    async def _building(
        self, prefix: Path, name: str, progress: ProgressCallback
    ) -> AsyncIterator[None]:
        """Hold the env's lock and mark it as under construction; on failure or
        cancellation remove what was made."""
        async with self.locks.hold(str(prefix), wait=False, label=name, operation=f"create {name}"):
            with self.locks.building(prefix):
                try:
                    yield
                except BaseException as error:
                    progress(ProgressEvent(stage="cleanup", message=f"Removing {prefix}"))
                    await asyncio.to_thread(self._discard, prefix)
                    if isinstance(error, Exception) and is_disk_full(error):
                        raise DiskFull(
                            f"Not enough disk space in {prefix.parent} to build {name!r}; "
                            "what was written has been removed. Free some space (or choose "
                            "another envs directory) and try again."
                        ) from error
                    raise

    def _discard(self, prefix: Path) -> None:
        """Delete a half-made prefix, the staging folders engines leave beside it, and
        its registration."""
        shutil.rmtree(prefix, ignore_errors=True)
        for staging in prefix.parent.glob(f".{prefix.name}.partial-*"):
            shutil.rmtree(staging, ignore_errors=True)
        discovery.unregister_conda_env(prefix, self.locations().environments_txt)

    def clean_interrupted_builds(self) -> list[Path]:
        """Remove environments whose build was cut short by a process that died."""
        removed = []
        for marker, prefix in self.locks.stale_builds():
            self.log.warning("Removing %s: its creation was interrupted", prefix)
            self._discard(prefix)
            marker.unlink(missing_ok=True)
            removed.append(prefix)
        locations = self.locations()
        for leftover in sweep_leftovers([*locations.conda_envs_dirs, locations.venvs_dir]):
            self.log.warning("Finished deleting %s, left by an interrupted removal", leftover)
        self._recover_in_thread()
        return removed

    # -- changes a killed process left unfinished ------------------------------

    def _recovering_engine(self, env: Environment) -> Engine:
        # Any conda prefix's records name their packages' urls: rattler can put them
        # back whichever conda tool made the change.
        return self.engine("rattler") if env.kind == "conda" else self.engine_for(env)

    async def _recover(self, env: Environment, progress: ProgressCallback) -> None:
        """Undo `env`'s unfinished change; the caller holds its exclusive lock."""
        self.log.warning("Putting %s back as it was: a change to it was interrupted", env.prefix)
        progress(
            ProgressEvent(stage="restore", message=f"Undoing an interrupted change to {env.name}")
        )
        await self._recovering_engine(env).recover(env.prefix, progress)

    async def repair(self, env: Environment, progress: ProgressCallback = ignore_progress) -> bool:
        """Undo an unfinished change to `env` (a journal is left), taking its exclusive
        lock for that; a live process still making the change keeps the env busy (409)."""
        if not has_journal(env.prefix):
            return False
        async with self.locks.hold(
            str(env.prefix), wait=False, label=env.name, operation=f"repair {env.name}"
        ):
            if has_journal(env.prefix):
                await self._recover(env, progress)
        return True

    async def recover_interrupted_changes(self) -> list[Path]:
        """Put back every environment a killed process left mid-change. One that cannot
        be put back keeps its journal (it is retried before its next operation)."""
        recovered = []
        for env in self.list():
            if not has_journal(env.prefix):
                continue
            try:
                if await self.repair(env):
                    recovered.append(env.prefix)
            except EnvironmentBusy:
                continue  # its change is still running in another process
            except Exception as error:
                message = getattr(error, "message", None) or str(error)
                self.log.error("%s needs repair: undoing its interrupted change failed: %s",
                               env.prefix, message)  # fmt: skip
        await asyncio.sleep(0.02)  # rattler's threads settle before the loop closes
        return recovered

    def _recover_in_thread(self) -> None:
        # Called at start, before the server's loop runs: a loop of its own, in a
        # thread, so the server's loop is left untouched.
        if not any(has_journal(env.prefix) for env in self.list()):
            return
        error: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self.recover_interrupted_changes())
            except BaseException as exc:  # reported below, in the caller's thread
                error.append(exc)

        worker = threading.Thread(target=run, name="jem-recover")
        worker.start()
        worker.join()
        if error:
            self.log.error("Recovering interrupted changes failed: %s", error[0])

    def _registered(self, prefix: Path, engine: Engine) -> None:
        if engine.kind == "conda":
            discovery.write_engine_marker(prefix, engine.name)
            discovery.register_conda_env(prefix, self.locations().environments_txt)
        else:
            # conda prefixes start their conda-meta/history themselves; a venv's log
            # starts here, so its creation is a revision to roll back to.
            from . import history

            history.append_venv_revision(prefix, "create")

    def check_new_environment(
        self, name: str, engine: str | None, spec: EnvSpec, *, kind: EnvKind | None = None
    ) -> tuple[Engine, Path]:
        """Refuse a create that cannot work, before any work starts; return the engine
        and the prefix it would build."""
        chosen = self.engine("uv") if kind == "venv" else self.engine(engine)
        prefix = self._check_new_name(name, chosen.kind)
        chosen.validate_specs(list(spec.conda), list(spec.pip))
        return chosen, prefix

    def check_package_request(self, env: Environment, specs: list[str], pip: list[str]) -> None:
        """Refuse malformed package specs for `env` before any work starts."""
        self.engine_for(env).validate_specs(specs, pip)

    def check_removable(self, env: Environment) -> None:
        self.check_writable(env, "remove")
        readonly.check_parent_writable(env)
        if env.is_base or any(_same_path(env.prefix, p) for p in self._protected_prefixes()):
            raise ProtectedEnvironment(
                f"{env.name!r} is the base environment or runs this server; it cannot be removed."
            )

    async def create(
        self,
        name: str,
        spec: EnvSpec,
        *,
        engine: str | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> Environment:
        chosen, prefix = self.check_new_environment(name, engine, spec)
        if spec.variables and chosen.kind != "conda":
            raise InvalidRequest(
                "'variables' are set by conda activation; a PyPI virtual environment has no "
                "place for them. Create a conda environment, or set them in the kernel."
            )
        async with self._building(prefix, name, progress):
            await chosen.create(prefix, spec, progress)
            if spec.variables:
                save_env_vars(prefix, spec.variables)
            self._registered(prefix, chosen)
        progress(ProgressEvent(stage="done", message=f"Created {name}", fraction=1.0))
        return self.get(name)

    async def create_from_file(
        self,
        filename: str,
        content: str | bytes,
        *,
        name: str | None = None,
        engine: str | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> Environment:
        # By content, whatever the file is called: `export -o env.lock` then `create -f
        # env.lock` must work for every format this tool exports.
        from . import specfiles  # YAML and PEP 508 parsers: only for spec files

        found = specfiles.read_spec_file(filename, content)
        progress(ProgressEvent(stage="read", message=found.describe()))
        if found.env_kind == "venv" and engine is None:
            engine = "uv"
        if found.spec is not None:
            target = name or found.spec.name
            if not target:
                raise InvalidRequest(f"{filename} names no environment; give a name.")
            return await self.create(target, found.spec, engine=engine, progress=progress)
        if not name:
            raise InvalidRequest(f"{filename} is {found.label}, which names no environment; "
                                 "give a name.")  # fmt: skip
        chosen = self.engine(engine, kind=found.env_kind)
        if chosen.kind != found.env_kind:
            raise InvalidRequest(
                f"{filename} is {found.label}; the {chosen.name} engine cannot rebuild it."
            )
        prefix = self._check_new_name(name, chosen.kind)
        async with self._building(prefix, name, progress):
            await chosen.create_from_lock(prefix, found.text, progress)
            self._registered(prefix, chosen)
        return self.get(name)

    async def clone(
        self, source: str, name: str, *, progress: ProgressCallback = ignore_progress
    ) -> Environment:
        original = self.get(source)
        if not self.locks.holds(str(original.prefix)):  # a REST clone repaired it already
            await self.repair(original, progress)
        chosen = self.engine_for(original)
        prefix = self._check_new_name(name, original.kind)
        # The source only has to hold still: other readers may share it, changes wait.
        source_lock = self.locks.hold(
            str(original.prefix), wait=False, label=original.name, shared=True,
            operation=f"clone {original.name} to {name}",
        )  # fmt: skip
        async with source_lock, self._building(prefix, name, progress):
            await chosen.clone(original, prefix, progress)
            self._registered(prefix, chosen)
        return self.get(name)

    async def remove(self, name: str, *, progress: ProgressCallback = ignore_progress) -> None:
        env = self.get(name)
        self.check_removable(env)
        async with self.locks.hold(
            str(env.prefix), wait=False, label=env.name, operation=f"remove {env.name}"
        ):
            try:
                await self.engine_for(env).remove(env, progress)
            except RemovalIncomplete:
                await self._forget(env)  # gone from view all the same: say what is left
                raise
            await self._forget(env)

    async def _forget(self, env: Environment) -> None:
        if env.kind == "conda":
            discovery.unregister_conda_env(env.prefix, self.locations().environments_txt)
        # Kernelspec files written for it (Add kernel) would stay in the Launcher as
        # kernels that cannot start.
        from ..kernels.registration import forget_environment

        await asyncio.to_thread(forget_environment, env.prefix)
        # Its history went with its prefix; its cached sizes must go too.
        from . import disk

        disk.forget([env.prefix])

    # -- packages -----------------------------------------------------------

    async def packages(self, name: str) -> list[Package]:
        env = self.get(name)
        return await self.engine_for(env).list_packages(env)

    @asynccontextmanager
    async def _changing(
        self,
        name: str,
        dry_run: bool,
        operation: str,
        progress: ProgressCallback,
        asked: list[str] | None = None,
    ) -> AsyncIterator[tuple[Environment, Engine]]:
        env = self.get(name)
        if dry_run:
            await self.repair(env, progress)  # a plan against half a change would mislead
        # Even a preview: a plan for a change that can never be made misleads.
        self.check_writable(env, operation)
        if not dry_run and any(_same_path(env.prefix, p) for p in self._protected_prefixes()):
            raise ProtectedEnvironment(
                f"{env.name!r} runs this server; change it from a terminal, not from here."
            )
        async with self.locks.hold(
            str(env.prefix), wait=False, label=env.name, operation=f"{operation} in {env.name}",
            shared=dry_run,
        ):  # fmt: skip
            if not dry_run and has_journal(env.prefix):
                await self._recover(env, progress)
            venv_log = not dry_run and env.kind == "venv"
            from . import history  # imported where used: `list` never needs it

            if venv_log:
                await asyncio.to_thread(history.ensure_venv_baseline, env.prefix)
            yield env, self.engine_for(env)
            if venv_log:  # conda prefixes log to conda-meta/history in every engine
                request = " ".join([operation, *(asked or [])])
                await asyncio.to_thread(history.append_venv_revision, env.prefix, request)

    async def install(
        self,
        name: str,
        specs: list[str],
        *,
        pip: list[str] | None = None,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        if not specs and not pip:
            raise InvalidRequest("Name at least one package to install.")
        asked = [*specs, *(pip or [])]
        async with self._changing(name, dry_run, "install", progress, asked) as (env, engine):
            return await engine.install(
                env, specs, pip=pip, channels=channels, dry_run=dry_run, progress=progress
            )

    async def update(
        self,
        name: str,
        names: list[str] | None,
        *,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        asked = list(names or ["--all"])
        async with self._changing(name, dry_run, "update", progress, asked) as (env, engine):
            return await engine.update(
                env, names or None, channels=channels, dry_run=dry_run, progress=progress
            )

    async def uninstall(
        self,
        name: str,
        names: list[str],
        *,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        if not names:
            raise InvalidRequest("Name at least one package to remove.")
        async with self._changing(name, dry_run, "uninstall", progress, names) as (env, engine):
            return await engine.uninstall(env, names, dry_run=dry_run, progress=progress)

    async def search(
        self, query: str, *, kind: EnvKind = "conda", channels: list[str] | None = None
    ) -> list[Package]:
        """Search through the background-refreshed cache (see SearchCache)."""
        if not isinstance(query, str) or not query.strip():
            raise InvalidRequest("Type part of a package name to search for.")
        engine = self.engine(kind=kind) if kind == "venv" else self.engine_for_search()
        text = query.strip()
        key = (engine.name, tuple(channels or self.channels), text.lower())
        return await self.search_cache.search(key, lambda: engine.search(text, channels))

    def engine_for_search(self) -> Engine:
        default = self.default_engine if self.default_engine not in ("uv", "venv") else "auto"
        return self.engine(default)

    def warm_search(self) -> None:
        """Load the default channels' package index in the background, so the first
        search a user makes answers from memory."""
        engine = self.engine_for_search()
        key = (engine.name, tuple(self.channels), "python")
        asyncio.ensure_future(self.search_cache.warm(key, lambda: engine.search("python", None)))

    async def export(self, name: str, fmt: str) -> str:
        if fmt not in EXPORT_FORMATS:
            raise InvalidRequest(
                f"Unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}."
            )
        env = self.get(name)
        await self.repair(env)
        async with self.locks.hold(
            str(env.prefix), wait=False, label=env.name, shared=True, operation=f"export {env.name}"
        ):
            return await self.engine_for(env).export(env, fmt)  # type: ignore[arg-type]
