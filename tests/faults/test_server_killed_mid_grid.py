"""SIGKILL the server while a grid runs: after a restart the grid says `interrupted`
(not "running" forever), a resume runs only the points that had not finished, and
every point is recorded exactly once."""

from __future__ import annotations

import time

import pytest

from tests.grid.conftest import write_notebook

from .server_process import ServerProcess

POINTS = [1, 2, 3, 4, 5, 6]


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path)
    yield process
    process.stop()


def wait_for(server: ServerProcess, grid_id: str, done, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, grid = server.call("GET", f"env-manager/api/grids/{grid_id}?results=true")
        assert code == 200, grid
        if done(grid):
            return grid
        time.sleep(0.2)
    raise AssertionError(f"grid {grid_id} never got there: {grid}")


def test_killed_server_leaves_an_interrupted_grid_that_resumes_exactly_once(server):
    write_notebook(
        server.root / "slow.ipynb", "x = 0", "import time\ntime.sleep(1.0)\ny = x * 10"
    )
    server.start()
    code, started = server.call(
        "POST", "env-manager/api/grids",
        {"notebook": "slow.ipynb", "grid": {"x": POINTS}, "kernel": "python3",
         "metrics": ["y:max"], "workers": 1},
    )  # fmt: skip
    assert code == 202, started
    grid_id = started["grid_id"]
    before = wait_for(server, grid_id, lambda g: g["counts"]["ok"] >= 2)
    server.kill()

    server.start()
    code, grid = server.call("GET", f"env-manager/api/grids/{grid_id}?results=true")
    assert code == 200, grid
    assert grid["state"] == "interrupted"
    assert not grid["active"]
    assert grid["counts"]["running"] == 0
    done_before = {r["run"]: r for r in grid["results"] if r["status"] == "ok"}
    assert len(done_before) >= before["counts"]["ok"]

    code, resumed = server.call("POST", f"env-manager/api/grids/{grid_id}/resume", {})
    assert code == 202, resumed
    after = wait_for(server, grid_id, lambda g: not g["active"] and g["state"] == "finished")
    rows = after["results"]
    assert sorted(r["param_x"] for r in rows) == POINTS  # each point once
    assert all(r["status"] == "ok" for r in rows)
    assert sorted(r["y"] for r in rows) == [x * 10 for x in POINTS]
    # What had finished before the kill was not run again.
    for row in rows:
        if row["run"] in done_before:
            assert row["started"] == done_before[row["run"]]["started"]
