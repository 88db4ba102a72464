"""Grid searches over REST against a real server, real kernels and a real Dask cluster."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import time

import pytest

from jupyter_env_manager.events import GRID_EVENT_SCHEMA_ID
from tests.grid.conftest import write_notebook


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    from distributed import LocalCluster

    cache = tmp_path_factory.mktemp("pycache")
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.ERROR,
        env={"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(cache)},
    )  # fmt: skip
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture
def jp_server_config(jp_server_config, scheduler):
    return {**jp_server_config, "EnvManagerApp": {
        **jp_server_config["EnvManagerApp"], "grid_scheduler": scheduler}}  # fmt: skip


@pytest.fixture
def notebook(jp_root_dir):
    write_notebook(jp_root_dir / "square.ipynb", "x = 1\nseed = 0", "y = x * x + seed")
    return "square.ipynb"


async def _finished(api, grid_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, grid = await api.call("GET", "grids", grid_id)
        assert code == 200, grid
        if not grid["active"] and grid["state"] in ("finished", "cancelled"):
            return grid
        await asyncio.sleep(0.2)
    raise AssertionError("grid did not finish")


async def test_inspect_start_follow_results(api, notebook, jp_ws_fetch, jp_root_dir):
    code, info = await api.call("POST", "grids", "inspect", body={"notebook": notebook})
    assert code == 200
    assert [(p["name"], p["default"]) for p in info["parameters"]] == [("x", 1), ("seed", 0)]

    socket = await jp_ws_fetch("api", "events", "subscribe")
    code, started = await api.call(
        "POST", "grids",
        body={"notebook": notebook, "grid": {"x": [1, 2, 3]}, "kernel": "python3",
              "metrics": ["y:min"], "seed": 10},
    )  # fmt: skip
    assert code == 202, started
    grid_id = started["grid_id"]

    finished_runs = set()

    async def collect():
        while True:
            message = json.loads(await socket.read_message())
            if message.get("schema_id") != GRID_EVENT_SCHEMA_ID:
                continue
            data = message.get("data", message)
            if data["grid_id"] != grid_id:
                continue
            if data["kind"] == "run_finished":
                finished_runs.add(data["index"])
            if data["kind"] == "grid_finished":
                return data

    last = await asyncio.wait_for(collect(), timeout=120)
    socket.close()
    assert last["status"] == "finished" and last["done"] == last["total"] == 3
    assert finished_runs == {0, 1, 2}

    grid = await _finished(api, grid_id)
    rows = sorted(grid["results"], key=lambda row: row["param_x"])
    assert [(r["param_x"], r["y"], r["status"]) for r in rows] == [
        (1, 11, "ok"),
        (2, 14, "ok"),
        (3, 19, "ok"),
    ]  # y = x*x + seed, seed injected as 10
    assert grid["best"]["parameters"]["x"] == 1 and grid["best"]["y"] == 11
    assert (jp_root_dir / grid["out_dir"] / "results.parquet").is_file()
    # Output notebooks as the file browser names them: relative to the server's root.
    for row in rows:
        assert not row["output_notebook"].startswith("/")
        assert (jp_root_dir / row["output_notebook"]).is_file()

    code, listed = await api.call("GET", "grids")
    assert [g["grid_id"] for g in listed] == [grid_id]

    response = await api.call("GET", "grids", grid_id, "results", raw=True)
    assert response.headers["Content-Disposition"] == 'attachment; filename="results.csv"'
    table = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert sorted(float(r["y"]) for r in table) == [11.0, 14.0, 19.0]

    code, resumed = await api.call("POST", "grids", grid_id, "resume", body={"rerun_failed": True})
    assert code == 202
    again = await _finished(api, grid_id)
    assert again["executed"] == 0  # nothing left to run: finished runs are not repeated


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"notebook": "../outside.ipynb", "grid": {"x": [1]}, "kernel": "python3"}, 400, "root"),
        ({"notebook": "missing.ipynb", "grid": {"x": [1]}, "kernel": "python3"}, 400, "missing"),
        ({"notebook": "square.ipynb", "grid": {"z": [1]}, "kernel": "python3"}, 400, "Unknown"),
        ({"notebook": "square.ipynb", "grid": {"x": 1}, "kernel": "python3"}, 400, "list"),
        ({"notebook": "square.ipynb", "grid": {"x": [1]}, "kernel": "nope"}, 404, "nope"),
        ({"notebook": "square.ipynb", "grid": {"x": [1]}, "env": "nope"}, 404, "nope"),
        ({"notebook": "square.ipynb", "grid": {"x": [1]}, "sweeps": ["x=1"]}, 400, "either"),
        ({"notebook": "square.ipynb", "sweeps": ["x=1"], "kernel": "python3", "workers": 0}, 400,
         "workers"),
        ({"notebook": "square.ipynb", "sweeps": ["x=1"], "kernel": "python3", "goal": "up"}, 400,
         "goal"),
    ],
)  # fmt: skip
async def test_bad_grids_are_refused_before_anything_runs(
    api, notebook, jp_root_dir, body, status, words
):
    before = sorted(p.name for p in jp_root_dir.iterdir())
    code, error = await api.call("POST", "grids", body=body)
    assert code == status, error
    assert words.lower() in error["message"].lower()
    assert sorted(p.name for p in jp_root_dir.iterdir()) == before
    code, listed = await api.call("GET", "grids")
    assert listed == []


async def test_unknown_grid_is_404(api):
    code, _ = await api.call("GET", "grids", "0" * 32)
    assert code == 404
    code, _ = await api.call("DELETE", "grids", "0" * 32)
    assert code == 404


async def test_too_many_workers_refused_and_nothing_started(api, notebook, jp_root_dir):
    code, body = await api.call(
        "POST", "grids",
        body={"notebook": notebook, "grid": {"x": [1, 2]}, "kernel": "python3", "workers": 10**6},
    )  # fmt: skip
    assert code == 400, body
    assert "at most" in body["message"] and "grid_max_workers" in body["message"]
    assert not list(jp_root_dir.glob("square-grid-*"))
    code, grids = await api.call("GET", "grids")
    assert grids == []


async def test_grids_started_together_get_their_own_folders(api, notebook, jp_root_dir):
    body = {"notebook": notebook, "grid": {"x": [1, 2]}, "kernel": "python3"}
    (code1, first), (code2, second) = await asyncio.gather(
        api.call("POST", "grids", body=body), api.call("POST", "grids", body=body)
    )
    assert (code1, code2) == (202, 202), (first, second)
    assert first["out_dir"] != second["out_dir"]
    for started in (first, second):
        grid = await _finished(api, started["grid_id"])
        assert grid["counts"]["ok"] == 2, grid


@pytest.mark.parametrize(
    ("fields", "parameters", "runs", "errors"),
    [
        # The CLI's grammar, not JavaScript's: 1.0 stays a float, TRUE a bool, inf a float.
        ({"x": "1.0, 2", "flag": "TRUE,false", "tol": "inf,1e-3"},
         {"x": [("1.0", "float"), ("2", "int")], "flag": [("True", "bool"), ("False", "bool")],
          "tol": [("inf", "float"), ("0.001", "float")]}, 8, {}),
        ({"n": "range(1, 4)", "s": "'a,b', c"},
         {"n": [("1", "int"), ("2", "int"), ("3", "int")], "s": [("'a,b'", "str"), ("'c'", "str")]},
         6, {}),
        ({"x": "1,,2", "y": "3"}, {"y": [("3", "int")]}, None, {"x": "empty value"}),
        ({"x": ""}, {}, None, {"x": "no values"}),
    ],
)  # fmt: skip
async def test_value_fields_are_parsed_by_the_server(api, fields, parameters, runs, errors):
    code, body = await api.call("POST", "grids", "values", body={"values": fields})
    assert code == 200, body
    shown = {
        name: [(v["text"], v["type"]) for v in values]
        for name, values in body["parameters"].items()
    }
    assert shown == parameters
    assert body["runs"] == runs
    assert set(body["errors"]) == set(errors)
    for name, fragment in errors.items():
        assert fragment in body["errors"][name]


async def test_value_fields_refuse_a_malformed_body(api):
    code, body = await api.call("POST", "grids", "values", body={"values": {"x": 3}})
    assert code == 400 and "'values' must map" in body["message"]


async def test_a_grid_read_as_it_ends_is_answered(api, notebook, jp_serverapp, jp_root_dir):
    # Reads run in threads; a live grid closes its store connection when it ends, and a
    # read that had just found it live went on with that connection: 500, "Cannot
    # operate on a closed database". That instant, held still: live, store closed.
    from jupyter_env_manager.grid.runner import GridSearch

    code, started = await api.call(
        "POST", "grids", body={"notebook": notebook, "grid": {"x": [1, 2]}, "kernel": "python3"}
    )
    assert code == 202, started
    await _finished(api, started["grid_id"])
    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_env_manager"]
    service = app.grids
    ending = GridSearch.open(jp_root_dir / started["out_dir"], started["grid_id"])
    ending.store.close()
    service._live[started["grid_id"]] = ending
    try:
        code, grid = await api.call("GET", "grids", started["grid_id"])
    finally:
        service._live.pop(started["grid_id"])
    assert code == 200, grid
    assert grid["counts"]["ok"] == 2 and len(grid["results"]) == 2
