"""The environment watcher announces changes on disk whatever else the server is doing."""

from __future__ import annotations

import asyncio
import threading

import pytest

from jupyter_env_manager.kernels.watcher import (
    CHANGE_ENVIRONMENTS,
    CHANGE_KERNELS,
    EnvironmentWatcher,
)
from tests.polling import HUNG_TEST_SECONDS, has_looked

from .fake_envs import fake_conda_env
from .test_spec_manager import manager, tree  # noqa: F401 (tree is a fixture)


async def started(watcher: EnvironmentWatcher) -> None:
    watcher.start()
    assert await has_looked(watcher)


def make_env(tree, name: str) -> None:  # noqa: F811
    """A conda env with a kernel, appearing at once: built aside, then moved in."""
    built = fake_conda_env(tree["envs"].parent / f"building-{name}")
    built.rename(tree["envs"] / name)


async def next_changes(announced: asyncio.Queue[dict[str, object]]) -> set[object]:
    """The changes of the next look that saw any (one look announces each kind once)."""
    first = await asyncio.wait_for(announced.get(), HUNG_TEST_SECONDS)
    changes = {first["change"]}
    while not announced.empty():
        changes.add(announced.get_nowait()["change"])
    return changes


@pytest.mark.asyncio
async def test_a_new_environment_is_announced_while_the_default_executor_is_busy(tree):  # noqa: F811
    announced: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    watcher = EnvironmentWatcher(manager(tree), announced.put_nowait, interval=0.05)
    release = threading.Event()
    loop = asyncio.get_running_loop()
    # Every thread of asyncio's default executor taken, with more work queued behind,
    # as long disk reports or index downloads would take them.
    busy = [loop.run_in_executor(None, release.wait) for _ in range(64)]
    try:
        await started(watcher)
        make_env(tree, "fresh")
        assert await next_changes(announced) == {CHANGE_ENVIRONMENTS, CHANGE_KERNELS}
    finally:
        release.set()
        await watcher.stop()
        await asyncio.gather(*busy)


@pytest.mark.asyncio
async def test_an_announcement_that_fails_does_not_end_the_watching(tree):  # noqa: F811
    announced: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    failures = []

    def emit(data: dict[str, object]) -> None:
        if not failures:
            failures.append(data)
            raise RuntimeError("the event bus refused it")
        announced.put_nowait(data)

    watcher = EnvironmentWatcher(manager(tree), emit, interval=0.05)
    try:
        await started(watcher)
        make_env(tree, "first")
        assert await next_changes(announced) == {CHANGE_KERNELS}  # the environments one failed
        make_env(tree, "second")
        assert await next_changes(announced) == {CHANGE_ENVIRONMENTS, CHANGE_KERNELS}
    finally:
        await watcher.stop()
    assert failures == [{"change": CHANGE_ENVIRONMENTS}]
