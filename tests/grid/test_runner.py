"""Grids run for real: kernels from the server's `python3` kernelspec, real Dask workers.

Most tests share one 2-worker process cluster (`dask_scheduler`); the worker-kill
test makes its own, since it kills one of the workers.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import KFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier

from jupyter_env_manager.grid.plan import plan_grid
from jupyter_env_manager.grid.runner import GridEvent, GridSearch
from tests.grid.conftest import NO_HTTP_PORT

SKLEARN_PARAMS = 'max_depth = 2\ncriterion = "gini"\nseed = 0\n'
SKLEARN_CODE = """\
from IPython.display import display
from sklearn.datasets import load_iris
from sklearn.model_selection import KFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier
X, y = load_iris(return_X_y=True)
cv = KFold(n_splits=3, shuffle=True, random_state=seed)
model = DecisionTreeClassifier(max_depth=max_depth, criterion=criterion, random_state=seed)
scores = cross_val_score(model, X, y, cv=cv)
accuracy = scores.mean()
display({"application/scrapbook.scrap.json+json": {"name": "fold0", "data": float(scores[0]),
         "encoder": "json", "version": 1}}, raw=True,
        metadata={"scrapbook": {"name": "fold0", "data": True, "display": False}})
"""


def expected_scores(max_depth: int, criterion: str, seed: int) -> list[float]:
    X, y = load_iris(return_X_y=True)
    cv = KFold(n_splits=3, shuffle=True, random_state=seed)
    model = DecisionTreeClassifier(max_depth=max_depth, criterion=criterion, random_state=seed)
    return list(cross_val_score(model, X, y, cv=cv))


def counting_notebook(make_notebook, log: Path, sleep: float):
    """Each run appends its `x` to `log` when it starts its work, then sleeps."""
    return make_notebook(
        "x = 0",
        f"import time\nwith open({str(log)!r}, 'a') as f:\n    f.write(f'{{x}}\\n')",
        f"time.sleep({sleep})\nvalue = x * 2",
    )


async def test_sklearn_grid_matches_direct_scores_and_is_reproducible(
    make_notebook, tmp_path: Path, dask_scheduler: str
):
    notebook = make_notebook(SKLEARN_PARAMS, SKLEARN_CODE)
    grid = {"max_depth": [1, 3], "criterion": ["gini", "entropy"]}
    frames = []
    for attempt in ("first", "second"):
        plan = plan_grid(notebook, grid, kernel_name="python3", metrics=["accuracy"], seed=7)
        search = GridSearch.create(plan, tmp_path / attempt, scheduler_address=dask_scheduler)
        summary = await search.run()
        assert summary.counts["ok"] == 4, search.results()[["status", "error"]]
        frames.append(search.results())

    frame = frames[0]
    # ParameterGrid order: keys sorted, the last one (max_depth) varying fastest,
    # values in the order given.
    assert list(frame["param_criterion"]) == ["gini", "gini", "entropy", "entropy"]
    assert list(frame["param_max_depth"]) == [1, 3, 1, 3]
    assert list(frame["seed"]) == [7, 7, 7, 7]
    for _, row in frame.iterrows():
        scores = expected_scores(row["param_max_depth"], row["param_criterion"], 7)
        assert row["accuracy"] == np.mean(scores)
        assert row["fold0"] == scores[0]
        assert Path(row["output_notebook"]).is_file()
    best_row = frame.loc[frame["accuracy"].idxmax()]
    assert frame.loc[frame["rank_accuracy"] == 1, "accuracy"].iloc[0] == best_row["accuracy"]
    assert summary.best is not None and summary.best["accuracy"] == frames[1]["accuracy"].max()

    # Same seed, same environment: identical metrics, bit for bit.
    assert list(frames[0]["accuracy"]) == list(frames[1]["accuracy"])
    assert frames[0]["fingerprint"].nunique() == 1
    assert list(frames[0]["fingerprint"]) == list(frames[1]["fingerprint"])

    # Files keep full precision.
    from_csv = pd.read_csv(tmp_path / "first" / "results.csv")
    from_parquet = pd.read_parquet(tmp_path / "first" / "results.parquet")
    assert list(from_csv["accuracy"]) == list(frame["accuracy"])
    assert list(from_parquet["accuracy"]) == list(frame["accuracy"])


async def test_cancel_then_resume_does_not_rerun_finished(
    make_notebook, tmp_path: Path, dask_scheduler: str
):
    log = tmp_path / "executions.log"
    notebook = counting_notebook(make_notebook, log, sleep=0.4)
    plan = plan_grid(notebook, {"x": list(range(6))}, kernel_name="python3", metrics=["value"])
    out = tmp_path / "out"
    finished: list[int] = []

    def on_event(event: GridEvent) -> None:
        if event.kind == "run_finished":
            finished.append(event.index)
            if len(finished) == 2:
                search.cancel()

    search = GridSearch.create(plan, out, scheduler_address=dask_scheduler, on_event=on_event)
    summary = await search.run()
    assert summary.state == "cancelled"
    done_first = [r["index"] for r in search.store.runs(search.grid_id, ["ok"])]
    assert 2 <= len(done_first) < 6
    assert summary.counts["running"] == 0

    resumed = GridSearch.open(out, scheduler_address=dask_scheduler)
    summary = await resumed.run()
    assert summary.state == "finished" and summary.counts["ok"] == 6
    assert summary.executed == 6 - len(done_first)
    lines = log.read_text().split()
    for index in done_first:
        assert lines.count(str(index)) == 1, lines
    assert sorted(set(lines)) == [str(i) for i in range(6)]
    frame = resumed.results()
    assert list(frame["value"]) == [2.0 * i for i in range(6)]


async def test_killed_kernel_is_retried_and_recorded_once(
    make_notebook, tmp_path: Path, dask_scheduler: str
):
    log = tmp_path / "executions.log"
    notebook = counting_notebook(make_notebook, log, sleep=1.5)
    plan = plan_grid(notebook, {"x": [0, 1, 2]}, kernel_name="python3", metrics=["value"])
    events: list[GridEvent] = []

    def on_event(event: GridEvent) -> None:
        events.append(event)
        if event.kind == "run_started" and event.index == 1 and event.details["attempt"] == 1:
            os.kill(event.details["kernel_pid"], signal.SIGKILL)

    search = GridSearch.create(
        plan, tmp_path / "out", scheduler_address=dask_scheduler, on_event=on_event
    )
    summary = await search.run()
    assert summary.counts["ok"] == 3
    frame = search.results()
    assert list(frame["run"]) == [0, 1, 2]
    assert list(frame["value"]) == [0.0, 2.0, 4.0]
    assert list(frame["attempts"]) == [1, 2, 1]
    assert [e.index for e in events if e.kind == "run_retry"] == [1]
    assert sorted(e.index for e in events if e.kind == "run_finished") == [0, 1, 2]


async def test_killed_worker_is_survived_and_each_point_recorded_once(
    make_notebook, tmp_path: Path, worker_env: dict[str, str]
):
    from distributed import LocalCluster

    log = tmp_path / "executions.log"
    notebook = counting_notebook(make_notebook, log, sleep=1.5)
    plan = plan_grid(notebook, {"x": [0, 1, 2, 3]}, kernel_name="python3", metrics=["value"])
    killed: list[int] = []

    def on_event(event: GridEvent) -> None:
        if event.kind == "run_started" and not killed:
            pid = int(event.details["pid"])
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    cluster = await LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        asynchronous=True,
        dashboard_address=None,
        scheduler_kwargs=NO_HTTP_PORT,
        silence_logs=logging.CRITICAL,
        env=worker_env,
    )
    try:
        search = GridSearch.create(
            plan, tmp_path / "out", scheduler_address=cluster.scheduler_address, on_event=on_event
        )
        summary = await search.run()
    finally:
        await cluster.close()
    assert killed
    assert summary.counts["ok"] == 4
    frame = search.results()
    assert list(frame["run"]) == [0, 1, 2, 3]
    assert list(frame["value"]) == [0.0, 2.0, 4.0, 6.0]
    assert frame["attempts"].max() >= 2  # the killed run started again elsewhere
    assert len(frame) == 4


@pytest.mark.parametrize("failure", ["cell_error", "timeout"])
async def test_failures_are_recorded_and_rerun_failed(
    make_notebook, tmp_path: Path, dask_scheduler: str, failure: str
):
    flag = tmp_path / "fixed"
    code = (
        f"import os, time\nif x == 1 and not os.path.exists({str(flag)!r}):\n"
        + ("    raise ValueError('bad x')\n" if failure == "cell_error" else "    time.sleep(30)\n")
        + "value = x"
    )
    notebook = make_notebook("x = 0", code)
    plan = plan_grid(notebook, {"x": [0, 1]}, kernel_name="python3", metrics=["value"], timeout=4.0)
    out = tmp_path / "out"
    search = GridSearch.create(plan, out, scheduler_address=dask_scheduler)
    summary = await search.run()
    frame = search.results()
    expected = "failed" if failure == "cell_error" else "timeout"
    assert list(frame["status"]) == ["ok", expected], list(frame["error"])
    assert ("ValueError: bad x" if failure == "cell_error" else "within 4 s") in frame["error"][1]
    assert summary.counts[expected] == 1 and list(frame["rank_value"]) == [1, 2]

    flag.write_text("")
    again = GridSearch.open(out, scheduler_address=dask_scheduler)
    summary = await again.run(rerun_failed=True)
    assert summary.counts["ok"] == 2 and summary.executed == 1
