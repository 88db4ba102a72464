"""A cancelled conda install leaves the environment exactly as before or exactly as
after, never half-linked: checked with `conda list --json` and the files on disk, on the
real conda, cancelling at several points of an install and of an update of a package
with thousands of files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jupyter_env_manager.core.models import EnvSpec, ProgressEvent

from .conftest import BULKY_FILES, conda_list, env_at


def state(prefix: Path) -> tuple[list, dict[str, str]]:
    """conda's view plus every file under share/ (name -> content)."""
    share = prefix / "share"
    files = {
        str(p.relative_to(prefix)): p.read_text() for p in sorted(share.rglob("*")) if p.is_file()
    }
    return conda_list(prefix), files


async def _reference(engine, tmp_path: Path, name: str, start: list[str], change: list[str]):
    """The before and after states of `change`, done to completion on a twin env."""
    twin = tmp_path / "envs" / f"{name}-twin"
    await engine.create(twin, EnvSpec(conda=start))
    before = state(twin)
    await engine.install(env_at(twin), change)
    after = state(twin)
    return before, after


async def _cancelled(engine, prefix: Path, change: list[str], when) -> list[ProgressEvent]:
    """Start `change`, cancel it once `when(events)` holds, return the events seen."""
    events: list[ProgressEvent] = []
    moment = asyncio.Event()

    def progress(event: ProgressEvent) -> None:
        events.append(event)
        if when(events):
            moment.set()

    task = asyncio.create_task(engine.install(env_at(prefix), change, progress=progress))
    if when(events):
        moment.set()
    waiter = asyncio.create_task(moment.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    assert not task.done(), "the install finished before the cancel point"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return events


def linking(events) -> bool:
    return any(e.message.startswith(("Linking bulky", "Unlinking bulky")) for e in events)


CASES = {
    # name: (packages at start, the change, cancel point, expected outcome)
    "install-at-start": (["alpha"], ["bulky=1.0"], lambda events: True, "before"),
    "install-while-linking": (["alpha"], ["bulky=1.0"], linking, "after"),
    "update-while-unlinking": (["bulky=1.0"], ["bulky=2.0"], linking, "after"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_cancel_is_all_or_nothing(engine, tmp_path, case):
    start, change, when, outcome = CASES[case]
    before, after = await _reference(engine, tmp_path, case, start, change)
    prefix = tmp_path / "envs" / case
    await engine.create(prefix, EnvSpec(conda=start))
    assert state(prefix) == before

    events = await _cancelled(engine, prefix, change, when)

    assert state(prefix) == (before if outcome == "before" else after)
    if outcome == "after":
        assert any(e.stage == "cancel" and "letting it finish" in e.message for e in events)
    # conda itself still reads the environment and can change it again.
    plan = await engine.install(env_at(prefix), ["gamma"])
    assert [c.name for c in plan.changes] == ["gamma"]


async def test_cancel_at_any_moment_never_half_links(engine, tmp_path):
    """Cancel points spread over a whole update; each outcome is before or after."""
    before, after = await _reference(engine, tmp_path, "sweep", ["bulky=1.0"], ["bulky=2.0"])
    assert sum(1 for text in after[1].values() if text.startswith("bulky 2.0")) == BULKY_FILES
    outcomes = []
    for index, delay in enumerate((0.5, 2.0, 4.0)):
        prefix = tmp_path / "envs" / f"sweep-{index}"
        await engine.create(prefix, EnvSpec(conda=["bulky=1.0"]))
        task = asyncio.create_task(engine.install(env_at(prefix), ["bulky=2.0"]))
        await asyncio.sleep(delay)  # picks the cancel point; nothing asserts on time
        task.cancel()
        try:
            await task
            outcomes.append("finished")
        except asyncio.CancelledError:
            pass
        now = state(prefix)
        assert now in (before, after), f"half-linked after a cancel at {delay} s"
        outcomes.append("before" if now == before else "after")
    print("outcomes by cancel point:", outcomes)
