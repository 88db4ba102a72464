"""Cancelling operations: nothing half-made may remain, and no child keeps running."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_env_manager.core.conda_prefix import read_history
from jupyter_env_manager.core.engines.rattler_engine import RattlerEngine
from jupyter_env_manager.core.models import EnvSpec, ProgressEvent

from .conftest import pip_spec
from .helpers import installed_versions


def _cancel_on(stage: str, holder: list[asyncio.Task]):
    def progress(event: ProgressEvent) -> None:
        if event.stage == stage and holder and not holder[0].done():
            holder[0].cancel()

    return progress


async def _run_and_cancel(coro_factory, stage: str | None):
    holder: list[asyncio.Task] = []
    task = asyncio.ensure_future(coro_factory(_cancel_on(stage, holder) if stage else None))
    holder.append(task)
    if stage is None:
        await asyncio.sleep(0)  # let it start, then cancel right away
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("stage", [None, "solve", "link"])
async def test_cancelled_create_leaves_no_prefix(many_files_channel, cache_dir, envs_dir, stage):
    engine = RattlerEngine(channels=[many_files_channel], cache_dir=cache_dir / "cancel")
    prefix = envs_dir / "big"

    def create(progress):
        return engine.create(prefix, EnvSpec(conda=["many"]), progress or (lambda e: None))

    await _run_and_cancel(create, stage)
    # The prefix never appeared: linking happens in a staging folder.
    assert not prefix.exists()
    # rattler may still be linking into the staging folder; once it stops, it is gone.
    await asyncio.wait_for(engine.drain(), timeout=60)
    assert list(envs_dir.iterdir()) == []
    # And the engine still works afterwards, from the same cache.
    await engine.create(prefix, EnvSpec(conda=["many"]))
    assert len(list((prefix / "share" / "many").rglob("*.txt"))) == 3000


async def test_cancelled_link_really_raced_the_installer(many_files_channel, cache_dir, envs_dir):
    """Guard for the test above: the 'link' cancel lands while files are still being linked."""
    engine = RattlerEngine(channels=[many_files_channel], cache_dir=cache_dir / "cancel2")
    prefix = envs_dir / "big"
    holder: list[asyncio.Task] = []
    staged: list[int] = []

    def progress(event: ProgressEvent) -> None:
        if event.stage == "link" and holder and not holder[0].done():
            holder[0].cancel()
            staging = [p for p in envs_dir.iterdir() if p.name.startswith(".big.partial-")]
            staged.append(sum(1 for _ in staging[0].rglob("*.txt")) if staging else -1)

    task = asyncio.ensure_future(engine.create(prefix, EnvSpec(conda=["many"]), progress))
    holder.append(task)
    with pytest.raises(asyncio.CancelledError):
        await task
    await engine.drain()
    assert staged and staged[0] < 3000
    assert list(envs_dir.iterdir()) == []


async def test_cancelled_pip_step_removes_prefix(engine, envs_dir, wheels):
    prefix = envs_dir / "pipcancel"

    def create(progress):
        spec = EnvSpec(conda=["python"], pip=[pip_spec(wheels["1.2"])])
        return engine.create(prefix, spec, progress)

    await _run_and_cancel(create, "pip")
    await engine.drain()
    assert not prefix.exists()
    assert list(envs_dir.iterdir()) == []


async def test_cancelled_install_finishes_transaction_consistently(engine, envs_dir, as_env):
    prefix = envs_dir / "inplace"
    await engine.create(prefix, EnvSpec(conda=["gamma=1.0"]))
    env = as_env(prefix)

    def install(progress):
        return engine.install(env, ["gamma=2.0", "delta"], progress=progress)

    await _run_and_cancel(install, "link")
    # Either fully applied or not at all, and history says what is on disk.
    versions = installed_versions(prefix)
    assert versions == {"gamma": "2.0", "delta": "1.0"}
    assert read_history(prefix).conda == {"gamma": "gamma=2.0", "delta": "delta"}
    for name in versions:
        assert (prefix / "share" / name / "VERSION").read_text().startswith(name)
