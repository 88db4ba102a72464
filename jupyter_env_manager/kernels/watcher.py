"""Notice environments and their kernels changing, whoever changes them.

An environment made by the UI, by `jupyter env-manager` in another terminal or by
conda itself must show in the Launcher within a couple of seconds, and JupyterLab
only re-reads kernel specs every 61 s unless told. So the server looks once a
second: `EnvKernelSpecManager.env_kernels()` rescans only when its stat-based
fingerprint moved (a few hundred `stat` calls for a hundred environments, run in a
thread), and when what it found differs the watcher

- emits an `environments/v1` event, on which the frontend refreshes its list and
  the kernel specs (no browser polls);
- on the "kernelspec-files" route, rewrites the kernelspec files another kernel
  spec manager reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from . import registration
from .env_kernels import EnvKernel
from .spec_manager import EnvKernelSpecManager

CHANGE_ENVIRONMENTS = "environments"
CHANGE_KERNELS = "kernels"

_State = tuple[frozenset[str], frozenset[tuple[str, str, str]]]


class EnvironmentWatcher:
    def __init__(
        self,
        spec_manager: EnvKernelSpecManager,
        emit: Callable[[dict[str, object]], None],
        *,
        kernelspec_dir: Path | None = None,
        interval: float = 1.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.spec_manager = spec_manager
        self.emit = emit
        self.kernelspec_dir = kernelspec_dir
        self.interval = interval
        self.log = log or logging.getLogger(__name__)
        self._seen_kernels: dict[str, EnvKernel] | None = None
        self._state: _State | None = None
        self._task: asyncio.Task[None] | None = None

    def _look(self) -> list[str]:
        """One look (in a thread): the kinds of change since the last one."""
        kernels = self.spec_manager.env_kernels()
        if kernels is self._seen_kernels:
            # The same cached object: nothing on disk that discovery reads has moved.
            return []
        self._seen_kernels = kernels
        # The scan that just ran listed them: no second look at the disk.
        prefixes = frozenset(str(env.prefix) for env in self.spec_manager.environments())
        specs = frozenset(
            (name, str(kernel.env.prefix), str(kernel.spec.get("display_name", "")))
            for name, kernel in kernels.items()
        )
        previous, self._state = self._state, (prefixes, specs)
        if self.kernelspec_dir is not None:
            self._write_files(kernels)
        if previous is None:
            return []
        changes = []
        if previous[0] != prefixes:
            changes.append(CHANGE_ENVIRONMENTS)
        if previous[1] != specs:
            changes.append(CHANGE_KERNELS)
        return changes

    def _write_files(self, kernels: dict[str, EnvKernel]) -> None:
        assert self.kernelspec_dir is not None
        try:
            written, removed = registration.sync(kernels.values(), self.kernelspec_dir)
        except OSError as error:
            self.log.warning("Could not write kernelspecs to %s: %s", self.kernelspec_dir, error)
            return
        if written or removed:
            self.log.info(
                "Environment kernelspecs in %s: wrote %s, removed %s",
                self.kernelspec_dir, written or "none", removed or "none",
            )  # fmt: skip

    @property
    def has_looked(self) -> bool:
        """Whether the first look, against which later ones compare, has been taken."""
        return self._state is not None

    def look_now(self) -> list[str]:
        """One look in the calling thread, emitting what changed (tests and start-up)."""
        changes = self._look()
        for change in changes:
            self.emit({"change": change})
        return changes

    async def _loop(self) -> None:
        while True:
            try:
                changes = await asyncio.to_thread(self._look)
            except Exception:  # a bad env must not stop the watching
                self.log.warning("Looking for environment changes failed", exc_info=True)
                changes = []
            for change in changes:
                self.emit({"change": change})
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_event_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
