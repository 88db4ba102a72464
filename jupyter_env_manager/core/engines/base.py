"""The contract every engine fulfils, so the manager treats them alike.

All operations are coroutines. Cancellation is asyncio cancellation: when the
task running an operation is cancelled, the engine stops its child processes and
re-raises; the manager then removes a half-made prefix.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from ..errors import EngineUnavailable, EnvironmentBusy
from ..models import (
    ChangePlan,
    Environment,
    EnvKind,
    EnvSpec,
    ExportFormat,
    Package,
    ProgressCallback,
    ProgressEvent,
    ignore_progress,
)
from ..package_set import PackageSet, read_package_set
from ..removal import delete_prefix
from .install_journal import Journal, clear_journal, read_journal, tool_alive


class Engine(ABC):
    #: Short identifier used in config, the CLI (`--engine`) and the API.
    name: ClassVar[str]
    #: What kind of environment the engine makes.
    kind: ClassVar[EnvKind]

    @classmethod
    @abstractmethod
    def is_available(cls) -> bool:
        """True when the engine can run on this machine (cheap: no subprocess)."""

    @abstractmethod
    def version(self) -> str | None:
        """The tool's version, for `/info`."""

    @abstractmethod
    def validate_specs(self, conda: list[str], pip: list[str]) -> None:
        """Raise InvalidRequest for malformed specs, before any work starts.

        The server calls this before answering 202, so a typo is a 400 rather than
        a task that fails later.
        """

    @abstractmethod
    async def create(
        self, prefix: Path, spec: EnvSpec, progress: ProgressCallback = ignore_progress
    ) -> None:
        """Make a new environment at `prefix` (which does not exist yet)."""

    @abstractmethod
    async def clone(
        self, source: Environment, prefix: Path, progress: ProgressCallback = ignore_progress
    ) -> None:
        """Make `prefix` hold the same packages as `source`."""

    @abstractmethod
    async def list_packages(self, env: Environment) -> list[Package]:
        """Installed packages, conda and pip alike, sorted by name."""

    @abstractmethod
    async def install(
        self,
        env: Environment,
        specs: list[str],
        *,
        pip: list[str] | None = None,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        """Add or change packages so that every spec holds."""

    @abstractmethod
    async def update(
        self,
        env: Environment,
        names: list[str] | None,
        *,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        """Update the named packages, or every package when `names` is None."""

    @abstractmethod
    async def uninstall(
        self,
        env: Environment,
        names: list[str],
        *,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        """Remove the named packages."""

    @abstractmethod
    async def search(self, query: str, channels: list[str] | None = None) -> list[Package]:
        """Available packages whose name matches `query` (substring or match spec)."""

    @abstractmethod
    async def export(self, env: Environment, fmt: ExportFormat) -> str:
        """The environment as a file's text in one of `EXPORT_FORMATS`.

        `create_from_lock(export(env, "lock"))` must rebuild the identical package
        set; `create(spec parsed from export(env, fmt))` the same packages otherwise.
        """

    @abstractmethod
    async def create_from_lock(
        self, prefix: Path, lock_text: str, progress: ProgressCallback = ignore_progress
    ) -> None:
        """Rebuild exactly the packages named by a lock made by `export(env, "lock")`."""

    async def remove(self, env: Environment, progress: ProgressCallback = ignore_progress) -> None:
        """Delete the environment. Default: rename the prefix aside, then delete it off
        the event loop (see core/removal.py)."""
        progress(ProgressEvent(stage="remove", message=f"Removing {env.prefix}"))
        await asyncio.to_thread(delete_prefix, env.prefix)

    # -- package sets: what a prefix holds, and putting it back -------------------

    def package_set(self, prefix: Path) -> PackageSet:
        """The exact package set `prefix` holds now (see package_set.py)."""
        return read_package_set(Path(prefix), self.kind)

    async def restore_package_set(
        self,
        prefix: Path,
        package_set: PackageSet,
        *,
        journal: Journal | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> None:
        """Make `prefix` hold exactly `package_set` again (every package of it, nothing
        else). `journal`: the unfinished change being undone, whose leftovers (files of
        half-installed packages, state files) go too. The caller holds the prefix's
        exclusive lock."""
        raise EngineUnavailable(f"The {self.name} engine cannot restore a package set.")

    async def recover(self, prefix: Path, progress: ProgressCallback = ignore_progress) -> bool:
        """Undo a change to `prefix` that a killed process left unfinished (its journal
        is still there); False when there was none. The caller holds the exclusive lock."""
        journal = read_journal(Path(prefix))
        if journal is None:
            return False
        if tool_alive(journal):
            raise EnvironmentBusy(
                f"{prefix} is still being changed by process {journal.tool_pid} "
                f"({journal.engine} {journal.operation}), started by a server that has "
                "stopped; try again when it has finished.",
                details={"holder": f"{journal.engine} {journal.operation}"},
            )
        await self.restore_package_set(prefix, journal.before, journal=journal, progress=progress)
        clear_journal(Path(prefix))
        return True
