"""Package search that never keeps a user waiting on a cold index.

Reading a big channel's index the first time can take minutes (conda-forge's
repodata, PyPI's project list). Answers are kept per query: a fresh one is
served at once; a stale one is served at once while a refresh runs in the
background; a query never seen waits at most `first_wait` seconds and otherwise
fails with a clear "still loading" error while the lookup goes on, so asking
again a little later answers from the cache.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .errors import EnvManagerError
from .models import Package

Lookup = Callable[[], Awaitable[list[Package]]]


class IndexLoading(EnvManagerError):
    status = 503


@dataclass
class _Entry:
    packages: list[Package]
    fetched: float


class SearchCache:
    def __init__(
        self, *, ttl: float = 3600.0, first_wait: float | None = 15.0, max_entries: int = 512
    ):
        self.ttl = ttl
        self.first_wait = first_wait
        self.max_entries = max_entries
        self._entries: dict[tuple, _Entry] = {}
        self._pending: dict[tuple, asyncio.Task[list[Package]]] = {}

    def _start(self, key: tuple, lookup: Lookup) -> asyncio.Task[list[Package]]:
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fill(key, lookup))
            self._pending[key] = task
        return task

    async def _fill(self, key: tuple, lookup: Lookup) -> list[Package]:
        try:
            packages = await lookup()
            if len(self._entries) >= self.max_entries:
                oldest = min(self._entries, key=lambda k: self._entries[k].fetched)
                del self._entries[oldest]
            self._entries[key] = _Entry(packages, time.monotonic())
            return packages
        finally:
            self._pending.pop(key, None)

    async def search(self, key: tuple, lookup: Lookup) -> list[Package]:
        entry = self._entries.get(key)
        if entry is not None:
            if time.monotonic() - entry.fetched > self.ttl:
                self._start(key, lookup)  # refresh behind the user's back
            return entry.packages
        task = self._start(key, lookup)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.first_wait)
        except asyncio.TimeoutError:
            # Retrieve a later failure so it is not reported as never awaited.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            raise IndexLoading(
                "The package index is still loading (first search on these channels); "
                "try again in a minute."
            ) from None

    async def warm(self, key: tuple, lookup: Lookup) -> None:
        """Start filling `key` without waiting (e.g. when the server starts)."""
        if key not in self._entries:
            task = self._start(key, lookup)
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def close(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        await asyncio.gather(*self._pending.values(), return_exceptions=True)
