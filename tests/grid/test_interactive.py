"""`grid_search()` for notebooks: from a plain script, inside a real kernel, and refusals.

Runs are real: kernels of the `python3` kernelspec on the shared 2-worker Dask
cluster (`dask_scheduler`). The in-kernel test starts a real ipykernel with
jupyter_client and reads back what the cell printed and the widget state messages
(comm traffic) the kernel sent to the frontend.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from jupyter_env_manager.core.errors import EnvManagerError
from jupyter_env_manager.grid import grid_search
from jupyter_env_manager.grid.interactive import GridRun
from jupyter_env_manager.grid.store import GridStore

SQUARE_PARAMS = "x = 0"
SQUARE_CODE = "y = x * x"


def test_plain_script_returns_the_results_table(
    make_notebook, tmp_path: Path, dask_scheduler: str, capsys
):
    notebook = make_notebook(SQUARE_PARAMS, SQUARE_CODE)
    out = tmp_path / "out"
    frame = grid_search(
        notebook, {"x": [1, 2, 3]}, metric="y", scheduler=dask_scheduler, out_dir=out
    )

    assert list(frame["param_x"]) == [1, 2, 3]
    assert list(frame["y"]) == [1.0, 4.0, 9.0]
    assert list(frame["rank_y"]) == [3, 2, 1]
    assert list(frame["status"]) == ["ok", "ok", "ok"]
    assert frame.attrs["best"]["parameters"] == {"x": 3}
    assert frame.attrs["state"] == "finished"
    assert Path(frame.attrs["results_csv"]).parent == out
    # Outside a kernel the progress is plain lines, one per finished run.
    printed = capsys.readouterr().out
    assert "[grid] grid of 3 runs of nb.ipynb" in printed
    for done in (1, 2, 3):
        assert f"[grid] {done}/3 run " in printed
    assert "[grid] finished: 3 ok" in printed
    assert "[grid] best (y, max): 9.0 with x=3" in printed


def test_cli_style_sweeps_minimize_and_background_handle(
    make_notebook, tmp_path: Path, dask_scheduler: str, capsys
):
    notebook = make_notebook(SQUARE_PARAMS, SQUARE_CODE)
    handle = grid_search(
        notebook,
        params=["x=range(1,4)"],
        metric="y",
        maximize=False,
        scheduler=dask_scheduler,
        out_dir=tmp_path / "out",
        show=False,
        wait=False,
    )
    assert isinstance(handle, GridRun)
    assert handle.status()["total"] == 3
    frame = handle.result(timeout=120)
    assert handle.done()
    assert list(frame["rank_y"]) == [1, 2, 3]
    assert frame.attrs["best"]["parameters"] == {"x": 1}
    status = handle.status()
    assert (status["state"], status["done"], status["total"]) == ("finished", 3, 3)
    assert status["counts"]["ok"] == 3
    assert status["out_dir"] == str(tmp_path / "out")
    assert capsys.readouterr().out == ""  # show=False prints nothing


def test_cancel_from_the_handle_stops_the_grid(make_notebook, tmp_path: Path, dask_scheduler: str):
    log = tmp_path / "started.txt"
    notebook = make_notebook(
        SQUARE_PARAMS,
        f"with open({str(log)!r}, 'a') as f:\n    f.write(f'{{x}}\\n')",
        "import time\ntime.sleep(30)\ny = x",
    )
    handle = grid_search(
        notebook,
        {"x": [1, 2, 3, 4, 5, 6]},
        scheduler=dask_scheduler,
        out_dir=tmp_path / "out",
        show=False,
        wait=False,
    )
    deadline = time.monotonic() + 60
    while not (log.exists() and log.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert log.exists(), "no run started"
    handle.cancel()
    frame = handle.result(timeout=60)
    assert handle.status()["state"] == "cancelled"
    assert frame.attrs["state"] == "cancelled"
    assert "ok" not in set(frame["status"])  # the 30 s sleeps were killed, not waited for
    assert len(log.read_text().split()) <= 2  # only the runs already on the 2 workers began


def _execute(client: Any, code: str, timeout: float = 120) -> tuple[dict, list[dict]]:
    messages: list[dict] = []
    reply = client.execute_interactive(code, output_hook=messages.append, timeout=timeout)
    return reply, messages


def _widget_states(messages: list[dict]) -> dict[str, dict[str, Any]]:
    """Final synced state of every widget the kernel opened, by model name."""
    by_comm: dict[str, dict[str, Any]] = {}
    for message in messages:
        kind = message["msg_type"]
        data = message["content"].get("data", {})
        if kind == "comm_open":
            by_comm[message["content"]["comm_id"]] = dict(data.get("state", {}))
        elif kind == "comm_msg" and data.get("method") == "update":
            by_comm.setdefault(message["content"]["comm_id"], {}).update(data["state"])
    return {state.get("_model_name", comm): state for comm, state in by_comm.items()}


def test_inside_a_real_kernel_with_widgets(
    make_notebook, tmp_path: Path, dask_scheduler: str, worker_env: dict[str, str]
):
    notebook = make_notebook(SQUARE_PARAMS, SQUARE_CODE)
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path), env={**os.environ, **worker_env})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply, messages = _execute(
            client,
            "from jupyter_env_manager.grid import grid_search\n"
            f"frame = grid_search({str(notebook)!r}, {{'x': [1, 2, 3]}}, metric='y', "
            f"scheduler={dask_scheduler!r}, out_dir='out-blocking')\n"
            "print(frame[['param_x', 'y', 'rank_y', 'status']].to_json(orient='records'))",
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        printed = "".join(
            m["content"]["text"] for m in messages if m["msg_type"] == "stream"
        ).strip()
        assert json.loads(printed.splitlines()[-1]) == [
            {"param_x": 1, "y": 1.0, "rank_y": 3, "status": "ok"},
            {"param_x": 2, "y": 4.0, "rank_y": 2, "status": "ok"},
            {"param_x": 3, "y": 9.0, "rank_y": 1, "status": "ok"},
        ]
        widgets = _widget_states(messages)
        bar = widgets["IntProgressModel"]
        assert (bar["value"], bar["max"], bar["bar_style"]) == (3, 3, "success")
        table = widgets["OutputModel"]["outputs"][-1]["data"]
        assert "best so far: run 2, y = 9.0 (x=3)" in table["text/plain"]
        assert "<table" in table["text/html"]
        assert any(
            "application/vnd.jupyter.widget-view+json" in m["content"].get("data", {})
            for m in messages
            if m["msg_type"] == "display_data"
        )

        # wait=False leaves the kernel free to run other cells while the grid runs.
        reply, messages = _execute(
            client,
            "run = grid_search("
            f"{str(notebook)!r}, params='x=4,5', metric='y', scheduler={dask_scheduler!r}, "
            "out_dir='out-background', wait=False)\n"
            "print(run.status()['state'])",
            timeout=30,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
        assert printed.strip() == "running"
        reply, messages = _execute(
            client,
            "print(run.result(timeout=120)['y'].tolist(), run.status()['state'])",
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
        assert "[16.0, 25.0] finished" in printed

        # Interrupting the kernel (the stop button) cancels a blocking grid search.
        started = tmp_path / "started.txt"
        slow = make_notebook(
            SQUARE_PARAMS,
            f"open({str(started)!r}, 'a').write('x')\nimport time\ntime.sleep(30)",
            name="slow.ipynb",
        )
        client.execute(
            f"grid_search({str(slow)!r}, {{'x': [1, 2, 3, 4]}}, scheduler={dask_scheduler!r}, "
            "out_dir='out-interrupted')"
        )
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.exists(), "no run started"
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=30)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        store = GridStore.in_dir(tmp_path / "out-interrupted")
        try:
            grid_id = store.latest_grid_id()
            assert store.grid(grid_id).status == "cancelled"
            assert store.counts(grid_id)["ok"] == 0
        finally:
            store.close()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grid": {"nope": [1, 2]}}, "Unknown parameter(s) nope"),
        ({"grid": {"alpha": 0.1}}, "parameter 'alpha' must be a list of values"),
        ({"params": "alpha=1", "kernel": "no-such-kernel"}, "No kernel named 'no-such-kernel'"),
        ({"params": "alpha=1", "env": "no-such-env"}, "No environment named 'no-such-env'"),
        ({"params": "alpha=1", "seed": 3}, "declares no 'seed' parameter"),
        ({"params": "alpha=1", "repeats": 0}, "repeats must be a whole number"),
        ({"params": "alpha=1", "metric": "bad metric"}, "Invalid metric"),
        ({"params": "alpha=1", "workers": 0}, "workers must be a whole number"),
        ({"grid": {"alpha": [1]}, "params": "alpha=2"}, "either grid= or params="),
        ({"params": "alpha"}, "expected NAME=VALUE1,VALUE2"),
        ({"grid": "missing.yaml"}, "Cannot read the grid file"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(make_notebook, tmp_path: Path, kwargs, message):
    notebook = make_notebook("alpha = 0.5", "print(alpha)")
    if kwargs.get("grid") == "missing.yaml":
        kwargs = {**kwargs, "grid": tmp_path / "missing.yaml"}
    out = tmp_path / "out"
    with pytest.raises(EnvManagerError) as raised:
        grid_search(notebook, out_dir=out, scheduler="tcp://127.0.0.1:1", **kwargs)
    assert message in str(raised.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ipynb"]


def test_notebook_without_parameters_cell_and_reused_out_dir_are_refused(
    make_notebook, tmp_path: Path
):
    bare = make_notebook(None, "alpha = 0.5", name="bare.ipynb")
    with pytest.raises(EnvManagerError, match="has no cell tagged 'parameters'"):
        grid_search(bare, {"alpha": [1, 2]}, scheduler="tcp://127.0.0.1:1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.ipynb"]

    notebook = make_notebook("alpha = 0.5", "print(alpha)")
    used = tmp_path / "used"
    used.mkdir()
    (used / "grid.sqlite").write_bytes(b"")
    with pytest.raises(EnvManagerError, match="already holds a grid"):
        grid_search(notebook, {"alpha": [1]}, out_dir=used, scheduler="tcp://127.0.0.1:1")
    assert sorted(p.name for p in used.iterdir()) == ["grid.sqlite"]
