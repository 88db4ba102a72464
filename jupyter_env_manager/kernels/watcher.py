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

The looks run in a thread of the watcher's own: on asyncio's default executor they
would queue behind whatever else the server hands it (size reports, history, index
downloads), and a change would go unannounced for as long as those take.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
        self._thread: ThreadPoolExecutor | None = None

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
        self._announce(changes)
        return changes

    def _announce(self, changes: list[str]) -> None:
        for change in changes:
            try:
                self.emit({"change": change})
            except Exception:  # one event that could not go out must not end the watching
                self.log.warning("Could not announce a %r change", change, exc_info=True)

    async def _loop(self, thread: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                changes = await loop.run_in_executor(thread, self._look)
            except Exception:  # a bad env must not stop the watching
                self.log.warning("Looking for environment changes failed", exc_info=True)
                changes = []
            self._announce(changes)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="environment-watcher")
            self._task = asyncio.get_event_loop().create_task(self._loop(self._thread))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None
