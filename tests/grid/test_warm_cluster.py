"""A server's grids share one kept local cluster (and its kernel templates) until it
has been idle for its timeout; every run still gets a kernel no other run touched."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import psutil

from jupyter_env_manager.grid.plan import plan_grid
from jupyter_env_manager.grid.runner import GridEvent, GridSearch
from jupyter_env_manager.grid.warm_cluster import WarmCluster
from jupyter_env_manager.kernels import templates

# A run that saw another run's state would report it: `seen` is 0 only in a fresh kernel.
PROBE = "import os\nseen = globals().get('left_behind', 0)\nleft_behind = x\npid = os.getpid()"


def template_pids() -> set[int]:
    return {t.pid for t in templates._templates.values() if t.alive}


async def run_grid(notebook: Path, out: Path, warm: WarmCluster, pids: list[int]) -> list:
    def on_event(event: GridEvent) -> None:
        if event.kind == "run_started":
            pids.append(event.details["kernel_pid"])

    plan = plan_grid(notebook, {"x": [1, 2, 3]}, kernel_name="python3", metrics=["seen", "pid"])
    search = GridSearch.create(plan, out, workers=2, warm_cluster=warm, on_event=on_event)
    summary = await search.run()
    assert summary.counts["ok"] == 3, summary.counts
    frame = search.results()
    return list(zip(frame["seen"], frame["pid"], strict=True))


async def test_grids_reuse_the_kept_cluster_and_every_run_gets_a_fresh_kernel(
    make_notebook, tmp_path: Path
):
    notebook = make_notebook("x = 0", PROBE)
    warm = WarmCluster(idle_timeout=60)
    started: list[int] = []
    try:
        first = await run_grid(notebook, tmp_path / "first", warm, started)
        scheduler = warm._client.scheduler.address
        templates = template_pids()
        assert templates  # kept for the next grid
        second = await run_grid(notebook, tmp_path / "second", warm, started)
        assert warm._client.scheduler.address == scheduler  # the same cluster
        assert template_pids() == templates  # forked from the same template
    finally:
        await warm.close()
    rows = first + second
    assert [seen for seen, _ in rows] == [0] * 6  # no run saw another's state
    kernel_pids = [pid for _, pid in rows]
    assert len(set(kernel_pids)) == 6  # six runs, six kernel processes
    assert set(kernel_pids) == set(started)
    assert not warm.running and not template_pids()
    for pid in templates:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
    assert os.getpid() not in kernel_pids


async def test_an_idle_kept_cluster_closes_with_its_templates(make_notebook, tmp_path: Path):
    notebook = make_notebook("x = 0", PROBE)
    warm = WarmCluster(idle_timeout=0.5)
    try:
        await run_grid(notebook, tmp_path / "only", warm, [])
        templates = template_pids()
        assert warm.running and templates
        for _ in range(100):
            await asyncio.sleep(0.1)
            if not warm.running and not warm._closing_pending():
                break
        assert not warm.running
        assert not template_pids()
    finally:
        await warm.close()
    for pid in templates:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


async def test_a_closed_cluster_prints_no_closed_connection_traceback(
    make_notebook, tmp_path: Path
):
    # A send still queued at close fails after the grid returned; distributed logs it
    # with a traceback that its console handler printed under the grid's progress.
    notebook = make_notebook("x = 0", PROBE)
    warm = WarmCluster(idle_timeout=60)
    try:
        await run_grid(notebook, tmp_path / "only", warm, [])
    finally:
        await warm.close()
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    batched = logging.getLogger("distributed.batched")
    batched.addHandler(handler)
    try:
        try:
            raise ConnectionError("closed")
        except ConnectionError:
            batched.info("Batched Comm Closed %r", "<InProc (closed)>", exc_info=True)
        batched.error("Error in batched write")
    finally:
        batched.removeHandler(handler)
    assert seen == ["Error in batched write"]
