"""Waiting in tests for what the server does on its own schedule (the environment
watcher looks once a second): the bound only ends a hung test; timing is the
benchmarks' business, never an assertion."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

HUNG_TEST_SECONDS = 60


async def eventually(probe: Callable[[], Awaitable[object]]) -> bool:
    """True as soon as `await probe()` is truthy; False once a hung test's bound passed."""
    deadline = time.monotonic() + HUNG_TEST_SECONDS
    while True:
        if await probe():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)


async def has_looked(watcher) -> bool:  # type: ignore[no-untyped-def]
    """Wait for a watcher's first look, which later ones are compared with: a change
    made before it is the starting state, not an event."""

    async def looked() -> bool:
        return watcher.has_looked

    return await eventually(looked)


async def watcher_has_looked(jp_serverapp) -> bool:  # type: ignore[no-untyped-def]
    """Wait for the test server's watcher's first look."""
    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_env_manager"]
    return await has_looked(app.watcher)
